"""City roll-up: summaries and ledger statuses of every county, the 回头看总结 workbook."""

import json

import openpyxl
import pandas as pd
import pytest

from helpers import report_tables as F
from hgk_lib.report.city import collect_county_results, write_city_workbook
from hgk_lib.report.ledger import write_county_ledger
from hgk_lib.report.mask import find_unmasked_pii
from hgk_lib.report.summary import build_county_summary, read_json, strip_volatile, write_json_atomic


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("outputs")
    for folder, name in [("441881_英德市", "英德市"), ("441882_连州市", "连州市")]:
        d = root / "2019" / folder
        kw = F.ledger_kwargs(county_folder=folder, county_name=name)
        write_county_ledger(d / f"回头看台账_{name}_2019.xlsx", **kw)
        write_json_atomic(d / "summary.json", build_county_summary(**kw))
    # 连州市 edited its ledger: one done, one bad value with a phone number in it
    path = root / "2019" / "441882_连州市" / "回头看台账_连州市_2019.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["问题清单"]
    ws["N2"], ws["O2"] = "已整改", "已更正"
    ws["N3"] = "问13812345678"
    wb.save(path)
    (root / "2019" / "441821_佛冈县").mkdir()  # a county that failed: no outputs
    (root / "2019" / "市汇总").mkdir()
    return root


def test_summary_json_has_counts_and_no_personal_data(outputs):
    s = read_json(outputs / "2019" / "441881_英德市" / "summary.json")
    assert s["county"] == {"folder": "441881_英德市", "code": "441881", "name": "英德市"}
    assert s["households"]["audited"] == 3 and s["households"]["exited"] == 2
    assert s["people"] == {"audited": 3, "active": 2}
    assert s["verdicts"] == {"返贫": 1, "保持脱贫（限期整改）": 1}
    assert s["findings"]["by_level"] == {"错误": 1, "警告": 2, "政策": 2}
    assert s["findings"]["by_category"]["两不愁三保障"] == 2
    assert s["needs"]["by_type"] == {"未参加基本医疗保险": 1, "饮水不安全": 1}
    assert s["rows"]["member"] == {"rows_read": 4, "rows_loaded": 3, "rows_quarantined": 1}
    assert s["seed"] == 20191130 and s["run"]["time_utc"].startswith("2019-11-30")
    text = (outputs / "2019" / "441881_英德市" / "summary.json").read_text(encoding="utf-8")
    assert find_unmasked_pii(text) == []
    assert "4418810101001" not in text and "张三" not in text
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_rerun_compares_equal_timestamps_aside():
    a = build_county_summary(**F.ledger_kwargs())
    p = F.provenance()
    p["run_time_utc"] = "2019-12-01T09:00:00+00:00"
    b = build_county_summary(**F.ledger_kwargs(provenance=p))
    assert a != b and strip_volatile(a) == strip_volatile(b)


def test_collect_county_results(outputs):
    summaries, status, problems = collect_county_results(outputs, 2019)
    assert [s["county"]["name"] for s in summaries] == ["英德市", "连州市"]
    assert len(status) == 10 and set(status["county"]) == {"英德市", "连州市"}
    lz = status[status["county"] == "连州市"]
    assert lz["status"].tolist()[:2] == ["已整改", "未整改"]
    assert any("缺少 summary.json" in r for r in problems["reason"])
    bad = problems[problems["county"] == "连州市"]
    assert bad[["sheet", "row", "column"]].values.tolist() == [["问题清单", 3, "整改状态"]]


def test_city_workbook(outputs, tmp_path):
    summaries, status, problems = collect_county_results(outputs, 2019)
    path = write_city_workbook(
        tmp_path / "回头看总结_2019.xlsx",
        year=2019,
        summaries=summaries,
        status=status,
        problems=problems,
        run_time="2019-12-01T09:00:00+00:00",
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明", "各县对比", "整改进度", "读回问题", "数据字典"]
    comp = [r for r in wb["各县对比"].iter_rows(values_only=True)]
    assert comp[0] == ("类别", "项目", "英德市", "连州市", "全市")
    rows = {(r[0], r[1]): r[2:] for r in comp[1:]}
    assert rows[("核查结论", "返贫")] == (1, 1, 2)
    assert rows[("整改状态", "已整改")] == (0, 1, 1)
    prog = [r for r in wb["整改进度"].iter_rows(values_only=True)]
    assert prog[0][:6] == ("县（市、区）", "责任部门", "未整改", "整改中", "已整改", "合计")
    city_fpb = [r for r in prog if r[0] == "全市" and r[1] == "扶贫办"][0]
    assert city_fpb[2:6] == (5, 0, 1, 6)
    assert abs(city_fpb[6] - 1 / 6) < 1e-9
    texts = " ".join(str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r)
    assert "问138****5678" in texts and find_unmasked_pii(texts) == []


def test_spot_estimates_mixed_numbers_and_text(outputs, tmp_path):
    summaries, status, problems = collect_county_results(outputs, 2019)
    spot = pd.DataFrame(
        {
            "county": ["英德市", "英德市", "连州市"],
            "item": ["问题比例", "95%区间", "问题比例"],
            "value": [0.125, "=4.1%–25.0%", 0.05],
        }
    )
    path = write_city_workbook(
        tmp_path / "c.xlsx", year=2019, summaries=summaries, status=status, problems=problems, spot_estimates=spot
    )
    ws = openpyxl.load_workbook(path)["各县对比"]
    rows = {(r[0].value, r[1].value): r for r in ws.iter_rows(min_row=2)}
    assert rows[("核查结论", "返贫")][2].value == 1 and rows[("核查结论", "返贫")][2].data_type == "n"
    assert rows[("抽查估计", "问题比例")][2].value == 0.125
    cell = rows[("抽查估计", "95%区间")][2]
    assert cell.value == "=4.1%–25.0%" and cell.data_type == "s" and cell.quotePrefix


def test_formula_like_county_name_in_header_stays_text(tmp_path):
    s = build_county_summary(**F.ledger_kwargs(county_folder="441881_=1+1", county_name="=1+1"))
    path = write_city_workbook(tmp_path / "c.xlsx", year=2019, summaries=[s], status=None, problems=None)
    ws = openpyxl.load_workbook(path)["各县对比"]
    cell = ws.cell(row=1, column=3)
    assert cell.value == "=1+1" and cell.data_type == "s"
