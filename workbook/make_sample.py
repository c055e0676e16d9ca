"""Rebuild the sample master workbook (and the README's screenshots).

    python workbook/make_sample.py            # the sample .xlsm (+ docs/*.png when LibreOffice is there)

The sample is what ``duban init <bundled 2022 notice> -o X.xlsm`` makes, with the
当前期次 set to 1-6月 so that its 生成反馈表 button works at once.
tests/test_sample_workbook.py rebuilds it in a temporary folder and fails, naming
this command, when the committed file's data or macros differ.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLE = HERE / "督办主表_2022示例.xlsm"
DOCS = REPO / "docs"
PERIOD = "1-6月"
COMMAND = "python workbook/make_sample.py"


def build_sample(out: Path) -> Path:
    from duban.demo import sample_notice
    from duban.importer import init_master
    from duban.master import load_master, save_master
    from duban.store import open_store

    out = Path(out)
    if out.exists():
        out.unlink()
    init_master(sample_notice(), out)
    with open_store(out) as store:
        m = load_master(store)
        m.settings["current_period"] = PERIOD
        save_master(store, m, parts=("settings",))
    return out


# ---------------------------------------------------------------------------
# screenshots through LibreOffice (docs/xl_*.png)
# ---------------------------------------------------------------------------

def _soffice(args: list[str], cwd: Path) -> None:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    profile = Path(tempfile.gettempdir()) / f"lo_duban_{uuid.uuid4().hex}"
    try:
        subprocess.run([exe, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}", *args],
                       cwd=cwd, capture_output=True, timeout=300, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _printable_buttons(ods: Path) -> None:
    """Form controls do not print by default; for the picture they should."""
    tmp = ods.with_suffix(".tmp")
    with zipfile.ZipFile(ods) as src, zipfile.ZipFile(tmp, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "content.xml":
                data = data.replace(b'form:printable="false"', b'form:printable="true"')
            dst.writestr(info, data, compress_type=zipfile.ZIP_STORED if info.filename == "mimetype"
                         else zipfile.ZIP_DEFLATED)
    tmp.replace(ods)


def _page_of(pdf: Path, needle: str) -> int:
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                            text=True).stdout).group(1))
    for p in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), str(pdf), "-"],
                              capture_output=True, text=True).stdout
        if needle in text:
            return p
    raise RuntimeError(f"{needle!r} not found in {pdf}")


def _crop(pdf: Path, page: int, png: Path, *, dpi: int, box: tuple[int, int, int, int]) -> Path:
    x, y, w, h = box
    subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi), "-x", str(x), "-y", str(y),
                    "-W", str(w), "-H", str(h), "-png", "-singlefile", str(pdf), str(png.with_suffix(""))],
                   check=True, capture_output=True)
    return png


def render_screenshots(sample: Path, docs: Path = DOCS) -> list[Path]:
    """docs/xl_buttons.png (说明 with its buttons) and docs/xl_conf.png (xlwings.conf
    after `duban xl setup` on an example Windows PC)."""
    from duban.xlsetup import plan_setup, run_setup

    docs.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        xlsm = tmp / "sample.xlsm"
        shutil.copy2(sample, xlsm)
        plan = plan_setup(system="Windows", executable=r"C:\Users\zhang\AppData\Local\Programs\Python"
                          r"\Python311\python.exe", env={"LOCALAPPDATA": r"C:\Users\zhang\AppData\Local"},
                          probe=False, exists=lambda p: True)
        run_setup(xlsm, plan=plan)
        import openpyxl

        wb = openpyxl.load_workbook(xlsm, keep_vba=True)  # the picture's copy only: one page wide
        ws = wb["xlwings.conf"]
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.print_options.gridLines = True
        wb.save(xlsm)
        _soffice(["--convert-to", "ods", xlsm.name], tmp)
        ods = tmp / "sample.ods"
        if not ods.is_file():  # soffice exits 0 on failure
            raise RuntimeError("LibreOffice did not convert the sample")
        _printable_buttons(ods)
        _soffice(["--convert-to", "pdf", ods.name], tmp)
        pdf = tmp / "sample.pdf"
        if not pdf.is_file():
            raise RuntimeError("LibreOffice did not export the PDF")
        out = [_crop(pdf, _page_of(pdf, "督办主表（duban 生成）"), docs / "xl_buttons.png", dpi=110,
                     box=(60, 90, 840, 270)),
               _crop(pdf, _page_of(pdf, "UDF Modules"), docs / "xl_conf.png", dpi=110,
                     box=(60, 60, 860, 110))]
    return out


def main() -> int:
    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        built = build_sample(Path(tmp) / SAMPLE.name)
        shutil.copy2(built, SAMPLE)
    print(f"wrote {SAMPLE.relative_to(REPO)}")
    if shutil.which("soffice") and shutil.which("pdftoppm"):
        for png in render_screenshots(SAMPLE):
            print(f"wrote {png.relative_to(REPO)}")
    else:
        print("LibreOffice/poppler not found: screenshots not rendered")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
