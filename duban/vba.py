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

VBA source is stored in code page 1252; module sources must be encodable in
it (keep them ASCII).
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

__all__ = [
    "VBAModule",
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
    "CODEPAGE",
]

CODEPAGE = 1252
_ENCODING = "cp1252"

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

# VB_Base values of Excel document modules
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"

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

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")
_VB_NAME_RE = re.compile(r'^Attribute\s+VB_Name\s*=\s*"([^"]*)"\s*$', re.IGNORECASE)


def _crlf(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    if text and not text.endswith("\r\n"):
        text += "\r\n"
    return text


@dataclass
class VBAModule:
    """One VBA module.

    ``kind`` is ``"standard"`` (a .bas module) or ``"document"`` (the
    ``ThisWorkbook`` / sheet modules of the host).  ``code`` is the VBA code
    without the ``Attribute`` header, which :attr:`source` adds.
    """

    name: str
    code: str = ""
    kind: str = "standard"
    base: str | None = None  # VB_Base of a document module

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError("invalid VBA module name: %r" % self.name)
        if self.kind not in ("standard", "document"):
            raise ValueError("unsupported module kind: %r" % self.kind)
        if self.kind == "document" and self.base is None:
            self.base = WORKBOOK_BASE if self.name == "ThisWorkbook" else WORKSHEET_BASE
        try:
            self.code.encode(_ENCODING)
        except UnicodeEncodeError as exc:
            raise ValueError(
                "module %s is not encodable in code page %d: %s" % (self.name, CODEPAGE, exc)
            ) from None

    @property
    def source(self) -> str:
        """Full module text as stored in the module stream (CRLF)."""
        if self.kind == "document":
            header = _DOC_ATTRIBUTES.format(name=self.name, base=self.base)
        else:
            header = 'Attribute VB_Name = "%s"\r\n' % self.name
        return header + _crlf(self.code)

    def source_bytes(self) -> bytes:
        return self.source.encode(_ENCODING)


def read_module_file(path: str | Path, name: str | None = None) -> VBAModule:
    """Read a standard module exported as .bas.

    The ``Attribute VB_Name`` line (if any) gives the module name unless
    ``name`` is passed; other leading ``Attribute`` lines of a .bas file are
    dropped (standard modules only carry VB_Name).
    """
    raw = Path(path).read_bytes()
    text = raw.decode(_ENCODING)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found = None
    while lines and lines[0].startswith("Attribute "):
        m = _VB_NAME_RE.match(lines[0].strip())
        if m:
            found = m.group(1)
        lines.pop(0)
    mod_name = name or found or Path(path).stem
    return VBAModule(mod_name, "\n".join(lines))


def document_module(name: str, code: str = "", base: str | None = None) -> VBAModule:
    """A host document module: ``ThisWorkbook`` or a sheet code name."""
    return VBAModule(name, code, kind="document", base=base)


def xlwings_bas_path() -> Path:
    """Path of ``xlwings.bas`` (the standalone xlwings VBA module) inside the
    installed xlwings package.  Read at build time, never copied into the
    repository."""
    import xlwings

    path = Path(xlwings.__file__).resolve().parent / "xlwings.bas"
    if not path.is_file():
        raise FileNotFoundError("xlwings.bas not found in the installed xlwings package: %s" % path)
    return path


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
        text = text.encode(_ENCODING, errors="replace").decode(_ENCODING)
    lines = text.replace("\r\n", "\n").split("\n")
    name = "xlwings"
    if lines and _VB_NAME_RE.match(lines[0].strip()):
        name = _VB_NAME_RE.match(lines[0].strip()).group(1)
        lines = lines[1:]
    return VBAModule(name, "\n".join(lines))


def _rec(rid: int, payload: bytes) -> bytes:
    return struct.pack("<HI", rid, len(payload)) + payload


def _mbcs(text: str) -> bytes:
    return text.encode(_ENCODING)


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


def _dir_stream(modules: Sequence[VBAModule], project_name: str,
                references: Sequence[tuple[str, str]], syskind: int) -> bytes:
    out = bytearray()
    # PROJECTINFORMATION (2.3.4.2.1)
    out += _rec(0x0001, struct.pack("<I", syskind))          # PROJECTSYSKIND
    out += _rec(0x0002, struct.pack("<I", 0x0409))           # PROJECTLCID
    out += _rec(0x0014, struct.pack("<I", 0x0409))           # PROJECTLCIDINVOKE
    out += _rec(0x0003, struct.pack("<H", CODEPAGE))         # PROJECTCODEPAGE
    out += _rec(0x0004, _mbcs(project_name))                 # PROJECTNAME
    out += _rec(0x0005, b"") + _rec(0x0040, b"")             # PROJECTDOCSTRING
    out += _rec(0x0006, b"") + _rec(0x003D, b"")             # PROJECTHELPFILEPATH
    out += _rec(0x0007, struct.pack("<I", 0))                # PROJECTHELPCONTEXT
    out += _rec(0x0008, struct.pack("<I", 0))                # PROJECTLIBFLAGS
    # PROJECTVERSION: Reserved (=4) where a size would be, then 4 + 2 bytes
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)
    out += _rec(0x000C, b"") + _rec(0x003C, b"")             # PROJECTCONSTANTS
    # PROJECTREFERENCES (2.3.4.2.2)
    for ref_name, libid in references:
        out += _rec(0x0016, _mbcs(ref_name)) + _rec(0x003E, _utf16(ref_name))
        lib = _mbcs(libid)
        registered = struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0)
        out += _rec(0x000D, registered)                      # REFERENCEREGISTERED
    # PROJECTMODULES (2.3.4.2.3)
    out += struct.pack("<HIH", 0x000F, 2, len(modules))
    out += struct.pack("<HIH", 0x0013, 2, 0xFFFF)            # PROJECTCOOKIE
    for m in modules:
        out += _rec(0x0019, _mbcs(m.name))                   # MODULENAME
        out += _rec(0x0047, _utf16(m.name))                  # MODULENAMEUNICODE
        out += _rec(0x001A, _mbcs(m.name)) + _rec(0x0032, _utf16(m.name))  # STREAMNAME
        out += _rec(0x001C, b"") + _rec(0x0048, b"")         # MODULEDOCSTRING
        out += _rec(0x0031, struct.pack("<I", 0))            # MODULEOFFSET: source at 0
        out += _rec(0x001E, struct.pack("<I", 0))            # MODULEHELPCONTEXT
        out += _rec(0x002C, struct.pack("<H", 0xFFFF))       # MODULECOOKIE
        out += struct.pack("<HI", 0x0021 if m.kind == "standard" else 0x0022, 0)  # MODULETYPE
        out += struct.pack("<HI", 0x002B, 0)                 # module terminator
    out += struct.pack("<HI", 0x0010, 0)                     # dir terminator
    return bytes(out)


def _project_stream(modules: Sequence[VBAModule], project_name: str, project_id: str) -> bytes:
    seed_base = hashlib.sha256(project_id.encode("ascii")).digest()

    def enc(data: bytes, i: int) -> str:
        return encrypt_data(project_id, data, seed_base[i]).hex().upper()

    lines = ['ID="%s"' % project_id]
    for m in modules:
        if m.kind == "document":
            lines.append("Document=%s/&H00000000" % m.name)
        else:
            lines.append("Module=%s" % m.name)
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
    return ("\r\n".join(lines) + "\r\n").encode(_ENCODING)


def _projectwm_stream(modules: Sequence[VBAModule]) -> bytes:
    out = bytearray()
    for m in modules:
        out += _mbcs(m.name) + b"\x00" + _utf16(m.name) + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def build_vba_project(
    modules: Iterable[VBAModule],
    project_name: str = "VBAProject",
    *,
    references: Sequence[tuple[str, str]] | None = None,
    syskind: int = 0x00000003,
) -> bytes:
    """Return the bytes of a ``vbaProject.bin`` holding ``modules``.

    If no ``ThisWorkbook`` document module is given one is added (Excel's
    workbook ``codeName``).  Module names must be unique (case-insensitive).
    ``references`` defaults to the Office object library reference that
    xlwings' own standalone workbook carries; pass ``()`` for none.
    ``syskind`` 3 = 64-bit Windows (what current Office writes), 1 = Win32.
    """
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
        "_VBA_PROJECT": struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001),
        "dir": compress(_dir_stream(mods, project_name, references, syskind)),
    }
    for m in mods:
        vba[m.name] = compress(m.source_bytes())
    tree = {
        "PROJECT": _project_stream(mods, project_name, project_id),
        "PROJECTwm": _projectwm_stream(mods),
        "VBA": vba,
    }
    return write_compound_file(tree)
