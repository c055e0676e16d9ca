"""`duban demo`: every step that exists, on the bundled 2022 notice."""
from __future__ import annotations

import time
from importlib import resources
from pathlib import Path


def sample_notice() -> Path:
    """The bundled 2022 Shapingba notice (public data)."""
    return Path(str(resources.files("duban.data").joinpath("notice_2022_shapingba.txt")))


def run_demo(out: Path | None = None, echo=print) -> dict:
    from .importer import init_master

    out = Path(out or f"duban-demo-{time.strftime('%Y%m%d-%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    master = out / "2022年督办主表.xlsx"
    if master.exists():
        master.unlink()
    echo("① 导入通知 → 主表")
    result = init_master(sample_notice(), master)
    for line in result.summary_lines()[:5]:
        echo(line)
    made["master"] = master
    echo("")
    echo(f"演示完成，输出目录：{out.resolve()}")
    for k, p in made.items():
        echo(f"  {k}: {p}")
    return made
