"""`duban mail` and `duban remind`: one mail per unit with its feedback workbook attached.

Without ``send`` the mails are only written as .eml files into an outbox folder
(they open in Outlook/Foxmail as ready-to-send drafts: ``X-Unsent: 1``). With
``send`` they also go out through the SMTP server configured in 设置.

Decisions:

- Attachment: by default every unit's workbook is regenerated from the master
  (same content as `duban sheets`, a fresh signature), so the mail always carries
  the current tasks. With ``sheets_dir`` the files already made by `duban sheets`
  are attached as they are; a missing file is a failure for that unit only.
- Attachment name: Chinese file names are given twice, as the RFC 2231
  ``filename*=UTF-8''…`` that standards-following clients read (Thunderbird, Gmail,
  Apple Mail, current Outlook) and as an RFC 2047 encoded word in ``name=`` and
  ``filename=``, which Outlook 2007-2013, Foxmail and Chinese webmail read. The
  MIME part is serialised with the compat32 policy so these headers go out exactly
  as written (the modern policy refolds them into ``filename*0*=`` continuations,
  which several of those clients do not understand).
- Send log: a CSV file beside the master (``<主表名>_发送记录.csv``, UTF-8 with
  BOM so Excel opens it). One row is appended and flushed after every attempt,
  so a crash or a network failure midway never loses the record of what went
  out, and the master (and its rotating backups) is not rewritten per mail. A
  unit's first mail-out is sent once per period; a reminder once per period and
  calendar day. Deleting a unit's row from the CSV allows sending it again.
"""
from __future__ import annotations

import base64
import csv
import io
import os
import re
import shutil
import smtplib
import socket
import ssl
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from email import encoders, policy
from email.generator import BytesGenerator
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid
from importlib import resources
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import quote

from .errors import DubanError
from .model import Master, Period
from .sheets import (Recipient, build_book, cn_date, feedback_filename, period_deadline, plan_recipients,
                     safe_part, write_books)
from . import settings as st

Progress = Callable[[int, int], None]

FIRST = "反馈表"  # kind of mail: the first mail-out of the period's workbooks
REMIND = "催报"  # a reminder to units whose return has not arrived
TEMPLATES = {FIRST: "mail_sheets.txt", REMIND: "mail_remind.txt"}
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ACCEPTED = "采用"  # LogRow.result of a return collect accepted
REFUSED = "退回"  # LogRow.result of a return collect refused

SENT = "已发送"
FAILED = "失败"
LOG_COLUMNS = ["期次", "单位", "类型", "日期", "时间", "收件人", "结果", "原因", "附件", "邮件ID"]


class MailError(DubanError):
    "Mails cannot be prepared or sent"


# ---------------------------------------------------------------------------
# templates
# ---------------------------------------------------------------------------

@dataclass
class MailTemplate:
    """Plain text: first line ``主题：…``, then the body; {placeholders} anywhere."""

    subject: str
    body: str
    source: str

    PLACEHOLDERS = ("year", "period", "period_end", "deadline", "unit", "items", "file_name",
                    "office", "contact", "contact_phone", "contact_email", "contact_line", "reply_to", "today",
                    "received_line")

    @classmethod
    def parse(cls, text: str, source: str) -> "MailTemplate":
        text = text.lstrip("\ufeff").replace("\r\n", "\n")
        first, _, rest = text.partition("\n")
        m = re.match(r"^\s*(?:主题|Subject)\s*[:：]\s*(.+)$", first)
        if not m:
            raise MailError(f"邮件模板 {source} 的第一行应为“主题：……”")
        return cls(m.group(1).strip(), rest.strip("\n") + "\n", source)

    def render(self, values: dict) -> tuple[str, str]:
        class Strict(dict):
            def __missing__(inner, key):
                raise MailError(f"邮件模板 {self.source} 中的 {{{key}}} 不认识；可用的有："
                                + "、".join("{" + p + "}" for p in self.PLACEHOLDERS))

        try:
            return self.subject.format_map(Strict(values)), self.body.format_map(Strict(values))
        except (ValueError, IndexError) as exc:
            raise MailError(f"邮件模板 {self.source} 的花括号写法有误（{exc}）：占位符写成 {{unit}}，"
                            "正文里要写花括号本身请写成 {{ 和 }}") from None


def load_template(kind: str, path: Path | None = None) -> MailTemplate:
    """The template for ``kind`` from package ``duban.templates`` (or the file ``path``)."""
    if path is not None:
        try:
            return MailTemplate.parse(Path(path).read_text(encoding="utf-8-sig"), str(path))
        except OSError as exc:
            raise MailError(f"无法读取邮件模板 {path}：{exc.strerror or exc}") from exc
        except UnicodeDecodeError:
            raise MailError(f"邮件模板 {path} 不是 UTF-8 编码：请用记事本“另存为”UTF-8") from None
    name = TEMPLATES[kind]
    text = resources.files("duban.templates").joinpath(name).read_text(encoding="utf-8")
    return MailTemplate.parse(text, name)


def template_values(master: Master, period: Period, r: Recipient, file_name: str, today: date,
                    refused: tuple[str, str, str] | None = None) -> dict:
    """The placeholders' values; ``refused``: (file, received, reason) of the unit's last refused return."""
    s = master.settings
    if refused:
        file, received, reason = refused
        try:
            when = f"于{cn_date(date.fromisoformat(received[:10]))}"
        except ValueError:
            when = ""
        received_line = (f"我们{when}收到了贵单位报送的《{file}》，但未能采用，原因是：{reason.rstrip('。')}。"
                         "请按下面的要求修改后重新报送。")
    else:
        received_line = f"截至{cn_date(today)}，我们尚未收到贵单位的反馈表。"
    contact_bits = [x for x in (
        f"联系人：{s['contact']}" if s.get("contact") else "",
        f"电话：{s['contact_phone']}" if s.get("contact_phone") else "",
        f"邮箱：{s['contact_email']}" if s.get("contact_email") else "",
    ) if x]
    reply_to = str(s.get("contact_email") or s.get("mail_from") or "本邮箱")
    return {
        "year": master.year, "period": period.label, "period_end": cn_date(period.end),
        "deadline": cn_date(period_deadline(master, period)), "unit": r.name,
        "items": r.workload, "file_name": file_name,
        "office": str(s.get("office") or "区政府督查办"), "contact": str(s.get("contact") or ""),
        "contact_phone": str(s.get("contact_phone") or ""), "contact_email": str(s.get("contact_email") or ""),
        "contact_line": ("如有疑问，请联系督查办。" + "，".join(contact_bits) + "。") if contact_bits else "",
        "reply_to": reply_to, "today": cn_date(today), "received_line": received_line,
    }


def refused_returns(master: Master, period: str) -> dict[str, tuple[str, str, str]]:
    """Unit → (file, received, reason) of its latest refused return of ``period`` (报送记录)."""
    out: dict[str, tuple[str, str, str]] = {}
    for row in sorted((r for r in master.log if r.period == period and r.result == REFUSED and r.unit),
                      key=lambda r: r.received):
        out[master.canonical(row.unit)] = (row.file, row.received, row.reason or "未写明")
    return out


# ---------------------------------------------------------------------------
# messages
# ---------------------------------------------------------------------------

_ADDR = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def split_addresses(text: str) -> list[str]:
    """The addresses of a 邮箱 cell: several may be separated by ; ，、 or spaces."""
    return [a for a in re.split(r"[;；,，、\s]+", text or "") if a]


def encoded_word(text: str) -> str:
    """RFC 2047 base64 encoded word for a MIME parameter (Outlook/Foxmail style)."""
    return "=?UTF-8?B?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def attachment_part(data: bytes, file_name: str, mime: tuple[str, str] = XLSX_TYPE) -> MIMEBase:
    part = MIMEBase(*mime)
    part.set_payload(data)
    encoders.encode_base64(part)
    word = encoded_word(file_name)
    del part["Content-Type"]
    part["Content-Type"] = f'{"/".join(mime)};\n name="{word}"'
    part["Content-Disposition"] = (f'attachment;\n filename="{word}";\n'
                                   f" filename*=UTF-8''{quote(file_name, safe='')}")
    return part


def _header(text: str) -> str:
    """An RFC 2047 header value (folded) for non-ASCII text, the text itself otherwise."""
    return Header(text, "utf-8").encode() if not text.isascii() else text


def build_message(*, subject: str, body: str, to: list[str], sender: str, sender_name: str,
                  reply_to: str, attachment: bytes, file_name: str, domain: str = "duban.local",
                  mime: tuple[str, str] = XLSX_TYPE) -> MIMEMultipart:
    msg = MIMEMultipart()
    msg["Subject"] = _header(subject)
    if sender:
        msg["From"] = formataddr((_header(sender_name), sender)) if sender_name else sender
    if to:
        msg["To"] = ", ".join(to)
    if reply_to and reply_to != sender and _ADDR.match(reply_to):
        msg["Reply-To"] = reply_to
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=(sender.rpartition("@")[2] if "@" in sender else domain))
    msg.attach(MIMEText(body, "plain", "utf-8"))
    msg.attach(attachment_part(attachment, file_name, mime))
    return msg


def as_bytes(msg: MIMEMultipart, *, draft: bool = False) -> bytes:
    """Serialise exactly as built (compat32, CRLF, no refolding). ``draft``: mark X-Unsent."""
    if draft:
        msg["X-Unsent"] = "1"
    buf = io.BytesIO()
    BytesGenerator(buf, mangle_from_=False, maxheaderlen=0, policy=policy.compat32.clone(linesep="\r\n")).flatten(msg)
    if draft:
        del msg["X-Unsent"]
    return buf.getvalue()


# ---------------------------------------------------------------------------
# SMTP
# ---------------------------------------------------------------------------

@dataclass
class SmtpConfig:
    host: str
    port: int
    security: str  # SSL / STARTTLS / 无
    user: str
    password: str
    sender: str
    timeout: float = 60.0

    @classmethod
    def from_settings(cls, settings: dict, environ=os.environ) -> "SmtpConfig":
        host = str(settings.get("smtp_host") or "").strip()
        if not host:
            raise MailError("设置表中“SMTP服务器”为空：请填写发信服务器地址（如 smtp.example.gov.cn）后再加 --send；"
                            "不加 --send 只生成邮件文件。")
        sec = str(settings.get("smtp_security") or "SSL").strip().upper()
        sec = {"SSL": "SSL", "TLS": "SSL", "STARTTLS": "STARTTLS", "无": "无", "NONE": "无", "": "无", "否": "无"}.get(sec)
        if sec is None:
            raise MailError(f"设置表中“SMTP加密”的值“{settings.get('smtp_security')}”不认识：请填 SSL、STARTTLS 或 无")
        sender = str(settings.get("mail_from") or settings.get("contact_email") or "").strip()
        if not _ADDR.match(sender):
            raise MailError("设置表中“发件人”和“联系邮箱”都没有有效的邮箱地址：请至少填写一个（发件人地址）。")
        user = str(settings.get("smtp_user") or "").strip()
        password = ""
        if user:
            var = str(settings.get("smtp_password_env") or "DUBAN_SMTP_PASSWORD").strip()
            password = environ.get(var, "")
            if not password:
                raise MailError(f"没有找到邮箱密码：请先把环境变量 {var} 设为 {user} 的密码或授权码"
                                f"（Windows 命令行：set {var}=密码；Linux：export {var}=密码）。密码不写入工作簿。")
        try:
            port = int(settings.get("smtp_port") or (465 if sec == "SSL" else 587 if sec == "STARTTLS" else 25))
        except (TypeError, ValueError):
            raise MailError(f"设置表中“SMTP端口”的值“{settings.get('smtp_port')}”不是数字") from None
        return cls(host, port, sec, user, password, sender)


class SmtpSession:
    """One SMTP connection, opened lazily and reopened once if the server drops it."""

    def __init__(self, cfg: SmtpConfig):
        self.cfg = cfg
        self.conn: smtplib.SMTP | None = None

    def connect(self) -> None:
        c = self.cfg
        try:
            if c.security == "SSL":
                conn = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
                if c.security == "STARTTLS":
                    conn.starttls(context=ssl.create_default_context())
            if c.user:
                conn.login(c.user, c.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"邮件服务器拒绝登录（用户 {c.user}）：请检查用户名和密码/授权码。{_reply(exc)}") from exc
        except ssl.SSLError as exc:
            raise MailError(f"与邮件服务器 {c.host}:{c.port} 建立加密连接失败（{exc.reason or exc}）："
                            "请核对设置表“SMTP加密”（SSL 通常用 465 端口，STARTTLS 用 587）。") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"无法连接邮件服务器 {c.host}:{c.port}（{_reason(exc)}）：请检查服务器地址、端口和网络。") from exc
        self.conn = conn

    def send(self, sender: str, to: list[str], data: bytes) -> None:
        for attempt in (1, 2):
            if self.conn is None:
                self.connect()
            try:
                refused = self.conn.sendmail(sender, to, data)
                if refused:
                    raise smtplib.SMTPRecipientsRefused(refused)
                return
            except (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout):
                self.close()
                if attempt == 2:
                    raise

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.conn = None


def _reply(exc: smtplib.SMTPException) -> str:
    code, text = getattr(exc, "smtp_code", None), getattr(exc, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"服务器答复：{code} {text}".strip() if code else ""


def _reason(exc: Exception) -> str:
    """A failure as one line of Chinese for the summary and the log."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = []
        for addr, (code, text) in exc.recipients.items():
            text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
            parts.append(f"{addr}（{code} {text}）")
        return "收件地址被服务器拒绝：" + "；".join(parts)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"发件地址被服务器拒绝：{_reply(exc)}"
    if isinstance(exc, smtplib.SMTPDataError):
        return f"服务器拒收邮件内容（可能附件过大或被判为垃圾邮件）：{_reply(exc)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "服务器断开了连接"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"服务器错误：{_reply(exc)}"
    if isinstance(exc, socket.timeout):
        return "连接超时"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc) or type(exc).__name__


# ---------------------------------------------------------------------------
# the send log
# ---------------------------------------------------------------------------

def send_log_path(master_path: Path) -> Path:
    """Where the send log of a master lives: ``<主表名>_发送记录.csv`` beside it."""
    master_path = Path(master_path)
    return master_path.with_name(f"{master_path.stem}_发送记录.csv")


class SendLog:
    """An append-only CSV of every send attempt; use :meth:`open` (locks the file)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.rows: list[dict] = []
        self._fh = None

    def load(self) -> None:
        self.rows = []
        if not self.path.exists():
            return
        try:
            with open(self.path, encoding="utf-8-sig", newline="") as fh:
                self.rows = [dict(r) for r in csv.DictReader(fh)]
        except OSError as exc:
            raise MailError(f"无法读取发送记录 {self.path.name}：{exc.strerror or exc}") from exc
        except (UnicodeDecodeError, csv.Error):
            raise MailError(f"发送记录 {self.path.name} 已损坏或被另存为其他编码：请恢复为 UTF-8 CSV，"
                            "或改名保存后重新运行（改名后所有单位都会被视为未发送）") from None

    @contextmanager
    def open(self) -> Iterator["SendLog"]:
        lock = self.path.with_name(f".{self.path.name}.lock")
        _acquire(lock, self.path)
        try:
            self.load()
            new = not self.path.exists() or self.path.stat().st_size == 0
            try:
                self._fh = open(self.path, "a", encoding="utf-8-sig" if new else "utf-8", newline="")
            except PermissionError as exc:
                raise MailError(f"发送记录 {self.path.name} 被占用（可能在 Excel 中打开）：请关闭后重试，本次未发送任何邮件。") from exc
            self._writer = csv.writer(self._fh)
            if new:
                self._writer.writerow(LOG_COLUMNS)
                self._flush()
            yield self
        finally:
            if self._fh:
                self._fh.close()
                self._fh = None
            lock.unlink(missing_ok=True)

    def sent_before(self, period: str, unit: str, kind: str, day: str) -> bool:
        for r in self.rows:
            if (r.get("期次"), r.get("单位"), r.get("类型"), r.get("结果")) == (period, unit, kind, SENT):
                if kind != REMIND or r.get("日期") == day:
                    return True
        return False

    def append(self, **values) -> None:
        row = {c: "" for c in LOG_COLUMNS}
        row.update(values)
        self._writer.writerow([row[c] for c in LOG_COLUMNS])
        self._flush()
        self.rows.append(row)

    def _flush(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())


def _acquire(lock: Path, log: Path) -> None:
    """An exclusive lock file so two runs cannot send the same mails at once."""
    from .store import try_lock

    try:
        if try_lock(lock):
            return
    except OSError as exc:
        raise MailError(f"无法在 {log.parent} 建立发送记录：{exc.strerror or exc}") from exc
    raise MailError(f"另一个 duban 正在发送邮件（锁文件 {lock.name}）：请等它结束后再试。"
                    f"如确认没有在发送，删除该锁文件即可。")


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------

@dataclass
class MailResult:
    kind: str
    period: Period
    outbox: Path
    send: bool
    written: list[Path] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # the units of the written mails, in order
    no_email: list[str] = field(default_factory=list)
    bad_email: list[tuple[str, str]] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # sent before (log)
    failed: list[tuple[str, str]] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)  # remind: returns already accepted
    refused: list[str] = field(default_factory=list)  # remind: units told why their return was refused
    empty_groups: list[str] = field(default_factory=list)
    log_path: Path | None = None

    def summary_lines(self) -> list[str]:
        what = {REMIND: "催报邮件", "督办单": "督办单邮件"}.get(self.kind, "反馈表邮件")
        lines = [f"{self.period.label}{what}：已生成 {len(self.written)} 封，保存在 {self.outbox}"]
        if self.kind == REMIND:
            lines.append(f"  需要催报的单位 {len(self.units)} 个" + ("：" + "、".join(self.units) if self.units else ""))
            lines.append(f"  已收到反馈（不再催报）的单位 {len(self.returned)} 个"
                         + ("：" + "、".join(self.returned) if 0 < len(self.returned) <= 10 else ""))
            if self.refused:
                lines.append(f"  其中报送被退回的单位 {len(self.refused)} 个，催报邮件写明了退回原因："
                             + "、".join(self.refused))
        if self.send:
            lines.append(f"  已发送 {len(self.sent)} 封" + (f"：{'、'.join(self.sent)}" if len(self.sent) <= 20 else ""))
            if self.skipped:
                again = "今天已催报过" if self.kind == REMIND else "本期已发送过"
                lines.append(f"  {again}、本次未重发 {len(self.skipped)} 个单位：" + "、".join(self.skipped))
            if self.log_path:
                lines.append(f"  发送记录：{self.log_path}")
        else:
            lines.append("  未发送（加 --send 通过设置表中的邮件服务器发送；也可以双击 .eml 文件用邮件客户端发送）")
        if self.no_email:
            lines.append(f"  没有邮箱的单位 {len(self.no_email)} 个（邮件文件已生成但没有收件人，"
                         "请在主表“单位”表的“邮箱”列填写后重新运行）：" + "、".join(self.no_email))
        if self.bad_email:
            lines.append(f"  邮箱格式不对的单位 {len(self.bad_email)} 个（请在“单位”表改正）："
                         + "；".join(f"{u}：{a}" for u, a in self.bad_email))
        if self.empty_groups:
            lines.append(f"  没有成员单位的群体 {len(self.empty_groups)} 个，其任务没有发给任何单位："
                         + "、".join(self.empty_groups))
        if self.failed:
            lines.append(f"  失败 {len(self.failed)} 个：")
            lines.extend(f"    {u}：{why}" for u, why in self.failed)
        return lines


def outstanding(master: Master, period: str, recipients: list[Recipient]) -> tuple[list[Recipient], list[str]]:
    """Recipients whose return for ``period`` has not been accepted yet (and those that have)."""
    done = {master.canonical(r.unit) for r in master.log if r.period == period and r.result == ACCEPTED}
    return [r for r in recipients if r.name not in done], [r.name for r in recipients if r.name in done]


def eml_name(year: int, period: str, unit: str, kind: str, today: date) -> str:
    stem = feedback_filename(year, period, unit)[: -len(".xlsx")]
    if kind == REMIND:
        stem = f"{year}年{safe_part(period, 20)}_{safe_part(unit, 48)}_催报_{today:%Y%m%d}"
    return stem + ".eml"


def run_mail(master: Master, label: str | None, outbox: Path, *, kind: str = FIRST, send: bool = False,
             sheets_dir: Path | None = None, log_path: Path | None = None, with_coop: bool | None = None,
             template: Path | None = None, today: date | None = None, environ=os.environ,
             progress: Progress | None = None) -> MailResult:
    """Write (and with ``send`` send) the period's mails: ``kind`` FIRST or REMIND."""
    from .errors import PeriodError
    from .periods import PeriodFormatError

    try:
        period = master.period(label)
    except PeriodFormatError:
        raise
    except PeriodError as exc:
        raise MailError(f"{exc}。请先运行 duban sheets 主表 --period {label} -o 反馈表 建立期次。") from None
    today = today or date.today()
    tpl = load_template(kind, template)
    if with_coop is None:
        with_coop = st.truthy(master.settings.get("with_coop", "否"))
    plan = plan_recipients(master, with_coop=with_coop)
    recipients = plan.recipients
    result = MailResult(kind, period, Path(outbox), send, empty_groups=list(plan.empty_groups), log_path=log_path)
    refused: dict[str, tuple[str, str, str]] = {}
    if kind == REMIND:
        recipients, result.returned = outstanding(master, period.label, recipients)
        refused = refused_returns(master, period.label)
    cfg = SmtpConfig.from_settings(master.settings, environ) if send else None
    if send and log_path is None:
        raise MailError("发送邮件需要发送记录文件的位置（log_path）")
    s = master.settings
    sender = cfg.sender if cfg else str(s.get("mail_from") or s.get("contact_email") or "").strip()
    office = str(s.get("office") or "区政府督查办")
    reply_to = str(s.get("contact_email") or "").strip()

    outbox = Path(outbox)
    try:
        outbox.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MailError(f"无法创建发件箱目录 {outbox}：{exc.strerror or exc}") from exc

    tmp = None
    try:
        # 1. the attachments
        if sheets_dir is not None:
            sheets_dir = Path(sheets_dir)
            if not sheets_dir.is_dir():
                raise MailError(f"找不到反馈表目录 {sheets_dir}：请先运行 duban sheets，或去掉 --sheets 让程序重新生成附件")
            files = {r.name: sheets_dir / feedback_filename(master.year, period.label, r.name) for r in recipients}
            errors = {n: f"附件缺失：{p.parent} 中没有 {p.name}（先运行 duban sheets 生成，或去掉 --sheets 自动生成）"
                      for n, p in files.items() if not p.is_file()}
        else:
            tmp = Path(tempfile.mkdtemp(prefix="duban-mail-"))
            stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            books = [build_book(master, period, r, tmp, generated=stamp) for r in recipients]
            files, errors = {}, {}
            for r, b, (path, error) in zip(recipients, books, write_books(books)):
                files[r.name] = Path(path) if path else b.path
                if error:
                    errors[r.name] = f"无法生成附件：{error}"

        # 2. the messages, each also written to the outbox
        messages: list[tuple[Recipient, list[str], MIMEMultipart, str]] = []
        for r in recipients:
            addrs = split_addresses(r.email)
            bad = [a for a in addrs if not _ADDR.match(a)]
            if bad:
                result.bad_email.append((r.name, "、".join(bad)))
                addrs = [a for a in addrs if a not in bad]
            if not addrs and not bad:
                result.no_email.append(r.name)
            path = files[r.name]
            if r.name in errors:
                result.failed.append((r.name, errors[r.name]))
                continue
            values = template_values(master, period, r, path.name, today, refused.get(r.name))
            if r.name in refused and kind == REMIND:
                result.refused.append(r.name)
            subject, body = tpl.render(values)
            msg = build_message(subject=subject, body=body, to=addrs, sender=sender, sender_name=office,
                                reply_to=reply_to, attachment=path.read_bytes(), file_name=path.name)
            eml = outbox / eml_name(master.year, period.label, r.name, kind, today)
            eml.write_bytes(as_bytes(msg, draft=True))
            result.written.append(eml)
            result.units.append(r.name)
            messages.append((r, addrs, msg, path.name))

        # 3. sending
        if send:
            _send_all(messages, cfg, SendLog(log_path), period.label, kind, today, result, progress)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return result


def _send_all(messages, cfg: SmtpConfig, log: SendLog, period: str, kind: str, today: date,
              result: MailResult, progress: Progress | None) -> None:
    day = today.isoformat()
    with log.open():
        todo = []
        for r, addrs, msg, attachment in messages:
            if not addrs:
                continue  # listed as no_email / bad_email
            if log.sent_before(period, r.name, kind, day):
                result.skipped.append(r.name)
            else:
                todo.append((r, addrs, msg, attachment))
        session = SmtpSession(cfg)
        dead: str = ""  # the server cannot be reached: the rest fail with this reason
        try:
            for i, (r, addrs, msg, attachment) in enumerate(todo, start=1):
                base = dict(期次=period, 单位=r.name, 类型=kind, 日期=day, 收件人="; ".join(addrs), 附件=attachment,
                            邮件ID=msg["Message-ID"])
                if dead:
                    reason = dead
                else:
                    try:
                        session.send(cfg.sender, addrs, as_bytes(msg))
                        reason = ""
                    except MailError as exc:  # connecting or logging in failed
                        reason = dead = str(exc)
                    except (smtplib.SMTPException, OSError) as exc:
                        reason = _reason(exc)
                if reason:
                    result.failed.append((r.name, reason))
                    log.append(**base, 时间=datetime.now().strftime("%H:%M:%S"), 结果=FAILED, 原因=reason)
                else:
                    result.sent.append(r.name)
                    log.append(**base, 时间=datetime.now().strftime("%H:%M:%S"), 结果=SENT)
                if progress:
                    progress(i, len(todo))
        finally:
            session.close()
