"""`duban demo`: every step that exists, on the bundled 2022 notice.

Each step is a function ``step_x(ctx, echo)`` appended to STEPS; ``ctx`` carries the
paths made so far (``ctx["out"]``, ``ctx["master"]``, …) and ``ctx["made"]`` lists
what the demo produced, for the final listing.
"""
from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta
from importlib import resources
from pathlib import Path

from .actions import feedback_dir, outbox_dir, report_paths
from .errors import DubanError

DEMO_PERIOD = "1-6月"


def sample_notice() -> Path:
    """The bundled 2022 Shapingba notice (public data)."""
    return Path(str(resources.files("duban.data").joinpath("notice_2022_shapingba.txt")))


def step_init(ctx: dict, echo) -> None:
    from .importer import init_master

    master = ctx["out"] / "2022年督办主表.xlsx"
    echo("① 导入通知 → 主表")
    result = init_master(sample_notice(), master)
    for line in result.summary_lines()[:5]:
        echo(line)
    ctx["master"] = master
    ctx["made"].append(("主表", master))


DEMO_NO_EMAIL = ("区妇联", "区科协")  # left without an address to show the "no email" list


def _circled(step) -> str:
    return "①②③④⑤⑥⑦⑧⑨⑩⑪⑫"[min(STEPS.index(step), 11)] if step in STEPS else "·"


def step_sheets(ctx: dict, echo) -> None:
    """Made-up addresses and office contact in the master, then one workbook per unit."""
    from .master import load_master, save_master
    from .sheets import run_sheets
    from .store import open_store

    echo(f"{_circled(step_sheets)} 生成各单位{ctx['period']}进展反馈表")
    out = feedback_dir(ctx["out"], ctx["period"])
    with open_store(ctx["master"]) as store:
        master = load_master(store)
        for n, unit in enumerate(master.units, start=1):
            if not unit.is_group and not unit.email and unit.name not in DEMO_NO_EMAIL:
                unit.email = f"unit{n}@example.gov.cn"
        master.settings.update(contact="督查办", contact_phone="023-65000000", contact_email="duchaban@example.gov.cn")
        save_master(store, master, parts=("settings", "units"))
        result = run_sheets(store, ctx["period"], out)
    for line in result.summary_lines(max_units=5):
        echo(line)
    ctx["sheets"] = out
    ctx["made"].append(("反馈表", out))


def step_mail(ctx: dict, echo) -> None:
    """One .eml per unit with its workbook attached, into an outbox (nothing is sent)."""
    from .mail import run_mail
    from .master import load_master
    from .store import open_store

    echo(f"{_circled(step_mail)} 生成通知邮件（.eml，附反馈表；演示不发送）")
    with open_store(ctx["master"], write=False) as store:
        master = load_master(store)
    out = outbox_dir(ctx["out"], ctx["period"])
    result = run_mail(master, ctx["period"], out, sheets_dir=ctx.get("sheets"))
    for line in result.summary_lines():
        echo(line)
    ctx["made"].append(("发件箱", out))


def step_report(ctx: dict, echo) -> None:
    """The period's report: .docx, annex .xlsx, and the PDF + its first page as PNG when LibreOffice is there."""
    from .master import load_master
    from .report import render_page_png, run_report
    from .store import open_store

    period = ctx["period"]
    echo(f"{'①②③④⑤⑥⑦⑧⑨⑩'[min(STEPS.index(step_report), 9)]} 生成{period}督办报告 → Word、附件 Excel、PDF")
    with open_store(ctx["master"], write=False) as store:
        master = load_master(store)
    docx, xlsx = report_paths(ctx["out"], master.year, period)  # where the 生成报告 button puts them
    result = run_report(ctx["master"], docx, period, xlsx=xlsx, pdf=True)
    for line in result.summary_lines():
        echo(line)
    ctx["made"] += [("报告", result.docx), ("报告附件", result.xlsx)]
    if result.pdf:
        ctx["made"].append(("报告 PDF", result.pdf))
        png = render_page_png(result.pdf, docx.with_name(f"{docx.stem}_第1页.png"), dpi=100)
        if png:
            ctx["made"].append(("报告第1页", png))


from .simulate import step_collect  # noqa: E402  (simulated returns + collect)


def step_remind(ctx: dict, echo) -> None:
    """Reminder mails (.eml) for the units whose return was not accepted by collect."""
    from .mail import REMIND, run_mail
    from .master import load_master
    from .store import open_store

    echo(f"{_circled(step_remind)} 生成催报邮件（.eml，只发给尚未报送的单位；演示不发送）")
    with open_store(ctx["master"], write=False) as store:
        master = load_master(store)
    out = outbox_dir(ctx["out"], ctx["period"])  # beside the first mails, named …_催报_日期.eml
    result = run_mail(master, ctx["period"], out, kind=REMIND, sheets_dir=ctx.get("sheets"))
    echo(result.summary_lines()[0])
    echo(f"  已收到反馈的 {len(result.returned)} 个单位不再催报；催报：{'、'.join(result.units) or '无'}")
    ctx["made"].append(("催报邮件", out))


def step_status(ctx: dict, echo) -> None:
    """The engine judges the period; then the demo plays the staff: one override shows that the
    override wins, every open item (需人工研判, 未报送) is settled in 人工研判, and 报告日期 is set
    from the period's end."""
    from .master import load_master, save_master
    from .status import run_status
    from .store import open_store

    period = ctx["period"]
    echo(f"{_circled(step_status)} 研判{period}各项任务和指标的状态")
    with open_store(ctx["master"]) as store:
        result = run_status(store, period)
    for line in result.summary_lines():
        echo("  " + line)
    with open_store(ctx["master"]) as store:
        master = load_master(store)
        lagging = [t for t in master.tasks if t.entry(period).status == "推进较为滞后"]
        if lagging:
            t = lagging[0]
            e = t.entry(period)
            e.override = "正常推进"
            e.note = "演示：督查办电话核实后人工研判为正常推进（人工研判优先）"
            echo(f"  演示人工研判：重点任务{t.id}系统研判为“推进较为滞后”，人工研判为“正常推进”，报告将采用人工研判。")
        for line in settle_open_items(master, period):
            echo("  " + line)
        end = master.period(period).end
        if end:
            master.settings["report_date"] = (end + timedelta(days=REPORT_AFTER_DAYS)).isoformat()
            echo(f"  设置“报告日期”为 {master.settings['report_date']}（期次截止后 {REPORT_AFTER_DAYS} 天）。")
        save_master(store, master, parts=("settings", "indicators", "tasks"), periods=[period])


REPORT_AFTER_DAYS = 15
TASK_VERDICTS = ("已完成", "正常推进", "推进较为滞后")
INDICATOR_VERDICTS = ("符合预期", "不达预期", "符合时间节点要求")


def settle_open_items(master, period: str) -> list[str]:
    """The demo plays the staff: every item the report cannot state yet gets a 人工研判.

    未报送 is confirmed as 未报送 (the units were reminded); 需人工研判 takes the unit's own
    self-assessment when it is a valid verdict, else 正常推进 / 符合时间节点要求. Returns one
    line per item saying what was settled.
    """
    from .report import open_items

    by_key = {("重点任务", t.id): t for t in master.tasks} | {("预期目标", i.id): i for i in master.indicators}
    lines = []
    for x in open_items(master, period):
        e = by_key[(x.kind, x.id)].entry(period)
        verdicts = TASK_VERDICTS if x.kind == "重点任务" else INDICATOR_VERDICTS
        if x.status == "未报送":
            e.override = "未报送"
        elif e.self_eval.strip() in verdicts and e.self_eval.strip() != "已完成":
            e.override = e.self_eval.strip()  # a claim of 已完成 with no evidence is not taken on trust
        else:
            e.override = verdicts[1] if x.kind == "重点任务" else verdicts[2]
        e.note = "演示：督查办核实后人工研判"
        lines.append(f"演示人工研判：{x.kind}{x.id}系统研判为“{x.status}”，人工研判为“{e.override}”。")
    return lines


SECOND_PERIOD = "1-9月"


def _issue_date(master, period: str):
    """Notices go out a few days after the period's return deadline."""
    from datetime import timedelta

    from .sheets import period_deadline

    return period_deadline(master, master.period(period)) + timedelta(days=5)


def step_notices(ctx: dict, echo) -> None:
    """The period's 督办单 (numbered in 督办台账) and their mails (.eml, not sent)."""
    from .master import load_master, save_master
    from .notices import load_ledger, run_notice_mail, run_notices
    from .store import open_store

    period = ctx["period"]
    echo(f"{_circled(step_notices)} 生成{period}督办单（红黄蓝三色，每单位一份）→ 督办台账、督办单邮件")
    with open_store(ctx["master"]) as store:
        master = load_master(store)
        if master.settings.get("notice_reply_days") in (None, "", 10):
            # quarterly supervision: the units answer with the next period's feedback workbook
            master.settings["notice_reply_days"] = 90
            save_master(store, master, parts=("settings",))
            echo("  演示按季度督办：设置“督办回复期限天数”为 90 天（单位随下期反馈表回复督办整改情况）。")
        today = _issue_date(master, period)
        result = run_notices(store, period, ctx["out"] / "督办单", today=today)
    lines = result.summary_lines()
    echo(lines[0])
    listed = [ln for ln in lines[1:] if ln.startswith("  督办〔")]
    for ln in listed[:6]:
        echo(ln)
    if len(listed) > 6:
        echo(f"  ……其余 {len(listed) - 6} 份见汇总表")
    for ln in lines[1:]:
        if not ln.startswith("  督办〔"):
            echo(ln)
    with open_store(ctx["master"], write=False) as store:
        master, ledger = load_master(store), load_ledger(store)
    mail = run_notice_mail(master, ledger, period, ctx["out"] / "督办单", ctx["out"] / "督办单邮件", today=today)
    echo(mail.summary_lines()[0])
    ctx["notices"] = result
    ctx["made"] += [("督办单", ctx["out"] / "督办单"), ("督办单汇总", result.summary),
                    ("督办单邮件", ctx["out"] / "督办单邮件")]


def step_overdue(ctx: dict, echo) -> None:
    """Before the period's notices: the earlier notices past their reply deadline, escalated."""
    from .master import load_master
    from .notices import overdue_on_file
    from .store import open_store

    with open_store(ctx["master"], write=False) as store:
        today = _issue_date(load_master(store), ctx["period"])
    echo(f"{_circled(step_overdue)} 检查督办单回复（{today.isoformat()}）：逾期未回复的升级督办")
    for line in overdue_on_file(ctx["master"], today).summary_lines()[:8]:
        echo(line)


def step_second_period(ctx: dict, echo) -> None:
    """The next period (1-9月), from feedback workbooks to notices: replies, 销号, escalation, 连续滞后."""
    period = SECOND_PERIOD
    echo(f"========== 第二期：{period}（输出在 {period}/ 子目录）==========")
    sub = dict(ctx, out=ctx["out"] / period, period=period, made=[])
    sub["out"].mkdir(parents=True, exist_ok=True)
    for step in (step_sheets, step_collect, step_status, step_report, step_overdue, step_notices):
        step(sub, echo)
        echo("")
    ctx["made"] += [(f"{period}{what}", path) for what, path in sub["made"]]
    ctx["second"] = sub


def step_score(ctx: dict, echo) -> None:
    """The year's scorecard so far, and one 督办单 rendered to PNG."""
    from .master import load_master
    from .notices import RED, notice_filename
    from .report import ReportError, convert_to_pdf, render_page_png
    from .score import score_on_file
    from .store import open_store

    echo(f"{_circled(step_score)} 年度督办考核汇总（报送、督办单、逾期回复计分排名）")
    with open_store(ctx["master"], write=False) as store:
        master = load_master(store)
    last = ctx.get("second", ctx)
    today = _issue_date(master, last["period"])
    out = ctx["out"] / f"{master.year}年度督办考核汇总.xlsx"
    from .score import unit_line

    result = score_on_file(ctx["master"], xlsx=out, today=today)
    for line in result.summary_lines(top=3):
        echo(line)
    echo("  得分最低的 5 个单位：")
    for u in result.units[-5:]:
        echo(unit_line(u))
    ctx["made"].append(("考核汇总", out))
    notices = last.get("notices")
    if notices and notices.notices:
        pick = next((n for n in notices.notices if n.colour == RED), notices.notices[0])
        page = [n.unit for n in notices.notices][:notices.notices.index(pick)].count(pick.unit) + 1
        docx = last["out"] / "督办单" / notice_filename(master.year, pick.period, pick.unit)
        try:
            pdf = convert_to_pdf(docx, ctx["out"] / "督办单示例")
        except ReportError as exc:
            echo(f"  未渲染督办单图片：{exc}")
            return
        png = render_page_png(pdf, ctx["out"] / "督办单示例.png", page=page, dpi=100)
        if png:
            ctx["made"].append(("督办单示例图", png))
            echo(f"  已把 {pick.number}（{pick.unit}）渲染为图片：{png}")


STEPS = [step_init, step_sheets, step_mail, step_collect, step_remind, step_status, step_report, step_notices,
         step_second_period, step_score]


MARKER = ".duban演示"  # in a demo folder: what the last demo run wrote there (relative path → SHA-256)


class DemoFolderError(DubanError):
    "The demo's output folder holds files the demo did not make (nothing was changed)"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MARKER)


def prepare_folder(out: Path) -> None:
    """Make ``out`` ready for a demo run without losing anything that is not the demo's.

    A new or empty folder is used as is. A folder an earlier demo made (it holds
    :data:`MARKER`) has that run's files removed — only those, and only when unchanged
    since; anything else (a real master, returns, a changed demo file) stops the demo
    before a file is touched.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise DemoFolderError(f"演示输出位置“{out}”是一个文件，不是文件夹。请换一个目录。")
    files = _files(out)
    marker = out / MARKER
    if not files and not marker.exists():
        return
    made: dict[str, str] = {}
    if marker.exists():
        try:
            made = json.loads(marker.read_text(encoding="utf-8")).get("files", {})
        except (OSError, ValueError, AttributeError):
            made = {}
    foreign = [p for p in files if made.get(p.relative_to(out).as_posix()) != _sha(p)]
    if foreign:
        shown = "、".join(p.relative_to(out).as_posix() for p in foreign[:5])
        more = f"等 {len(foreign)} 个文件" if len(foreign) > 5 else ""
        why = ("不是 duban 演示建立的文件夹" if not marker.exists()
               else "里有不是上次演示生成的文件，或演示生成后被修改过的文件")
        raise DemoFolderError(
            f"演示输出目录“{out}”{why}（{shown}{more}）。为免覆盖或删除工作文件，演示没有运行，"
            "什么都没有改动。请用 duban demo -o 新的空目录，或不加 -o（自动新建目录）。")
    for p in files:  # every one is the last demo's own, unchanged
        p.unlink()
    for d in sorted((d for d in out.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()


def write_marker(out: Path) -> None:
    """Record every file now in ``out`` as made by this demo run."""
    files = {p.relative_to(out).as_posix(): _sha(p) for p in _files(out)}
    (out / MARKER).write_text(json.dumps({"files": files}, ensure_ascii=False, indent=1), encoding="utf-8")


def run_demo(out: Path | None = None, echo=print) -> dict:
    out = Path(out or f"duban-demo-{time.strftime('%Y%m%d-%H%M%S')}")
    prepare_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx: dict = {"out": out, "period": DEMO_PERIOD, "made": []}
    try:
        for step in STEPS:
            step(ctx, echo)
            echo("")
    finally:
        write_marker(out)  # the folder was empty (or emptied of the demo's own files): all is ours
    echo(f"演示完成，输出目录：{out.resolve()}")
    for what, path in ctx["made"]:
        echo(f"  {what}：{path}")
    return ctx
