"""Build returned feedback workbooks in tests, following duban.feedback_format exactly.

Independent of duban.sheets' writer (openpyxl here, XlsxWriter there), so the
contract is tested from both sides; a ``mutate`` callback edits the workbook the way
units really do (rows inserted, columns added, cells merged …) before it is saved.
"""
from __future__ import annotations

import io
import os
import zipfile
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Callable

import openpyxl

from duban import feedback_format as ff
from duban.master import new_master_store
from duban.model import Master, Period
from duban.store import open_store

PERIOD = "1-6月"
T0 = datetime(2022, 7, 1, 10, 0, 0)


def master_with_period(path: Path) -> Path:
    """The conftest small master with the period 1-6月 open, written to ``path``."""
    from conftest import build_small_master

    m = build_small_master()
    m.periods = [Period(PERIOD, date(2022, 6, 30), date(2022, 7, 8))]
    m.settings["current_period"] = PERIOD
    with open_store(path, create=True) as store:
        new_master_store(store, m)
    return path


def assignment(master: Master, unit: str) -> tuple[list, list, list]:
    """(lead tasks, coop tasks, indicators) of ``unit``, as duban sheets sends them (with coop)."""
    from duban.sheets import plan_recipients

    r = plan_recipients(master, with_coop=True).by_name()[unit]
    return r.lead, r.coop, r.indicators


def default_values(unit: str, item_id: int, version: int = 1) -> dict[str, str]:
    return {"progress": f"{unit}任务{item_id}第{version}版进展：已完成60%", "amount": f"{item_id * 10}个",
            "problems": f"{unit}问题{version}", "self_eval": "正常推进"}


def meta_for(master: Master, unit: str, period: str = PERIOD, task_ids=None, indicator_ids=None) -> dict:
    lead, coop, inds = assignment(master, unit) if unit in _units(master) else ([], [], [])
    meta = {
        "格式": ff.FORMAT_VERSION, "年度": str(master.year), "期次": period, "单位": unit,
        "任务序号": ff.ids_text(task_ids if task_ids is not None else [t.id for t in lead + coop]),
        "指标序号": ff.ids_text(indicator_ids if indicator_ids is not None else [i.id for i in inds]),
        "生成时间": "2022-06-30 09:00:00",
    }
    return meta


def _units(master: Master) -> set[str]:
    from duban.sheets import plan_recipients

    return set(plan_recipients(master, with_coop=True).by_name())


def return_book(master: Master, unit: str, *, period: str = PERIOD, tasks: dict | None = None,
                indicators: dict | None = None, version: int = 1, meta: str = "signed",
                meta_edit: dict | None = None, secret: str | None = None, rows_for: str | None = None,
                mutate: Callable | None = None) -> openpyxl.Workbook:
    """One unit's return. ``tasks``/``indicators``: {id: values dict or progress text} (None: defaults for all).

    ``meta``: "signed", "unsigned" (no signature cell) or "none" (no metadata sheet);
    ``meta_edit``: changes made after signing (tampering); ``rows_for``: build the rows
    of another unit (a copy of its file).
    """
    rows_unit = rows_for or unit
    lead, coop, inds = assignment(master, rows_unit) if rows_unit in _units(master) else ([], [], [])
    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = ff.README_SHEET
    readme["A1"] = f"{master.year}年{period}区政府工作报告目标任务进展反馈表（{unit}）"
    ws = wb.create_sheet(ff.TASK_SHEET)
    cols = [(t, k) for t, k in ff.TASK_COLUMNS if k != "previous"]
    ws.append([t for t, _ in cols])
    for role, items in ((ff.ROLE_LEAD, lead), (ff.ROLE_COOP, coop)):
        for t in items:
            vals = _values(tasks, unit, t.id, version)
            base = {"id": t.id, "category": t.category, "task": t.task, "lead": "\n".join(t.lead),
                    "coop": "\n".join(t.coop), "role": role}
            append_text(ws, [base.get(k, vals.get(k, "")) for _, k in cols])
    if inds:
        wi = wb.create_sheet(ff.INDICATOR_SHEET)
        icols = [(t, k) for t, k in ff.INDICATOR_COLUMNS if k != "previous"]
        wi.append([t for t, _ in icols])
        for i in inds:
            vals = _values(indicators, unit, i.id, version)
            base = {"id": i.id, "target": i.target, "units": "\n".join(i.units)}
            append_text(wi, [base.get(k, vals.get(k, "")) for _, k in icols])
    if meta != "none":
        m = meta_for(master, unit, period)
        if rows_for:
            m = meta_for(master, rows_for, period)
        if meta == "signed":
            m["签名"] = ff.sign(m, secret or master.settings["secret"])
        m.update(meta_edit or {})
        ms = wb.create_sheet(ff.META_SHEET)
        for r, key in enumerate(ff.META_KEYS, 1):
            ms.cell(r, 1, key)
            ms.cell(r, 2, str(m.get(key, "")))
        ms.sheet_state = "veryHidden"
    if mutate:
        mutate(wb)
    return wb


def append_text(ws, values: list) -> None:
    """Append a row; text stays text (openpyxl would turn "=…" into a formula)."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def _values(spec: dict | None, unit: str, item_id: int, version: int) -> dict:
    if spec is None:
        return default_values(unit, item_id, version)
    v = spec.get(item_id, {})
    return {"progress": v} if isinstance(v, str) else dict(v)


def to_bytes(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_file(path: Path, data: bytes, when: datetime | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if when is not None:
        os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def write_return(path: Path, master: Master, unit: str, *, when: datetime | None = T0, **kw) -> Path:
    return write_file(path, to_bytes(return_book(master, unit, **kw)), when)


def eml(attachments: list[tuple[str, bytes]], *, when: datetime = T0, subject: str = "报送进展反馈表",
        sender: str = "unit@example.gov.cn") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "duchaban@example.gov.cn"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when.astimezone())
    msg.set_content("请查收附件。")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(msg)


def gbk_zip(members: list[tuple[str, bytes]]) -> bytes:
    """A zip as Chinese Windows' built-in compressor writes it: GBK names, no UTF-8 flag."""
    return _zip_with_raw_names(members)


def _zip_with_raw_names(members: list[tuple[str, bytes]], encoding: str = "gbk", flag: int = 0) -> bytes:
    import struct
    import zlib

    out = io.BytesIO()
    central = []
    dostime, dosdate = (10 << 11), ((2022 - 1980) << 9) | (7 << 5) | 1
    for name, data in members:
        raw_name = name.encode(encoding)
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        cdata = comp.compress(data) + comp.flush()
        crc = zlib.crc32(data) & 0xFFFFFFFF
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flag, 8, dostime, dosdate, crc,
                              len(cdata), len(data), len(raw_name), 0))
        out.write(raw_name)
        out.write(cdata)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flag, 8, dostime, dosdate, crc,
                                   len(cdata), len(data), len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name)
    start = out.tell()
    for c in central:
        out.write(c)
    size = out.tell() - start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


def encrypted_zip(members: list[tuple[str, bytes]]) -> bytes:
    """A zip whose members carry the 'encrypted' flag (as a password-protected bundle does)."""
    return _zip_with_raw_names(members, "utf-8", flag=0x1 | 0x800)


def plain_zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2022, 7, 1, 10, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def bomb_zip(name: str = "炸弹.xlsx", size: int = 120 * 1024 * 1024) -> bytes:
    """A zip with one member of ``size`` zero bytes (compresses about 1000:1)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(name, date_time=(2022, 7, 1, 10, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(size // len(chunk)):
                f.write(chunk)
    return buf.getvalue()


def xlsx_with_member(data: bytes, member: str, payload: bytes, *, compress: bool = True) -> bytes:
    """An .xlsx with one more member (a macro project, a bomb …)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info, src.read(info))
        zf.writestr(zipfile.ZipInfo(member, date_time=(2022, 7, 1, 10, 0, 0)), payload,
                    zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
    return buf.getvalue()


def replace_in_xlsx(data: bytes, old: str, new: str) -> bytes:
    """Replace text inside every XML member (to write what openpyxl refuses, e.g. >32,767 characters)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.endswith(".xml"):
                body = body.replace(old.encode("utf-8"), new.encode("utf-8"))
            zf.writestr(info, body)
    return buf.getvalue()


def with_entity_bomb(data: bytes, marker: str) -> bytes:
    """A “billion laughs” DTD in the worksheet holding ``marker``, which becomes an entity reference."""
    dtd = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
           + "".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcdefgh", "bcdefghi")) + "]>")
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            body = src.read(info)
            if marker.encode() in body:
                body = body.replace(b"?>", b"?>" + dtd.encode(), 1).replace(marker.encode(), b"&i;")
            zf.writestr(info, body)
    return buf.getvalue()


def encrypted_ooxml() -> bytes:
    """The shape of a password-protected .xlsx: an OLE file with EncryptionInfo and EncryptedPackage."""
    from duban.vba import write_compound_file

    info = (4).to_bytes(2, "little") + (4).to_bytes(2, "little") + (0x40).to_bytes(4, "little") + b"<encryption/>"
    return write_compound_file({"EncryptionInfo": info, "EncryptedPackage": b"\x10" * 4096})


def outlook_msg(attachments: list[tuple[str, bytes]], *, when: datetime = T0, subject: str = "报送进展反馈表") -> bytes:
    """A minimal Outlook .msg (MS-OXMSG compound file) with attachments, as Outlook's “另存为” writes it."""
    import struct

    from duban.vba import write_compound_file

    def utf16(s: str) -> bytes:
        return s.encode("utf-16-le")

    def fixed(tag: int, typ: int, value: bytes) -> bytes:
        return struct.pack("<HHI", typ, tag, 6) + value.ljust(8, b"\0")

    def var(tag: int, typ: int, size: int) -> bytes:
        return struct.pack("<HHI", typ, tag, 6) + struct.pack("<II", size, 0)

    ft = int((when.astimezone().replace(tzinfo=None) - when.astimezone().utcoffset() - datetime(1601, 1, 1))
             .total_seconds() * 10**7)
    header = b"\0" * 8 + struct.pack("<IIII", 0, 0, len(attachments), len(attachments)) + b"\0" * 8
    tree: dict = {
        "__substg1.0_0037001F": utf16(subject),
        "__substg1.0_001A001F": utf16("IPM.Note"),
        "__properties_version1.0": header + b"".join([
            var(0x0037, 0x001F, len(utf16(subject)) + 2), var(0x001A, 0x001F, len(utf16("IPM.Note")) + 2),
            fixed(0x0039, 0x0040, struct.pack("<Q", ft)), fixed(0x0E06, 0x0040, struct.pack("<Q", ft))]),
        "__nameid_version1.0": {"__substg1.0_00020102": b"", "__substg1.0_00030102": b"", "__substg1.0_00040102": b""},
    }
    for i, (name, data) in enumerate(attachments):
        tree[f"__attach_version1.0_#{i:08X}"] = {
            "__properties_version1.0": b"\0" * 8 + b"".join([
                fixed(0x3705, 0x0003, struct.pack("<I", 1)), var(0x3701, 0x0102, len(data)),
                var(0x3707, 0x001F, len(utf16(name)) + 2)]),
            "__substg1.0_37010102": data,
            "__substg1.0_3707001F": utf16(name),
        }
    return write_compound_file(tree)


# ---------------------------------------------------------------------------
# hostile returns (issue 13): what a hostile-input run found
# ---------------------------------------------------------------------------

def resigned(master: Master, unit: str, changes: dict, **kw) -> bytes:
    """A return whose metadata is changed *and signed again* (as someone holding the secret would)."""
    wb = return_book(master, unit, **kw)
    ws = wb[ff.META_SHEET]
    meta = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, len(ff.META_KEYS) + 1)}
    meta.update(changes)
    meta["签名"] = ff.sign(meta, master.settings["secret"])
    for r in range(1, len(ff.META_KEYS) + 1):
        ws.cell(r, 2).value = meta[ws.cell(r, 1).value]
    return to_bytes(wb)


def forwarded(data: bytes, name: str, times: int, *, when: datetime = T0) -> bytes:
    """A return mailed, then forwarded ``times`` times as an attachment, each forward re-attaching the workbook."""
    import email
    import email.policy

    msg = email.message_from_bytes(eml([(name, data)], when=when), policy=email.policy.default)
    for i in range(times):
        fw = EmailMessage()
        fw["From"] = f"forward{i}@example.gov.cn"
        fw["To"] = "duchaban@example.gov.cn"
        fw["Subject"] = "转发：" + str(msg["Subject"])
        fw["Date"] = format_datetime(when.astimezone())
        fw.set_content("转发。")
        fw.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
        fw.add_attachment(msg)  # message/rfc822
        msg = fw
    return bytes(msg)


def nested_rfc822(data: bytes, name: str, levels: int) -> bytes:
    """The workbook at the bottom of ``levels`` emails each attached to the next (message/rfc822)."""
    import email
    import email.policy

    msg = email.message_from_bytes(eml([(name, data)]), policy=email.policy.default)
    for _ in range(levels):
        fw = EmailMessage()
        fw["Subject"] = "转发"
        fw.set_content("转发。")
        fw.add_attachment(msg)
        msg = fw
    return bytes(msg)


def deep_multipart(levels: int, attachment: tuple[str, bytes] | None = None) -> bytes:
    """An email whose multipart parts are nested ``levels`` deep (the workbook at the bottom)."""
    import base64

    head = (b"From: unit@example.gov.cn\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
    body = b""
    for i in range(levels):
        body += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
    if attachment:
        name, data = attachment
        body += (b"--b%d\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                 b"Content-Disposition: attachment; filename=\"%s\"\r\n\r\n" % (levels, name.encode("ascii"))
                 + base64.encodebytes(data).replace(b"\n", b"\r\n") + b"\r\n--b%d--\r\n" % levels)
    for i in range(levels - 1, -1, -1):
        body += b"--b%d--\r\n" % i
    return head + body


def eml_raw_name(name: bytes, data: bytes, *, when: datetime = T0) -> bytes:
    """An email whose attachment name is raw bytes in the header (a Chinese client's GBK, or UTF-8)."""
    import base64

    return (b"From: unit@example.gov.cn\r\nTo: duchaban@example.gov.cn\r\nSubject: =?utf-8?b?"
            + base64.b64encode("报送".encode()) + b"?=\r\nDate: " + format_datetime(when.astimezone()).encode()
            + b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
            b"--zz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n"
            b"--zz\r\nContent-Type: application/octet-stream; name=\"" + name + b"\"\r\n"
            b"Content-Disposition: attachment; filename=\"" + name + b"\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data).replace(b"\n", b"\r\n")
            + b"\r\n--zz--\r\n")


def eml_rfc2231_name(name: str, charset: str, data: bytes, *, when: datetime = T0) -> bytes:
    """An attachment name in RFC 2231 form (filename*=gb2312''%C7%F8…), as some Chinese clients write it."""
    import base64
    from urllib.parse import quote_from_bytes

    enc = quote_from_bytes(name.encode("gb18030" if charset.lower() in ("gb2312", "gbk") else charset))
    return (b"From: unit@example.gov.cn\r\nSubject: x\r\nDate: " + format_datetime(when.astimezone()).encode()
            + b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
            b"--zz\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Disposition: attachment; filename*=" + charset.encode() + b"''" + enc.encode() + b"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data).replace(b"\n", b"\r\n")
            + b"\r\n--zz--\r\n")
