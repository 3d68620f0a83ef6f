"""Issue 14 §2–§3: the points rule is a candidate of the model selection; the design trade-off and the default draw."""

import numpy as np
import pandas as pd
import pytest

from hgk_lib.risk.draw import design_county, draw_sample
from hgk_lib.risk.estimate import stratified_estimate
from hgk_lib.risk.features import FEATURES
from hgk_lib.params import load_params
from hgk_lib.risk.model import POINTS_NAME, ReturnRiskModel, fallback_score_rule, fit_risk_model, transparent_points
from hgk_lib.risk.tradeoff import batch_estimates, candidate_designs, simulate_design, tradeoff_table

RULE = fallback_score_rule(load_params(year=2019))
DESIGN = {"bands": 4, "min_per_stratum": 2, "pi_floor_share": 0.25}


def _rule_world(n=500, seed=3, noise_cols=True):
    """Households whose problem follows the points rule exactly (a step function of the raw columns) plus many
    irrelevant columns: the one-parameter rule should beat every fitted candidate out of fold."""
    rng = np.random.default_rng(seed)
    f = pd.DataFrame(rng.random((n, len(FEATURES))), columns=list(FEATURES), index=[f"h{i}" for i in range(n)])
    f["margin"] = rng.uniform(-0.3, 1.2, n)
    for c in [
        "n_serious",
        "n_chronic",
        "n_disabled",
        "unsafe_house",
        "no_safe_water",
        "water_difficulty",
        "n_error",
        "n_warning",
    ]:
        f[c] = (rng.random(n) < 0.2).astype(float)
    f["labour_class"] = rng.integers(0, 3, n).astype(float)
    f["n_measures_year"] = rng.integers(0, 3, n).astype(float)
    f["income_change"] = rng.uniform(-0.3, 0.3, n)
    f["policy_share"] = rng.random(n)
    pts = transparent_points(f, RULE)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.1 * (pts - 5))))).astype(int)
    f["county"] = np.where(np.arange(n) < n // 2, "441881_英德市", "441825_连山壮族瑶族自治县")
    f["village"] = [f"v{i // 10}" for i in range(n)]
    for c in ["minority_county", "female_head", "elderly_only", "has_disability"]:
        f[c] = 0.0
    return f, y


@pytest.fixture(scope="module")
def rule_fit():
    """The fitted candidates without the points column, so only the rule itself has the rule's step shape."""
    f, y = _rule_world()
    labels = pd.DataFrame({"hh_id": f.index, "problem": y, "weight": 1.0})
    fit = fit_risk_model(
        f, labels, 0.2, 20, RULE, validate=False, model_params={"max_iter": 20, "points_feature": False}
    )
    return f, labels, fit


def test_rule_is_a_candidate_and_chosen_when_it_is_better(rule_fit):
    f, labels, fit = rule_fit
    cand = fit["candidates"]
    assert {"points", "core", "logistic", "hgb"} == set(cand["candidate"])
    assert fit["kind"] == "points"
    chosen = cand[cand["选中"]]
    assert len(chosen) == 1 and chosen["candidate"].iloc[0] == "points"
    assert chosen["平均精度"].iloc[0] >= cand["平均精度"].max() - 1e-12  # never beaten on the selection metric
    # the rule's candidate ranks exactly as the rule
    p = fit["model"].predict_proba(f.loc[labels["hh_id"], list(FEATURES)])[:, 1]
    pts = transparent_points(f, RULE).to_numpy()
    assert (np.diff(p[np.argsort(pts, kind="stable")]) >= -1e-12).all()


def test_chosen_never_beaten_and_points_is_a_column_of_fitted_models():
    f, _ = _rule_world(seed=5)
    rng = np.random.default_rng(0)
    y = (rng.random(len(f)) < 1 / (1 + np.exp(-(4 * f["policy_share"] - 0.5 * f["margin"] - 2)))).astype(int)
    X = f[list(FEATURES)]
    m = ReturnRiskModel(
        max_iter=20, core_features=("margin", "policy_share", "n_serious"), points_rule=RULE, random_state=0
    )
    m.fit(X, y, groups=f["village"].to_numpy())
    assert m.cv_scores_[m.kind_] == max(m.cv_scores_.values())
    assert POINTS_NAME in list(m.feature_names_used_)
    core_names = [m.feature_names_used_[i] for i in m.columns_["core"]]
    assert POINTS_NAME in core_names
    off = ReturnRiskModel(
        kind="core", core_features=("margin",), points_feature=False, points_rule=RULE, random_state=0
    )
    off.fit(X, y, groups=f["village"].to_numpy())
    assert POINTS_NAME not in [off.feature_names_used_[i] for i in off.columns_["core"]]


def test_card_lists_all_candidates(rule_fit):
    from hgk_lib.risk.card import render_model_card

    fit = rule_fit[2]
    html = render_model_card(fit, 2019, 60, None, {"model_version": "x"})
    assert "候选模型比较" in html
    for label in fit["candidates"]["候选"]:
        assert label in html
    assert "本次选用" in html


# ---------------------------------------------------------------------------------------------------------------
# §3 the design
# ---------------------------------------------------------------------------------------------------------------
def frame(n=1200, county="441881_英德市", seed=0, prefix="H"):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "county": county,
            "hh_id": [f"{prefix}{i:05d}" for i in range(n)],
            "risk": np.clip(rng.beta(1.2, 5, n), 0.005, 0.95),
        }
    )


def test_batch_estimator_equals_stratified_estimate():
    rng = np.random.default_rng(1)
    n_h = np.array([3, 10, 1, 20, 5])
    N_h = np.array([300, 200, 50, 40, 5])
    X = np.array([[0, 2, 1, 7, 5], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0], [3, 10, 1, 20, 5], [2, 5, 0, 3, 1]])
    b = batch_estimates(X, n_h, N_h)
    for r in range(len(X)):
        y = np.concatenate([np.r_[np.ones(X[r, h]), np.zeros(n_h[h] - X[r, h])] for h in range(5)])
        h = np.repeat(np.arange(5), n_h)
        e = stratified_estimate(pd.Series(y), pd.Series(h), pd.Series(N_h, index=range(5)))
        assert b["p"][r] == pytest.approx(e["p"])
        assert b["se"][r] == pytest.approx(e["se"])
        assert b["lo"][r] == pytest.approx(e["lo"], abs=1e-9) and b["hi"][r] == pytest.approx(e["hi"], abs=1e-9)
    assert rng is not None


def test_certainty_n_takes_the_highest_risks_whole_and_pi_positive():
    fr = frame()
    sample, design, out, _ = draw_sample(fr, 60, 1, certainty_n=20, **DESIGN)
    cert = design[design["certainty"]]
    assert int(cert["N_h"].iloc[0]) == 20 == int(cert["n_h"].iloc[0])
    top = set(fr.nlargest(20, "risk")["hh_id"])
    assert top <= set(sample["hh_id"]) and (out.loc[out["hh_id"].isin(top), "pi"] == 1).all()
    assert len(sample) == 60 and (out["pi"] > 0).all() and out["pi"].notna().all()
    assert (design.loc[~design["certainty"], "n_h"] >= 2).all()


def test_certainty_n_trimmed_when_n_is_small_keeps_bands():
    fr = frame(300)
    _, table, notes = design_county(fr, 12, 4, 2, 0.25, certainty_n=20)
    assert table.loc[table["certainty"], "N_h"].iloc[0] == 4 and table["n_h"].sum() == 12
    assert (~table["certainty"]).sum() == 4 and notes


def test_band_shares_give_finer_top_bands():
    fr = frame(1000)
    _, table, _ = design_county(fr, 60, 5, 2, 0.25, band_shares=[0.4, 0.3, 0.2, 0.07, 0.03])
    assert table["N_h"].tolist() == [400, 300, 200, 70, 30]
    assert table["mean_risk"].is_monotonic_increasing


@pytest.mark.parametrize(
    "kw",
    [
        {"certainty_n": 20},
        {"certainty_n": 20, "hit_emphasis": 1.0},
        {"band_shares": [0.4, 0.3, 0.2, 0.07, 0.03], "bands": 5},
    ],
)
def test_extension_property_with_new_designs(kw):
    fr = pd.concat([frame(500), frame(160, "441882_连州市", 2, "L")])
    prev = None
    start = 2 * 5 + int(kw.get("certainty_n", 0))  # from here the band count and the certainty stratum are whole
    for n in range(8, 150, 2):
        s = set(draw_sample(fr, n, 20191130, **{**DESIGN, **kw})[0]["hh_id"])
        if prev is not None and n > start:
            assert prev <= s, n
        prev = s


def test_default_design_finds_more_and_keeps_coverage_in_the_model_world():
    """On a frame whose risk is the truth, the configured default beats random by far and keeps coverage."""
    from hgk_lib.params import load_params

    fr = pd.concat(
        [
            frame(1400, c, i, c[:6])
            for i, c in enumerate(["441881_英德市", "441882_连州市", "441825_连山壮族瑶族自治县"])
        ]
    )
    sc = load_params(year=2019)["spot_check"]
    t = tradeoff_table(fr, 60, sc, draws=200, seed=1, designs=candidate_designs(sc)[:2])
    chosen = t[t["本次采用"] == "是"].iloc[0]
    assert chosen["相对随机抽样"] >= 1.5
    assert chosen["全市区间覆盖率"] >= 0.9 and chosen["各县区间覆盖率"] >= 0.9
    assert chosen["宽度相对纯Neyman"] <= 1.3


def test_simulate_design_hit_rate_matches_simulation():
    fr = frame(1000)
    r = simulate_design(fr, 60, {"certainty_n": 20}, draws=300, seed=2)
    assert r["sim_hit_rate"] == pytest.approx(r["hit_rate"], rel=0.08)
    assert r["certainty"] == 20
