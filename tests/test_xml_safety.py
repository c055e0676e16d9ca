"""Hostile XML inside an .xlsx or .docx notice is refused, never expanded."""
import zipfile

import docx
import openpyxl
import openpyxl.xml
import pytest

from duban.errors import NoticeError
from duban.notice import read_notice

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def test_openpyxl_runs_with_defusedxml():
    # defusedxml is a declared dependency: openpyxl switches its protections on when it is importable
    assert openpyxl.xml.DEFUSEDXML is True


def _with_bomb(data: bytes, placeholder: str) -> bytes:
    text = data.decode()
    if text.startswith("<?xml"):
        text = text.split("?>", 1)[1]
    return (BOMB + text.replace(placeholder, "&lol3;")).encode()


def _rewrite(src, dst, member, transform):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == member:
                data = transform(data)
            zout.writestr(item, data)


def test_entity_bomb_in_xlsx_notice(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["序号", "工作任务", "牵头单位", "配合单位"])
    wb.active.append([1, "PLACEHOLDER", "区体育局", "各有关镇街"])
    clean = tmp_path / "clean.xlsx"
    wb.save(clean)
    bad = tmp_path / "bomb.xlsx"
    member = next(m for m in zipfile.ZipFile(clean).namelist()
                  if m.endswith(".xml") and b"PLACEHOLDER" in zipfile.ZipFile(clean).read(m))
    _rewrite(clean, bad, member, lambda d: _with_bomb(d, "PLACEHOLDER"))
    assert b"&lol3;" in zipfile.ZipFile(bad).read(member)
    with pytest.raises(NoticeError, match="不是有效的 Excel 工作簿"):
        read_notice(bad)


def test_entity_in_docx_notice_is_not_expanded(tmp_path):
    d = docx.Document()
    t = d.add_table(rows=2, cols=4)
    for c, v in zip(t.rows[0].cells, ["序号", "工作任务", "牵头单位", "配合单位"]):
        c.text = v
    for c, v in zip(t.rows[1].cells, ["1", "PLACEHOLDER", "区体育局", "各有关镇街"]):
        c.text = v
    clean = tmp_path / "clean.docx"
    d.save(clean)
    bad = tmp_path / "bomb.docx"
    _rewrite(clean, bad, "word/document.xml", lambda d: _with_bomb(d, "PLACEHOLDER"))
    assert b"&lol3;" in zipfile.ZipFile(bad).read("word/document.xml")
    try:
        n = read_notice(bad)
    except NoticeError:
        return  # refused: fine
    # python-docx's parser does not resolve entities: nothing was expanded
    assert "lol" * 100 not in n.tasks[0].task
