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


# Later steps (sheets, mail, returns, collect, status, report) append themselves here.
STEPS = [step_init]


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
