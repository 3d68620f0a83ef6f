"""The spot-check design trade-off: problems found per visit vs the width and coverage of the 95% intervals.

For a set of candidate designs (pure Neyman, the hit emphasis g, a certainty stratum 必查 of the highest risks, finer
top bands) this module simulates many draws from the same frame and reports, per design, the expected hit rate
(problems per visit), the mean width of the city's and the counties' 95% Korn–Graubard intervals and their coverage.

Two worlds:

* **model world** (at draw time, no truth known): every household's problem is Bernoulli(calibrated risk), drawn
  afresh in each replicate; the figures are what the design achieves *if the model is calibrated* (the 抽样设计
  sheet and the model card show them so the city can pick another point);
* **truth** (benchmark on the demo): the problems are the demo's ground truth, fixed; only the sample varies.

The strata and allocations are exactly those of :func:`hgk_lib.risk.draw.design_county`; the selection within a
stratum is simple random sampling (numpy, vectorised over replicates — the permanent random numbers of the real draw
give the same distribution); the estimator is :func:`hgk_lib.risk.estimate.stratified_estimate` written for arrays
(tests check they agree).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .draw import design_county

ALPHA = 0.05


def design_kwargs(sc: dict) -> dict:
    """:func:`~hgk_lib.risk.draw.draw_sample` keyword arguments of the design configured in ``spot_check``."""
    shares = sc.get("band_shares")
    return {
        "bands": int(len(shares) if shares else sc["risk_bands"]),
        "min_per_stratum": int(sc["min_per_stratum"]),
        "pi_floor_share": float(sc["pi_floor_share"]),
        "certainty_threshold": sc.get("certainty_threshold"),
        "hit_emphasis": float(sc.get("hit_emphasis", 0) or 0),
        "certainty_n": int(sc.get("certainty_n", 0) or 0),
        "band_shares": list(shares) if shares else None,
    }


def design_label(kw: dict) -> str:
    """Chinese one-line name of a design (for the tables)."""
    parts = []
    if kw.get("certainty_n"):
        parts.append(f"每县风险最高 {int(kw['certainty_n'])} 户必查")
    if kw.get("certainty_threshold") is not None:
        parts.append(f"风险≥{kw['certainty_threshold']:g} 必查")
    if kw.get("band_shares"):
        parts.append("分层比例 " + "/".join(f"{s * 100:g}%" for s in kw["band_shares"]))
    g = float(kw.get("hit_emphasis") or 0)
    parts.append("Neyman 分配" if not g else f"Neyman 分配（高风险加权 g={g:g}）")
    return "纯 Neyman 分配" if len(parts) == 1 and not g else " + ".join(parts)


def candidate_designs(sc: dict) -> list[dict]:
    """The designs of the trade-off table: pure Neyman, g = 1 and 2, certainty strata of 10/20/30 households,
    finer top bands, and the configured design (marked); duplicates removed, order kept."""
    base = design_kwargs(sc)
    plain = {
        **base,
        "hit_emphasis": 0.0,
        "certainty_n": 0,
        "band_shares": None,
        "certainty_threshold": None,
        "bands": int(sc["risk_bands"]),
    }
    cands = [
        plain,
        {**plain, "hit_emphasis": 1.0},
        {**plain, "hit_emphasis": 2.0},
        {**plain, "certainty_n": 10},
        {**plain, "certainty_n": 20},
        {**plain, "certainty_n": 30},
        {**plain, "certainty_n": 20, "hit_emphasis": 1.0},
        {**plain, "bands": 5, "band_shares": [0.4, 0.3, 0.2, 0.07, 0.03]},
        {**plain, "bands": 5, "band_shares": [0.4, 0.3, 0.2, 0.07, 0.03], "hit_emphasis": 2.0},
    ]
    out, seen = [], set()
    for kw in [base] + cands:
        key = repr(sorted((k, repr(v)) for k, v in kw.items()))
        if key not in seen:
            seen.add(key)
            out.append(kw)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Vectorised estimator (stratified_estimate for many replicates at once)
# ---------------------------------------------------------------------------------------------------------------
def batch_estimates(x: np.ndarray, n_h: np.ndarray, N_h: np.ndarray, alpha: float = ALPHA) -> dict:
    """Stratified proportion, variance and Korn–Graubard interval for R replicates at once.

    ``x``: (R, H) problems found per stratum; ``n_h``, ``N_h``: (H,) sample and frame sizes (every n_h ≥ 1, every
    sampled unit observed). Same formulas and the same v̂ = 0 fallback as :func:`.estimate.stratified_estimate`.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n_h = np.asarray(n_h, dtype=float)
    N_h = np.asarray(N_h, dtype=float)
    W = N_h / N_h.sum()
    ph = x / n_h
    p = (W * ph).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(n_h > 1, ph * (1 - ph) * n_h / np.maximum(n_h - 1, 1), (p * (1 - p))[:, None])
    fpc = np.clip(1 - n_h / N_h, 0, None)
    var = (W**2 * fpc * s2 / n_h).sum(axis=1)
    n = float(n_h.sum())
    H = int((n_h > 0).sum())
    df = max(n - H, 1)
    ratio = (stats.t.ppf(alpha / 2, n - 1) / stats.t.ppf(alpha / 2, df)) ** 2 if n > 1 else 1.0
    fb = ~(var > 0) | (p <= 0) | (p >= 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(fb, n, p * (1 - p) / np.where(var > 0, var, 1.0) * ratio)
    xs = n_eff * p
    lo = np.where(xs <= 0, 0.0, stats.beta.ppf(alpha / 2, np.maximum(xs, 1e-12), np.maximum(n_eff - xs + 1, 1e-12)))
    hi = np.where(xs >= n_eff, 1.0, stats.beta.ppf(1 - alpha / 2, xs + 1, np.maximum(n_eff - xs, 1e-12)))
    return {"p": p, "se": np.sqrt(var), "lo": lo, "hi": hi, "n_eff": n_eff}


# ---------------------------------------------------------------------------------------------------------------
# Simulation of one design
# ---------------------------------------------------------------------------------------------------------------
def design_strata(frame: pd.DataFrame, n: int, kw: dict) -> tuple[np.ndarray, pd.DataFrame]:
    """Stratum code per frame row and the stratum table (county, stratum, N_h, n_h, certainty) of a design."""
    frame = frame[["county", "hh_id", "risk"]].reset_index(drop=True)  # only what the design reads (a narrow copy)
    codes = np.full(len(frame), -1, dtype=int)
    tables = []
    pos = pd.Series(np.arange(len(frame)), index=frame.index)
    off = 0
    for county, fr in frame.groupby("county", sort=True):
        label, table, _ = design_county(
            fr,
            n,
            kw.get("bands", 4),
            kw.get("min_per_stratum", 2),
            kw.get("pi_floor_share", 0.25),
            kw.get("certainty_threshold"),
            kw.get("hit_emphasis", 0.0),
            kw.get("certainty_n", 0),
            kw.get("band_shares"),
        )
        idx = {s: off + i for i, s in enumerate(table["stratum"])}
        codes[pos[fr.index].to_numpy()] = label.map(idx).to_numpy(dtype=int)
        tables.append(table.assign(county=county))
        off += len(table)
    return codes, pd.concat(tables, ignore_index=True)


def simulate_design(
    frame: pd.DataFrame, n: int, kw: dict, draws: int = 200, seed: int = 0, truth: np.ndarray | None = None
) -> dict:
    """Repeat a design ``draws`` times: hit rate, interval widths and coverage for the city and the counties.

    ``frame``: county, hh_id, risk. ``truth``: fixed 0/1 per row (benchmark) or None (model world: Bernoulli(risk)
    afresh per replicate).
    """
    rng = np.random.default_rng(seed)
    frame = frame[["county", "hh_id", "risk"]].reset_index(drop=True)
    codes, tab = design_strata(frame, n, kw)
    risk = frame["risk"].astype(float).clip(0, 1).to_numpy()
    N = len(frame)
    S = len(tab)
    n_h = tab["n_h"].to_numpy(float)
    N_h = tab["N_h"].to_numpy(float)
    county_of = tab["county"].to_numpy(object)
    counties = list(dict.fromkeys(county_of))
    # Per replicate only the strata's problem totals T_h matter: the city's and the counties' true rates are sums of
    # them, and given T_h the problems in a simple random sample of n_h of the stratum's N_h households are
    # hypergeometric — the same joint distribution as drawing the households, without sorting R × N random keys.
    if truth is None:
        r_sorted = risk[np.argsort(codes, kind="stable")]  # strata contiguous, in code order
        starts = np.concatenate([[0], np.cumsum(N_h)[:-1]]).astype(int)
        filled = N_h > 0  # reduceat sums from each start to the next one: empty strata are left out (they stay 0)
        T = np.zeros((draws, S))
        chunk = max(1, int(4_000_000 // max(N, 1)))
        for r0 in range(0, draws, chunk):
            R = min(chunk, draws - r0)
            hits = rng.random((R, N)) < r_sorted
            T[r0 : r0 + R, filled] = np.add.reduceat(hits, starts[filled], axis=1, dtype=np.int64)
    else:
        T = np.broadcast_to(np.bincount(codes, weights=np.asarray(truth, float), minlength=S), (draws, S))
    Ti = np.rint(T).astype(np.int64)
    Nh_i, nh_i = N_h.astype(np.int64), n_h.astype(np.int64)
    X = rng.hypergeometric(Ti, Nh_i - Ti, np.broadcast_to(nh_i, Ti.shape)).astype(float)
    Y_city = T.sum(axis=1) / N
    Y_c = {c: T[:, county_of == c].sum(axis=1) / N_h[county_of == c].sum() for c in counties}
    # expected hits: exact for the model world (Σ n_h × mean risk) and for the truth (Σ n_h × stratum rate)
    val = risk if truth is None else np.asarray(truth, float)
    mean_h = np.bincount(codes, weights=val, minlength=S) / N_h
    hit_rate = float((n_h * mean_h).sum() / n_h.sum())
    city = batch_estimates(X, n_h, N_h)
    cov_c, wid_c = [], []
    for c in counties:
        m = county_of == c
        e = batch_estimates(X[:, m], n_h[m], N_h[m])
        cov_c.append(((e["lo"] <= Y_c[c]) & (Y_c[c] <= e["hi"])).mean())
        wid_c.append((e["hi"] - e["lo"]).mean())
    return {
        "hit_rate": hit_rate,
        "prevalence": float(val.mean()),
        "sim_hit_rate": float(X.sum() / (draws * n_h.sum())),
        "city_width": float((city["hi"] - city["lo"]).mean()),
        "city_se": float(city["se"].mean()),
        "city_coverage": float(((city["lo"] <= Y_city) & (Y_city <= city["hi"])).mean()),
        "county_width": float(np.mean(wid_c)),
        "county_coverage": float(np.mean(cov_c)),
        "county_coverage_min": float(np.min(cov_c)),
        "draws": int(draws),
        "n": int(n_h.sum()),
        "certainty": int(N_h[tab["certainty"].to_numpy(bool)].sum()) if "certainty" in tab else 0,
    }


TRADEOFF_COLUMNS = [
    "设计",
    "预期命中率",
    "相对随机抽样",
    "全市区间平均宽度",
    "各县区间平均宽度",
    "宽度相对纯Neyman",
    "全市区间覆盖率",
    "各县区间覆盖率",
    "必查户数",
    "本次采用",
]


def tradeoff_table(
    frame: pd.DataFrame,
    n: int,
    sc: dict,
    draws: int = 200,
    seed: int = 0,
    truth: np.ndarray | None = None,
    designs: list[dict] | None = None,
) -> pd.DataFrame:
    """One row per candidate design (the configured one first, marked 本次采用): expected hit rate and its ratio to
    simple random sampling, mean 95% interval width (city, counties) and its ratio to pure Neyman (county widths),
    coverage (city; counties pooled), households taken whole. Column ``kw`` keeps the design's parameters."""
    designs = designs if designs is not None else candidate_designs(sc)
    chosen = design_kwargs(sc)
    rows = []
    for kw in designs:
        r = simulate_design(frame, n, kw, draws=draws, seed=seed, truth=truth)
        rows.append(
            {
                "设计": design_label(kw),
                "预期命中率": r["hit_rate"],
                "相对随机抽样": r["hit_rate"] / r["prevalence"],
                "全市区间平均宽度": r["city_width"],
                "各县区间平均宽度": r["county_width"],
                "全市区间覆盖率": r["city_coverage"],
                "各县区间覆盖率": r["county_coverage"],
                "各县最低覆盖率": r["county_coverage_min"],
                "必查户数": r["certainty"],
                "本次采用": "是" if kw == chosen else "",
                "kw": kw,
                "_plain": _is_plain(kw),
            }
        )
    t = pd.DataFrame(rows)
    ref = t.loc[t["_plain"], "各县区间平均宽度"]
    base = float(ref.iloc[0]) if len(ref) else float("nan")
    ref_c = t.loc[t["_plain"], "全市区间平均宽度"]
    t["宽度相对纯Neyman"] = t["各县区间平均宽度"] / base
    t["全市宽度相对纯Neyman"] = t["全市区间平均宽度"] / (float(ref_c.iloc[0]) if len(ref_c) else float("nan"))
    return t.drop(columns="_plain")


def _is_plain(kw: dict) -> bool:
    return (
        not kw.get("hit_emphasis")
        and not kw.get("certainty_n")
        and kw.get("certainty_threshold") is None
        and not kw.get("band_shares")
    )
