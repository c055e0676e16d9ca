"""Test helpers for the Excel side of the master's package.

* :func:`package_problems` -- what makes an OPC package inconsistent: a part
  without a content type, a relationship to a missing part, a part no
  relationship reaches, an Override for a missing part, VML drawings with
  duplicate shape ids or more than one ``<o:shapelayout>``, a sheet without a
  code name or without its document module.
* :func:`excel_resave` -- a duban master rewritten the way Excel saves it.
  There is no Excel here, so the structure is taken from real Excel-saved
  files: xlwings' ``quickstart.xlsm`` (saved by Excel 16: namespaces and
  ``mc:Ignorable`` of workbook and sheets, ``xr:uid``, ``fileVersion``,
  ``x15ac:absPath``, ``xr:revisionPtr``, shared strings, ``Default
  Extension="bin"``), Microsoft 365's threaded comments (``xl/threadedComments``,
  ``xl/persons`` and the legacy note beside them) and what Excel writes for form-control buttons (ECMA-376
  and [MS-XLSX] 2.3.x: ``<controls>`` in ``mc:AlternateContent`` requiring
  x14 after ``<legacyDrawing>``, one ``xl/ctrlProps/ctrlPropN.xml``
  ``formControlPr`` per button with its own relationship and Override, VML
  shapes named ``Button_x0020_N`` with ``o:spid``), plus the parts Excel adds
  to a workbook in an office: ``xl/calcChain.xml``,
  ``xl/printerSettings/printerSettings1.bin`` (a DEVMODE blob) referenced by
  ``<pageSetup r:id>``, a custom XML data store item with its properties
  part, ``docProps/app.xml`` with TitlesOfParts, and a cell comment made in
  Excel on the 说明 sheet living in the buttons' VML under the same
  shapelayout.
"""
from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
PR = "{http://schemas.openxmlformats.org/package/2006/relationships}"
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def _rels_path(part: str) -> str:
    if not part:
        return "_rels/.rels"
    folder, _, name = part.rpartition("/")
    return (folder + "/" if folder else "") + "_rels/" + name + ".rels"


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    stack = source.rpartition("/")[0].split("/") if "/" in source else []
    for piece in target.split("/"):
        if piece == "..":
            stack.pop()
        elif piece and piece != ".":
            stack.append(piece)
    return "/".join(stack)


def relationships(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(Id, type suffix, resolved target) of ``part``'s relationships."""
    rp = _rels_path(part)
    if rp not in zf.namelist():
        return []
    out = []
    for rel in ET.fromstring(zf.read(rp)):
        if rel.get("TargetMode") == "External":
            continue
        out.append((rel.get("Id"), rel.get("Type").rsplit("/", 1)[-1], _resolve(part, rel.get("Target"))))
    return out


def vml_shape_ids(vml: str) -> list[str]:
    """The shape id of every VML shape: ``o:spid`` when present, else ``id``."""
    ids = []
    for tag in re.findall(r"<v:(?:shape|rect|roundrect|oval|line|group|image)\b[^>]*>", vml):
        spid = re.search(r'\bo:spid="([^"]+)"', tag)
        ids.append(spid.group(1) if spid else re.search(r'\bid="([^"]+)"', tag).group(1))
    return ids


def package_problems(path: Path) -> list[str]:
    problems: list[str] = []
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = [n for n in zf.namelist() if not n.endswith("/")]
        present = set(names)
        ct = ET.fromstring(zf.read("[Content_Types].xml"))
        defaults = {el.get("Extension").lower() for el in ct if el.tag == CT + "Default"}
        overrides = {el.get("PartName").lstrip("/") for el in ct if el.tag == CT + "Override"}
        for part in names:
            if part == "[Content_Types].xml":
                continue
            if part not in overrides and part.rpartition(".")[2].lower() not in defaults:
                problems.append(f"no content type: {part}")
        for part in sorted(overrides - present):
            problems.append(f"Override of a missing part: {part}")
        reachable: set[str] = set()
        queue = [""]
        vml_parts = []
        while queue:
            source = queue.pop()
            for rid, kind, target in relationships(zf, source):
                if target not in present:
                    problems.append(f"relationship {source or '/'} {rid} -> missing {target}")
                    continue
                if kind == "vmlDrawing":
                    vml_parts.append(target)
                if target not in reachable:
                    reachable.add(target)
                    queue.append(target)
        for part in names:
            if part == "[Content_Types].xml" or part.endswith(".rels"):
                continue
            if part not in reachable:
                problems.append(f"orphan part: {part}")
        all_ids: list[str] = []
        for part in vml_parts:
            vml = zf.read(part).decode("utf-8")
            ids = vml_shape_ids(vml)
            all_ids += ids
            layouts = len(re.findall(r"<o:shapelayout\b", vml))
            if layouts != 1:
                problems.append(f"{part}: {layouts} shapelayouts")
            types = re.findall(r'<v:shapetype\b[^>]*\bid="([^"]+)"', vml)
            if len(types) != len(set(types)):
                problems.append(f"{part}: a shapetype declared twice: {types}")
        dup = sorted(i for i, n in Counter(all_ids).items() if n > 1)
        if dup:
            problems.append(f"duplicate VML shape ids: {dup}")
        if "xl/vbaProject.bin" in present:
            from duban.vba import read_project

            modules = {m.name.lower(): m.kind for m in read_project(zf.read("xl/vbaProject.bin")).modules}
            wb = ET.fromstring(zf.read("xl/workbook.xml"))
            pr = wb.find(M + "workbookPr")
            if pr is None or (pr.get("codeName") or "").lower() not in modules:
                problems.append("the workbook has no code name with a document module")
            rels = {rid: target for rid, _, target in relationships(zf, "xl/workbook.xml")}
            for sheet in wb.find(M + "sheets"):
                root = ET.fromstring(zf.read(rels[sheet.get(R_ID)]))
                spr = root.find(M + "sheetPr")
                code = spr.get("codeName") if spr is not None else None
                if not code or modules.get(code.lower()) != "document":
                    problems.append(f"sheet {sheet.get('name')} has no document module (codeName {code})")
    return problems


def buttons(path: Path, sheet: str = "说明") -> list[tuple[str, str]]:
    """(caption, macro) of the buttons in the VML of ``sheet``."""
    with zipfile.ZipFile(path) as zf:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = {rid: target for rid, _, target in relationships(zf, "xl/workbook.xml")}
        part = next(rels[s.get(R_ID)] for s in wb.find(M + "sheets") if s.get("name") == sheet)
        vml = next(zf.read(t).decode("utf-8") for _, kind, t in relationships(zf, part) if kind == "vmlDrawing")
    out = []
    for shape in re.findall(r"<v:shape\b.*?</v:shape>", vml, re.S):
        if 'ObjectType="Button"' in shape:
            caption = re.sub(r"<[^>]+>", "", re.search(r"<v:textbox.*?</v:textbox>", shape, re.S).group(0))
            macro = re.search(r"<x:FmlaMacro>\[0\]!([^<]+)</x:FmlaMacro>", shape).group(1)
            out.append((caption.strip(), macro))
    return out


def comment_texts(path: Path, sheet: str = "说明") -> dict[str, str]:
    import openpyxl

    wb = openpyxl.load_workbook(path, keep_vba=True)
    return {c.coordinate: c.comment.text for row in wb[sheet].iter_rows() for c in row if c.comment}


# --------------------------------------------------------------------------
# a master as Excel saves it
# --------------------------------------------------------------------------

_SHEET_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
             'xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
             'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
             'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
             'mc:Ignorable="x14ac xr xr2 xr3" '
             'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
             'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
             'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" '
             'xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3"')
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
_CTRL_PROP = (_DECL + '<formControlPr xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
              'objectType="Button" lockText="1"/>')
_CUSTOM_ITEM = (_DECL + '<b:Sources SelectedStyle="\\APASixthEditionOfficeOnline.xsl" StyleName="APA" '
                'xmlns:b="http://schemas.openxmlformats.org/officeDocument/2006/bibliography" '
                'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/bibliography"></b:Sources>')
_CUSTOM_PROPS = (_DECL + '<ds:datastoreItem ds:itemID="{5E1F3C2A-7B7D-4E0C-9A51-2D3C8F0B6A11}" '
                 'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs>'
                 '<ds:schemaRef ds:uri="http://schemas.openxmlformats.org/officeDocument/2006/bibliography"/>'
                 '</ds:schemaRefs></ds:datastoreItem>')
# a DEVMODEW header for "Microsoft Print to PDF" (what Excel stores, binary)
_DEVMODE = ("Microsoft Print to PDF".encode("utf-16-le").ljust(64, b"\x00")
            + bytes.fromhex("01040000dc00000003ff0000010009009a0b3408640001000f005802020001005802030001004100340000")
            ).ljust(220, b"\x00")


def _rels_xml(rels: list[tuple[str, str, str]]) -> str:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{g}"/>' for i, t, g in rels)
    return (_DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + body + "</Relationships>")


def _shared_strings(sheets: dict[str, str]) -> tuple[dict[str, str], str]:
    """Inline strings (what openpyxl writes) -> a shared string table (what Excel writes)."""
    table: dict[str, int] = {}
    count = 0

    def cell(m: re.Match) -> str:
        nonlocal count
        attrs, inner = m.group(1), m.group(2)
        attrs = attrs.replace(' t="inlineStr"', ' t="s"')
        idx = table.setdefault(inner, len(table))
        count += 1
        return f"<c{attrs}><v>{idx}</v></c>"

    out = {name: re.sub(r'<c((?:\s[^>]*?)?\st="inlineStr"[^>]*)><is>(.*?)</is></c>', cell, xml, flags=re.S)
           for name, xml in sheets.items()}
    sst = (_DECL + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           f'count="{count}" uniqueCount="{len(table)}">' + "".join(f"<si>{k}</si>" for k in table) + "</sst>")
    return out, sst


def _excel_vml(vml: str, comment_cell: tuple[int, int] | None) -> str:
    """XlsxWriter's button VML as Excel writes it back: shapes named
    ``Button_x0020_N`` with the id in ``o:spid``, single-quoted styles, CRLF,
    and the comment shape after the buttons (same shapelayout)."""
    n = 0

    def shape(m: re.Match) -> str:
        nonlocal n
        n += 1
        return f'<v:shape id="Button_x0020_{n}" o:spid="_x0000_s{1024 + n}"'

    vml = re.sub(r'<v:shape id="_x0000_s(\d+)"', shape, vml)
    vml = re.sub(r'style="([^"]*)"', r"style='\1'", vml)
    if comment_cell is not None:
        row, col = comment_cell
        note = (
            '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
            '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
            f'<v:shape id="_x0000_s{1025 + n}" type="#_x0000_t202" style=\'position:absolute;margin-left:300pt;'
            "margin-top:2pt;width:108pt;height:59.25pt;z-index:7;visibility:hidden' fillcolor=\"#ffffe1\" "
            'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style=\'mso-direction-alt:auto\'>'
            "<div style='text-align:left'></div></v:textbox><x:ClientData ObjectType=\"Note\">"
            "<x:MoveWithCells/><x:SizeWithCells/>"
            f"<x:Anchor>{col + 1}, 15, {row}, 2, {col + 3}, 15, {row + 4}, 16</x:Anchor>"
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>")
        vml = vml.replace("</xml>", note + "</xml>")
    return vml.replace("><", ">\r\n<")


def _controls(vml: str, first_rid: int) -> tuple[str, list[str]]:
    """The <controls> element Excel writes for the VML buttons, and their macros."""
    items, macros = [], []
    for i, shape in enumerate(re.findall(r"<v:shape\b.*?</v:shape>", vml, re.S), 1):
        if 'ObjectType="Button"' not in shape:
            continue
        spid = int(re.search(r'o:spid="_x0000_s(\d+)"', shape).group(1))
        macro = re.search(r"<x:FmlaMacro>([^<]+)</x:FmlaMacro>", shape).group(1)
        a = [int(v) for v in re.search(r"<x:Anchor>([^<]+)</x:Anchor>", shape).group(1).split(",")]
        macros.append(macro)
        rid = first_rid + len(macros) - 1

        def at(col: int, col_px: int, row: int, row_px: int) -> str:
            return (f"<xdr:col>{col}</xdr:col><xdr:colOff>{col_px * 9525}</xdr:colOff>"
                    f"<xdr:row>{row}</xdr:row><xdr:rowOff>{row_px * 9525}</xdr:rowOff>")

        items.append(
            '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
            f'<mc:Choice Requires="x14"><control shapeId="{spid}" r:id="rId{rid}" name="Button {i}">'
            f'<controlPr defaultSize="0" print="0" autoFill="0" autoPict="0" macro="{macro}">'
            f'<anchor moveWithCells="1" sizeWithCells="1"><from>{at(a[0], a[1], a[2], a[3])}</from>'
            f"<to>{at(a[4], a[5], a[6], a[7])}</to></anchor></controlPr></control></mc:Choice>"
            "</mc:AlternateContent>")
    xml = ('<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
           '<mc:Choice Requires="x14"><controls>' + "".join(items) + "</controls></mc:Choice></mc:AlternateContent>")
    return xml, macros


_TC_REL = "http://schemas.microsoft.com/office/2017/10/relationships/"
_TC_NS = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
_PERSON = "{6C1B0A2E-93D4-4B51-8E0F-1D2C3B4A5968}"
_THREAD = "{1A2B3C4D-0000-4000-8000-000000000001}"


def legacy_comment_text(comment: str) -> str:
    """The note text Microsoft 365 writes beside a threaded comment for older Excel."""
    return ("[Threaded comment]\n\nYour version of Excel allows you to read this threaded comment; however, any "
            "edits to it will get removed if the file is opened in a newer version of Excel. Learn more: "
            "https://go.microsoft.com/fwlink/?linkid=870924\n\nComment:\n    " + comment)


def excel_resave(src: Path, out: Path, *, comment: str | None = "请先核对单位名录再生成反馈表（张科长）",
                 threaded: bool = True, formula_cell: str = "F2") -> Path:
    """Write ``out``: the duban master ``src`` (.xlsm) as Excel saves it after
    staff added a comment on 说明 (``comment`` at D2; ``threaded``: as
    Microsoft 365 stores a 批注, a threaded comment with persons and a legacy
    note copy; otherwise a plain note) and a formula (``formula_cell`` on 说明,
    so the calc chain has an entry)."""
    import openpyxl

    from duban.xlsm import tidy_package

    wb = openpyxl.load_workbook(src, keep_vba=True)
    wb["说明"][formula_cell] = "=COUNTA(重点任务!A:A)"
    staged = out.with_name(out.stem + ".staged.xlsm")
    wb.save(staged)  # a plain openpyxl save: the staff edit, nothing of duban's
    tidy_package(staged)
    with zipfile.ZipFile(staged) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    staged.unlink()

    wb_xml = parts["xl/workbook.xml"].decode("utf-8")
    wb_rels = relationships_from(parts, "xl/workbook.xml")
    sheets = [(el.get("name"), wb_rels[el.get(R_ID)]) for el in ET.fromstring(wb_xml).find(M + "sheets")]
    names = {name: part for name, part in sheets}
    intro = names["说明"]

    # sheets: Excel's namespaces, xr:uid, shared strings
    xmls = {}
    for i, (name, part) in enumerate(sheets):
        xml = parts[part].decode("utf-8")
        xml = re.sub(r"<worksheet\b[^>]*>", f'<worksheet {_SHEET_NS} xr:uid="{{00000000-0001-0000-{i:04X}-000000000000}}">',
                     xml, count=1)
        xml = re.sub(r"^<\?xml[^>]*\?>\s*", "", xml)
        xmls[part] = xml
    xmls, sst = _shared_strings(xmls)
    parts["xl/sharedStrings.xml"] = sst.encode("utf-8")

    # 说明: printer settings, the buttons as <controls> + ctrlProps, a comment in the same VML
    sheet_rels = relationships_from(parts, intro)
    vml_part = next(t for t in sheet_rels.values() if t.endswith(".vml"))
    comment_cell = (1, 3) if comment else None  # D2, zero-based (row, col)
    vml = _excel_vml(parts[vml_part].decode("utf-8"), comment_cell)
    parts[vml_part] = vml.encode("utf-8")
    new_rels = [("rId1", REL + "printerSettings", "../printerSettings/printerSettings1.bin"),
                ("rId2", REL + "vmlDrawing", "../drawings/vmlDrawing1.vml")]
    parts.pop(vml_part)
    parts["xl/drawings/vmlDrawing1.vml"] = vml.encode("utf-8")
    controls, macros = _controls(vml, 3)
    for k in range(len(macros)):
        new_rels.append((f"rId{3 + k}", REL + "ctrlProp", f"../ctrlProps/ctrlProp{k + 1}.xml"))
        parts[f"xl/ctrlProps/ctrlProp{k + 1}.xml"] = _CTRL_PROP.encode("utf-8")
    if comment:
        new_rels.append((f"rId{3 + len(macros)}", REL + "comments", "../comments1.xml"))
        if threaded:  # Microsoft 365's 批注: a threaded comment plus its legacy copy for older Excel
            new_rels.append((f"rId{4 + len(macros)}", _TC_REL + "threadedComment",
                             "../threadedComments/threadedComment1.xml"))
            parts["xl/threadedComments/threadedComment1.xml"] = (
                _DECL + f'<ThreadedComments xmlns="{_TC_NS}" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/'
                f'2006/main"><threadedComment ref="D2" dT="2022-07-01T09:30:00.00" personId="{_PERSON}" '
                f'id="{_THREAD}"><text>{comment}</text></threadedComment></ThreadedComments>').encode("utf-8")
            parts["xl/persons/person.xml"] = (
                _DECL + f'<personList xmlns="{_TC_NS}" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/'
                f'2006/main"><person displayName="张科长" id="{_PERSON}" userId="张科长" providerId="None"/>'
                "</personList>").encode("utf-8")
            author, body = f"tc={_THREAD}", f"<t xml:space=\"preserve\">{legacy_comment_text(comment)}</t>"
        else:
            author = "张科长"
            body = (f'<r><rPr><sz val="9"/><color indexed="81"/><rFont val="宋体"/><charset val="134"/></rPr>'
                    f"<t>{comment}</t></r>")
        parts["xl/comments1.xml"] = (
            _DECL + '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="xr" '
            f'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision"><authors><author>{author}</author>'
            '</authors><commentList><comment ref="D2" authorId="0" shapeId="0" '
            f'xr:uid="{_THREAD}"><text>{body}</text></comment></commentList>'
            "</comments>").encode("utf-8")
    for stale in [p for p in list(parts) if p.startswith("xl/comments/")]:
        parts.pop(stale)
    parts[_rels_path(intro)] = _rels_xml(new_rels).encode("utf-8")
    parts["xl/printerSettings/printerSettings1.bin"] = _DEVMODE
    xml = xmls[intro]
    xml = re.sub(r"<legacyDrawing\b[^>]*/>", "", xml)
    xml = re.sub(r"<pageSetup\b([^>]*?)/>", r'<pageSetup\1 r:id="rId1"/>', xml, count=1)
    if "<pageSetup" not in xml:
        xml = xml.replace("</worksheet>", '<pageSetup paperSize="9" orientation="portrait" r:id="rId1"/></worksheet>')
    tail = '<legacyDrawing r:id="rId2"/>' + controls
    # CT_Worksheet order: ... pageSetup, headerFooter, rowBreaks, colBreaks, customProperties,
    # cellWatches, ignoredErrors, smartTags, drawing, legacyDrawing, ..., controls, ..., tableParts, extLst
    m = re.search(r"<(tableParts|extLst)\b", xml)
    xml = xml[:m.start()] + tail + xml[m.start():] if m else xml.replace("</worksheet>", tail + "</worksheet>")
    xmls[intro] = xml
    for part, xml in xmls.items():
        parts[part] = (_DECL + xml).encode("utf-8")

    # workbook: Excel's header elements, calc chain, custom XML, shared strings
    intro_index = [n for n, _ in sheets].index("说明") + 1
    wb_xml = re.sub(r"^<\?xml[^>]*\?>\s*", "", wb_xml)
    wb_xml = re.sub(
        r"<workbook\b[^>]*>",
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x15 xr xr6 xr10 xr2" '
        'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
        'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
        'xmlns:xr6="http://schemas.microsoft.com/office/spreadsheetml/2016/revision6" '
        'xmlns:xr10="http://schemas.microsoft.com/office/spreadsheetml/2016/revision10" '
        'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2">'
        '<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="28112" '
        'codeName="{DC747B9D-DBBB-FA85-71B4-595EBAB97821}"/>',
        wb_xml, count=1)
    wb_xml = re.sub(r"(<workbookPr\b[^>]*/>)", r"\1" + (
        '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        '<mc:Choice Requires="x15"><x15ac:absPath url="D:\\督办\\" '
        'xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"/></mc:Choice>'
        '</mc:AlternateContent><xr:revisionPtr revIDLastSave="0" documentId="13_ncr:1_{122D0787-ABDB-40A5-8C4D-'
        'FC2A5483458A}" xr6:coauthVersionLast="47" xr6:coauthVersionMax="47" '
        'xr10:uidLastSave="{00000000-0000-0000-0000-000000000000}"/>'), wb_xml, count=1)
    wb_xml = re.sub(r"<calcPr\b[^>]*/>", "", wb_xml)
    wb_xml = re.sub(r"(</sheets>(?:<definedNames>.*?</definedNames>|<definedNames/>)?)",
                    r'\1<calcPr calcId="191029"/>', wb_xml, count=1, flags=re.S)
    parts["xl/workbook.xml"] = (_DECL + wb_xml).encode("utf-8")
    wb_rel_list = [(rid, t, g) for rid, t, g in raw_relationships(parts, "xl/workbook.xml")]
    used = {int(r[3:]) for r, _, _ in wb_rel_list if r.startswith("rId") and r[3:].isdigit()}
    nxt = max(used, default=0) + 1
    wb_rel_list += [(f"rId{nxt}", REL + "sharedStrings", "sharedStrings.xml"),
                    (f"rId{nxt + 1}", REL + "calcChain", "calcChain.xml"),
                    (f"rId{nxt + 2}", REL + "customXml", "../customXml/item1.xml")]
    if comment and threaded:
        wb_rel_list.append((f"rId{nxt + 3}", _TC_REL + "person", "persons/person.xml"))
    parts["xl/_rels/workbook.xml.rels"] = _rels_xml(wb_rel_list).encode("utf-8")
    parts["xl/calcChain.xml"] = (
        _DECL + '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<c r="{formula_cell}" i="{intro_index}" l="1"/></calcChain>').encode("utf-8")
    parts["customXml/item1.xml"] = _CUSTOM_ITEM.encode("utf-8")
    parts["customXml/itemProps1.xml"] = _CUSTOM_PROPS.encode("utf-8")
    parts["customXml/_rels/item1.xml.rels"] = _rels_xml(
        [("rId1", REL + "customXmlProps", "itemProps1.xml")]).encode("utf-8")
    titles = "".join(f"<vt:lpstr>{n}</vt:lpstr>" for n, _ in sheets)
    parts["docProps/app.xml"] = (
        _DECL + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
        '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>工作表</vt:lpstr></vt:variant>'
        f'<vt:variant><vt:i4>{len(sheets)}</vt:i4></vt:variant></vt:vector></HeadingPairs>'
        f'<TitlesOfParts><vt:vector size="{len(sheets)}" baseType="lpstr">{titles}</vt:vector></TitlesOfParts>'
        "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
        "<AppVersion>16.0300</AppVersion></Properties>").encode("utf-8")

    # content types as Excel writes them: bin is printer settings by default, the VBA project an Override
    ov = {"/xl/workbook.xml": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
          "/xl/vbaProject.bin": "application/vnd.ms-office.vbaProject",
          "/xl/styles.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
          "/xl/theme/theme1.xml": "application/vnd.openxmlformats-officedocument.theme+xml",
          "/xl/sharedStrings.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
          "/xl/calcChain.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml",
          "/customXml/itemProps1.xml": "application/vnd.openxmlformats-officedocument.customXmlProperties+xml",
          "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
          "/docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml"}
    for _, part in sheets:
        ov["/" + part] = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    for k in range(len(macros)):
        ov[f"/xl/ctrlProps/ctrlProp{k + 1}.xml"] = "application/vnd.ms-excel.controlproperties+xml"
    if comment:
        ov["/xl/comments1.xml"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
    if comment and threaded:
        ov["/xl/threadedComments/threadedComment1.xml"] = "application/vnd.ms-excel.threadedcomments+xml"
        ov["/xl/persons/person.xml"] = "application/vnd.ms-excel.person+xml"
    for p in parts:
        if p.startswith("xl/charts/") or p.startswith("xl/drawings/drawing"):
            if p.endswith(".xml") and "/_rels/" not in p:
                kind = "drawingml.chart" if "/charts/" in p else "drawing"
                ov["/" + p] = f"application/vnd.openxmlformats-officedocument.{kind}+xml"
    parts["[Content_Types].xml"] = (
        _DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"/>'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{k}" ContentType="{v}"/>' for k, v in ov.items()) + "</Types>"
    ).encode("utf-8")

    order = ["[Content_Types].xml", "_rels/.rels"] + sorted(p for p in parts if p not in
                                                             ("[Content_Types].xml", "_rels/.rels"))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in order:
            zf.writestr(zipfile.ZipInfo(p, (1980, 1, 1, 0, 0, 0)), parts[p], zipfile.ZIP_DEFLATED)
    return out


def raw_relationships(parts: dict[str, bytes], part: str) -> list[tuple[str, str, str]]:
    rp = _rels_path(part)
    if rp not in parts:
        return []
    return [(r.get("Id"), r.get("Type"), r.get("Target")) for r in ET.fromstring(parts[rp])]


def relationships_from(parts: dict[str, bytes], part: str) -> dict[str, str]:
    return {rid: _resolve(part, target) for rid, _, target in raw_relationships(parts, part)}


# --------------------------------------------------------------------------
# openxml-audit (PyPI): a pure-Python port of the Open XML SDK validator
# --------------------------------------------------------------------------


def _font_child_order(e) -> bool:
    return (e.part_uri == "/xl/styles.xml" and re.search(r"/fonts\[\d+\]/font\[\d+\]$", e.path or "") is not None
            and e.description.startswith("Unexpected element"))


# Findings that are not problems of the file, each with why:
KNOWN_FALSE_POSITIVES = [
    ("font child order in styles.xml", _font_child_order,
     "ECMA-376 Part 1 §18.8.22 declares CT_Font as <xsd:choice maxOccurs=\"unbounded\"> over b, i, strike, "
     "condense, extend, outline, shadow, u, vertAlign, sz, color, name, family, charset, scheme: its children "
     "may come in any order. The Open XML SDK, and this port of it, model CT_Font as a sequence and flag "
     "openpyxl's order (name, charset, family, b, i, ..., color, sz ...). Excel opens such files without repair; "
     "openpyxl-written workbooks are everywhere."),
]


def audit(path: Path) -> tuple[list, list, list]:
    """(errors, known false positives, warnings) of openxml-audit for ``path``.

    Warnings are listed, not failed: the one openpyxl's files carry is
    ``Excel_InlineStrCells`` (openpyxl writes ``t="inlineStr"`` cells, which
    ECMA-376 allows; Excel moves them to a shared string table on its next
    save)."""
    from openxml_audit import OpenXmlValidator

    result = OpenXmlValidator(max_errors=2000).validate(str(path))
    errors, known, warnings = [], [], []
    for e in result.errors:
        if e.severity.value != "error":
            warnings.append(e)
        elif any(match(e) for _, match, _ in KNOWN_FALSE_POSITIVES):
            known.append(e)
        else:
            errors.append(e)
    return errors, known, warnings


def audit_errors(path: Path) -> list[str]:
    return [str(e) for e in audit(path)[0]]
