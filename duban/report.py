"""The period's supervision report as an official-style Word document.

Everything is built from a :class:`~duban.model.Master` (pure): :func:`report_facts`
classifies the items by their effective status (the manual override wins) and reads
the engine's per-target evidence (:mod:`duban.evidence`); the ``*_text`` functions and
:mod:`duban.wording` write the Chinese sentences in the office's voice; :func:`build_report`
lays them out in a python-docx Document whose look comes entirely from the template's
styles (``templates/report_template.docx``, built by ``templates/make_report_template.py``).

Nothing internal reaches the official text: :func:`open_items` lists every task and
indicator still 需人工研判 / 尚未研判, or 未报送 without a staff confirmation in the
人工研判 column; :func:`write_report` refuses while there are any (``draft=True``
writes a report marked 草稿 with the open items on its last page).
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

from . import wording
from .annex import (DONE, IND_MET, IND_MISSED, IND_ON_TIME, LAGGING, MANUAL, NOT_REPORTED, ON_TRACK, UNJUDGED,
                    AnnexTable, Labelled, annex_tables, group_by_status, status_of, tidy, write_annex_xlsx)
from .dashboard import Returns, percent, returns_for
from .errors import DubanError
from .evidence import attach, evidence_of, indicator_name
from .model import INDICATOR_STATUSES, TASK_STATUSES, Indicator, Master, Period, Task
from .store import strip_illegal

TEMPLATE = "report_template.docx"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
CN_NUM = "一二三四五六七八九十"
FEW_DONE = 3  # 已完成 tasks named after the counts sentence when there are at most this many
DRAFT_MARK = "草稿"


class ReportError(DubanError):
    "The report cannot be made (template, conversion)"


# ---------------------------------------------------------------------------
# open items: what staff must settle before the official text
# ---------------------------------------------------------------------------

@dataclass
class OpenItem:
    kind: str  # 重点任务 / 预期目标
    id: int
    text: str
    units: list[str]
    status: str  # 需人工研判 / 未报送 / 尚未研判
    reason: str

    def line(self) -> str:
        text = tidy(self.text)
        text = text if len(text) <= 30 else text[:30] + "……"
        units = f"（责任单位：{'、'.join(tidy(u) for u in self.units)}）" if self.units else ""
        why = {NOT_REPORTED: "未报送，尚未在“人工研判”列确认",
               UNJUDGED: "尚未研判（请先运行 duban status）"}.get(self.status, self.status)
        reason = f"：{tidy(self.reason)}" if self.reason and self.status == MANUAL else ""
        return f"{self.kind}{self.id}：{text}{units}——{why}{reason}"


class OpenItemsError(ReportError):
    "Tasks or indicators still to be settled by staff: no official report"

    SHOWN = 100  # items listed in the message (all of them are in .items)

    def __init__(self, items: list[OpenItem]):
        self.items = items
        lines = [f"还有{len(items)}项任务或指标未确定状态，未生成正式报告（没有写入任何文件）："]
        lines += [f"  {x.line()}" for x in items[:self.SHOWN]]
        if len(items) > self.SHOWN:
            lines.append(f"  ……其余{len(items) - self.SHOWN}项：主表中“人工研判”为空、系统研判为“需人工研判”“未报送”或空白的行")
        lines.append("请在主表“人工研判”列逐项填写结论（确认未报送的填“未报送”），再生成报告；"
                     "或加 --draft 先生成草稿（标明“草稿”，待定事项列在最后一页）。")
        super().__init__("\n".join(lines))


def is_open(item: Task | Indicator, period: str) -> bool:
    status = status_of(item, period)
    if status in (MANUAL, UNJUDGED):
        return True
    entry = item.periods.get(period)
    return status == NOT_REPORTED and not (entry and entry.override.strip())


def open_items(master: Master, period: str | None = None) -> list[OpenItem]:
    """Indicators then tasks (by 序号) that the official report cannot state yet."""
    label = master.period(period).label
    out = []
    for i in sorted(master.indicators, key=lambda i: i.id):
        if is_open(i, label):
            e = i.periods.get(label)
            out.append(OpenItem("预期目标", i.id, i.target, list(i.units), status_of(i, label), e.reason if e else ""))
    for t in sorted(master.tasks, key=lambda t: t.id):
        if is_open(t, label):
            e = t.periods.get(label)
            out.append(OpenItem("重点任务", t.id, t.task, list(t.lead), status_of(t, label), e.reason if e else ""))
    return out


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
    recipient: str = "区政府"
    date: Date | None = None  # 成文日期 (None: today)
    open: list[OpenItem] = field(default_factory=list)
    _evidence: dict = field(default_factory=dict, repr=False)

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

    def evidence(self, item: Task | Indicator) -> list[dict]:
        key = (type(item).__name__, item.id)
        if key not in self._evidence:
            self._evidence[key] = evidence_of(self.master, item, self.label)
        return self._evidence[key]


def settings_date(master: Master) -> Date | None:
    """设置 报告日期, None when blank (= today)."""
    from .settings import parse_date

    return parse_date(master.settings.get("report_date") or None, "设置表中的“报告日期”")


def report_facts(master: Master, period: str | None = None, *, date: Date | None = None) -> ReportFacts:
    p = master.period(period)
    attach(master, p.label)
    tables = annex_tables(master, p.label)
    tasks = sorted(master.tasks, key=lambda t: t.id)
    inds = sorted(master.indicators, key=lambda i: i.id)
    facts = ReportFacts(
        master, p,
        group_by_status(inds, p.label, INDICATOR_STATUSES + (UNJUDGED,)),
        group_by_status(tasks, p.label, TASK_STATUSES + (UNJUDGED,)),
        tables, returns_for(master, p.label),
        (master.settings.get("office") or "").strip() or "区政府督查办",
        recipient=(master.settings.get("report_to") or "").strip() or "区政府",
        date=date or settings_date(master),
        open=open_items(master, p.label),
    )
    facts.annex_no = {t.key: t.number for t in tables}
    return facts


# ---------------------------------------------------------------------------
# sentences
# ---------------------------------------------------------------------------

_SENT_RE = re.compile(r"[。；;！!？?\n]+")
_CLAUSE_RE = re.compile(r"[。；;！!？?\n，,]+")
_LABEL_RE = re.compile(r"^\s*(?:【[^】]{1,30}】|[^：:\s]{2,20}[：:])\s*")
has_figure = wording.has_figure


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
        parts.append(f"本期向{n}个责任单位收集了进展情况。")  # no 报送记录 rows: progress typed into the master
    elif not rt.outstanding:
        parts.append(f"本期向{n}个责任单位收集进展情况，{len(rt.returned)}个单位均已报送。")
    else:
        out = rt.outstanding
        parts.append(f"本期向{n}个责任单位收集进展情况，已收到{len(rt.returned)}个单位报送的材料（报送率{percent(rt.rate)}），"
                     f"{_units_text(out)}尚未报送。")
    parts.append("经逐项梳理研判，现将有关情况报告如下。")
    return "".join(parts)


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


def indicator_phrase(ind: Indicator, period: str, evidence: list[dict] | None = None,
                     master: Master | None = None) -> str:
    """"固定资产投资增长9%": the indicator with its actual figure (or its evidence)."""
    if evidence is None and master is not None:
        evidence = evidence_of(master, ind, period)
    ev = evidence[0] if evidence else None
    e = ind.periods.get(period)
    progress = tidy(e.progress) if e else ""
    fallback = first_clause_with_number(progress) or _first_clause(progress)
    if not fallback and e and e.amount:
        fallback = tidy(e.amount)
    name = indicator_name(tidy(ind.target))
    phrase = wording.indicator_phrase(ev, name, fallback)
    return tidy(ind.target) if phrase in ("", name) else phrase  # no figure, no evidence: the target itself


IND_CLASS = {
    IND_MET: "{n}项指标符合预期",
    IND_MISSED: "{n}项指标不达预期",
    IND_ON_TIME: "{n}项指标符合时间节点要求",
    NOT_REPORTED: "{n}项指标未报送完成情况",
    MANUAL: "{n}项指标需人工研判",
    UNJUDGED: "{n}项指标尚未研判",
}


def indicator_text(f: ReportFacts) -> str:
    """"1-6月，①3项指标符合预期，分别是：地区生产总值增长4.0%，…；②…（详见附件1）。"

    Each class names the indicators with their actual figures; empty classes are left
    out and the numbering closes up.
    """
    pieces = []
    for k, (status, items) in enumerate(f.indicators.items()):
        head = IND_CLASS.get(status, "{n}项指标研判为“" + status + "”").format(n=len(items))
        if status in (NOT_REPORTED, UNJUDGED, MANUAL):
            names = [tidy(i.target) for i in items]
        else:
            names = [indicator_phrase(i, f.label, f.evidence(i)) for i in items]
        lead = "分别是：" if len(items) > 1 else "即"
        num = "" if len(f.indicators) == 1 else CIRCLED[k] if k < len(CIRCLED) else f"（{k + 1}）"
        pieces.append(f"{num}{head}，{lead}{'，'.join(names)}")
    ref = f"（详见附件{f.annex_no['indicators']}）" if "indicators" in f.annex_no else ""
    return wording.regular(f"{f.label}，" + "；".join(pieces) + f"{ref}。")


def task_text(f: ReportFacts) -> list[str]:
    """The counts sentence of section 二 (naming the completed tasks when few), and where
    the unusual statuses went."""
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
        sentence += "。"
        done = f.tasks.get(DONE, [])
        if 0 < len(done) <= FEW_DONE:
            names = wording.done_names([(t.task, f.evidence(t)) for t in done])
            which = f"已完成的{len(done)}项任务是" if len(done) > 1 else "已完成的任务是"
            sentence += f"{which}：{'；'.join(names)}。"
        out.append(wording.regular(sentence))
    if rest:
        silent = f.tasks.get(NOT_REPORTED, [])
        if main and [s for s, _ in rest] == [NOT_REPORTED] and 0 < len(silent) <= FEW_SILENT:
            # name them: the district government should see which tasks and units are missing
            names = "；".join(wording.regular(f"{wording.clean_quote(re.split(r'[，,；;。]', tidy(t.task))[0], keep_time=True)}"
                                              f"（{'、'.join(tidy(u) for u in t.lead) or '责任单位未明确'}）") for t in silent)
            out.append(f"另有{len(silent)}项任务因责任单位未报送进展情况，暂无法研判，分别是：{names}。")
            return out
        what = "、".join(
            f"{n}项任务" + ("未报送进展情况" if s == NOT_REPORTED else s if s in (MANUAL, UNJUDGED) else f"研判为“{s}”")
            for s, n in rest)
        prefix = "另有" if main else f"{m}项重点工作任务中，"
        out.append(f"{prefix}{what}，已列入附件{others}，并在“任务进展情况”栏注明。")
    return out


FEW_SILENT = 8
# the obstacles units name in their own words, counted over the lagging tasks (never inferred)
_OBSTACLES = (("前期手续、用地等要素尚未落实", re.compile(r"前期手续|手续|用地|审批|许可|规划调整")),
              ("征地拆迁、协调难度较大", re.compile(r"征地|拆迁|征收|协调")),
              ("受疫情等外部因素影响", re.compile(r"疫情|高温|汛期|雨季|天气")),
              ("资金尚未到位", re.compile(r"资金")),
              ("项目招引、企业投资不及预期", re.compile(r"招商|招引|订单|企业投资|签约")))


def problems_text(f: ReportFacts) -> list[str]:
    """Section 三: the problems the returns show and what the office proposes.

    Every figure is counted from the returns (lagging tasks, the obstacles their units
    name, the units that did not report); the proposals are the office's usual measures."""
    lagging = f.lagging
    silent_units = sorted({u for t in f.tasks.get(NOT_REPORTED, []) for u in t.lead})
    out: list[str] = []
    points = []
    if lagging:
        named = []
        for phrase, rx in _OBSTACLES:
            n = sum(1 for t in lagging if rx.search(t.entry(f.label).progress or ""))
            if n:
                named.append((n, phrase))
        named.sort(key=lambda x: -x[0])
        why = "，".join(f"{n}项{phrase}" for n, phrase in named[:3])
        points.append(f"部分任务推进较为滞后。{len(lagging)}项任务推进较为滞后" + (f"，其中{why}" if why else "") + "。")
    if silent_units:
        points.append(f"个别单位报送不及时。{_units_text(silent_units)}未按时报送{f.label}进展情况。")
    manual = f.tasks.get(MANUAL, [])
    if manual:
        points.append(f"部分单位报送内容不够具体。{len(manual)}项任务的进展材料未反映实际完成量或推进环节，需进一步核实。")
    if not points:
        return []
    ordinal = ["一是", "二是", "三是", "四是"]
    out.append("（一）存在的问题")
    out.append("".join(f"{ordinal[k]}{p}" for k, p in enumerate(points)))
    out.append("（二）下步工作建议")
    steps = []
    if lagging:
        steps.append(f"对推进较为滞后的{len(lagging)}项任务，由区政府督查办下发督办单，责成责任单位分析原因、制定整改措施，"
                     "限期报送整改情况，下期重点跟踪；对连续两期推进较为滞后的任务，建议提请区政府约谈责任单位主要负责人")
    if silent_units:
        steps.append("对未按时报送的单位予以通报，督促其限期补报")
    steps.append("各责任单位要对照年度目标倒排工期、挂图作战，确保按期完成全年目标任务")
    out.append("".join(f"{ordinal[k]}{s}。" for k, s in enumerate(steps)))
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
    """The task's key progress in one sentence (markers and rankings removed).

    The sentence holding the evidence the engine's reason quotes (“进度滞后”, “尚未开工”…)
    when there is one, naming its unit when several report; else the first sentence with
    a number, else the first one.
    """
    e = task.periods.get(period)
    pairs = [(u, wording.clean_quote(s, keep_time=True)) for u, s in _labelled_sentences(tidy(e.progress) if e else "")]
    pairs = [(u, s) for u, s in pairs if s]
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
    """One paragraph per lagging task: the lagging part, the decisive figure and the gap."""
    out = []
    for n, t in enumerate(f.lagging, start=1):
        fallback = key_sentence(t, f.label).rstrip("。")
        e = t.periods.get(f.label)
        out.append(wording.lagging_paragraph(n, t.task, t.lead, f.evidence(t), f.label, fallback,
                                             tidy(e.progress) if e else ""))
    return out


def consecutive_items(f: ReportFacts) -> list[str]:
    """The 连续滞后 paragraph: tasks 推进较为滞后 in this period and the one before, with their notices."""
    from .history import consecutive_lagging, notice_history

    tasks = consecutive_lagging(f.master, f.label)
    if not tasks:
        return []
    prev = f.master.previous_period(f.label)
    out = [f"以下{len(tasks)}项任务{prev.label}、{f.label}连续两期推进较为滞后，需重点督办："]
    for n, t in enumerate(tasks, start=1):
        task = tidy(t.task).rstrip("。；;，, ")
        units = "、".join(tidy(u) for u in t.lead) or "未明确"
        notes = "、".join(f"{h['number']}（{h['colour']}色）" for h in notice_history(f.master, t.id))
        out.append(f"{n}．{task}（责任单位：{units}" + (f"；已发督办单{notes}" if notes else "") + "）。")
    return out


def annex_list(f: ReportFacts) -> list[str]:
    return [f"{t.number}．{t.title}" for t in f.tables]


def draft_lines(f: ReportFacts) -> list[str]:
    """The draft's last page: the items staff still have to settle."""
    return [f"{n}．{x.line()}" for n, x in enumerate(f.open, start=1)]


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


def _draft_marks(doc, open_count: int) -> None:
    """草稿 in every page header and as a grey diagonal watermark (Word's own watermark shape)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.shared import Pt, RGBColor

    note = f"{DRAFT_MARK}：尚有{open_count}项待人工研判，未定稿，不得作为正式报告报送" if open_count else \
        f"{DRAFT_MARK}：未定稿，不得作为正式报告报送"
    watermark = (
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">'
        '<w:pict><v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
        'path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
        '<v:textpath on="t" fitshape="t"/></v:shapetype>'
        '<v:shape id="PowerPlusWaterMarkObject{n}" o:spid="_x0000_s{spid}" type="#_x0000_t136" '
        'style="position:absolute;margin-left:0;margin-top:0;width:360pt;height:180pt;rotation:315;'
        'z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;'
        'mso-position-vertical:center;mso-position-vertical-relative:margin" o:allowincell="f" '
        'fillcolor="#d8d8d8" stroked="f"><v:fill opacity=".5"/>'
        f'<v:textpath style="font-family:&quot;黑体&quot;;font-size:1pt" string="{DRAFT_MARK}"/>'
        '</v:shape></w:pict></w:r>')
    n = 0
    for section in doc.sections:
        for header in (section.header, section.even_page_header):
            header.is_linked_to_previous = False
            p = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(note)
            run.font.size = Pt(12)
            run.font.bold = True
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
            n += 1
            p._p.append(parse_xml(watermark.format(n=n, spid=2048 + n)))


def build_report(master: Master, period: str | None = None, *, template: Path | None = None,
                 date: Date | None = None, facts: ReportFacts | None = None, draft: bool = False):
    """The report as a python-docx Document (nothing is written to disk).

    ``draft``: marked 草稿 on every page, the open items listed on a last page.
    """
    from docx.oxml import parse_xml

    f = facts or report_facts(master, period)
    doc = _open_template(template)
    style_ids = {s.name: s.style_id for s in doc.styles}

    def add(text: str, style: str):
        p = doc.add_paragraph(text)
        p._p.style = style_ids[style]  # by id: python-docx's lookup by name scans every style each time
        return p

    add(f.office, style="发文机关")
    add(title_text(f) + (f"（{DRAFT_MARK}）" if draft else ""), style="Title")
    add(f"{f.recipient}：", style="主送机关")
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
    repeat = consecutive_items(f)
    if repeat:
        add(f"（三）连续滞后的{len(repeat) - 1}项任务", style="Heading 2")
        for item in repeat:
            add(item, style="Body Text")
    problems = problems_text(f)
    if problems:
        sec_no += 1
        add(f"{CN_NUM[sec_no]}、存在的问题及下步工作建议", style="Heading 1")
        for line in problems:
            add(line, style="Heading 2" if line.startswith("（") and line.endswith(("问题", "建议")) else "Body Text")
    names = annex_list(f)
    for k, name in enumerate(names):
        p = add(("附件：" if k == 0 else "") + name, style="附件说明")
        if k:  # "2．…" under "1．…": hanging by the number only
            from docx.shared import Pt

            p.paragraph_format.space_before = Pt(0)
            size = doc.styles["附件说明"].font.size
            _indent(p, left=6, hanging=1, pt=size.pt if size else 16)
    _signature(doc, f.office, report_date(date or f.date))
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
    if draft:
        _draft_page(doc, f, add)
        _draft_marks(doc, len(f.open))
    props = doc.core_properties
    props.title = title_text(f) + (f"（{DRAFT_MARK}）" if draft else "")
    props.author = f.office
    props.comments = "由 duban 生成" + (f"（{DRAFT_MARK}）" if draft else "")
    return doc


def _draft_page(doc, f: ReportFacts, add) -> None:
    """The draft's last page (portrait): what staff still have to settle before the official report."""
    from docx.enum.section import WD_ORIENT, WD_SECTION

    first = doc.sections[0]
    if len(doc.sections) > 1:
        sec = doc.add_section(WD_SECTION.NEW_PAGE)
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = first.page_width, first.page_height
    else:
        add("", style="Body Text").paragraph_format.page_break_before = True
    add(f"{DRAFT_MARK}附页：待人工研判事项", style="Heading 1")
    if f.open:
        add(f"以下{len(f.open)}项尚未确定状态，需在主表“人工研判”列填写结论（确认未报送的填“未报送”）后，"
            "再生成正式报告。", style="Body Text")
        for line in draft_lines(f):
            add(line, style="Body Text")
    else:
        add("本期没有待人工研判的事项。", style="Body Text")


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
    draft: bool = False

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
        if self.draft:
            lines.append(f"注意：这是草稿（每页标明“{DRAFT_MARK}”），有 {len(f.open)} 项待人工研判，列在最后一页：")
            lines += [f"  {x.line()}" for x in f.open[:20]]
            if len(f.open) > 20:
                lines.append(f"  ……共 {len(f.open)} 项")
        return lines


def write_report(master: Master, out: Path, period: str | None = None, *, xlsx: Path | None = None,
                 template: Path | None = None, date: Date | None = None, draft: bool = False) -> ReportResult:
    """Write the .docx (and the annex workbook when ``xlsx`` is given).

    Raises :class:`OpenItemsError` (nothing written) while tasks or indicators are
    still open (:func:`open_items`), unless ``draft``. The date is ``date``, else
    设置 报告日期, else today.
    """
    out = Path(out)
    if out.suffix.lower() != ".docx":
        raise ReportError(f"报告文件名应以 .docx 结尾：{out.name}")
    if xlsx is not None and Path(xlsx).suffix.lower() != ".xlsx":
        raise ReportError(f"附件表格文件名应以 .xlsx 结尾：{Path(xlsx).name}")
    facts = report_facts(master, period, date=date)
    if facts.open and not draft:
        raise OpenItemsError(facts.open)
    doc = build_report(master, template=template, facts=facts, draft=draft)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        doc.save(str(out))
        if xlsx is not None:
            write_annex_xlsx(facts.tables, Path(xlsx), office=facts.office, draft=draft)
    except PermissionError as exc:
        raise ReportError(f"无法写入 {Path(exc.filename or out).name}：文件被占用（可能已在 Word/Excel 中打开），请关闭后重试。") from exc
    return ReportResult(facts, out, Path(xlsx) if xlsx is not None else None, draft=draft)


def run_report(master_path: Path, out: Path, period: str | None = None, *, xlsx: Path | None = None,
               pdf: bool = False, template: Path | None = None, date: Date | None = None,
               draft: bool = False) -> ReportResult:
    """`duban report`: read the master, write the report (and annexes, PDF), refresh 统计.

    Refuses with :class:`OpenItemsError` (nothing written, 统计 unchanged) while items
    are open, unless ``draft``.

    When the master is open elsewhere (Excel, another duban run) the report is still
    made from the file on disk; only the 统计 sheet is left as it was, and a note says so.
    """
    from .dashboard import refresh_dashboard
    from .errors import MasterLocked
    from .master import load_master
    from .outputs import check_outputs
    from .store import open_store

    check_outputs({"报告文件": Path(out), "附件表格": xlsx,
                   "PDF 文件": Path(out).with_suffix(".pdf") if pdf else None},
                  {"主表": Path(master_path), "报告模板": template})
    try:
        with open_store(master_path) as store:
            master = load_master(store)
            result = write_report(master, out, period, xlsx=xlsx, template=template, date=date, draft=draft)
            refresh_dashboard(store, master, result.facts.label)
        result.notes.append("已刷新主表“统计”表。")
    except MasterLocked as exc:
        with open_store(master_path, write=False) as store:
            master = load_master(store)
        result = write_report(master, out, period, xlsx=xlsx, template=template, date=date, draft=draft)
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
        raise ReportError("未找到 LibreOffice（soffice）。可在 Word/WPS 中打开报告另存为 PDF。")
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
