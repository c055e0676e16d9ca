"""`duban init`: a notice → a new master (or a re-import into an existing one)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from . import settings as st
from .errors import MasterError
from .master import load_master, new_master_store, save_master
from .model import Master
from .notice import Notice, directory_for, read_notice
from .store import FileStore, master_lock, open_store


@dataclass
class InitResult:
    master: Master
    notice: Notice
    path: Path
    reimport: bool = False
    groups_without_members: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        m, n = self.master, self.notice
        kinds: dict[str, int] = {}
        for u in m.units:
            kinds[u.kind] = kinds.get(u.kind, 0) + 1
        lines = [
            f"{'重新导入' if self.reimport else '已生成主表'}：{self.path}",
            f"  年度：{m.year}    预期目标：{len(m.indicators)} 项    重点任务：{len(m.tasks)} 项",
            f"  单位：{len(m.units)} 个（" + "，".join(f"{k} {v}" for k, v in kinds.items()) + "）",
            f"  工作类别：{len({t.category for t in m.tasks if t.category})} 个",
        ]
        by_kind: dict[str, list[str]] = {}
        for u in m.units:
            by_kind.setdefault(u.kind, []).append(u.name)
        lines.extend(f"    {k}：{'、'.join(names)}" for k, names in by_kind.items())
        merged = [u for u in m.units if u.note.startswith("自动合并")]
        if merged:
            lines.append(f"  自动合并的单位 {len(merged)} 个（请在“单位”表核对）：" + "、".join(
                f"{u.name}←{'/'.join(a for a in u.aliases if '（' not in a)}" for u in merged))
        if n.problems:
            lines.append(f"  需人工核对 {len(n.problems)} 处（已写入主表“导入提示”列）：")
            lines.extend(f"    · {p}" for p in n.problems)
        else:
            lines.append("  没有需要人工核对的拆分。")
        return lines


def init_master(notice_path: Path, out: Path, *, force: bool = False) -> InitResult:
    """Import ``notice_path`` into ``out``.

    When ``out`` exists, it is a re-import: the master's 单位 sheet is the directory
    (staff corrections win), the decomposition columns are refreshed, and every
    period block, setting and staff column is kept.
    """
    out = Path(out)
    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise MasterError(f"主表文件名应以 .xlsx 或 .xlsm 结尾：{out.name}")
    from .outputs import check_outputs

    check_outputs({"主表": out}, {"通知": Path(notice_path)})
    if out.exists():
        with open_store(out) as store:
            master = load_master(store)
            notice = read_notice(notice_path, directory=master.units,
                                 single_column_lead_first=st.truthy(master.settings.get("single_column_lead_first", "是")))
            old_tasks = master.task_by_id()
            old_inds = master.indicator_by_id()
            removed = sorted(set(old_tasks) - {t.id for t in notice.tasks})
            if removed and not force:
                raise MasterError(
                    f"新通知中没有主表已有的任务 {removed[:10]}…；为免丢失其进展，未做任何修改。确认要重新导入请加 --force")
            for t in notice.tasks:
                if t.id in old_tasks:
                    t.periods = old_tasks[t.id].periods
            for i in notice.indicators:
                if i.id in old_inds:
                    i.periods = old_inds[i.id].periods
            master.tasks, master.indicators = notice.tasks, notice.indicators
            master.units = directory_for(notice, master.units)
            save_master(store, master)
        return InitResult(master, notice, out, reimport=True)
    notice = read_notice(notice_path)
    master = Master(year=notice.year or 2022, settings=st.defaults())
    master.settings["year"] = master.year
    master.indicators, master.tasks = notice.indicators, notice.tasks
    master.units = directory_for(notice)
    with master_lock(out):
        if out.suffix.lower() == ".xlsm":
            # the .xlsx beside, then macros and buttons added into out (atomic)
            from .xlsetup import save_as_xlsm

            tmp = out.with_name(f".~duban-{os.getpid()}-{out.stem}.xlsx")
            try:
                store = FileStore(tmp, create=True)
                new_master_store(store, master)
                store.commit()
                save_as_xlsm(tmp, out)
            finally:
                tmp.unlink(missing_ok=True)
        else:
            store = FileStore(out, create=True)
            new_master_store(store, master)
            store.commit()
    return InitResult(master, notice, out)
