"""Benchmark of the risk-guided spot check on the demo export (or a toy registry).

Prints:
* coverage of the 95% Korn–Graubard interval for the true prevalence of problems in the frame (truth.true_problem),
  over ``--draws`` independent draws (different seeds), for the city and per county — goal ≥ 93%;
* bias: mean estimate − truth, against the mean standard error — goal within one SE;
* hit rate (problems found per household visited) of the risk-guided draw vs simple random sampling vs the same
  design on the oracle score (truth.true_problem_prob) and vs an oracle top-n — goal ≥ 1.5× random, ≥ 80% of oracle;
* the configured default design against pure Neyman (same frame, same risk, real draws with permanent random
  numbers): hit rate vs random, coverage (city, counties), mean 95% interval width — goal: ≥ 1.5× random, coverage
  ≥ 93%, county width ≤ 1.3× pure Neyman's (issue 14 §3);
* the trade-off table of every candidate design against the demo truth (hgk_lib.risk.tradeoff);
* calibration of the model: predicted mean risk per band vs the true problem rate, Brier score (out-of-fold).

Usage::

    .venv/bin/hgk demo-data --out /tmp/demo_r          # writes /tmp/demo_r and /tmp/demo_r_truth
    .venv/bin/python bench/bench_spotcheck.py --data /tmp/demo_r --truth /tmp/demo_r_truth --out /tmp/bench_sc
    .venv/bin/python bench/bench_spotcheck.py --toy     # no demo data: a synthetic registry
    .venv/bin/python bench/bench_spotcheck.py --frame F.parquet   # a saved frame: county, hh_id, risk, true_problem
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hgk_lib.params import load_params
from hgk_lib.risk.cli import county_inputs, draw_city
from hgk_lib.risk.simulate import repeated_draws, srs_hits, toy_inputs
from hgk_lib.risk.tradeoff import design_kwargs, design_label, tradeoff_table


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="demo export root (county folders)")
    ap.add_argument("--truth", help="demo truth directory (households.csv)")
    ap.add_argument("--out", default="/tmp/bench_spotcheck")
    ap.add_argument("--toy", action="store_true", help="use a synthetic registry instead of the demo export")
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--year", type=int, default=2019)
    ap.add_argument(
        "--prn-draws",
        type=int,
        default=50,
        help="real draws (hashing every household per seed: slow) for default vs Neyman; the trade-off "
        "table uses --draws vectorised draws",
    )
    ap.add_argument(
        "--frame",
        help="parquet with county, hh_id, risk, true_problem (skips the pipeline and the fit): "
        "only the default-vs-Neyman comparison and the trade-off table",
    )
    args = ap.parse_args(argv)
    if args.frame:
        fr = pd.read_parquet(args.frame)
        print(f"# bench_spotcheck — saved frame {args.frame}: {fr['county'].nunique()} counties, {len(fr)} households")
        compare_default(fr, args.n, load_params(year=args.year)["spot_check"], args.draws, args.prn_draws)
        return 0
    params = load_params(year=args.year)
    sc = params["spot_check"]
    t0 = time.time()
    if args.toy or not args.data:
        inputs, truth = toy_inputs(
            counties=("441881_英德市", "441882_连州市", "441825_连山壮族瑶族自治县"),
            villages=25,
            per_village=60,
            seed=11,
            inspected_share=0.12,
        )
        source = "toy registry (hgk_lib.risk.simulate.toy_inputs)"
    else:
        inputs = county_inputs(args.data, args.year, args.out)
        truth = pd.read_csv(Path(args.truth) / "households.csv", dtype={"hh_id": str, "county": str})
        source = f"demo export {args.data}"
    t1 = time.time()
    res = draw_city(inputs, params, args.out, args.n, sc["seed"])
    t2 = time.time()
    fit = res["fit"]
    fr = res["frame"][["county", "hh_id", "risk", "stratum"]].merge(
        truth[["hh_id", "true_problem", "true_problem_prob"]].drop_duplicates("hh_id"), on="hh_id", how="left"
    )
    missing = int(fr["true_problem"].isna().sum())
    fr = fr.dropna(subset=["true_problem"]).assign(true_problem=lambda d: d["true_problem"].astype(int))
    design_kw = design_kwargs(sc)
    seeds = range(1, args.draws + 1)
    sims = repeated_draws(fr[["county", "hh_id", "risk", "true_problem"]], args.n, seeds, design_kw)
    sims["covered"] = (sims["lo"] <= sims["truth"]) & (sims["truth"] <= sims["hi"])
    oracle = repeated_draws(
        fr[["county", "hh_id", "true_problem"]].assign(risk=fr["true_problem_prob"]),
        args.n,
        range(1, min(args.draws, 50) + 1),
        design_kw,
    )
    t3 = time.time()

    print(f"# bench_spotcheck — {source}")
    print(
        f"counties {fr['county'].nunique()}, frame {len(fr)} households (truth missing for {missing}), "
        f"n = {args.n} per county, {args.draws} draws"
    )
    print(
        f"model: {'FALLBACK transparent score — ' + fit['reason'] if fit['fallback'] else fit['kind']}; "
        f"labels {fit['n_labels']} (problems {fit['n_positives']}); weights known {fit['weights']['known']}, "
        f"imputed {fit['weights']['imputed']}"
    )
    print(f"time: inputs {t1 - t0:.1f}s, fit+draw+card {t2 - t1:.1f}s, simulations {t3 - t2:.1f}s")
    print("\n## Coverage of the 95% interval (goal ≥ 93%) and bias (goal |mean − truth| ≤ mean SE)")
    g = sims.groupby("area")
    tab = pd.DataFrame(
        {
            "truth": g["truth"].first(),
            "mean_est": g["p"].mean(),
            "mean_se": g["se"].mean(),
            "sd_est": g["p"].std(),
            "coverage": g["covered"].mean(),
            "mean_width": (g["hi"].mean() - g["lo"].mean()),
        }
    )
    tab["bias/SE"] = (tab["mean_est"] - tab["truth"]) / tab["mean_se"]
    tab["MC z"] = (tab["mean_est"] - tab["truth"]) / (tab["sd_est"] / np.sqrt(args.draws))
    order = ["全市"] + sorted(a for a in tab.index if a != "全市")
    print(tab.loc[order].round(4).to_string())
    print("\n## Hit rate (problems per household visited)")
    guided = float(sims.loc[sims["area"] == "全市", "hits"].sum() / sims.loc[sims["area"] == "全市", "drawn"].sum())
    srs = srs_hits(fr, args.n, range(1, min(args.draws, 50) + 1))
    ora = float(
        oracle.loc[oracle["area"] == "全市", "hits"].sum() / oracle.loc[oracle["area"] == "全市", "drawn"].sum()
    )
    top = fr.sort_values("true_problem_prob", ascending=False).groupby("county").head(args.n)
    ora_top = float(top["true_problem_prob"].mean())
    prev = float(fr["true_problem"].mean())
    print(f"frame prevalence          {prev:.4f}")
    print(f"simple random sampling    {srs:.4f}")
    print(f"risk-guided (this design) {guided:.4f}   = {guided / srs:.2f}× random   (goal ≥ 1.5×)")
    print(f"oracle score, same design {ora:.4f}   risk-guided = {guided / ora:.0%} of it (goal ≥ 80%)")
    print(f"oracle top-n (no design)  {ora_top:.4f}   risk-guided = {guided / ora_top:.0%} of it (no valid estimate)")
    print("\n## Calibration on the frame: predicted band risk vs true problem rate")
    cal = fr.groupby(["stratum"]).agg(
        households=("hh_id", "size"),
        predicted=("risk", "mean"),
        true_rate=("true_problem", "mean"),
        true_prob=("true_problem_prob", "mean"),
    )
    print(cal.round(4).to_string())
    m = fit.get("metrics")
    if m:
        print("\n## Out-of-fold validation by village groups (labelled households, weighted)")
        for k, o in m["orderings"].items():
            print(
                f"{k:8s} precision@budget {o['precision']:.3f}  recall@budget {o['recall']:.3f}  "
                f"AUC {o['auc']:.3f}  AP {o['ap']:.3f}"
            )
        if "brier" in m:
            print(f"Brier {m['brier']:.4f} (prevalence-only {m['prevalence'] * (1 - m['prevalence']):.4f})")
            print(m["reliability"].to_string())
    compare_default(fr, args.n, sc, args.draws, args.prn_draws)
    ok = (
        tab.loc["全市", "coverage"] >= 0.93,
        abs(tab.loc["全市", "bias/SE"]) <= 1,
        guided / srs >= 1.5,
        guided / ora >= 0.8,
    )
    print(
        f"\ngoals: coverage {'OK' if ok[0] else 'MISSED'}, bias {'OK' if ok[1] else 'MISSED'}, "
        f"lift vs random {'OK' if ok[2] else 'MISSED'}, share of oracle {'OK' if ok[3] else 'MISSED'}"
    )
    return 0


def compare_default(fr: pd.DataFrame, n: int, sc: dict, draws: int, prn_draws: int) -> None:
    """The configured default vs pure Neyman with real draws (PRN), then the trade-off table against the truth."""
    default = design_kwargs(sc)
    plain = {
        **default,
        "hit_emphasis": 0.0,
        "certainty_n": 0,
        "band_shares": None,
        "certainty_threshold": None,
        "bands": int(sc["risk_bands"]),
    }
    cols = ["county", "hh_id", "risk", "true_problem"]
    srs = srs_hits(fr, n, range(1, min(prn_draws, 50) + 1))
    print(
        f"\n## Default design vs pure Neyman ({prn_draws} draws each, permanent random numbers; SRS hit rate {srs:.4f})"
    )
    print(
        "design                                   hit-rate  ×random  coverage city  coverage counties (min)  "
        "width city  width counties  ×Neyman width (counties / city)"
    )
    res = {}
    for name, kw in (("pure Neyman", plain), ("default: " + design_label(default), default)):
        t = time.time()
        sims = repeated_draws(fr[cols], n, range(1, prn_draws + 1), kw)
        sims["covered"] = (sims["lo"] <= sims["truth"]) & (sims["truth"] <= sims["hi"])
        sims["width"] = sims["hi"] - sims["lo"]
        city, cty = sims[sims["area"] == "全市"], sims[sims["area"] != "全市"]
        hr = float(city["hits"].sum() / city["drawn"].sum())
        res[name] = (float(cty["width"].mean()), float(city["width"].mean()))
        base = next(iter(res.values()))
        print(
            f"{name[:40]:40s} {hr:.4f}   {hr / srs:5.2f}   {city['covered'].mean():.3f}          "
            f"{cty['covered'].mean():.3f} ({cty.groupby('area')['covered'].mean().min():.3f})          "
            f"{city['width'].mean():.4f}      {cty['width'].mean():.4f}          "
            f"{res[name][0] / base[0]:.2f} / {res[name][1] / base[1]:.2f}   [{time.time() - t:.0f}s]"
        )
    print(f"\n## Trade-off table against the truth ({draws} simulated draws per design; hgk_lib.risk.tradeoff)")
    tab = tradeoff_table(fr, n, sc, draws=draws, seed=1, truth=fr["true_problem"].to_numpy())
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(tab.drop(columns=["kw"]).round(3).to_string())


if __name__ == "__main__":
    raise SystemExit(main())
