"""The engine's per-target evidence, as the report and the other readers consume it.

The status engine's contract (``PeriodEntry.evidence``: one dict per target, keys
``target kind object goal measure actual actual_text share expected gap stage state
quote unit principal line``) is what the report's sentences are built from.
:func:`evidence_of` returns that list for a task or an indicator of a period:

* ``entry.evidence`` when the engine filled it (``duban.status.attach_evidence``);
* otherwise the same dicts derived here from the engine's :class:`~duban.judge.Judgement`
  (status, reason, ``details``) re-run on the stored progress text — so the report
  reads the same shape whichever engine version is installed.

:func:`attach` asks the engine to fill ``entry.evidence`` for a whole period when it
can; the derivation below is only used for entries it left empty.
"""
from __future__ import annotations

import re

from . import judge
from .model import Indicator, Master, Task

KEYS = ("target", "kind", "object", "goal", "measure", "actual", "actual_text", "share", "expected", "gap",
        "stage", "state", "quote", "unit", "principal", "line")

_KIND = {"count": "count", "amount": "count", "growth": "growth", "points": "growth", "percent": "level"}
_STATE = {"met": "met", "ok": "on_track", "lag": "behind", "none": "unknown"}
_CLAUSE_END = "，,；;。！!？?\n"
_QUOTED_RE = re.compile(r"“([^”]{1,40})”")
_UNIT_LABEL_RE = re.compile(r"^\s*【([^】]{1,30})】")
_VERBS_RE = re.compile("增长|下降|完成|达到|控制|不低于|不超过|突破|保持|提高|降低|实现|年均|新增|稳定|确保|低于|高于")


def blank(**kw) -> dict:
    d = dict.fromkeys(KEYS)
    d.update(kw)
    return d


def attach(master: Master, label: str) -> bool:
    """Let the engine fill ``entry.evidence`` for the period; False when this engine cannot."""
    try:
        from .status import attach_evidence
    except ImportError:
        return False
    attach_evidence(master, label)
    return True


def indicator_name(target: str) -> str:
    """"地区生产总值增长5.5%左右" → "地区生产总值" (the text before its verb)."""
    t = (target or "").strip()
    m = _VERBS_RE.search(t)
    return t[:m.start()].strip() if m and m.start() > 0 else t


def clause_around(text: str, start: int, end: int | None = None) -> str:
    a, b = start, end if end is not None else start
    while a > 0 and text[a - 1] not in _CLAUSE_END:
        a -= 1
    while b < len(text) and text[b] not in _CLAUSE_END:
        b += 1
    return text[a:b].strip()


def _unit_at(text: str, pos: int) -> str | None:
    line_start = text.rfind("\n", 0, pos) + 1
    m = _UNIT_LABEL_RE.match(text[line_start:])
    return m.group(1) if m else None


def _clause_with(text: str, word: str) -> tuple[str | None, str | None]:
    pos = text.find(word) if word else -1
    if pos < 0:
        return None, None
    return clause_around(text, pos, pos + len(word)), _unit_at(text, pos)


def evidence_of(master: Master, item: Task | Indicator, period: str) -> list[dict]:
    """The evidence dicts of ``item`` for ``period`` (see the module docstring).

    The engine's own evidence (``entry.evidence``) comes first and wins; what it leaves
    unknown (None) is filled from the evidence derived here for the same target, and when
    it holds no lagging target although the task lags (not started, no progress …), the
    derived text evidence is added.
    """
    entry = item.periods.get(period)
    if entry is None:
        return []
    stored = [blank(**d) for d in (getattr(entry, "evidence", None) or [])]
    derived = []
    if (entry.progress or "").strip() or (entry.amount or "").strip():
        p = master.period(period)
        from .status import rules_from_settings

        rules = judge.get_rules(rules_from_settings(master.settings))
        if isinstance(item, Task):
            derived = _task_evidence(item, entry, p.end, master.year, rules)
        else:
            derived = _indicator_evidence(item, entry, p.end, master.year, rules)
    if not stored:
        return derived
    if isinstance(item, Indicator):
        for ev in stored:  # the contract names an indicator by its name ("固定资产投资")
            if (ev["target"] or "").strip() in ("", item.target.strip()):
                ev["target"] = indicator_name(item.target)
        return _merge(stored, derived, by_position=True)
    return _merge(stored, derived)


LAGGING_STATES = ("behind", "not_started")


def _merge(stored: list[dict], derived: list[dict], by_position: bool = False) -> list[dict]:
    used: set[int] = set()
    for n, ev in enumerate(stored):
        if by_position:
            k = n if n < len(derived) else None
        else:
            k = next((k for k, d in enumerate(derived) if k not in used and d["target"] == ev["target"]), None)
        if k is None or derived[k]["kind"] != ev["kind"]:  # figures only from the same kind of target
            continue
        used.add(k)
        d = derived[k]
        for key in KEYS:
            if ev[key] is None and d[key] is not None:
                ev[key] = d[key]
        # "2个" as the engine quoted it, "建成2个" as the unit wrote it: keep the fuller phrase
        if d["actual_text"] and ev["actual_text"] and ev["actual_text"] != d["actual_text"] \
                and ev["actual_text"] in d["actual_text"]:
            ev["actual_text"] = d["actual_text"]
    if not any(ev["state"] in LAGGING_STATES for ev in stored):
        stored += [d for k, d in enumerate(derived) if k not in used and d["kind"] in ("process", "deliverable")
                   and d["state"] in LAGGING_STATES]
    return stored


def _task_evidence(task: Task, entry, period_end, year, rules) -> list[dict]:
    from .quantities import match, parse_progress, parse_targets

    text = entry.progress or ""
    if entry.amount:
        text = f"{text}\n完成量：{entry.amount}" if text else f"完成量：{entry.amount}"
    j = judge.judge_task(task.task, text, period_end, year, deadline=task.deadline or None, rules=rules)
    if j.status == judge.NOT_REPORTED:
        return []
    share = j.details.get("share")
    details = j.details.get("targets") or []
    targets = parse_targets(task.task)
    matches = match(targets, parse_progress(text), min_overlap=rules.min_subject_overlap) if targets else []
    out = []
    for d, mt in zip(details, matches):
        q = mt.quantity
        kind = _KIND.get(d.get("kind"), "count")
        ev = blank(target=d.get("target"), kind=kind, object=mt.target.subject or None, goal=d.get("value"),
                   measure=d.get("unit"), state=_STATE.get(d.get("state"), "unknown"), expected=share,
                   principal=True)
        if q is not None:
            ev["actual"] = q.value
            ev["actual_text"] = q.phrase or q.text
            ev["quote"] = clause_around(text, *q.span)
            ev["unit"] = _unit_at(text, q.span[0])
            if kind == "count" and d.get("ratio") is not None:
                ev["share"] = d["ratio"]
                if share is not None:
                    ev["gap"] = (share - d["ratio"]) * 100
            elif kind in ("growth", "level") and d.get("value") is not None:
                ev["gap"] = d["value"] - q.value
        out.append(ev)
    words = _QUOTED_RE.findall(j.reason or "")
    if j.status == judge.LAGGING and not any(e["state"] == "behind" for e in out):
        # the lag rests on the text, not on a target's figure: not started, no progress, past the deadline
        from .wording import sentence_of

        found: list = []  # (quote, unit, not started), one per sentence of the text
        for w in words:
            quote, unit = _clause_with(text, w)
            if not quote:
                continue
            ns = bool(rules.not_started_re.search(w))
            same = next((k for k, f in enumerate(found) if sentence_of(f[0], text) == sentence_of(quote, text)), None)
            if same is None:
                found.append((quote, unit, ns))
            elif ns and not found[same][2]:
                found[same] = (quote, unit, ns)
        if not found:
            overdue = "超过完成时限" in (j.reason or "")
            found.append((None, None, False))
            share = 1.0 if overdue else share
        for quote, unit, not_started in found:
            if not_started:
                out.append(blank(target=task.task, kind="deliverable", stage="前期", state="not_started",
                                 expected=share, quote=quote, unit=unit, principal=True))
            else:
                out.append(blank(target=task.task, kind="process", state="behind", expected=share, quote=quote,
                                 unit=unit, principal=True))
    elif not out and words:
        quote, unit = _clause_with(text, words[0])
        state = {judge.DONE: "met", judge.NORMAL: "on_track"}.get(j.status, "unknown")
        out.append(blank(target=task.task, kind="process", state=state, expected=share, quote=quote, unit=unit,
                         principal=True))
    for ev in out:
        ev["line"] = j.reason
    return out


def _indicator_evidence(ind: Indicator, entry, period_end, year, rules) -> list[dict]:
    from .quantities import match, parse_progress, parse_targets

    j = judge.judge_indicator(ind.target, entry.progress, entry.amount or None, period_end, rules, year=year)
    if j.status == judge.NOT_REPORTED:
        return []
    name = indicator_name(ind.target)
    state = {judge.IND_MET: "met", judge.IND_MISSED: "behind", judge.IND_ON_COURSE: "on_track"}.get(j.status, "unknown")
    progress = entry.progress or ""
    ts = parse_targets(ind.target)
    if not ts:
        words = _QUOTED_RE.findall(j.reason or "")
        quote, unit = _clause_with(progress, words[0]) if words else (None, None)
        return [blank(target=name, kind="qualitative", state=state, quote=quote, unit=unit, principal=True,
                      line=j.reason)]
    t = ts[0]
    ev = blank(target=name, kind=_KIND.get(t.kind, "count"), object=t.subject or None, goal=t.value, measure=t.unit,
               actual=j.details.get("actual"), state=state, principal=True, line=j.reason)
    if (entry.amount or "").strip():
        ev["actual_text"] = entry.amount.strip()
    elif progress:
        mt = match([t], parse_progress(progress), min_overlap=rules.min_subject_overlap)[0]
        if mt.quantity is not None:
            ev["actual_text"] = mt.quantity.phrase or mt.quantity.text
            ev["quote"] = clause_around(progress, *mt.quantity.span)
            ev["unit"] = _unit_at(progress, mt.quantity.span[0])
    if ev["actual"] is not None and t.value is not None and ev["kind"] in ("growth", "level"):
        ev["gap"] = t.value - ev["actual"]
    return [ev]
