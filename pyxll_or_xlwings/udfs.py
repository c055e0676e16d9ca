"""Cell functions for the master: =DUBAN_STATUS(...), =DUBAN_REASON(...), ….

Named in the master's ``xlwings.conf`` sheet (UDF Modules = duban.xl.udfs). Each is a
thin wrapper over :mod:`duban.judge`/:mod:`duban.quantities`; the decorators leave
them callable as plain Python, which is how they are tested on Linux. They never
raise into Excel: bad input comes back as a readable Chinese string.
"""
from __future__ import annotations

import datetime as _dt
import functools

import xlwings as xw

from .. import judge
from ..quantities import parse_targets

ERROR_PREFIX = "#DUBAN!"


def _text(value, what: str) -> str:
    """One cell's worth of text; a whole range is refused with a clear message."""
    if isinstance(value, (list, tuple)):
        flat = [v for row in value for v in (row if isinstance(row, (list, tuple)) else [row])]
        non_empty = [v for v in flat if v not in (None, "")]
        if len(non_empty) > 1:
            raise ValueError(f"{what}应是一个单元格，不是一个区域")
        value = non_empty[0] if non_empty else None
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> _dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, (int, float)):  # an Excel serial number
        return (_dt.datetime(1899, 12, 30) + _dt.timedelta(days=float(value))).date()
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"期次截止日期“{value}”不是日期，请写成 2022-06-30") from None


def _safe(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # never a traceback into a cell
            return f"{ERROR_PREFIX} {exc}"

    return wrapper


def _judge_task(task, progress, period_end):
    end = _date(period_end) or _dt.date.today()
    return judge.judge_task(_text(task, "工作任务"), _text(progress, "进展情况"), end, end.year)


@xw.func
@xw.arg("task", doc="工作任务文字")
@xw.arg("progress", doc="本期进展情况")
@xw.arg("period_end", doc="期次截止日期（可省略，默认今天）")
@_safe
def DUBAN_STATUS(task, progress, period_end=None):
    """系统研判：已完成 / 正常推进 / 推进较为滞后 / 未报送 / 需人工研判"""
    return _judge_task(task, progress, period_end).status


@xw.func
@xw.arg("task", doc="工作任务文字")
@xw.arg("progress", doc="本期进展情况")
@xw.arg("period_end", doc="期次截止日期（可省略，默认今天）")
@_safe
def DUBAN_REASON(task, progress, period_end=None):
    """研判理由（含数字）"""
    return _judge_task(task, progress, period_end).reason


@xw.func
@xw.arg("task", doc="工作任务文字")
@_safe
def DUBAN_TARGETS(task):
    """识别出的量化目标，以“；”分隔"""
    targets = parse_targets(_text(task, "工作任务"))
    if not targets:
        return "（无量化目标）"
    return "；".join(t.label or t.display for t in targets)


@xw.func
@xw.arg("target", doc="预期目标文字，如 地区生产总值增长5.5%左右")
@xw.arg("progress", doc="进展情况或实际值")
@_safe
def DUBAN_INDICATOR(target, progress):
    """指标研判：符合预期 / 不达预期 / 符合时间节点要求 / 未报送 / 需人工研判"""
    t = _text(target, "预期目标")
    p = progress
    if isinstance(p, (int, float)) and not isinstance(p, bool):
        return judge.judge_indicator(t, f"实际增长{p}%", str(p)).status
    return judge.judge_indicator(t, _text(p, "进展情况")).status
