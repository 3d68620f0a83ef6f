"""Integrity screen (integrity.md): each indicator's statistic and exact p-value on hand-made villages, BH against a
hand computation, the minimum unit size on both edges, not-run and not-computable indicators, reproducibility."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hgk_lib.integrity import flagged_households, screen_integrity
from hgk_lib.integrity.stats import bh_adjust, binom_tail, poisson_tail
from hgk_lib.params import load_params

PARAMS = load_params(year=2019)
EXIT = "已脱贫（享受政策）"


def county(n_villages=11, size=20, extra=None):
    """A hand-made county: ``n_villages`` villages of ``size`` exited households (village V0 is the one a test
    fabricates); every income row unique (no copies, nothing round, all 入户核实), incomes well above the line, every
    visit on its own date, every measure text its own, no jumps at exit."""
    n = n_villages * size
    i = np.arange(n)
    hh = pd.DataFrame(
        {
            "hh_id": [f"H{k:04d}" for k in i],
            "county": "测试县",
            "township": "甲镇",
            "village": [f"V{k // size}" for k in i],
            "head_name": [f"户主{k}" for k in i],
            "exit_status": EXIT,
            "exit_year": 2019,
            "helper_name": None,
            "helper_phone": None,
            "last_visit": pd.Timestamp("2018-01-01") + pd.to_timedelta(i, unit="D"),
        }
    )
    inc19 = pd.DataFrame(
        {
            "hh_id": hh["hh_id"],
            "year": 2019,
            "n_members": 1,
            "wage": 9000 + i + 0.11,
            "business_income": 6000 + i + 0.23,
            "business_cost": 1500 + i / 2 + 0.07,
            "property_income": 700 + i + 0.31,
            "transfer_income": 0.0,
            "data_source": "入户核实",
        }
    )
    inc18 = inc19.assign(year=2018, wage=inc19["wage"] / 1.2, business_income=inc19["business_income"] / 1.2)
    ms = pd.DataFrame(
        {"hh_id": hh["hh_id"], "year": 2019, "category": "产业帮扶", "content": [f"发放奖补{k}元" for k in i]}
    )
    vi = pd.DataFrame({"hh_id": hh["hh_id"], "income_pc_fen": 1_000_000})
    return {"household": hh, "income": pd.concat([inc19, inc18], ignore_index=True), "measure": ms, "verdict": vi}


def screen(t, params=PARAMS, seed=1):
    return screen_integrity(t["household"], None, t["income"], t["measure"], t["verdict"], params, seed)


def row(units, village, ind, unit_type="村"):
    r = units[(units["village"] == village) & (units["indicator"] == ind) & (units["unit_type"] == unit_type)]
    assert len(r) == 1
    return r.iloc[0]


# ---------------------------------------------------------------------------------------------------------------
def test_binomial_and_poisson_tails_and_bh_by_hand():
    assert binom_tail([10], [20], [0.05])[0] == pytest.approx(
        sum(math.comb(20, j) * 0.05**j * 0.95 ** (20 - j) for j in range(10, 21)), rel=1e-12
    )
    assert binom_tail([0], [20], [0.5])[0] == 1.0
    assert poisson_tail([3], [0.5])[0] == pytest.approx(1 - math.exp(-0.5) * (1 + 0.5 + 0.125), rel=1e-12)
    # BH by hand: sorted .005 .01 .03 .04 (m=4) -> .02 .02 .04 .04
    adj = bh_adjust([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adj, [0.02, 0.04, 0.04, 0.02])
    # two families are adjusted separately; NaN stays out of the family
    adj = bh_adjust([0.01, 0.04, np.nan, 0.02, 0.5], groups=[0, 0, 0, 1, 1])
    np.testing.assert_allclose(adj[[0, 1, 3, 4]], [0.02, 0.04, 0.04, 0.5])
    assert np.isnan(adj[2])


def test_i1_ten_of_twenty_in_the_window_where_the_county_has_five_percent():
    t = county()
    v = t["verdict"]
    # village V0: 10 of 20 just above 8,400; the other 200 households: 10 in the window (5%)
    v.loc[0:9, "income_pc_fen"] = 850_000
    v.loc[[20 * j + 1 for j in range(1, 11)], "income_pc_fen"] = 840_000  # edge: exactly the line is inside
    v.loc[21, "income_pc_fen"] = 881_999  # [1.05, 1.10): neighbour, not inside
    v.loc[22, "income_pc_fen"] = 798_000  # [0.95, 1): neighbour, not inside
    units, flags = screen(t)
    r = row(units, "V0", "I1")
    assert (r["n"], r["k"], r["value"]) == (20, 10, 0.5)
    assert r["reference"] == pytest.approx(10 / 200)
    assert r["p"] == pytest.approx(stats.binom.sf(9, 20, 0.05), rel=1e-12)
    assert (
        r["flagged"]
        and "收入恰好高于脱贫线" in r["sentence"]
        and "50%" in r["sentence"]
        and "全县为5.0%" in r["sentence"]
    )
    assert ((flags["indicator"] == "I1") & (flags["village"] == "V0")).sum() == 1
    assert not flags[(flags["indicator"] == "I1") & (flags["village"] != "V0")].shape[0]
    # 8,820 itself is outside the window
    t["verdict"].loc[0:9, "income_pc_fen"] = 882_000
    r = row(screen(t)[0], "V0", "I1")
    assert r["k"] == 0 and not r["flagged"]


def test_i2_copied_rows_poisson_tail_with_sum_of_squared_frequencies():
    t = county()
    inc = t["income"]
    y19 = inc.index[(inc["year"] == 2019)]
    comps = ["wage", "business_income", "business_cost", "property_income"]
    inc.loc[y19[1:5], comps] = inc.loc[y19[0], comps].to_numpy()  # 5 households of V0 with one row
    units, flags = screen(t)
    r = row(units, "V0", "I2")
    assert r["k"] == 5 and r["value"] == 0.25
    # the other 200 households are all different: sum q^2 = 200 / 200^2; mean = C(20,2) / 200; 10 pairs
    mean = 190 / 200
    assert r["p"] == pytest.approx(stats.poisson.sf(9, mean), rel=1e-9)
    assert r["flagged"] and "相同的户对10对" in r["sentence"]
    # three non-zero components are not compared (min_components = 4)
    inc.loc[y19[:5], "property_income"] = 0.0
    r = row(screen(t)[0], "V0", "I2")
    assert r["k"] == 0 and r["n"] == 15


def test_i3_round_components():
    t = county()
    inc = t["income"]
    y19 = inc.index[inc["year"] == 2019]
    inc.loc[y19[:10], ["wage", "business_income", "business_cost", "property_income"]] = [9000, 6000, 1500, 700]
    inc.loc[y19[20:30], "property_income"] = 800  # 10 of the other 800 components
    units, _ = screen(t)
    r = row(units, "V0", "I3")
    assert (r["n"], r["k"]) == (80, 40)
    assert r["reference"] == pytest.approx(10 / 800)
    assert r["p"] == pytest.approx(stats.binom.sf(39, 80, 10 / 800), rel=1e-9)
    assert r["flagged"]
    # 99.99 yuan is not round
    cols = ["wage", "business_income", "business_cost", "property_income"]
    inc.loc[y19[:10], cols] = [9000.01, 6000.5, 1500.2, 700.3]
    assert row(screen(t)[0], "V0", "I3")["k"] == 0


def test_i4_estimated_rows_and_a_county_where_every_income_is_estimated():
    t = county()
    inc = t["income"]
    y19 = inc.index[inc["year"] == 2019]
    inc.loc[y19[:12], "data_source"] = "预估"
    inc.loc[y19[20:40], "data_source"] = "预估"  # 10% elsewhere
    units, _ = screen(t)
    r = row(units, "V0", "I4")
    assert (r["n"], r["k"]) == (20, 12)
    assert r["p"] == pytest.approx(stats.binom.sf(11, 20, 0.1), rel=1e-9) and r["flagged"]
    # every income estimated: the reference (verified share) is undefined -> 不可计算, never flagged
    inc["data_source"] = "预估"
    units, flags = screen(t)
    i4 = units[units["indicator"] == "I4"]
    assert (i4["status"] == "不可计算").all() and not i4["flagged"].any()
    assert i4["sentence"].str.contains("不可计算").all()


def test_i5_one_day_union_bound_by_hand():
    t = county()
    h = t["household"]
    h.loc[0:11, "last_visit"] = pd.Timestamp("2019-06-18")  # 12 of V0's 20 on one day
    h.loc[20:29, "last_visit"] = pd.Timestamp("2019-06-18")  # 10 others that day
    h.loc[30:39, "last_visit"] = pd.Timestamp("2019-06-19")
    units, _ = screen(t)
    r = row(units, "V0", "I5")
    assert (r["n"], r["k"]) == (20, 12)
    # by hand: the other 200 households' dates, each date's share q, sum of P(Bin(20, q) >= 12) over every date of
    # the county (a date only V0 uses counts with half a visit)
    other = h.loc[20:, "last_visit"].value_counts()
    dates = set(h["last_visit"])
    qs = [other.get(d, 0.5) / 200 if other.get(d, 0) > 0 else 0.5 / 200 for d in dates]
    expected = min(1.0, sum(stats.binom.sf(11, 20, q) for q in qs))
    assert r["p"] == pytest.approx(expected, rel=1e-9)
    assert r["reference"] == pytest.approx(10 / 200)
    assert r["flagged"] and "2019-06-18" in r["sentence"]


def test_i6_pasted_measure_texts():
    t = county()
    ms = t["measure"]
    ms.loc[0:14, "content"] = " 发放种养殖产业奖补 "  # trimmed: one text for 15 households
    ms.loc[20:21, "content"] = "节日慰问"  # 2 of the other 200 rows shared
    units, _ = screen(t)
    r = row(units, "V0", "I6")
    assert (r["n"], r["k"]) == (20, 15)
    assert r["p"] == pytest.approx(stats.binom.sf(14, 20, 2 / 200), rel=1e-9) and r["flagged"]


def test_i7_jump_at_exit():
    t = county()
    inc = t["income"]
    y18 = inc.index[inc["year"] == 2018]
    # 2018 per-capita below 8,000 and 2019 above 8,400 by more than 1.5x: 8 of V0's households
    inc.loc[y18[:8], ["wage", "business_income", "business_cost", "property_income"]] = [3000, 2000, 500, 100]
    units, _ = screen(t)
    r = row(units, "V0", "I7")
    assert (r["n"], r["k"]) == (20, 8)
    assert r["p"] == pytest.approx(stats.binom.sf(7, 20, 0.5 / 200), rel=1e-9) and r["flagged"]
    # a household that exited in 2018 is judged on 2017 -> 2018 (no 2017 row here: not counted)
    t["household"].loc[0, "exit_year"] = 2018
    assert row(screen(t)[0], "V0", "I7")["n"] == 19


def test_minimum_unit_size_both_edges_and_helper_units():
    t = county(n_villages=12, size=10)
    h = t["household"]
    h.loc[h["village"] == "V1", "exit_status"] = "未脱贫"  # V1 has no exited household: no unit
    h.loc[9, "exit_status"] = "未脱贫"  # V0 has 9 exited households: below the minimum
    h.loc[10:19, "exit_status"] = EXIT
    h.loc[20:29, "helper_name"] = "张三"
    h.loc[20:29, "helper_phone"] = "13800000001"
    h.loc[30:38, "helper_name"] = "李四"  # 9 households, no phone: (name, township, village)
    units, _ = screen(t)
    v0 = row(units, "V0", "I1")
    assert v0["n_households"] == 9 and v0["status"] == "户数不足，未检验" and np.isnan(v0["p"])
    assert "不足10户，未作检验" in v0["sentence"]
    assert row(units, "V2", "I1")["status"] == "已检验"
    zs = units[(units["helper_name"] == "张三") & (units["indicator"] == "I1")].iloc[0]
    assert zs["n_households"] == 10 and zs["status"] == "已检验" and zs["village"] == "V2"
    ls = units[(units["helper_name"] == "李四") & (units["indicator"] == "I1")].iloc[0]
    assert ls["n_households"] == 9 and ls["status"] == "户数不足，未检验" and ls["village"] == "V3"


def test_missing_columns_make_the_indicator_not_run_and_named():
    t = county()
    t["household"] = t["household"].drop(columns=["last_visit"])
    t["income"] = t["income"].drop(columns=["data_source"])
    units, flags = screen(t)
    i5 = units[units["indicator"] == "I5"]
    assert (i5["status"] == "未运行").all() and i5["sentence"].str.contains("最近走访日期").all()
    i4 = units[units["indicator"] == "I4"]
    assert (i4["status"] == "未运行").all() and i4["sentence"].str.contains("数据来源").all()
    assert (units[units["indicator"] == "I1"]["status"] == "已检验").all()


def test_reproducible_and_flagged_households_carry_item_ids():
    t = county()
    t["verdict"].loc[0:9, "income_pc_fen"] = 850_000
    a, fa = screen(t, seed=7)
    b, fb = screen(copy.deepcopy(t), seed=7)
    pd.testing.assert_frame_equal(a, b)
    hh = flagged_households(a, t["household"])
    assert len(hh) == 20 and set(hh["hh_id"]) == set(t["household"]["hh_id"][:20])
    assert hh["item_id"].str.match(r"^ZS-[0-9a-f]{16}$").all() and hh["item"].eq("数据真实性复核").all()
    assert hh["item_id"].tolist() == flagged_households(b, t["household"])["item_id"].tolist()


def test_honest_county_flags_nothing():
    t = county()
    units, flags = screen(t)
    assert flags.empty
    assert (units.loc[units["status"] == "已检验", "p"] > 0.01).all()


def test_alpha_is_the_threshold():
    t = county()
    t["verdict"].loc[0:9, "income_pc_fen"] = 850_000
    p = copy.deepcopy(PARAMS)
    units, _ = screen(t)
    padj = row(units, "V0", "I1")["p_adj"]
    p["integrity"]["alpha"] = float(padj)  # strictly below alpha flags
    assert not row(screen(t, p)[0], "V0", "I1")["flagged"]
    p["integrity"]["alpha"] = float(padj) * 1.0001
    assert row(screen(t, p)[0], "V0", "I1")["flagged"]


def test_ledger_sheet_city_table_and_plot():
    from hgk_lib.integrity import LEDGER_COLUMNS, city_table, ledger_frame, plot_integrity

    t = county()
    t["verdict"].loc[0:9, "income_pc_fen"] = 850_000
    h = t["household"]
    h.loc[0:9, "helper_name"] = "王五"
    h.loc[0:9, "helper_phone"] = "13812345678"
    h.loc[10:19, "helper_name"] = (
        "王五"  # another 王五 (other phone): the ledger shows masked phones to tell them apart
    )
    h.loc[10:19, "helper_phone"] = "13900000000"
    units, flags = screen(t)
    sheet = ledger_frame(units)
    assert list(sheet.columns) == LEDGER_COLUMNS
    v0 = sheet[(sheet["行政村"] == "V0") & (sheet["帮扶责任人"] == "")].iloc[0]
    assert v0["户数"] == 20 and v0["本单位值"] == "50%" and v0["全县参照值"] == "0%" and v0["指标"].startswith("I1")
    assert v0["建议"].startswith("入户复核收入") and v0["说明"].startswith("收入恰好高于脱贫线") and v0["校正后p值"]
    helpers = sheet[sheet["帮扶责任人"] != ""]
    assert len(helpers) == 1 and helpers.iloc[0]["帮扶责任人"] == "王五（138****5678）"
    assert "13812345678" not in sheet.to_string()
    ct = city_table(units)
    assert (
        ct.iloc[0]["标记村"] == 1 and ct.iloc[0]["标记帮扶责任人"] == 1 and ct.iloc[0]["I1 收入集中在脱贫线上方"] == 2
    )
    fig = plot_integrity(units)
    assert len(fig.axes) == 8 and fig.axes[0].get_title().startswith("I1")
    assert ledger_frame(units.assign(flagged=False)).empty
