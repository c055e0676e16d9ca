"""Rules: thresholds and word lists from ``duban/data/judge_rules.json``, overridable from 设置.

Vocabulary is data: every list an officer might want to extend (stage words, delay words,
scope words …) lives in the JSON file; this module only compiles it.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Mapping

from ..quantities import RULES_PATH, parse_number

# settings given as shares (0..1); "60%" or 60 are read as 0.6
_SHARE_KEYS = frozenset(["near_miss_share", "early_share", "prep_ok_share", "min_subject_overlap", "year_end_share",
                         "task_about_tolerance", "echo_similarity"])
_LIST_SPLIT_RE = re.compile(r"[、,，;；|\n]+")
_REGEX_LISTS = frozenset(["indicator_on_course", "indicator_off_course"])


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)


def _alt_re(patterns) -> str:
    return "|".join(f"(?:{p})" for p in sorted(set(patterns), key=len, reverse=True) if p)


def _never() -> re.Pattern:
    return re.compile(r"(?!x)x")


class Rules:
    """Merged settings + word lists with precompiled regexes."""

    def __init__(self, settings: dict, words: dict):
        self.settings = dict(settings)
        self.words = {k: list(v) for k, v in words.items()}
        s, w = self.settings, self.words
        self.lag_points = float(s["lag_points"])
        self.red_points = float(s["red_points"])
        self.yellow_points = float(s["yellow_points"])
        self.near_miss_share = float(s["near_miss_share"])
        self.early_share = float(s["early_share"])
        self.prep_ok_share = float(s["prep_ok_share"])
        self.growth_lag_points = float(s["growth_lag_points"])
        self.level_lag_points = float(s["level_lag_points"])
        self.indicator_about_tolerance = float(s["indicator_about_tolerance"])
        self.task_about_tolerance = float(s["task_about_tolerance"])
        self.min_progress_chars = int(float(s["min_progress_chars"]))
        self.min_subject_overlap = float(s["min_subject_overlap"])
        self.year_end_share = float(s["year_end_share"])
        self.echo_similarity = float(s["echo_similarity"])

        def c(key):
            words = w.get(key) or []
            if not words:
                return _never()
            return re.compile(_alt_re(words) if key in _REGEX_LISTS else _alt(words))

        for key in ("stage_prep", "stage_build", "stage_done", "stage_inuse", "not_started", "delay", "scope", "plan",
                    "underway", "stock", "other_year", "remainder", "multi_year", "process_verbs",
                    "deliverable_verbs", "accumulating_rates", "attachment_words", "indicator_on_course",
                    "indicator_off_course"):
            setattr(self, key + "_re", c(key))
        neg = w.get("delay_negators") or []
        self.delay_negated_re = re.compile(f"(?:{_alt(neg)})[^，,；;。]{{0,3}}$") if neg else _never()
        self.placeholders = frozenset(x.strip().lower() for x in w["not_reported_placeholders"])
        self.no_info_exact = frozenset(x.strip() for x in w["no_info_exact"])


@lru_cache(maxsize=1)
def _defaults() -> tuple[dict, dict, dict]:
    with open(RULES_PATH, encoding="utf-8") as fh:
        data = json.load(fh)
    aliases = {k: v for k, v in data.get("aliases", {}).items() if not k.startswith("_")}
    return data["settings"], data["words"], aliases


def _to_float(key: str, v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        x = float(v)
        pct = False
    else:
        t = str(v).strip()
        if not t:
            return None
        pct = t.endswith(("%", "％"))
        m = re.search(r"-?\d+(?:\.\d+)?", t)
        if not m:
            x = parse_number(t)
            if x is None:
                return None
        else:
            x = float(m.group(0))
    if key in _SHARE_KEYS and (pct or x > 1.0):
        x /= 100.0
    return x


def _normalise_override(override: Mapping) -> tuple[dict, dict]:
    settings, words, aliases = _defaults()
    s_over, w_over = {}, {}
    flat: dict = {}
    for k, v in override.items():
        if k in ("settings", "words") and isinstance(v, Mapping):
            flat.update(v)
        else:
            flat[k] = v
    for k, v in flat.items():
        key = str(k).strip()
        key = aliases.get(key, key)
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        if key in settings:
            x = _to_float(key, v)
            if x is not None:
                s_over[key] = x
        elif key in words:
            if isinstance(v, str):
                items = [x.strip() for x in _LIST_SPLIT_RE.split(v) if x.strip()]
            else:
                items = [str(x).strip() for x in v if str(x).strip()]
            w_over[key] = items
    return s_over, w_over


@lru_cache(maxsize=256)
def _rules_from_key(key: str) -> Rules:
    settings, words, _ = _defaults()
    s_over, w_over = json.loads(key)
    return Rules({**settings, **s_over}, {**words, **w_over})


def get_rules(override: Mapping | Rules | None = None) -> Rules:
    """Rules with ``override`` applied (cached; cheap to call per task).

    ``override`` keys: any key of ``settings`` or ``words`` in
    judge_rules.json, or a Chinese alias from its ``aliases`` section.
    Numeric values may be strings ("15", "90%"); word lists may be lists or
    strings separated by 、,，;；| or new lines.  Blank values are ignored.
    """
    if isinstance(override, Rules):
        return override
    if not override:
        return _rules_from_key("[{}, {}]")
    s_over, w_over = _normalise_override(override)
    return _rules_from_key(json.dumps([s_over, w_over], sort_keys=True, ensure_ascii=False))
