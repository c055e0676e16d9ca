"""The cell functions, called as plain Python (no Excel here), including bad arguments."""
import datetime as dt

import pytest

from duban.xl import udfs


def test_status_and_reason():
    assert udfs.DUBAN_STATUS("新建12个社区食堂", "已建成3个", "2022-06-30") == "推进较为滞后"
    reason = udfs.DUBAN_REASON("新建12个社区食堂", "已建成3个", dt.date(2022, 6, 30))
    assert "已建成3个" in reason and "25%" in reason


def test_excel_serial_date_and_datetime():
    # 44742 is 2022-06-30 as an Excel serial number
    assert udfs.DUBAN_STATUS("新建12个社区食堂", "已建成3个", 44742) == "推进较为滞后"
    assert udfs.DUBAN_STATUS("新建12个社区食堂", "已建成3个", dt.datetime(2022, 6, 30)) == "推进较为滞后"


def test_targets():
    assert udfs.DUBAN_TARGETS("新建3个社区体育公园、30个社区健身点") == "新建3个社区体育公园；新建30个社区健身点"
    assert udfs.DUBAN_TARGETS("依法开展政务公开") == "（无量化目标）"


def test_indicator():
    assert udfs.DUBAN_INDICATOR("地区生产总值增长5.5%左右", 5.3) == "符合预期"
    assert udfs.DUBAN_INDICATOR("地区生产总值增长5.5%左右", "同比增长4.1%") == "不达预期"
    assert udfs.DUBAN_INDICATOR("空气质量完成年度目标任务", "优良天数符合时序进度") == "符合时间节点要求"


@pytest.mark.parametrize("args,expected", [
    ((None, None), "未报送"),
    (("", ""), "未报送"),
    ((12345, 678.0, "2022-06-30"), None),  # numbers instead of text: judged as text, no crash
    (([["新建12个社区食堂"]], [["已建成3个"]], "2022-06-30"), "推进较为滞后"),  # a one-cell range
])
def test_odd_arguments(args, expected):
    out = udfs.DUBAN_STATUS(*args)
    assert isinstance(out, str) and not out.startswith("#DUBAN!")
    if expected:
        assert out == expected


@pytest.mark.parametrize("fn,args,msg", [
    (udfs.DUBAN_STATUS, ([["甲", "乙"]], "进展"), "不是一个区域"),
    (udfs.DUBAN_REASON, ("任务", "进展", "明天"), "不是日期"),
    (udfs.DUBAN_TARGETS, ([["甲"], ["乙"]],), "不是一个区域"),
    (udfs.DUBAN_INDICATOR, ("增长5%", [[1, 2]]), "不是一个区域"),
])
def test_bad_arguments_come_back_as_text(fn, args, msg):
    out = fn(*args)
    assert out.startswith("#DUBAN!") and msg in out


def test_follows_xlwings_udf_conventions():
    """xw.func is a no-op off Windows, so check what xlwings will inspect there."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(udfs))
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("DUBAN_")}
    assert set(funcs) == {"DUBAN_STATUS", "DUBAN_REASON", "DUBAN_TARGETS", "DUBAN_INDICATOR"}
    for name, node in funcs.items():
        decos = [ast.unparse(d) for d in node.decorator_list]
        assert decos[0] == "xw.func" and decos[-1] == "_safe", name
        sig = inspect.signature(getattr(udfs, name))  # follows functools.wraps to the real one
        # xlwings refuses keyword-only arguments and needs defaults only at the end
        assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in sig.parameters.values()), name
        documented = {ast.unparse(d).split("(")[1].split(",")[0].strip("'\"") for d in node.decorator_list
                      if ast.unparse(d).startswith("xw.arg")}
        assert documented == set(sig.parameters), name
