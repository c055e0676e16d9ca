"""What each button of the master does, over any :class:`~duban.store.Store`.

The same functions run behind the Excel buttons (``duban.xl.buttons`` with a
store over the open workbook) and headless (``duban xl run BUTTON MASTER``, or
a button entry point given a path), so that staff without Excel -- WPS users,
say -- can do exactly what the buttons do.

Defaults need no configuration: the period is the 当前期次 of 设置, outputs go
beside the master -- the one place for each output, used alike by the buttons, the
CLI's defaults and ``duban demo`` (see :func:`feedback_dir` and friends)::

    反馈表/{期次}/      feedback workbooks            (生成反馈表, duban sheets)
    发件箱/{期次}/      .eml files, or sent by SMTP    (生成邮件, 催报; duban mail, duban remind)
    收件箱/             returns to read                (汇总反馈)
    归档/{期次}/        every return read, kept        (汇总反馈, duban collect)
    报告/               the report and its annexes     (生成报告, duban report)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import DubanError

Progress = Callable[[int, int], None]

FEEDBACK_DIR = "反馈表"
OUTBOX_DIR = "发件箱"
INBOX_DIR = "收件箱"
REPORT_DIR = "报告"


class ActionError(DubanError):
    "A button cannot run (nothing was changed)"


@dataclass
class ActionContext:
    store: object  # a duban.store.Store
    folder: Path  # the master's folder: outputs go beside it
    progress: Callable[[str], Progress | None] = lambda label: None
    confirm: Callable[[str], bool] = lambda question: False  # e.g. "really send by SMTP?"
    in_excel: bool = False
    master_path: Path | None = None


@dataclass
class ActionResult:
    title: str
    lines: list[str]
    outputs: list[Path] = field(default_factory=list)
    failed: bool = False
    saved_master: bool = True  # the master's sheets were (possibly) changed

    def message(self, max_lines: int = 18, max_chars: int = 900) -> str:
        """A message box's worth of the summary (Excel cuts long ones)."""
        lines = [line.rstrip() for line in self.lines]
        shown = lines[:max_lines]
        text = "\n".join(shown).strip()
        if len(text) > max_chars:
            text = text[:max_chars].rsplit("\n", 1)[0]
        if len(shown) < len(lines) or len(text) < len("\n".join(shown).strip()):
            text += "\n……（完整摘要见主表旁的“督办日志.txt”）"
        return text


@dataclass(frozen=True)
class Action:
    name: str  # entry point in duban.xl.buttons and `duban xl run NAME`
    caption: str  # the button's caption on 说明
    macro: str  # the VBA Sub in macros/duban.bas
    run: Callable[[ActionContext], ActionResult]
    writes_master: bool = True


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def current_period(store, *, required: bool = True) -> str | None:
    """The 当前期次 of 设置 (what every button works on)."""
    from .master import load_master

    master = load_master(store)
    label = str(master.settings.get("current_period") or "").strip()
    if not label and (required or not master.periods):
        raise ActionError("“设置”表中的“当前期次”为空：请先在“设置”表填写当前期次（如 1-6月），"
                          "点击“生成反馈表”建立该期次，再点击其他按钮。")
    if label:  # staff may type any accepted spelling (1—6月, 上半年); typos are refused here
        from .errors import PeriodError
        from .periods import PeriodFormatError, normalize_period

        try:
            label = master.period(label).label
        except PeriodFormatError:
            raise
        except PeriodError:
            label = normalize_period(label)
    return label or None  # None: the last period of the period table


def _safe(label: str) -> str:
    return "".join("_" if c in '\\/:*?"<>|' else c for c in label).strip() or "未命名期次"


def feedback_dir(folder: Path, label: str) -> Path:
    """Where the period's feedback workbooks go (beside the master)."""
    return Path(folder) / FEEDBACK_DIR / _safe(label)


def outbox_dir(folder: Path, label: str) -> Path:
    """Where the period's mails and reminders (.eml) go (beside the master)."""
    return Path(folder) / OUTBOX_DIR / _safe(label)


def report_paths(folder: Path, year: int, label: str, *, draft: bool = False) -> tuple[Path, Path]:
    """The period's report (.docx) and its annex workbook (.xlsx), in 报告/ beside the master."""
    stem, mark = f"{year}年{_safe(label)}", "（草稿）" if draft else ""
    return (Path(folder) / REPORT_DIR / f"{stem}推进情况报告{mark}.docx",
            Path(folder) / REPORT_DIR / f"{stem}附件{mark}.xlsx")


# ---------------------------------------------------------------------------
# the actions
# ---------------------------------------------------------------------------

def do_sheets(ctx: ActionContext) -> ActionResult:
    from .sheets import run_sheets

    label = current_period(ctx.store)
    out = feedback_dir(ctx.folder, label)
    # In Excel, no process pool inside the RunPython process.
    result = run_sheets(ctx.store, label, out, workers=1 if ctx.in_excel else None,
                        progress=ctx.progress("生成反馈表"))
    return ActionResult("生成反馈表", result.summary_lines(), [out], failed=bool(result.failed))


def _mail(ctx: ActionContext, remind: bool) -> ActionResult:
    from .mail import FIRST, REMIND, run_mail, send_log_path
    from .master import load_master

    label = current_period(ctx.store)
    master = load_master(ctx.store)
    outbox = outbox_dir(ctx.folder, label)
    made = feedback_dir(ctx.folder, label)  # attach what 生成反馈表 wrote, when it did
    send = False
    if str(master.settings.get("smtp_host") or "").strip():
        what = "催报邮件" if remind else "督办邮件"
        send = ctx.confirm(f"“设置”表已填写 SMTP 服务器。现在就发送{label}的{what}吗？\n"
                           f"选“否”只在“{OUTBOX_DIR}”文件夹生成邮件文件（.eml），不发送。")
    result = run_mail(master, label, outbox, kind=REMIND if remind else FIRST, send=send,
                      sheets_dir=made if made.is_dir() else None,
                      log_path=send_log_path(ctx.master_path) if send and ctx.master_path else None,
                      progress=ctx.progress("发送邮件"))
    return ActionResult("催报" if remind else "生成邮件", result.summary_lines(), [outbox],
                        failed=bool(result.failed), saved_master=False)


def do_mail(ctx: ActionContext) -> ActionResult:
    return _mail(ctx, remind=False)


def do_remind(ctx: ActionContext) -> ActionResult:
    """催报: reminder mails, and the notices past their reply deadline listed and escalated (督办台账)."""
    from .notices import escalate_overdue

    result = _mail(ctx, remind=True)
    over = escalate_overdue(ctx.store)
    result.lines += over.summary_lines()
    result.saved_master = bool(over.escalated or over.closed)
    return result


def do_collect(ctx: ActionContext) -> ActionResult:
    from .collect import collect_into_store

    inbox = ctx.folder / INBOX_DIR
    if not inbox.is_dir():
        inbox.mkdir(parents=True, exist_ok=True)
        return ActionResult("汇总反馈", [
            f"已在主表旁新建“{INBOX_DIR}”文件夹：{inbox}",
            "请把各单位报回的反馈表（或保存的邮件 .eml/.msg、压缩包 .zip）放进去，再点击“汇总反馈”。"],
            [inbox], saved_master=False)
    result = collect_into_store(ctx.store, ctx.folder, [inbox], current_period(ctx.store, required=False),
                                progress=ctx.progress("读取反馈表"))
    result.master = ctx.master_path
    return ActionResult("汇总反馈", result.summary_lines(), [inbox])


def do_status(ctx: ActionContext) -> ActionResult:
    from .status import run_status

    result = run_status(ctx.store, current_period(ctx.store, required=False), progress=ctx.progress("研判中"))
    return ActionResult("研判状态", result.summary_lines())


def draft_question(items) -> str:
    """What the 生成报告 button asks when tasks or indicators are still open."""
    shown = [f"  {x.line()}" for x in items[:8]]
    more = [f"  ……共{len(items)}项"] if len(items) > 8 else []
    return "\n".join([f"还有{len(items)}项任务或指标未确定状态（需人工研判或未报送未确认），不能生成正式报告："]
                     + shown + more
                     + ["", "是否先生成草稿？（每页标明“草稿”，待定事项列在最后一页）",
                        "选“否”则不生成；请在主表“人工研判”列填写结论后再点“生成报告”。"])


def do_report(ctx: ActionContext) -> ActionResult:
    from .dashboard import refresh_dashboard
    from .master import load_master
    from .report import open_items, write_report

    master = load_master(ctx.store)
    label = master.period(current_period(ctx.store, required=False)).label
    items = open_items(master, label)
    draft = bool(items)
    if items and not ctx.confirm(draft_question(items)):
        hint = "" if ctx.in_excel else "\n需要草稿时用：duban report 主表 -o 报告草稿.docx --draft"
        raise ActionError(f"还有{len(items)}项任务或指标未确定状态，未生成报告。"
                          "请在主表“人工研判”列填写结论（确认未报送的填“未报送”）后再生成。"
                          + "\n" + "\n".join(f"  {x.line()}" for x in items[:20])
                          + (f"\n  ……共{len(items)}项" if len(items) > 20 else "") + hint)
    docx, xlsx = report_paths(ctx.folder, master.year, label, draft=draft)
    result = write_report(master, docx, label, xlsx=xlsx, draft=draft)
    refresh_dashboard(ctx.store, master, label)
    return ActionResult("生成报告", result.summary_lines(), [p for p in (result.docx, result.xlsx) if p])


NOTICES_DIR = "督办单"


def do_notices(ctx: ActionContext) -> ActionResult:
    """生成督办单: the current period's notices into 督办单/{期次}/, numbered in 督办台账."""
    from .master import load_master
    from .notices import run_notices

    label = load_master(ctx.store).period(current_period(ctx.store, required=False)).label
    out = ctx.folder / NOTICES_DIR / _safe(label)
    result = run_notices(ctx.store, label, out)
    return ActionResult("生成督办单", result.summary_lines(), [out])


def do_score(ctx: ActionContext) -> ActionResult:
    """考核汇总: the 考核 sheet, and 报告/{year}年度督办考核汇总.xlsx."""
    from .master import load_master
    from .score import run_score

    year = load_master(ctx.store).year
    out = ctx.folder / REPORT_DIR / f"{year}年度督办考核汇总.xlsx"
    result = run_score(ctx.store, xlsx=out)
    return ActionResult("考核汇总", result.summary_lines(), [out])


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("sheets", "生成反馈表", "DubanSheets", do_sheets),
    Action("mail", "生成邮件", "DubanMail", do_mail),
    Action("collect", "汇总反馈", "DubanCollect", do_collect),
    Action("status", "研判状态", "DubanStatus", do_status),
    Action("report", "生成报告", "DubanReport", do_report),
    Action("remind", "催报", "DubanRemind", do_remind),
    Action("notices", "生成督办单", "DubanNotices", do_notices),
    Action("score", "考核汇总", "DubanScore", do_score),
)}


def get_action(name: str) -> Action:
    try:
        return ACTIONS[name]
    except KeyError:
        known = "、".join(ACTIONS) + "、upgrade"
        raise ActionError(f"没有按钮“{name}”。可用的按钮：{known}") from None


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------

def log_summary(folder: Path, result: ActionResult) -> Path | None:
    """Append the full summary to 督办日志.txt beside the master (best effort)."""
    from datetime import datetime

    path = Path(folder) / "督办日志.txt"
    try:
        with open(path, "a", encoding="utf-8-sig" if not path.exists() else "utf-8") as f:
            f.write(f"\n=== {datetime.now():%Y-%m-%d %H:%M:%S} {result.title} ===\n")
            f.write("\n".join(result.lines) + "\n")
        return path
    except OSError:
        return None


def run_on_file(name: str, master: Path, *, confirm: Callable[[str], bool] | None = None,
                progress: Callable[[str], Progress | None] | None = None) -> ActionResult:
    """Run a button headless on a closed master file (lock, atomic save, backup)."""
    from .store import open_store

    master = Path(master)
    if name == "upgrade":
        from .xlsetup import upgrade_master

        out = upgrade_master(master)
        return ActionResult("升级宏主表", [f"已生成/更新宏主表：{out}"], [out])
    action = get_action(name)
    with open_store(master) as store:
        ctx = ActionContext(store, master.parent, progress=progress or (lambda label: None),
                            confirm=confirm or (lambda q: False), master_path=master)
        result = action.run(ctx)
    log_summary(master.parent, result)
    return result
