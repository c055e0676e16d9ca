"""Table-driven tests of duban.quantities (Chinese quantity parser)."""
import pytest

from duban.quantities import (
    Quantity,
    Target,
    match,
    parse_number,
    parse_progress,
    parse_quantities,
    parse_targets,
    subject_overlap,
)


# ---------------------------------------------------------------------------
# 1. Single numbers
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("3", 3),
        ("1220", 1220),
        ("1,220", 1220),
        ("0.5", 0.5),
        ("1.2万", 12_000),
        ("3亿", 300_000_000),
        ("2.5亿", 250_000_000),
        ("-19", -19),
        ("－3.1", -3.1),
        ("12%", 12),
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("一百二十", 120),
        ("两千", 2000),
        ("三千五百", 3500),
        ("一千零五", 1005),
        ("二〇二二", 2022),
        ("一万二千", 12_000),
        ("五十万", 500_000),
        ("一亿二千万", 120_000_000),
        ("三点五", 3.5),
        ("一万五", 15_000),
        ("零", 0),
        ("两", 2),
    ],
)
def test_parse_number(text, expected):
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "   ", "abc", "见附件", "若干"])
def test_parse_number_rejects_non_numbers(text):
    assert parse_number(text) is None


# ---------------------------------------------------------------------------
# 2. One quantity: value, unit, kind, qualifier
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, value, unit, kind, qualifier",
    [
        ("引进3支创投基金", 3, "支", "count", "exact"),
        ("新建12个社区食堂", 12, "个", "count", "exact"),
        ("培育3家“专精特新”企业", 3, "家", "count", "exact"),
        ("新增市场主体2万户", 20_000, "户", "count", "exact"),
        ("新增城镇就业3万人", 30_000, "人", "count", "exact"),
        ("引进一百二十名博士", 120, "名", "count", "exact"),
        ("新增十五家规上企业", 15, "家", "count", "exact"),
        ("建成两座污水处理厂", 2, "座", "count", "exact"),
        ("加快建设树人和平小学等4所中小学", 4, "所", "count", "exact"),
        ("打通10条未贯通道路", 10, "条", "count", "exact"),
        ("整治6处地质灾害隐患点", 6, "处", "count", "exact"),
        ("更新新能源公交车200辆", 200, "辆", "count", "exact"),
        ("班列开行4500班以上", 4500, "班", "count", "at_least"),
        ("举办招聘会15场", 15, "场", "count", "exact"),
        ("开展安全检查300余次", 300, "次", "count", "at_least"),
        ("新增550个婴幼儿托位", 550, "个", "count", "exact"),
        ("改造老旧小区住房1200套", 1200, "套", "count", "exact"),
        ("新建公租房3栋", 3, "栋", "count", "exact"),
        ("新增充电桩80台", 80, "台", "count", "exact"),
        ("办理民生实事12件", 12, "件", "count", "exact"),
        ("认定两批次企业", 2, "批", "count", "exact"),
        ("结对帮扶困难家庭20对", 20, "对", "count", "exact"),
        ("新建35公里地下管网", 35, "公里", "amount", "exact"),
        ("建成山城步道30公里", 30, "公里", "amount", "exact"),
        ("新增绿化面积100万平方米", 1_000_000, "平方米", "amount", "exact"),
        ("集约科创空间10万平方米", 100_000, "平方米", "amount", "exact"),
        ("治理修复4万立方米污染土壤", 40_000, "立方米", "amount", "exact"),
        ("推动20平方公里拓展用地落地", 20, "平方公里", "amount", "exact"),
        ("建设高标准农田800亩", 800, "亩", "amount", "exact"),
        ("处置建筑垃圾1.5万吨", 15_000, "吨", "amount", "exact"),
        ("新增光伏装机500千瓦", 500, "千瓦", "amount", "exact"),
        ("确保全年正式签约1000亿元以上", 100_000_000_000, "元", "amount", "at_least"),
        ("完成投资3.2亿元", 320_000_000, "元", "amount", "exact"),
        ("发放创业担保贷款5000万元", 50_000_000, "元", "amount", "exact"),
        ("实现智能产业产值突破2000亿元", 200_000_000_000, "元", "amount", "at_least"),
        ("形成汽车产能规模500亿元", 50_000_000_000, "元", "amount", "exact"),
        ("开工率达70%以上", 70, "%", "percent", "at_least"),
        ("民间投资占比60%以上", 60, "%", "percent", "at_least"),
        ("城市生活垃圾回收利用率达40%", 40, "%", "percent", "exact"),
        ("一窗综办、一网通办达90%以上", 90, "%", "percent", "at_least"),
        ("黄金湾智谷企业入驻率达50%", 50, "%", "percent", "exact"),
        ("失业率控制在4.5%以内", 4.5, "%", "percent", "at_most"),
        ("地区生产总值增长5.5%左右", 5.5, "%", "growth", "about"),
        ("进出口总额增长5%以上", 5, "%", "growth", "at_least"),
        ("物流业增加值增长20%以上", 20, "%", "growth", "at_least"),
        ("技术交易合同登记额增长15%", 15, "%", "growth", "exact"),
        ("同比增长6.2%", 6.2, "%", "growth", "exact"),
        ("同比下降3%", -3, "%", "growth", "exact"),
        ("增长-19%", -19, "%", "growth", "exact"),
        ("增速回落至百分之三点五", 3.5, "%", "percent", "exact"),
        ("单位GDP能耗下降百分之三", -3, "%", "growth", "exact"),
        ("森林覆盖率提高2个百分点", 2, "个百分点", "points", "exact"),
        ("城镇登记失业率下降0.5个百分点", -0.5, "个百分点", "points", "exact"),
        ("完成总工程量的60%", 60, "%", "completion_ratio", "exact"),
        ("完成年度目标的45%", 45, "%", "completion_ratio", "exact"),
        ("已完成年度计划的80%", 80, "%", "completion_ratio", "exact"),
        ("形象进度达到70%", 70, "%", "completion_ratio", "exact"),
        ("确保全年优良天数达306天", 306, "天", "count", "exact"),
        ("约3000人参加", 3000, "人", "count", "about"),
        ("不少于50家", 50, "家", "count", "at_least"),
        ("不低于50家", 50, "家", "count", "at_least"),
        ("新增债务不超过5亿元", 500_000_000, "元", "amount", "at_most"),
        ("引进新型金融机构2", 2, None, "count", "exact"),
        ("农村改厕1220", 1220, None, "count", "exact"),
        ("创建绿色社区63", 63, None, "count", "exact"),
        ("新建5005G基站", 500, None, "count", "exact"),
        ("完成量：9", 9, None, "count", "exact"),
    ],
)
def test_single_quantity(text, value, unit, kind, qualifier):
    qs = parse_quantities(text)
    assert len(qs) == 1, qs
    q = qs[0]
    assert q.value == pytest.approx(value)
    assert q.unit == unit
    assert q.kind == kind
    assert q.qualifier == qualifier


# ---------------------------------------------------------------------------
# 3. Ranges
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, low, high, unit",
    [
        ("建设3-5个示范点", 3, 5, "个"),
        ("建设3至5个示范点", 3, 5, "个"),
        ("培育三至五家龙头企业", 3, 5, "家"),
        ("每年举办2~3场活动", 2, 3, "场"),
        ("打造10—15公里绿道", 10, 15, "公里"),
    ],
)
def test_ranges(text, low, high, unit):
    (q,) = parse_quantities(text)
    assert (q.value, q.high, q.unit, q.qualifier) == (low, high, unit, "at_least")


# ---------------------------------------------------------------------------
# 4. Things that are NOT quantities (dates, ordinals, slogans, labels)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "截至6月30日",
        "2022年1-6月",
        "2022年3月15日",
        "6月底前",
        "三季度末",
        "第二季度",
        "上半年",
        "2022-06-30",
        "提速建设轨道7号线、15号线",
        "青凤高科孵化中心二期",
        "创建国家5A级景区",
        "严格控制PM2.5和臭氧污染",
        "全面推行“一件事一次办”",
        "认真落实中央八项规定精神",
        "实施国企改革三年行动",
        "持续开展“一化两改三不见”专项行动",
        "第一，加强组织领导",
        "建设一批小花园、小步道",
        "深化“放管服”改革",
        "沙府办发〔2022〕12号",
        "召开专题会议研究部署",
        "9:30召开推进会",
        "已经区十九届人大一次会议审议通过",
    ],
)
def test_not_quantities(text):
    assert parse_quantities(text) == []


@pytest.mark.parametrize(
    "text, values",
    [
        ("截至6月30日，已建成3个", [3]),
        ("1-6月，全区新增市场主体1.2万户", [12_000]),
        ("2022年5月，引进创投基金2支", [2]),
        ("6月底前完成招标，已开工2个", [2]),
        ("1—5月累计签约项目36个、金额520亿元", [36, 52_000_000_000]),
        ("上半年开行班列2380班，同比增长12.5%", [2380, 12.5]),
        ("轨道15号线完成投资8.6亿元", [860_000_000]),
        ("截至2022年6月底，共完成农村改厕760户", [760]),
        ("一是引进领军人才4名；二是引进高层次人才96名", [4, 96]),
        ("（一）新增公共停车位2100个。（二）完成道路综合整治60公里。", [2100, 60]),
        ("①建成社区体育公园1个②建成社区健身点12个", [1, 12]),
        ("1.新增停车位3200个；2.完成道路整治58公里", [3200, 58]),
        ("1、新增停车位3200个；2、完成道路整治58公里", [3200, 58]),
        ("(1)拆除违法建筑12万平方米；(2)整治危房0.8万平方米", [120_000, 8_000]),
        ("第一，开行班列2100班，第二，中转货物量增长9%", [2100, 9]),
    ],
)
def test_progress_values_ignore_dates_and_markers(text, values):
    assert [q.value for q in parse_progress(text)] == pytest.approx(values)


# ---------------------------------------------------------------------------
# 5. Targets: subject and verb of every clause
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "task, expected",
    [
        ("引进3支创投基金", [(3, "支", "创投基金", "引进")]),
        ("引育10名领军人才、200名高层次人才",
         [(10, "名", "领军人才", "引育"), (200, "名", "高层次人才", "引育")]),
        ("新增5000个公共停车位，完成125公里道路综合整治",
         [(5000, "个", "公共停车位", "新增"), (125, "公里", "道路综合整治", "完成")]),
        ("新建3个社区体育公园、30个社区健身点",
         [(3, "个", "社区体育公园", "新建"), (30, "个", "社区健身点", "新建")]),
        ("农村改厕1220", [(1220, None, "农村改厕", "")]),
        ("创建绿色社区63", [(63, None, "绿色社区", "创建")]),
        ("新增市场主体2万户", [(20_000, "户", "市场主体", "新增")]),
        ("班列开行4500班以上", [(4500, "班", "班列", "开行")]),
        ("地区生产总值增长5.5%左右", [(5.5, "%", "地区生产总值", "增长")]),
        ("进出口总额增长5%以上", [(5, "%", "进出口总额", "增长")]),
        ("民间投资占比60%以上", [(60, "%", "民间投资占比", "")]),
        ("新建5005G基站，拓展智慧政务、智慧交通等智能化应用", [(500, None, "5G基站", "新建")]),
        ("培育10个产业基地、8家龙头企业",
         [(10, "个", "产业基地", "培育"), (8, "家", "龙头企业", "培育")]),
        ("支持企业“上云用数赋智”，实施15个项目智能化改造，建成3个数字化车间，培育3家“专精特新”企业",
         [(15, "个", "项目智能化改造", "实施"), (3, "个", "数字化车间", "建成"), (3, "家", "专精特新企业", "培育")]),
        ("改造石井坡中心湾等区域100万平方米老旧小区，整治CD级危房2万平方米",
         [(1_000_000, "平方米", "老旧小区", "改造"), (20_000, "平方米", "CD级危房", "整治")]),
        ("建设大学生就业创业孵化中心，新增城镇就业3万人", [(30_000, "人", "城镇就业", "新增")]),
        ("引进机数科技等8家独立法人研发机构、中科川信等20家高新技术企业，孵化科技型企业200",
         [(8, "家", "独立法人研发机构", "引进"), (20, "家", "高新技术企业", "引进"),
          (200, None, "科技型企业", "孵化")]),
        ("增设粮食、水果口岸，进口整车5000辆以上", [(5000, "辆", "整车", "进口")]),
        ("新建2个标准化派出所，深入开展全民反诈", [(2, "个", "标准化派出所", "新建")]),
        ("新改建“四好农村路”50公里", [(50, "公里", "四好农村路", "新改建")]),
        ("引进拓普高端汽车配套基地，形成汽车产能规模500亿元", [(50_000_000_000, "元", "汽车产能规模", "形成")]),
        ("一窗综办、一网通办达90%以上", [(90, "%", "一网通办", "达")]),
        ("建设“两岸青山千里林带”700", [(700, None, "两岸青山千里林带", "建设")]),
    ],
)
def test_targets_subject_and_verb(task, expected):
    got = [(t.value, t.unit, t.subject, t.verb) for t in parse_targets(task)]
    assert got == [(pytest.approx(v), u, s, vb) for v, u, s, vb in expected]


@pytest.mark.parametrize(
    "task, labels",
    [
        ("新建12个社区食堂", ["新建12个社区食堂"]),
        ("新建3个社区体育公园、30个社区健身点", ["新建3个社区体育公园", "新建30个社区健身点"]),
        ("新增5000个公共停车位，完成125公里道路综合整治", ["新增5000个公共停车位", "完成125公里道路综合整治"]),
        ("地区生产总值增长5.5%左右", ["地区生产总值增长5.5%左右"]),
        ("新增市场主体2万户", ["新增市场主体2万户"]),
    ],
)
def test_target_labels(task, labels):
    assert [t.label for t in parse_targets(task)] == labels


@pytest.mark.parametrize(
    "task",
    [
        "空气质量完成年度目标任务",
        "节能减排降碳完成年度目标任务",
        "推动四川外国语大学新校区建设",
        "全面推行“一件事一次办”，制定“零跑腿”清单",
        "认真落实中央八项规定精神及其实施细则，大兴实干之风",
        "深化“六治融合”“五社联动”，推进基层减负赋能",
        "提速建设轨道7号线、15号线、17号线、27号线",
    ],
)
def test_qualitative_tasks_have_no_targets(task):
    assert parse_targets(task) == []


def test_targets_are_target_instances_with_index():
    ts = parse_targets("新建3个社区体育公园、30个社区健身点")
    assert all(isinstance(t, Target) and isinstance(t, Quantity) for t in ts)
    assert [t.index for t in ts] == [0, 1]


def test_span_points_at_number_text():
    text = "截至6月30日，累计新增市场主体1.2万户"
    (q,) = parse_progress(text)
    assert text[q.span[0]:q.span[1]] == q.text == "1.2万户"


# ---------------------------------------------------------------------------
# 6. Progress flags: cumulative, period figures, parts
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, flags",
    [
        ("本月新建2个，累计建成8个", [(2, False, True), (8, True, False)]),
        ("累计完成投资5.6亿元", [(560_000_000, True, False)]),
        ("共引进创投基金2支", [(2, True, False)]),
        ("当月新增市场主体1800户，累计新增1.1万户", [(1800, False, True), (11_000, True, False)]),
        ("新建社区食堂5个", [(5, False, False)]),
    ],
)
def test_cumulative_and_period_flags(text, flags):
    assert [(q.value, q.cumulative, q.period_only) for q in parse_progress(text)] == flags


@pytest.mark.parametrize(
    "text, parts",
    [
        ("①建成社区体育公园1个；②建成社区健身点12个", [1, 2]),
        ("一是新增停车位3200个；二是完成道路整治58公里", [1, 2]),
        ("（一）引进领军人才4名。（二）引进高层次人才96名。", [1, 2]),
        ("新增停车位3200个，完成道路整治58公里", [0, 0]),
    ],
)
def test_numbered_parts(text, parts):
    assert [q.part for q in parse_progress(text)] == parts


@pytest.mark.parametrize(
    "text, subject",
    [
        ("社区健身点已建成18个", "社区健身点"),
        ("已引进创投基金2支", "创投基金"),
        ("新增公共停车位3200个", "公共停车位"),
        ("完成道路综合整治68公里", "道路综合"),
        ("全区地区生产总值同比增长4.2%", "地区生产总值"),
        ("进出口总额完成120亿元，同比下降3.1%", "进出口总额"),
        ("陈家桥滨河公园完成总工程量的60%", "陈家桥滨河公园"),
    ],
)
def test_progress_subjects(text, subject):
    assert parse_progress(text)[-1].subject == subject


# ---------------------------------------------------------------------------
# 7. Matching targets to reported quantities
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "task, progress, expected",
    [
        ("引进3支创投基金", "已引进创投基金2支", ["2支"]),
        ("新建12个社区食堂", "截至6月30日，已建成3个", ["3个"]),
        ("引育10名领军人才、200名高层次人才",
         "一是引进高层次人才96名；二是引育领军人才4名", ["4名", "96名"]),
        ("新增5000个公共停车位，完成125公里道路综合整治",
         "①完成道路综合整治68公里；②新增公共停车位3200个", ["3200个", "68公里"]),
        ("新建3个社区体育公园、30个社区健身点",
         "社区健身点已建成18个，社区体育公园完工1个", ["1个", "18个"]),
        ("新建3个社区体育公园、30个社区健身点", "社区健身点已建成18个", [None, "18个"]),
        ("农村改厕1220", "已完成农村改厕850户", ["850户"]),
        ("新增市场主体2万户", "1-6月新增市场主体1.2万户，同比增长8%", ["1.2万户"]),
        ("班列开行4500班以上", "上半年开行班列2380列", ["2380列"]),
        ("确保全年正式签约1000亿元以上，开工率达70%以上",
         "累计正式签约项目45个、签约金额620亿元，开工率65%", ["620亿元", "65%"]),
        ("地区生产总值增长5.5%左右", "实现地区生产总值620亿元，同比增长4.2%", ["4.2%"]),
        ("进出口总额增长5%以上", "进出口总额同比下降3.1%", ["3.1%"]),
        ("新建12个社区食堂", "本月新建2个，累计建成8个", ["8个"]),
        ("新建12个社区食堂", "已建成3个养老服务中心", [None]),
        ("新建12个社区食堂", "开展助餐服务3000人次", [None]),
        ("引进3支创投基金", "截至6月30日", [None]),
        ("新建12个社区食堂", "社区食堂项目完成总工程量的60%", ["60%"]),
        ("技术交易合同登记额增长15%", "技术交易合同登记额同比增长8%", ["8%"]),
        ("民间投资占比60%以上", "民间投资占比为62.3%", ["62.3%"]),
        ("新增城镇就业3万人", "新增城镇就业1.6万名", ["1.6万名"]),
        ("引进3支创投基金", "已引进创投基金两支", ["两支"]),
        ("培育10个产业基地、8家龙头企业", "培育龙头企业5家，产业基地6个", ["6个", "5家"]),
    ],
)
def test_match(task, progress, expected):
    ms = match(parse_targets(task), parse_progress(progress))
    assert [m.quantity.text if m.quantity else None for m in ms] == expected


def test_match_reports_ratio_and_note():
    (m,) = match(parse_targets("新建12个社区食堂"), parse_progress("已建成3个"))
    assert m.matched and m.ratio == pytest.approx(0.25)
    (n,) = match(parse_targets("新建12个社区食堂"), parse_progress("已建成3个养老服务中心"))
    assert not n.matched and n.ratio is None and "未找到" in n.note


def test_match_growth_gap():
    (m,) = match(parse_targets("地区生产总值增长5.5%左右"), parse_progress("同比增长4.2%"))
    assert m.gap == pytest.approx(-1.3)


def test_match_completion_ratio():
    (m,) = match(parse_targets("新建12个社区食堂"), parse_progress("完成年度目标的45%"))
    assert m.quantity.kind == "completion_ratio" and m.ratio == pytest.approx(0.45)


@pytest.mark.parametrize(
    "a, b, low, high",
    [
        ("社区体育公园", "社区体育公园", 0.99, 1.0),
        ("社区体育公园", "社区健身点", 0.0, 0.3),
        ("创投基金", "已引进创投基金", 0.99, 1.0),
        ("领军人才", "高层次人才", 0.2, 0.6),
        ("", "任何文字", 0.0, 0.0),
    ],
)
def test_subject_overlap(a, b, low, high):
    assert low <= subject_overlap(a, b) <= high


def test_robust_on_odd_input():
    for text in ["", None, "％％", "——", "1", "万", "亿元", "第", "①②③", "5G", "3-", "-", "增长%"]:
        assert isinstance(parse_targets(text), list)
        assert isinstance(parse_progress(text), list)
    assert parse_targets(None) == [] and parse_progress("") == []


@pytest.mark.parametrize("text, phrases", [
    ("3个项目已开工", ["3个"]),
    ("12个社区食堂已投入使用，另有2个在建", ["12个", "另有2个"]),
    ("5000个公共停车位已建成3200个", None),  # a number opening the text is read like any other
])
def test_number_opening_the_progress_text(text, phrases):
    got = [q.phrase for q in parse_progress(text)]
    assert got and got[0].startswith(text[0])
    if phrases:
        assert got == phrases


def test_number_opening_the_task_text():
    assert [t.label for t in parse_targets("12个社区食堂")] == ["12个社区食堂"]
