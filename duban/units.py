"""Splitting run-together unit names ("区发展改革委区商务委(区招商中心)区属国有重点企业").

A string is segmented by dynamic programming over a directory of known names (the
seed in ``data/units_seed.txt`` plus the master's 单位 sheet) and the structure of
such names (suffixes such as 委, 局, 办, 镇, 街道, 公司 …). A parenthesised name is
the alias of the unit before it. Whatever cannot be split with confidence is kept
verbatim and reported as a flag — never guessed silently.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .model import Unit, normalize_parens

# Name endings that close a unit name, longest first.
SUFFIXES = sorted({
    "委", "局", "办", "镇", "街道", "公司", "集团", "管委会", "中心", "分局", "支队", "大队", "机关",
    "部", "院", "会", "所", "站", "处", "室", "厅", "校", "学", "馆", "社", "行", "团区委", "联", "协",
    "单位", "部门", "镇街", "企业", "办公室", "成员单位", "研究院", "医院", "法院", "检察院", "署", "队",
}, key=len, reverse=True)
# A name does not start with a name ending (the "会" of 管委会, "管委会" itself …).
NO_START = tuple(x for x in SUFFIXES if len(x) == 1) + (
    "管委会", "街道", "公司", "集团", "中心", "机关", "分局", "支队", "办公室", "镇街", "）", "、")
# Endings strong enough that one inside a piece suggests two names run together.
STRONG_RE = re.compile("(" + "|".join(map(re.escape, [x for x in SUFFIXES if len(x) > 1] + ["委", "局", "办", "镇"])) + ")$")
GROUP_RE = re.compile(r"^(各|有关|区级|区属).*|.*(成员单位|窗口单位|执法单位|主管部门)$")
STRUCT_RE = re.compile("(" + "|".join(map(re.escape, SUFFIXES)) + ")$")

COST_KNOWN = 1.0
COST_STRUCT = 3.0
PENALTY_KNOWN_PREFIX = 3.0  # a structural piece that begins with a known name
PENALTY_INNER_BOUNDARY = 4.0  # a structural piece with a name ending inside it (…街道…街道)
PENALTY_SHORT = 5.0  # a bare suffix or a two-character unknown name (管委会 alone is no body)
COST_UNKNOWN = 20.0


@lru_cache(maxsize=1)
def seed_names() -> tuple[tuple[str, str], ...]:
    """(name, kind) pairs of the bundled seed directory."""
    text = resources.files("duban.data").joinpath("units_seed.txt").read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, kind = line.partition("\t")
        out.append((normalize_parens(name.strip()), kind.strip()))
    return tuple(out)


def guess_kind(name: str) -> str:
    bare = base_name(name)
    if GROUP_RE.match(bare):
        return "群体"
    if bare.endswith(("镇", "街道")):
        return "镇街"
    if bare.endswith("管委会"):
        return "管委会"
    if bare.endswith(("公司", "集团")):
        return "国有企业"
    if bare in ("团区委", "区妇联", "区科协", "区文联", "区总工会", "区残联", "区侨联", "区工商联", "区红十字会"):
        return "群团组织"
    if bare.endswith(("税务局", "气象局", "消防救援支队", "公安分局", "规划自然资源局")) and bare.startswith("区"):
        return "区级部门"
    return "区级部门"


def base_name(name: str) -> str:
    """The name without its parenthesised alias: 区商务委（区招商中心） → 区商务委."""
    return re.sub(r"（[^（）]*）", "", name).strip() or name


def paren_aliases(name: str) -> list[str]:
    return re.findall(r"（([^（）]*)）", name)


@dataclass
class Split:
    """The result of splitting one cell: unit names as written, and doubts."""

    source: str
    names: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    aliases: dict[str, str] = field(default_factory=dict)  # odd name as written → its unit
    unknown: int = 0  # pieces that are neither known nor shaped like a unit name

    @property
    def confident(self) -> bool:
        return not self.flags


class Splitter:
    """Segments run-together unit strings against a directory of known names."""

    def __init__(self, known: dict[str, str] | None = None, *, use_seed: bool = True):
        self.known: dict[str, str] = {}
        if use_seed:
            for name, kind in seed_names():
                self.add(name, kind)
        for name, kind in (known or {}).items():
            self.add(name, kind)

    def add(self, name: str, kind: str = "") -> None:
        name = normalize_parens(name).strip()
        if not name:
            return
        self.known.setdefault(name, kind or guess_kind(name))
        bare = base_name(name)
        self.known.setdefault(bare, kind or guess_kind(bare))

    @classmethod
    def from_units(cls, units: list[Unit], *, use_seed: bool = True) -> "Splitter":
        sp = cls(use_seed=use_seed)
        for u in units:
            sp.add(u.name, u.kind)
            for a in u.aliases:
                sp.add(a, u.kind)
        return sp

    # -- the segmentation ---------------------------------------------------
    def _piece_cost(self, piece: str) -> tuple[float, bool]:
        """(cost, confident) of reading ``piece`` as one unit name."""
        if piece in self.known:
            return COST_KNOWN, True
        if len(piece) >= 2 and STRUCT_RE.search(piece) and not piece.startswith(NO_START):
            cost = COST_STRUCT
            if piece in SUFFIXES or len(piece) <= 2:
                cost += PENALTY_SHORT
            for k in range(len(piece) - 1, 1, -1):
                if piece[:k] in self.known:
                    cost += PENALTY_KNOWN_PREFIX
                    break
            cost += PENALTY_INNER_BOUNDARY * _inner_boundaries(piece)
            return cost, True
        return COST_UNKNOWN + len(piece), False

    def is_plain(self, piece: str) -> bool:
        """A piece read with no doubt at all: known, or a clean structural name."""
        cost, ok = self._piece_cost(piece)
        return ok and cost <= COST_STRUCT

    def _segment(self, s: str) -> list[tuple[str, bool]]:
        n = len(s)
        best: list[tuple[float, int, bool]] = [(0.0, -1, True)] + [(float("inf"), -1, True)] * n
        for i in range(1, n + 1):
            for j in range(max(0, i - 40), i):
                if best[j][0] == float("inf"):
                    continue
                cost, ok = self._piece_cost(s[j:i])
                total = best[j][0] + cost
                if total < best[i][0]:
                    best[i] = (total, j, ok)
        out = []
        i = n
        while i > 0:
            _, j, ok = best[i]
            out.append((s[j:i], ok))
            i = j
        out.reverse()
        # glue consecutive unknown pieces back together: keep verbatim
        merged: list[tuple[str, bool]] = []
        for piece, ok in out:
            if merged and not ok and not merged[-1][1]:
                merged[-1] = (merged[-1][0] + piece, False)
            else:
                merged.append((piece, ok))
        return merged

    def _unknowns(self, text: str) -> int:
        """Pieces of ``text`` (outside parentheses) that read as no unit name."""
        return sum(not ok for tok in re.findall(r"[^（）]+|（[^（）]*）", text) if not tok.startswith("（")
                   for _, ok in self._segment(tok))

    def _join_soft(self, chunks: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Chunks across a space or line break are rejoined when only together they read as names.

        A cell may break one long name over two lines ("生活垃圾分类工作" / "领导小组成员单位"),
        or put one name per line: the break is a separator unless joining the two pieces
        reads better (fewer pieces that are no unit name).
        """
        out: list[tuple[str, str]] = []
        for chunk, sep in chunks:
            if out and sep == "soft":
                prev, prev_sep = out[-1]
                if self._unknowns(prev + chunk) < self._unknowns(prev) + self._unknowns(chunk):
                    out[-1] = (prev + chunk, prev_sep)
                    continue
            out.append((chunk, sep))
        return out

    def split(self, text: str) -> Split:
        """Split a cell of unit names; joining the result gives back ``text`` without its separators.

        Names may be run together or separated by 、，,；;/ spaces or line breaks (outside
        parentheses). Between separators, a piece is cut into several names only when every
        one of them is a known name; otherwise it is kept whole, verbatim, and flagged —
        a name is never cut in the middle.
        """
        src = normalize_parens(text).strip()
        result = Split(src)
        if not src:
            return result
        chunks = self._join_soft(separated(src))
        listed = len(chunks) > 1
        names: list[str] = []
        pending = [""]  # a parenthesised group with no name before it yet
        for chunk, _ in chunks:
            before, flags_before = len(names), len(result.flags)
            self._split_chunk(chunk, result, names, pending)
            new = names[before:]
            if listed and len(new) > 1 and not all(n in self.known or base_name(n) in self.known for n in new):
                # separators are there, yet this piece reads as several names: keep it whole
                names[before:] = ["".join(new)]
                del result.flags[flags_before:]
                result.flags.append(f"“{names[-1]}”无法确定是一个还是几个单位，已原样保留，请核对")
        if pending[0]:
            names.append(pending[0])
        result.names = names
        assert "".join(names) == "".join(c for c, _ in chunks), (names, src)
        return result

    def _split_chunk(self, chunk: str, result: Split, names: list[str], pending: list[str]) -> None:
        """Segment one separator-free piece, appending to ``names`` (aliases join the name before)."""
        tokens = re.findall(r"（[^（）]*）|[^（）]+|[（）]", chunk)
        for tok in tokens:
            if tok.startswith("（") and tok.endswith("）") and len(tok) > 1:
                if names:
                    names[-1] += tok
                else:
                    pending[0] += tok
                    result.flags.append(f"“{tok}”前面没有单位名称，无法确定它是谁的别名")
                continue
            if tok in ("（", "）"):
                if tok == "）" and len(names) >= 2 and "（" not in names[-1]:
                    # "甲乙）": the "（" is missing; read 乙 as 甲's alias, the most plausible reading
                    owner = names[-2]
                    last = names.pop()
                    names[-1] += last + tok
                    result.aliases[names[-1]] = owner
                    result.flags.append(
                        f"括号不配对：“{names[-1]}”缺少左括号，已按“{owner}”的别名处理，请核对")
                    continue
                if names:
                    names[-1] += tok
                else:
                    pending[0] += tok
                result.flags.append(f"括号不配对：“{result.source}”，单位拆分需人工核对")
                continue
            for piece, ok in self._segment(tok):
                if pending[0]:
                    piece, pending[0] = pending[0] + piece, ""
                names.append(piece)
                if not ok:
                    result.unknown += 1
                    result.flags.append(f"无法确定“{piece}”是哪个单位，已原样保留")


HARD_SEPARATORS = "、，,；;/／|｜"


def separated(src: str) -> list[tuple[str, str]]:
    """``src`` cut at separators outside parentheses: (piece, "hard"/"soft"/"" separator before it)."""
    out: list[tuple[str, str]] = []
    buf, sep, depth = [], "", 0
    for ch in src:
        if ch == "（":
            depth += 1
        elif ch == "）":
            depth = max(0, depth - 1)
        if depth == 0 and (ch in HARD_SEPARATORS or ch.isspace()):
            if buf:
                out.append(("".join(buf), sep))
                buf, sep = [], ""
            sep = "hard" if ch in HARD_SEPARATORS or sep == "hard" else "soft"
            continue
        buf.append(ch)
    if buf:
        out.append(("".join(buf), sep))
    return out


def _inner_boundaries(piece: str) -> int:
    """How many places inside the piece look like the end of one name and the start of another."""
    n = 0
    for i in range(3, len(piece) - 2):
        if STRONG_RE.search(piece[:i]):
            n += 1
    return n


# ---------------------------------------------------------------------------
# the directory: canonical units from the names found in a notice
# ---------------------------------------------------------------------------

def build_directory(names: list[str], existing: list[Unit] | None = None,
                    hints: dict[str, str] | None = None) -> list[Unit]:
    """Canonical units for every name as written; staff's existing rows win.

    - "区商务委（区招商中心）" and "区商务委" → one unit 区商务委 with aliases;
    - "工投公司" and "区工投公司" → one unit 区工投公司, the merge stated in 备注.
    """
    units: dict[str, Unit] = {}
    alias_of: dict[str, str] = {}
    for u in existing or []:
        units[u.name] = u
        for a in u.aliases:
            alias_of[a] = u.name
    for name in names:
        if name in units or name in alias_of:
            continue
        bare = base_name((hints or {}).get(name, name))
        canon = alias_of.get(bare, bare)
        u = units.get(canon)
        if u is None:
            u = units[canon] = Unit(name=canon, kind=guess_kind(canon))
        if name != canon and name not in u.aliases:
            u.aliases.append(name)
            alias_of[name] = canon
        for alias in paren_aliases(name):
            if alias not in u.aliases and alias not in units:
                u.aliases.append(alias)
                alias_of[alias] = canon
    # merge "X" into "区X" when both exist: visible in 备注, editable by staff
    for name in list(units):
        if name.startswith("区") or units[name].is_group:
            continue
        target = "区" + name
        if target in units and name in units and not (existing and any(e.name == name for e in existing)):
            u = units.pop(name)
            t = units[target]
            for a in [name, *u.aliases]:
                if a not in t.aliases:
                    t.aliases.append(a)
            note = f"自动合并：“{name}”与“{target}”视为同一单位，如不是请在此表拆开"
            t.note = (t.note + "；" if t.note else "") + note
    return sorted(units.values(), key=lambda u: (_KIND_ORDER.get(u.kind, 9), u.name))


_KIND_ORDER = {"区级部门": 0, "群团组织": 1, "管委会": 2, "国有企业": 3, "镇街": 4, "驻区单位": 5, "其他": 6, "群体": 7}
