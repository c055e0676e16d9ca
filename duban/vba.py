"""Build a VBA project (``vbaProject.bin``) from VBA source text, without Excel.

Three layers, all pure Python and deterministic (same input -> same bytes):

* :func:`compress` / :func:`decompress` -- the MS-OVBA 2.4.1 run-length
  compression used for the ``dir`` stream and the module source text.
* :func:`write_compound_file` -- a small writer for OLE compound files
  (MS-CFB, version 3, 512-byte sectors, mini stream for small streams).
* :func:`build_vba_project` -- lays out the VBA storage of MS-OVBA 2.2/2.3:
  ``PROJECT``, ``PROJECTwm``, ``VBA/_VBA_PROJECT``, ``VBA/dir`` and one
  stream per module holding its compressed source at offset 0.

The project carries no compiled p-code: ``_VBA_PROJECT`` declares version
0xFFFF, so the VBA host discards its (absent) performance cache and compiles
the modules from source when the workbook is opened.  xlwings ships its own
``quickstart_standalone.xlsm`` built the same way (source at offset 0 and a
7-byte ``_VBA_PROJECT``).

Module text is stored in the project's code page (``PROJECTCODEPAGE``,
1252 unless :func:`build_vba_project` is given another); a source holding a
character that code page cannot represent is refused with a
:class:`VBAEncodingError` naming the module, line and character -- never
silently replaced.  Class modules (``.cls``, MODULETYPE 0x22 with
``Class=`` in the PROJECT stream) are supported, which the xlwings module
needs on macOS (its ``Dictionary`` class).  :func:`add_document_modules`
adds sheet document modules to an existing project (ours or one Excel saved)
without touching the other modules.
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

__all__ = [
    "VBAModule",
    "VBAEncodingError",
    "VBAProjectError",
    "compress",
    "decompress",
    "encrypt_data",
    "decrypt_data",
    "write_compound_file",
    "build_vba_project",
    "read_module_file",
    "document_module",
    "xlwings_bas_path",
    "xlwings_module",
    "xlwings_dictionary_path",
    "xlwings_dictionary_module",
    "read_project",
    "add_document_modules",
    "CODEPAGE",
]

CODEPAGE = 1252


class VBAEncodingError(ValueError):
    """A module's text cannot be stored in the project's code page (or a
    module file cannot be decoded)."""


class VBAProjectError(ValueError):
    """An existing VBA project cannot be read or changed safely."""


def codec_of(codepage: int) -> str:
    """Python codec of a Windows code page (1252 -> cp1252, 936 -> cp936)."""
    import codecs

    name = "cp%d" % codepage
    try:
        codecs.lookup(name)
    except LookupError:
        raise VBAProjectError("unsupported VBA project code page: %d" % codepage) from None
    return name

# --------------------------------------------------------------------------
# MS-OVBA 2.4.1 compression
# --------------------------------------------------------------------------

_CHUNK = 4096


def _copy_token_help(difference: int) -> tuple[int, int]:
    """Return (bit_count, maximum_length) for a position ``difference`` bytes
    into the decompressed chunk (MS-OVBA 2.4.1.3.19.1 CopyToken Help)."""
    bit_count = max((difference - 1).bit_length(), 4)  # ceil(log2(difference))
    maximum_length = (0xFFFF >> bit_count) + 3
    return bit_count, maximum_length


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Compress ``data[start:end]`` (at most 4096 bytes) into one chunk."""
    body = bytearray()
    cur = start
    # hash chains over 3-byte prefixes, restricted to this chunk: candidates
    # are visited from the nearest to the farthest, exactly like the spec's
    # backwards scan, so the chosen (offset, length) is the spec's.
    head: dict[bytes, int] = {}
    prev = [-1] * (end - start)
    inserted = start  # positions < inserted are in the chains

    def insert_upto(pos: int) -> None:
        nonlocal inserted
        while inserted < pos:
            if inserted + 3 <= end:
                key = data[inserted:inserted + 3]
                prev[inserted - start] = head.get(key, -1)
                head[key] = inserted
            inserted += 1

    while cur < end:
        flag_index = len(body)
        body.append(0)
        flags = 0
        for bit in range(8):
            if cur >= end:
                break
            insert_upto(cur)
            best_len = 0
            best_off = 0
            if cur + 3 <= end:
                _, max_len = _copy_token_help(cur - start)
                limit = min(max_len, end - cur)
                cand = head.get(data[cur:cur + 3], -1)
                while cand >= 0:
                    length = 3
                    while length < limit and data[cand + length] == data[cur + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, cur - cand
                        if length == limit:
                            break
                    cand = prev[cand - start]
            if best_len >= 3:
                bit_count, _ = _copy_token_help(cur - start)
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                body += struct.pack("<H", token)
                flags |= 1 << bit
                cur += best_len
            else:
                body.append(data[cur])
                cur += 1
        body[flag_index] = flags

    if len(body) <= _CHUNK:
        # CompressedChunkSize - 3 in 12 bits, signature 0b011, flag 1
        header = 0x8000 | 0x3000 | (len(body) + 2 - 3)
        return struct.pack("<H", header) + bytes(body)
    # Raw chunk (flag 0, size field 4095).  A full chunk is exactly 4096
    # bytes.  Only the last chunk of a container can be shorter; the spec
    # pads it with zeros, which decompressors then return as data, so we do
    # not pad (VBA text never takes this branch: it always compresses).
    return struct.pack("<H", 0x3000 | 0x0FFF) + data[start:end]


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an MS-OVBA CompressedContainer (2.4.1.1.1)."""
    data = bytes(data)
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        out += _compress_chunk(data, start, min(start + _CHUNK, len(data)))
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (for inspection and tests;
    the test suite checks :func:`compress` against oletools' decompressor)."""
    container = bytes(container)
    if not container or container[0] != 0x01:
        raise ValueError("not a CompressedContainer (signature byte != 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(container):
        if pos + 2 > len(container):
            raise ValueError("truncated chunk header")
        header = struct.unpack_from("<H", container, pos)[0]
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0x7 != 0b011:
            raise ValueError("bad chunk signature at offset %d" % pos)
        compressed = header >> 15
        chunk_end = min(pos + size, len(container))
        pos += 2
        if not compressed:
            out += container[pos:pos + _CHUNK]
            pos += _CHUNK
            continue
        chunk_start = len(out)
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not (flags >> bit) & 1:
                    out.append(container[pos])
                    pos += 1
                    continue
                token = struct.unpack_from("<H", container, pos)[0]
                pos += 2
                bit_count, _ = _copy_token_help(len(out) - chunk_start)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > len(out) - chunk_start:
                    raise ValueError("copy token points before the chunk")
                src = len(out) - offset
                for i in range(length):
                    out.append(out[src + i])
    return bytes(out)


# --------------------------------------------------------------------------
# MS-OVBA 2.4.3 data encryption (CMG / DPB / GC lines of the PROJECT stream)
# --------------------------------------------------------------------------


def _proj_key(project_id: str) -> int:
    return sum(project_id.encode("ascii")) & 0xFF


def encrypt_data(project_id: str, data: bytes, seed: int, ignored: bytes = b"") -> bytes:
    """MS-OVBA 2.4.3.2: obfuscate ``data`` for the PROJECT stream.

    ``project_id`` is the ``{GUID}`` text of the ``ID=`` line (with braces).
    ``seed`` is one byte; the number of ignored bytes is ``(seed & 6) // 2``
    and their clear values are taken from ``ignored`` (zeros by default), so
    the result is deterministic.
    """
    seed &= 0xFF
    version = 2
    proj_key = _proj_key(project_id)
    version_enc = seed ^ version
    proj_key_enc = seed ^ proj_key
    out = bytearray([seed, version_enc, proj_key_enc])
    unencrypted1, encrypted1, encrypted2 = proj_key, proj_key_enc, version_enc

    ignored_length = (seed & 6) // 2
    clear = bytes(ignored[:ignored_length]).ljust(ignored_length, b"\x00")
    clear += struct.pack("<I", len(data)) + bytes(data)
    for byte in clear:
        enc = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(enc)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    return bytes(out)


def decrypt_data(encrypted: bytes) -> bytes:
    """MS-OVBA 2.4.3.3: inverse of :func:`encrypt_data` (returns Data)."""
    enc = bytes(encrypted)
    seed, version_enc, proj_key_enc = enc[0], enc[1], enc[2]
    if seed ^ version_enc != 2:
        raise ValueError("encryption version is not 2")
    proj_key = seed ^ proj_key_enc
    unencrypted1, encrypted1, encrypted2 = proj_key, proj_key_enc, version_enc
    clear = bytearray()
    for byte in enc[3:]:
        dec = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        clear.append(dec)
        encrypted2, encrypted1, unencrypted1 = encrypted1, byte, dec
    ignored_length = (seed & 6) // 2
    length = struct.unpack_from("<I", clear, ignored_length)[0]
    data = bytes(clear[ignored_length + 4:ignored_length + 4 + length])
    if len(data) != length:
        raise ValueError("encrypted data is truncated")
    return data


# --------------------------------------------------------------------------
# MS-CFB compound file writer (version 3)
# --------------------------------------------------------------------------

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list["_Entry"] = field(default_factory=list)
    sid: int = 0
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    color: int = 1  # 0 red, 1 black
    start: int = _ENDOFCHAIN
    size: int = 0


def _cfb_key(name: str) -> tuple[int, str]:
    # MS-CFB 2.6.4: shorter names first, then case-insensitive (upper-case)
    # comparison code point by code point.
    return (len(name), name.upper())


def _build_tree(entries: list[_Entry], depth: int, max_depth: int) -> int:
    """Balanced binary search tree over sorted ``entries``; nodes on the
    (incomplete) deepest level are red, the rest black, which is a valid
    red-black tree because every other level is full."""
    if not entries:
        return _NOSTREAM
    mid = len(entries) // 2
    node = entries[mid]
    node.left = _build_tree(entries[:mid], depth + 1, max_depth)
    node.right = _build_tree(entries[mid + 1:], depth + 1, max_depth)
    node.color = 0 if (depth == max_depth and depth > 0) else 1
    return node.sid


def _tree_height(n: int) -> int:
    return max(n.bit_length() - 1, 0)  # depth of the deepest node, root = 0


def _name_field(name: str) -> bytes:
    raw = name.encode("utf-16-le")
    if len(name) > 31 or any(c in name for c in "/\\:!"):
        raise ValueError("invalid compound file entry name: %r" % name)
    return raw


def write_compound_file(tree: dict) -> bytes:
    """Write an OLE compound file.

    ``tree`` maps names to ``bytes`` (a stream) or to another dict (a
    storage).  Output is deterministic: no timestamps, zero CLSIDs.
    """
    root = _Entry("Root Entry", 5)

    def add(parent: _Entry, mapping: dict) -> None:
        for name, value in mapping.items():
            _name_field(name)
            if isinstance(value, dict):
                entry = _Entry(name, 1)
                add(entry, value)
            else:
                entry = _Entry(name, 2, data=bytes(value))
            parent.children.append(entry)
        names = [_cfb_key(c.name) for c in parent.children]
        if len(set(names)) != len(names):
            raise ValueError("duplicate entry names under %r" % parent.name)

    add(root, tree)

    entries: list[_Entry] = []

    def number(entry: _Entry) -> None:
        entry.sid = len(entries)
        entries.append(entry)
        for c in entry.children:
            number(c)

    number(root)
    for entry in entries:
        if entry.children:
            kids = sorted(entry.children, key=lambda e: _cfb_key(e.name))
            n = len(kids)
            full = (1 << n.bit_length()) - 1 == n  # perfect tree: all black
            max_depth = _tree_height(n)
            entry.child = _build_tree(kids, 0, max_depth if not full else -1)

    # ---- sector layout ---------------------------------------------------
    streams = [e for e in entries if e.kind == 2]
    big = [e for e in streams if len(e.data) >= _MINI_CUTOFF]
    small = [e for e in streams if len(e.data) < _MINI_CUTOFF]

    mini_stream = bytearray()
    minifat: list[int] = []
    for e in small:
        e.size = len(e.data)
        if not e.data:
            e.start = _ENDOFCHAIN
            continue
        first = len(mini_stream) // _MINI_SECTOR
        count = -(-len(e.data) // _MINI_SECTOR)
        e.start = first
        mini_stream += e.data.ljust(count * _MINI_SECTOR, b"\x00")
        minifat += [first + i + 1 for i in range(count - 1)] + [_ENDOFCHAIN]

    def nsect(nbytes: int) -> int:
        return -(-nbytes // _SECTOR)

    dir_sectors = nsect(len(entries) * 128)
    minifat_sectors = nsect(len(minifat) * 4)
    ministream_sectors = nsect(len(mini_stream))
    big_sectors = sum(nsect(len(e.data)) for e in big)
    data_sectors = dir_sectors + minifat_sectors + ministream_sectors + big_sectors
    fat_sectors = 1
    while fat_sectors * (_SECTOR // 4) < data_sectors + fat_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("compound file too large for a header-only DIFAT")

    fat: list[int] = [_FATSECT] * fat_sectors
    body = bytearray()

    def place(payload: bytes, count: int) -> int:
        if count == 0:
            return _ENDOFCHAIN
        first = len(fat)
        fat.extend(first + i + 1 for i in range(count - 1))
        fat.append(_ENDOFCHAIN)
        body.extend(bytes(payload).ljust(count * _SECTOR, b"\x00"))
        return first

    # directory is written last into its reserved place (needs start sectors)
    dir_first = len(fat)
    fat.extend(dir_first + i + 1 for i in range(dir_sectors - 1))
    fat.append(_ENDOFCHAIN)
    body.extend(b"\x00" * (dir_sectors * _SECTOR))

    # unused entries of the last MiniFAT sector are FREESECT (MS-CFB 2.3)
    minifat += [_FREESECT] * (minifat_sectors * (_SECTOR // 4) - len(minifat))
    minifat_first = place(b"".join(struct.pack("<I", v) for v in minifat), minifat_sectors)
    root.start = place(bytes(mini_stream), ministream_sectors)
    root.size = len(mini_stream)
    for e in big:
        e.size = len(e.data)
        e.start = place(e.data, nsect(len(e.data)))

    fat.extend([_FREESECT] * (fat_sectors * (_SECTOR // 4) - len(fat)))

    directory = bytearray()
    for e in entries:
        raw = _name_field(e.name)
        rec = bytearray(128)
        rec[0:len(raw)] = raw
        struct.pack_into("<HBB", rec, 64, len(raw) + 2, e.kind, e.color)
        struct.pack_into("<III", rec, 68, e.left, e.right, e.child)
        # CLSID (16), state bits (4), creation/modified time (8+8): zero
        start = e.start if e.kind != 1 else 0
        size = e.size if e.kind != 1 else 0
        struct.pack_into("<IQ", rec, 116, start, size)
        directory += rec
    while len(directory) % _SECTOR:
        unused = bytearray(128)
        struct.pack_into("<III", unused, 68, _NOSTREAM, _NOSTREAM, _NOSTREAM)
        directory += unused
    body[0:len(directory)] = directory

    header = bytearray(_SECTOR)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)
    struct.pack_into(
        "<IIIIIIIII", header, 40,
        0,                     # number of directory sectors (must be 0 in v3)
        fat_sectors,
        dir_first,
        0,                     # transaction signature
        _MINI_CUTOFF,
        minifat_first,
        minifat_sectors,
        _ENDOFCHAIN,           # first DIFAT sector
        0,                     # number of DIFAT sectors
    )
    difat = list(range(fat_sectors)) + [_FREESECT] * (109 - fat_sectors)
    struct.pack_into("<109I", header, 76, *difat)

    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    return bytes(header) + fat_bytes + bytes(body)


# --------------------------------------------------------------------------
# VBA modules and the project
# --------------------------------------------------------------------------

# VB_Base values of Excel document modules, and of every class module
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

_DOC_ATTRIBUTES = (
    'Attribute VB_Name = "{name}"\r\n'
    'Attribute VB_Base = "{base}"\r\n'
    "Attribute VB_GlobalNameSpace = False\r\n"
    "Attribute VB_Creatable = False\r\n"
    "Attribute VB_PredeclaredId = True\r\n"
    "Attribute VB_Exposed = True\r\n"
    "Attribute VB_TemplateDerived = False\r\n"
    "Attribute VB_Customizable = True\r\n"
)

# what the VBA editor stores for an imported class module (compare the
# Dictionary module of xlwings' quickstart_standalone.xlsm)
_CLASS_ATTRIBUTES = (
    'Attribute VB_Name = "{name}"\r\n'
    'Attribute VB_Base = "{base}"\r\n'
    "Attribute VB_GlobalNameSpace = False\r\n"
    "Attribute VB_Creatable = False\r\n"
    "Attribute VB_PredeclaredId = {predeclared}\r\n"
    "Attribute VB_Exposed = {exposed}\r\n"
    "Attribute VB_TemplateDerived = False\r\n"
    "Attribute VB_Customizable = False\r\n"
)

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")
_VB_NAME_RE = re.compile(r'^Attribute\s+VB_Name\s*=\s*"([^"]*)"\s*$', re.IGNORECASE)
_ATTRIBUTE_RE = re.compile(r"^Attribute\s+(VB_\w+)\s*=\s*(.*?)\s*$", re.IGNORECASE)
_CLASS_HEADER_RE = re.compile(r"^VERSION\s+\d+(?:\.\d+)?\s+CLASS\s*$", re.IGNORECASE)
# header attributes the VBA editor rewrites itself for a class module
_CLASS_FIXED = {"vb_name", "vb_base", "vb_globalnamespace", "vb_creatable", "vb_templatederived",
                "vb_customizable", "vb_predeclaredid", "vb_exposed"}


def _crlf(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    if text and not text.endswith("\r\n"):
        text += "\r\n"
    return text


def _encode(text: str, codepage: int, what: str) -> bytes:
    """``text`` in the project's code page, or a clear error naming the
    first character that code page cannot hold (never a silent ``?``)."""
    try:
        return text.encode(codec_of(codepage))
    except UnicodeEncodeError as exc:
        ch = text[exc.start]
        line = text.count("\n", 0, exc.start) + 1
        raise VBAEncodingError(
            f"{what} 第 {line} 行的字符“{ch}”（U+{ord(ch):04X}）无法用 VBA 工程的代码页 {codepage} 保存："
            f"VBA 源码请只用 ASCII 字符（中文文字可写成 ChrW(&H{ord(ch):X}) 拼接），"
            "或用能容纳它的代码页生成工程（如 codepage=936）"
        ) from None


@dataclass
class VBAModule:
    """One VBA module.

    ``kind`` is ``"standard"`` (a .bas module), ``"class"`` (a .cls class
    module) or ``"document"`` (the ``ThisWorkbook`` / sheet modules of the
    host).  ``code`` is the VBA code without the ``Attribute`` header, which
    :attr:`source` adds.  A class module's header carries
    ``VB_PredeclaredId`` / ``VB_Exposed`` from ``predeclared`` / ``exposed``
    and then the further module attributes of ``extra`` (whole lines, e.g.
    ``Attribute VB_Description = "..."``).
    """

    name: str
    code: str = ""
    kind: str = "standard"
    base: str | None = None  # VB_Base of a document module
    predeclared: bool = False  # class modules
    exposed: bool = False  # class modules
    extra: tuple[str, ...] = ()  # class modules: further Attribute lines

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError("invalid VBA module name: %r" % self.name)
        if self.kind not in ("standard", "document", "class"):
            raise ValueError("unsupported module kind: %r" % self.kind)
        if self.kind == "document" and self.base is None:
            self.base = WORKBOOK_BASE if self.name == "ThisWorkbook" else WORKSHEET_BASE
        for line in self.extra:
            if not _ATTRIBUTE_RE.match(line) or "\n" in line or "\r" in line:
                raise ValueError("not a module attribute line: %r" % line)

    @property
    def source(self) -> str:
        """Full module text as stored in the module stream (CRLF)."""
        if self.kind == "document":
            header = _DOC_ATTRIBUTES.format(name=self.name, base=self.base)
        elif self.kind == "class":
            header = _CLASS_ATTRIBUTES.format(
                name=self.name, base=CLASS_BASE, predeclared=self.predeclared, exposed=self.exposed)
            header += "".join(line + "\r\n" for line in self.extra)
        else:
            header = 'Attribute VB_Name = "%s"\r\n' % self.name
        return header + _crlf(self.code)

    def source_bytes(self, codepage: int = CODEPAGE) -> bytes:
        """:attr:`source` in ``codepage``; :class:`VBAEncodingError` when a
        character cannot be represented."""
        return _encode(self.source, codepage, "VBA 模块 %s" % self.name)


def _decode_module_file(path: Path, encoding: str | None) -> str:
    raw = path.read_bytes()
    if encoding is None and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode(encoding or "utf-8")
    except UnicodeDecodeError as exc:
        if encoding:
            raise VBAEncodingError(f"VBA 源文件 {path.name} 不是 {encoding} 编码：第 {exc.start} 个字节无法解码") from None
        raise VBAEncodingError(
            f"VBA 源文件 {path.name} 不是 UTF-8（或 ASCII）文本：第 {exc.start} 个字节无法解码。"
            "VBA 编辑器导出的文件使用本机的代码页，请指定 encoding（如 encoding='cp936'）"
        ) from None


def _bool_attr(value: str) -> bool:
    return value.strip().lower() in ("true", "-1")


def read_module_file(path: str | Path, name: str | None = None, *,
                     encoding: str | None = None) -> VBAModule:
    """Read a module exported by the VBA editor: a standard module (.bas) or
    a class module (.cls, starting ``VERSION 1.0 CLASS``).

    The text is decoded as UTF-8 (ASCII is a subset) unless ``encoding``
    names the code page it was exported in; undecodable bytes are an error,
    never mojibake.  Whether the text fits the project's code page is
    checked when the project is built.  The ``Attribute VB_Name`` line gives
    the module name unless ``name`` is passed.  Of a .bas, other leading
    ``Attribute`` lines are dropped (standard modules only carry VB_Name); of
    a .cls, ``VB_PredeclaredId`` and ``VB_Exposed`` are kept, and so are
    further module attributes such as ``VB_Description``.
    """
    path = Path(path)
    text = _decode_module_file(path, encoding)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    is_class = path.suffix.lower() == ".cls"
    if lines and _CLASS_HEADER_RE.match(lines[0].strip()):
        is_class = True
        lines.pop(0)
        if lines and lines[0].strip().upper() == "BEGIN":
            while lines and lines[0].strip().upper() != "END":
                lines.pop(0)
            if not lines:
                raise ValueError(f"{path.name}: BEGIN without END in the class header")
            lines.pop(0)
    found = None
    attrs: dict[str, str] = {}
    extra: list[str] = []
    while lines and lines[0].startswith("Attribute "):
        line = lines.pop(0).strip()
        m = _ATTRIBUTE_RE.match(line)
        if not m:
            continue
        key, value = m.group(1), m.group(2)
        if key.lower() == "vb_name":
            vm = _VB_NAME_RE.match(line)
            found = vm.group(1) if vm else value.strip('"')
        elif key.lower() in _CLASS_FIXED:
            attrs[key.lower()] = value
        else:
            extra.append(line)
    mod_name = name or found or path.stem
    code = "\n".join(lines)
    if not is_class:
        return VBAModule(mod_name, code)
    return VBAModule(mod_name, code, kind="class",
                     predeclared=_bool_attr(attrs.get("vb_predeclaredid", "False")),
                     exposed=_bool_attr(attrs.get("vb_exposed", "False")),
                     extra=tuple(extra))


def document_module(name: str, code: str = "", base: str | None = None) -> VBAModule:
    """A host document module: ``ThisWorkbook`` or a sheet code name."""
    return VBAModule(name, code, kind="document", base=base)


def _xlwings_dir() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent


def xlwings_bas_path() -> Path:
    """Path of ``xlwings.bas`` (the standalone xlwings VBA module) inside the
    installed xlwings package.  Read at build time, never copied into the
    repository."""
    path = _xlwings_dir() / "xlwings.bas"
    if not path.is_file():
        raise FileNotFoundError("xlwings.bas not found in the installed xlwings package: %s" % path)
    return path


def xlwings_dictionary_path() -> Path:
    """Path of ``Dictionary.cls`` in the installed xlwings package: the class
    module that ``xlwings.bas`` declares ``As Dictionary`` under ``#If Mac``
    (Tim Hall's VBA-Dictionary, MIT).  xlwings' own standalone workbook
    always carries it beside the xlwings module."""
    path = _xlwings_dir() / "addin" / "Dictionary.cls"
    if not path.is_file():
        raise FileNotFoundError("Dictionary.cls not found in the installed xlwings package: %s" % path)
    return path


def xlwings_dictionary_module() -> VBAModule:
    """The ``Dictionary`` class module xlwings needs on macOS."""
    return read_module_file(xlwings_dictionary_path())


def xlwings_module() -> VBAModule:
    """The xlwings standalone VBA module (provides ``RunPython``).

    The file in xlwings 0.37.8 is plain ASCII; should a future version carry
    characters outside code page 1252 they are replaced by ``?`` (they can
    only occur in comments/strings of the upstream text) rather than failing
    the build.
    """
    raw = xlwings_bas_path().read_bytes()
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        text = text.encode("cp1252", errors="replace").decode("cp1252")
    lines = text.replace("\r\n", "\n").split("\n")
    name = "xlwings"
    if lines and _VB_NAME_RE.match(lines[0].strip()):
        name = _VB_NAME_RE.match(lines[0].strip()).group(1)
        lines = lines[1:]
    return VBAModule(name, "\n".join(lines))


def _rec(rid: int, payload: bytes) -> bytes:
    return struct.pack("<HI", rid, len(payload)) + payload


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


# The reference xlwings' own standalone workbook carries (resolved by GUID).
OFFICE_REFERENCE = (
    "Office",
    "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
    "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL#"
    "Microsoft Office 16.0 Object Library",
)
STDOLE_REFERENCE = (
    "stdole",
    "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
    "C:\\Windows\\System32\\stdole2.tlb#OLE Automation",
)


def _module_records(name: str, kind: str, codepage: int) -> bytes:
    """The MODULE record of the dir stream (MS-OVBA 2.3.4.2.3.2)."""
    mbcs = _encode(name, codepage, "VBA 模块名")
    out = bytearray()
    out += _rec(0x0019, mbcs)                                # MODULENAME
    out += _rec(0x0047, _utf16(name))                        # MODULENAMEUNICODE
    out += _rec(0x001A, mbcs) + _rec(0x0032, _utf16(name))   # MODULESTREAMNAME
    out += _rec(0x001C, b"") + _rec(0x0048, b"")             # MODULEDOCSTRING
    out += _rec(0x0031, struct.pack("<I", 0))                # MODULEOFFSET: source at 0
    out += _rec(0x001E, struct.pack("<I", 0))                # MODULEHELPCONTEXT
    out += _rec(0x002C, struct.pack("<H", 0xFFFF))           # MODULECOOKIE
    # MODULETYPE: 0x21 procedural; 0x22 document, class or designer module
    out += struct.pack("<HI", 0x0021 if kind == "standard" else 0x0022, 0)
    out += struct.pack("<HI", 0x002B, 0)                     # module terminator
    return bytes(out)


def _dir_stream(modules: Sequence[VBAModule], project_name: str,
                references: Sequence[tuple[str, str]], syskind: int, codepage: int) -> bytes:
    def mbcs(text: str) -> bytes:
        return _encode(text, codepage, "VBA 工程")

    out = bytearray()
    # PROJECTINFORMATION (2.3.4.2.1)
    out += _rec(0x0001, struct.pack("<I", syskind))          # PROJECTSYSKIND
    out += _rec(0x0002, struct.pack("<I", 0x0409))           # PROJECTLCID
    out += _rec(0x0014, struct.pack("<I", 0x0409))           # PROJECTLCIDINVOKE
    out += _rec(0x0003, struct.pack("<H", codepage))         # PROJECTCODEPAGE
    out += _rec(0x0004, mbcs(project_name))                  # PROJECTNAME
    out += _rec(0x0005, b"") + _rec(0x0040, b"")             # PROJECTDOCSTRING
    out += _rec(0x0006, b"") + _rec(0x003D, b"")             # PROJECTHELPFILEPATH
    out += _rec(0x0007, struct.pack("<I", 0))                # PROJECTHELPCONTEXT
    out += _rec(0x0008, struct.pack("<I", 0))                # PROJECTLIBFLAGS
    # PROJECTVERSION: Reserved (=4) where a size would be, then 4 + 2 bytes
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)
    out += _rec(0x000C, b"") + _rec(0x003C, b"")             # PROJECTCONSTANTS
    # PROJECTREFERENCES (2.3.4.2.2)
    for ref_name, libid in references:
        out += _rec(0x0016, mbcs(ref_name)) + _rec(0x003E, _utf16(ref_name))
        lib = mbcs(libid)
        registered = struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0)
        out += _rec(0x000D, registered)                      # REFERENCEREGISTERED
    # PROJECTMODULES (2.3.4.2.3)
    out += struct.pack("<HIH", 0x000F, 2, len(modules))
    out += struct.pack("<HIH", 0x0013, 2, 0xFFFF)            # PROJECTCOOKIE
    for m in modules:
        out += _module_records(m.name, m.kind, codepage)
    out += struct.pack("<HI", 0x0010, 0)                     # dir terminator
    return bytes(out)


_PROJECT_ITEM = {"document": "Document=%s/&H00000000", "class": "Class=%s", "standard": "Module=%s"}


def _project_stream(modules: Sequence[VBAModule], project_name: str, project_id: str,
                    codepage: int) -> bytes:
    seed_base = hashlib.sha256(project_id.encode("ascii")).digest()

    def enc(data: bytes, i: int) -> str:
        return encrypt_data(project_id, data, seed_base[i]).hex().upper()

    lines = ['ID="%s"' % project_id]
    lines += [_PROJECT_ITEM[m.kind] % m.name for m in modules]
    lines += [
        'Name="%s"' % project_name,
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        'CMG="%s"' % enc(struct.pack("<I", 0), 0),   # ProjectProtectionState: none
        'DPB="%s"' % enc(b"\x00", 1),                # ProjectPassword: none
        'GC="%s"' % enc(b"\xFF", 2),                 # ProjectVisibilityState: visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += ["%s=0, 0, 0, 0, C" % m.name for m in modules]
    return _encode("\r\n".join(lines) + "\r\n", codepage, "VBA 工程的 PROJECT 流")


def _projectwm_stream(names: Sequence[str], codepage: int) -> bytes:
    out = bytearray()
    for name in names:
        out += _encode(name, codepage, "VBA 模块名") + b"\x00" + _utf16(name) + b"\x00\x00"
    return bytes(out + b"\x00\x00")


# _VBA_PROJECT with Version 0xFFFF: no performance cache, compile from source
_NO_CACHE = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001)


def build_vba_project(
    modules: Iterable[VBAModule],
    project_name: str = "VBAProject",
    *,
    references: Sequence[tuple[str, str]] | None = None,
    syskind: int = 0x00000003,
    codepage: int = CODEPAGE,
) -> bytes:
    """Return the bytes of a ``vbaProject.bin`` holding ``modules``.

    If no ``ThisWorkbook`` document module is given one is added (Excel's
    workbook ``codeName``).  Module names must be unique (case-insensitive).
    ``references`` defaults to the Office object library reference that
    xlwings' own standalone workbook carries; pass ``()`` for none.
    ``syskind`` 3 = 64-bit Windows (what current Office writes), 1 = Win32.
    ``codepage`` is the project's code page: every module text is stored in
    it, and one that it cannot represent raises :class:`VBAEncodingError`.
    """
    codec_of(codepage)
    mods = list(modules)
    if not any(m.name.lower() == "thisworkbook" for m in mods):
        mods.insert(0, document_module("ThisWorkbook"))
    lowered = [m.name.lower() for m in mods]
    if len(set(lowered)) != len(lowered):
        raise ValueError("duplicate VBA module names: %s" % [m.name for m in mods])
    if references is None:
        references = [OFFICE_REFERENCE]
    if not _NAME_RE.match(project_name):
        raise ValueError("invalid VBA project name: %r" % project_name)

    project_id = "{%s}" % str(uuid.uuid5(uuid.NAMESPACE_URL, "duban-vba:" + project_name)).upper()

    vba: dict = {
        "_VBA_PROJECT": _NO_CACHE,
        "dir": compress(_dir_stream(mods, project_name, references, syskind, codepage)),
    }
    for m in mods:
        vba[m.name] = compress(m.source_bytes(codepage))
    tree = {
        "PROJECT": _project_stream(mods, project_name, project_id, codepage),
        "PROJECTwm": _projectwm_stream([m.name for m in mods], codepage),
        "VBA": vba,
    }
    return write_compound_file(tree)


# --------------------------------------------------------------------------
# Reading an existing project; adding document modules to it
# --------------------------------------------------------------------------


@dataclass
class ProjectModule:
    name: str
    stream: str
    kind: str  # standard / document / class (from the PROJECT stream)
    offset: int
    source: str


@dataclass
class ProjectInfo:
    codepage: int
    name: str
    modules: list[ProjectModule]

    def module_names(self) -> set[str]:
        return {m.name.lower() for m in self.modules}


def _dir_records(data: bytes) -> list[tuple[int, int, int]]:
    """(id, payload start, payload end) of every record of a decompressed dir
    stream; PROJECTVERSION (0x0009) is the one record whose size field is
    not its size."""
    out = []
    pos = 0
    while pos + 6 <= len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        if rid == 0x0009:
            size = 6
        start, end = pos + 6, pos + 6 + size
        if end > len(data):
            raise VBAProjectError("dir stream record 0x%04X is truncated" % rid)
        out.append((rid, start, end))
        pos = end
        if rid == 0x0010:
            break
    else:
        raise VBAProjectError("dir stream has no terminator")
    return out


def _read_tree(data: bytes) -> tuple[dict, Any]:
    import olefile

    try:
        ole = olefile.OleFileIO(data)
    except OSError as exc:
        raise VBAProjectError("vbaProject.bin is not a compound file: %s" % exc) from None
    tree: dict = {}
    for path in ole.listdir(streams=True, storages=False):
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = ole.openstream(path).read()
    return tree, ole


def _project_kinds(project_text: str) -> dict[str, str]:
    kinds = {}
    for line in project_text.splitlines():
        key, _, value = line.partition("=")
        key = key.strip().lower()
        if key == "document":
            kinds[value.split("/")[0].strip().lower()] = "document"
        elif key == "class":
            kinds[value.strip().lower()] = "class"
        elif key == "module":
            kinds[value.strip().lower()] = "standard"
        elif key == "baseclass":
            kinds[value.strip().lower()] = "designer"
    return kinds


def read_project(data: bytes, *, sources: bool = True) -> ProjectInfo:
    """Code page, name and modules (with their source text unless
    ``sources`` is false) of a ``vbaProject.bin`` -- one this module wrote
    or one Excel saved."""
    tree, ole = _read_tree(data)
    try:
        vba = tree.get("VBA")
        if not isinstance(vba, dict) or "dir" not in vba or "PROJECT" not in tree:
            raise VBAProjectError("vbaProject.bin has no VBA/dir or PROJECT stream")
        d = decompress(vba["dir"])
        records = _dir_records(d)
        codepage = 1252
        project_name = ""
        for rid, a, b in records:
            if rid == 0x0003:
                codepage = struct.unpack_from("<H", d, a)[0]
        codec = codec_of(codepage)
        kinds = _project_kinds(tree["PROJECT"].decode(codec, errors="replace"))
        modules: list[ProjectModule] = []
        current: dict[str, Any] | None = None
        for rid, a, b in records:
            payload = d[a:b]
            if rid == 0x0004:
                project_name = payload.decode(codec, errors="replace")
            elif rid == 0x0019:
                current = {"name": payload.decode(codec), "stream": payload.decode(codec), "offset": 0}
            elif current is not None and rid == 0x0047:
                current["name"] = payload.decode("utf-16-le")
            elif current is not None and rid == 0x0032:
                current["stream"] = payload.decode("utf-16-le")
            elif current is not None and rid == 0x0031:
                current["offset"] = struct.unpack("<I", payload)[0]
            elif current is not None and rid == 0x002B:
                stream = vba.get(current["stream"])
                if stream is None:
                    raise VBAProjectError("module stream VBA/%s is missing" % current["stream"])
                source = (decompress(stream[current["offset"]:]).decode(codec, errors="replace")
                          if sources else "")
                kind = kinds.get(current["name"].lower(), "standard")
                modules.append(ProjectModule(current["name"], current["stream"], kind,
                                             current["offset"], source))
                current = None
        return ProjectInfo(codepage, project_name, modules)
    finally:
        ole.close()


def add_document_modules(data: bytes, names: Sequence[str]) -> bytes:
    """``data`` (a ``vbaProject.bin``) with an empty worksheet document
    module for each of ``names`` (sheet code names) added.

    Every other stream is kept byte for byte; the dir stream gains the
    MODULE records, the PROJECT stream a ``Document=`` line and a
    ``[Workspace]`` line, PROJECTwm the name; ``_VBA_PROJECT`` is replaced
    by the cache-less form so that the host recompiles the project from
    source instead of trusting a cache that lacks the new modules.  A
    project with designer storages (UserForms) is refused: their CLSIDs and
    state bits would not survive the rewrite.
    """
    names = list(names)
    if not names:
        return data
    info = read_project(data, sources=False)
    existing = info.module_names()
    for name in names:
        if not _NAME_RE.match(name):
            raise ValueError("invalid VBA module name: %r" % name)
        if name.lower() in existing:
            raise ValueError("VBA module %s already exists" % name)
        existing.add(name.lower())
    tree, ole = _read_tree(data)
    ole.close()
    extra_storages = [k for k, v in tree.items() if isinstance(v, dict) and k != "VBA"]
    if extra_storages:
        raise VBAProjectError("the VBA project has designer storages (UserForms): %s" % extra_storages)
    codec = codec_of(info.codepage)
    vba = tree["VBA"]
    stream_names = {k.lower() for k in vba}
    for name in names:
        if name.lower() in stream_names:
            raise VBAProjectError("a stream VBA/%s already exists" % name)

    # dir: bump PROJECTMODULES.Count, insert the MODULE records before the terminator
    d = bytearray(decompress(vba["dir"]))
    records = _dir_records(bytes(d))
    count_at = next(a for rid, a, b in records if rid == 0x000F)
    count = struct.unpack_from("<H", d, count_at)[0]
    struct.pack_into("<H", d, count_at, count + len(names))
    term_at = records[-1][1] - 6
    new_records = b"".join(_module_records(n, "document", info.codepage) for n in names)
    d[term_at:term_at] = new_records
    vba["dir"] = compress(bytes(d))
    for name in names:
        vba[name] = compress(document_module(name).source_bytes(info.codepage))
    vba["_VBA_PROJECT"] = _NO_CACHE

    # PROJECT: Document= after the last project item, a [Workspace] line
    text = tree["PROJECT"].decode(codec)
    lines = text.split("\r\n")
    item_re = re.compile(r"^(Document|Module|Class|BaseClass|Package)=", re.IGNORECASE)
    last_item = max((i for i, line in enumerate(lines) if item_re.match(line)), default=0)
    lines[last_item + 1:last_item + 1] = ["Document=%s/&H00000000" % n for n in names]
    try:
        ws = next(i for i, line in enumerate(lines) if line.strip().lower() == "[workspace]")
    except StopIteration:
        ws = None
    if ws is not None:
        end = ws + 1
        while end < len(lines) and lines[end].strip() and not lines[end].startswith("["):
            end += 1
        lines[end:end] = ["%s=0, 0, 0, 0, C" % n for n in names]
    tree["PROJECT"] = _encode("\r\n".join(lines), info.codepage, "VBA 工程的 PROJECT 流")

    # PROJECTwm: NameMap records then a two-byte terminator
    wm = tree.get("PROJECTwm")
    if wm is not None:
        if not wm.endswith(b"\x00\x00"):
            raise VBAProjectError("PROJECTwm has no terminator")
        tree["PROJECTwm"] = wm[:-2] + _projectwm_stream(names, info.codepage)
    return write_compound_file(tree)
