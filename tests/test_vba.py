"""MS-OVBA compression, the compound file writer and vbaProject.bin, checked
against independent readers (oletools.olevba, olefile) -- no mocks."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import random
import re
import struct
import zipfile
from pathlib import Path

import olefile
import pytest
from oletools.olevba import VBA_Parser, decompress_stream

from duban import vba
from duban.vba import (
    VBAModule,
    build_vba_project,
    compress,
    decompress,
    decrypt_data,
    document_module,
    encrypt_data,
    read_module_file,
    write_compound_file,
    xlwings_bas_path,
    xlwings_module,
)

# MS-CFB 2.6.1 ColorFlag values
RED, BLACK = 0, 1

REPO = Path(__file__).resolve().parents[1]
DUBAN_BAS = REPO / "macros" / "duban.bas"


def ole_decompress(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(data)))


# --------------------------------------------------------------------------
# compression
# --------------------------------------------------------------------------

# MS-OVBA section 3.2 examples
SPEC_VECTORS = [
    (  # 3.2.1 No Compression Example
        b"abcdefghijklmnopqrstuv.",
        "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E",
    ),
    (  # 3.2.2 Normal Compression Example
        b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
        "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 20 "
        "6D 6E 6F 70 06 71 02 70 04 00 72 73 74 75 76 10 77 78 79 7A 00 2C",
    ),
    (  # 3.2.3 Maximum Compression Example: 73 times "a"
        b"a" * 73,
        "01 03 B0 02 61 45 00",
    ),
]


@pytest.mark.parametrize("plain,hexed", SPEC_VECTORS, ids=["no", "normal", "maximum"])
def test_spec_vectors(plain, hexed):
    expected = bytes.fromhex(hexed)
    assert compress(plain) == expected
    assert ole_decompress(expected) == plain
    assert decompress(expected) == plain


def _text_sample() -> bytes:
    return xlwings_bas_path().read_bytes()


def _make(kind: str, size: int) -> bytes:
    rnd = random.Random(size * 31 + len(kind))
    if kind == "random":
        return rnd.randbytes(size)
    if kind == "repetitive":
        return (b"a" * 37 + b"RunPython \"import duban\"\r\n" + b"\x00" * 5) * (size // 60 + 1)
    if kind == "same-byte":
        return b"\x20" * size
    if kind == "text":
        text = _text_sample()
        return (text * (size // len(text) + 1))[:size]
    if kind == "mixed":
        # compressible and incompressible stretches alternating across chunks
        out = bytearray()
        while len(out) < size:
            out += rnd.randbytes(rnd.randint(1, 3000))
            out += bytes([rnd.randint(0, 255)]) * rnd.randint(1, 3000)
        return bytes(out)
    raise AssertionError(kind)


SIZES = [0, 1, 2, 3, 4095, 4096, 4097, 8192, 10000, 100000]
KINDS = ["random", "repetitive", "same-byte", "text", "mixed"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_through_oletools(kind, size):
    data = _make(kind, size)[:size]
    assert len(data) == size
    packed = compress(data)
    assert packed[0] == 0x01
    assert ole_decompress(packed) == data
    assert decompress(packed) == data


def test_chunk_headers_and_raw_fallback():
    data = random.Random(7).randbytes(3 * 4096 + 10)
    packed = compress(data)
    pos, chunks = 1, []
    while pos < len(packed):
        header = struct.unpack_from("<H", packed, pos)[0]
        assert (header >> 12) & 0b111 == 0b011  # chunk signature
        flag = header >> 15
        size = (header & 0x0FFF) + 3
        chunks.append((flag, size))
        pos += 2 + 4096 if flag == 0 else size
    assert pos == len(packed)
    # incompressible full chunks are stored raw (flag 0, size field 4095)
    assert chunks[:3] == [(0, 4098)] * 3
    # the 10-byte tail compresses (it only costs one flag byte per 8 literals)
    assert chunks[3][0] == 1
    assert ole_decompress(packed) == data


def test_compressed_text_is_smaller_and_never_exceeds_chunk_limit():
    text = _text_sample()
    packed = compress(text)
    assert len(packed) < len(text) // 2
    pos = 1
    while pos < len(packed):
        header = struct.unpack_from("<H", packed, pos)[0]
        size = (header & 0x0FFF) + 3
        assert 3 <= size <= 4098
        pos += size if header >> 15 else 2 + 4096


@pytest.mark.parametrize(
    "difference,bits",
    [(1, 4), (2, 4), (16, 4), (17, 5), (32, 5), (33, 6), (64, 6), (65, 7), (2048, 11), (2049, 12), (4095, 12)],
)
def test_copy_token_bit_split(difference, bits):
    bit_count, maximum_length = vba._copy_token_help(difference)
    assert bit_count == bits
    assert maximum_length == (0xFFFF >> bits) + 3


def test_long_matches_at_chunk_positions_with_every_bit_split():
    # a pattern repeated at distances that cross every offset/length split
    rnd = random.Random(3)
    data = bytearray()
    while len(data) < 3 * 4096:
        seg = rnd.randbytes(rnd.randint(3, 40))
        data += seg + rnd.randbytes(rnd.randint(0, 600)) + seg * rnd.randint(1, 4)
    data = bytes(data)
    assert ole_decompress(compress(data)) == data


# --------------------------------------------------------------------------
# PROJECT stream encryption (CMG / DPB / GC)
# --------------------------------------------------------------------------


def _xlwings_template_project_stream() -> str:
    template = Path(xlwings_bas_path()).with_name("quickstart_standalone.xlsm")
    with zipfile.ZipFile(template) as zf:
        ole = olefile.OleFileIO(zf.read("xl/vbaProject.bin"))
    return ole.openstream("PROJECT").read().decode("cp1252")


def test_decrypts_values_written_by_excel():
    # xlwings' template was saved by Excel: unprotected, no password, visible
    text = _xlwings_template_project_stream()
    values = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', text, re.MULTILINE))
    assert decrypt_data(bytes.fromhex(values["CMG"])) == b"\x00\x00\x00\x00"
    assert decrypt_data(bytes.fromhex(values["DPB"])) == b"\x00"
    assert decrypt_data(bytes.fromhex(values["GC"])) == b"\xff"
    # and the project key checksum is the one Excel used
    project_id = re.search(r'^ID="(\{[0-9A-F-]+\})"', text, re.MULTILINE).group(1)
    cmg = bytes.fromhex(values["CMG"])
    assert cmg[0] ^ cmg[2] == vba._proj_key(project_id)


@pytest.mark.parametrize("seed", range(0, 256, 5))
def test_encryption_round_trip(seed):
    pid = "{12345678-ABCD-4EF0-9123-456789ABCDEF}"
    for data in (b"", b"\x00", b"\xff", b"\x00\x00\x00\x00", bytes(range(40))):
        enc = encrypt_data(pid, data, seed, ignored=b"\x11\x22\x33")
        assert len(enc) == 3 + (seed & 6) // 2 + 4 + len(data)
        assert decrypt_data(enc) == data


# --------------------------------------------------------------------------
# compound file writer
# --------------------------------------------------------------------------


def _check_red_black(ole: olefile.OleFileIO) -> None:
    """Every storage's children form a red-black binary search tree ordered
    by (name length, upper-case name) -- MS-CFB 2.6.4."""
    entries = ole.direntries

    def key(i):
        name = entries[i].name
        return (len(name), name.upper())

    def walk(i, lo, hi, parent_red):
        if i == olefile.NOSTREAM:
            return 1
        e = entries[i]
        k = key(i)
        assert (lo is None or lo < k) and (hi is None or k < hi)
        red = e.color == RED
        assert not (red and parent_red), "red node with a red parent"
        left = walk(e.sid_left, lo, k, red)
        right = walk(e.sid_right, k, hi, red)
        assert left == right, "unequal black height"
        return left + (0 if red else 1)

    for e in entries:
        if e is not None and e.sid_child != olefile.NOSTREAM:
            root = entries[e.sid_child]
            assert root.color == BLACK
            walk(e.sid_child, None, None, False)


@pytest.mark.parametrize("count", [1, 2, 3, 5, 7, 8, 30, 130])
def test_compound_file_read_back_by_olefile(count):
    rnd = random.Random(count)
    streams = {}
    for i in range(count):
        size = rnd.choice([0, 1, 63, 64, 65, 4095, 4096, 4097, 70000])
        streams["S%03d_%s" % (i, "x" * (i % 9))] = rnd.randbytes(size)
    tree = {"Top": b"top-level", "Store": streams, "Empty": {}}
    blob = write_compound_file(tree)
    assert len(blob) % 512 == 0
    ole = olefile.OleFileIO(blob)
    assert ole.openstream("Top").read() == b"top-level"
    for name, data in streams.items():
        assert ole.get_size("Store/" + name) == len(data)
        assert ole.openstream("Store/" + name).read() == data
    assert ole.get_type("Empty") == olefile.STGTY_STORAGE
    _check_red_black(ole)
    # deterministic
    assert write_compound_file(tree) == blob


def test_compound_file_rejects_bad_names():
    with pytest.raises(ValueError):
        write_compound_file({"a/b": b""})
    with pytest.raises(ValueError):
        write_compound_file({"x" * 32: b""})
    with pytest.raises(ValueError):
        write_compound_file({"ab": b"", "AB": b""})


# --------------------------------------------------------------------------
# vbaProject.bin
# --------------------------------------------------------------------------


def _modules():
    return [
        xlwings_module(),
        read_module_file(DUBAN_BAS),
        document_module("ThisWorkbook", "Private Sub Workbook_Open()\r\nEnd Sub\r\n"),
        document_module("Sheet1"),
        VBAModule("Big", "\r\n".join("' line %05d %s" % (i, "x" * (i % 70)) for i in range(3000))),
    ]


def _olevba_modules(path_or_data, filename="vbaProject.bin") -> dict[str, str]:
    if isinstance(path_or_data, bytes):
        parser = VBA_Parser(filename, data=path_or_data)
    else:
        parser = VBA_Parser(str(path_or_data))
    try:
        out = {}
        for _, stream_path, _, code in parser.extract_macros():
            if isinstance(code, bytes):
                code = code.decode("cp1252")
            out[stream_path.split("/")[-1]] = code
        return out
    finally:
        parser.close()


def _norm(text: str) -> str:
    return text.replace("\r\n", "\n")


def test_vba_project_read_back_by_olevba():
    mods = _modules()
    blob = build_vba_project(mods)
    found = _olevba_modules(blob)
    assert set(found) == {m.name for m in mods}
    for m in mods:
        assert _norm(found[m.name]) == _norm(m.source), m.name
    # the module source is the original text, attribute header included
    assert _norm(found["xlwings"]) == _norm(xlwings_bas_path().read_text("ascii"))
    assert _norm(found["duban"]) == _norm(DUBAN_BAS.read_text("ascii"))


def test_vba_project_structure():
    blob = build_vba_project(_modules())
    ole = olefile.OleFileIO(blob)
    names = {"/".join(p) for p in ole.listdir()}
    assert {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT", "VBA/duban",
            "VBA/xlwings", "VBA/ThisWorkbook", "VBA/Sheet1", "VBA/Big"} <= names
    # no performance cache: the host compiles from source
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")
    # source at offset 0 of every module stream
    assert ole_decompress(ole.openstream("VBA/duban").read()).startswith(b'Attribute VB_Name = "duban"')
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert "Module=duban\r\n" in project and "Module=xlwings\r\n" in project
    assert "Document=ThisWorkbook/&H00000000\r\n" in project
    assert "Document=Sheet1/&H00000000\r\n" in project
    pid = re.search(r'^ID="(\{[0-9A-F-]+\})"', project, re.MULTILINE).group(1)
    values = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', project, re.MULTILINE))
    assert decrypt_data(bytes.fromhex(values["CMG"])) == b"\x00\x00\x00\x00"
    assert decrypt_data(bytes.fromhex(values["DPB"])) == b"\x00"
    assert decrypt_data(bytes.fromhex(values["GC"])) == b"\xff"
    assert bytes.fromhex(values["GC"])[0] ^ bytes.fromhex(values["GC"])[2] == vba._proj_key(pid)
    wm = ole.openstream("PROJECTwm").read()
    assert wm.endswith(b"\x00\x00") and b"duban\x00d\x00u\x00b\x00a\x00n\x00\x00\x00" in wm
    dir_stream = ole_decompress(ole.openstream("VBA/dir").read())
    assert struct.unpack_from("<HII", dir_stream, 0) == (0x0001, 4, 3)  # PROJECTSYSKIND
    assert struct.unpack_from("<HIH", dir_stream, 30) == (0x0003, 2, 1252)  # PROJECTCODEPAGE
    assert dir_stream.endswith(struct.pack("<HI", 0x0010, 0))
    _check_red_black(ole)


def test_vba_project_adds_thisworkbook_and_is_deterministic():
    mods = [read_module_file(DUBAN_BAS)]
    blob = build_vba_project(mods)
    assert build_vba_project([read_module_file(DUBAN_BAS)]) == blob
    assert set(_olevba_modules(blob)) == {"ThisWorkbook", "duban"}


def test_module_validation():
    with pytest.raises(ValueError):
        VBAModule("bad name")
    with pytest.raises(ValueError):
        build_vba_project([VBAModule("Cjk", "' \u7763\u529e\r\n")])  # not representable in code page 1252
    with pytest.raises(ValueError):
        build_vba_project([VBAModule("Same"), VBAModule("same")])


# --------------------------------------------------------------------------
# the xlwings module and macros/duban.bas
# --------------------------------------------------------------------------


def test_xlwings_module_comes_from_installed_package():
    import xlwings

    path = xlwings_bas_path()
    assert path.parent == Path(xlwings.__file__).resolve().parent
    raw = path.read_bytes()
    raw.decode("ascii")  # the upstream file is pure ASCII
    mod = xlwings_module()
    assert mod.name == "xlwings"
    assert re.search(r"^(Public )?Function RunPython\(", mod.code, re.MULTILINE)
    assert mod.source_bytes().decode("cp1252")
    # nothing of xlwings' VBA is vendored into this repository
    vendored = [p for p in REPO.glob("**/xlwings.bas")
                if not {".venv", "venv", "site-packages", ".git"} & set(p.relative_to(REPO).parts)]
    assert not vendored


BUTTON_FUNCTIONS = {"sheets", "mail", "collect", "status", "report", "remind", "notices", "score", "upgrade"}
RUNPYTHON_RE = re.compile(r'^\s*RunPython\s+"import\s+([\w.]+)\s+as\s+(\w+);\s*(\w+)\.(\w+)\(\)"\s*$')


def _runpython_calls() -> dict[str, tuple[str, str]]:
    text = DUBAN_BAS.read_text("ascii")
    calls: dict[str, tuple[str, str]] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^\s*Sub\s+(\w+)\s*\(\s*\)\s*$", line)
        if m:
            current = m.group(1)
            continue
        if line.lstrip().startswith("'"):
            continue
        if "RunPython" in line:
            rm = RUNPYTHON_RE.match(line)
            assert rm, "unexpected RunPython line: %r" % line
            module, alias, alias_used, func = rm.groups()
            assert alias == alias_used
            assert current and current not in calls, "one RunPython call per Sub"
            calls[current] = (module, func)
    return calls


def test_duban_bas_is_ascii_crlf_and_has_the_button_subs():
    raw = DUBAN_BAS.read_bytes()
    raw.decode("ascii")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    calls = _runpython_calls()
    for sub in ("DubanSheets", "DubanMail", "DubanCollect", "DubanStatus", "DubanReport", "DubanRemind"):
        assert sub in calls
    for module, func in calls.values():
        assert module == "duban.xl.buttons"
        assert func in BUTTON_FUNCTIONS


def test_runpython_targets_are_importable():
    """Every RunPython call names an importable module and a function in it.
    ``duban.xl.buttons`` is written elsewhere: import it when it exists."""
    calls = _runpython_calls()
    modules = {m for m, _ in calls.values()}
    for module_name in sorted(modules):
        try:
            spec = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            pytest.skip("%s is not written yet" % module_name)
        module = importlib.import_module(module_name)
        for sub, (mod, func) in calls.items():
            if mod == module_name:
                assert callable(getattr(module, func, None)), "%s: %s.%s() missing" % (sub, mod, func)
                # static check too, so a re-export by another name is not enough
                source = Path(spec.origin).read_text("utf-8")
                defined = {n.name for n in ast.walk(ast.parse(source))
                           if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
                assert func in defined or hasattr(module, func)


# --------------------------------------------------------------------------
# class modules: xlwings' Dictionary.cls, as xlwings' own standalone workbook holds it
# --------------------------------------------------------------------------


def _xlwings_standalone_modules() -> dict[str, str]:
    import xlwings

    path = Path(xlwings.__file__).resolve().parent / "quickstart_standalone.xlsm"
    return _olevba_modules(path)


def test_dictionary_class_comes_from_the_installed_xlwings_and_matches_its_standalone_workbook():
    import xlwings

    path = vba.xlwings_dictionary_path()
    assert path.parent == Path(xlwings.__file__).resolve().parent / "addin"
    mod = vba.xlwings_dictionary_module()
    assert (mod.name, mod.kind, mod.predeclared, mod.exposed) == ("Dictionary", "class", False, True)
    assert mod.extra and mod.extra[0].startswith("Attribute VB_Description = ")
    # what the VBA editor stored when xlwings built quickstart_standalone.xlsm; the editor
    # only re-cases identifiers it knows (err -> Err), so lines are compared case-blind
    reference = _olevba_modules(build_vba_project([mod]))["Dictionary"]
    excel_made = _xlwings_standalone_modules()["Dictionary"]
    assert _norm(reference).lower().split("\n") == _norm(excel_made).lower().split("\n")
    header = _norm(reference).split("\n")[:8]
    assert header == _norm(excel_made).split("\n")[:8]
    assert header[1] == 'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"'
    # the xlwings module declares the class it needs on macOS
    assert re.search(r"^\s*Dim d As Dictionary\s*$", xlwings_module().code, re.M)
    vendored = [p for p in REPO.glob("**/Dictionary.cls")
                if not {".venv", "venv", "site-packages", ".git"} & set(p.relative_to(REPO).parts)]
    assert not vendored


def test_class_module_records_in_dir_and_project_streams():
    blob = build_vba_project([xlwings_module(), vba.xlwings_dictionary_module()])
    ole = olefile.OleFileIO(blob)
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert "Class=Dictionary\r\n" in project and "Module=xlwings\r\n" in project
    assert "Dictionary=0, 0, 0, 0, C\r\n" in project
    d = ole_decompress(ole.openstream("VBA/dir").read())
    types = {}
    for rid, a, b in vba._dir_records(d):
        if rid == 0x0019:
            current = d[a:b].decode("ascii")
        elif rid in (0x0021, 0x0022):
            types[current] = rid
    assert types == {"ThisWorkbook": 0x22, "xlwings": 0x21, "Dictionary": 0x22}
    info = vba.read_project(blob)
    assert [(m.name, m.kind) for m in info.modules] == [
        ("ThisWorkbook", "document"), ("xlwings", "standard"), ("Dictionary", "class")]
    # same records as the Excel-made project of xlwings' standalone workbook
    import xlwings

    with zipfile.ZipFile(Path(xlwings.__file__).resolve().parent / "quickstart_standalone.xlsm") as zf:
        excel = vba.read_project(zf.read("xl/vbaProject.bin"))
    assert {m.name: m.kind for m in excel.modules}["Dictionary"] == "class"


def test_read_cls_file_header(tmp_path):
    cls = tmp_path / "Counter.cls"
    cls.write_bytes(b'VERSION 1.0 CLASS\r\nBEGIN\r\n  MultiUse = -1  \'True\r\nEND\r\n'
                    b'Attribute VB_Name = "Counter"\r\nAttribute VB_GlobalNameSpace = False\r\n'
                    b'Attribute VB_Creatable = False\r\nAttribute VB_PredeclaredId = True\r\n'
                    b'Attribute VB_Exposed = False\r\nOption Explicit\r\nPublic Count As Long\r\n')
    mod = read_module_file(cls)
    assert (mod.name, mod.kind, mod.predeclared, mod.exposed, mod.extra) == ("Counter", "class", True, False, ())
    assert mod.code.startswith("Option Explicit")
    assert "Attribute VB_PredeclaredId = True\r\nAttribute VB_Exposed = False\r\n" in mod.source
    found = _olevba_modules(build_vba_project([mod]))
    assert _norm(found["Counter"]) == _norm(mod.source)


# --------------------------------------------------------------------------
# the project's code page
# --------------------------------------------------------------------------


def test_module_text_outside_the_code_page_is_refused_with_line_and_character(tmp_path):
    bas = tmp_path / "cjk.bas"
    bas.write_text('Attribute VB_Name = "Cjk"\r\nSub Hi()\r\n    MsgBox "中文"\r\nEnd Sub\r\n', encoding="utf-8")
    mod = read_module_file(bas)
    assert '"中文"' in mod.code  # decoded, not mojibake
    with pytest.raises(vba.VBAEncodingError, match=r"Cjk 第 3 行的字符“中”（U\+4E2D）.*代码页 1252"):
        build_vba_project([mod])
    # in a Chinese (936) project the same text is stored and read back intact
    blob = build_vba_project([mod], codepage=936)
    assert vba.read_project(blob).codepage == 936
    assert _norm(_olevba_modules(blob)["Cjk"]) == _norm(mod.source)  # olevba decodes by PROJECTCODEPAGE
    ole = olefile.OleFileIO(blob)
    raw = ole_decompress(ole.openstream("VBA/Cjk").read())
    assert "中文".encode("cp936") in raw
    # the ASCII way that any code page holds
    ascii_mod = VBAModule("Ascii", 'Sub Hi()\r\n    MsgBox ChrW(&H4E2D) & ChrW(&H6587)\r\nEnd Sub\r\n')
    assert build_vba_project([ascii_mod])


def test_module_file_in_another_encoding(tmp_path):
    bas = tmp_path / "gbk.bas"
    bas.write_bytes('Attribute VB_Name = "Gbk"\r\n\' 督办\r\n'.encode("cp936"))
    with pytest.raises(vba.VBAEncodingError, match="不是 UTF-8"):
        read_module_file(bas)
    mod = read_module_file(bas, encoding="cp936")
    assert mod.name == "Gbk" and "督办" in mod.code


# --------------------------------------------------------------------------
# MS-CFB details and adding document modules
# --------------------------------------------------------------------------


def test_unused_minifat_entries_are_freesect():
    blob = write_compound_file({"a": b"x" * 100, "b": b"y" * 10})
    ole = olefile.OleFileIO(blob)
    ss = 512
    first, count = struct.unpack_from("<II", blob, 60)
    assert count == 1
    sector = blob[ss * (first + 1): ss * (first + 2)]
    entries = struct.unpack("<128I", sector)
    # a: 2 mini sectors (0 -> 1 -> end), b: one (2 -> end); the rest is free
    assert entries[:3] == (1, 0xFFFFFFFE, 0xFFFFFFFE)
    assert set(entries[3:]) == {0xFFFFFFFF}
    assert ole.openstream("a").read() == b"x" * 100


def test_add_document_modules_keeps_every_other_stream():
    base = build_vba_project([xlwings_module(), read_module_file(DUBAN_BAS), document_module("Sheet1")])
    blob = vba.add_document_modules(base, ["Sheet2", "Sheet3"])
    before, after = olefile.OleFileIO(base), olefile.OleFileIO(blob)
    for path in before.listdir():
        name = "/".join(path)
        if name not in ("PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"):
            assert before.openstream(path).read() == after.openstream(path).read(), name
    found = _olevba_modules(blob)
    assert {"Sheet2", "Sheet3"} <= set(found)
    assert 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in found["Sheet3"]
    project = after.openstream("PROJECT").read().decode("cp1252")
    assert "Document=Sheet1/&H00000000\r\nDocument=Sheet2/&H00000000\r\nDocument=Sheet3/&H00000000\r\n" in project
    assert project.endswith("Sheet2=0, 0, 0, 0, C\r\nSheet3=0, 0, 0, 0, C\r\n")
    assert after.openstream("PROJECTwm").read().endswith(
        b"Sheet3\x00S\x00h\x00e\x00e\x00t\x003\x00\x00\x00\x00\x00")
    assert after.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")
    assert [m.name for m in vba.read_project(blob).modules][-2:] == ["Sheet2", "Sheet3"]
    _check_red_black(after)
    with pytest.raises(ValueError):
        vba.add_document_modules(blob, ["sheet2"])


def test_add_document_modules_to_a_project_excel_saved():
    import xlwings

    with zipfile.ZipFile(Path(xlwings.__file__).resolve().parent / "quickstart_standalone.xlsm") as zf:
        excel = zf.read("xl/vbaProject.bin")
    blob = vba.add_document_modules(excel, ["Sheet3"])
    before, after = _olevba_modules(excel), _olevba_modules(blob)
    assert set(after) == set(before) | {"Sheet3"}
    for name, text in before.items():
        assert after[name] == text, name  # p-code offsets kept: each source read back as Excel wrote it
