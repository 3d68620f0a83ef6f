"""Estimator and intervals against hand-derived reference numbers (tests/data/svy_reference.csv)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta, t as tdist

from hgk_lib.risk.estimate import clopper_pearson, korn_graubard, stratified_estimate

REF = Path(__file__).parent / "data" / "svy_reference.csv"


def _ints(s):
    return [int(v) for v in str(s).split(";")]


def hand_reference(N, n, x):
    """The reference formulas, written out without the package (see the CSV header)."""
    N, n, x = (np.array(v, dtype=float) for v in (N, n, x))
    W = N / N.sum()
    ph = x / n
    p = (W * ph).sum()
    s2 = (x * (1 - ph) ** 2 + (n - x) * ph**2) / (n - 1)
    var = (W**2 * (1 - n / N) * s2 / n).sum()
    if var > 0 and 0 < p < 1:
        neff = p * (1 - p) / var * (tdist.ppf(0.025, n.sum() - 1) / tdist.ppf(0.025, n.sum() - len(N))) ** 2
    else:
        neff = n.sum()
    xs = neff * p
    lo = 0.0 if xs <= 0 else beta.ppf(0.025, xs, neff - xs + 1)
    hi = 1.0 if xs >= neff else beta.ppf(0.975, xs + 1, neff - xs)
    return p, np.sqrt(var), neff, lo, hi


def _sample(N, n, x):
    """Unit-level 0/1 data and stratum keys for given stratum counts."""
    y, h = [], []
    for k, (nk, xk) in enumerate(zip(n, x)):
        y += [1.0] * xk + [0.0] * (nk - xk)
        h += [f"s{k}"] * nk
    return pd.Series(y), pd.Series(h), pd.Series(N, index=[f"s{k}" for k in range(len(N))], dtype=float)


@pytest.mark.parametrize("row", pd.read_csv(REF, comment="#").to_dict(orient="records"), ids=lambda r: r["case"])
def test_estimator_matches_reference(row):
    N, n, x = _ints(row["N_h"]), _ints(row["n_h"]), _ints(row["x_h"])
    y, h, N_h = _sample(N, n, x)
    est = stratified_estimate(y, h, N_h)
    assert est["p"] == pytest.approx(row["p"], abs=1e-9)
    assert est["se"] == pytest.approx(row["se"], abs=1e-9)
    assert est["n_eff"] == pytest.approx(row["n_eff"], rel=1e-7)
    assert est["lo"] == pytest.approx(row["lo"], abs=1e-8)
    assert est["hi"] == pytest.approx(row["hi"], abs=1e-8)
    # the CSV itself still agrees with the hand formulas
    ref = hand_reference(N, n, x)
    assert ref == pytest.approx((row["p"], row["se"], row["n_eff"], row["lo"], row["hi"]), abs=1e-8)


def test_zero_problems_gives_exact_upper_bound():
    y, h, N_h = _sample([300, 200, 100], [20, 20, 20], [0, 0, 0])
    est = stratified_estimate(y, h, N_h)
    assert est["p"] == 0 and est["lo"] == 0 and est["fallback"]
    assert est["hi"] == pytest.approx(1 - 0.025 ** (1 / 60))  # ≈ 5.96%, the exact Clopper–Pearson bound
    assert est["hi"] < 0.06


def test_srs_effective_size_is_n_minus_one():
    """One stratum, negligible FPC: svyciprop's n_eff equals n − 1 (var = p(1−p)/(n−1), df = n − 1)."""
    y, h, N_h = _sample([10**9], [50], [5])
    est = stratified_estimate(y, h, N_h)
    assert est["n_eff"] == pytest.approx(49, rel=1e-6)
    assert (est["lo"], est["hi"]) == pytest.approx(clopper_pearson(0.1 * 49, 49))


def test_interval_contains_estimate_and_stays_in_unit_range():
    y, h, N_h = _sample([100, 50], [10, 5], [1, 2])
    est = stratified_estimate(y, h, N_h)
    assert 0 <= est["lo"] <= est["p"] <= est["hi"] <= 1


def test_unobserved_rows_are_left_out_and_stratum_reweighted():
    y, h, N_h = _sample([100, 50], [10, 5], [1, 2])
    y2 = pd.concat([y, pd.Series([np.nan, np.nan])], ignore_index=True)
    h2 = pd.concat([h, pd.Series(["s0", "s1"])], ignore_index=True)
    assert stratified_estimate(y2, h2, N_h)["p"] == pytest.approx(stratified_estimate(y, h, N_h)["p"])


def test_stratum_nobody_inspected_is_reported_not_covered():
    y, h, N_h = _sample([100, 50], [10, 0], [1, 0])
    est = stratified_estimate(y, h, N_h)
    assert est["N_covered"] == 100 and est["N"] == 150
    assert est["p"] == pytest.approx(0.1)


def test_korn_graubard_fallback_and_df_adjustment():
    kg = korn_graubard(0.0, 0.0, 30, 26)
    assert kg["fallback"] and kg["n_eff"] == 30
    kg2 = korn_graubard(0.2, 0.0016, 100, 96)
    assert kg2["n_eff"] == pytest.approx(0.16 / 0.0016 * (tdist.ppf(0.025, 99) / tdist.ppf(0.025, 96)) ** 2)
