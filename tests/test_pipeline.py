"""hgk_lib.orchestrate (paths, processed, county, checks): paths that resolve the same from the repo root and notebooks/, refused county names,
freshness of processed data, the R09 index, one county end to end in-process, and ``hgk check``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from hgk_lib.io.safe import write_parquet_atomic
from hgk_lib.orchestrate import checks as K
from hgk_lib.orchestrate import county as C
from hgk_lib.orchestrate import paths as P
from hgk_lib.orchestrate import processed as PR
from hgk_lib.errors import InputError

from helpers.paths import FIXTURE, PARAMS, ROOT, fixture_counties  # noqa: F401


# ---------------------------------------------------------------------------------------------------------------
# paths and names
# ---------------------------------------------------------------------------------------------------------------
def test_relative_paths_resolve_the_same_from_repo_root_and_notebooks(monkeypatch):
    monkeypatch.chdir(ROOT)
    from_root = P.resolve_path("tests/fixtures/export/2019")
    monkeypatch.chdir(ROOT / "notebooks")
    from_notebooks = P.resolve_path("tests/fixtures/export/2019")
    assert from_root == from_notebooks == ROOT / "tests" / "fixtures" / "export" / "2019"


def test_relative_paths_outside_the_repo_resolve_against_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert P.resolve_path("out") == tmp_path.resolve() / "out"
    assert P.resolve_path(tmp_path / "x") == tmp_path / "x"
    assert P.resolve_path(None) is None


@pytest.mark.parametrize(
    "bad",
    [
        "../441825_连山",
        "/etc/passwd",
        "441825_连山/../../x",
        "441825_连山\\x",
        "..",
        "",
        " 441825_连山",
        "441825_连山\n",
        "连山",
        "4418_连山",
        "441825_",
        "441825_a.b",
        "441825_连山;rm",
    ],
)
def test_odd_county_names_are_refused(bad):
    with pytest.raises(InputError):
        P.check_county(bad)


@pytest.mark.parametrize("good", ["441825_连山壮族瑶族自治县", "441881_英德市", "441802_清城区", "441803_Test-1"])
def test_plain_county_folder_names_are_accepted(good):
    assert P.check_county(good) == good
    assert P.county_name(good) == good.split("_", 1)[1]


def test_outputs_never_leave_the_output_root(tmp_path):
    d = P.county_output_dir(tmp_path, 2019, "441881_英德市")
    assert d == tmp_path / "2019" / "441881_英德市"
    with pytest.raises(InputError):
        P.county_output_dir(tmp_path, 2019, "../441881_英德市")
    with pytest.raises(InputError):
        P.safe_path(tmp_path, "..", "x")
    names = P.output_names("441881_英德市", 2019)
    assert names["ledger"] == "回头看台账_英德市_2019.xlsx"
    assert names["html"] == "回头看报告_英德市_2019.html"


def test_process_county_refuses_a_traversing_county_before_reading_anything(tmp_path):
    with pytest.raises(InputError, match="县目录名无效"):
        C.process_county(tmp_path, "../../etc", 2019, PARAMS, output_root=tmp_path)


def test_input_hash_changes_with_content_and_ignores_hidden_and_lock_files(tmp_path):
    (tmp_path / "贫困户信息.csv").write_text("户编号\n1\n", encoding="utf-8")
    h1 = P.input_hash(tmp_path)
    (tmp_path / ".DS_Store").write_text("x")
    (tmp_path / "~$贫困户信息.xlsx").write_text("lock")
    assert P.input_hash(tmp_path) == h1
    (tmp_path / "贫困户信息.csv").write_text("户编号\n2\n", encoding="utf-8")
    assert P.input_hash(tmp_path) != h1


def test_parquet_writer_accepts_mixed_object_columns(tmp_path):
    df = pd.DataFrame({"values": ["a", 1, None, 2.5], "n": [1, 2, 3, 4]})
    write_parquet_atomic(df, tmp_path / "x.parquet")
    back = pd.read_parquet(tmp_path / "x.parquet")
    assert list(back["values"].astype(object).where(back["values"].notna(), None)) == ["a", "1", None, "2.5"]
    assert not list(tmp_path.glob(".*tmp*"))


# ---------------------------------------------------------------------------------------------------------------
# with the committed fixture export
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def city(tmp_path_factory):
    fixture_counties()  # fails when the committed export is missing
    tmp = tmp_path_factory.mktemp("pipeline")
    data = tmp / "export"
    shutil.copytree(FIXTURE, data)
    out = tmp / "outputs"
    info = PR.prepare_city(data, 2019, P.default_processed_root(out))
    return {"data": data, "out": out, "info": info}


def test_prepare_city_writes_processed_data_and_the_r09_index(city):
    info = city["info"]
    assert info["counties"] == fixture_counties()
    assert not info["failed"]
    # the partitioned R09 index (hgk_lib.idindex): every county's slice, joined per partition
    index = pd.concat(pd.read_parquet(f) for f in info["index"].glob("ids/p=*/*.parquet"))
    assert set(index["county"]) == set(fixture_counties())
    assert {"id18", "hh_id", "person_id", "id_no", "id_type", "member_status"} <= set(index.columns)
    assert list(info["index"].glob("hits/p=*.parquet"))
    # a second call loads nothing (fresh by input hash)
    again = PR.prepare_city(city["data"], 2019, P.default_processed_root(city["out"]))
    assert again["loaded"] == []


def test_changed_input_makes_processed_data_stale(city, tmp_path):
    data = tmp_path / "export"
    shutil.copytree(city["data"], data)
    proot = tmp_path / "proc"
    PR.prepare_city(data, 2019, proot)
    c = fixture_counties()[0]
    f = sorted(p for p in (data / c).iterdir() if p.is_file())[0]
    f.write_bytes(f.read_bytes() + b"\n")
    again = PR.prepare_city(data, 2019, proot)
    assert again["loaded"] == [c]


def test_process_county_runs_rules_with_the_other_counties_and_writes_outputs(city):
    c, other = fixture_counties()
    run = C.process_county(city["data"], c, 2019, PARAMS, output_root=city["out"])
    assert run.others == [other]
    assert run.provenance["county"] == c and run.provenance["input_hash"] == run.input_hash
    r09 = run.rule_summary.set_index("rule_id").loc["R09", "status"]
    assert r09 == "已运行"
    paths = C.write_county_outputs(run, city["out"])
    assert paths["ledger"] == city["out"] / "2019" / c / f"回头看台账_{P.county_name(c)}_2019.xlsx"
    assert paths["ledger"].exists() and paths["summary"].exists()
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert summary["findings"]["total"] == len(run.findings)
    assert summary["input_hash"] == run.input_hash
    checks = K.output_checks(run, paths)
    assert checks["通过"].all(), checks


def test_check_cli_writes_parquet_per_county_and_prints_chinese_counts(city, tmp_path, capsys):
    from hgk_lib.cli import main

    rc = main(["check", "--data", str(city["data"]), "--year", "2019", "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "核查年度 2019" in out and "问题数" in out
    from hgk_lib.results import read_results

    for c in fixture_counties():
        saved = read_results(tmp_path / "2019" / c)  # the same results the county notebook saves
        for name in ("findings", "rule_summary", "verdicts", "needs", "income", "features"):
            assert name in saved, name
        assert saved["findings"]["item_id"].notna().all()
        assert (tmp_path / "_processed" / "2019" / c / "manifest.json").exists()  # one processed-data location


def test_a_ledger_the_county_filled_in_is_backed_up_before_a_rerun_overwrites_it(city):
    from openpyxl import load_workbook

    c = fixture_counties()[0]
    run = C.process_county(city["data"], c, 2019, PARAMS, output_root=city["out"])
    paths = C.write_county_outputs(run, city["out"])
    assert "backup" not in C.write_county_outputs(run, city["out"])  # untouched ledger: no copy
    assert not run.findings.empty  # the fixture plants findings in every county
    wb = load_workbook(paths["ledger"])
    ws = wb["问题清单"]
    col = [c.value for c in ws[1]].index("整改状态") + 1
    ws.cell(2, col).value = "已整改"
    wb.save(paths["ledger"])
    again = C.write_county_outputs(run, city["out"])
    assert again["backup"].parent == paths["dir"] / "备份"
    back = load_workbook(again["backup"], read_only=True)
    assert back["问题清单"].cell(2, col).value == "已整改"
    back.close()


def test_hgk_check_never_overwrites_a_canonical_table(tmp_path):
    """``hgk check`` writes findings and audit tables beside the processed export; the recomputed income must not
    replace the loaded 收入信息 (``income.parquet``), or a later run would audit the audit's own output."""
    import subprocess
    import sys

    from hgk_lib.io import read_processed
    from hgk_lib.schema import INCOME

    root = Path(__file__).resolve().parent / "fixtures" / "export" / "2019"
    out = subprocess.run(
        [sys.executable, "-m", "hgk_lib", "check", "--data", str(root), "--year", "2019", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    county = sorted(p for p in (tmp_path / "2019").iterdir() if p.name[:6].isdigit())[0]
    assert (county / "results" / "findings.parquet").exists() and (county / "results" / "verdicts.parquet").exists()
    data = read_processed(tmp_path / "_processed" / "2019" / county.name)
    assert set(INCOME.columns_by_key) & set(data.tables["income"].columns) >= {"hh_id", "year", "wage"}
    assert "income_pc_fen" not in data.tables["income"].columns
