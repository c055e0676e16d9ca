"""The master's data model: plain dataclasses, no I/O.

Every later step (sheets, collect, status, report) works on these objects; how they
are laid out in a workbook is the business of :mod:`duban.master`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Status vocabulary (user-facing, Chinese).
TASK_STATUSES = ("已完成", "正常推进", "推进较为滞后", "未报送", "需人工研判")
INDICATOR_STATUSES = ("符合预期", "不达预期", "符合时间节点要求", "未报送", "需人工研判")
SELF_EVAL_CHOICES = ("已完成", "正常推进", "推进较为滞后")

_OPEN = "（"
_CLOSE = "）"


def normalize_parens(text: str) -> str:
    """Full-width parentheses everywhere: the notice mixes both forms."""
    return text.replace("(", _OPEN).replace(")", _CLOSE)


def clean_text(value) -> str:
    """A cell value as stripped text ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass
class PeriodEntry:
    """What the master holds for one task or indicator in one period."""

    progress: str = ""  # 进展情况 (for tasks with several leads: labelled per unit)
    amount: str = ""  # 完成量 / 实际值
    problems: str = ""  # 存在问题及下步打算
    self_eval: str = ""  # 自评
    coop: str = ""  # 配合单位进展
    status: str = ""  # engine's proposal
    light: str = ""  # engine's progress light: 绿 / 黄 / 红 / ''
    reason: str = ""
    override: str = ""  # 人工研判, always wins
    note: str = ""
    source: str = ""  # which file(s) the values came from
    # per-target evidence of the engine (not stored in the master; see status.attach_evidence)
    evidence: list = field(default_factory=list)

    @property
    def effective_status(self) -> str:
        return self.override.strip() or self.status

    def to_json(self) -> dict:
        return {
            "progress": self.progress,
            "status": self.status,
            "light": self.light,
            "reason": self.reason,
            "override": self.override,
            "effective_status": self.effective_status,
            "amount": self.amount,
            "problems": self.problems,
            "self_eval": self.self_eval,
            "coop": self.coop,
            "note": self.note,
            "source": self.source,
            "evidence": list(self.evidence),
        }


@dataclass
class Indicator:
    id: int
    target: str
    units: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    periods: dict[str, PeriodEntry] = field(default_factory=dict)

    def entry(self, period: str) -> PeriodEntry:
        return self.periods.setdefault(period, PeriodEntry())


@dataclass
class Task:
    id: int
    category: str
    task: str
    lead: list[str] = field(default_factory=list)
    coop: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    leader: str = ""  # 责任领导 / 分管领导
    deadline: str = ""  # 完成时限 / 时间节点
    periods: dict[str, PeriodEntry] = field(default_factory=dict)

    def entry(self, period: str) -> PeriodEntry:
        return self.periods.setdefault(period, PeriodEntry())


UNIT_KINDS = ("区级部门", "镇街", "国有企业", "管委会", "群团组织", "驻区单位", "群体", "其他")


@dataclass
class Unit:
    """One row of the 单位 sheet: a canonical recipient (or a group)."""

    name: str
    kind: str = "其他"
    aliases: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    contact: str = ""
    email: str = ""
    phone: str = ""
    note: str = ""

    @property
    def is_group(self) -> bool:
        return self.kind == "群体"


@dataclass
class Period:
    label: str
    end: date | None = None
    deadline: date | None = None  # return deadline for the units


def default_period_end(label: str, year: int) -> date | None:
    """The natural end date of a period label such as '1-6月', '上半年', '全年' (None: not a period)."""
    from .errors import PeriodError
    from .periods import period_end

    try:
        return period_end(label, year)
    except PeriodError:
        return None


@dataclass
class LogRow:
    """One row of 报送记录: a file seen by collect."""

    period: str
    unit: str
    file: str
    sha256: str
    received: str
    result: str  # 采用 / 被新版本替代 / 退回
    reason: str = ""
    signature: str = ""  # 已验证 / 无签名 / 不匹配
    archive: str = ""


@dataclass
class Master:
    year: int
    settings: dict = field(default_factory=dict)
    periods: list[Period] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    log: list[LogRow] = field(default_factory=list)
    notices: list = field(default_factory=list)  # 督办台账 rows (duban.notices.Notice), read-only here

    # -- periods -------------------------------------------------------
    def period(self, label: str | None) -> Period:
        """The period named ``label`` or the current one; raises PeriodError.

        ``label`` may be any accepted spelling (1—6月, 上半年 …): it matches the period
        whose label normalises the same way. A label that is no period at all is refused
        with the valid forms (:class:`~duban.periods.PeriodFormatError`).
        """
        from .errors import PeriodError
        from .periods import normalize_period, same_period

        given = (label or "").strip()
        label = (given or self.settings.get("current_period") or "").strip()
        if not label:
            if self.periods:
                return self.periods[-1]
            raise PeriodError("主表还没有任何期次：请先用 duban sheets 主表 --period 1-6月 建立期次")
        for p in self.periods:
            if p.label == label:
                return p
        for p in self.periods:
            if same_period(p.label, label):
                return p
        known = "、".join(p.label for p in self.periods) or "（无）"
        if given:
            normalize_period(label)  # a typo is named as such, with the valid forms
        raise PeriodError(f"主表中没有期次“{label}”，已有期次：{known}")

    def add_period(self, label: str, end: date | None = None) -> Period:
        """The period ``label`` (any accepted spelling), created when the master has none such.

        A new period whose end date is that of an existing period (1-12月 beside 全年) is
        refused: it would be a second, empty copy of that period.
        """
        from .errors import PeriodError
        from .periods import normalize_period, period_end, same_period

        label = label.strip()
        for p in self.periods:
            if p.label == label or same_period(p.label, label):
                if end and not p.end:
                    p.end = end
                return p
        label = normalize_period(label)
        end = end or period_end(label, self.year)
        for p in self.periods:
            if p.end == end:
                raise PeriodError(
                    f"主表已有期次“{p.label}”，截止日期同为{end.isoformat()}，不能再建期次“{label}”。"
                    f"请用 --period {p.label}")
        p = Period(label, end)
        self.periods.append(p)
        return p

    def previous_period(self, label: str) -> Period | None:
        for i, p in enumerate(self.periods):
            if p.label == label:
                return self.periods[i - 1] if i > 0 else None
        return None

    # -- units ---------------------------------------------------------
    def unit_index(self) -> dict[str, Unit]:
        """Every name and alias → its canonical unit row."""
        index: dict[str, Unit] = {}
        for u in self.units:
            index[u.name] = u
            for a in u.aliases:
                index.setdefault(a, u)
        return index

    def canonical(self, name: str) -> str:
        u = self.unit_index().get(name)
        return u.name if u else name

    def task_by_id(self) -> dict[int, Task]:
        return {t.id: t for t in self.tasks}

    def indicator_by_id(self) -> dict[int, Indicator]:
        return {i.id: i for i in self.indicators}

    def to_json(self) -> dict:
        from .history import notice_history

        return {
            "year": self.year,
            "current_period": self.settings.get("current_period", ""),
            "periods": [
                {"label": p.label, "end": p.end.isoformat() if p.end else None,
                 "deadline": p.deadline.isoformat() if p.deadline else None}
                for p in self.periods
            ],
            "indicators": [
                {"id": i.id, "target": i.target, "units": i.units, "flags": i.flags,
                 "periods": {k: v.to_json() for k, v in i.periods.items()}}
                for i in self.indicators
            ],
            "tasks": [
                {"id": t.id, "category": t.category, "task": t.task, "lead": t.lead,
                 "coop": t.coop, "flags": t.flags, "leader": t.leader, "deadline": t.deadline,
                 "periods": {k: v.to_json() for k, v in t.periods.items()},
                 "notices": notice_history(self, t.id)}
                for t in self.tasks
            ],
            "notices": [n.to_json() for n in sorted(self.notices, key=lambda n: n.seq)],
            "units": [
                {"name": u.name, "kind": u.kind, "aliases": u.aliases, "members": u.members,
                 "contact": u.contact, "email": u.email, "phone": u.phone, "note": u.note}
                for u in self.units
            ],
        }
