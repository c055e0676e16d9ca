"""Entry points of the master's buttons (``macros/duban.bas``)::

    Sub DubanStatus()
        RunPython "import duban.xl.buttons as b; b.status()"
    End Sub

Each ``fn(master_path=None)``:

* without a path (a button click): the workbook that called is
  ``xw.Book.caller()``; the step runs over an :class:`~duban.xl.store.XlwingsStore`
  (nothing written to the sheets unless it succeeds), progress shows in the
  status bar, and the outcome -- or the error, in Chinese -- ends in a message
  box, never a traceback dialog. The book is not saved: the user saves.
* with a path: the same step on the closed file (lock, atomic save, backup),
  returning the :class:`~duban.actions.ActionResult` -- how the tests, and
  ``duban xl run``, use them.

What each step does is in :mod:`duban.actions`; this module only maps it to Excel.
"""
from __future__ import annotations

import traceback
from datetime import datetime
from pathlib import Path

from duban import actions
from duban.errors import DubanError

TITLE = "督办"


def sheets(master_path: str | None = None):
    """生成反馈表"""
    return _run("sheets", master_path)


def mail(master_path: str | None = None):
    """生成邮件"""
    return _run("mail", master_path)


def collect(master_path: str | None = None):
    """汇总反馈"""
    return _run("collect", master_path)


def status(master_path: str | None = None):
    """研判状态"""
    return _run("status", master_path)


def report(master_path: str | None = None):
    """生成报告"""
    return _run("report", master_path)


def remind(master_path: str | None = None):
    """催报"""
    return _run("remind", master_path)


def notices(master_path: str | None = None):
    """生成督办单"""
    return _run("notices", master_path)


def score(master_path: str | None = None):
    """考核汇总"""
    return _run("score", master_path)


def upgrade(master_path: str | None = None):
    """升级宏：按本机安装的 duban/xlwings 重建主表的宏和按钮"""
    if master_path is not None:
        return actions.run_on_file("upgrade", Path(master_path))
    import xlwings as xw

    book = xw.Book.caller()
    app = book.app

    def work():
        from duban.xlsetup import upgrade_master

        src = _book_path(book)
        if not getattr(book.api, "Saved", True):  # COM on Windows; unsaved edits would be missed
            raise actions.ActionError("请先保存主表（Ctrl+S），再升级宏。")
        out = upgrade_master(src, src.with_name(f"{src.stem}_新版宏.xlsm"))
        return (f"已按本机的 duban 和 xlwings 生成新版宏主表：\n{out}\n\n"
                "本工作簿没有改动。请关闭本工作簿，改用新文件（可把它改回原来的文件名）。")

    _in_excel(app, _book_folder_or_none(book), work)


# ---------------------------------------------------------------------------


def _run(name: str, master_path: str | None):
    if master_path is not None:
        return actions.run_on_file(name, Path(master_path))
    import xlwings as xw

    from .store import XlwingsStore

    book = xw.Book.caller()
    app = book.app
    action = actions.get_action(name)

    def work():
        path = _book_path(book)
        store = XlwingsStore(book)
        ctx = actions.ActionContext(store, path.parent, progress=_status_bar(app), confirm=_confirm(app),
                                    in_excel=True, master_path=path)
        app.status_bar = f"{action.caption}：正在运行……"
        result = action.run(ctx)
        app.status_bar = f"{action.caption}：正在写入主表……"
        store.commit()
        actions.log_summary(path.parent, result)
        text = result.message()
        if store.backend_writes:
            text += "\n\n主表已更新，但还没有保存：请检查后按 Ctrl+S 保存（如结果不对，可不保存直接关闭，磁盘上的主表不变）。"
        return text

    _in_excel(app, _book_folder_or_none(book), work)


def _in_excel(app, folder: Path | None, work) -> None:
    """Run ``work`` (→ message) and end with a message box whatever happens."""
    try:
        message, mode = work(), "info"
    except DubanError as exc:
        message, mode = f"{exc}\n\n主表没有被修改。", "critical"
    except Exception as exc:  # never a traceback dialog
        log = _write_traceback(folder)
        message = (f"运行出错：{type(exc).__name__}：{exc}\n\n主表没有被修改。"
                   + (f"详细信息已写入 {log}，请发给技术支持。" if log else ""))
        mode = "critical"
    finally:
        try:
            app.status_bar = False  # back to Excel's own status bar
        except Exception:
            pass
    app.alert(message, title=TITLE, mode=mode)


def _book_path(book) -> Path:
    path = Path(book.fullname)
    if not path.parent or str(path.parent) in ("", ".") or "://" in book.fullname:
        raise actions.ActionError("请先把主表保存到本机的文件夹中（不能是未保存的新工作簿或网络地址），再点击按钮。")
    return path


def _book_folder_or_none(book) -> Path | None:
    try:
        return _book_path(book).parent
    except Exception:
        return None


def _status_bar(app):
    def factory(label: str):
        def progress(done: int, total: int) -> None:
            app.status_bar = f"{label} {done}/{total}"

        return progress

    return factory


def _confirm(app):
    def confirm(question: str) -> bool:
        return app.alert(question, title=TITLE, buttons="yes_no") == "yes"

    return confirm


def _write_traceback(folder: Path | None) -> Path | None:
    if folder is None:
        return None
    path = folder / "督办错误日志.txt"
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"\n=== {datetime.now():%Y-%m-%d %H:%M:%S} ===\n{traceback.format_exc()}")
        return path
    except OSError:
        return None
