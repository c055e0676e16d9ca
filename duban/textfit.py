"""Row heights for wrapped text, shared by the feedback workbooks and the master.

Spreadsheet applications do not all fit wrapped rows on opening (LibreOffice and WPS
do not for files written by openpyxl or XlsxWriter): without an explicit height a
wrapped task text overlaps the rows below. The heights are estimated here from the
text and the column width; a user can still double-click a row border to fit it.
"""
from __future__ import annotations

import math
import re
from typing import Iterable

_WIDE = re.compile("[\u2e80-\U0010ffff]")  # CJK and other double-width characters

MAX_ROW_HEIGHT = 409  # Excel's limit, in points
DEFAULT_WIDTH = 8.43  # a column without a width, in characters
WIDE = 2.1  # width of a CJK character, in character units (11 pt body text)
LINE = 15.0  # points per line of 11 pt body text


def visual_width(text: str, wide: float = WIDE) -> float:
    """Width of ``text`` in character units (a CJK character counts ``wide``)."""
    n_wide = len(_WIDE.findall(text))
    return len(text) + n_wide * (wide - 1.0)


def text_lines(text: str, width: float, wide: float = WIDE) -> int:
    """Lines a wrapped cell of ``width`` characters needs (CJK characters count ``wide``)."""
    usable = max(1.0, width - 1.0)
    text = str(text)
    if len(text) * wide <= usable and "\n" not in text:  # the common short cell, without a regex
        return 1
    return sum(max(1, math.ceil(visual_width(p, wide) / usable)) for p in text.split("\n"))


def row_height(texts_and_widths: Iterable[tuple[str, float]], *, line: float = LINE,
               min_lines: int = 1, wide: float = WIDE) -> float:
    """An explicit row height (points) that shows every wrapped cell completely."""
    lines = max([min_lines] + [text_lines(t, w, wide) for t, w in texts_and_widths if t])
    return height_for_lines(lines, line)


def height_for_lines(lines: int, line: float = LINE) -> float:
    return min(MAX_ROW_HEIGHT, lines * line + 4)


def wrap_text(text: str, width: float, *, indent: str = "", wide: float = WIDE) -> list[str]:
    """``text`` cut into lines of at most ``width`` characters (for sheets whose cells do not wrap)."""
    out: list[str] = []
    for para in str(text).split("\n"):
        lines, line, prefix = [], "", ""
        for ch in para:
            if line and visual_width(prefix + line + ch, wide) > width:
                lines.append(prefix + line)
                line, prefix = "", indent
            line += ch
        if len(lines) and visual_width(line, wide) <= ORPHAN and visual_width(lines[-1] + line, wide) <= width + ORPHAN:
            lines[-1] += line  # no line of its own for a last "列。"
        else:
            lines.append(prefix + line)
        out.extend(lines)
    return out


ORPHAN = 6  # a wrapped paragraph's last bit this short (character units) stays on the line before
