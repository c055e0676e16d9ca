"""Stage 1 — task text → targets.

A task ("新建3个社区体育公园、30个社区健身点,建成西部区块链研究院,深化农村三变改革") is split
into parts at commas; each part gives targets of one kind:

* count   — 新建30个X, 拆除150万平方米X, 农村改厕1220 (measure word lost in the notice)
* growth  — 增长7%
* level   — 达90%以上, 占比60%以上, 控制在5.5%以内, 全覆盖 (``accumulating`` for rates that
            grow through the year: 覆盖率, 开工率 …)
* deliverable — 建成/完成/投用/创建 a named thing, possibly several (江山公园、两溪花谷)
* process — 推动/深化/加快建设/持续开展 … with no annual quantity

The numbers come from :func:`duban.quantities.parse_targets`; this stage adds the kinds the
parser does not know (deliverables, processes, coverage) and which targets are principal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..quantities import Target, parse_targets
from .rules import Rules

_PART_SPLIT_RE = re.compile(r"[，,；;。]")
_LEAD_ADVERBS_RE = re.compile(
    r"^(?:确保|力争|努力|全年|年内|今年|全面|争取|基本|实现了?|要|并|同时|着力|加快推动|成功|顺利|如期|按期|"
    r"(?:\d{1,2}|[一二三四五六七八九十]{1,2})月(?:底|末|\d{1,2}日)?(?:前|之前|以前)|[一二三四]季度(?:末|底)?前|年底前|上半年|下半年)+")
_ITEM_SPLIT_RE = re.compile(r"[、和及与]")
_COVERAGE_RE = re.compile(r"全覆盖|覆盖率(?:达到?)?100\s*[%％]")
_GENERIC_BUILD = frozenset(["建设", "建", "推进", "推动", ""])
# time limits: 审批时间压缩至60个工作日以内, 办结时限缩短到3天
_TIME_LIMIT_RE = re.compile(r"([\u4e00-\u9fffA-Za-z“”]{2,20}?)(?:压缩|缩短|控制|降低|减少|压减)(?:至|到|在)\s*"
                            r"(\d+(?:\.\d+)?)\s*个?(工作日|自然日|天|日|小时|分钟)(?:以内|以下|之内)?")


@dataclass(frozen=True, slots=True)
class TargetSpec:
    kind: str  # count growth level deliverable process
    text: str  # the target as written in the task
    verb: str = ""
    object: str = ""
    goal: float | None = None
    measure: str | None = None
    qualifier: str = "exact"  # exact about at_least at_most
    accumulating: bool = False  # level: a rate that accumulates through the year (覆盖率 …)
    principal: bool = True
    part: int = 0
    items: tuple[str, ...] = ()  # deliverable: the named things
    q: Target | None = field(default=None, compare=False)


def _kind_of(t: Target) -> str:
    if t.kind in ("growth", "points"):
        return "growth"
    if t.kind == "percent":
        return "level"
    return "count"


_LEVEL_VERB_TAIL_RE = re.compile(r"(?:稳定在|保持在|保持|达到|提高到|提升至|提升到|控制在|达)$")


def _descriptor(text: str, t: Target) -> bool:
    """A number that describes rather than targets: 每千人口 (a denominator), （36个班） (a size)."""
    a = t.span[0]
    if text[max(0, a - 1):a] == "每":
        return True
    opened = text.rfind("（", 0, a), text.rfind("(", 0, a)
    closed = text.rfind("）", 0, a), text.rfind(")", 0, a)
    return max(opened) > max(closed)


def _cut_at_part(label: str, part: str) -> str:
    """The target's label within its own part of the task ("…150公里，实施…" → "…150公里")."""
    for piece in re.split(r"[，,；;。]", label):
        if piece and piece in part:
            if any(ch.isdigit() for ch in piece) or len(piece) == len(label):
                return piece
    return re.split(r"[，,；;。]", label)[0]


def _items(obj: str) -> tuple[str, ...]:
    obj = obj.strip("“”\"' ")
    parts = [p.strip("“”\"' ") for p in _ITEM_SPLIT_RE.split(obj) if p.strip("“”\"' ")]
    if len(parts) <= 1:
        return (obj,) if obj else ()
    return tuple(parts)


def _deliverable_or_process(part: str, index: int, R: Rules) -> TargetSpec | None:
    p = part.strip()
    if not p:
        return None
    body = _LEAD_ADVERBS_RE.sub("", p)
    if _COVERAGE_RE.search(p):
        obj = _COVERAGE_RE.split(body)[0]
        obj = re.sub(r"^(?:实现|推进|推动)", "", obj)
        return TargetSpec("level", p, "覆盖", obj, 100.0, "%", "at_least", True, part=index)
    pm = R.process_verbs_re.match(body)
    dm = R.deliverable_verbs_re.match(body)
    if dm and (not pm or len(dm.group(0)) >= len(pm.group(0))):
        verb = dm.group(0)
        obj = re.sub(r"（[^）]*）|\([^)]*\)", "", body[len(verb):])
        if verb in ("建设", "改造", "整治") and not re.search(r"(?:中心|馆|院|园|楼|站|厂|平台|工程|项目|基地|学校|医院|公园)$", obj):
            return TargetSpec("process", p, verb, obj, part=index)
        return TargetSpec("deliverable", p, verb, obj, part=index, items=_items(obj))
    verb = pm.group(0) if pm else ""
    obj = body[len(verb):]
    return TargetSpec("process", p, verb, obj, part=index)


def task_targets(task_text: str, R: Rules) -> list[TargetSpec]:
    """The targets of a task, in the order of the text."""
    return list(_task_targets(task_text, R))


_CACHE: dict[tuple[str, int], tuple[Rules, tuple[TargetSpec, ...]]] = {}


def _task_targets(task_text: str, R: Rules) -> tuple[TargetSpec, ...]:
    key = (task_text, id(R))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is R:
        return hit[1]
    text = task_text or ""
    quantified = parse_targets(text)
    out: list[TargetSpec] = []
    pos = 0
    parts = []
    for m in list(_PART_SPLIT_RE.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        parts.append((pos, end))
        pos = end + 1
    for index, (a, b) in enumerate(parts):
        part = text[a:b]
        if not part.strip():
            continue
        qs = [t for t in quantified if a <= t.span[0] < b and not _descriptor(text, t)]
        body = _LEAD_ADVERBS_RE.sub("", part.strip())
        pm = R.process_verbs_re.match(body)
        result = re.search(r"(?:建成投产|建成投用|建成|投产|投用|落地|开工|竣工|完工|开业|上市)$", body)
        if qs and pm and result and _kind_of(qs[0]) == "count":
            # 推动…等5个重点招商项目建成投产: a count of results
            t = qs[0]
            out.append(TargetSpec("count", part.strip(), result.group(0), t.subject, t.value, t.unit, t.qualifier,
                                  False, True, index, (), t))
            continue
        if qs and pm and all(t.verb in _GENERIC_BUILD for t in qs) and _kind_of(qs[0]) == "count":
            # 加快建设树人和平小学等4所中小学: a process, the number only names the scope
            out.append(TargetSpec("process", part.strip(), pm.group(0), body[len(pm.group(0)):], part=index))
            continue
        if qs:
            for t in qs:
                kind = _kind_of(t)
                if kind in ("level", "growth") and t.subject and t.label and t.label in part:
                    pre = part[:part.find(t.label)]
                    if pre.endswith("、"):
                        names = [n.strip("“”\" ") for n in re.split(r"[、]", pre.rstrip("、"))]
                        names = [R.process_verbs_re.sub("", n, count=1) if R.process_verbs_re.match(n) else n for n in names]
                        for n in names[-3:]:
                            if n:
                                rest = t.label[len(t.subject):] if t.label.startswith(t.subject) else t.label
                                out.append(TargetSpec(kind, n + rest, t.verb, n, t.value, t.unit, t.qualifier,
                                                      False, True, index, (), t))
                acc = kind == "level" and bool(R.accumulating_rates_re.search(t.subject or t.label or ""))
                label = re.sub(r"^(?:末|底)?前", "", _LEAD_ADVERBS_RE.sub("", _cut_at_part(t.label or t.text, part)))
                subject = re.sub(r"^(?:末|底)?前", "", _LEAD_ADVERBS_RE.sub("", t.subject or ""))
                subject = re.sub(r"^(?:完成|实现|新建|建成)", "", subject) if len(subject) > 4 else subject
                subject = _LEVEL_VERB_TAIL_RE.sub("", subject) if kind == "level" else subject
                out.append(TargetSpec(kind, label, t.verb, subject, t.value, t.unit, t.qualifier, acc,
                                      True, index, (), t))
            continue
        tl = _TIME_LIMIT_RE.search(part)
        if tl:
            subject = _LEAD_ADVERBS_RE.sub("", tl.group(1))
            out.append(TargetSpec("level", part.strip(), "压缩至", subject, float(tl.group(2)), tl.group(3), "at_most",
                                  False, True, index))
            continue
        spec = _deliverable_or_process(part, index, R)
        if spec:
            out.append(spec)
    if any(t.kind != "process" for t in out):
        out = [TargetSpec(t.kind, t.text, t.verb, t.object, t.goal, t.measure, t.qualifier, t.accumulating,
                          t.kind != "process", t.part, t.items, t.q) for t in out]
    res = tuple(out)
    if len(_CACHE) > 8192:
        _CACHE.clear()
    _CACHE[key] = (R, res)
    return res
