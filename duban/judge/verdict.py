"""Stage 4 — the verdict: one status, a light and reasons an officer can sign.

* 已完成 only when every principal (quantified or deliverable) target is met;
* 推进较为滞后 when a principal target is clearly behind with nothing closing the gap, when
  growth is clearly below target, when a deadline passed unmet, or when the unit says so;
* 需人工研判 when the evidence cannot decide and the reason asks the exact question;
* otherwise 正常推进.

The light (绿/黄/红) comes from the largest gap to 序时 of a principal target, in the bands of
``yellow_points`` / ``red_points``.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher
from datetime import date

from .align import Assessment, assess_count, assess_deliverable, assess_growth, assess_level, assess_process
from .evidence import STAGE_RANK, Progress, core_text, read_progress, strip_marker
from .model import DONE, LAGGING, MANUAL, NORMAL, NOT_REPORTED, Judgement
from .rules import Rules
from .targets import TargetSpec, task_targets
from .timing import _as_date, elapsed_share, parse_deadline, share_pct

_SLOGAN_PUNCT = "，。、；：,.;: "
_NUM_RE = re.compile(r"\d+(?:\.\d+)?")
# concrete deeds (as opposed to 坚决落实、大力推进、确保取得实效)
_CONCRETE_RE = re.compile(r"印发|出台|召开|组建|成立|签订|签约|提交|上线|举办|开工|建成|完成|制定|编制|发布|公布|启动|交办|验收|"
                          r"通过|获评|入选|命名|挂牌|开通|建立|形成|组织|开展了|实施了|推出|引进|新增|新建|接入|办理|审定|批复")


def _similar(a: str, b: str) -> float:
    a = "".join(ch for ch in a if ch not in _SLOGAN_PUNCT)
    b = "".join(ch for ch in b if ch not in _SLOGAN_PUNCT)
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _meaningful(s: str) -> str:
    return "".join(ch for ch in s if ch.isalnum())


def _no_information(task: str, prog: Progress, R: Rules) -> str | None:
    """The reason a report gives nothing to judge (详见附件, 无, a copy of the target, a slogan)."""
    p = prog.text.strip()
    stripped = p.strip(" 。.，,；;！!")
    if stripped in R.no_info_exact:
        return f"进展填报为“{stripped}”，没有任何进展信息，请责成单位补报"
    attach = R.attachment_words_re.search(p)
    if attach and len(_meaningful(p)) - len(_meaningful(attach.group(0))) < R.min_progress_chars + 4:
        return f"进展内容为“{stripped}”，需查阅附件后人工研判"
    core = prog.core.strip(" 。.，,；;")
    if len(_meaningful(core)) < R.min_progress_chars:
        return f"进展内容过短（“{stripped or p}”），无法判断"
    nums_core = set(_NUM_RE.findall(core))
    nums_task = set(_NUM_RE.findall(task))
    if len(core) <= len(task) * 1.4 + 6 and nums_core <= nums_task and _similar(core, task) >= R.echo_similarity:
        return f"进展照抄任务原文（“{strip_marker(core)}”），未说明实际完成情况和推进环节，无法判断"
    has_number = any(r.modality not in ("echo",) for r in prog.readings) or bool(nums_core - nums_task)
    has_stage = bool(prog.stages or prog.not_started or prog.delays or R.underway_re.search(core))
    if not has_number and not has_stage and len(core) <= len(task) * 3 + 20 and _similar(core, task) >= 0.45:
        return f"进展只复述任务或表态（“{strip_marker(core)}”），没有实际工作和数据，无法判断"
    deeds = [m for m in _CONCRETE_RE.finditer(core) if not re.search(r"(?:确保|力争|争取|将|要|努力)[^，,；;。]{0,6}$", core[:m.start()])]
    if not has_number and not has_stage and not deeds:
        return f"进展只有表态（“{strip_marker(core)}”），没有实际工作和数据，无法判断"
    return None


def _light(status: str, assessments: list[Assessment], overdue: bool, R: Rules) -> str:
    if status == NOT_REPORTED:
        return ""
    if status == DONE:
        return "绿"
    gaps = [a.gap for a in assessments if a.target.principal and a.gap is not None
            and a.target.kind in ("count",) or (a.target.kind == "level" and a.target.accumulating and a.gap is not None)]
    worst = max((g for g in gaps if g is not None), default=None)
    if status == LAGGING:
        if overdue or (worst is not None and worst > R.red_points):
            return "红"
        return "黄"
    if worst is None:
        return "" if status == MANUAL else "绿"
    if worst > R.red_points:
        return "黄" if status == NORMAL else "红"  # a task judged on track is never shown red
    if worst >= R.yellow_points:
        return "黄"
    return "绿"


def _join(lines: list[str]) -> str:
    out = []
    for ln in lines:
        ln = ln.strip("；; ")
        if ln and ln not in out:
            out.append(ln)
    return "；".join(out)


def _declared_delays(prog: Progress, principal: list[Assessment], assessments: list[Assessment]):
    """The units' own words of delay, one per reporting unit, as evidence.

    A target without a figure of its own takes the declaration as its evidence (behind);
    beside a reported figure the declaration becomes an evidence record of its own, with
    its unit, sentence and stage, and the figure stays as reported.
    Returns (declarations [(word, clause)], extra evidence records).
    """
    seen: set = set()
    declarations = []
    for word, c in prog.delays:
        if c.unit not in seen:
            seen.add(c.unit)
            declarations.append((word, c))
    extra: list[dict] = []
    for _word, c in declarations:
        concerned = [a for a in principal if a.state != "met" and (
            len(principal) == 1 or a.target.object and (a.target.object[:4] in c.sentence))] or \
            [a for a in principal if a.state != "met"][:1] or \
            ([a for a in assessments if a.state != "met"] or assessments)[:1]
        for a in concerned:
            if a.state in ("behind", "not_started") and (a.unit is None or a.unit == c.unit):
                continue
            if a.actual is None and (a.unit is None or a.unit == c.unit) and a.state != "behind":
                a.state = "behind"
                a.quote = a.quote or strip_marker(c.sentence).rstrip("。；;")
                a.unit = c.unit
            else:
                stages = [m.stage for m in prog.stages if m.clause.sent_start == c.sent_start]
                rec = a.record()
                rec.update(state="behind", actual=None, actual_text=None, share=None, gap=None,
                           quote=strip_marker(c.sentence).rstrip("。；;"), unit=c.unit,
                           stage=min(stages, key=STAGE_RANK.get) if stages else None,
                           line=(f"【{c.unit}】" if c.unit else "") + f"单位自述“{strip_marker(c.text)}”")
                extra.append(rec)
    return declarations, extra


def judge_task(
    task_text: str,
    progress: str | None,
    period_end: date | None,
    year: int | None,
    *,
    deadline: str | None = None,
    rules: "Rules | dict | None" = None,
    previous: str | None = None,
) -> Judgement:
    """Judge one work-report task.

    Returns a :class:`Judgement` (status 已完成 / 正常推进 / 推进较为滞后 / 未报送 /
    需人工研判, a reason, a light and one evidence record per target).  ``period_end`` is the
    end of the reporting period (its day of the year gives 序时进度); ``year`` the task year;
    ``deadline`` an optional completion deadline ("6月底前") that replaces the year end;
    ``previous`` the unit's text of the previous period (a near-copy is noted).
    """
    from .rules import get_rules

    R = get_rules(rules)
    task_text = "" if task_text is None else str(task_text)
    p = "" if progress is None else str(progress).strip()
    if not p or p.lower() in R.placeholders:
        return Judgement(NOT_REPORTED, "未报送进展情况", {})
    pe = _as_date(period_end)
    y = year or (pe.year if pe else None)
    expected = elapsed_share(period_end, year, deadline)
    dl = parse_deadline(deadline, y) if (deadline and y) else None
    limit = dl or (date(y, 12, 31) if y else None)
    overdue = bool(dl and pe and pe > dl)
    year_end = expected is not None and expected >= R.year_end_share
    details: dict = {"share": expected, "deadline": dl.isoformat() if dl else None}

    prog = read_progress(p, R, y, pe)
    same = previous and previous.strip() and _similar(core_text(previous), prog.core) >= 0.9
    note = "（与上期进展基本相同）" if same else ""
    if same:
        details["same_as_previous"] = True

    why = _no_information(task_text, prog, R)
    if why:
        return Judgement(MANUAL, why + note, details, "", ())

    targets = task_targets(task_text, R)
    if not targets:
        targets = [TargetSpec("process", task_text.strip(), principal=True)]
    n_count = sum(t.kind == "count" for t in targets)
    n_growth = sum(t.kind == "growth" for t in targets)
    n_level = sum(t.kind == "level" for t in targets)
    single = len(targets) == 1
    assessments: list[Assessment] = []
    for t in targets:
        if t.kind == "count":
            a = assess_count(t, prog, expected, R, n_count, year_end, limit,
                             tuple(x for x in targets if x.kind == "count" and x is not t))
        elif t.kind == "growth":
            a = assess_growth(t, prog, expected, R, n_growth, year_end)
        elif t.kind == "level":
            a = assess_level(t, prog, expected, R, n_level, year_end)
        elif t.kind == "deliverable":
            n_deliv = sum(x.kind == "deliverable" for x in targets)
            a = assess_deliverable(t, prog, expected, R, n_deliv == 1 and n_count == 0, limit, year_end)
        else:
            a = assess_process(t, prog, expected, R, single)
        assessments.append(a)

    principal = [a for a in assessments if a.target.principal] or assessments
    states = [a.state for a in principal]
    declarations, extra = _declared_delays(prog, principal, assessments)

    def verdict(status: str, lines: list[str]) -> Judgement:
        evidence = tuple(a.record() for a in assessments) + tuple(extra)
        reason = _join(lines) + note
        light = _light(status, assessments, overdue and status != DONE, R)
        if year_end and status != DONE and light == "绿" and any(
                a.state != "met" for a in principal if a.target.kind != "process"):
            light = "黄"  # the year (or the deadline) is over and a target is not met
        return Judgement(status, reason, details, light, evidence)

    # the unit's own words of delay
    if declarations:
        lines = [(f"【{c_.unit}】" if c_.unit else "") + f"单位自述“{strip_marker(c_.text)}”" for _w, c_ in declarations]
        lines += [a.line for a in principal if a.state == "behind"]
        lines += [a.line for a in principal if a.state != "behind" and (a.actual is not None or a.stage)]
        return verdict(LAGGING, lines)
    behind = [a for a in principal if a.state in ("behind", "not_started")]
    if behind:
        lines = []
        for a in behind:
            who = f"【{a.unit}】" if a.unit else ""
            lines.append(who + a.line)
        if overdue:
            lines.append(f"已超过完成时限（{deadline}），尚未完成")
        return verdict(LAGGING, lines)
    manual = [a for a in principal if a.state == "manual"]
    if manual:
        return verdict(MANUAL, [a.question or a.line for a in manual] + [a.line for a in principal if a not in manual])
    minor_open = [a for a in assessments if not a.target.principal and a.target.kind == "process"
                  and a.stage in ("前期", "施工")]
    if all(s == "met" for s in states) and any(a.target.kind != "process" for a in principal):
        if minor_open and not year_end:
            # the quantified part is done, the continuing work (加快建设…) goes on until the year's end
            return verdict(NORMAL, [a.line for a in principal] + [a.line for a in minor_open])
        return verdict(DONE, [a.line for a in principal])
    if all(s == "met" for s in states):  # a process target is met only when it reached its result (已上市)
        return verdict(DONE, [a.line for a in principal])
    known = [a for a in principal if a.state in ("met", "on_track")]
    unknown = [a for a in principal if a.state == "unknown"]
    if known and (not unknown or not year_end):
        # process parts without evidence of their own are not listed one by one
        lines = [a.line for a in known] + [a.line for a in unknown if a.target.kind != "process"]
        if expected is None:
            lines.append("未提供报送期，未对照序时进度")
        return verdict(NORMAL, lines)
    # nothing could be tied to a principal target
    early = expected is not None and expected <= R.early_share
    stock_clauses = {r.clause for r in prog.readings if r.modality in ("stock", "cumulative", "other_year")}
    activity = any(m.clause not in stock_clauses for m in prog.stages) or any(
        r.modality in ("scope", "prep", "planned", "underway") for r in prog.readings)
    if early and activity and not year_end and all(a.target.kind in ("count", "deliverable", "process") for a in unknown):
        lines = [f"序时进度{share_pct(expected)}，工作处于起步阶段：{strip_marker(prog.clauses[0].text) if prog.clauses else ''}"]
        lines += [a.line for a in unknown]
        return verdict(NORMAL, lines)
    questions = [a.question or a.line for a in unknown] or ["进展无法与任务目标对应"]
    return verdict(MANUAL, questions)
