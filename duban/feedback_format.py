"""The contract between the feedback workbooks (`duban sheets`) and `duban collect`.

Both sides import these names; nothing else in the code spells them out.
A unit's workbook has:
- the task sheet ``TASK_SHEET`` and, when the unit answers for an indicator, the
  indicator sheet ``INDICATOR_SHEET``; each has one header row holding ``ID_HEADER``
  above the ids and ``PROGRESS_HEADER`` above the column the unit fills;
- a hidden sheet ``META_SHEET`` of key/value rows (column A key, column B value)
  signed with an HMAC over the canonical string of :func:`payload`.
"""
from __future__ import annotations

import hashlib
import hmac

FORMAT_VERSION = "duban-feedback-1"

README_SHEET = "填报说明"
TASK_SHEET = "重点任务"
INDICATOR_SHEET = "预期目标"
META_SHEET = "duban元数据"

ID_HEADER = "序号"
PROGRESS_HEADER = "本期进展情况"

# Task sheet columns, in order (title, key). Keys name PeriodEntry fields where they map.
TASK_COLUMNS = [
    ("序号", "id"),
    ("工作类别", "category"),
    ("工作任务", "task"),
    ("牵头单位", "lead"),
    ("配合单位", "coop"),
    ("本单位职责", "role"),  # 牵头 / 配合
    ("上期进展情况", "previous"),  # only when there is a previous period
    ("本期进展情况", "progress"),
    ("完成量", "amount"),
    ("存在问题及下步打算", "problems"),
    ("自评", "self_eval"),
]
INPUT_TASK_KEYS = ("progress", "amount", "problems", "self_eval")
# Appended to TASK_COLUMNS in the workbook of a unit with open supervision notices (duban notices).
NOTICE_COLUMNS = [
    ("督办单", "notice"),  # the notice's number, colour and cause (read-only)
    ("督办整改情况", "rectify"),  # the unit's reply, filed by collect into 督办台账
]
RECTIFY_KEY = "rectify"

INDICATOR_COLUMNS = [
    ("序号", "id"),
    ("预期目标", "target"),
    ("责任单位", "units"),
    ("上期进展情况", "previous"),
    ("本期进展情况", "progress"),
    ("实际值", "amount"),
    ("存在问题及下步打算", "problems"),
]
INPUT_INDICATOR_KEYS = ("progress", "amount", "problems")

ROLE_LEAD = "牵头"
ROLE_COOP = "配合"

# META_SHEET keys (column A) in this order.
META_KEYS = ("格式", "年度", "期次", "单位", "任务序号", "指标序号", "生成时间", "签名")


def ids_text(ids) -> str:
    return ",".join(str(i) for i in ids)


def payload(meta: dict) -> bytes:
    """The canonical bytes that the signature covers (every key but 签名)."""
    return "\n".join(f"{k}={meta.get(k, '')}" for k in META_KEYS if k != "签名").encode("utf-8")


def sign(meta: dict, secret: str) -> str:
    if not secret:
        raise ValueError("empty secret")
    return hmac.new(secret.encode("utf-8"), payload(meta), hashlib.sha256).hexdigest()


def verify(meta: dict, secret: str) -> bool:
    sig = str(meta.get("签名", ""))
    return bool(sig) and bool(secret) and hmac.compare_digest(sig, sign(meta, secret))
