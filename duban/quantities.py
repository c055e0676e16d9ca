"""Extract quantities from Chinese task and progress texts.

Pure Python, no I/O besides reading the parser vocabulary once from
``duban/data/judge_rules.json`` (section ``parser``).

Public API
----------
``parse_targets(task_text) -> list[Target]``
    Quantified targets of a task ("新建3个社区体育公园、30个社区健身点").
``parse_progress(progress_text) -> list[Quantity]``
    Quantities reported in a progress text (numbered parts, cumulative
    totals, growth figures, completion ratios; dates are ignored).
``match(targets, quantities) -> list[Match]``
    Pair every target with the quantity that reports it (or ``None``).
``parse_number(text) -> float | None``
    Value of a single number written in Arabic or Chinese numerals.

Values are normalised: ``万``/``亿`` are multipliers (``2万户`` -> 20000 户,
``3.2亿元`` -> 320000000 元, ``100万平方米`` -> 1000000 平方米); the text as
written is kept in ``Quantity.text``.

Kinds: ``count`` (discrete measure words: 个 家 户 人 …, or none),
``amount`` (money and physical measures: 元 公里 平方米 吨 亩 …),
``percent`` (a level: 开工率达70%), ``growth`` (增长5.5%, 同比下降3% -> -3),
``points`` (个百分点), ``completion_ratio`` (完成年度目标的45%).
Qualifiers: ``about`` (左右/约), ``at_least`` (以上/突破/不低于/余/多, ranges),
``at_most`` (以内/以下/不超过/控制在), ``exact``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from bisect import bisect_left, bisect_right
from functools import lru_cache
from operator import add
from pathlib import Path

__all__ = [
    "Quantity",
    "Target",
    "Match",
    "parse_targets",
    "parse_progress",
    "parse_quantities",
    "match",
    "parse_number",
    "subject_overlap",
    "RULES_PATH",
]

RULES_PATH = Path(__file__).resolve().parent / "data" / "judge_rules.json"

KINDS = ("count", "amount", "percent", "growth", "points", "completion_ratio")
QUALIFIERS = ("about", "at_least", "at_most", "exact")


# ---------------------------------------------------------------------------
# Data classes
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Quantity:
    """One quantity found in a text.

    ``value`` is normalised (万/亿 applied, decreases negative); ``unit`` is the
    base measure word ("个", "元", "平方米", "%", "个百分点" or ``None``);
    ``text`` is the number as written ("1.2万户"); ``span`` its (start, end)
    in the original text; ``phrase`` a readable fragment ("已建成3个");
    ``context`` the sentence it belongs to; ``part`` the 1-based index of the
    numbered part (①/一是/（一）/1.) or 0; ``high`` the upper bound of a range.
    """

    value: float
    unit: str | None
    kind: str
    subject: str = ""
    verb: str = ""
    text: str = ""
    span: tuple[int, int] = (0, 0)
    qualifier: str = "exact"
    high: float | None = None
    cumulative: bool = False
    period_only: bool = False
    part: int = 0
    phrase: str = ""
    context: str = ""

    @property
    def display(self) -> str:
        """Short human-readable form for reasons (Chinese)."""
        return self.phrase or self.text


@dataclass(frozen=True, slots=True)
class Target(Quantity):
    """A quantified target of a task; ``label`` reads like "新建12个社区食堂"."""

    label: str = ""
    index: int = 0


@dataclass(frozen=True, slots=True)
class Match:
    """A target and the quantity reporting it (``None`` when nothing matches).

    ``ratio``: actual / target for count, amount and percent targets, or the
    completion ratio (0.6 for 60%) when a completion_ratio quantity reports
    the target; ``None`` for growth/points targets and unmatched ones.
    ``gap``: actual − target for growth/points/percent targets.
    ``note``: Chinese explanation ("未找到对应的进展数量" …).
    """

    target: Target
    quantity: Quantity | None
    score: float = 0.0
    ratio: float | None = None
    gap: float | None = None
    note: str = ""

    @property
    def matched(self) -> bool:
        return self.quantity is not None


# ---------------------------------------------------------------------------
# Vocabulary (read once)
# ---------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _vocab() -> dict:
    with open(RULES_PATH, encoding="utf-8") as fh:
        return json.load(fh)["parser"]


def _alt(words) -> str:
    """Regex alternation, longest first."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_V = _vocab()
_UNITS_COUNT = tuple(_V["units_count"])
_UNITS_AMOUNT = tuple(_V["units_amount"])
_MONEY = frozenset(_V["money_units"])
_AMOUNT_SET = frozenset(_UNITS_AMOUNT)
_GENERIC_UNITS = frozenset(_V["generic_units"])
_SYN: dict[str, frozenset] = {}
for _group in _V["unit_synonyms"]:
    for _u in _group:
        _SYN[_u] = _SYN.get(_u, frozenset()) | frozenset(_group)

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_CHARS = "零〇一二两三四五六七八九十百千万亿"

_PERCENT_UNITS = "个百分点|百分点|%|％|‰"
_ALL_UNITS = _alt(list(_UNITS_COUNT) + list(_UNITS_AMOUNT))

_NUM_AR = r"\d+(?:,\d{3})*(?:\.\d+)?"
_NUM_CN = r"[零〇一二两三四五六七八九十百千][零〇一二两三四五六七八九十百千万亿]*(?:点[零〇一二三四五六七八九]+)?"

_TOKEN_RE = re.compile(
    rf"""
    (?P<pct>百分之)?
    (?P<neg>(?<![\d.])[-－−])?
    (?P<num>{_NUM_AR}|{_NUM_CN})
    (?P<mult>[万亿]{{1,2}})?
    (?:\s*(?:-|－|—|–|~|～|〜|至|到)\s*
       (?P<num2>{_NUM_AR}|{_NUM_CN})(?P<mult2>[万亿]{{1,2}})?)?
    \s*(?P<approx>余|多)?
    \s*(?P<unit>{_PERCENT_UNITS}|{_ALL_UNITS})?
    """,
    re.VERBOSE,
)

# Spans that are never quantities: dates, durations, ordinals, labels, slogans.
# Each pattern comes with "needles": it only runs when one of them occurs in the text.
_ASCII_LETTER = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_MASK_SPECS = (
    (r"“[^”]{1,16}”", ("“",)),
    (r"\"[^\"]{1,16}\"", ('"',)),
    (r"《[^》]{1,40}》", ("《",)),
    (r"[〔\[【（(]\s*\d{4}\s*[〕\]】）)]\s*\d*\s*号?", ("〔", "[", "【", "（", "(")),
    (r"\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}", ("-", "/", ".")),
    (r"\d{1,2}\s*[:：]\s*\d{2}", (":", "：")),
    (r"\d{2,4}\s*年(?:度)?(?:\s*\d{1,2}\s*(?:[-—–~～至到]\s*\d{1,2}\s*)?月(?:份)?(?:\s*\d{1,2}\s*[日号])?)?", ("年",)),
    (r"\d{1,2}\s*(?:[-—–~～至到]\s*\d{1,2}\s*)?月(?:份)?(?:\s*\d{1,2}\s*(?:[-—–~～至到]\s*\d{1,2}\s*)?[日号])?",
     ("月",)),
    (r"(?:[一二三四五六七八九十]|十[一二])\s*(?:[-—–~～至到]\s*(?:[一二三四五六七八九十]|十[一二])\s*)?月(?:份)?"
     r"(?:[一二三四五六七八九十]{1,3}[日号])?", ("月",)),
    (r"第?\s*[一二三四1-4]\s*季度", ("季度",)),
    (r"第\s*[\d一二三四五六七八九十百零〇两]+", ("第",)),
    (r"(?<=届)[\u4e00-\u9fff]{0,6}?[一二三四五六七八九十]+次", ("届",)),
    (r"[\d零〇一二两三四五六七八九十百]+(?:\.\d+)?\s*(?:个)?(?:多)?(?:年(?!度)|个月|周|小时|分钟|个?工作日|周岁|岁)",
     ("年", "月", "周", "小时", "分钟", "工作日", "岁")),
    (r"\d+(?:\.\d+)?\s*(?:号线|号|级|届|版|楼|层|星|代|寸|型|强|期)",
     ("号", "级", "届", "版", "楼", "层", "星", "代", "寸", "型", "强", "期")),
    (r"[一二三四五六七八九十]\s*(?:号线|级|届|星|期|强|代)", ("号", "级", "届", "星", "期", "强", "代")),
    (r"[A-Za-z]+\s*\d+(?:\.\d+)?", _ASCII_LETTER),
    (r"(?<!\d)\d[A-Za-z]", _ASCII_LETTER),
    (_alt(_V["ignore_phrases"]), None),
)


def _gate(needles) -> re.Pattern | None:
    """One regex search standing for "does any needle occur in the text"."""
    if needles is None:
        return None
    if needles == _ASCII_LETTER:
        return re.compile("[A-Za-z]")
    return re.compile(_alt(needles))


# (pattern, gate): a pattern runs only when its gate finds one of its needles.
_MASK_RES = tuple((re.compile(p), _gate(needles)) for p, needles in _MASK_SPECS)
_N_QUOTE_MASKS = 2  # the first two patterns mask quotes; subjects keep “专精特新”企业 readable
_MASK_RES_NO_QUOTES = _MASK_RES[_N_QUOTE_MASKS:]
_MAYBE_NUMBER_RE = re.compile(r"[\d零〇一二两三四五六七八九十百千]")

# Numbered parts of an answer: ① / 一是 / （一） / (1) / 1. / 1、 / 第一，
_PART_RE = re.compile(
    r"(?:(?:^|(?<=[\s。；;，,：:！!？?]))"
    r"(?:[一二三四五六七八九十]{1,3}是|[（(][一二三四五六七八九十\d]{1,3}[）)]"
    r"|[一二三四五六七八九十]{1,3}[、．]|\d{1,2}[、．]|\d{1,2}\.(?!\d)|第[一二三四五六七八九十]{1,3}[，,、]))"
    r"|[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]"
)

_VERB_RE = re.compile(_alt(_V["verbs"]))
_CLAUSE_BOUND = "，,；;。！!？?\n\r：:（）()【】□"
_SENT_BOUND = "。；;！!？?\n\r□"
_SUBJ_BOUND = _CLAUSE_BOUND + "、"
_SUBJ_BOUND_SET = frozenset(_SUBJ_BOUND)
_SENT_BOUND_SET = frozenset(_SENT_BOUND)
_SUBJ_BOUND_RE = re.compile("[" + re.escape(_SUBJ_BOUND) + "]")
_SENT_BOUND_RE = re.compile("[" + re.escape(_SENT_BOUND) + "]")

_FILLER_PREFIX_RE = re.compile(
    r"(?:已经|已|正在|均|共计|共|累计|合计|总计|全年|年内|今年以来|今年|目前|截至目前|现已|现|确保|力争|"
    r"实现|正式|约|近|达到|达|为|了|的|超过|突破|不低于|不少于|至少|控制在|同比|环比|本月|当月|本季度|"
    r"全区|全镇|全街道|其中|主要|完成|并|和|及|与|等|再|又|就)+"
)
_FILLER_SUFFIXES = tuple(sorted(
    "已经 已 正在 均 共计 共 累计 合计 总计 全年 年内 确保 力争 实现 正式 约 近 达到 达 为 了 的 超过 突破 "
    "不低于 不少于 至少 控制在 同比 环比 本月 当月 其中 目前 现已 现 等 和 及 与 并 已完成 完成".split(),
    key=len, reverse=True))
_FILLER_SUFFIX_REV_RE = re.compile("(?:" + "|".join(re.escape(w[::-1]) for w in _FILLER_SUFFIXES) + ")+")
_AFTER_CUT_RE = re.compile(r"(?:已经|已|正在|将|并且|并|均|同时|目前|其中|累计|共计|占|同比|比上年|较上年)")
_QUAL_SUFFIX_RE = re.compile(r"^\s*(?:及以上|以上|左右|上下|以内|以下|之内|内)")

_GROWTH_KW_RE = re.compile(
    r"(增长率|增长|增速|增幅|同比|环比|比上年|较上年|下降|下滑|减少|降低|回落|负增长|提高|提升|上升|增加|降幅|减幅|减)"
)
_DECREASE_KW = frozenset(["下降", "下滑", "减少", "降低", "回落", "负增长", "降幅", "减幅", "减"])
_WEAK_GROWTH_KW = frozenset(["提高", "提升", "上升", "增加"])
_RATIO_CTX_RE = re.compile(
    r"(?:(?:完成|达到|占|为|实现|达)[^，,；;。]{0,14}?"
    r"(?:目标|任务|计划|工程量|工作量|总量|总工程|总投资|投资|总任务|进度)[^，,；;。]{0,4}的\s*(?:约|近)?\s*$)"
    r"|(?:(?<!时序)(?:完成率|完成进度|形象进度|工程进度|建设进度|施工进度|总体进度|项目进度|整体进度)"
    r"\s*(?:为|达|达到|已达|约|已达到|超过)?\s*$)"
)
_CUMULATIVE_RE = re.compile(
    r"累计|累积|共计|总计|合计|总共|截至目前|截至当前|截止目前|至今|"
    r"共(?:完成|建成|新建|引进|新增|培育|实施|改造|签约|开行|打造|创建|引育|开工|拆除|整治|治理|办理|发放|服务|有)"
)
_PERIOD_RE = re.compile(r"本月|当月|本季度|当季|本期|上月|本周|当期")
_AT_LEAST_PRE = ("超过", "突破", "不低于", "不少于", "至少", "超", "逾", "大于", "高于")
_AT_MOST_PRE = ("不超过", "不高于", "控制在", "低于", "少于", "小于", "不大于")
_ABOUT_PRE = ("约", "大约", "近", "接近", "将近", "预计", "大概")
_QUAL_PRE = tuple(sorted([(w, "at_least") for w in _AT_LEAST_PRE] + [(w, "at_most") for w in _AT_MOST_PRE]
                         + [(w, "about") for w in _ABOUT_PRE], key=lambda x: len(x[0]), reverse=True))
# The same, for look-ups by the last 3, 2, 1 characters (longest match first).
_QUAL_PRE_MAP = dict(_QUAL_PRE)
_QUAL_PRE_LENS = tuple(sorted({len(w) for w in _QUAL_PRE_MAP}, reverse=True))
_QUAL_PRE_LAST = frozenset(w[-1] for w in _QUAL_PRE_MAP)
# first characters that can start a qualifier suffix (及以上/以上/左右/上下/以内/以下/之内/内)
_QUAL_SUFFIX_FIRST = frozenset("及以左上之内")

_BARE_OK_RE = re.compile(r"(?:及以上|以上|左右|以内|以下|余|多|\)|）)")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_GROWTH_TAIL_RE = re.compile(r"(?:同比|环比)?(?:增长率?|增速|增幅|下降|提高|提升)$")
_GENERIC_TAIL_RE = re.compile(r"(?:项目|工程|任务|全年|年度|总体|整体|目前|该项|本项)+$")
_STOP_CHARS = frozenset("的个和与及等各类项了在为已将并一")
# everything _keyset drops: characters other than CJK, letters and digits, and stop characters
_KEY_DROP_RE = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]|[" + "".join(sorted(_STOP_CHARS)) + "]")
_PCT_KINDS = frozenset(("growth", "percent", "points", "completion_ratio"))


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------
def _cn_to_number(s: str) -> float | None:
    if not s:
        return None
    frac = ""
    if "点" in s:
        s, frac = s.split("点", 1)
        frac = "".join(str(_CN_DIGIT[c]) for c in frac if c in _CN_DIGIT)
    if len(s) > 1 and all(c in _CN_DIGIT for c in s):  # 二〇二二
        whole = float("".join(str(_CN_DIGIT[c]) for c in s))
    else:
        total = 0
        section = 0
        digit = None
        last_unit = 1
        for c in s:
            if c in _CN_DIGIT:
                digit = _CN_DIGIT[c]
            elif c in _CN_UNIT:
                u = _CN_UNIT[c]
                section += (1 if digit is None else digit) * u
                digit = None
                last_unit = u
            elif c in _CN_BIG:
                section += digit or 0
                digit = None
                if c == "亿":
                    total = (total + section) * _CN_BIG[c]
                else:
                    total += section * _CN_BIG[c]
                section = 0
                last_unit = _CN_BIG[c]
            else:
                return None
        if digit is not None:
            # "一万五" = 15000, "三千五" = 3500 (colloquial); "十五" = 15
            if last_unit >= 100 and s[-2] not in "零〇":
                section += digit * (last_unit // 10)
            else:
                section += digit
        whole = float(total + section)
    if frac:
        whole += float("0." + frac)
    return whole


def parse_number(text: str) -> float | None:
    """Parse one number: "1.2万" -> 12000, "一百二十" -> 120, "-19" -> -19.

    Returns ``None`` if ``text`` is not a number.
    """
    if text is None:
        return None
    t = str(text).strip().replace(",", "").replace("，", "")
    t = t.rstrip("%％")
    if not t:
        return None
    sign = 1.0
    if t[0] in "-－−":
        sign, t = -1.0, t[1:]
    elif t[0] == "+":
        t = t[1:]
    mult = 1.0
    while t and t[-1] in "万亿" and re.search(r"\d", t):
        mult *= _CN_BIG[t[-1]]
        t = t[:-1]
    try:
        return sign * float(t) * mult
    except ValueError:
        pass
    if t and all(c in _CN_CHARS or c == "点" for c in t):
        v = _cn_to_number(t)
        return None if v is None else sign * v * mult
    return None


def _num_value(num: str, mult: str | None) -> float | None:
    if num[0].isdigit():
        v = float(num.replace(",", ""))
    else:
        v = _cn_to_number(num)
        if v is None:
            return None
    for m in mult or "":
        v *= _CN_BIG[m]
    return v


def _fmt(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------
def _mask_spans(text: str, rxs=_MASK_RES) -> list[tuple[int, int]]:
    """Non-empty spans of dates, ordinals, slogans … (each pattern on the original text)."""
    spans = []
    for rx, gate in rxs:
        if gate is not None and gate.search(text) is None:
            continue
        for m in rx.finditer(text):
            a, b = m.span()
            if a != b:
                spans.append((a, b))
    return spans


def _blank(text: str, spans) -> str:
    """``text`` with every span replaced by '□' (same length)."""
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        chars[a:b] = "□" * (b - a)
    return "".join(chars)


@lru_cache(maxsize=65536)
def _clean_subject(s: str) -> str:
    """Strip adverbs and fillers (已/累计/确保/全年/达 …) from both ends."""
    strip_chars = " \t□“”\"'《》、"
    s = s.strip(strip_chars)
    prev = None
    while s and s != prev:
        prev = s
        m = _FILLER_PREFIX_RE.match(s)
        if m:
            s = s[m.end():]
        m = _FILLER_SUFFIX_REV_RE.match(s[::-1])
        if m:
            s = s[: len(s) - m.end()]
        s = s.strip(strip_chars)
    return s


@lru_cache(maxsize=65536)
def _keyset(s: str) -> tuple[frozenset, frozenset]:
    """Word characters of ``s`` without stop characters, and their bigrams."""
    kept = _KEY_DROP_RE.sub("", s)
    return frozenset(kept), frozenset(map(add, kept, kept[1:]))


def subject_overlap(target_subject: str, other: str) -> float:
    """Share (0..1) of the target noun found in ``other``: 0.4·chars + 0.6·bigrams."""
    tc, tb = _keyset(target_subject)
    if not tc:
        return 0.0
    return _overlap(tc, tb, other)


def _overlap(tc: frozenset, tb: frozenset, other: str) -> float:
    """subject_overlap for a target whose (non-empty) key sets are ``tc``, ``tb``."""
    oc, ob = _keyset(other)
    c = len(tc & oc) / len(tc)
    if not tb:
        return c
    b = len(tb & ob) / len(tb)
    return 0.4 * c + 0.6 * b


def _unit_kind(unit: str | None) -> str:
    if unit in _AMOUNT_SET or unit in _MONEY:
        return "amount"
    return "count"


# ---------------------------------------------------------------------------
# Core scanner
# ---------------------------------------------------------------------------
def _scan(text: str, role: str) -> tuple[Quantity, ...]:
    # One pass per regex over the text; everything per number is look-ups in
    # precomputed boundary lists (bisect) or regex calls on short slices.
    if not text or not text.strip():
        return ()
    if not _MAYBE_NUMBER_RE.search(text):
        return ()
    quote_spans = _mask_spans(text, _MASK_RES[:_N_QUOTE_MASKS])
    other_spans = _mask_spans(text, _MASK_RES_NO_QUOTES)
    masked = _blank(text, quote_spans + other_spans)
    markers = [m.span() for m in _PART_RE.finditer(masked)]
    part_starts = [a for a, _b in markers]
    if markers:
        masked = _blank(masked, markers)
    # same masking except quotes: used to read subjects
    readable = _blank(text, other_spans + markers) if quote_spans else masked

    raw = []
    for m in _TOKEN_RE.finditer(masked):
        start, end = m.span()
        pct, neg, num, mult, num2, mult2, approx, unit = m.groups()
        # trailing whitespace captured by optional groups
        while end > start and masked[end - 1].isspace():
            end -= 1
        is_cn = not num[0].isdigit()
        if "□" in m.group(0):
            continue
        # reject numerals glued to letters (PM2.5 handled by mask) or ordinals
        before_ch = masked[start - 1] if start else ""
        if before_ch == "第" or (before_ch.isascii() and before_ch.isalpha()):
            continue
        if is_cn and not unit and not pct:
            continue
        if is_cn and unit == "批" and num == "一":
            continue
        value = _num_value(num, mult)
        if value is None:
            continue
        five_g = False
        if not unit and not pct:
            nxt = masked[end:end + 1]
            if not is_cn and nxt in ("G", "g") and len(num) >= 2 and num[-1] in "45" and "." not in num:
                # "新建5005G基站" -> 500 个 5G基站
                num = num[:-1]
                value = _num_value(num, mult)
                end -= 1
                five_g = True
            else:
                # a bare Arabic number must close the clause: "农村改厕1220"
                rest = masked[end:end + 4]
                if not (rest == "" or rest[0] in _SUBJ_BOUND or rest[0].isspace()
                        or _BARE_OK_RE.match(rest)):
                    continue
                if not _CJK_RE.match(before_ch):
                    quoted = before_ch == "□" and text[start - 1] in "”\"》"
                    labelled = before_ch in "：:" and start >= 2 and _CJK_RE.match(masked[start - 2])  # 完成量：3
                    if neg is None and not quoted and not labelled:
                        continue
        if neg:
            value = -value
        high = None
        if num2:
            hv = _num_value(num2, mult2)
            if hv is not None and hv >= value:
                high = hv
            # else: "1-6" style glitch or descending: keep the first number only
        raw.append((start, end, value, high, unit, pct, five_g, neg, approx))

    n = len(text)
    # boundary positions (sorted): subject bounds are the clause bounds plus "、"
    subj_pos = [m.start() for m in _SUBJ_BOUND_RE.finditer(readable)]
    clause_pos = [i for i in subj_pos if readable[i] != "、"]
    if readable is masked:
        sent_pos = [i for i in clause_pos if masked[i] in _SENT_BOUND_SET]
    else:
        sent_pos = [m.start() for m in _SENT_BOUND_RE.finditer(masked)]
    n_subj, n_sent = len(subj_pos), len(sent_pos)
    out: list[Quantity] = []
    prev_end = 0
    next_starts = [r[0] for r in raw[1:]] + [n]
    for idx, (start, end, value, high, unit, pct, five_g, neg, approx) in enumerate(raw):
        qual = "exact"
        token_end = end
        if end < n and (masked[end] in _QUAL_SUFFIX_FIRST or masked[end].isspace()):
            suffix = _QUAL_SUFFIX_RE.match(masked[end:end + 4])
            if suffix:
                w = suffix.group(0).strip()
                if w in ("以上", "及以上"):
                    qual = "at_least"
                elif w in ("左右", "上下"):
                    qual = "about"
                elif w in ("以内", "以下", "之内", "内"):
                    qual = "at_most" if w != "内" else qual
                token_end = end + len(suffix.group(0)) if w != "内" else end
        # clause: after the previous clause boundary, at most 60 characters back
        k = bisect_left(clause_pos, start) - 1
        clause_start = max(clause_pos[k] + 1 if k >= 0 else 0, start - 60, 0)
        pre = masked[clause_start:start]
        pre_r = pre.rstrip()
        if pre_r and pre_r[-1] in _QUAL_PRE_LAST:
            for size in _QUAL_PRE_LENS:  # longest qualifier word first
                qq = _QUAL_PRE_MAP.get(pre_r[-size:])
                if qq is not None:
                    if qq != "about" or qual == "exact":
                        qual = qq
                    break
        if approx:
            qual = "at_least"
        if high is not None:
            qual = "at_least"

        # unit and kind
        if pct or unit in ("%", "％"):
            u = "%"
        elif unit == "‰":
            u = "‰"
        elif unit in ("个百分点", "百分点"):
            u = "个百分点"
        elif unit == "万平方米":
            u = "平方米"
            value *= 10_000
            high = high * 10_000 if high is not None else None
        else:
            u = unit
        if u == "个百分点":
            kind = "points"
        elif u in ("%", "‰"):
            kind = "percent"
        else:
            kind = _unit_kind(u)

        # growth / ratio context
        if kind in ("percent", "points"):
            gm = None
            for gm in _GROWTH_KW_RE.finditer(pre):
                pass
            if kind == "percent" and _RATIO_CTX_RE.search(pre):
                kind = "completion_ratio"
            elif gm is not None:
                between = pre[gm.end():]
                kw = gm.group(1)
                level = ("至" in between or "到" in between)
                near = len(between.strip()) <= (2 if kw in _WEAK_GROWTH_KW else 6)
                if not level and near:
                    if kind == "percent":
                        kind = "growth"
                    if kw in _DECREASE_KW and value > 0 and not neg:
                        value = -value
                        if high is not None:
                            high = -high

        # verb: last verb in the clause before the number
        verb = ""
        vstart = start
        for vm in _VERB_RE.finditer(readable, clause_start, start):
            verb, vstart = vm.group(0), vm.start()

        # subject: noun after the measure word, else the text before
        k = bisect_left(subj_pos, start) - 1
        subj_start = max(subj_pos[k] + 1 if k >= 0 else 0, start - 40, 0)
        if prev_end > clause_start and prev_end > subj_start:
            subj_start = prev_end
        k = bisect_left(subj_pos, token_end)
        after_end = min(subj_pos[k] if k < n_subj else n, token_end + 24, n)
        after_end = min(after_end, max(next_starts[idx], token_end))
        after = readable[token_end:after_end]
        cut = _AFTER_CUT_RE.search(after)
        if cut and cut.start() > 0:
            after = after[: cut.start()]
        elif cut and cut.start() == 0:
            after = ""
        if five_g:
            after = text[token_end:after_end]
        subject = ""
        if kind in ("count", "amount"):
            a = _clean_subject(after)
            if len(a) >= 2 and not _GROWTH_KW_RE.match(a):
                subject = a
        if not subject:
            subject = _subject_before(readable[subj_start:start], kind == "completion_ratio")

        subject = subject.replace("“", "").replace("”", "").replace('"', "")
        if kind == "completion_ratio":
            subject = _GENERIC_TAIL_RE.sub("", subject)
            if subject in ("总工程量", "年度目标", "年度任务", "全年目标", "年度计划", "计划", "目标", "任务",
                           "工程量", "工作量", "总量", "总投资", "投资", "进度"):
                subject = ""

        # phrase for reasons: from the verb (with 已/累计 prefix) to the unit
        first_verb = _VERB_RE.search(masked, max(subj_start, clause_start), start)
        if first_verb is not None:
            p_from = first_verb.start()
        else:
            p_from = max(vstart, subj_start) if verb else max(subj_start, clause_start)
        while p_from > clause_start and masked[p_from - 1] in "已经累计共均现正在":
            p_from -= 1
        phrase = text[p_from:token_end].strip(" ，,、")
        if len(phrase) > 30:
            phrase = text[start:token_end]

        # sentence: at most 120 characters either side
        k = bisect_left(sent_pos, start) - 1
        sent_start = max(sent_pos[k] + 1 if k >= 0 else 0, start - 120, 0)
        k = bisect_left(sent_pos, token_end)
        sent_end = min(sent_pos[k] if k < n_sent else n, token_end + 120, n)
        context = text[sent_start:sent_end]
        # percent-like quantities without a subject inherit the previous one's
        if not subject and kind in _PCT_KINDS and out:
            p = out[-1]
            if p.context == context and p.subject:
                subject = p.subject
        out.append(Quantity(
            value, u, kind, subject, verb, text[start:token_end].strip(), (start, token_end), qual, high,
            _CUMULATIVE_RE.search(pre) is not None,  # cumulative
            _PERIOD_RE.search(pre) is not None,  # period_only
            bisect_right(part_starts, start),  # part: 1-based index of the numbered part, or 0
            phrase, context,
        ))
        prev_end = token_end
    return tuple(out)


@lru_cache(maxsize=65536)
def _subject_before(before: str, ratio: bool) -> str:
    """Subject read from the text before a number (when none follows the measure word)."""
    vm_last = None
    for vm_last in _VERB_RE.finditer(before):
        pass
    if vm_last is not None and ratio:
        subject = _clean_subject(before[: vm_last.start()])
    elif vm_last is not None:
        tail = _clean_subject(before[vm_last.end():])
        subject = tail if tail else _clean_subject(before[: vm_last.start()])
    else:
        subject = _clean_subject(before)
    # the growth keyword itself is not a subject
    subject = _GROWTH_TAIL_RE.sub("", subject)
    return _clean_subject(subject)


@lru_cache(maxsize=65536)
def _scan_cached(text: str, role: str) -> tuple[Quantity, ...]:
    return _scan(text, role)


def parse_quantities(text: str) -> list[Quantity]:
    """All quantities of a text (no role-specific filtering)."""
    return list(_scan_cached(text or "", "any"))


def _target_label(text: str, q: Quantity) -> str:
    """Readable target text: "新建12个社区食堂", "地区生产总值增长5.5%左右"."""
    a, b = q.span
    p_start = a - len(q.phrase) + len(q.text) if q.phrase.endswith(q.text) else a
    start, end = max(0, p_start), b
    if q.subject:
        i = text.rfind(q.subject, max(0, a - 30), a)
        j = text.find(q.subject, b, b + 30)
        if i >= 0 and i < start:
            start = i
        elif j >= 0:
            end = j + len(q.subject)
    label = text[start:end].strip(" ，,、；;。")
    if q.verb and q.verb not in label:
        label = q.verb + label
    return label


@lru_cache(maxsize=65536)
def _targets_cached(task_text: str) -> tuple[Target, ...]:
    out = []
    for q in _scan_cached(task_text, "target"):
        if q.kind == "completion_ratio":
            continue
        label = _target_label(task_text, q)
        fields = {f: getattr(q, f) for f in Quantity.__dataclass_fields__}
        out.append(Target(**fields, label=label, index=len(out)))
    return tuple(out)


def parse_targets(task_text: str) -> list[Target]:
    """Quantified targets of a task text, in text order."""
    return list(_targets_cached(task_text or ""))


def parse_progress(progress_text: str) -> list[Quantity]:
    """Quantities reported in a progress text (dates are not quantities)."""
    return list(_scan_cached(progress_text or "", "progress"))


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------
_BUILD_VERBS = frozenset(["新建", "新改建", "新建成", "建成", "建设", "改建", "扩建", "建", "建成投用", "完成", "实现",
                          "打造", "创建", "配建", "投用", "竣工"])


def _verbs_compatible(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b or a in b or b in a:
        return True
    return a in _BUILD_VERBS and b in _BUILD_VERBS


def _units_compatible(tu: str | None, qu: str | None) -> float | None:
    """Score bonus for unit compatibility, None if incompatible."""
    if tu == qu:
        return 0.5
    if tu is None or qu is None:
        return 0.0
    if qu in _SYN.get(tu, ()):
        return 0.3
    if _unit_kind(tu) == "count" and _unit_kind(qu) == "count" and (tu in _GENERIC_UNITS or qu in _GENERIC_UNITS):
        return -0.2
    return None


def _kind_compatible(t: Target, q: Quantity) -> float | None:
    if t.kind in ("growth", "points"):
        return 0.5 if q.kind == t.kind else None
    if t.kind == "percent":
        return 0.5 if q.kind == "percent" else None
    # count / amount target
    if q.kind == "completion_ratio":
        return -0.4
    if q.kind not in ("count", "amount"):
        return None
    return _units_compatible(t.unit, q.unit)


def _ratio_gap(t: Target, q: Quantity) -> tuple[float | None, float | None]:
    if q.kind == "completion_ratio":
        return q.value / 100.0, None
    if t.kind in ("growth", "points"):
        return None, q.value - t.value
    if t.kind == "percent":
        return (q.value / t.value if t.value else None), q.value - t.value
    if t.value:
        return q.value / t.value, q.value - t.value
    return None, q.value - t.value


def match(targets: list[Target], quantities: list[Quantity], *, min_overlap: float = 0.3) -> list[Match]:
    """Pair each target with the progress quantity that reports it.

    A pair needs a compatible kind (growth↔growth, points↔points,
    percent↔percent, count/amount↔same or synonymous measure word, or a
    completion ratio) and, when both sides name a subject, a subject overlap
    of at least ``min_overlap``.  Pairs are chosen greedily by score
    (subject overlap, verb, unit, cumulative totals preferred over period
    figures); each quantity reports at most one target.
    """
    targets = list(targets)
    quantities = list(quantities)
    cands = []
    q_keys = [(q.subject or "") + q.verb for q in quantities]
    n_count_targets = sum(1 for o in targets if o.kind in ("count", "amount"))
    n_rivals: dict[int, int] = {}  # quantity index -> number of targets it could report
    for ti, t in enumerate(targets):
        t_key = t.subject or t.verb
        tc, tb = _keyset(t_key) if t_key else (None, None)
        for qi, q in enumerate(quantities):
            kb = _kind_compatible(t, q)
            if kb is None:
                continue
            if tc:  # same as subject_overlap(t_key, …), target key sets computed once
                ov = _overlap(tc, tb, q_keys[qi])
                cov = _overlap(tc, tb, q.context)
            else:
                ov = cov = 0.0
            if q.subject and t_key and q.kind != "completion_ratio":
                if ov < min_overlap and cov < max(min_overlap, 0.5):
                    continue
            elif q.kind == "completion_ratio" and q.subject and t_key and ov < min_overlap:
                if n_count_targets > 1 and cov < max(min_overlap, 0.5):
                    continue
            elif t_key and cov < min_overlap:
                # no noun on the quantity ("已建成3个"): acceptable only if the
                # target is the only one this quantity could report
                if qi not in n_rivals:
                    n_rivals[qi] = sum(1 for o in targets if _kind_compatible(o, q) is not None)
                if n_rivals[qi] > 1:
                    continue
            if t.unit is None and q.unit is not None and ov < min_overlap and q.kind != "completion_ratio":
                continue
            score = 1.0 + kb + 2.0 * ov + 1.0 * cov
            if _verbs_compatible(t.verb, q.verb):
                score += 0.3
            if q.cumulative:
                score += 0.4
            if q.period_only:
                score -= 0.4
            if q.part and q.part == t.index + 1:
                score += 0.05  # tie-breaker only: parts are often answered out of order
            cands.append((score, -qi, ti, qi))
    cands.sort(reverse=True)
    chosen: dict[int, tuple[int, float]] = {}
    used: set[int] = set()
    for score, _nq, ti, qi in cands:
        if ti in chosen or qi in used:
            continue
        chosen[ti] = (qi, score)
        used.add(qi)
    out = []
    for ti, t in enumerate(targets):
        if ti in chosen:
            qi, score = chosen[ti]
            q = quantities[qi]
            ratio, gap = _ratio_gap(t, q)
            out.append(Match(t, q, round(score, 3), ratio, gap, "按完成比例报告" if q.kind == "completion_ratio" else ""))
        else:
            out.append(Match(t, None, 0.0, None, None, "未找到对应的进展数量"))
    return out
