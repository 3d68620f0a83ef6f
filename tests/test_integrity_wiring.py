"""The integrity screen in the county run (issue 13): saved with the results, the ledger sheet 数据真实性筛查 (after the
listed sheets, the columns of integrity.md, what was not tested said in it), the visit plan's 数据真实性复核 items with
the screen's ZS- ids, the city table from saved results, and the spot-check stratum 数据真实性 with every π known."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from hgk_lib import results as RS
from hgk_lib.integrity import INDICATOR_IDS, flagged_households, screen_integrity
from hgk_lib.integrity import wiring as W
from hgk_lib.orchestrate import county as C
from hgk_lib.orchestrate.checks import output_checks
from hgk_lib.params import load_params
from hgk_lib.risk.draw import INTEGRITY_LABEL, draw_sample
from hgk_lib.visit.items import visit_items

from helpers.paths import FIXTURE, PARAMS, added_ledger_sheets, fixture_counties, integrity_sheet_columns, ledger_sheets
from test_integrity import county as hand_made_county

P = load_params(year=2019)
SHEET = "数据真实性筛查"


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("integrity_run")
    c = fixture_counties()[0]
    run = C.process_county(FIXTURE, c, 2019, PARAMS, output_root=out)
    paths = C.write_county_outputs(run, out)
    return {"run": run, "paths": paths, "out": out}


# ---------------------------------------------------------------------------------------------------------------
# the committed fixture, end to end
# ---------------------------------------------------------------------------------------------------------------
def test_ledger_sheet_follows_the_listed_sheets_with_the_columns_of_integrity_md(fixture_run):
    wb = openpyxl.load_workbook(fixture_run["paths"]["ledger"], read_only=True)
    try:
        listed = list(ledger_sheets())
        names = wb.sheetnames
        assert names[: len(listed)] == listed
        added = [s for s in added_ledger_sheets() if s in names]
        assert SHEET in added and [names.index(s) for s in added] == sorted(names.index(s) for s in added)
        assert names.index(SHEET) >= len(listed)
        rows = list(wb[SHEET].iter_rows(values_only=True))
    finally:
        wb.close()
    assert list(rows[0]) == integrity_sheet_columns()
    # the fixture's villages and 帮扶责任人 are all below 10 exited households: said so, never an empty sheet
    body = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert len(body) == 1 and body[0]["指标"] == "（未检验）全部指标"
    assert "已脱贫户不足10户，未作检验" in body[0]["说明"] and body[0]["户数"] is None


def test_results_hold_the_screen_with_the_contract_columns(fixture_run):
    d = fixture_run["paths"]["dir"]
    assert RS.read_manifest(d)["contract_version"] == RS.CONTRACT_VERSION == 2
    units = RS.read_result(d, "integrity")
    items = RS.read_result(d, "integrity_items")
    assert list(units.columns) == list(RS.TABLES["integrity"]) and list(items.columns) == list(
        RS.TABLES["integrity_items"]
    )
    assert str(units["flagged"].dtype) == "boolean" and str(units["n_households"].dtype) == "Int64"
    run = fixture_run["run"]
    assert len(units) == len(run.integrity) == 7 * units["unit_id"].nunique()
    assert sorted(units["indicator"].unique()) == INDICATOR_IDS
    assert (units["status"] == "户数不足，未检验").all() and not units["flagged"].any() and items.empty
    assert "integrity" in run.timings


def test_output_checks_see_the_integrity_sheet(fixture_run):
    checks = output_checks(fixture_run["run"], fixture_run["paths"])
    row = checks[checks["检查项"].str.contains("数据真实性筛查")]
    assert len(row) == 1 and bool(row["通过"].iloc[0]) and checks["通过"].all()


def test_city_table_reads_the_saved_results(fixture_run, monkeypatch):
    monkeypatch.setattr(W, "screen_integrity", None)  # never recomputed: only the saved tables are read
    t = W.city_integrity(fixture_run["out"], 2019)
    assert list(t["县（市、区）"]) == [fixture_counties()[0].split("_", 1)[1]]
    assert int(t["村（已检验）"].iloc[0]) == 0 and int(t["标记村"].iloc[0]) == 0


# ---------------------------------------------------------------------------------------------------------------
# a hand-made county with one village whose visits are all on one day
# ---------------------------------------------------------------------------------------------------------------
def one_day_village():
    t = hand_made_county(n_villages=6, size=12)
    hh = t["household"]
    hh.loc[hh["village"] == "V0", "last_visit"] = pd.Timestamp("2019-06-01")
    return t


def test_flagged_unit_households_get_a_visit_item_with_the_zs_id():
    t = one_day_village()
    units, _ = screen_integrity(t["household"], None, t["income"], t["measure"], t["verdict"], P, W.run_seed(P))
    r = units[(units["village"] == "V0") & (units["indicator"] == "I5")].iloc[0]
    assert r["flagged"] and r["p_adj"] < P["integrity"]["alpha"]
    assert units.loc[units["flagged"], "village"].tolist() == ["V0"]
    items = flagged_households(units, t["household"])
    v0 = sorted(t["household"].loc[t["household"]["village"] == "V0", "hh_id"])
    assert sorted(items["hh_id"]) == v0 and items["item_id"].str.startswith("ZS-").all()
    plan = visit_items(findings=None, catalogue={}, params=P, integrity=W.visit_flags(items), county="测试县")
    assert sorted(plan["hh_id"]) == v0 and set(plan["source"]) == {"数据真实性"} and set(plan["code"]) == {"I5"}
    assert set(plan["item_id"]) == set(items["item_id"])  # the visit plan keeps the screen's (saved) ids
    assert plan["short"].iloc[0] == "数据真实性复核：I5 集中同日走访"
    assert "V0" in plan["content"].iloc[0] and "核实走访记录" in plan["content"].iloc[0]
    # the run's seed: a rerun gives the same flags and ids
    again, _ = screen_integrity(t["household"], None, t["income"], t["measure"], t["verdict"], P, W.run_seed(P))
    pd.testing.assert_frame_equal(units, again)
    # the ledger sheet: the flagged row first, with the adjusted p in words
    sheet = W.ledger_sheet(units)
    assert sheet["行政村"].iloc[0] == "V0" and sheet["指标"].iloc[0] == "I5 集中同日走访"
    assert sheet["校正后p值"].iloc[0] == "<0.0001" and "2019-06-01" in sheet["说明"].iloc[0]
    assert "被标记 1 个（村 1 个、帮扶责任人 0 个），涉及已脱贫户 12 户（数据真实性复核事项 12 项）" in W.headline(
        units, P, items
    )


def test_no_flag_no_visit_item():
    t = hand_made_county(n_villages=6, size=12)
    units, _ = screen_integrity(t["household"], None, t["income"], t["measure"], t["verdict"], P, 1)
    items = flagged_households(units, t["household"])
    assert items.empty and W.visit_flags(items) is None
    assert visit_items(findings=None, catalogue={}, params=P, integrity=W.visit_flags(items), county="测试县").empty


# ---------------------------------------------------------------------------------------------------------------
# edge cases said in the sheet and the report
# ---------------------------------------------------------------------------------------------------------------
def test_not_run_not_computable_and_small_units_are_said_in_the_sheet():
    t = hand_made_county(n_villages=6, size=12)
    hh = t["household"].drop(columns="last_visit")  # no 最近走访日期: I5 not run, the column named
    hh.loc[hh["village"] == "V5", "village"] = [f"小村{k % 2}" for k in range(12)]  # two villages of 6: too small
    inc = t["income"].assign(data_source="预估")  # every income estimated: I4's reference is not computable
    units, _ = screen_integrity(hh, None, inc, t["measure"], t["verdict"], P, 1)
    assert (units.loc[units["indicator"] == "I5", "status"] == "未运行").all()
    i4 = units[(units["indicator"] == "I4") & (units["n_households"] >= 10)]
    assert (i4["status"] == "不可计算").all() and not i4["flagged"].any()
    notes = W.screen_notes(units)
    said = dict(zip(notes["指标"], notes["说明"]))
    assert "最近走访日期" in said["（未检验）I5 集中同日走访"] and said["（未检验）I5 集中同日走访"].startswith(
        "未运行"
    )
    assert said["（未检验）I4 收入为预估未核实"].startswith("不可计算：村 5 个")
    assert said["（未检验）全部指标"].startswith("已脱贫户不足10户，未作检验：村 2 个")
    sheet = W.ledger_sheet(units)
    assert list(sheet.columns) == integrity_sheet_columns() and len(sheet) == len(notes)
    text = W.headline(units, P)
    assert "I5" in text and "不足10户的单位 2 个" in text
    assert W.ledger_sheet(None)["说明"].iloc[0] == "本次运行未提供数据真实性筛查结果"


# ---------------------------------------------------------------------------------------------------------------
# the spot-check stratum 数据真实性: every π known
# ---------------------------------------------------------------------------------------------------------------
def frame_with_flags(N=400, flagged=45, county="441881_英德市", seed=3, prefix="H"):
    rng = np.random.default_rng(seed)
    fr = pd.DataFrame({"county": county, "hh_id": [f"{prefix}{i:05d}" for i in range(N)], "risk": rng.beta(1, 8, N)})
    fr["integrity"] = False
    fr.loc[rng.choice(N, flagged, replace=False), "integrity"] = True
    return fr


DESIGN = {"bands": 4, "min_per_stratum": 2, "pi_floor_share": 0.25, "certainty_n": 20}


@pytest.mark.parametrize("n", [10, 60, 200])
def test_integrity_stratum_keeps_every_inclusion_probability_known(n):
    fr = pd.concat([frame_with_flags(), frame_with_flags(90, 30, "441882_连州市", 4, "L")])
    sample, design, out, _ = draw_sample(fr, n, 20191130, integrity_stratum=True, **DESIGN)
    # every frame household in exactly one stratum, with π = n_h / N_h in (0, 1]
    assert out["stratum"].notna().all() and ((out["pi"] > 0) & (out["pi"] <= 1)).all()
    assert (design.groupby("county")["N_h"].sum() == out.groupby("county").size()).all()
    # flagged households outside 必查 are exactly the stratum 数据真实性
    flagged = out["integrity"] & (out["stratum"] != "必查")
    assert (flagged == (out["stratum"] == INTEGRITY_LABEL)).all()
    ds = design[design["stratum"] == INTEGRITY_LABEL]
    assert len(ds) == 2 and (ds["n_h"] >= np.minimum(2, ds["N_h"])).all()
    # the design is self-consistent: E[sample size] = Σπ = n, weights sum to N, π·w = 1 (Horvitz–Thompson unbiased)
    for c, g in out.groupby("county"):
        s = sample[sample["county"] == c]
        assert g["pi"].sum() == pytest.approx(min(n, len(g))) and len(s) == min(n, len(g))
        assert s["weight"].sum() == pytest.approx(len(g))
        y = g["integrity"].astype(float) + g["risk"]  # any fixed y: E[Σ_s w y] = Σ_s π w y over the frame = Σ y
        assert (g["pi"] * g["weight"] * y).sum() == pytest.approx(y.sum())
    got = sample.groupby(["county", "stratum"]).size()
    want = design.set_index(["county", "stratum"])["n_h"]
    assert (got.reindex(want.index, fill_value=0) == want).all()


def test_integrity_stratum_off_by_default_draws_as_before():
    fr = frame_with_flags()
    on_params_default = load_params(year=2019)["spot_check"]["integrity_stratum"]
    assert on_params_default is False
    base = draw_sample(fr.drop(columns="integrity"), 60, 1, **DESIGN)
    off = draw_sample(fr, 60, 1, **DESIGN)
    assert INTEGRITY_LABEL not in set(off[2]["stratum"])
    assert list(base[0]["hh_id"]) == list(off[0]["hh_id"])
