"""Reporting period labels: one parser for every command and button.

Periods are cumulative from January: the canonical labels are ``1-N月`` (N = 1…12)
and ``全年``. Spellings staff write (the em dash of official documents, full-width
digits, Chinese numerals, 上半年, 一季度 …) are normalised to them; anything that is not
a cumulative period (``6月``, ``第二季度``, ``3-6月``) is refused with the valid forms,
because taking it would silently start a second, empty period.
"""
from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date

from .errors import PeriodError


class PeriodFormatError(PeriodError):
    "A period label that is not one of the accepted forms"


VALID_FORMS = "“1-3月”“1-6月”“1-9月”“全年”（或“1-N月”，N 为 1 到 12）"
ACCEPTED_SPELLINGS = "也可写成 1—6月、1至6月、１-６月、一至六月、截至6月底、上半年、一季度、前三季度、年度"

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_DASHES = "-‐‑‒–—―－~～〜至到"
_NUM = r"(\d{1,2}|[一二两三四五六七八九十]{1,3})"
_RANGE_RE = re.compile(rf"^{_NUM}月?[{re.escape(_DASHES)}]+{_NUM}月(份)?(底|末)?$")
_QUARTER_RE = re.compile(rf"^(第|前)?{_NUM}(个)?季度(末|底)?$")

ANNUAL = "全年"


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if not all(c in _CN_DIGITS for c in text):
        return None
    if text == "十":
        return 10
    if text.startswith("十") and len(text) == 2:
        return 10 + _CN_DIGITS[text[1]]
    if len(text) == 1:
        return _CN_DIGITS[text]
    return None


def _refuse(raw: str, why: str = "") -> PeriodFormatError:
    head = f"期次“{raw}”{why}" if why else f"无法识别期次“{raw}”"
    rule = "" if why else "期次从1月起累计，"
    return PeriodFormatError(f"{head}。{rule}请写成 {VALID_FORMS}；{ACCEPTED_SPELLINGS}")


def normalize_period(text: str | None) -> str:
    """The canonical label of ``text``; raises :class:`PeriodFormatError` with the valid forms."""
    raw = str(text or "").strip()
    if not raw:
        raise PeriodFormatError(f"没有给出期次。请写成 {VALID_FORMS}")
    s = unicodedata.normalize("NFKC", raw)
    s = re.sub(r"\s+", "", s)
    s = re.sub(r"^\d{4}年(度)?(?=.)", "", s)  # "2022年1-6月"
    if s in ("全年", "年度", "全年度", "1-12月全年"):
        return ANNUAL
    if s in ("上半年", "半年", "1-6月上半年"):
        return "1-6月"
    if s == "下半年":
        raise _refuse(raw, "不是从1月起累计的期次（下半年请用“全年”）")
    m = re.fullmatch(rf"截[至止]{_NUM}月(份)?(底|末)?", s)  # "截至6月底" is cumulative by definition
    if m:
        n = _number(m.group(1))
        if n is not None and 1 <= n <= 12:
            return f"1-{n}月"
        raise _refuse(raw)
    m = _RANGE_RE.match(s)
    if m:
        first, last = _number(m.group(1)), _number(m.group(2))
        if first is None or last is None or not 1 <= last <= 12:
            raise _refuse(raw)
        if first != 1:
            raise _refuse(raw, f"不是从1月起累计的期次（如要报送到{last}月，请写“1-{last}月”）")
        return f"1-{last}月"
    m = _QUARTER_RE.match(s)
    if m:
        q = _number(m.group(2))
        if q is None or not 1 <= q <= 4:
            raise _refuse(raw)
        if m.group(1) == "前" or q == 1:
            return ANNUAL if q == 4 else f"1-{q * 3}月"
        cumulative = ANNUAL if q == 4 else f"1-{q * 3}月"
        raise _refuse(raw, f"是单独一个季度，不是从1月起累计的期次（到第{'一二三四'[q - 1]}季度末请写“{cumulative}”）")
    m = re.fullmatch(rf"{_NUM}月(份)?(底|末)?", s)
    if m:
        n = _number(m.group(1))
        if n == 1:
            return "1-1月"
        if n is not None and 1 <= n <= 12:
            raise _refuse(raw, f"是单独一个月，不是从1月起累计的期次（到{n}月底请写“1-{n}月”）")
    raise _refuse(raw)


def period_end(label: str, year: int) -> date:
    """The end date of a canonical label (see :func:`normalize_period`)."""
    label = normalize_period(label)
    if label == ANNUAL:
        return date(year, 12, 31)
    month = int(label[2:-1])
    return date(year, month, calendar.monthrange(year, month)[1])


def same_period(a: str, b: str) -> bool:
    """Two labels naming the same period (either may be a legacy or a loose spelling)."""
    if a.strip() == b.strip():
        return True
    try:
        return normalize_period(a) == normalize_period(b)
    except PeriodError:
        return False
