"""The period's supervision report as an official-style Word document.

Everything is built from a :class:`~duban.model.Master` (pure): :func:`report_facts`
classifies the items by their effective status (the manual override wins),
the ``*_text`` functions write the Chinese sentences, :func:`build_report` lays them
out in a python-docx Document whose look comes entirely from the template's styles
(``templates/report_template.docx``, built by ``templates/make_report_template.py``).
:func:`write_report` does the file I/O; :func:`convert_to_pdf` runs LibreOffice.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date as Date
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

from .annex import (DONE, IND_MET, IND_MISSED, IND_ON_TIME, LAGGING, MANUAL, NOT_REPORTED, ON_TRACK, UNJUDGED,
                    AnnexTable, Labelled, annex_tables, group_by_status, tidy, write_annex_xlsx)
from .dashboard import Returns, percent, returns_for
from .errors import DubanError
from .model import INDICATOR_STATUSES, TASK_STATUSES, Indicator, Master, Period, Task
from .store import strip_illegal

TEMPLATE = "report_template.docx"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
CN_NUM = "一二三四五六七八九十"


class ReportError(DubanError):
    "The report cannot be made (template, conversion)"


# ---------------------------------------------------------------------------
# facts
# ---------------------------------------------------------------------------

@dataclass
class ReportFacts:
    master: Master
    period: Period
    indicators: dict[str, list[Indicator]]  # effective status → indicators, report order
    tasks: dict[str, list[Task]]  # effective status → tasks
    tables: list[AnnexTable]
    returns: Returns
    office: str
    annex_no: dict[str, int] = field(default_factory=dict)  # table key → 附件 number

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def lagging(self) -> list[Task]:
        return self.tasks.get(LAGGING, [])

    def count(self, status: str) -> int:
        return len(self.tasks.get(status, []))

    @property
    def unjudged(self) -> int:
        return len(self.tasks.get(UNJUDGED, [])) + len(self.indicators.get(UNJUDGED, []))


def report_facts(master: Master, period: str | None = None) -> ReportFacts:
    p = master.period(period)
    tables = annex_tables(master, p.label)
    tasks = sorted(master.tasks, key=lambda t: t.id)
    inds = sorted(master.indicators, key=lambda i: i.id)
    facts = ReportFacts(
        master, p,
        group_by_status(inds, p.label, INDICATOR_STATUSES + (UNJUDGED,)),
        group_by_status(tasks, p.label, TASK_STATUSES + (UNJUDGED,)),
        tables, returns_for(master, p.label),
        (master.settings.get("office") or "").strip() or "区政府督查办",
    )
    facts.annex_no = {t.key: t.number for t in tables}
    return facts


# ---------------------------------------------------------------------------
# sentences
# ---------------------------------------------------------------------------

_SENT_RE = re.compile(r"[。；;！!？?\n]+")
_CLAUSE_RE = re.compile(r"[。；;！!？?\n，,]+")
_DIGIT_RE = re.compile(r"\d")
_LABEL_RE = re.compile(r"^\s*(?:【[^】]{1,30}】|[^：:\s]{2,20}[：:])\s*")
_VERBS = ("增长", "下降", "完成", "达到", "控制", "不低于", "不超过", "突破", "保持", "提高", "降低", "实现",
          "年均", "新增", "稳定", "确保", "低于", "高于")
_VERB_RE = re.compile("|".join(_VERBS))


def report_date(d: Date | None = None) -> str:
    d = d or Date.today()
    return f"{d.year}年{d.month}月{d.day}日"


def title_text(f: ReportFacts) -> str:
    return f"关于{f.master.year}年区政府工作报告重点任务{f.label}推进情况的报告"


def _units_text(names: list[str], limit: int = 8) -> str:
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等{len(names)}个单位"


def opening_text(f: ReportFacts) -> str:
    m = f.master
    parts = []
    what = []
    if m.indicators:
        what.append(f"{len(m.indicators)}项经济社会发展预期目标")
    if m.tasks:
        what.append(f"{len(m.tasks)}项重点工作任务")
    parts.append(f"根据区政府工作安排，{f.office}对{m.year}年区政府工作报告确定的{'和'.join(what) or '目标任务'}"
                 f"{f.label}推进情况进行了跟踪督办。")
    rt = f.returns
    n = len(rt.recipients)
    if not rt.returned and not rt.logged:
        parts.append(f"本期向{n}个责任单位收集进展情况，报送记录中尚无本期报送材料，以下情况依据主表已录入的进展整理。")
    elif not rt.outstanding:
        parts.append(f"本期向{n}个责任单位收集进展情况，{len(rt.returned)}个单位均已报送。")
    else:
        out = rt.outstanding
        parts.append(f"本期向{n}个责任单位收集进展情况，已收到{len(rt.returned)}个单位报送的材料（报送率{percent(rt.rate)}），"
                     f"{_units_text(out)}尚未报送。")
    parts.append("经逐项梳理研判，现将有关情况报告如下。")
    return "".join(parts)


_DATE_RE = re.compile(r"\d{1,4}年(?:\d{1,2}月)?|\d{1,2}月(?:\d{1,2}日)?(?:底|末|份|初|中旬|上旬|下旬)?|\d{1,2}日")


def has_figure(text: str) -> bool:
    """True when the text holds a number that is not part of a date ("截至6月底" has none)."""
    return bool(_DIGIT_RE.search(_DATE_RE.sub("", text)))


def first_clause_with_number(text: str) -> str:
    for c in _CLAUSE_RE.split(text or ""):
        c = _LABEL_RE.sub("", c.strip())
        if c and has_figure(c):
            return c
    return ""


def _first_clause(text: str) -> str:
    for c in _CLAUSE_RE.split(text or ""):
        c = _LABEL_RE.sub("", c.strip())
        if c:
            return c
    return ""


def indicator_phrase(ind: Indicator, period: str) -> str:
    """"上半年地区生产总值同比增长3.2%（年度目标增长5.5%左右）": the indicator with its figure."""
    target = tidy(ind.target)
    m = _VERB_RE.search(target)
    subject = target[:m.start()].strip() if m and m.start() > 0 else target
    goal = target[len(subject):].strip() if subject != target else ""
    e = ind.periods.get(period)
    progress = tidy(e.progress) if e else ""
    amount = tidy(e.amount) if e else ""
    clause = first_clause_with_number(progress)
    if not clause and amount:
        if re.fullmatch(r"[-+]?\d+(?:\.\d+)?%?", amount) and goal[:2] in _VERBS:
            clause = f"{goal[:2]}{amount}"
        else:
            clause = f"实际值{amount}"
    if not clause:
        clause = _first_clause(progress)
    if not clause:
        return target
    if subject and subject[:2] not in clause:
        clause = f"{subject}{clause}" if clause[:2] in _VERBS or clause.startswith("实际值") else f"{subject}：{clause}"
    if goal and _DIGIT_RE.search(goal):
        clause += f"（年度目标{goal}）"
    return clause


IND_CLASS = {
    IND_MET: "{n}项指标符合预期",
    IND_MISSED: "{n}项指标不达预期",
    IND_ON_TIME: "{n}项指标符合时间节点要求",
    NOT_REPORTED: "{n}项指标未报送进展情况",
    "需人工研判": "{n}项指标需人工研判",
    UNJUDGED: "{n}项指标尚未研判",
}


def indicator_text(f: ReportFacts) -> str:
    """"1-6月，①3项指标符合预期，分别是：…；②…（详见附件1）。" — empty classes left out."""
    pieces = []
    for k, (status, items) in enumerate(f.indicators.items()):
        head = IND_CLASS.get(status, "{n}项指标研判为“" + status + "”").format(n=len(items))
        if status in (NOT_REPORTED, UNJUDGED):
            names = [tidy(i.target) for i in items]
        else:
            names = [indicator_phrase(i, f.label) for i in items]
        lead = "分别是：" if len(items) > 1 else "即"
        num = "" if len(f.indicators) == 1 else CIRCLED[k] if k < len(CIRCLED) else f"（{k + 1}）"
        pieces.append(f"{num}{head}，{lead}{'、'.join(names)}")
    ref = f"（详见附件{f.annex_no['indicators']}）" if "indicators" in f.annex_no else ""
    return f"{f.label}，" + "；".join(pieces) + f"{ref}。"


def task_text(f: ReportFacts) -> list[str]:
    """The counts sentence of section 二 (and where the unusual statuses went)."""
    m = len(f.master.tasks)
    if not m:
        return ["本期没有重点工作任务。"]
    others = f.annex_no.get("others")
    lag_no = f.annex_no.get("lagging")
    main = []
    on_track = [f"{f.count(s)}项任务{s}" for s in (DONE, ON_TRACK) if f.count(s)]
    if on_track:
        on_track[-1] += f"（详见附件{others}）"
        main += on_track
    if f.count(LAGGING):
        main.append(f"{f.count(LAGGING)}项任务推进较为滞后（详见附件{lag_no}）")
    rest = [(s, len(v)) for s, v in f.tasks.items() if s not in (DONE, ON_TRACK, LAGGING)]
    out = []
    if main:
        sentence = f"{m}项重点工作任务中，" + "，".join(main)
        if not f.count(LAGGING):
            sentence += "，暂无推进较为滞后的任务"
        out.append(sentence + "。")
    if rest:
        what = "、".join(
            f"{n}项任务" + ("未报送进展情况" if s == NOT_REPORTED else s if s in (MANUAL, UNJUDGED) else f"研判为“{s}”")
            for s, n in rest)
        prefix = "另有" if main else f"{m}项重点工作任务中，"
        out.append(f"{prefix}{what}，已列入附件{others}，并在“任务进展情况”栏注明。")
    return out


_UNIT_LABEL_RE = re.compile(r"^\s*【([^】]{1,30})】")
_EVIDENCE_RE = re.compile(r"“([^”]{2,20})”")


def _labelled_sentences(progress: str) -> list[tuple[str, str]]:
    """(unit, sentence) pairs; unit is the 【label】 of the line a sentence is on ('' if none)."""
    out = []
    for line in progress.split("\n"):
        m = _UNIT_LABEL_RE.match(line)
        unit = m.group(1) if m else ""
        for s in _SENT_RE.split(line):
            s = _LABEL_RE.sub("", s.strip())
            if s:
                out.append((unit, s))
    return out


def key_sentence(task: Task, period: str, limit: int = 120) -> str:
    """The task's key progress in one sentence.

    The sentence holding the evidence the engine's reason quotes (“进度滞后”, “尚未开工”…)
    when there is one, naming its unit when several report; else the first sentence with
    a number, else the first one.
    """
    e = task.periods.get(period)
    pairs = _labelled_sentences(tidy(e.progress) if e else "")
    evidence = _EVIDENCE_RE.findall(e.reason or "") if e else []
    hit = next(((u, s) for u, s in pairs if any(w in s for w in evidence)), None)
    if hit:
        unit, pick = hit
        if unit and len({u for u, _ in pairs if u}) > 1:
            pick = f"{unit}：{pick}"
    else:
        sentences = [s for _, s in pairs]
        pick = next((s for s in sentences if has_figure(s)), sentences[0] if sentences else "")
    if not pick and e and e.reason:
        pick = tidy(e.reason)
    if not pick:
        pick = "未报送进展情况"
    pick = pick.strip(" ，,。；;")
    if len(pick) > limit:
        cut = pick[:limit]
        comma = cut.rfind("，")
        pick = (cut[:comma] if comma > limit // 2 else cut) + "……"
    return pick + "。" if not pick.endswith("……") else pick


def lagging_items(f: ReportFacts) -> list[str]:
    out = []
    for n, t in enumerate(f.lagging, start=1):
        task = tidy(t.task).rstrip("。；;，, ")
        units = "、".join(tidy(u) for u in t.lead) or "未明确"
        out.append(f"{n}．{task}。{key_sentence(t, f.label)}（责任单位：{units}）")
    return out


def annex_list(f: ReportFacts) -> list[str]:
    return [f"{t.number}．{t.title}" for t in f.tables]


# ---------------------------------------------------------------------------
# the document
# ---------------------------------------------------------------------------

def template_path(template: Path | None = None) -> Path:
    if template:
        template = Path(template)
        if not template.exists():
            raise ReportError(f"找不到报告模板：{template}")
        return template
    return Path(str(resources.files("duban.templates").joinpath(TEMPLATE)))


def _open_template(template: Path | None):
    import docx

    path = template_path(template)
    try:
        doc = docx.Document(str(path))
    except Exception as exc:
        raise ReportError(f"无法打开报告模板 {path.name}：{type(exc).__name__}") from exc
    from duban.templates.make_report_template import define_styles

    define_styles(doc, overwrite=False)  # a staff template missing a style still works
    # Word 2010's stylesWithEffects.xml copy of the styles is stale once styles change (Word 2010 may
    # then report unreadable content; later Word versions neither write nor need it): drop it
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rid)
    body = doc.element.body
    for child in list(body):
        if child.tag != _w("sectPr"):
            body.remove(child)
    return doc


def _w(tag: str) -> str:
    return "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}" + tag


def _char_width(text: str, autospace: bool = False) -> float:
    """Width in characters of the body font: CJK 1, Latin digits and letters ½
    (plus the quarter-character Word and LibreOffice put between CJK and Latin text)."""
    narrow = len(text.encode("ascii", "ignore"))
    width = len(text) - 0.5 * narrow
    if autospace:
        width += 0.25 * sum((ord(a) > 0x2e80) != (ord(b) > 0x2e80) for a, b in zip(text, text[1:]))
    return width


def _signature(doc, office: str, when: str) -> None:
    """Office and date per GB/T 9704 (no seal): office 2 characters in from the right,
    the date below it starting 2 characters right of the office's first character."""
    from docx.shared import Pt

    style = doc.styles["落款"]
    size = style.font.size.pt if style.font.size else 16
    wo, wd = _char_width(office, True), _char_width(when, True)
    if wo - wd >= 2:
        ro, rd = 2.0, wo - wd
    else:
        rd, ro = 2.0, 4.0 + wd - wo
    for text, right, before in ((office, ro, 2), (when, rd, 0)):
        p = doc.add_paragraph(text, style="落款")
        p.paragraph_format.keep_with_next = bool(before)  # the office stays with the date, never alone
        if before:
            p.paragraph_format.space_before = Pt(28 * before)
        _indent(p, right=right, pt=size)


def _indent(paragraph, **chars) -> None:
    """Direct indent in character units (they win over a style's twips in Word)."""
    from duban.templates.make_report_template import chars_indent, order_ppr

    ppr = paragraph._p.get_or_add_pPr()
    chars_indent(ppr, **chars)
    order_ppr(ppr)


def _section_width_twips(section) -> int:
    return int((section.page_width - section.left_margin - section.right_margin) / 635)  # EMU → twips


def _landscape_section(doc):
    from docx.enum.section import WD_ORIENT, WD_SECTION

    first = doc.sections[0]
    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    sec.orientation = WD_ORIENT.LANDSCAPE
    w, h = first.page_width, first.page_height
    sec.page_width, sec.page_height = max(w, h), min(w, h)
    for attr in ("top_margin", "bottom_margin", "left_margin", "right_margin", "header_distance", "footer_distance"):
        setattr(sec, attr, getattr(first, attr))
    return sec


def _run(text: str, bold: bool = False) -> str:
    text = escape(strip_illegal(text))
    rpr = "<w:rPr><w:b/><w:bCs/></w:rPr>" if bold else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r>'


def _paras(cell, style_id: str, center: bool) -> str:
    jc = '<w:jc w:val="center"/>' if center else ""
    ppr = f'<w:pPr><w:pStyle w:val="{style_id}"/>{jc}</w:pPr>'
    if isinstance(cell, Labelled):
        text_lines = cell.text.split("\n") if cell.text else [""]
        first = _run(cell.label, bold=True) + (_run(text_lines[0]) if text_lines[0] else "")
        out = [f"<w:p>{ppr}{first}</w:p>"]
        out += [f"<w:p>{ppr}{_run(x)}</w:p>" for x in text_lines[1:] if x]
        return "".join(out)
    items = cell if isinstance(cell, list) else (cell.split("\n") if cell else [])
    if not items:
        return f"<w:p>{ppr}</w:p>"
    return "".join(f"<w:p>{ppr}{_run(x)}</w:p>" for x in items)


def _est_lines(cell, width_twips: int, pt: float) -> int:
    from .annex import cell_text

    per_line = max(1.0, width_twips / (pt * 20) - 0.6)
    return sum(max(1, -(-int(_char_width(x) + 0.999) // int(per_line))) for x in cell_text(cell).split("\n"))


def table_xml(doc, table: AnnexTable, width_twips: int, rows_per_page: int = 22) -> str:
    """The annex table as WordprocessingML: header repeated on every page, rows kept whole
    (a row too tall for a page may break, or it would be cut off)."""
    styles = doc.styles
    tbl_style = styles["Table Grid"].style_id
    head_style = styles["表格表头"].style_id
    body_style = styles["表格正文"].style_id
    body_pt = styles["表格正文"].font.size.pt if styles["表格正文"].font.size else 11
    widths = [int(width_twips * w) for w in table.widths]
    widths[-1] = width_twips - sum(widths[:-1])
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    out = [f'<w:tbl xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           f'<w:tblPr><w:tblStyle w:val="{tbl_style}"/><w:tblW w:w="{width_twips}" w:type="dxa"/>'
           f'<w:jc w:val="center"/><w:tblLayout w:type="fixed"/>'
           f'<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
           f'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>']

    def tc(cell, w, style_id, center):
        return (f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
                f"{_paras(cell, style_id, center)}</w:tc>")

    out.append('<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>'
               + "".join(tc(h, w, head_style, True) for h, w in zip(table.headers, widths)) + "</w:tr>")
    for row in table.rows:
        lines = max(_est_lines(c, w, body_pt) for c, w in zip(row, widths))
        keep = "<w:cantSplit/>" if lines <= rows_per_page else ""
        out.append(f"<w:tr><w:trPr>{keep}</w:trPr>"
                   + "".join(tc(c, w, body_style, i in table.center_cols) for i, (c, w) in enumerate(zip(row, widths)))
                   + "</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def build_report(master: Master, period: str | None = None, *, template: Path | None = None,
                 date: Date | None = None, facts: ReportFacts | None = None):
    """The report as a python-docx Document (nothing is written to disk)."""
    from docx.oxml import parse_xml

    f = facts or report_facts(master, period)
    doc = _open_template(template)
    style_ids = {s.name: s.style_id for s in doc.styles}

    def add(text: str, style: str):
        p = doc.add_paragraph(text)
        p._p.style = style_ids[style]  # by id: python-docx's lookup by name scans every style each time
        return p

    add(f.office, style="发文机关")
    add(title_text(f), style="Title")
    add("区政府：", style="主送机关")
    add(opening_text(f), style="Body Text")
    sec_no = 0
    if master.indicators:
        add(f"{CN_NUM[sec_no]}、{len(master.indicators)}项经济社会发展预期目标情况", style="Heading 1")
        sec_no += 1
        add(indicator_text(f), style="Body Text")
    add(f"{CN_NUM[sec_no]}、{len(master.tasks)}项重点工作任务进展情况", style="Heading 1")
    items = lagging_items(f)
    if items:
        add("（一）总体情况", style="Heading 2")
    for sentence in task_text(f):
        add(sentence, style="Body Text")
    if items:
        add(f"（二）推进较为滞后的{len(items)}项任务", style="Heading 2")
        for item in items:
            add(item, style="Body Text")
    names = annex_list(f)
    for k, name in enumerate(names):
        p = add(("附件：" if k == 0 else "") + name, style="附件说明")
        if k:  # "2．…" under "1．…": hanging by the number only
            from docx.shared import Pt

            p.paragraph_format.space_before = Pt(0)
            size = doc.styles["附件说明"].font.size
            _indent(p, left=6, hanging=1, pt=size.pt if size else 16)
    _signature(doc, f.office, report_date(date))
    if f.tables:
        sec = _landscape_section(doc)
        width = _section_width_twips(sec)
        body = doc.element.body
        for k, table in enumerate(f.tables):
            mark = add(table.label, style="附件标记")
            if k:
                mark.paragraph_format.page_break_before = True
            add(table.title, style="附件标题")
            body.sectPr.addprevious(parse_xml(table_xml(doc, table, width)))
        # Word needs a paragraph after a table at the end of a section.
        add("", style="表格正文")
    props = doc.core_properties
    props.title = title_text(f)
    props.author = f.office
    props.comments = "由 duban 生成"
    return doc


# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------

@dataclass
class ReportResult:
    facts: ReportFacts
    docx: Path
    xlsx: Path | None = None
    pdf: Path | None = None
    notes: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        f = self.facts
        lines = [f"已生成报告：{self.docx}"]
        if self.xlsx:
            lines.append(f"已生成附件表格：{self.xlsx}")
        if self.pdf:
            lines.append(f"已转换 PDF：{self.pdf}")
        if f.indicators:
            lines.append(f"  预期目标 {sum(len(v) for v in f.indicators.values())} 项："
                         + "，".join(f"{k} {len(v)}" for k, v in f.indicators.items()))
        lines.append(f"  重点任务 {len(f.master.tasks)} 项：" + "，".join(f"{k} {len(v)}" for k, v in f.tasks.items()))
        lines.append("  附件：" + "；".join(f"{t.label} {len(t.rows)} 行" for t in f.tables))
        rt = f.returns
        lines.append(f"  报送：应报 {len(rt.recipients)} 个单位，已报 {len(rt.returned)} 个（{percent(rt.rate)}）")
        lines.extend(self.notes)
        if f.unjudged:
            lines.append(f"注意：有 {f.unjudged} 项尚未研判（系统研判为空），报告中列为“尚未研判”。请先运行 duban status。")
        return lines


def write_report(master: Master, out: Path, period: str | None = None, *, xlsx: Path | None = None,
                 template: Path | None = None, date: Date | None = None) -> ReportResult:
    """Write the .docx (and the annex workbook when ``xlsx`` is given)."""
    out = Path(out)
    if out.suffix.lower() != ".docx":
        raise ReportError(f"报告文件名应以 .docx 结尾：{out.name}")
    if xlsx is not None and Path(xlsx).suffix.lower() != ".xlsx":
        raise ReportError(f"附件表格文件名应以 .xlsx 结尾：{Path(xlsx).name}")
    facts = report_facts(master, period)
    doc = build_report(master, template=template, date=date, facts=facts)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        doc.save(str(out))
        if xlsx is not None:
            write_annex_xlsx(facts.tables, Path(xlsx), office=facts.office)
    except PermissionError as exc:
        raise ReportError(f"无法写入 {Path(exc.filename or out).name}：文件被占用（可能已在 Word/Excel 中打开），请关闭后重试。") from exc
    return ReportResult(facts, out, Path(xlsx) if xlsx is not None else None)


def run_report(master_path: Path, out: Path, period: str | None = None, *, xlsx: Path | None = None,
               pdf: bool = False, template: Path | None = None, date: Date | None = None) -> ReportResult:
    """`duban report`: read the master, write the report (and annexes, PDF), refresh 统计.

    When the master is open elsewhere (Excel, another duban run) the report is still
    made from the file on disk; only the 统计 sheet is left as it was, and a note says so.
    """
    from .dashboard import refresh_dashboard
    from .errors import MasterLocked
    from .master import load_master
    from .store import open_store

    try:
        with open_store(master_path) as store:
            master = load_master(store)
            result = write_report(master, out, period, xlsx=xlsx, template=template, date=date)
            refresh_dashboard(store, master, result.facts.label)
        result.notes.append("已刷新主表“统计”表。")
    except MasterLocked as exc:
        with open_store(master_path, write=False) as store:
            master = load_master(store)
        result = write_report(master, out, period, xlsx=xlsx, template=template, date=date)
        result.notes.append(f"主表正在使用中，未刷新“统计”表（{exc}）")
    if pdf:
        try:
            result.pdf = convert_to_pdf(result.docx)
        except ReportError as exc:
            result.notes.append(f"未生成 PDF：{exc}")
    return result


def find_soffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (r"C:\Program Files\LibreOffice\program\soffice.exe",
                      "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if os.path.exists(candidate):
            return candidate
    return None


def convert_to_pdf(path: Path, outdir: Path | None = None, *, timeout: int = 300) -> Path:
    """Convert a .docx/.xlsx to PDF with LibreOffice headless; the PDF sits beside it by default."""
    path = Path(path)
    soffice = find_soffice()
    if not soffice:
        raise ReportError("未找到 LibreOffice（soffice），未生成 PDF。可在 Word/WPS 中打开报告另存为 PDF。")
    outdir = Path(outdir or path.parent)
    outdir.mkdir(parents=True, exist_ok=True)
    target = outdir / (path.stem + ".pdf")
    target.unlink(missing_ok=True)
    profile = tempfile.mkdtemp(prefix="duban_lo_")
    try:
        proc = subprocess.run(
            [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(outdir), str(path)],
            capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise ReportError(f"LibreOffice 转换 PDF 超时（{timeout} 秒）：{path.name}") from exc
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if not target.exists() or target.stat().st_size == 0:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] or [""]
        raise ReportError(f"LibreOffice 未能把 {path.name} 转换为 PDF。{detail[0]}")
    return target


def render_page_png(pdf: Path, png: Path, *, page: int = 1, dpi: int = 80) -> Path | None:
    """Page ``page`` of a PDF as a PNG (poppler's pdftoppm); None when pdftoppm is absent."""
    exe = shutil.which("pdftoppm")
    if not exe:
        return None
    png = Path(png)
    stem = png.with_suffix("")
    subprocess.run([exe, "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(stem)], capture_output=True, timeout=120, check=False)
    made = stem.with_suffix(".png")
    return made if made.exists() else None
