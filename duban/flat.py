"""The master as flat tables (one row per item and period), for analysts' tools."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .model import Master
from .notices import LEDGER_COLS

ITEM_COLUMNS = {"id": "序号", "category": "工作类别", "task": "工作任务", "target": "预期目标",
                "lead": "牵头单位", "coop": "配合单位", "units": "责任单位", "flags": "导入提示"}
PERIOD_COLUMNS = {"period": "期次", "progress": "进展情况", "amount": "完成量", "problems": "存在问题及下步打算",
                  "self_eval": "单位自评", "coop_progress": "配合单位进展", "status": "系统研判", "reason": "研判理由",
                  "override": "人工研判", "effective_status": "采用结论", "note": "备注", "source": "数据来源"}


def _frame(items: list[dict]) -> pd.DataFrame:
    """One row per item × period (an item with no period yet keeps one row)."""
    rows = []
    for item in items:
        base = {k: "、".join(v) if isinstance(v, list) else v for k, v in item.items()
                if k not in ("periods", "notices")}
        periods = item["periods"] or {"": {}}
        for label, entry in periods.items():
            row = dict(base, period=label)
            for k, v in entry.items():
                row["coop_progress" if k == "coop" else k] = v
            rows.append(row)
    df = pd.DataFrame(rows)
    order = [c for c in [*ITEM_COLUMNS, *PERIOD_COLUMNS] if c in df.columns]
    return df[order].rename(columns={**ITEM_COLUMNS, **PERIOD_COLUMNS})


def tables(master: Master) -> dict[str, pd.DataFrame]:
    data = master.to_json()
    units = pd.DataFrame(data["units"]).map(lambda v: "、".join(v) if isinstance(v, list) else v)
    return {
        "重点任务": _frame(data["tasks"]),
        "预期目标": _frame(data["indicators"]),
        "督办台账": pd.DataFrame(data["notices"], columns=[k for k, _ in LEDGER_COLS]).rename(
            columns=dict(LEDGER_COLS)),
        "单位": units.rename(columns={"name": "单位名称", "kind": "类别", "aliases": "别名", "members": "成员单位",
                                     "contact": "联系人", "email": "邮箱", "phone": "电话", "note": "备注"}),
    }


# A spreadsheet opening a CSV runs a field starting with one of these as a formula
# (OWASP "CSV injection"); tab and CR are on the list because some applications skip them.
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def neutralise(value):
    """A text field that a spreadsheet would run, made inert the OWASP way: a leading single quote.

    Nothing is stripped first, so "\t=cmd…" is caught too; a plain number such as
    "-5" or "+3.2%" stays as it is (a spreadsheet reads it as the number it is).
    """
    if isinstance(value, str) and value.startswith(FORMULA_LEAD) and not PLAIN_NUMBER_RE.fullmatch(value):
        return "'" + value
    return value


def write_csv(master: Master, out_dir: Path) -> list[Path]:
    """One UTF-8 (with BOM, so Excel opens it right) CSV per table; no field can run as a formula."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables(master).items():
        p = out_dir / f"{name}.csv"
        # CRLF: then a field holding a lone CR is quoted too (with "\n" it would split the row)
        df.map(neutralise).rename(columns=neutralise).to_csv(p, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        paths.append(p)
    return paths
