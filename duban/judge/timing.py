"""Time: 序时进度 (the share of the year, or of the time to a deadline, elapsed at a period's end)."""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from functools import lru_cache

from ..quantities import _fmt


def _as_date(d) -> date | None:
    if d is None:
        return None
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    t = str(d).strip()
    m = re.match(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", t)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    return None


_CN_MONTH = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
             "十一": 11, "十二": 12}


def parse_deadline(text: str | None, year: int) -> date | None:
    """Deadline text -> date in ``year``: "6月底前", "2022年9月30日", "三季度",
    "上半年", "年底", "2022-10-31".  ``None`` for "长期"/"持续推进"/unknown."""
    if not text:
        return None
    if isinstance(text, str) and isinstance(year, int):
        return _parse_deadline_cached(text, year)  # a master repeats a handful of deadlines
    return _parse_deadline(text, year)


@lru_cache(maxsize=4096)
def _parse_deadline_cached(text: str, year: int) -> date | None:
    return _parse_deadline(text, year)


def _parse_deadline(text, year: int) -> date | None:
    t = str(text).strip()
    d = _as_date(t)
    if d:
        return d
    m = re.search(r"(?:(\d{4})\s*年)?\s*(\d{1,2}|十[一二]|[一二三四五六七八九十])\s*月(?:\s*(\d{1,2})\s*[日号])?", t)
    if m:
        y = int(m.group(1)) if m.group(1) else year
        mo = int(m.group(2)) if m.group(2).isdigit() else _CN_MONTH[m.group(2)]
        if not 1 <= mo <= 12:
            return None
        day = int(m.group(3)) if m.group(3) else calendar.monthrange(y, mo)[1]
        try:
            return date(y, mo, day)
        except ValueError:
            return None
    q = re.search(r"([一二三四1-4])\s*季度", t)
    if q:
        n = "一二三四".find(q.group(1)) + 1 if not q.group(1).isdigit() else int(q.group(1))
        mo = n * 3
        return date(year, mo, calendar.monthrange(year, mo)[1])
    if "上半年" in t or "年中" in t:
        return date(year, 6, 30)
    if re.search(r"年底|年末|全年|下半年|12月", t):
        return date(year, 12, 31)
    return None


def elapsed_share(period_end, year: int | None = None, deadline: str | None = None) -> float | None:
    """Share of the year (or of the time to ``deadline``) elapsed at ``period_end``.

    ``None`` when ``period_end`` is unknown.  A period after ``year`` gives
    1.0, before it 0.0.
    """
    pe = _as_date(period_end)
    if pe is None:
        return None
    y = year or pe.year
    if pe.year > y:
        return 1.0
    if pe.year < y:
        return 0.0
    start = date(y, 1, 1)
    dl = parse_deadline(deadline, y) if deadline else None
    if dl is not None and dl.year == y:
        total = (dl - start).days + 1
        return min(1.0, ((pe - start).days + 1) / total)
    days = 366 if calendar.isleap(y) else 365
    return min(1.0, pe.timetuple().tm_yday / days)


def pct(x: float) -> str:
    """A share as written in reasons: 0.267 → "26.7%"."""
    return f"{_fmt(round(x * 100, 1))}%"


def share_pct(share: float) -> str:
    """Time share shown in whole percents (6月30日 → 50%)."""
    return f"{round(share * 100)}%"


def rshare(x: float | None) -> float | None:
    """序时 compared in whole percents (6月30日 = 181/365 counts as 50%)."""
    return None if x is None else round(x * 100) / 100.0


