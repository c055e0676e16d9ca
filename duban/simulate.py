"""Simulated returns: the units' feedback workbooks, filled in as units really do.

Used by `duban demo`, the tests and the benchmark. The workbooks are the real ones
of `duban sheets` (:func:`duban.sheets.build_book` / :func:`~duban.sheets.write_books`)
with the input columns filled: most units report plausible progress — some on track
with numbers, some lagging ("尚未开工，正在办理前期手续"), some completed — a few do
not return at all, one sends a corrected second version, one file arrives broken,
and some come as saved emails.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from . import feedback_format as ff
from .model import Master

LAGGING = [
    "尚未开工，正在办理前期手续，力争三季度开工。",
    "受疫情影响，项目进度滞后，目前仍在开展方案论证。",
    "前期手续办理中，用地指标尚未落实，进度滞后于计划。",
]
ON_TRACK = [
    "按计划有序推进，各项工作正常开展。",
    "已制定工作方案，正在按时间节点推进，无重大困难。",
]
COMPLETED = ["已全面完成年度任务。", "已完成，并通过验收。"]
RECTIFY = [
    "收到督办单后召开专题会研究整改，倒排工期、专人盯办，目前已按计划推进。",
    "已制定整改方案，落实资金和责任人，滞后进度已基本追回。",
]
PROBLEMS = ["资金保障压力较大，下一步积极争取上级资金支持。", "部分群众意愿不统一，下一步加强宣传引导。", ""]


def progress_for(task_text: str, rng: random.Random, kind: str, share: float) -> tuple[str, str, str]:
    """(progress, amount, self_eval) for a task; ``kind``: on_track / lagging / completed."""
    from .quantities import parse_targets

    try:
        targets = parse_targets(task_text)
    except Exception:  # the parser is best effort; a text it cannot read gets words only
        targets = []
    if kind == "completed":
        if targets:
            done = "，".join(f"{t.subject or ''}{_num(t.value)}{t.unit or ''}" for t in targets[:3] if t.unit != "%")
            if done:
                return f"已全面完成年度任务，累计完成{done}。", done, "已完成"
        return rng.choice(COMPLETED), "", "已完成"
    if kind == "lagging":
        return rng.choice(LAGGING), "", "推进较为滞后"
    counted = [t for t in targets[:3] if t.unit not in ("%", "个百分点") and t.value]
    if counted:
        parts = []
        for t in counted:
            got = max(1, round(t.value * share * rng.uniform(0.9, 1.2)))
            parts.append(f"{t.subject or ''}{_num(got)}{t.unit or ''}")
        text = f"截至{'6月底' if share <= 0.5 else '目前'}，已完成" + "，".join(parts) + "，" + rng.choice(ON_TRACK)
        return text, "，".join(parts), "正常推进"
    growth = [t for t in targets if t.unit == "%"]
    if growth:
        t = growth[0]
        return f"{t.subject or ''}同比增长{t.value + rng.choice((-0.3, 0.2, 0.6)):.1f}%，{rng.choice(ON_TRACK)}", "", "正常推进"
    return rng.choice(ON_TRACK), "", "正常推进"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


@dataclass
class Simulation:
    files: list[Path] = field(default_factory=list)  # every file put in the inbox
    returned: list[str] = field(default_factory=list)  # units with a usable return
    silent: list[str] = field(default_factory=list)  # units that did not return
    resubmitted: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    emailed: list[str] = field(default_factory=list)


def simulate_returns(master: Master, label: str, inbox: Path, *, seed: int = 2022, silent: int = 3,
                     resubmit: int = 1, broken: int = 1, emails: int = 3, lag_share: float = 0.15,
                     done_share: float = 0.1, workers: int | None = None,
                     start: datetime | None = None) -> Simulation:
    """Write the filled-in returns of ``master``'s units for period ``label`` into ``inbox``."""
    from .sheets import build_book, period_deadline, plan_recipients, write_books

    rng = random.Random(seed)
    period = master.period(label)
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    plan = plan_recipients(master)
    names = [r.name for r in plan.recipients]
    sim = Simulation()
    order = list(names)
    rng.shuffle(order)
    sim.silent = sorted(order[:silent], key=names.index)
    sim.broken = sorted(order[silent:silent + broken], key=names.index)
    sim.resubmitted = sorted(order[silent + broken:silent + broken + resubmit], key=names.index)
    sim.emailed = sorted(order[silent + broken + resubmit:silent + broken + resubmit + emails], key=names.index)
    share = _time_share(period.end, master.year)
    deadline = period_deadline(master, period)
    stamp = (start or datetime(master.year, period.end.month, period.end.day, 9, 0) if period.end else datetime.now())
    books, firsts = [], []
    when: dict[str, datetime] = {}
    for i, r in enumerate(plan.recipients):
        if r.name in sim.silent:
            continue
        book = build_book(master, period, r, inbox, deadline=deadline)
        fill_book(book, rng, share, lag_share=lag_share, done_share=done_share)
        books.append(book)
        when[r.name] = stamp + timedelta(minutes=17 * i + rng.randint(0, 15))
        if r.name in sim.resubmitted:
            first = build_book(master, period, r, inbox, deadline=deadline)
            fill_book(first, random.Random(seed + i), share, lag_share=0.0, done_share=0.0)
            first.path = first.path.with_name(first.path.stem + "（初稿）.xlsx")
            firsts.append(first)
    for r_name in sim.resubmitted:  # the corrected version: one row left blank, one text changed
        book = next(b for b in books if b.unit == r_name)
        book.path = book.path.with_name(book.path.stem + "（更正）.xlsx")
        keys = [k for _, k in book.task_columns]
        if book.task_rows:  # left blank in the correction: the draft's text must survive
            book.task_rows[0][keys.index("problems")] = ""
    results = write_books(books + firsts, workers=workers)
    by_unit = {b.unit: b for b in books}
    for book, (path, error) in zip(books + firsts, results):
        if error:
            continue
        p = Path(path)
        t = when[book.unit] + (timedelta(hours=-20) if book in firsts else timedelta())
        if book.unit in sim.broken and book is by_unit[book.unit]:
            data = p.read_bytes()
            p.write_bytes(data[: len(data) // 3])  # a transfer broken off
        if book.unit in sim.emailed and book is by_unit[book.unit]:
            eml = p.with_suffix(".eml")
            eml.write_bytes(email_with(p.name, p.read_bytes(), book.unit, t, master.settings))
            p.unlink()
            os.utime(eml, (t.timestamp(), t.timestamp()))
            sim.files.append(eml)
            continue
        os.utime(p, (t.timestamp(), t.timestamp()))
        sim.files.append(p)
    sim.returned = [n for n in names if n not in sim.silent and n not in sim.broken]
    return sim


def _time_share(end, year) -> float:
    if not end:
        return 0.5
    start = datetime(year, 1, 1).date()
    return max(0.05, min(1.0, (end - start).days / 365))


def fill_book(book, rng: random.Random, share: float, *, lag_share: float = 0.15, done_share: float = 0.1) -> None:
    """Fill the input columns of a :class:`duban.sheets.FeedbackBook` in place."""
    keys = [k for _, k in book.task_columns]
    col = {k: i for i, k in enumerate(keys)}
    for row in book.task_rows:
        x = rng.random()
        kind = "lagging" if x < lag_share else "completed" if x < lag_share + done_share else "on_track"
        if "rectify" in col and row[col["notice"]]:  # a task under a notice: most units answer and catch up
            if rng.random() < 0.6:
                row[col["rectify"]] = rng.choice(RECTIFY)
                kind = "completed" if rng.random() < 0.3 else "on_track"
            else:
                kind = "lagging"
        text, amount, self_eval = progress_for(row[col["task"]], rng, kind, share)
        if row[col["role"]] == ff.ROLE_COOP:
            text, amount, self_eval = "积极配合牵头单位推进，" + text, "", ""
        row[col["progress"]] = text
        row[col["amount"]] = amount
        row[col["problems"]] = rng.choice(PROBLEMS) if kind != "completed" else ""
        row[col["self_eval"]] = self_eval
    if book.indicator_columns:
        keys = [k for _, k in book.indicator_columns]
        col = {k: i for i, k in enumerate(keys)}
        for row in book.indicator_rows:
            text, amount, _ = progress_for(row[col["target"]], rng, "on_track", share)
            row[col["progress"]] = text
            row[col["amount"]] = amount


def email_with(filename: str, data: bytes, unit: str, when: datetime, settings: dict) -> bytes:
    """A saved email (.eml) from ``unit`` carrying ``filename`` as attachment."""
    msg = EmailMessage()
    msg["From"] = f"{unit} <unit@example.gov.cn>"
    msg["To"] = str(settings.get("contact_email") or "duchaban@example.gov.cn")
    msg["Subject"] = f"{unit}报送进展反馈表"
    msg["Date"] = format_datetime(when.astimezone())
    msg.set_content(f"督查办：\n    附件是{unit}的进展反馈表，请查收。\n{unit}")
    msg.add_attachment(data, maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=filename)
    return bytes(msg)



# ---------------------------------------------------------------------------
# the demo step
# ---------------------------------------------------------------------------

def step_collect(ctx: dict, echo) -> None:
    """`duban demo`: simulated returns (a few missing, one sent twice, one broken), then collect."""
    from .collect import ACCEPTED, collect
    from .master import load_master
    from .store import open_store

    from . import demo

    period, out = ctx["period"], ctx["out"]
    n = demo.STEPS.index(step_collect) if step_collect in demo.STEPS else 1
    echo(f"{'①②③④⑤⑥⑦⑧⑨⑩'[min(n, 9)]} 模拟各单位报回反馈表 → 汇总进主表")
    with open_store(ctx["master"]) as store:
        master = load_master(store)
        if period not in [p.label for p in master.periods] or not master.settings.get("secret"):
            from .sheets import run_sheets  # no sheets step ran before: make the period and its workbooks

            from .actions import feedback_dir

            run_sheets(store, period, feedback_dir(out, period))
            ctx["made"].append(("反馈表", feedback_dir(out, period)))
            master = load_master(store)
    inbox = out / "收件箱"
    sim = simulate_returns(master, period, inbox)
    echo(f"  模拟收到 {len(sim.files)} 个文件（其中 {len(sim.emailed)} 封邮件 .eml）："
         f"未报送 {'、'.join(sim.silent)}；报了两次 {'、'.join(sim.resubmitted)}；文件损坏 {'、'.join(sim.broken)}")
    result = collect(ctx["master"], [inbox], period)
    lines = result.summary_lines()
    # the demo shows every row that is not a plain 采用, and the outstanding list
    body = [ln for ln in lines[1:] if not ln.lstrip().startswith(ACCEPTED)]
    accepted = len(result.by_result(ACCEPTED))
    echo(lines[0])
    echo(f"  （{accepted} 个“采用”的文件从略，详见主表“报送记录”工作表；下表是其余文件）")
    for ln in body:
        echo(ln)
    ctx["inbox"], ctx["collect"] = inbox, result
    ctx["made"] += [("模拟收件箱", inbox), ("归档", out / "归档" / period)]
