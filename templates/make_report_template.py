"""Build ``report_template.docx``, the Word template of the supervision report.

Run it from the repository root to rebuild the shipped template::

    python templates/make_report_template.py            # writes templates/report_template.docx
    python templates/make_report_template.py 我的模板.docx

The report (duban.report) takes every look from the template's styles, so staff can
restyle the .docx in Word (fonts, sizes, spacing, margins, the footer) without
touching code, and hand it to ``duban report --template``. The styles are:

===============  =============================================================
Title            report title: 方正小标宋简体 二号 (22 pt), centred
Heading 1        一级标题 "一、…": 黑体 三号
Heading 2        二级标题 "（一）…": 楷体_GB2312 三号
Body Text        正文: 仿宋_GB2312 三号, fixed 28 pt lines, first line indented two characters
发文机关          the issuing office above the title
主送机关          the addressee ("区政府：")
附件说明          the 附件 list after the text
落款              signature and date
附件标记          "附件1" above each annex table (黑体)
附件标题          the annex table's title
表格表头 / 表格正文  annex table header and cells (smaller size)
页码              the page number "— 1 —" in the footer
Table Grid       the annex tables' borders
===============  =============================================================

Page setup follows GB/T 9704: A4, margins top 3.7 cm, bottom 3.5 cm, left 2.8 cm,
right 2.6 cm; page numbers 四号 宋体 "— 1 —", right on odd pages and left on even pages.
East Asian font names live in ``w:rFonts/@w:eastAsia``; the font table names a
fallback (``w:altName``) for each official font so Word/WPS/LibreOffice substitute
宋体/仿宋/楷体 on machines without the GB2312 fonts.
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

# Official fonts and the font each falls back to when absent.
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEI_FONT = "黑体"
KAI_FONT = "楷体_GB2312"
SONG_FONT = "宋体"
LATIN_FONT = "Times New Roman"
FALLBACKS = {TITLE_FONT: SONG_FONT, BODY_FONT: "仿宋", KAI_FONT: "楷体", HEI_FONT: "SimHei", SONG_FONT: "SimSun"}

BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
LINE_PT = 28  # fixed line spacing of the text
TABLE_PT = 11
TABLE_HEAD_PT = 12
PAGE_NUMBER_PT = 14  # 四号

MARGINS_CM = {"top": 3.7, "bottom": 3.5, "left": 2.8, "right": 2.6}

# (name, base, east-asian font, size pt, options)
PARAGRAPH_STYLES = [
    ("Normal", None, BODY_FONT, BODY_PT, {"line": LINE_PT, "align": "both"}),
    ("Body Text", "Normal", BODY_FONT, BODY_PT, {"line": LINE_PT, "align": "both", "first_chars": 2}),
    ("Title", "Normal", TITLE_FONT, TITLE_PT, {"line": 36, "align": "center", "after": LINE_PT}),
    ("Heading 1", "Normal", HEI_FONT, BODY_PT, {"line": LINE_PT, "first_chars": 2, "outline": 0, "keep_next": True}),
    ("Heading 2", "Normal", KAI_FONT, BODY_PT, {"line": LINE_PT, "first_chars": 2, "outline": 1, "keep_next": True}),
    ("发文机关", "Normal", TITLE_FONT, 26, {"line": 40, "align": "center", "color": "FF0000", "after": 12,
                                      "rule": "FF0000"}),
    ("主送机关", "Normal", BODY_FONT, BODY_PT, {"line": LINE_PT, "align": "left"}),
    ("附件说明", "Body Text", BODY_FONT, BODY_PT, {"line": LINE_PT, "align": "left", "before": LINE_PT,
                                             "left_chars": 6, "hanging_chars": 4, "keep_next": True}),
    ("落款", "Normal", BODY_FONT, BODY_PT, {"line": LINE_PT, "align": "right", "right_chars": 4, "keep_next": True}),
    ("附件标记", "Normal", HEI_FONT, BODY_PT, {"line": LINE_PT, "align": "left"}),
    ("附件标题", "Normal", TITLE_FONT, 18, {"line": 30, "align": "center", "after": 14, "keep_next": True}),
    ("表格表头", "Normal", HEI_FONT, TABLE_HEAD_PT, {"line": 16, "align": "center", "keep_next": True}),
    ("表格正文", "Normal", BODY_FONT, TABLE_PT, {"line": 15, "align": "left"}),
    ("页码", "Normal", SONG_FONT, PAGE_NUMBER_PT, {"line": 18}),
]

STYLE_NAMES = [s[0] for s in PARAGRAPH_STYLES] + ["Table Grid"]


def set_run_fonts(rpr, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set w:rFonts explicitly (eastAsia included) and drop any theme font that would win."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:hint"), "eastAsia")


def chars_indent(ppr, *, first: float = 0, left: float = 0, right: float = 0, hanging: float = 0,
                  pt: float = BODY_PT) -> None:
    """Indents in character units (w:firstLineChars …) with twip values for readers that ignore them."""
    ind = ppr.find(qn("w:ind"))
    if ind is not None:
        ppr.remove(ind)
    ind = OxmlElement("w:ind")
    tw = lambda chars: str(int(round(chars * pt * 20)))  # noqa: E731
    if left:
        ind.set(qn("w:leftChars"), str(int(left * 100)))
        ind.set(qn("w:left"), tw(left))
    if right:
        ind.set(qn("w:rightChars"), str(int(right * 100)))
        ind.set(qn("w:right"), tw(right))
    if hanging:
        ind.set(qn("w:hangingChars"), str(int(hanging * 100)))
        ind.set(qn("w:hanging"), tw(hanging))
    elif first:
        ind.set(qn("w:firstLineChars"), str(int(first * 100)))
        ind.set(qn("w:firstLine"), tw(first))
    else:
        ind.set(qn("w:firstLineChars"), "0")
        ind.set(qn("w:firstLine"), "0")
    ppr.append(ind)


def _reset(style) -> None:
    """Forget the default template's look (theme fonts, colours, borders, spacing) for a style."""
    el = style.element
    for tag in ("w:pPr", "w:rPr", "w:link"):
        old = el.find(qn(tag))
        if old is not None:
            el.remove(old)


def define_style(doc, name, base, east, size, opt, *, overwrite: bool = True):
    styles = doc.styles
    try:
        style = styles[name]
        if not overwrite:
            return style
        _reset(style)
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.hidden = False
    style.quick_style = True
    if base:
        style.base_style = styles[base]
    font = style.font
    font.size = Pt(size)
    font.bold = False
    font.italic = False
    font.color.rgb = RGBColor.from_string(opt.get("color", "000000"))
    set_run_fonts(style.element.get_or_add_rPr(), east)
    rpr = style.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    pf = style.paragraph_format
    pf.line_spacing = Pt(opt["line"])
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.space_before = Pt(opt.get("before", 0))
    pf.space_after = Pt(opt.get("after", 0))
    pf.alignment = {
        "both": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
        "left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[opt.get("align", "both")]
    pf.keep_with_next = opt.get("keep_next", False)
    pf.keep_together = opt.get("keep_next", False)
    pf.widow_control = False
    ppr = style.element.get_or_add_pPr()
    chars_indent(ppr, first=opt.get("first_chars", 0), left=opt.get("left_chars", 0),
                  right=opt.get("right_chars", 0), hanging=opt.get("hanging_chars", 0), pt=size)
    if "outline" in opt:
        ol = OxmlElement("w:outlineLvl")
        ol.set(qn("w:val"), str(opt["outline"]))
        ppr.append(ol)
    if "rule" in opt:  # a rule under the office's name, as on an official letterhead
        ppr.append(parse_xml(
            f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="18" w:space="8" w:color="{opt["rule"]}"/></w:pBdr>'))
    order_ppr(ppr)
    return style


_PPR_ORDER = ["w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
              "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
              "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
              "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
              "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
              "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange"]


def order_ppr(ppr) -> None:
    """Keep w:pPr children in schema order (Word refuses files where they are not)."""
    rank = {qn(t): i for i, t in enumerate(_PPR_ORDER)}
    children = list(ppr)
    for c in children:
        ppr.remove(c)
    for c in sorted(children, key=lambda c: rank.get(c.tag, 99)):
        ppr.append(c)


def define_table_style(doc, *, overwrite: bool = True) -> None:
    """Table Grid: thin black borders all round, small cell margins."""
    styles = doc.styles
    try:
        style = styles["Table Grid"]
        if not overwrite:
            return
    except KeyError:
        style = styles.add_style("Table Grid", WD_STYLE_TYPE.TABLE)
    el = style.element
    old = el.find(qn("w:tblPr"))
    if old is not None:
        el.remove(old)
    tblpr = parse_xml(
        f'<w:tblPr {nsdecls("w")}><w:tblInd w:w="0" w:type="dxa"/>'
        '<w:tblBorders>'
        + "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                  for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        + '</w:tblBorders><w:tblCellMar><w:top w:w="28" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
          '<w:bottom w:w="28" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar></w:tblPr>')
    ppr = el.find(qn("w:pPr"))
    rpr = el.find(qn("w:rPr"))
    anchor = rpr if rpr is not None else ppr
    if anchor is not None:
        anchor.addnext(tblpr)
    else:
        el.append(tblpr)
    # The default template's Table Grid sets 0 after-spacing and single lines: keep the cells' own style.
    if ppr is not None:
        el.remove(ppr)


def define_styles(doc, *, overwrite: bool = True) -> None:
    """Give ``doc`` every style the report uses (``overwrite=False``: only the missing ones)."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if overwrite and defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        set_run_fonts(rpr, BODY_FONT)
        lang = rpr.find(qn("w:lang"))
        if lang is not None:
            lang.set(qn("w:eastAsia"), "zh-CN")
        for sz in (rpr.find(qn("w:sz")), rpr.find(qn("w:szCs"))):
            if sz is not None:
                sz.set(qn("w:val"), str(BODY_PT * 2))
        pprd = defaults.find(qn("w:pPrDefault") + "/" + qn("w:pPr"))
        if pprd is not None:
            sp = pprd.find(qn("w:spacing"))
            if sp is not None:
                pprd.remove(sp)
    # Body Text first: other styles name it as their next style.
    order = sorted(PARAGRAPH_STYLES, key=lambda s: (s[0] not in ("Normal", "Body Text"),))
    for name, base, east, size, opt in order:
        define_style(doc, name, base, east, size, opt, overwrite=overwrite)
    if overwrite:
        for name in ("Title", "Heading 1", "Heading 2", "主送机关", "Body Text"):
            doc.styles[name].next_paragraph_style = doc.styles["Body Text"]
    define_table_style(doc, overwrite=overwrite)


def set_page(section, *, landscape: bool = False) -> None:
    """A4 with the official margins (landscape keeps the same margins on the turned page)."""
    from docx.enum.section import WD_ORIENT

    w, h = Cm(21.0), Cm(29.7)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (h, w) if landscape else (w, h)
    section.top_margin = Cm(MARGINS_CM["top"])
    section.bottom_margin = Cm(MARGINS_CM["bottom"])
    section.left_margin = Cm(MARGINS_CM["left"])
    section.right_margin = Cm(MARGINS_CM["right"])
    section.header_distance = Cm(1.5)
    section.footer_distance = Cm(2.2)
    section.gutter = Cm(0)


def _page_field(paragraph) -> None:
    """"— PAGE —": an em dash, the PAGE field, an em dash."""
    p = paragraph._p
    p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t xml:space="preserve">— </w:t></w:r>'))
    p.append(parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="begin"/></w:r>'))
    p.append(parse_xml(f'<w:r {nsdecls("w")}><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'))
    p.append(parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="separate"/></w:r>'))
    p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t>1</w:t></w:r>'))
    p.append(parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="end"/></w:r>'))
    p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t xml:space="preserve"> —</w:t></w:r>'))


def page_footers(doc, section) -> None:
    """Page numbers: odd pages on the right, even pages on the left, one character in."""
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        for r in list(p.runs):
            r._r.getparent().remove(r._r)
        p.style = doc.styles["页码"]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if align == "right" else WD_ALIGN_PARAGRAPH.LEFT
        ppr = p._p.get_or_add_pPr()
        if align == "right":
            chars_indent(ppr, right=1, pt=PAGE_NUMBER_PT)
        else:
            chars_indent(ppr, left=1, pt=PAGE_NUMBER_PT)
        order_ppr(ppr)
        _page_field(p)


def font_fallbacks(doc) -> None:
    """Declare the official fonts in the font table with a fallback name (w:altName)."""
    part = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    root = parse_xml(part.blob)
    have = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt in FALLBACKS.items():
        if name in have:
            continue
        root.append(parse_xml(
            f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/>'
            '<w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'))
    from lxml import etree

    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def chinese_settings(doc) -> None:
    """Document language zh-CN (line breaking and punctuation rules)."""
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is None:
        lang = OxmlElement("w:themeFontLang")
        settings.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


SAMPLE = [
    ("发文机关", "区政府督查办"),
    ("Title", "关于2022年区政府工作报告重点任务1-6月推进情况的报告"),
    ("主送机关", "区政府："),
    ("Body Text", "这是报告模板：duban 生成报告时清空正文，只保留这里的样式、页面设置和页脚。"
                  "在 Word 中修改样式（字体、字号、行距、缩进）即可改变报告的样子，不必改代码。"),
    ("Heading 1", "一、一级标题（黑体）"),
    ("Heading 2", "（一）二级标题（楷体_GB2312）"),
    ("Body Text", "正文为仿宋_GB2312三号，固定行距28磅，首行缩进两字。"),
    ("附件说明", "附件：1．附件说明"),
    ("落款", "区政府督查办"),
    ("落款", "2022年7月8日"),
    ("附件标记", "附件1"),
    ("附件标题", "附件表格标题"),
    ("表格表头", "表格表头（黑体）"),
    ("表格正文", "表格正文（仿宋_GB2312，小一些）"),
]


def build_template(path: Path) -> Path:
    doc = Document()
    for p in list(doc.paragraphs):
        p._p.getparent().remove(p._p)
    define_styles(doc)
    section = doc.sections[0]
    set_page(section)
    page_footers(doc, section)
    font_fallbacks(doc)
    chinese_settings(doc)
    props = doc.core_properties
    props.title = "督办报告模板"
    props.author = "duban"
    props.comments = "由 templates/make_report_template.py 生成；可在 Word 中修改样式"
    for style, text in SAMPLE:
        doc.add_paragraph(text, style=style)
    table = doc.add_table(rows=2, cols=2)
    table.style = doc.styles["Table Grid"]
    for r, style in enumerate(("表格表头", "表格正文")):
        for c in range(2):
            table.cell(r, c).paragraphs[0].text = style
            table.cell(r, c).paragraphs[0].style = doc.styles[style]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("report_template.docx")
    print(build_template(target))
