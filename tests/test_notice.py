"""Importing the published notice: counts, unit splits, other input forms, bad input."""

import pytest

from duban.demo import sample_notice
from duban.errors import NoticeError
from duban.model import normalize_parens
from duban.notice import read_notice


@pytest.fixture(scope="module")
def notice():
    return read_notice(sample_notice())


def test_counts(notice):
    assert len(notice.indicators) == 10
    assert len(notice.tasks) == 131
    assert [t.id for t in notice.tasks] == list(range(1, 132))
    assert all(t.category for t in notice.tasks)
    assert notice.year == 2022


def test_categories(notice):
    by_id = {t.id: t for t in notice.tasks}
    assert by_id[1].category == "联动共建科学城"
    assert by_id[5].category == "建好环大学创新生态圈"
    assert by_id[5].task == "建成智慧创新产业园"
    assert by_id[6].task == "大力发展绿色智能建筑产业"
    assert by_id[51].category == "高水平更新东部老城"
    assert by_id[51].task == "规范歌乐山磁器口等景区周边秩"  # the source's own truncation, kept
    assert by_id[131].category == "筑牢廉洁底线"
    assert len({t.category for t in notice.tasks}) == 28


def _raw_rows():
    """Each task row's cells straight from the text: an independent reading for the join check."""
    text = sample_notice().read_text(encoding="utf-8")
    body = text[text.index("重点工作任务分解表", text.index("附件2") + 3):]
    lines = [l.strip() for l in body.splitlines() if l.strip()]
    start = lines.index("1")
    rows, cur = {}, None
    for line in lines[start:]:
        nxt = (cur or 0) + 1
        if line == str(nxt):
            cur = nxt
            rows[cur] = []
        else:
            rows[cur].append(line)
    return rows


def test_join_gives_back_source(notice):
    raw = _raw_rows()
    assert len(raw) == 131
    for t in notice.tasks:
        units = normalize_parens("".join(t.lead) + "".join(t.coop))
        row = normalize_parens("".join(raw[t.id]))
        assert row.endswith(units), (t.id, units)
        # the units are exactly what follows the task text in the row
        assert row[: len(row) - len(units)].endswith(normalize_parens(t.task)), t.id


def test_indicator_units(notice):
    assert [i.units for i in notice.indicators][:3] == [["区发展改革委"], ["区发展改革委"], ["区经济信息委"]]
    assert notice.indicators[8].target == "空气质量完成年度目标任务"


SPLITS = [
    # (task id, lead, coop) — checked by hand against the published notice
    (1, ["区科技局"], ["区发展改革委", "区商务委（区招商中心）", "区属国有重点企业"]),
    (2, ["国际物流枢纽公司", "工投公司"], ["区住房城乡建委"]),
    (3, ["区科技局（科学城建设领导小组办公室）"], ["科学城建设领导小组成员单位"]),
    (4, ["区科技局"], ["区发展改革委", "区教委", "区经济信息委", "区财政局", "区商务委（区招商中心）", "区属国有重点企业"]),
    (5, ["旭辰集团公司"], []),
    (7, ["区科技局"], ["区发展改革委", "区经济信息委", "区财政局", "区卫生健康委", "区科协", "工投公司"]),
    (8, ["回龙坝镇"], ["区教委"]),
    (10, ["区科技局"], ["区财政局（区金融办）", "区商务委（区招商中心）"]),
    (11, ["区委组织部（区人才办）", "区人力社保局"], ["区科技局", "区经济信息委", "区商务委（区招商中心）", "区科协", "区属国有重点企业"]),
    (13, ["区科协", "区科技局"], ["区教委", "区财政局", "区农业农村委", "区卫生健康委", "区应急局", "区级有关部门"]),
    (14, ["区经济信息委", "旭辰集团公司"], ["磁器口古镇管委会"]),
    (23, ["区经济信息委"], ["区工投公司"]),
    (24, ["区商务委"], ["区文化旅游委", "三峡广场商圈管委会", "磁器口古镇管委会", "国际物流枢纽公司"]),
    (25, ["区住房城乡建委", "西站管委会"], ["区规划自然资源局"]),
    (27, ["磁器口古镇管委会5A景区创建工作领导小组办公室）", "区文化旅游委"], ["区商务委", "区农业农村委"]),
    (43, ["区住房城乡建委", "区城管局"], ["区属国有重点企业", "各有关镇街"]),
    (46, ["区城管局（区整违办）"], ["违法建筑专项整治工作领导小组成员单位", "生活垃圾分类工作领导小组成员单位", "各镇街"]),
    (47, ["区住房城乡建委"], ["区发展改革委", "双碑街道", "石井坡街道"]),
    (50, ["区城管局", "区公安分局", "覃家岗街道", "渝碚路街道", "新桥街道", "土湾街道"], ["区卫生健康委", "区市场监管局"]),
    (52, ["区住房城乡建委", "区公安分局", "城投公司"], ["三峡广场商圈管委会"]),
    (71, ["中梁镇", "歌乐山街道", "丰文街道"], ["区农业农村委", "区级有关部门"]),
    (78, ["区交通局"], ["青木关镇", "凤凰镇"]),
    (80, ["区生态环境局"], ["区住房城乡建委", "区城管局", "区气象局", "各行业主管部门", "各镇街"]),
    (97, ["区卫生健康委", "旭辰集团公司"], []),
    (99, ["区人民防空办", "国际物流枢纽公司"], ["区文化旅游委", "团区委", "区妇联", "区科协", "陈家桥街道"]),
    (106, ["区国资委"], ["区属国有企业", "企业改革领导小组成员单位"]),
    (107, ["区财政局（区金融办）"], ["区发展改革委", "区住房城乡建委（区征收中心）", "区商务委", "区国资委", "区机关事务局",
                               "区征地事务中心（区土储中心）", "区规划自然资源局", "区市场监管局", "区税务局", "区属国有重点企业"]),
    (114, ["区政务服务办（区公共资源交易监管局）"], []),
    (117, ["区政府办公室"], ["区纪委监委机关（区委巡察办）", "区委组织部", "区级各部门", "各镇街"]),
    (120, ["区委编办", "区司法局"], ["各行政执法单位", "区级有关部门", "各镇街"]),
    (125, ["区纪委监委机关", "区政府办公室"], ["区级各部门", "各镇街"]),
    (127, ["区委组织部（区人才办）", "区人力社保局"], ["干部教育培训工作联席会议成员单位"]),
]


@pytest.mark.parametrize("tid,lead,coop", SPLITS, ids=[str(s[0]) for s in SPLITS])
def test_hand_checked_split(notice, tid, lead, coop):
    t = {t.id: t for t in notice.tasks}[tid]
    assert (t.lead, t.coop) == (lead, coop)


def test_uncertain_boundaries_are_flagged(notice):
    by_id = {t.id: t for t in notice.tasks}
    for tid in (10, 19, 24, 30, 46, 105):
        assert any("分界无法从文本确定" in f for f in by_id[tid].flags), tid
    # a clean two-cell row carries no flag
    assert by_id[1].flags == []
    # the source's missing "(" is flagged, not silently repaired
    assert any("括号不配对" in f for f in by_id[27].flags)
    assert any(p.startswith("任务27：") for p in notice.problems)


def test_empty_coop_cell_is_read_from_blank_lines(notice):
    by_id = {t.id: t for t in notice.tasks}
    for tid in (5, 9, 39, 60, 63, 85, 114, 115):
        assert by_id[tid].coop == [] and by_id[tid].flags == [], tid


def test_parentheses_normalised(notice):
    names = [u for t in notice.tasks for u in t.lead + t.coop]
    assert not any("(" in n or ")" in n for n in names)
    assert "区商务委（区招商中心）" in names


# --- bad input -------------------------------------------------------------------

def test_empty_file(tmp_path):
    p = tmp_path / "空.txt"
    p.write_bytes(b"")
    with pytest.raises(NoticeError, match="空文件"):
        read_notice(p)


def test_binary_file(tmp_path):
    p = tmp_path / "图片.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(NoticeError, match="不是文本文件"):
        read_notice(p)


def test_xlsx_that_is_not_a_notice(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "电话"])
    wb.active.append(["张三", "123"])
    p = tmp_path / "通讯录.xlsx"
    wb.save(p)
    with pytest.raises(NoticeError, match="没有找到任务分解表"):
        read_notice(p)


def test_text_without_tables(tmp_path):
    p = tmp_path / "n.txt"
    p.write_text("关于印发2022年工作要点的通知\n\n各单位：\n\n请认真贯彻落实。\n", encoding="utf-8")
    with pytest.raises(NoticeError, match="没有找到表格"):
        read_notice(p)


def test_table_cut_off_mid_row(tmp_path):
    text = sample_notice().read_text(encoding="utf-8")
    cut = text[: text.rindex("深化“以案四说”")] + "深化“以案四说”“以案四改”廉政教育\n"
    p = tmp_path / "cut.txt"
    p.write_text(cut, encoding="utf-8")
    with pytest.raises(NoticeError, match=r"第 131 行缺少牵头单位"):
        read_notice(p)


def test_indicator_row_missing_cell(tmp_path):
    text = sample_notice().read_text(encoding="utf-8")
    broken = text.replace("工业增加值增长7%左右\n\n区经济信息委\n", "工业增加值增长7%左右\n")
    p = tmp_path / "missing.txt"
    p.write_text(broken, encoding="utf-8")
    with pytest.raises(NoticeError, match=r"预期目标表第 3 行不完整"):
        read_notice(p)


def test_gbk_text_is_read(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes(sample_notice().read_text(encoding="utf-8").encode("gb18030"))
    assert len(read_notice(p).tasks) == 131
