"""`duban demo`: every step that exists, on the bundled 2022 notice.

Each step is a function ``step_x(ctx, echo)`` appended to STEPS; ``ctx`` carries the
paths made so far (``ctx["out"]``, ``ctx["master"]``, …) and ``ctx["made"]`` lists
what the demo produced, for the final listing.
"""
from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

DEMO_PERIOD = "1-6月"


def sample_notice() -> Path:
    """The bundled 2022 Shapingba notice (public data)."""
    return Path(str(resources.files("duban.data").joinpath("notice_2022_shapingba.txt")))


def step_init(ctx: dict, echo) -> None:
    from .importer import init_master

    master = ctx["out"] / "2022年督办主表.xlsx"
    if master.exists():
        master.unlink()
    echo("① 导入通知 → 主表")
    result = init_master(sample_notice(), master)
    for line in result.summary_lines()[:5]:
        echo(line)
    ctx["master"] = master
    ctx["made"].append(("主表", master))


def step_report(ctx: dict, echo) -> None:
    """The period's report: .docx, annex .xlsx, and the PDF + its first page as PNG when LibreOffice is there."""
    from .master import load_master, save_master
    from .report import render_page_png, run_report
    from .store import open_store

    period = ctx["period"]
    echo(f"{'①②③④⑤⑥⑦⑧⑨⑩'[min(STEPS.index(step_report), 9)]} 生成{period}督办报告 → Word、附件 Excel、PDF")
    with open_store(ctx["master"]) as store:
        master = load_master(store)
        if period not in [p.label for p in master.periods]:  # no earlier step opened the period
            master.add_period(period)
            master.settings["current_period"] = period
            save_master(store, master, parts=("settings",))
            echo(f"  主表中还没有期次“{period}”，已建立；尚无进展，报告中各项列为“尚未研判”。")
    out = ctx["out"]
    stem = f"{master.year}年区政府工作报告重点任务{period}推进情况报告"
    result = run_report(ctx["master"], out / f"{stem}.docx", period, xlsx=out / f"{stem}_附件.xlsx", pdf=True)
    for line in result.summary_lines():
        echo(line)
    ctx["made"] += [("报告", result.docx), ("报告附件", result.xlsx)]
    if result.pdf:
        ctx["made"].append(("报告 PDF", result.pdf))
        png = render_page_png(result.pdf, out / f"{stem}_第1页.png", dpi=100)
        if png:
            ctx["made"].append(("报告第1页", png))


# Later steps (sheets, mail, returns, collect, status) go between step_init and step_report;
# the report stays last.
STEPS = [step_init, step_report]

# Simulated returns + collect (duban.simulate): after sheets/mail, before the report.
from .simulate import step_collect  # noqa: E402

STEPS.insert(next((i for i, s in enumerate(STEPS) if s.__name__ == "step_report"), len(STEPS)), step_collect)


def run_demo(out: Path | None = None, echo=print) -> dict:
    out = Path(out or f"duban-demo-{time.strftime('%Y%m%d-%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)
    ctx: dict = {"out": out, "period": DEMO_PERIOD, "made": []}
    for step in STEPS:
        step(ctx, echo)
        echo("")
    echo(f"演示完成，输出目录：{out.resolve()}")
    for what, path in ctx["made"]:
        echo(f"  {what}：{path}")
    return ctx
