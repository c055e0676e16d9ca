"""Everything handed to `duban collect`, turned into workbook inputs — safely.

A path may be a returned workbook, a folder (searched recursively), a saved email
(.eml, Outlook .msg) whose workbook attachments are taken with the email's date as
the time received, or a .zip bundle (member names made on Chinese Windows are GBK
without the UTF-8 flag; they are decoded back).

Nothing here trusts its input: sizes are checked before anything is expanded and
every expansion is capped while it streams (a zip's header may lie), nested
containers have a depth limit, and whatever cannot be read becomes a
:class:`Problem` on an :class:`Input` instead of an exception, so the batch goes on.
"""
from __future__ import annotations

import email
import email.message
import email.policy
import email.utils
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
MAIL_SUFFIXES = (".eml", ".msg")
ZIP_SUFFIXES = (".zip",)
IGNORED_NAMES = ("thumbs.db", "desktop.ini", ".ds_store")

# Limits. A unit's feedback workbook is tens of kilobytes; these are generous.
MAX_INPUT_BYTES = 200 * 1024 * 1024  # one file on disk, email or bundle
MAX_MEMBER_BYTES = 100 * 1024 * 1024  # one expanded zip member / attachment
MAX_BUNDLE_BYTES = 1024 * 1024 * 1024  # everything expanded from one bundle
MAX_RATIO = 100  # uncompressed / compressed, for members above RATIO_FLOOR
RATIO_FLOOR = 10 * 1024 * 1024
MAX_MEMBERS = 10_000
MAX_DEPTH = 3  # zip in email in zip …


# ---------------------------------------------------------------------------
# problems as data
# ---------------------------------------------------------------------------

# code → (Chinese title, fatal: the whole return is refused)
PROBLEMS: dict[str, tuple[str, bool]] = {
    "empty_file": ("空文件", True),
    "too_large": ("文件过大", True),
    "zip_bomb": ("疑似压缩炸弹", True),
    "corrupt": ("文件损坏", True),
    "not_workbook": ("不是 Excel 工作簿", True),
    "encrypted": ("文件已加密", True),
    "old_xls": ("旧版 .xls 文件", False),
    "unsupported": ("不支持的文件类型", True),
    "missing": ("找不到文件", True),
    "no_attachment": ("邮件没有反馈表附件", True),
    "empty_bundle": ("压缩包中没有反馈表", True),
    "too_deep": ("嵌套过深", True),
    "macro": ("含有宏（未运行）", False),
    "no_task_sheet": ("找不到反馈表", True),
    "missing_column": ("缺少填报列", True),
    "no_metadata": ("没有签名（按序号和文件名识别）", False),
    "bad_signature": ("签名不符", True),
    "bad_metadata": ("元数据无法识别", True),
    "wrong_year": ("年度不符", True),
    "wrong_period": ("期次不符", True),
    "unknown_unit": ("无法识别单位", True),
    "other_unit_copy": ("疑似复制其他单位的反馈表", True),
    "empty_return": ("没有填写任何内容", True),
    "unknown_id": ("序号不存在", False),
    "not_assigned": ("序号不属于本单位", False),
    "bad_id": ("序号无法识别", False),
    "task_edited": ("任务内容被修改", False),
    "duplicate_row": ("序号重复且内容不同", False),
    "row_without_id": ("有内容但没有序号", False),
    "text_outside": ("文字写在表头以外的列", False),
    "formula_text": ("疑似公式的内容按文本保存", False),
    "control_chars": ("删除了控制字符", False),
    "too_long": ("文字超长已截断", False),
    "duplicate_file": ("重复文件", False),
    "renamed_sheet": ("工作表被改名", False),
    "read_error": ("读取出错", True),
    "unreadable": ("无法读取文件", True),
    "truncated_merge": ("合并后超长已截断", False),
}


@dataclass
class Problem:
    """One thing wrong with an input, in words for the staff."""

    code: str
    message: str  # says which file, sheet and row, and how to fix

    @property
    def title(self) -> str:
        return PROBLEMS[self.code][0]

    @property
    def fatal(self) -> bool:
        return PROBLEMS[self.code][1]

    def text(self) -> str:
        return f"{self.title}：{self.message}"


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------

@dataclass
class Input:
    """One workbook (or one container that yielded none) to hand to the parser."""

    name: str  # the workbook's own file name
    origin: str  # where it came from, for messages: "收件箱/a.eml › 区科技局.xlsx"
    data: bytes
    received: datetime | None = None
    received_how: str = ""  # 邮件日期 / 文件修改时间 / 压缩包内时间
    order: int = 0  # position in the batch, the last tie-breaker
    problems: list[Problem] = field(default_factory=list)
    container: str = ""  # origin of the email/zip it came out of ('' for a plain file)
    container_data: bytes | None = None  # the email/zip itself, for the archive
    sha256: str = ""

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = hashlib.sha256(self.data).hexdigest()

    @property
    def refused(self) -> bool:
        return any(p.fatal for p in self.problems)

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)
    except OSError:
        return None


def iter_files(paths: Iterable[Path]) -> list[Path]:
    """Files under the given paths, folders searched recursively in name order.

    A subfolder that cannot be listed is returned as itself, for :func:`discover` to report.
    """
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            try:
                subs = sorted(p.rglob("*"), key=lambda x: str(x))
            except OSError:
                out.append(p)
                continue
            for sub in subs:
                if sub.is_file() and not _skip(sub.name):
                    out.append(sub)
        else:
            out.append(p)
    return out


def _skip(name: str) -> bool:
    low = name.lower()
    # Office owner files (~$x.xlsx), LibreOffice locks, hidden and temporary files.
    return low.startswith(("~$", ".~lock", ".")) or low in IGNORED_NAMES


def discover(paths: Iterable[Path], progress: Callable[[int, int], None] | None = None) -> list[Input]:
    """Every workbook input found under ``paths`` (emails and zips opened)."""
    files = iter_files(paths)
    out: list[Input] = []
    for n, path in enumerate(files, 1):
        out.extend(_discover_one(path))
        if progress:
            progress(n, len(files))
    # A copy refused only for its depth is no loss when the same file came in shallower
    # (a bundle inside a bundle, a mail forwarded again): the shallower copy is the return.
    shallow = {inp.sha256 for inp in out if not any(p.code == "too_deep" for p in inp.problems)}
    out = [inp for inp in out if not (inp.sha256 in shallow and inp.data
                                      and any(p.code == "too_deep" for p in inp.problems))]
    for i, inp in enumerate(out):
        inp.order = i
    return out


def _discover_one(path: Path) -> list[Input]:
    """One path's inputs; whatever goes wrong becomes a problem of this path only."""
    origin = str(path)
    try:
        if not path.exists():
            return [Input(path.name, origin, b"", problems=[Problem("missing", f"{origin} 不存在，请检查路径")])]
        if path.is_dir():
            return [Input(path.name, origin, b"", sha256=_sha_text(origin), problems=[Problem(
                "unreadable", f"文件夹 {origin} 无法列出其中的文件（没有权限），请检查权限后重新汇总")])]
        if not path.is_file():
            return [Input(path.name, origin, b"", sha256=_sha_text(origin), problems=[Problem(
                "unsupported", f"{origin} 不是普通文件（设备、管道等），未读取")])]
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            return [Input(path.name, origin, b"", problems=[Problem(
                "too_large", f"{origin} 有 {size // 1024 // 1024} MB，超过 {MAX_INPUT_BYTES // 1024 // 1024} MB 的上限；"
                "反馈表通常只有几十 KB，请确认文件是否正确")], sha256=_sha_file(path))]
        data = path.read_bytes()
    except OSError as exc:
        why = "没有读取权限" if isinstance(exc, PermissionError) else (exc.strerror or type(exc).__name__)
        return [Input(path.name, origin, b"", sha256=_sha_text(origin), problems=[Problem(
            "unreadable", f"{origin} 无法读取（{why}），请检查文件后重新汇总")])]
    try:
        return expand(path.name, origin, data, _mtime(path), "文件修改时间")
    except (Exception, RecursionError) as exc:  # MemoryError, a parser's bug …: this file only
        return [Input(path.name, origin, data, _mtime(path), "文件修改时间", problems=[Problem(
            "read_error", f"{origin} 拆开时出错（{type(exc).__name__}），已退回，其他文件照常汇总；"
                          "请把其中的反馈表单独保存后汇总")])]


def _sha_text(text: str) -> str:
    """A stand-in hash for an input without bytes (so two of them are not taken for one file)."""
    return hashlib.sha256(("\0unreadable\0" + text).encode("utf-8", "surrogateescape")).hexdigest()


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def expand(name: str, origin: str, data: bytes, received: datetime | None, how: str,
           depth: int = 0, container: str = "", container_data: bytes | None = None) -> list[Input]:
    """One file's bytes → the workbook inputs it holds (itself, or a container's members)."""
    low = name.lower()
    kind = sniff(data)
    if not data:
        return [Input(name, origin, data, received, how, container=container, problems=[Problem(
            "empty_file", f"{origin} 是空文件（0 字节），请让单位重新发送")])]
    if depth > MAX_DEPTH:
        return [Input(name, origin, data, received, how, container=container, problems=[Problem(
            "too_deep", f"{origin} 的压缩包/邮件嵌套超过 {MAX_DEPTH} 层，请解开后单独提供")])]
    if low.endswith(ZIP_SUFFIXES) and kind == "zip":
        return _expand_zip(name, origin, data, received, how, depth)
    if low.endswith(".eml"):
        return _expand_eml(name, origin, data, depth)
    if low.endswith(".msg"):
        return _expand_msg(name, origin, data, depth)
    if low.endswith(WORKBOOK_SUFFIXES):
        return [Input(name, origin, data, received, how, container=container, container_data=container_data)]
    return [Input(name, origin, data, received, how, container=container, problems=[Problem(
        "unsupported", f"{origin} 不是反馈表（只接受 .xlsx/.xlsm/.xls 工作簿、.eml/.msg 邮件和 .zip 压缩包）")])]


def sniff(data: bytes) -> str:
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    return "other"


# -- zip bundles -------------------------------------------------------------

def zip_member_name(info: zipfile.ZipInfo) -> str:
    """A member's real name: without the UTF-8 flag, Chinese Windows wrote GBK bytes."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for enc in ("utf-8", "gbk", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return name


def check_zip(zf: zipfile.ZipFile, origin: str, *, member_limit: int = MAX_MEMBER_BYTES,
              total_limit: int = MAX_BUNDLE_BYTES) -> Problem | None:
    """Refuse a zip whose declared sizes are a bomb, before expanding anything."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        return Problem("zip_bomb", f"{origin} 含 {len(infos)} 个文件，超过 {MAX_MEMBERS} 个的上限，未解压")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > member_limit:
            return Problem("zip_bomb", f"{origin} 中的 {zip_member_name(info)} 解压后有 "
                           f"{info.file_size // 1024 // 1024} MB，超过上限，未解压；请提供正常的反馈表")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            return Problem("zip_bomb", f"{origin} 中的 {zip_member_name(info)} 压缩比异常"
                           f"（{info.file_size // max(info.compress_size, 1)} 倍），疑似压缩炸弹，未解压")
    if total > total_limit:
        return Problem("zip_bomb", f"{origin} 解压后共 {total // 1024 // 1024} MB，超过上限，未解压")
    return None


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, streaming with a cap (the declared size may lie)."""
    buf = io.BytesIO()
    with zf.open(info) as f:
        while True:
            chunk = f.read(1 << 16)
            if not chunk:
                break
            buf.write(chunk)
            if buf.tell() > limit:
                raise OverflowError(info.filename)
    return buf.getvalue()


def _expand_zip(name, origin, data, received, how, depth) -> list[Input]:
    def refused(code: str, message: str) -> list[Input]:
        return [Input(name, origin, data, received, how, problems=[Problem(code, message)])]

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return refused("corrupt", f"{origin} 不是完整的 zip 压缩包（{exc}），请重新打包发送")
    problem = check_zip(zf, origin)
    if problem:
        return refused(problem.code, problem.message)
    out: list[Input] = []
    used = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        member = zip_member_name(info)
        base = PurePosixPath(member.replace("\\", "/")).name
        if _skip(base) or member.startswith("__MACOSX/"):
            continue
        m_origin = f"{origin} › {member}"
        low = base.lower()
        if not low.endswith(WORKBOOK_SUFFIXES + MAIL_SUFFIXES + ZIP_SUFFIXES):
            continue  # a scan, a Word note … not a return
        if info.flag_bits & 0x1:
            out.append(Input(base, m_origin, b"", received, how, container=origin, problems=[Problem(
                "encrypted", f"{m_origin} 在加了密码的压缩包里，请提供不加密的压缩包或直接发送反馈表")],
                sha256=hashlib.sha256(f"{origin}\0{member}\0{info.CRC}".encode()).hexdigest()))
            continue
        try:
            body = read_member(zf, info, min(MAX_MEMBER_BYTES, MAX_BUNDLE_BYTES - used))
        except OverflowError:
            return refused("zip_bomb", f"{m_origin} 解压时超过大小上限，疑似压缩炸弹，已停止解压")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            out.append(Input(base, m_origin, b"", received, how, container=origin, problems=[Problem(
                "corrupt", f"{m_origin} 无法解压（{type(exc).__name__}），压缩包可能已损坏，请重新打包发送")],
                sha256=hashlib.sha256(f"{origin}\0{member}\0{info.CRC}".encode()).hexdigest()))
            continue
        used += len(body)
        try:
            when = datetime(*info.date_time)
        except ValueError:
            when = received
        try:
            out.extend(expand(base, m_origin, body, when or received, "压缩包内时间" if when else how,
                              depth + 1, container=origin, container_data=data))
        except (Exception, RecursionError) as exc:  # this member only; the rest of the bundle goes on
            out.append(Input(base, m_origin, body, when or received, how, container=origin, problems=[Problem(
                "read_error", f"{m_origin} 拆开时出错（{type(exc).__name__}），已退回；请把其中的反馈表单独保存后汇总")]))
    if not out:
        return refused("empty_bundle", f"{origin} 中没有 .xlsx/.xlsm 反馈表")
    return out


# -- emails ------------------------------------------------------------------

def _local(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone().replace(tzinfo=None)
    return dt.replace(microsecond=0)


MAX_MIME_DEPTH = 20  # multipart inside multipart … within one message
MAX_MIME_PARTS = 2_000  # parts of one message, every level together


def _expand_eml(name, origin, data, depth) -> list[Input]:
    """An email's workbook attachments, forwarded emails included.

    Every MIME part is visited once, without re-serialising anything. Attachments are
    deduplicated by content hash before their depth is judged, shallowest copy first,
    so a return forwarded as an attachment several times is taken from its shallowest
    copy; only a file found nowhere but too deep is refused. The number of parts and the
    depth of multipart nesting are limited at every level.
    """
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
    except (Exception, RecursionError) as exc:  # the parser is lenient; this is a last resort
        return [Input(name, origin, data, problems=[Problem("corrupt", f"{origin} 无法作为邮件读取（{type(exc).__name__}）")])]
    when = _mail_date(msg)
    subject = _header_text(msg, "Subject")

    def refused(code: str, message: str) -> list[Input]:
        return [Input(name, origin, data, when, "邮件日期", problems=[Problem(code, message)])]

    # 1. walk: every leaf attachment with its container depth (emails inside emails)
    leaves: list[tuple[int, int, str, str, bytes]] = []  # (depth, order, name, origin, bytes)
    stack: list[tuple] = [(msg, depth, 0, origin)]  # (part, container depth, MIME depth, origin)
    parts = 0
    structure_too_deep = False
    while stack:
        part, cdepth, mdepth, where = stack.pop()
        parts += 1
        if parts > MAX_MIME_PARTS:
            return refused("too_deep", f"{origin} 的邮件结构有超过 {MAX_MIME_PARTS} 个部分，疑似恶意构造，未读取；"
                                       "请把附件单独保存后汇总")
        if mdepth > MAX_MIME_DEPTH:
            structure_too_deep = True
            continue
        ctype = part.get_content_type()
        if part.is_multipart() and ctype != "message/rfc822":
            payload = part.get_payload()
            for sub in reversed(payload if isinstance(payload, list) else []):
                stack.append((sub, cdepth, mdepth + 1, where))
            continue
        fname = attachment_name(part)
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, email.message.Message):
                stack.append((inner, cdepth + 1, mdepth + 1, f"{where} › {fname or '附件邮件'}"))
            continue
        if not fname:
            continue
        fname = PurePosixPath(fname.replace("\\", "/")).name
        low = fname.lower()
        if not low.endswith(WORKBOOK_SUFFIXES + ZIP_SUFFIXES + MAIL_SUFFIXES):
            continue
        try:
            body = part.get_payload(decode=True) or b""
        except Exception:  # broken base64
            body = b""
        if low.endswith(".eml") and body:
            try:
                inner = email.message_from_bytes(body, policy=email.policy.default)
            except (Exception, RecursionError):
                inner = None
            if inner is not None:
                stack.append((inner, cdepth + 1, mdepth + 1, f"{where} › {fname}"))
                continue
        leaves.append((cdepth + 1, len(leaves), fname, f"{where} › {fname}", body))

    # 2. shallowest copy of each file first; identical deeper copies are the same return
    out: list[Input] = []
    seen: set[str] = set()
    for leaf_depth, _, fname, where, body in sorted(leaves, key=lambda x: (x[0], x[1])):
        sha = hashlib.sha256(body).hexdigest()
        if body and sha in seen:
            continue
        seen.add(sha)
        out.extend(expand(fname, where, body, when, "邮件日期" if when else "",
                          leaf_depth, container=origin, container_data=data))
    for inp in out:
        if inp.received is None:
            inp.received, inp.received_how = when, "邮件日期"
    if structure_too_deep:
        out.append(Input(name, origin, data, when, "邮件日期", sha256=hashlib.sha256(b"\0deep\0" + data).hexdigest(),
                         problems=[Problem("too_deep", f"{origin} 的邮件结构嵌套超过 {MAX_MIME_DEPTH} 层，更深处的内容未读取；"
                                                       "请把附件单独保存后汇总")]))
    if not out:
        return refused("no_attachment", f"{origin}（主题“{subject}”）没有 .xlsx/.xlsm 附件，"
                                        "请让单位把填好的反馈表作为附件重新发送")
    return out


def _mail_date(msg) -> datetime | None:
    try:
        return _local(parsedate_to_datetime(str(msg["Date"]))) if msg["Date"] else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _header_text(msg, name: str) -> str:
    try:
        return str(msg[name] or "")
    except Exception:
        return ""


CHINESE_CHARSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030",
                    "euc-cn": "gb18030", "hz-gb-2312": "gb18030"}


def decode_raw(raw: bytes) -> str:
    """Header bytes sent without any encoding: UTF-8 if they are valid UTF-8, else GB18030.

    UTF-8 is tried first because it is strict (GBK bytes are almost never valid UTF-8,
    while UTF-8 bytes often decode as GB18030 nonsense).
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def attachment_name(part) -> str:
    """An attachment's file name: RFC 2231 / RFC 2047, else raw GB18030 or UTF-8 bytes.

    Chinese mail clients send names as raw GBK bytes or as RFC 2047 words labelled
    gb2312 holding GBK characters; both are decoded here instead of becoming "���.xlsx".
    """
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if name and "\ufffd" not in name and not any("\udc80" <= ch <= "\udcff" for ch in name):
        return name
    from email.header import decode_header
    from email.message import Message

    compat = Message()
    for key, value in part.raw_items():
        if key.lower() in ("content-disposition", "content-type"):
            raw = str(value)
            try:
                raw = decode_raw(raw.encode("ascii", "surrogateescape"))
            except UnicodeEncodeError:
                pass
            compat[key] = raw
    raw_name = ""
    for header, key in (("content-disposition", "filename"), ("content-type", "name")):
        try:
            value = compat.get_param(key, header=header)
        except Exception:
            value = None
        if not value:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded latin-1 text)
            cs, _, text = value
            try:
                raw_name = text.encode("latin-1", "surrogateescape").decode(
                    CHINESE_CHARSETS.get((cs or "").lower(), cs or "utf-8"), errors="replace")
            except (LookupError, UnicodeEncodeError):
                raw_name = text
        else:
            raw_name = email.utils.unquote(str(value))
        break
    if "=?" in raw_name:  # RFC 2047 words; "gb2312" ones often hold GBK characters
        try:
            words = decode_header(raw_name)
            raw_name = "".join(w.decode(CHINESE_CHARSETS.get((cs or "").lower(), cs or "ascii"), errors="replace")
                               if isinstance(w, bytes) else w for w, cs in words)
        except Exception:
            pass
    return raw_name or name


def _expand_msg(name, origin, data, depth) -> list[Input]:
    try:
        import extract_msg

        msg = extract_msg.openMsg(data)
    except Exception as exc:
        return [Input(name, origin, data, problems=[Problem(
            "corrupt", f"{origin} 无法作为 Outlook 邮件读取（{type(exc).__name__}），请在 Outlook 中另存为 .msg 或把附件单独保存")])]
    try:
        when = msg.date if isinstance(getattr(msg, "date", None), datetime) else None
        when = _local(when)
        subject = msg.subject or ""
        out: list[Input] = []
        for att in msg.attachments:
            fname = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or getattr(att, "name", None) or ""
            fname = PurePosixPath(str(fname).replace("\\", "/")).name
            body = getattr(att, "data", None)
            if not isinstance(body, bytes) or not fname.lower().endswith(WORKBOOK_SUFFIXES + ZIP_SUFFIXES):
                continue
            out.extend(expand(fname, f"{origin} › {fname}", body, when, "邮件日期",
                              depth + 1, container=origin, container_data=data))
    finally:
        try:
            msg.close()
        except Exception:
            pass
    if not out:
        return [Input(name, origin, data, when, "邮件日期", problems=[Problem(
            "no_attachment", f"{origin}（主题“{subject}”）没有 .xlsx/.xlsm 附件，请让单位把填好的反馈表作为附件重新发送")])]
    return out

