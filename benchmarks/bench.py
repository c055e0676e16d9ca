"""duban's benchmark: a synthetic master at city scale, every step timed.

Run by hand (not part of the tests):

    /tmp/venv/bin/python benchmarks/bench.py                 # 10,000 tasks, 1,000 units
    /tmp/venv/bin/python benchmarks/bench.py --tasks 500 --units 60
    /tmp/venv/bin/python benchmarks/bench.py --compare       # also openpyxl vs XlsxWriter

The last line printed is one JSON object: sizes, then one ``<step>_s`` key per timed
step, in seconds, e.g. ``{"tasks": 10000, "units": 1000, "master_write_s": 3.1, "sheets_s": 4.2}``.

Adding a step: write ``def step_<name>(ctx) -> None`` below (it may read and add
to ``ctx``: ``ctx["dir"]`` work folder, ``ctx["master"]`` the model,
``ctx["master_path"]`` the written master, ``ctx["period"]``, ``ctx["args"]``) and
append ``("<name>_s", step_<name>)`` to STEPS in the order the workflow runs. The
timer covers the whole function, so keep set-up that is not part of the step out
of it (or in an earlier step).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from duban.model import Indicator, Master, Period, Task, Unit  # noqa: E402

PERIOD = "1-6月"
PREVIOUS = "1-3月"

# ---------------------------------------------------------------------------
# synthetic master
# ---------------------------------------------------------------------------

_PLACE = list("沙坪石井渝北江南华岩凤凰青木回龙中梁歌乐山洞覃家童桥土湾新天陈双碑磁器丰文井口大学城西永曾家虎溪含谷金凤白市香炉")
_FIELD = ["发展改革", "经济信息", "商务", "科技", "教育", "财政", "人力社保", "规划自然资源", "生态环境", "住房城乡建设",
          "城市管理", "交通", "水利", "农业农村", "文化旅游", "卫生健康", "应急管理", "市场监管", "统计", "医疗保障",
          "民政", "司法", "审计", "国资", "体育", "退役军人事务", "信访", "大数据发展", "林业", "粮食"]
_DEPT_SUFFIX = ["委", "局", "办", "中心"]
_PROGRESS = [
    "已完成年度目标的{p}%，{n}个子项目全部开工，累计完成投资{m}亿元。",
    "正在加快推进，已完成前期手续办理，预计三季度开工建设。",
    "已建成{n}个，在建{m}个，按计划推进，无重大困难。",
    "受疫情影响进度略有滞后，已制定赶工计划，确保年底前完成。",
]


def _notice_pool() -> tuple[list[Task], list[Indicator]]:
    """Real task and indicator texts: the bundled 2022 notice, imported once."""
    from duban.demo import sample_notice
    from duban.notice import read_notice

    notice = read_notice(sample_notice())
    return notice.tasks, notice.indicators


def _unit_names(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """n distinct (name, kind) pairs that look like a city's units."""
    names: dict[str, str] = {}
    while len(names) < n:
        roll = rng.random()
        a, b = rng.sample(_PLACE, 2)
        if roll < 0.45:
            name, kind = f"{a}{b}区{rng.choice(_FIELD)}{rng.choice(_DEPT_SUFFIX)}", "区级部门"
        elif roll < 0.85:
            name, kind = f"{a}{b}{rng.choice(['街道', '镇'])}", "镇街"
        elif roll < 0.95:
            name, kind = f"{a}{b}{rng.choice(['城投', '工投', '旅投', '水务', '物流'])}集团公司", "国有企业"
        else:
            name, kind = f"{a}{b}{rng.choice(['商圈', '园区', '景区'])}管委会", "管委会"
        names.setdefault(name, kind)
    return list(names.items())


def _vary(text: str, rng: random.Random) -> str:
    """The same sentence with other numbers, so no two tasks are the same string."""
    return re.sub(r"\d+", lambda m: str(max(1, int(m.group()) + rng.randint(-9, 30))), text) + f"（{rng.randint(1, 9999)}）"


def build_master(n_tasks: int = 10_000, n_units: int = 1_000, seed: int = 2022) -> Master:
    """A master with n_tasks tasks, n_units units, 1-3 leads and 0-8 cooperating units per task."""
    rng = random.Random(seed)
    pool_tasks, pool_inds = _notice_pool()
    units = [Unit(name=name, kind=kind, email=f"unit{i}@example.gov.cn", contact=f"联系人{i}")
             for i, (name, kind) in enumerate(_unit_names(n_units, rng), start=1)]
    names = [u.name for u in units]
    master = Master(year=2022, units=units)
    master.settings.update({"secret": "bench-secret", "contact": "市政府督查室", "contact_phone": "023-12345678",
                            "contact_email": "duchashi@example.gov.cn", "text_limit": 2000})
    master.periods = [Period(PREVIOUS, date(2022, 3, 31), date(2022, 4, 7)),
                      Period(PERIOD, date(2022, 6, 30), date(2022, 7, 7))]
    for i in range(1, n_tasks + 1):
        src = rng.choice(pool_tasks)
        picked = rng.sample(names, rng.randint(1, 3) + rng.randint(0, 8))
        n_lead = rng.randint(1, 3)
        text = _vary(src.task, rng)
        if rng.random() < 0.3:
            text += "；" + _vary(rng.choice(pool_tasks).task, rng)
        t = Task(id=i, category=src.category, task=text, lead=picked[:n_lead], coop=picked[n_lead:n_lead + rng.randint(0, 8)],
                 leader=f"副市长{rng.randint(1, 9)}", deadline=rng.choice(["", "6月底前", "12月底前", "全年"]))
        e = t.entry(PREVIOUS)
        e.progress = rng.choice(_PROGRESS).format(p=rng.randint(10, 60), n=rng.randint(1, 30), m=rng.randint(1, 99))
        e.self_eval = rng.choice(["正常推进", "已完成", "推进较为滞后"])
        master.tasks.append(t)
    for i in range(1, max(10, n_tasks // 100) + 1):
        src = rng.choice(pool_inds)
        master.indicators.append(Indicator(id=i, target=_vary(src.target, rng), units=rng.sample(names, rng.randint(1, 2))))
    return master


# ---------------------------------------------------------------------------
# steps
# ---------------------------------------------------------------------------

def step_master_write(ctx) -> None:
    """Write the whole master to a new .xlsx (what `duban init` ends with)."""
    from duban.master import new_master_store
    from duban.store import open_store

    path = ctx["dir"] / "master.xlsx"
    with open_store(path, create=True) as store:
        new_master_store(store, ctx["master"])
    ctx["master_path"] = path


def step_master_read(ctx) -> None:
    """Load the master back into the model (what every command starts with)."""
    from duban.master import load_master
    from duban.store import open_store

    with open_store(ctx["master_path"], write=False) as store:
        ctx["master"] = load_master(store)


def step_sheets(ctx) -> None:
    """One feedback workbook per recipient unit (`duban sheets`), automatic process count."""
    from duban.sheets import generate_sheets

    result = generate_sheets(ctx["master"], ctx["period"], ctx["dir"] / "sheets",
                             with_coop=ctx["args"].with_coop, workers=ctx["args"].workers)
    assert not result.failed, result.failed[:3]
    ctx["sheet_files"] = len(result.files)
    ctx["sheet_rows"] = sum(len(r.lead) + len(r.coop) for r in result.plan.recipients)


def step_returns(ctx) -> None:
    """Simulated returns of every recipient (duban.simulate): filled workbooks, a few as .eml (set-up for collect)."""
    from duban.simulate import simulate_returns

    sim = simulate_returns(ctx["master"], ctx["period"], ctx["dir"] / "inbox", workers=ctx["args"].workers)
    ctx["returns"] = len(sim.files)


def step_read_calamine(ctx) -> None:
    """Merely read every returned workbook's data sheets with python-calamine: the floor for collect."""
    import python_calamine as pc

    for p in sorted((ctx["dir"] / "inbox").iterdir()):
        if p.suffix == ".xlsx":
            try:
                wb = pc.CalamineWorkbook.from_path(str(p))
            except pc.CalamineError:  # the simulated broken file
                continue
            for name in wb.sheet_names:
                if name != "填报说明":
                    wb.get_sheet_by_name(name).to_python()


def step_collect(ctx) -> None:
    """`duban collect` of the inbox into the master file (read every return once, write the master once)."""
    from duban.collect import collect

    result = collect(ctx["master_path"], [ctx["dir"] / "inbox"], ctx["period"])
    ctx["collect_accepted"] = result.counts["采用"]
    ctx["master"] = result.model


def step_report(ctx) -> None:
    """The period's report (.docx) and its annex workbook (`duban report`), from the model.

    The collected model is not judged, so every item is still open: written as a draft
    (`--draft`), whose last page lists them all — the heavier case."""
    from duban.report import write_report

    result = write_report(ctx["master"], ctx["dir"] / "report.docx", ctx["period"], xlsx=ctx["dir"] / "annexes.xlsx",
                          draft=True)
    ctx["report_rows"] = sum(len(t.rows) for t in result.facts.tables)


def step_status_texts(ctx) -> None:
    """Set-up for status: the collected master's tasks with dense, realistic 进展情况 for the period
    (200–400 characters, 10–15 numbers in numbered parts: benchmarks/progress_texts.py), as a model
    of its own so that no other step sees these texts."""
    from benchmarks.progress_texts import dense_progress

    src, label = ctx["master"], ctx["period"]
    rng = random.Random(ctx["args"].seed)
    m = Master(year=src.year, settings=dict(src.settings), periods=list(src.periods))
    for t in src.tasks:
        c = Task(id=t.id, category=t.category, task=t.task, lead=list(t.lead), coop=list(t.coop), deadline=t.deadline)
        e, ce = t.entry(label), c.entry(label)
        ce.progress, ce.amount, ce.override = dense_progress(t.task, rng), e.amount, e.override
        m.tasks.append(c)
    for i in src.indicators:
        c = Indicator(id=i.id, target=i.target, units=list(i.units))
        e, ce = i.entry(label), c.entry(label)
        ce.progress, ce.amount = e.progress, e.amount
        m.indicators.append(c)
    ctx["status_master"] = m


def step_status(ctx) -> None:
    """`duban status`'s engine on those texts: judge every task and indicator (judge_master), automatic process count."""
    from duban.status import judge_master

    result = judge_master(ctx["status_master"], ctx["period"], workers=ctx["args"].workers)
    assert sum(result.tasks.values()) == len(ctx["status_master"].tasks)


# -- writer comparison (--compare): the same books, one process, each library ----------

def _books(ctx, out: Path):
    from duban.sheets import build_book, plan_recipients

    m = ctx["master"]
    period = m.period(ctx["period"])
    plan = plan_recipients(m, with_coop=ctx["args"].with_coop)
    return [build_book(m, period, r, out, generated="2022-07-01 09:00:00") for r in plan.recipients]


def step_writer_xlsxwriter(ctx) -> None:
    """XlsxWriter, single process, on the first --compare-units books."""
    from duban.sheets import write_book

    for b in _books(ctx, ctx["dir"] / "cmp_xlsxwriter")[: ctx["args"].compare_units]:
        write_book(b)


def step_writer_openpyxl(ctx) -> None:
    """openpyxl, single process, the same books with the same features."""
    for b in _books(ctx, ctx["dir"] / "cmp_openpyxl")[: ctx["args"].compare_units]:
        write_book_openpyxl(b)


def write_book_openpyxl(book) -> Path:
    """The feedback workbook written with openpyxl instead (benchmark comparison only)."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from duban import feedback_format as ff
    from duban.model import SELF_EVAL_CHOICES
    from duban.sheets import WIDTHS, row_height

    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = ff.README_SHEET
    readme.column_dimensions["A"].width = 76
    for r, (kind, text) in enumerate(book.readme, start=1):
        if kind != "blank":
            c = readme.cell(r, 1, text)
            c.alignment = Alignment(wrap_text=True, vertical="top")
            c.font = Font(name="仿宋", size=16 if kind == "title" else 11, bold=kind != "text")
    readme.protection.sheet = True
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    body = Font(name="仿宋", size=11)
    fill = PatternFill("solid", fgColor="FFF2CC")
    unlocked = Protection(locked=False)
    for name, cols, rows, inputs in ((ff.TASK_SHEET, book.task_columns, book.task_rows, ff.INPUT_TASK_KEYS),
                                     (ff.INDICATOR_SHEET, book.indicator_columns, book.indicator_rows,
                                      ff.INPUT_INDICATOR_KEYS)):
        if not cols:
            continue
        ws = wb.create_sheet(name)
        keys = [k for _, k in cols]
        for c, (title, key) in enumerate(cols, start=1):
            ws.column_dimensions[get_column_letter(c)].width = WIDTHS.get(key, 14)
            h = ws.cell(1, c, title)
            h.font = Font(name="黑体", bold=True)
            h.fill = PatternFill("solid", fgColor="DDEBF7")
            h.border = border
        widths = [WIDTHS.get(k, 14) for k in keys]
        for r, values in enumerate(rows, start=2):
            ws.row_dimensions[r].height = row_height(zip(values, widths), min_lines=3)
            for c, value in enumerate(values, start=1):
                cell = ws.cell(r, c, int(value) if keys[c - 1] == "id" else (value or None))
                cell.border, cell.alignment, cell.font = border, wrap, body
                if keys[c - 1] in inputs:
                    cell.fill, cell.protection = fill, unlocked
        if rows:
            for c, key in enumerate(keys, start=1):
                if key not in inputs:
                    continue
                col = get_column_letter(c)
                if key == "self_eval":
                    dv = DataValidation(type="list", formula1='"' + ",".join(SELF_EVAL_CHOICES) + '"',
                                        promptTitle="自评", prompt="请选择", showInputMessage=True, showErrorMessage=True)
                else:
                    dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(book.text_limit),
                                        promptTitle="字数", prompt=f"最多 {book.text_limit} 字",
                                        showInputMessage=True, showErrorMessage=True)
                dv.add(f"{col}2:{col}{len(rows) + 1}")
                ws.add_data_validation(dv)
        ws.freeze_panes = "D2"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "1:1"
        ws.protection.sheet = True
        if book.password:
            ws.protection.password = book.password
    meta = wb.create_sheet(ff.META_SHEET)
    for r, key in enumerate(ff.META_KEYS, start=1):
        meta.cell(r, 1, key)
        meta.cell(r, 2, book.meta.get(key, ""))
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True
    path = Path(book.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# (key in the JSON, function), in workflow order. Append new steps here.
STEPS = [
    ("master_write_s", step_master_write),
    ("master_read_s", step_master_read),
    ("sheets_s", step_sheets),
    ("returns_s", step_returns),
    ("read_calamine_s", step_read_calamine),
    ("collect_s", step_collect),
    ("status_texts_s", step_status_texts),
    ("status_s", step_status),
    ("report_s", step_report),
]
COMPARE_STEPS = [
    ("writer_xlsxwriter_s", step_writer_xlsxwriter),
    ("writer_openpyxl_s", step_writer_openpyxl),
]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description="duban benchmark: synthetic city-scale master, every step timed")
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--units", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=2022)
    ap.add_argument("--with-coop", action="store_true", help="cooperating units get workbooks too")
    ap.add_argument("--workers", type=int, default=None, help="processes for sheets, returns and status (default: automatic)")
    ap.add_argument("--compare", action="store_true", help="also time openpyxl against XlsxWriter (single process)")
    ap.add_argument("--compare-units", type=int, default=200, help="workbooks per library in --compare")
    ap.add_argument("--keep", type=Path, default=None, help="write into this folder and keep the files")
    args = ap.parse_args(argv)

    out: dict = {"tasks": args.tasks, "units": args.units}
    t0 = time.perf_counter()
    master = build_master(args.tasks, args.units, args.seed)
    print(f"synthetic master built in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        ctx = {"dir": work, "master": master, "period": PERIOD, "args": args}
        for key, step in STEPS + (COMPARE_STEPS if args.compare else []):
            t0 = time.perf_counter()
            step(ctx)
            out[key] = round(time.perf_counter() - t0, 3)
            print(f"{key:24s} {out[key]:8.3f}", file=sys.stderr)
        for key in ("sheet_files", "sheet_rows", "returns", "collect_accepted", "report_rows"):
            if key in ctx:
                out[key] = ctx[key]
    print(json.dumps(out, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
