"""Registry features and labels for the risk model."""

import numpy as np
import pandas as pd
import pytest

from hgk_lib.params import load_params
from hgk_lib.risk.features import (
    FEATURES,
    FORBIDDEN,
    build_features,
    build_labels,
    county_code,
    feature_matrix,
    fill_weights,
    finding_counts,
)
from hgk_lib.risk.simulate import toy_inputs


@pytest.fixture(scope="module")
def toy():
    inputs, truth = toy_inputs(villages=3, per_village=10, seed=3)
    return inputs[0], load_params(year=2019)


def test_never_ethnicity_sex_or_place_as_features():
    assert not FORBIDDEN & set(FEATURES)
    assert not any("ethnic" in f or "民族" in label for f, label in FEATURES.items())


def test_ethnicity_and_sex_do_not_change_features(toy):
    c, params = toy
    a = feature_matrix(build_features(c["tables"], params, c["findings"], c["verdicts"], county=c["county"]))
    t2 = dict(c["tables"])
    m = t2["member"].copy()
    m["ethnicity"] = "汉族"
    t2["member"] = m
    b = feature_matrix(build_features(t2, params, c["findings"], c["verdicts"], county=c["county"]))
    pd.testing.assert_frame_equal(a, b)


def test_features_one_row_per_household_with_margin_and_groups(toy):
    c, params = toy
    f = build_features(c["tables"], params, c["findings"], c["verdicts"], county=c["county"])
    hh = c["tables"]["household"]
    assert len(f) == len(hh) and f.index.is_unique
    v = c["verdicts"].set_index("hh_id")
    common = v.index
    assert np.allclose(f.loc[common, "margin"], v["income_pc"] / 8400 - 1)
    assert (f["county_code"] == "441881").all() and (f["minority_county"] == 0).all()
    assert (
        f.loc[c["findings"]["hh_id"], "f_needs"].ge(1).all() and f.loc[c["findings"]["hh_id"], "n_policy"].ge(1).all()
    )
    assert set(f["labour_class"].dropna().unique()) <= {0.0, 1.0, 2.0}


def test_income_change_and_shares(toy):
    c, params = toy
    f = build_features(c["tables"], params, None, None, county=c["county"])
    # toy: wage 5% higher than last year, transfers equal
    assert f["income_change"].dropna().between(0, 0.06).all()
    assert np.allclose((f["wage_share"] + f["transfer_share"]).dropna(), 1)


def test_finding_counts_by_category_and_level():
    f = pd.DataFrame(
        {
            "hh_id": ["a", "a", "b", None],
            "rule_id": ["R01", "R56", "R95", "R10"],
            "level": ["错误", "政策", "警告", "错误"],
        }
    )
    c = finding_counts(f)
    assert c.loc["a", "f_identity"] == 1 and c.loc["a", "f_needs"] == 1 and c.loc["b", "f_department"] == 1
    assert c.loc["a", "n_error"] == 1 and c.loc["b", "n_warning"] == 1 and "f_structure" in c


def test_labels_latest_inspection_problem_and_weights():
    ins = pd.DataFrame(
        {
            "hh_id": ["a", "a", "b", "c", "d"],
            "year": [2017, 2018, 2018, 2018, 2020],
            "method": ["第三方评估", "随机抽查", "重点抽查", "第三方评估", "随机抽查"],
            "inclusion_prob": [np.nan, 0.04, 0.5, np.nan, 0.1],
            "conclusion": ["属实", "收入不达标", "属实", "信息不准确", "属实"],
        }
    )
    lab = build_labels(ins, 2019).set_index("hh_id")
    assert list(lab.index) == ["a", "b", "c"]  # 2020 is after the audit year
    assert lab.loc["a", "problem"] == 1 and lab.loc["b", "problem"] == 0 and lab.loc["c", "problem"] == 1
    assert lab.loc["a", "weight"] == pytest.approx(25) and np.isnan(lab.loc["c", "weight"])
    w, imputed = fill_weights(lab.reset_index())
    assert imputed.tolist() == [False, False, True]
    assert w.iloc[2] == pytest.approx(np.median([25, 2]))


def test_county_code_from_name_folder_or_code():
    s = pd.Series(["英德市", "441825_连山壮族瑶族自治县", "441882", "未知县"])
    assert county_code(s).tolist()[:3] == ["441881", "441825", "441882"] and pd.isna(county_code(s).iloc[3])


def test_county_code_keeps_each_rows_place():
    """Worked out per distinct value, given back per row: the households' order and index stay."""
    s = pd.Series(["连州市", None, "441881_英德市", "连州市", "441825"] * 3, index=range(100, 115), dtype="str")
    got = county_code(s)
    assert got.index.tolist() == list(range(100, 115))
    assert got.tolist()[:5] == ["441882", got.iloc[1], "441881", "441882", "441825"] and pd.isna(got.iloc[1])
    assert got.iloc[[0, 2, 3, 4]].tolist() == got.iloc[[5, 7, 8, 9]].tolist() == got.iloc[[10, 12, 13, 14]].tolist()
    assert got.iloc[[1, 6, 11]].isna().all()


# --- no hidden feature: on the demo every feature takes more than one value ----------------------------------------
@pytest.fixture(scope="module")
def demo_features():
    """One small demo county (400 households, every defect kind planted), through the rules and the audit."""
    demo = pytest.importorskip("hgk_lib.demo")
    from hgk_lib.audit import audit_county, with_audit_findings
    from hgk_lib.rules.engine import make_context, run_rules

    d = demo.build_demo(seed=7, counties=["441825"], households=400, fmt="csv", plant_share=1.0)
    t = {k: v for k, v in d["tables"].items() if isinstance(v, pd.DataFrame)}
    if "_quarantine" in t["member"]:  # the rows the loader would quarantine
        t["member"] = t["member"][~t["member"]["_quarantine"].fillna(False).astype(bool)]
    params, county = load_params(year=2019), "441825_连山壮族瑶族自治县"
    rr = run_rules(make_context(t, params, county))
    audit = audit_county(t, params, rr.findings)
    findings = with_audit_findings(rr.findings, audit, params, county)
    return build_features(t, params, findings, audit.verdicts, county=county), audit


def test_every_feature_takes_more_than_one_value_on_the_demo(demo_features):
    f, _ = demo_features
    n = f[list(FEATURES)].nunique(dropna=True)
    assert n[n <= 1].empty, f"constant features (the model cannot use them): {list(n[n <= 1].index)}"


def test_quality_b_reads_the_audits_quality_label(demo_features):
    f, audit = demo_features
    v = audit.verdicts.set_index("hh_id")
    b = v.index[v["quality"] == "B 不稳定"]
    other = v.index[v["quality"] != "B 不稳定"]
    assert len(b) and len(other)
    assert (f.loc[b, "quality_b"] == 1).all() and (f.loc[other, "quality_b"] == 0).all()
