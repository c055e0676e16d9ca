"""The `duban` command line: a thin layer over the library modules."""
from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import click

from .errors import DubanError


def friendly(fn):
    """Turn duban's errors into a clean Chinese message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DubanError as exc:
            click.secho(f"错误：{exc}", fg="red", err=True)
            sys.exit(1)

    return wrapper


# click's usage errors, in Chinese (message patterns of click 8)
_USAGE_MESSAGES = [
    (r"No such command '(.+)'\.", "没有命令“{0}”"),
    (r"Got unexpected extra arguments? \((.+)\)", "多余的参数：{0}"),
    (r"(?:File|Directory|Path) '(.+)' does not exist\.", "“{0}”不存在"),
    (r"(?:File|Path) '(.+)' is a directory\.", "“{0}”是文件夹，这里要的是文件"),
    (r"Directory '(.+)' is a file\.", "“{0}”是文件，这里要的是文件夹"),
    (r"(?:File|Directory|Path) '(.+)' is not readable\.", "“{0}”无法读取（没有权限）"),
    (r"(?:File|Directory|Path) '(.+)' is not writable\.", "“{0}”无法写入（没有权限）"),
    (r"Option '(.+)' requires an argument\.", "选项 {0} 后面要给一个值"),
    (r"Option '(.+)' does not take a value\.", "选项 {0} 后面不能给值"),
    (r"'(.+)' is not one of (.+)\.", "“{0}”不是可选的值之一（可选：{1}）"),
    (r"Missing command\.", "缺少子命令"),
]


def usage_message(exc: click.UsageError) -> str:
    """A click usage error as Chinese text: usage line, the error, where to find help."""
    import re

    from click import exceptions as ce

    def zh(text: str) -> str:
        for pattern, template in _USAGE_MESSAGES:
            m = re.fullmatch(pattern, text.strip())
            if m:
                return template.format(*m.groups())
        return text

    param = getattr(exc, "param", None)
    name = param.human_readable_name if param is not None else ""
    if isinstance(exc, ce.MissingParameter):
        kind = "参数" if isinstance(param, click.Argument) else "选项"
        msg = f"缺少{kind} {name}"
    elif isinstance(exc, ce.NoSuchOption):
        msg = f"没有选项 {exc.option_name}"
        if exc.possibilities:
            msg += f"（是不是要用 {'、'.join(sorted(exc.possibilities))}？）"
    elif isinstance(exc, ce.BadParameter) and name:
        msg = f"{name} 的值不对：{zh(exc.message)}"
    else:
        msg = zh(exc.message)
    ctx = exc.ctx
    lines = []
    if ctx is not None:
        usage = ctx.get_usage().replace("Usage: ", "用法：").replace("[OPTIONS]", "[选项]")
        lines.append(usage.replace("COMMAND [ARGS]...", "命令 [参数]..."))
    lines.append(f"错误：{msg}。")
    path = ctx.command_path if ctx is not None else "duban"
    lines.append(f"运行 {path} --help 查看用法和示例。")
    return "\n".join(lines)


class _ZhFormatter(click.HelpFormatter):
    """--help in Chinese: the usage line and the section headings."""

    SECTIONS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}

    def write_usage(self, prog, args="", prefix=None):
        args = args.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]...")
        super().write_usage(prog, args, prefix="用法：")

    def section(self, name):
        return super().section(self.SECTIONS.get(name, name))

    def write_heading(self, heading):
        self.write(f"{'':>{self.current_indent}}{heading}：\n")


class _ZhContext(click.Context):
    formatter_class = _ZhFormatter


class _Zh:
    """Mixin for commands and groups: the Chinese help formatter and help-option text."""

    context_class = _ZhContext

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "显示本说明（含示例）并退出"
        return option


class _ZhCommand(_Zh, click.Command):
    pass


class _ZhGroup(_Zh, click.Group):
    command_class = _ZhCommand


_ZhGroup.group_class = _ZhGroup


class DubanGroup(_ZhGroup):
    """The top-level group: Chinese for usage errors and Ctrl-C, whoever calls ``main``."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        from . import store

        saves = store.SAVES
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            click.echo(usage_message(exc), err=True)
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt, EOFError):
            if store.SAVES == saves:
                click.echo("已中断，主表未修改。", err=True)
            else:
                click.echo("已中断。中断前已完成的写入已保存（上一版本在主表旁的 .duban备份 中）。", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            click.echo(f"错误：{exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(name="duban", cls=DubanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="duban", help="显示版本号并退出")
def cli():
    """督办（duban）：区政府工作报告目标任务督办工具。

    \b
    典型流程：
      duban init 通知.txt -o 主表.xlsx
      duban sheets 主表.xlsx --period 1-6月 -o 反馈表
      duban mail 主表.xlsx --period 1-6月 --outbox 发件箱
      duban collect 主表.xlsx 收件箱/
      duban status 主表.xlsx
      duban report 主表.xlsx -o 报告.docx --xlsx 附件.xlsx
    """


def counter(label: str):
    """A progress callback (done, total) that keeps one running line on stderr."""

    def report(done: int, total: int) -> None:
        click.echo(f"\r{label} {done}/{total}", nl=done >= total, err=True)

    return report


master_arg = click.argument("master", type=click.Path(dir_okay=False, path_type=Path))


def _period_of(master: Path, period: str | None, *, new: bool = False):
    """(year, label) of ``period`` in the master (``new``: the label it will get when created).

    For the default output places (see :mod:`duban.actions`), which are named after the period.
    """
    from .master import load_master
    from .store import open_store

    with open_store(master, write=False) as store:
        model = load_master(store)
    p = model.add_period(period) if new else model.period(period)
    return model.year, p.label


@cli.command()
@click.argument("notice", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="主表文件（.xlsx；.xlsm 为带按钮的宏主表）。已存在时为重新导入。")
@click.option("--force", is_flag=True, help="重新导入时，即使新通知缺少主表已有的任务也继续")
@friendly
def init(notice, out, force):
    """从通知（.txt / .docx / .xlsx）生成主表。

    \b
    示例：
      duban init 通知.txt -o 主表.xlsx
      duban init 通知.docx -o 主表.xlsm
    已存在的主表再次导入时，采用其“单位”表中的修改，保留各期进展。
    """
    from .importer import init_master

    result = init_master(notice, out, force=force)
    for line in result.summary_lines():
        click.echo(line)


@cli.command()
@master_arg
@click.option("--json", "as_json", is_flag=True, default=True, help="以 JSON 输出到标准输出（默认）")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="改为输出平铺的 CSV 表（每项任务每个期次一行）到该目录")
@friendly
def export(master, as_json, csv_dir):
    """把主表的全部内容以 JSON 输出到标准输出，或以 CSV 表输出到目录。

    \b
    示例：
      duban export 主表.xlsx --json > 主表.json
      duban export 主表.xlsx --csv 导出
    """
    from .master import load_master
    from .outputs import check_outputs
    from .store import open_store

    check_outputs({"导出目录": csv_dir}, {"主表": master})
    with open_store(master, write=False) as store:
        model = load_master(store)
    if model.periods and not csv_dir:
        from .status import attach_evidence

        for p in model.periods:
            attach_evidence(model, p.label)
    if csv_dir:
        from .flat import write_csv

        for path in write_csv(model, csv_dir):
            click.echo(f"已导出：{path}")
        return
    click.echo(json.dumps(model.to_json(), ensure_ascii=False, indent=1))


@cli.command()
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="输出目录（默认在当前目录新建 duban-demo-时间）")
@friendly
def demo(out):
    """用内置的 2022 年沙坪坝区通知跑一遍完整流程。

    \b
    示例：
      duban demo
      duban demo -o 演示
    """
    from .demo import run_demo

    run_demo(out, echo=click.echo)


@cli.command()
@master_arg
@click.option("--period", default=None, help="期次：1-N月 或 全年，如 1-6月（上半年、1至6月 等写法亦可；默认：设置表中的当前期次）")
@friendly
def status(master, period):
    """研判每项任务和指标的进展状态，写入主表的“系统研判”“研判理由”列。

    “人工研判”列不会被改动，并且在报告等一切后续输出中优先。

    \b
    示例：
      duban status 主表.xlsx
      duban status 主表.xlsx --period 1-6月
    """
    from .status import run_status
    from .store import open_store

    with open_store(master) as store:
        result = run_status(store, period, progress=counter("研判中"))
    for line in result.summary_lines():
        click.echo(line)


def _mail_command(kind: str, master: Path, period, outbox, send, sheets_dir, with_coop, template) -> None:
    """Shared body of `duban mail` and `duban remind` (the log file sits beside the master)."""
    from .mail import run_mail, send_log_path
    from .master import load_master
    from .outputs import check_outputs
    from .store import open_store

    check_outputs({"邮件输出目录": outbox}, {"主表": master, "邮件模板": template})
    with open_store(master, write=False) as store:
        model = load_master(store)
    if outbox is None:  # the buttons' place: 发件箱/期次/ beside the master
        from .actions import outbox_dir

        outbox = outbox_dir(master.parent, model.period(period).label)
    result = run_mail(model, period, outbox, kind=kind, send=send, sheets_dir=sheets_dir,
                      log_path=send_log_path(master), with_coop=with_coop, template=template,
                      progress=counter("发送邮件"))
    for line in result.summary_lines():
        click.echo(line)
    if result.failed:
        sys.exit(1)


def _mail_options(fn):
    for option in reversed([
        click.option("--send", is_flag=True, help="通过设置表中的 SMTP 服务器发送（密码取自环境变量，见设置表）"),
        click.option("--sheets", "sheets_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="附件取自该目录中 duban sheets 已生成的反馈表（默认按主表重新生成）"),
        click.option("--with-coop", is_flag=True, default=None, help="配合单位也发（默认看设置表）"),
        click.option("--template", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                     help="用自己的邮件模板（UTF-8 文本，第一行“主题：……”）"),
    ]):
        fn = option(fn)
    return fn


@cli.command()
@master_arg
@click.option("--period", default=None, help="期次：1-N月 或 全年，如 1-6月（上半年、1至6月 等写法亦可；默认：设置表中的当前期次）")
@click.option("--outbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="邮件文件（.eml）输出目录（默认：主表旁的“发件箱/期次/”）")
@click.option("--notices", "notices_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="改为发送该目录中 duban notices 生成的督办单（每单位一封，附其督办单）")
@_mail_options
@friendly
def mail(master, period, outbox, send, sheets_dir, with_coop, template, notices_dir):
    """给每个单位生成（并可发送）附有其反馈表的邮件。

    不加 --send 只在 --outbox 目录（默认主表旁的“发件箱/期次/”）生成 .eml 文件（双击即可在 Outlook/Foxmail 中打开发送）；
    加 --send 则通过设置表中的邮件服务器发送。每个单位每期只发送一次，记录在主表旁的
    “主表名_发送记录.csv”中；要重发某单位，删除其中该单位的行。

    \b
    示例：
      duban mail 主表.xlsx --period 1-6月
      duban mail 主表.xlsx --period 1-6月 --outbox 发件箱 --sheets 反馈表 --send
      duban mail 主表.xlsx --period 1-6月 --outbox 发件箱 --notices 督办单 --send
    """
    if notices_dir is not None:
        from .mail import send_log_path
        from .notices import load_ledger, run_notice_mail
        from .master import load_master
        from .store import open_store

        with open_store(master, write=False) as store:
            model, ledger = load_master(store), load_ledger(store)
        if outbox is None:  # beside the master, with the period's other mails
            from .actions import outbox_dir

            outbox = outbox_dir(master.parent, model.period(period).label)
        result = run_notice_mail(model, ledger, period, notices_dir, outbox, send=send,
                                 log_path=send_log_path(master), template=template, progress=counter("发送督办单"))
        for line in result.summary_lines():
            click.echo(line)
        if result.failed:
            sys.exit(1)
        return
    _mail_command("反馈表", master, period, outbox, send, sheets_dir, with_coop, template)


@cli.command()
@master_arg
@click.option("--period", default=None, help="期次：1-N月 或 全年，如 1-6月（上半年、1至6月 等写法亦可；默认：设置表中的当前期次）")
@click.option("--outbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="催报邮件（.eml）输出目录（默认：主表旁的“发件箱/期次/”，文件名含“催报”和日期）")
@click.option("--date", "when", default=None, help="以该日期判断督办单是否逾期未回复，如 2022-07-25（默认今天）")
@_mail_options
@friendly
def remind(master, period, outbox, send, sheets_dir, with_coop, template, when):
    """给还没有报回反馈表的单位生成（并可发送）催报邮件，附上其反馈表。

    “报送记录”中本期结果为“采用”的单位视为已报送，不再催报；同一单位每天最多催报一次。
    同时列出超过回复期限仍未回复的督办单，并在“督办台账”中标为“已升级”（下期督办发红色督办单）。

    \b
    示例：
      duban remind 主表.xlsx --period 1-6月
      duban remind 主表.xlsx --period 1-6月 --send
    """
    from .notices import overdue_on_file
    from .settings import parse_date

    for line in overdue_on_file(master, parse_date(when, "日期") if when else None).summary_lines():
        click.echo(line)
    _mail_command("催报", master, period, outbox, send, sheets_dir, with_coop, template)


@cli.command()
@master_arg
@click.option("--period", required=True, help="期次：1-N月 或 全年，如 1-6月（上半年、1至6月 等写法亦可）；主表没有该期次时新建（增加该期次的一组列）")
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="反馈表输出目录（默认：主表旁的“反馈表/期次/”）")
@click.option("--with-coop", is_flag=True, default=None,
              help="配合单位也生成反馈表（默认看设置表“配合单位也发反馈表”）")
@friendly
def sheets(master, period, out, with_coop):
    """为每个单位生成本期进展反馈表（每单位一个 .xlsx），并把该期次设为当前期次。

    \b
    示例：
      duban sheets 主表.xlsx --period 1-6月
      duban sheets 主表.xlsx --period 1-9月 -o 反馈表 --with-coop
    文件名为“2022年1-6月_单位_进展反馈表.xlsx”；群体名称（如“各镇街”）按“单位”表的成员单位展开。
    """
    from .outputs import check_outputs
    from .sheets import run_sheets
    from .store import open_store

    if out is None:  # the buttons' place
        from .actions import feedback_dir

        out = feedback_dir(master.parent, _period_of(master, period, new=True)[1])
    check_outputs({"反馈表输出目录": out}, {"主表": master})
    with open_store(master) as store:
        result = run_sheets(store, period, out, with_coop=with_coop, progress=counter("生成反馈表"))
    if period.strip() != result.period.label:
        click.echo(f"期次“{period.strip()}”按“{result.period.label}”处理。")
    for line in result.summary_lines():
        click.echo(line)
    if result.failed:
        sys.exit(1)


@cli.command()
@master_arg
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--period", default=None, help="期次：1-N月 或 全年，如 1-6月（上半年、1至6月 等写法亦可；默认：设置表中的当前期次）")
@click.option("--accept-unsigned", "accept", multiple=True, type=click.Path(path_type=Path),
              help="采用这个无签名文件（报送记录中为“待确认”的），即使该单位已有签名的报送；可重复")
@friendly
def collect(master, paths, period, accept):
    """汇总各单位报回的反馈表，写入主表该期次的各列，并记入“报送记录”。

    PATHS 可以是反馈表（.xlsx/.xlsm/.xls）、文件夹（含子文件夹）、保存的邮件（.eml/.msg，取其附件）
    或 .zip 压缩包。每个文件都复制到主表旁的“归档/期次/”文件夹；同一单位以最新的一份为准，
    新版本留空的格子不会清掉旧内容；已汇总过的文件再次汇总会跳过，主表不变。

    某个文件有问题只退回该文件（原因写入摘要和“报送记录”），其他文件照常汇总，退出码为 0；
    主表无法写入时（被占用、磁盘满、只读）主表不变，退出码为 1。

    \b
    示例：
      duban collect 主表.xlsx 收件箱/
      duban collect 主表.xlsx 区科技局.xlsx 邮件/回复.eml 反馈表.zip --period 1-6月
      duban collect 主表.xlsx --accept-unsigned 收件箱/区科技局.xlsx
    """
    from .collect import collect as run_collect
    from .outputs import OutputError, check_inputs_exist

    if not paths and not accept:
        raise click.UsageError("请给出要汇总的文件或文件夹（PATHS），或用 --accept-unsigned 指定文件")
    # every path checked before the master is opened: a typo must not log a row or list
    # every unit as not reported
    check_inputs_exist([*paths, *accept], "要汇总的文件或文件夹")
    if any(os.path.exists(master) and os.path.samefile(p, master) for p in [*paths, *accept]):
        raise OutputError(f"要汇总的文件中有主表本身（{master}）：请给出各单位报回的反馈表或收件文件夹。主表未修改。")
    home = master.resolve().parent
    for p in paths:  # the office folder holds the master, its backups and the blank 反馈表/: not returns
        if p.is_dir() and (p.resolve() == home or p.resolve() in home.parents):
            raise OutputError(f"要汇总的文件夹“{p}”里有主表本身（以及备份、下发的空白反馈表）：请给出收件文件夹，"
                              f"如 {master.parent / '收件箱'}。主表未修改。")
    result = run_collect(master, paths, period, progress=counter("读取反馈表"), accept_unsigned=accept)
    for line in result.summary_lines():
        click.echo(line)


@cli.command()
@master_arg
@click.option("--period", default=None, help="期次：1-N月 或 全年，如 1-6月（上半年、1至6月 等写法亦可；默认：设置表中的当前期次）")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="报告文件（.docx；默认：主表旁的“报告/年度期次推进情况报告.docx”，附件表格一并生成）")
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="同时把附件表格输出为 Excel 工作簿（附件1/附件2/附件3 各一张表）")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转换为 PDF（未安装时会提示）")
@click.option("--template", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="自定义报告模板（.docx，样式名称见内置模板 report_template.docx）")
@click.option("--date", "when", default=None, help="成文日期，如 2022-07-08（默认：设置表“报告日期”，留空为今天）")
@click.option("--draft", is_flag=True, help="尚有需人工研判/未确认的未报送事项时也生成，标明“草稿”，待定事项列在最后一页")
@friendly
def report(master, period, out, xlsx, pdf, template, when, draft):
    """生成本期督办报告：Word 正式公文格式，附件表格可另出 Excel，并刷新主表“统计”表。

    一切状态采用“人工研判”优先的结果。

    还有“需人工研判”或未确认的“未报送”事项时不生成（列出这些事项）；加 --draft 生成草稿。

    \b
    示例：
      duban report 主表.xlsx
      duban report 主表.xlsx --period 1-6月 -o 报告.docx --xlsx 附件.xlsx --pdf
      duban report 主表.xlsx -o 报告.docx --template 我的模板.docx --date 2022-07-08
      duban report 主表.xlsx -o 报告草稿.docx --draft
    """
    from .report import run_report
    from .settings import parse_date

    day = parse_date(when, "成文日期") if when else None
    if out is None:  # the buttons' place: 报告/ beside the master, with the annex workbook
        from .actions import report_paths

        out, default_xlsx = report_paths(master.parent, *_period_of(master, period), draft=draft)
        xlsx = xlsx or default_xlsx
    result = run_report(master, out, period, xlsx=xlsx, pdf=pdf, template=template, date=day, draft=draft)
    for line in result.summary_lines():
        click.echo(line)


@cli.command()
@master_arg
@click.option("--period", default=None, help="期次，如 1-6月（默认：设置表中的当前期次）")
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="督办单输出目录（每单位一份 .docx，另有一份汇总 .xlsx）")
@click.option("--date", "when", default=None, help="签发日期，如 2022-07-10（默认今天）；回复期限由它推算")
@click.option("--template", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="自定义公文模板（.docx，与报告模板相同）")
@friendly
def notices(master, period, out, when, template):
    """按本期研判结果生成红、黄、蓝三色督办单，并记入主表“督办台账”。

    颜色规则和编号格式在设置表中（蓝色督办提前天数、连续滞后升级红色、督办单编号格式……）；
    人工研判优先。同一期次重新生成时沿用原编号，不会重复编号；没有督办事项的单位不生成督办单。

    \b
    示例：
      duban notices 主表.xlsx --period 1-6月 -o 督办单
      duban notices 主表.xlsx -o 督办单 --date 2022-07-10
    """
    from .notices import run_notices
    from .settings import parse_date
    from .store import open_store

    day = parse_date(when, "签发日期") if when else None
    with open_store(master) as store:
        result = run_notices(store, period, out, today=day, template=template)
    for line in result.summary_lines():
        click.echo(line)


@cli.command()
@master_arg
@click.option("--year", type=int, default=None, help="考核年度（默认主表的年度；与主表不符时报错）")
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="同时输出考核汇总表（.xlsx：考核汇总、扣分明细）")
@click.option("--date", "when", default=None, help="以该日期判断漏报和逾期回复，如 2022-12-31（默认今天）")
@friendly
def score(master, year, xlsx, when):
    """年度目标考核：按单位汇总报送（按时/迟报/漏报）、牵头任务结论、督办单和逾期回复，计分并排名。

    计分公式的系数在设置表中（默认：基础分100，迟报−0.5，漏报−1，黄色督办−1，红色督办−2，逾期回复−1）；
    每一项扣分都在主表“考核”表的扣分明细中写明出自“报送记录”或“督办台账”的哪一行。

    \b
    示例：
      duban score 主表.xlsx
      duban score 主表.xlsx --year 2022 --xlsx 考核汇总.xlsx
    """
    from .score import score_on_file
    from .settings import parse_date

    day = parse_date(when, "日期") if when else None
    result = score_on_file(master, year=year, xlsx=xlsx, today=day)
    for line in result.summary_lines():
        click.echo(line)


@cli.group()
def xl():
    """Excel 一侧：带按钮的宏主表（.xlsm）、本机设置、不开 Excel 运行按钮。

    \b
    示例：
      duban xl upgrade 主表.xlsx             生成带按钮的 主表.xlsm（原文件不动）
      duban xl setup 主表.xlsm               在本机配置：Excel 按钮和单元格函数调用哪个 Python
      duban xl run status 主表.xlsm          不开 Excel，做与“研判状态”按钮相同的事
    """


@xl.command("upgrade")
@click.argument("master", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="输出的 .xlsm（默认：与主表同名的 .xlsm；对 .xlsm 主表则原地重建宏，旧版本备份）")
@friendly
def xl_upgrade(master, out):
    """把主表变成带按钮的宏主表（.xlsm），或按本机的 duban/xlwings 重建 .xlsm 主表的宏。

    所有工作表、数据、格式、工作人员加的列都保留；“说明”表上放按钮，内置 xlwings 宏模块和单元格函数。

    \b
    示例：
      duban xl upgrade 主表.xlsx
      duban xl upgrade 主表.xlsx -o 2022督办主表.xlsm
      duban xl upgrade 主表.xlsm
    """
    from .outputs import check_outputs
    from .xlsetup import upgrade_master

    check_outputs({"宏主表": out}, {})  # the backup folder is no place for it
    path = upgrade_master(master, out)
    click.echo(f"已生成宏主表：{path}")
    click.echo(f"下一步：在要使用按钮的电脑上运行 duban xl setup {path.name}")


@xl.command("setup")
@click.argument("master", required=False, type=click.Path(dir_okay=False, path_type=Path))
@friendly
def xl_setup(master):
    """在本机配置 Excel 调用 Python：检查环境，把本机 Python 写入主表的 xlwings.conf，并说明 Excel 中要启用的选项。

    不给主表时只做检查和说明。给的是 .xlsx 主表时先生成同名 .xlsm。

    \b
    示例：
      duban xl setup
      duban xl setup 主表.xlsm
    """
    from .xlsetup import run_setup

    report = run_setup(master)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        sys.exit(1)


XL_BUTTONS = ("sheets", "mail", "collect", "status", "report", "remind", "notices", "score", "upgrade")


@xl.command("run")
@click.argument("button", type=click.Choice(XL_BUTTONS))
@click.argument("master", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--send", is_flag=True, help="mail/remind：设置表已填写 SMTP 服务器时直接发送（按钮中会先询问）")
@click.option("--draft", is_flag=True, help="report：还有待定事项时生成草稿（按钮中会先询问；不加则不生成）")
@friendly
def xl_run(button, master, send, draft):
    """不开 Excel，做与主表按钮完全相同的事（WPS 用户、没有 Excel 的电脑用它）。

    \b
    按钮：sheets 生成反馈表、mail 生成邮件、collect 汇总反馈、status 研判状态、
          report 生成报告、remind 催报、notices 生成督办单、score 考核汇总、upgrade 升级宏。
    期次取“设置”表的当前期次；输出在主表旁：反馈表/期次/、发件箱/期次/、收件箱/、报告/。
    运行前请先关闭主表。

    \b
    示例：
      duban xl run sheets 主表.xlsm
      duban xl run collect 主表.xlsm
      duban xl run mail 主表.xlsm --send
      duban xl run report 主表.xlsm --draft
    """
    from .actions import run_on_file

    # the button's one question: "send now?" for mail/remind, "write a draft?" for report
    answer = draft if button == "report" else send
    result = run_on_file(button, master, confirm=lambda question: answer, progress=counter)
    for line in result.lines:
        click.echo(line)
    if result.failed:
        sys.exit(1)


def main():  # console script entry point
    cli(prog_name="duban")


if __name__ == "__main__":
    main()
