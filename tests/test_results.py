"""hgk_lib.results: a county's saved results are typed, carry item ids, and refuse a manifest of another contract or
version in Chinese; the ledger's 问题编号 is the findings' item id and 整改状态 carries over on it."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hgk_lib import results as RS
from hgk_lib.items import item_ids


def _findings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "county": ["441881_英德市"] * 3,
            "rule_id": ["R05", "R05", "R37"],
            "rule_name": "x",
            "level": "错误",
            "department": "扶贫办",
            "unit": "人",
            "part": [None, None, "a"],
            "hh_id": ["H1", "H2", "H2"],
            "person_id": ["P1", "P2", None],
            "project_id": None,
            "year": [None, None, 2019.0],
            "source_row": [3, 4, 9],
            "category": None,
            "columns": ["证件号码", "证件号码", "工资性收入"],
            "values": ["441881199001011234", 12, None],
            "message": ["m1", "m2", "m3"],
            "exit_status": "已脱贫",
        }
    )


def _tables() -> dict[str, pd.DataFrame]:
    county = "441881_英德市"
    verdicts = pd.DataFrame(
        {"hh_id": ["H1", "H2"], "verdict": ["保持脱贫", "返贫"], "active_n": [3, 2], "income_pc": [9000.5, 3000.0]}
    )
    needs = pd.DataFrame(
        {
            "hh_id": ["H2"],
            "person_id": ["P2"],
            "problem_type": ["住房不安全（未改造）"],
            "department": ["住建局"],
            "evidence": ["x"],
            "deadline": [pd.Timestamp("2020-06-30")],
            "resolvable": [False],
        }
    )
    classes = pd.DataFrame(
        {
            "hh_id": ["H1", "H2"],
            "labour_class": ["有劳动能力", "无劳动能力"],
            "recommended": ["产业", "兜底"],
            "measures_this_year": ["产业", ""],
            "match": [True, False],
            "quality": ["A", "B"],
        }
    )
    return {
        "findings": RS.with_item_ids("findings", _findings(), county),
        "verdicts": RS.with_item_ids("verdicts", verdicts, county),
        "needs": RS.with_item_ids("needs", needs, county),
        "classes": RS.with_item_ids("classes", classes, county),
    }


@pytest.fixture
def saved(tmp_path):
    d = tmp_path / "2019" / "441881_英德市"
    RS.save_results(d, _tables(), county="441881_英德市", year=2019, input_sha256="a" * 64, params_sha256="b" * 64)
    return d


def test_every_table_is_saved_typed_and_read_back_with_its_columns(saved):
    got = RS.read_results(saved)
    assert set(got) == set(RS.TABLES)
    for name, spec in RS.TABLES.items():
        assert list(got[name].columns) == list(spec), name
    f = got["findings"]
    assert str(f["year"].dtype) == "Int64" and f["year"].tolist()[2] == 2019
    assert f["values"].tolist() == ["441881199001011234", "12", None]  # mixed values saved as text, blanks blank
    assert str(got["needs"]["deadline"].dtype) == "datetime64[ns]"
    assert str(got["needs"]["resolvable"].dtype) == "boolean"
    assert got["verdicts"]["income_pc"].tolist() == [9000.5, 3000.0]
    assert got["dynamic"].empty and list(got["dynamic"].columns) == list(RS.TABLES["dynamic"])
    m = json.loads((saved / "results" / "manifest.json").read_text(encoding="utf-8"))
    assert m["contract_version"] == RS.CONTRACT_VERSION and m["input_sha256"] == "a" * 64
    assert m["params_sha256"] == "b" * 64 and m["tables"]["findings"]["rows"] == 3
    assert m["tables"]["findings"]["columns"]["year"] == "int"


def test_item_ids_are_the_campaign_ids_of_hgk_lib_items(saved):
    f = RS.read_result(saved, "findings")
    expected = item_ids(_findings().rename(columns={"columns": "field"}), "规则", _findings()["rule_id"])
    assert f["item_id"].tolist() == expected.tolist()
    assert f["item_id"].str.match(r"^R\d\d-[0-9a-f]{16}$").all()
    v = RS.read_result(saved, "verdicts")
    assert v["item_id"].str.startswith("SR-").all()
    assert RS.read_result(saved, "needs")["item_id"].str.startswith("BZ-").all()
    cl = RS.read_result(saved, "classes")
    assert cl["item_id"].isna().tolist() == [True, False]  # only the household whose measures do not match
    assert cl["item_id"].iloc[1].startswith("FL-")


def test_the_item_id_ignores_where_the_finding_sits_in_the_file():
    moved = _findings().assign(source_row=[30, 40, 90])
    a = RS.with_item_ids("findings", _findings(), "441881_英德市")["item_id"]
    b = RS.with_item_ids("findings", moved, "441881_英德市")["item_id"]
    assert a.tolist() == b.tolist()


@pytest.mark.parametrize(
    "change, words",
    [
        ({"contract_version": RS.CONTRACT_VERSION - 1}, "旧版本"),
        ({"contract_version": RS.CONTRACT_VERSION + 1}, "新版本"),
        ({"contract": "something-else"}, "格式不符"),
    ],
)
def test_an_older_newer_or_foreign_manifest_is_refused_in_chinese(saved, change, words):
    path = saved / "results" / "manifest.json"
    m = json.loads(path.read_text(encoding="utf-8"))
    m.update(change)
    path.write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(RS.ResultsError, match=words):
        RS.read_results(saved)
    with pytest.raises(RS.ResultsError):
        RS.read_result(saved, "findings")


def test_missing_results_say_which_command_writes_them(tmp_path):
    with pytest.raises(RS.ResultsError, match="hgk audit 或 hgk check"):
        RS.read_results(tmp_path / "2019" / "441881_英德市")


def test_a_table_that_does_not_match_its_manifest_is_refused(saved):
    pd.DataFrame({"x": [1]}).to_parquet(saved / "results" / "verdicts.parquet")
    with pytest.raises(RS.ResultsError, match="verdicts"):
        RS.read_result(saved, "verdicts")


def test_the_ledger_numbers_problems_with_the_item_id_and_carries_status_over_on_it(tmp_path):
    from hgk_lib.report import ledger as L

    f = _tables()["findings"]
    from hgk_lib.params import load_params

    problems = L.problem_list(
        f, None, pd.DataFrame(columns=["hh_id", "person_id", "problem_type", "deadline"]), load_params(year=2019), 2019
    )
    assert sorted(problems["finding_key"]) == sorted(f["item_id"])
    prev = pd.DataFrame(
        {"finding_key": [f["item_id"].iloc[2]], "status": ["已整改"], "note": ["已核实"], "status_valid": [True]}
    )
    kept = L.apply_carry_over(problems, prev).set_index("finding_key")
    assert kept.loc[f["item_id"].iloc[2], "status"] == "已整改"
    assert kept.loc[f["item_id"].iloc[0], "status"] == L.STATUS_DEFAULT


def test_the_risk_package_reads_saved_results_and_never_imports_the_county_run():
    from pathlib import Path

    import hgk_lib.risk as risk

    src = {p.name: p.read_text(encoding="utf-8") for p in Path(risk.__file__).parent.glob("*.py")}
    bad = {
        n
        for n, text in src.items()
        if "hgk_lib.pipeline" in text or "..pipeline" in text or "orchestrate" in text or "process_county" in text
    }
    assert bad == set()
    assert "read_results" in src["cli.py"]


def test_the_features_table_is_the_risk_models_columns():
    from hgk_lib.risk.features import FEATURES, GROUP_COLUMNS

    assert list(RS.TABLES["features"]) == ["hh_id", *FEATURES, *GROUP_COLUMNS]
