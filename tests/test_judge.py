"""Table-driven tests of duban.judge (task and indicator status engine)."""
from datetime import date

import pytest

from duban.judge import (
    DONE,
    IND_MET,
    IND_MISSED,
    IND_ON_COURSE,
    LAGGING,
    MANUAL,
    NORMAL,
    NOT_REPORTED,
    Judgement,
    effective_status,
    elapsed_share,
    get_rules,
    judge_indicator,
    judge_task,
    parse_deadline,
)

Q1 = date(2022, 3, 31)
APR = date(2022, 4, 30)
H1 = date(2022, 6, 30)
Q3 = date(2022, 9, 30)
NOV = date(2022, 11, 30)
YE = date(2022, 12, 31)


def test_status_strings():
    assert (DONE, NORMAL, LAGGING, NOT_REPORTED, MANUAL) == (
        "已完成", "正常推进", "推进较为滞后", "未报送", "需人工研判")
    assert (IND_MET, IND_MISSED, IND_ON_COURSE) == ("符合预期", "不达预期", "符合时间节点要求")


# ---------------------------------------------------------------------------
# Tasks: (task, progress, period_end, status, words the reason must contain)
# ---------------------------------------------------------------------------
TASK_CASES = [
    # -- 未报送
    ("引进3支创投基金", "", H1, NOT_REPORTED, ["未报送"]),
    ("引进3支创投基金", None, H1, NOT_REPORTED, []),
    ("引进3支创投基金", "   \n ", H1, NOT_REPORTED, []),
    ("引进3支创投基金", "/", H1, NOT_REPORTED, []),
    ("新建12个社区食堂", "——", H1, NOT_REPORTED, []),
    # -- 已完成: quantities
    ("新建12个社区食堂", "已建成12个", H1, DONE, ["新建12个社区食堂", "已建成12个", "完成100%"]),
    ("新建12个社区食堂", "截至9月底，累计建成社区食堂13个，超额完成", Q3, DONE, ["108.3%"]),
    ("引进3支创投基金", "已引进创投基金3支，总规模15亿元", H1, DONE, ["3支"]),
    ("新增市场主体2万户", "截至11月底，新增市场主体2.1万户", NOV, DONE, ["2.1万户", "105%"]),
    ("班列开行4500班以上", "1-11月开行班列4620班", NOV, DONE, ["4620班"]),
    ("新建3个社区体育公园、30个社区健身点",
     "①社区健身点已建成30个；②社区体育公园已全部建成", Q3, DONE, ["社区健身点", "社区体育公园"]),
    ("创建绿色社区63", "已创建绿色社区63个", H1, MANUAL, ["照抄"]),  # the target's own number, nothing else
    ("农村改厕1220", "截至9月底，累计完成农村改厕1250户", Q3, DONE, ["1250户"]),
    ("引育10名领军人才、200名高层次人才",
     "一是引进高层次人才215名；二是引育领军人才10名", NOV, DONE, ["215名", "10名"]),
    # -- 已完成: text
    ("完成西部新城城市设计", "已完成", H1, MANUAL, ["过短"]),  # a bare claim is no evidence
    ("建成陈家桥滨河公园", "陈家桥滨河公园已竣工，并对市民开放", Q3, DONE, ["已竣工"]),
    ("实施三峡商圈周边治堵保畅行动，完成名人广场建设", "名人广场已全面完成建设并对外开放", Q3, DONE, ["全面完成"]),
    ("推动万普隆能源科技上市", "万普隆能源科技已完成上市，5月在深交所挂牌", H1, DONE, []),
    ("建成自贸区企业创新服务中心", "服务中心已投用，入驻企业36家", Q3, DONE, ["已投用"]),
    # -- 正常推进
    ("新建12个社区食堂", "已建成8个", H1, NORMAL, ["已建成8个", "66.7%", "序时进度50%"]),
    ("新建12个社区食堂", "已建成3个", Q1, NORMAL, ["25%"]),
    ("新增5000个公共停车位，完成125公里道路综合整治",
     "①完成道路综合整治68公里；②新增公共停车位3200个", H1, NORMAL, ["3200个", "68公里"]),
    ("引育10名领军人才、200名高层次人才",
     "一是引进高层次人才96名；二是引育领军人才4名", H1, NORMAL, ["96名", "4名"]),
    ("新增市场主体2万户", "截至6月30日，新增市场主体1.2万户", H1, NORMAL, ["1.2万户", "60%"]),
    ("新建12个社区食堂", "社区食堂项目完成总工程量的60%", H1, NORMAL, ["60%"]),
    ("技术交易合同登记额增长15%", "技术交易合同登记额同比增长13.5%", H1, NORMAL, ["13.5%", "1.5个百分点"]),
    ("新建12个社区食堂", "正在有序推进", H1, MANUAL, ["量化目标"]),  # a slogan, no figure
    ("推动四川外国语大学新校区建设", "新校区一期主体结构施工中，累计完成投资3.2亿元", H1, NORMAL, ["施工中"]),
    ("办好中国高校(成渝)校友经济高峰论坛等品牌活动", "已于5月召开筹备会，正在对接参会嘉宾", H1, NORMAL, []),
    ("推动科学城隧道等重点项目建设", "项目尚未开工，正在办理用地手续", Q1, NORMAL, []),
    ("新建12个社区食堂", "本月新建2个，累计建成8个", H1, NORMAL, ["累计建成8个"]),
    ("引进3支创投基金", "已引进创投基金1支，另有2支正在洽谈", APR, NORMAL, ["1支"]),
    ("确保全年正式签约1000亿元以上，开工率达70%以上",
     "累计正式签约项目45个、签约金额620亿元，开工率65%", H1, NORMAL, ["620亿元", "62%", "65%"]),
    ("新建12个社区食堂", "已建成3个", None, NORMAL, ["未提供报送期"]),
    ("完成西部新城城市设计", "城市设计方案正在编制，即将完成", H1, NORMAL, []),
    ("新建12个社区食堂", "截至6月30日，已建成5个", H1, NORMAL, ["41.7%"]),
    ("新建12个社区食堂", "正在推进\n完成量：9", H1, NORMAL, ["75%"]),
    ("新建12个社区食堂", "正在推进\n完成量：2个", H1, LAGGING, ["16.7%"]),
    # -- 推进较为滞后
    ("新建12个社区食堂", "已建成3个", H1, LAGGING, ["新建12个社区食堂：已建成3个，完成25%，低于序时进度50%约25个百分点"]),
    ("新建3个社区体育公园、30个社区健身点",
     "社区体育公园已全部建成，社区健身点已建成5个", H1, LAGGING, ["新建30个社区健身点", "16.7%"]),
    ("引进3支创投基金", "暂无进展", H1, LAGGING, ["暂无进展"]),
    ("引进3支创投基金", "无", H1, MANUAL, ["补报"]),  # 无 says nothing: ask the unit
    ("引进3支创投基金", "该项工作未开展", H1, LAGGING, ["未开展"]),
    ("完成3家企业绿色节能化改造", "企业改造工作停滞", H1, LAGGING, ["停滞"]),
    ("推动科学城隧道等重点项目建设", "项目尚未开工，正在办理用地手续", H1, LAGGING, ["尚未开工", "50%"]),
    ("建成小康新能源全球研发总部", "正在办理施工许可手续，前期工作有序推进", Q3, LAGGING, ["手续"]),
    ("技术交易合同登记额增长15%", "技术交易合同登记额同比增长8%", H1, LAGGING, ["低于目标7个百分点"]),
    ("创意设计产业增加值增长15%", "创意设计产业增加值同比下降2.3%", H1, LAGGING, ["负增长"]),
    ("打造5条精品游线路，旅游产业增加值增长5%", "旅游产业增加值增长-19%", H1, LAGGING, ["下降19%"]),
    ("新增5000个公共停车位，完成125公里道路综合整治",
     "①完成道路综合整治20公里；②新增公共停车位3200个", H1, LAGGING, ["完成125公里道路综合整治", "16%"]),
    ("农村改厕1220", "已完成农村改厕150户", H1, LAGGING, ["150户", "12.3%"]),
    ("班列开行4500班以上", "1-9月开行班列1500班", Q3, LAGGING, ["1500班", "33.3%", "75%"]),
    ("新建12个社区食堂", "项目完成总工程量的10%", Q3, LAGGING, ["10%"]),
    ("建成山城步道30公里", "截至9月底，已建成山城步道5公里", Q3, LAGGING, ["5公里"]),
    ("新建12个社区食堂", "已建成5个", date(2023, 1, 10), LAGGING, ["未完成目标"]),
    # -- completion words that do NOT mean done
    ("建成陈家桥滨河公园", "项目尚未建成，主体工程施工中", H1, NORMAL, ["施工中"]),
    ("建成陈家桥滨河公园", "主体工程即将完成", H1, NORMAL, []),
    ("建成陈家桥滨河公园", "已完成总工程量的60%", H1, NORMAL, ["60%"]),
    ("建成陈家桥滨河公园", "已完成总工程量的10%", Q3, LAGGING, ["10%", "75%"]),
    ("建成陈家桥滨河公园", "已完成前期手续，正在施工", Q3, NORMAL, []),
    ("建成陈家桥滨河公园", "尚未完成前期手续", Q3, LAGGING, ["前期手续"]),
    ("新建12个社区食堂", "已完成选址8处，已建成2个", H1, LAGGING, ["已建成2个"]),
    # -- growth targets are only "done" with the full-year figure
    ("技术交易合同登记额增长15%", "技术交易合同登记额同比增长16%", H1, NORMAL, ["达到目标"]),
    ("技术交易合同登记额增长15%", "全年技术交易合同登记额同比增长16%", YE, DONE, ["16%"]),
    # -- numbered answers out of order, cumulative vs period figures
    ("培育10个产业基地、8家龙头企业", "（一）培育龙头企业5家。（二）产业基地建成6个。", H1, NORMAL, ["5家", "6个"]),
    ("培育10个产业基地、8家龙头企业", "一是龙头企业新增1家；二是产业基地建成6个", H1, LAGGING, ["培育8家龙头企业", "12.5%"]),
    ("新建12个社区食堂", "当月新建1个，累计建成2个", H1, LAGGING, ["累计建成2个"]),
    ("新增城镇就业3万人", "1-6月新增城镇就业1.6万人，完成年度目标的53%", H1, NORMAL, ["1.6万人"]),
    # -- 需人工研判
    ("引进3支创投基金", "见附件", H1, MANUAL, ["附件"]),
    ("引进3支创投基金", "详见附件。", H1, MANUAL, ["附件"]),
    ("新建12个社区食堂", "开展助餐服务3000人次", H1, MANUAL, ["3000人次"]),
    ("新建12个社区食堂", "已建成3个养老服务中心", H1, MANUAL, ["不对应"]),
    ("推动科学城隧道等重点项目建设", "好", H1, MANUAL, ["过短"]),
    ("引进3支创投基金", "。。", H1, MANUAL, []),
    ("新建12个社区食堂", "市民满意度较高", H1, MANUAL, ["没有实际工作和数据"]),
]


@pytest.mark.parametrize("task, progress, period_end, status, words", TASK_CASES)
def test_judge_task(task, progress, period_end, status, words):
    j = judge_task(task, progress, period_end, 2022)
    assert isinstance(j, Judgement)
    assert j.status == status, j.reason
    for w in words:
        assert w in j.reason


def test_multi_target_reason_names_only_the_lagging_target():
    j = judge_task("新建3个社区体育公园、30个社区健身点",
                   "社区体育公园已全部建成，社区健身点已建成5个", H1, 2022)
    assert j.status == LAGGING
    assert "社区体育公园" not in j.reason


def test_dates_are_not_progress_quantities():
    # "6月30日" must not be read as 30 of 12 canteens
    j = judge_task("新建12个社区食堂", "截至6月30日，已建成3个", H1, 2022)
    assert j.status == LAGGING and "已建成3个" in j.reason


@pytest.mark.parametrize(
    "progress, deadline, period_end, status",
    [
        ("已建成3个", None, Q1, NORMAL),
        ("已建成3个", "6月底前", Q1, LAGGING),
        ("已建成12个", "6月底前", date(2022, 7, 15), DONE),
        ("已建成9个", "6月底前", date(2022, 7, 15), LAGGING),
        ("已建成9个", "年底前", date(2022, 7, 15), NORMAL),
    ],
)
def test_deadline(progress, deadline, period_end, status):
    assert judge_task("新建12个社区食堂", progress, period_end, 2022, deadline=deadline).status == status


def test_deadline_passed_on_qualitative_task():
    j = judge_task("完成名人广场建设", "正在进行装饰装修", date(2022, 7, 15), 2022, deadline="6月底前")
    assert j.status == LAGGING and "完成时限" in j.reason


@pytest.mark.parametrize(
    "rules, status",
    [
        (None, LAGGING),
        ({"lag_points": 20}, NORMAL),
        ({"lag_points": "20"}, NORMAL),
        ({"滞后差距": "20"}, NORMAL),
        ({"settings": {"lag_points": 20}}, NORMAL),
        ({"lag_points": ""}, LAGGING),
        ({"lag_points": None}, LAGGING),
        ({"unknown_key": 1}, LAGGING),
    ],
)
def test_lag_points_override(rules, status):
    # 4 of 12 = 33.3% at 50% time: 16.7 points behind, lagging under the default 15
    assert judge_task("新建12个社区食堂", "已建成4个", H1, 2022, rules=rules).status == status


@pytest.mark.parametrize(
    "task, progress, period_end, rules, status",
    [
        ("推动科学城隧道等重点项目建设", "项目尚未开工", Q1, None, NORMAL),
        ("推动科学城隧道等重点项目建设", "项目尚未开工", Q1, {"prep_ok_share": 0.2}, LAGGING),
        ("推动科学城隧道等重点项目建设", "项目尚未开工", Q1, {"前期阶段时限": "20%"}, LAGGING),
        ("技术交易合同登记额增长15%", "同比增长13.5%", H1, {"growth_lag_points": 1}, LAGGING),
        ("技术交易合同登记额增长15%", "同比增长13.5%", H1, {"growth_lag_points": "2"}, NORMAL),
        ("引进3支创投基金", "工作推进迟缓", H1, {"delay": "推进迟缓、滞后"}, LAGGING),
        ("引进3支创投基金", "工作推进迟缓", H1, None, MANUAL),
        ("引进3支创投基金", "受疫情影响，项目进度滞后", H1, None, LAGGING),
    ],
)
def test_other_overrides(task, progress, period_end, rules, status):
    assert judge_task(task, progress, period_end, 2022, rules=rules).status == status


# ---------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------
INDICATOR_CASES = [
    # (target, progress, actual, period_end, status, reason words)
    ("地区生产总值增长5.5%左右", "1-6月，全区实现地区生产总值620.5亿元，同比增长4.2%", None, H1,
     IND_MISSED, ["4.2%", "1.3个百分点"]),
    ("地区生产总值增长5.5%左右", "全区地区生产总值同比增长5.1%", None, H1, IND_MET, ["容差"]),
    ("地区生产总值增长5.5%左右", "同比增长5%", None, H1, IND_MET, []),
    ("地区生产总值增长5.5%左右", "同比增长4.9%", None, H1, IND_MISSED, []),
    ("地区生产总值增长5.5%左右", "同比增长6.0%", None, H1, IND_MET, ["达到目标"]),
    ("进出口总额增长5%以上", "进出口总额同比增长4.9%", None, H1, IND_MISSED, ["0.1个百分点"]),
    ("进出口总额增长5%以上", "进出口总额同比增长5%", None, H1, IND_MET, []),
    ("进出口总额增长5%以上", "1-6月进出口总额完成120亿元，同比下降3.1%", None, H1, IND_MISSED, ["下降3.1%"]),
    ("社会消费品零售总额增长8%左右", "", "8.3", H1, IND_MET, ["8.3%"]),
    ("固定资产投资增长6%左右", "", "-19%", H1, IND_MISSED, ["下降19%"]),
    ("工业增加值增长7%左右", "规上工业增加值增长-19%", None, H1, IND_MISSED, ["下降19%"]),
    ("一般公共预算收入增长5%左右", "", "同比下降3.1%", H1, IND_MISSED, ["下降3.1%"]),
    ("全体居民人均可支配收入增长6%左右", "全区全体居民人均可支配收入增长6.2%", None, H1, IND_MET, []),
    ("地区生产总值增长5.5%左右", "同比增长4.2%", "5.6", H1, IND_MET, ["5.6%"]),
    ("地区生产总值增长5.5%左右", "", 4.0, H1, IND_MISSED, []),
    ("民间投资占比60%以上", "民间投资占比为62.3%", None, H1, IND_MET, ["62.3%"]),
    ("民间投资占比60%以上", "民间投资占比57%", None, H1, IND_MISSED, ["3个百分点"]),
    ("实现智能产业产值突破2000亿元", "1-6月智能产业产值实现1050亿元", None, H1, IND_MET, ["52.5%"]),
    ("实现智能产业产值突破2000亿元", "1-6月智能产业产值实现800亿元", None, H1, IND_MISSED, ["40%"]),
    ("空气质量完成年度目标任务", "优良天数152天，符合时序进度", None, H1, IND_ON_COURSE, ["优良天数"]),
    ("节能减排降碳完成年度目标任务", "能耗强度持续下降，完成上半年目标", None, H1, IND_ON_COURSE, []),
    ("空气质量完成年度目标任务", "PM2.5浓度同比上升，未达到时序进度要求", None, H1, IND_MISSED, ["未达到"]),
    ("空气质量完成年度目标任务", "", None, H1, NOT_REPORTED, []),
    ("地区生产总值增长5.5%左右", None, None, H1, NOT_REPORTED, []),
    ("空气质量完成年度目标任务", "正在开展大气污染防治", None, H1, MANUAL, []),
    ("地区生产总值增长5.5%左右", "经济运行总体平稳", None, H1, MANUAL, ["数值"]),
    ("地区生产总值增长5.5%左右", "见附件", None, H1, MANUAL, ["附件"]),
    ("地区生产总值增长5.5%左右", "工业增加值增长7.5%", None, H1, MANUAL, []),
]


@pytest.mark.parametrize("target, progress, actual, period_end, status, words", INDICATOR_CASES)
def test_judge_indicator(target, progress, actual, period_end, status, words):
    j = judge_indicator(target, progress, actual, period_end)
    assert j.status == status, j.reason
    for w in words:
        assert w in j.reason


@pytest.mark.parametrize(
    "actual, value",
    [("4.2", 4.2), ("同比增长4.2%", 4.2), ("增长-19%", -19), ("同比下降3.1%", -3.1), ("-0.5", -0.5)],
)
def test_indicator_actual_value_parsed(actual, value):
    j = judge_indicator("地区生产总值增长5.5%左右", "", actual)
    assert j.details["actual"] == pytest.approx(value)


@pytest.mark.parametrize("tolerance, status", [(None, IND_MET), (0.3, IND_MISSED), ("0.5", IND_MET)])
def test_indicator_tolerance_override(tolerance, status):
    rules = None if tolerance is None else {"indicator_about_tolerance": tolerance}
    assert judge_indicator("地区生产总值增长5.5%左右", "同比增长5.1%", rules=rules).status == status


# ---------------------------------------------------------------------------
# Override of the engine status, time share, rules
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "engine, override, expected",
    [
        ("正常推进", "", "正常推进"),
        ("正常推进", None, "正常推进"),
        ("正常推进", "   ", "正常推进"),
        ("推进较为滞后", "已完成", "已完成"),
        ("需人工研判", " 正常推进 ", "正常推进"),
        ("已完成", "推进较为滞后", "推进较为滞后"),
    ],
)
def test_effective_status(engine, override, expected):
    assert effective_status(engine, override) == expected


@pytest.mark.parametrize(
    "period_end, year, deadline, expected",
    [
        (H1, None, None, 181 / 365),
        (YE, None, None, 1.0),
        (date(2024, 6, 30), None, None, 182 / 366),
        (None, 2022, None, None),
        (date(2023, 1, 5), 2022, None, 1.0),
        (date(2021, 12, 31), 2022, None, 0.0),
        (Q1, 2022, "6月底前", 90 / 181),
        (Q3, 2022, "三季度", 1.0),
        (date(2022, 8, 1), 2022, "2022年7月15日", 1.0),
        ("2022-06-30", None, None, 181 / 365),
    ],
)
def test_elapsed_share(period_end, year, deadline, expected):
    got = elapsed_share(period_end, year, deadline)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("6月底前", date(2022, 6, 30)),
        ("2022年9月30日", date(2022, 9, 30)),
        ("十月", date(2022, 10, 31)),
        ("二季度", date(2022, 6, 30)),
        ("上半年", date(2022, 6, 30)),
        ("年底", date(2022, 12, 31)),
        ("长期坚持", None),
    ],
)
def test_parse_deadline(text, expected):
    assert parse_deadline(text, 2022) == expected


def test_rules_cached_and_overridable():
    assert get_rules() is get_rules(None)
    assert get_rules({"near_miss_share": 0.8}) is get_rules({"near_miss_share": "80%"})
    assert get_rules({"lag_points": 20}).lag_points == pytest.approx(20)
    assert get_rules().lag_points == pytest.approx(15)
    assert (get_rules().yellow_points, get_rules().red_points) == (10, 30)
    assert get_rules().prep_ok_share == pytest.approx(0.5)
    assert get_rules().growth_lag_points == pytest.approx(2.0)
    assert get_rules().indicator_about_tolerance == pytest.approx(0.5)
    r = get_rules()
    assert get_rules(r) is r



@pytest.mark.parametrize("progress", ["按计划有序推进，各项工作正常开展。", "已制定工作方案，正在按时间节点推进，无重大困难。"])
def test_qualitative_indicator_on_course_in_plain_words(progress):
    assert judge_indicator("空气质量完成年度目标任务", progress, period_end=H1).status == IND_ON_COURSE
