"""The engine's vocabulary and result types: statuses, Judgement, evidence records."""
from __future__ import annotations

from dataclasses import dataclass, field

# Task statuses
DONE = "已完成"
NORMAL = "正常推进"
LAGGING = "推进较为滞后"
NOT_REPORTED = "未报送"
MANUAL = "需人工研判"
TASK_STATUSES = (DONE, NORMAL, LAGGING, NOT_REPORTED, MANUAL)

# Indicator statuses
IND_MET = "符合预期"
IND_MISSED = "不达预期"
IND_ON_COURSE = "符合时间节点要求"
INDICATOR_STATUSES = (IND_MET, IND_MISSED, IND_ON_COURSE, NOT_REPORTED, MANUAL)


@dataclass(frozen=True, slots=True)
class Judgement:
    """Result of a judgement: ``status`` and ``reason`` are Chinese, user-facing;
    ``details`` is a JSON-serialisable dict for auditing (share, targets …)."""

    status: str
    reason: str
    details: dict = field(default_factory=dict)
    light: str = ""  # 绿 / 黄 / 红, '' when there is nothing to measure (未报送, 需人工研判)
    evidence: tuple = ()  # one dict per target, keys as EVIDENCE_KEYS


EVIDENCE_KEYS = ("target", "kind", "object", "goal", "measure", "actual", "actual_text", "share", "expected",
                 "gap", "stage", "state", "quote", "unit", "principal", "line")


# evidence states of a target that lags (the report's and the notices' "lagging target")
BEHIND_STATES = ("behind", "not_started")


def evidence_record(**values) -> dict:
    """An evidence dict with every key of EVIDENCE_KEYS present (None when unknown)."""
    rec = {k: None for k in EVIDENCE_KEYS}
    rec.update(values)
    return rec



def effective_status(engine_status: str, override: str | None) -> str:
    """The status to show: the manual override when non-blank, else the engine's."""
    if override is not None:
        o = str(override).strip()
        if o and o.lower() not in ("nan", "none"):
            return o
    return engine_status
