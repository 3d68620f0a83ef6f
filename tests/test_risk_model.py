"""ReturnRiskModel: scikit-learn conventions, grouped validation, fallback, skops persistence."""

import functools
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.utils.estimator_checks import check_estimator

from hgk_lib.errors import UnsafeInputError
from hgk_lib.params import load_params
from hgk_lib.risk.model import (
    ReturnRiskModel,
    budget_metrics,
    fallback_score_rule,
    fit_risk_model,
    load_model,
    points_rule_rows,
    points_to_risk,
    reliability_table,
    save_model,
    top_share_mask,
    transparent_points,
)

PARAMS = load_params(year=2019)
RULE = fallback_score_rule(PARAMS)
MIN_POSITIVES = int(PARAMS["spot_check"]["min_positives"])

#: checks that cannot hold for a model whose selection/calibration runs an internal grouped CV on HGB
HGB_EXPECTED = {
    "check_sample_weight_equivalence_on_dense_data": "HistGradientBoosting bins features on the rows it sees, so weight k is not the same as k copies of a row "
    "(scikit-learn marks HistGradientBoostingClassifier the same way)",
}


def test_check_estimator_logistic():
    """The full scikit-learn estimator suite (binary-only classifier; NaN allowed)."""
    check_estimator(ReturnRiskModel(kind="logistic", cv=3, random_state=0))


def test_check_estimator_hgb():
    check_estimator(ReturnRiskModel(kind="hgb", max_iter=5, cv=2, random_state=0), expected_failed_checks=HGB_EXPECTED)


def _data(n=600, seed=0):
    X, y = make_classification(n, 6, n_informative=3, weights=[0.8], random_state=seed)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    X.iloc[::7, 2] = np.nan
    groups = np.repeat(np.arange(n // 20), 20)
    return X, y, groups


def test_fit_follows_conventions_and_is_calibrated():
    X, y, g = _data()
    m = ReturnRiskModel(random_state=0)
    params = m.get_params()
    m.fit(X, y, groups=g)
    assert m.get_params() == params  # hyper-parameters untouched
    assert set(m.cv_scores_) == {"logistic", "hgb"} and m.kind_ in m.cv_scores_
    p = m.predict_proba(X)[:, 1]
    assert ((p >= 0) & (p <= 1)).all()
    assert list(m.classes_) == [0, 1] and m.n_features_in_ == 6
    assert abs(p.mean() - y.mean()) < 0.05  # calibration-in-the-large


def test_grouped_splits_keep_villages_whole():
    X, y, g = _data()
    m = ReturnRiskModel(cv=5, random_state=0)
    for tr, te in m._splits(y, g):
        assert not set(g[tr]) & set(g[te])


def test_all_blank_feature_is_ignored():
    X, y, g = _data()
    X["blank"] = np.nan
    m = ReturnRiskModel(kind="hgb", max_iter=20, random_state=0).fit(X, y, groups=g)
    assert not m.support_[-1] and m.predict_proba(X).shape == (len(X), 2)


def test_skops_roundtrip_and_refusals(tmp_path):
    X, y, g = _data()
    m = ReturnRiskModel(kind="hgb", max_iter=20, random_state=0).fit(X, y, groups=g)
    meta = save_model(m, tmp_path / "m.skops", {"year": 2019})
    assert meta["sklearn_version"] and len(meta["model_sha256"]) == 64
    assert (tmp_path / "m.json").exists()
    m2 = load_model(tmp_path / "m.skops")
    assert np.allclose(m2.predict_proba(X), m.predict_proba(X))
    # a pickle is refused with a Chinese message, whatever its name
    (tmp_path / "m.pkl").write_bytes(pickle.dumps(m))
    with pytest.raises(UnsafeInputError, match="拒绝加载"):
        load_model(tmp_path / "m.pkl")
    (tmp_path / "fake.skops").write_bytes(pickle.dumps(m))
    with pytest.raises(UnsafeInputError, match="pickle"):
        load_model(tmp_path / "fake.skops")
    # an unexpected type inside a skops file is refused
    import skops.io as sio

    m.extra_ = functools.partial(print, "x")
    sio.dump(m, tmp_path / "odd.skops")
    with pytest.raises(UnsafeInputError, match="未预期的类型"):
        load_model(tmp_path / "odd.skops")


def test_budget_metrics_by_hand():
    score = pd.Series([0.9, 0.8, 0.1, 0.2, 0.7, 0.3])
    y = np.array([1, 0, 0, 1, 1, 0])
    county = pd.Series(["a", "a", "a", "b", "b", "b"])
    w = np.ones(6)
    top = top_share_mask(score, pd.Series(w), county, 1 / 3)
    assert top.tolist() == [True, False, False, False, True, False]
    bm = budget_metrics(y, score, w, county, 1 / 3)
    assert bm["precision"] == 1.0 and bm["recall"] == pytest.approx(2 / 3)


def test_reliability_table_weighted():
    t = reliability_table([0, 1, 0, 1], [0.1, 0.1, 0.9, 0.9], [1, 1, 3, 1], bins=2)
    assert t["实际问题率"].tolist() == [0.5, 0.25]


def _features(n=200, seed=0):
    rng = np.random.default_rng(seed)
    from hgk_lib.risk.features import FEATURES

    f = pd.DataFrame(rng.random((n, len(FEATURES))), columns=list(FEATURES), index=[f"h{i}" for i in range(n)])
    f["county"] = np.where(np.arange(n) < n // 2, "441881_英德市", "441825_连山壮族瑶族自治县")
    f["village"] = [f"v{i // 10}" for i in range(n)]
    for c in ["minority_county", "female_head", "elderly_only", "has_disability"]:
        f[c] = (rng.random(n) < 0.3).astype(float)
    return f


def test_fallback_below_min_positives_says_so():
    f = _features()
    labels = pd.DataFrame({"hh_id": f.index[:60], "problem": [1] * 10 + [0] * 50, "weight": np.nan})
    fit = fit_risk_model(f, labels, 0.2, MIN_POSITIVES, RULE)
    assert fit["fallback"] and fit["model"] is None and "少于 50 户" in fit["reason"]
    assert fit["risk"].between(0, 1).all() and len(fit["risk"]) == len(f)
    assert fit["weights"]["imputed"] == 60


def test_model_used_at_or_above_min_positives():
    f = _features()
    rng = np.random.default_rng(1)
    y = (f["margin"] < 0.4).astype(int).to_numpy()
    y = np.where(rng.random(len(y)) < 0.1, 1 - y, y)
    labels = pd.DataFrame({"hh_id": f.index, "problem": y, "weight": 2.0})
    fit = fit_risk_model(f, labels, 0.2, int(y.sum()), RULE, model_params={"max_iter": 20}, importance_repeats=1)
    assert not fit["fallback"] and fit["model"] is not None
    assert fit["metrics"]["orderings"]["model"]["auc"] > 0.7
    assert set(fit["metrics"]["by_subset"]["类别"]) >= {"county", "minority_county", "female_head"}


def test_transparent_points_rule_edges():
    from hgk_lib.risk.features import FEATURES

    f = pd.DataFrame(0.0, index=["below", "thin", "thin20", "comfortable"], columns=list(FEATURES))
    f["margin"] = [-0.01, 0.0, 0.1, 0.5]
    f["n_measures_year"] = 1
    assert transparent_points(f, RULE).tolist() == [4, 3, 2, 0]
    r = points_to_risk(transparent_points(f, RULE), 0.1, RULE)
    assert r.is_monotonic_decreasing and r.mean() == pytest.approx(0.1, rel=0.2)


def test_points_rule_follows_the_parameters():
    """The cut-offs live in params: moving the first band to 5% moves a household at 4% from 3 points to 4."""
    from hgk_lib.risk.features import FEATURES

    f = pd.DataFrame(0.0, index=["m4", "m5"], columns=list(FEATURES))
    f["margin"] = [0.04, 0.05]
    f["n_measures_year"] = 1
    assert transparent_points(f, RULE).tolist() == [3, 3]
    moved = {**RULE, "margin_cuts": [0.05, 0.1, 0.2, 0.5]}
    assert transparent_points(f, moved).tolist() == [4, 3]  # below 5%: 4; exactly 5%: the next band
    labels = [t for t, _ in points_rule_rows(RULE)]
    assert labels[:4] == ["人均收入低于脱贫线", "人均收入高出脱贫线不足10%", "高出10%至20%", "高出20%至50%"]
    assert "政策性收入占比≥50%" in labels and "人均收入同比下降超过10%" in labels


def test_no_history_at_all_falls_back():
    f = _features(50)
    labels = pd.DataFrame(columns=["hh_id", "problem", "weight"])
    fit = fit_risk_model(f, labels, 0.2, MIN_POSITIVES, RULE)
    assert fit["fallback"] and fit["n_labels"] == 0 and fit["metrics"] is None
    assert fit["risk"].notna().all()


def test_core_candidate_uses_named_columns_and_persists(tmp_path):
    from hgk_lib.risk.model import scorecard_table

    X, y, g = _data()
    m = ReturnRiskModel(kind="auto", core_features=("f0", "f1", "f2"), max_iter=20, random_state=0).fit(X, y, groups=g)
    assert {"core", "logistic", "hgb"} == set(m.cv_scores_)
    c = ReturnRiskModel(kind="core", core_features=("f0", "f1", "f2"), random_state=0).fit(X, y, groups=g)
    assert c.kind_ == "core" and c.core_idx_ == [0, 1, 2]
    assert list(scorecard_table(c, {})["特征"]) and set(scorecard_table(c, {})["特征"]) <= {"f0", "f1", "f2"}
    save_model(c, tmp_path / "c.skops", {})
    assert np.allclose(load_model(tmp_path / "c.skops").predict_proba(X), c.predict_proba(X))
    with pytest.raises(ValueError, match="core_features"):
        ReturnRiskModel(kind="core").fit(X.to_numpy(), y)


def test_average_precision_rows_equals_sklearn_with_ties_and_weights():
    from sklearn.metrics import average_precision_score

    from hgk_lib.risk.model import average_precision_rows

    rng = np.random.default_rng(3)
    y = np.array([1, 0, 1, 0, 0, 1, 0, 0, 1, 0])
    w = rng.random(10) * 3 + 0.1
    S = np.round(rng.random((4, 10)), 1)  # many tied scores
    assert np.allclose(average_precision_rows(y, S, w), [average_precision_score(y, s, sample_weight=w) for s in S])


def test_permutation_drop_gives_sklearns_permutation_importance():
    from sklearn.inspection import permutation_importance
    from sklearn.linear_model import LogisticRegression

    from hgk_lib.risk.model import permutation_drop

    X, y, _ = _data(200)
    X = X.fillna(0).to_numpy()
    w = np.linspace(1, 3, len(y))
    est = LogisticRegression().fit(X, y)
    ref = permutation_importance(
        est, X, y, scoring="average_precision", sample_weight=w, n_repeats=3, random_state=5
    ).importances_mean
    got = permutation_drop(lambda A: est.predict_proba(A)[:, 1], X, y, w, 3, random_state=5)
    assert np.allclose(got, ref)


def test_selection_validation_reuses_the_selection_folds_without_refitting():
    """Default validation: the card's out-of-fold probabilities come from the chosen candidate's own fold
    predictions (same ranking as cv_oof_), calibrated on the other folds only; the fold models are not saved."""
    from hgk_lib.risk.model import selection_validation

    X, y, g = _data()
    m = ReturnRiskModel(max_iter=20, random_state=0).fit(X, y, groups=g, keep_fold_models=True)
    assert len(m.fold_models_) == m.n_splits_
    oof, imp = selection_validation(m, X, y, np.ones(len(y)), importance_repeats=2)
    assert not hasattr(m, "fold_models_")
    assert np.isfinite(oof).all() and ((oof >= 0) & (oof <= 1)).all()
    raw = m.cv_oof_[m.kind_]
    for te, _ in [(te, None) for _, te in m._splits(y, g)]:  # within a fold the calibrated order is the raw order
        assert (np.argsort(oof[te], kind="stable") == np.argsort(raw[te], kind="stable")).all()
    assert list(imp.columns) == ["feature", "importance", "std"] and set(imp["feature"]) == set(X.columns)
    assert imp["feature"].iloc[0] in {"f0", "f1", "f2", "f3", "f4", "f5"}
