"""workbook/督办主表_2022示例.xlsm is what workbook/make_sample.py builds today:
same data (the model as `duban export` gives it), same VBA modules, same
buttons, same xlwings.conf."""
import importlib.util
import json
from pathlib import Path

from click.testing import CliRunner
from test_xlsm import buttons_in

from duban.cli import cli
from duban.xlsetup import read_conf, vba_modules

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("make_sample", REPO / "workbook" / "make_sample.py")
make_sample = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_sample)


def export(path: Path) -> dict:
    r = CliRunner().invoke(cli, ["export", str(path)])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_sample_master_is_current(tmp_path):
    committed = make_sample.SAMPLE
    stale = f"{committed.relative_to(REPO)} is out of date: run `{make_sample.COMMAND}` and commit the result"
    assert committed.is_file(), stale
    fresh = make_sample.build_sample(tmp_path / committed.name)
    assert export(committed) == export(fresh), stale
    assert vba_modules(committed) == vba_modules(fresh), stale
    assert buttons_in(committed, "说明") == buttons_in(fresh, "说明"), stale
    assert read_conf(committed) == read_conf(fresh), stale
    assert export(committed)["current_period"] == "1-6月"
