"""No output over an input: every command checks its output paths before it writes.

A command that writes its report, annex, CSV or master over the master it reads, the
notice it imports, a return it collects or a backup in ``.duban备份/`` destroys work
without a word; :func:`check_outputs` refuses that up front, before anything is written.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .errors import DubanError

BACKUP_DIR = ".duban备份"  # the same name as duban.store.BACKUP_DIR (kept import-free)


class OutputError(DubanError):
    "An output path would overwrite an input (nothing was written)"


class MissingInputError(DubanError):
    "An input path does not exist (nothing was read or written)"


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def check_outputs(outputs: dict[str, Path | None], inputs: dict[str, Path | None]) -> None:
    """Refuse when an output (what → path) is one of the inputs (what → path) or inside a backup folder.

    Directory outputs are refused when they are an input file or lie in a backup folder;
    two outputs naming the same file are refused as well.
    """
    ins = {what: Path(p) for what, p in inputs.items() if p is not None}
    outs = {what: Path(p) for what, p in outputs.items() if p is not None}
    for what, out in outs.items():
        for in_what, inp in ins.items():
            if _same(out, inp):
                raise OutputError(
                    f"{what}“{out}”就是要读取的{in_what}：写入会覆盖它。请换一个输出文件名。未做任何修改。")
        if BACKUP_DIR in Path(os.path.abspath(out)).parts:
            raise OutputError(
                f"{what}“{out}”在备份文件夹“{BACKUP_DIR}”里：那里只存放主表的自动备份。请换一个位置。未做任何修改。")
    seen: dict[str, str] = {}
    for what, out in outs.items():
        key = os.path.normcase(os.path.abspath(out))
        if key in seen:
            raise OutputError(f"{seen[key]}和{what}是同一个文件“{out}”。请分别指定。未做任何修改。")
        seen[key] = what


def check_inputs_exist(paths: Iterable[Path], what: str) -> None:
    """Every path exists; otherwise one error naming all the missing ones (nothing is read or written)."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise MissingInputError(f"{what}不存在：{'、'.join(missing)}。请检查路径。主表未修改。")
