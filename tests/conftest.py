"""Shared fixtures. Keep this small: a fixture goes here only when several test files use it."""
from datetime import date

import pytest

from duban.master import new_master_store
from duban.model import Indicator, Master, Period, Task, Unit
from duban.store import open_store


def build_small_master() -> Master:
    """Five tasks, two indicators, units with an alias, a group with members and an empty group."""
    units = [
        Unit("区科技局", "区级部门", aliases=["区科学技术局"], email="keji@example.gov.cn"),
        Unit("区教委", "区级部门", email="jiaowei@example.gov.cn"),
        Unit("区财政局", "区级部门", email="caizheng@example.gov.cn"),
        Unit("中梁镇", "镇街", email="zhongliang@example.gov.cn"),
        Unit("凤凰镇", "镇街", email=""),
        Unit("各镇街", "群体", members=["中梁镇", "凤凰镇"]),
        Unit("空领导小组成员单位", "群体"),
    ]
    tasks = [
        Task(1, "科技创新", "引进研发机构8家，孵化科技型企业200家", lead=["区科技局"], coop=["区财政局"]),
        Task(2, "科技创新", "建设科技成果转化中心", lead=["区科学技术局"], coop=["各镇街"]),
        Task(3, "乡村振兴", "完成农村改厕800户", lead=["各镇街"], coop=["区财政局"]),
        Task(4, "专项整治", "开展违法建筑专项整治", lead=["空领导小组成员单位"]),
        Task(5, "教育", "=SUM(A1:A3) 新建中小学3所", lead=["区教委"], coop=["区科技局"]),
    ]
    indicators = [
        Indicator(1, "义务教育巩固率99%以上", units=["区教委"]),
        Indicator(2, "农村居民人均可支配收入增长7%", units=["凤凰镇"]),
    ]
    m = Master(year=2022, units=units, tasks=tasks, indicators=indicators)
    m.settings.update({"secret": "test-secret", "contact": "张三", "contact_phone": "023-65000000",
                       "contact_email": "duchaban@example.gov.cn", "office": "区政府督查办"})
    return m


@pytest.fixture
def small_master(tmp_path):
    """A small master workbook on disk (no period yet)."""
    path = tmp_path / "主表.xlsx"
    with open_store(path, create=True) as store:
        new_master_store(store, build_small_master())
    return path


@pytest.fixture
def small_master_two_periods(tmp_path):
    """The small master with a finished 1-3月 (progress filled) and a 1-6月 period."""
    path = tmp_path / "主表.xlsx"
    m = build_small_master()
    m.periods = [Period("1-3月", date(2022, 3, 31), date(2022, 4, 8)), Period("1-6月", date(2022, 6, 30))]
    m.settings["current_period"] = "1-6月"
    m.tasks[0].entry("1-3月").progress = "已引进研发机构3家"
    m.indicators[0].entry("1-3月").progress = "巩固率99.2%"
    m.indicators[0].entry("1-3月").amount = "99.2%"
    with open_store(path, create=True) as store:
        new_master_store(store, m)
    return path
