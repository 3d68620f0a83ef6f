"""Issue 10 speed figure: ``hgk spot-check draw`` on the demo (target ≤ 10 s), and where its time goes.

    .venv/bin/hgk demo-data --out /tmp/demo && .venv/bin/hgk check --data /tmp/demo --year 2019 --out /tmp/demo_out
    .venv/bin/python bench/bench_draw.py --data /tmp/demo --out /tmp/demo_out [--repeats 3] [--nested]

1. The command itself (a fresh process each time, as a user runs it), ``--repeats`` times: wall seconds and the
   process's CPU seconds (user + sys: less sensitive to other work on the machine), medians.
2. One in-process run split into its stages: reading the saved results, the model fit with its validation, the
   trade-off simulation, the draw and the list workbook, the model file and the card.
3. With ``--nested``: the same fit with ``validation="nested"`` (the whole selection refitted in outer village
   folds, as before the speed work) — its time and the card's out-of-fold figures side by side with the default
   (the selection's own folds, cross-fitted calibration), to show what the cheaper validation changes.

Writes into ``--out``'s 市汇总 folder (the draw's own outputs). Every figure is printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_command(data, out, year) -> tuple[float, float]:
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hgk_lib",
            "spot-check",
            "draw",
            "--data",
            str(data),
            "--year",
            str(year),
            "--out",
            str(out),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"draw failed:\n{proc.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def stages(data, out, year, validation: str) -> tuple[dict, dict]:
    from hgk_lib.params import load_params
    from hgk_lib.risk import cli as C
    from hgk_lib.risk.model import fallback_score_rule, fit_risk_model
    from hgk_lib.risk.tradeoff import tradeoff_table

    t = {}
    c0 = time.process_time()
    t0 = time.perf_counter()
    params = load_params(year=year)
    sc = params["spot_check"]
    inputs = C.county_inputs(data, year, out)
    features, labels, frame = C.assemble(inputs, params)
    t["read results + assemble"] = (time.perf_counter() - t0, time.process_time() - c0)
    share = (int(sc["n"]) / frame.groupby("county").size()).clip(upper=1.0).to_dict()
    t0, c0 = time.perf_counter(), time.process_time()
    fit = fit_risk_model(
        features,
        labels,
        share,
        int(sc["min_positives"]),
        fallback_score_rule(params),
        random_state=int(sc["seed"]),
        frame_ids=set(frame["hh_id"]),
        validation=validation,
    )
    t["fit + validation"] = (time.perf_counter() - t0, time.process_time() - c0)
    fr = frame.assign(risk=frame["hh_id"].map(fit["risk"]).fillna(fit["risk"].median()))
    t0, c0 = time.perf_counter(), time.process_time()
    tradeoff_table(fr, int(sc["n"]), sc, draws=int(sc.get("tradeoff_draws", 200) or 0), seed=int(sc["seed"]))
    t["trade-off simulation"] = (time.perf_counter() - t0, time.process_time() - c0)
    return t, fit


def figures(fit) -> dict:
    m = fit.get("metrics") or {}
    o = m.get("orderings", {}).get("model", {})
    imp = fit.get("importance")
    return {
        "AP": o.get("ap"),
        "AUC": o.get("auc"),
        "hit rate@budget": o.get("precision"),
        "recall@budget": o.get("recall"),
        "Brier": m.get("brier"),
        "top-3 importance": ", ".join(imp["feature"].head(3)) if imp is not None and len(imp) else "",
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True, help="output root holding the county runs' saved results")
    ap.add_argument("--year", type=int, default=2019)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--nested", action="store_true", help="also time the nested validation and compare figures")
    args = ap.parse_args(argv)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    print(f"# bench_draw — {args.data}, saved results under {args.out}; load average {os.getloadavg()[0]:.1f}")
    walls, cpus = [], []
    for i in range(args.repeats):
        w, c = run_command(args.data, args.out, args.year)
        walls.append(w)
        cpus.append(c)
        print(f"run {i + 1}: hgk spot-check draw {w:.1f} s wall, {c:.1f} s CPU")
    if walls:
        print(
            f"median of {args.repeats}: {statistics.median(walls):.1f} s wall, {statistics.median(cpus):.1f} s CPU "
            f"(target ≤ 10 s wall)"
        )
    t, fit = stages(args.data, args.out, args.year, "selection")
    print("\n## In-process stages (default validation: the selection's own folds)")
    for k, v in t.items():
        print(f"{k:28s} {v[0]:6.1f} s wall {v[1]:6.1f} s CPU")
    if args.nested:
        tn, fitn = stages(args.data, args.out, args.year, "nested")
        print(
            f"\n## Validation figures (frame's labelled households): selection folds vs nested refit "
            f"(fit {t['fit + validation'][1]:.1f} s vs {tn['fit + validation'][1]:.1f} s CPU)"
        )
        a, b = figures(fit), figures(fitn)
        for k in a:
            fa, fb = a[k], b[k]
            if isinstance(fa, float):
                print(f"{k:18s} {fa:8.3f}   {fb:8.3f}")
            else:
                print(f"{k:18s} {fa}   |   {fb}")
        print(
            f"candidates' CV AP: { ({k: round(v, 3) for k, v in (fit.get('cv_scores') or {}).items()}) }; "
            f"chosen {fit['kind']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
