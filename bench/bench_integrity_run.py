"""Benchmark: what the integrity screen adds to a county run on the demo (issue 13: ≤ 10%).

    .venv/bin/python bench/bench_integrity_run.py [--work /tmp/hgk-integrity-run] [--county 441881] [--repeats 3]

A demo export (``hgk demo-data``, the default city of ``make audit``, seed 2019; reused when present) is run county
by county as the notebook and ``hgk check`` do (:func:`hgk_lib.orchestrate.county.process_county` then
:func:`write_county_outputs`), each run in a fresh process, alternating two variants:

* ``with``: the county run as committed (the screen computed once, saved, ledger sheet, visit items);
* ``without``: the same run with :func:`hgk_lib.integrity.wiring.screen_county` replaced by an empty result (the
  ledger sheet then holds one note row; the package is still imported by the ledger).

Printed per variant: the median wall time of the county run (process_county + write_county_outputs, after imports)
and of its stages (run.json's timings); the screen's own stage ("integrity"), the import time of
``hgk_lib.integrity`` on top of the rest of the county run's imports, and the overhead = (screen stage + import) /
the ``with`` run. Results: ``bench/results/bench_integrity_run.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
YEAR = 2019


def one(data: str, county: str, out: str, variant: str) -> dict:
    """One county run in this process; ``variant`` ``with`` or ``without`` the screen."""
    t0 = time.perf_counter()
    from hgk_lib.orchestrate import county as C
    from hgk_lib.params import default_params_file

    t_import = time.perf_counter() - t0
    if variant == "without":
        import pandas as pd

        from hgk_lib.integrity import wiring as W

        W.screen_county = lambda tables, audit, params: (pd.DataFrame(), pd.DataFrame())  # noqa: E731
    t1, c1 = time.perf_counter(), time.process_time()
    run = C.process_county(data, county, YEAR, default_params_file(YEAR), output_root=out)
    paths = C.write_county_outputs(run, out)
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1
    from hgk_lib import visit as VP

    units = run.integrity if run.integrity is not None else []
    return {
        "variant": variant,
        "wall": round(wall, 3),
        "cpu": round(cpu, 3),
        "import": round(t_import, 3),
        "visit_plan_headline": VP.plan_headline(paths["visit_plan"]),
        "timings": dict(run.timings),
        "units": int(len(units)),
        "flagged": int(run.integrity["flagged"].sum()) if len(units) else 0,
        "households": int(len(run.data.tables["household"])),
    }


def warm(data: str, county: str, out: str) -> dict:
    """In one process after a county run: CPU seconds of the screen called again (warm) and of the visit plan
    written with and without the flagged units' households (median of 3 each; CPU time, so the shared machine's load
    matters less)."""
    import tempfile

    from hgk_lib.integrity import wiring as W
    from hgk_lib.orchestrate import county as C
    from hgk_lib.params import default_params_file
    from hgk_lib.visit import write_county_visit_plan

    run = C.process_county(data, county, YEAR, default_params_file(YEAR), output_root=out)

    def cpu(f, n=3):
        r = []
        for _ in range(n):
            c = time.process_time()
            f()
            r.append(time.process_time() - c)
        return statistics.median(r)

    d = Path(tempfile.mkdtemp())
    flags = W.visit_flags(run.integrity_items)
    stages = {k: v for k, v in run.timings.items()}
    return {
        "screen_cpu": cpu(lambda: W.screen_county(run.data.tables, run.audit, run.params)),
        "visit_with_cpu": cpu(lambda: write_county_visit_plan(run, d, integrity=flags)),
        "visit_without_cpu": cpu(lambda: write_county_visit_plan(run, d, integrity=None)),
        "run_stages_cpu_free": stages,
    }


def import_cost() -> float:
    """Seconds ``import hgk_lib.integrity`` costs after everything else a county run imports (-X importtime)."""
    code = (
        "import pandas, openpyxl, matplotlib.figure\n"
        "import hgk_lib.orchestrate.county, hgk_lib.audit, hgk_lib.rules.engine, hgk_lib.risk.features, "
        "hgk_lib.visit, hgk_lib.results, hgk_lib.report.summary, hgk_lib.report.xlsx\n"
        "import time; t=time.perf_counter(); import hgk_lib.integrity.wiring; print(time.perf_counter()-t)"
    )
    runs = []
    for _ in range(3):
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
        runs.append(float(p.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/hgk-integrity-run")
    ap.add_argument("--county", default="441881")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--one", nargs=4, metavar=("DATA", "COUNTY", "OUT", "VARIANT"), help=argparse.SUPPRESS)
    ap.add_argument("--warm", nargs=3, metavar=("DATA", "COUNTY", "OUT"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one:
        print(json.dumps(one(*a.one), ensure_ascii=False))
        return
    if a.warm:
        print(json.dumps(warm(*a.warm), ensure_ascii=False))
        return
    work = Path(a.work)
    data = work / "export" / str(YEAR)
    if not data.is_dir():
        subprocess.run(
            [sys.executable, "-m", "hgk_lib", "demo-data", "--out", str(data), "--seed", "2019"], check=True, cwd=ROOT
        )
    county = next(p.name for p in sorted(data.iterdir()) if p.name.startswith(a.county))
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")
    res = {"with": [], "without": []}
    for r in range(-1, a.repeats):  # alternate, so load on the shared machine hits both alike; r = -1: warm-up
        for variant in ("with", "without"):
            out = work / f"out_{variant}"
            p = subprocess.run(
                [sys.executable, __file__, "--one", str(data), county, str(out), variant],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
            )
            if p.returncode:
                sys.exit(p.stderr[-3000:])
            rec = json.loads(p.stdout.strip().splitlines()[-1])
            if r < 0:  # the first run of each output root prepares the whole export (processed data): not counted
                print(f"  {variant:8s} warm-up (prepares the export): {rec['wall']:.2f} s", flush=True)
                continue
            res[variant].append(rec)
            print(
                f"  {variant:8s} run {r + 1}: {rec['wall']:.2f} s wall, {rec['cpu']:.2f} s CPU  "
                f"(screen {rec['timings'].get('integrity', 0):.2f} s)",
                flush=True,
            )
    imp = import_cost()
    p = subprocess.run(
        [sys.executable, __file__, "--warm", str(data), county, str(work / "out_with")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    wm = json.loads(p.stdout.strip().splitlines()[-1])
    med = {v: statistics.median(x["wall"] for x in recs) for v, recs in res.items()}
    cpu = {v: statistics.median(x["cpu"] for x in recs) for v, recs in res.items()}
    best = {v: min(x["wall"] for x in recs) for v, recs in res.items()}
    stage = statistics.median(x["timings"].get("integrity", 0.0) for x in res["with"])
    stages = {k: statistics.median(x["timings"].get(k, 0.0) for x in res["with"]) for k in res["with"][0]["timings"]}
    w = res["with"][0]
    overhead = (stage + imp) / med["with"]
    print(
        f"demo county {county}: {w['households']:,} households, {w['units']:,} unit x indicator rows, "
        f"{w['flagged']} flagged; load average {os.getloadavg()[0]:.1f}"
    )
    print("stages (median s, with the screen): " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))
    print(
        f"county run: with the screen {med['with']:.2f} s, without {med['without']:.2f} s (median of {a.repeats}); "
        f"difference {med['with'] - med['without']:+.2f} s; fastest {best['with']:.2f} s / {best['without']:.2f} s "
        f"({best['with'] - best['without']:+.2f} s)"
    )
    print(
        f"CPU time of the county run (median, this process; less sensitive to the shared machine's load): "
        f"with {cpu['with']:.2f} s, without {cpu['without']:.2f} s, difference {cpu['with'] - cpu['without']:+.2f} s "
        f"= {(cpu['with'] - cpu['without']) / cpu['with']:.1%}"
    )
    print(
        "visit plan: with: "
        + res["with"][0]["visit_plan_headline"]
        + " | without: "
        + res["without"][0]["visit_plan_headline"]
    )
    print(
        f"in one process (CPU, median of 3): screen called again {wm['screen_cpu']:.2f} s; visit plan with the "
        f"flagged households {wm['visit_with_cpu']:.2f} s, without {wm['visit_without_cpu']:.2f} s"
    )
    print(
        f"screen stage {stage:.2f} s + import of hgk_lib.integrity {imp:.2f} s = {stage + imp:.2f} s "
        f"= {overhead:.1%} of the county run (target ≤ 10%)"
    )
    outp = ROOT / "bench" / "results" / "bench_integrity_run.json"
    outp.parent.mkdir(parents=True, exist_ok=True)
    outp.write_text(
        json.dumps(
            {
                "county": county,
                "runs": res,
                "median_wall": med,
                "best_wall": best,
                "median_cpu": cpu,
                "warm": wm,
                "screen_stage": stage,
                "import": imp,
                "overhead": overhead,
                "stages": stages,
                "loadavg": os.getloadavg()[0],
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
