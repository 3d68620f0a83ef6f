"""Benchmark: a province-size export on one machine, per step (issue 15).

    .venv/bin/python bench/bench_province.py [--households 650000] [--work /tmp/hgk-province] [--workers 2]

1. generate (or reuse) ``hgk demo-data --households N --format csv`` under ``<work>/export/2019``
   (650k households: ~7 min and ~10 GB peak — only when the machine has the memory free);
2. load: ``prepare_city`` with ``--workers`` processes (processed parquet + the partitioned R09 index);
3. ``hgk audit --workers W`` on the loaded data (county notebooks incl. rules, audit, ledger write and HTML; the
   spot-check draw; the city summary), its whole process tree sampled for memory;
4. the largest county's job step by step in a fresh process (rules, audit, ledger write) and the HTML render of
   its executed notebook, so the county notebook's time splits into its parts.

Prints one table (step, seconds, peak memory of the step's main process, of its whole process tree and of the
largest single process) and the per-county notebook times; writes ``bench/results/bench_province.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from profile_steps import Steps  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=650_000)
    ap.add_argument("--work", default="/tmp/hgk-province")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-spot-check", action="store_true")
    ap.add_argument(
        "--no-audit",
        action="store_true",
        help="skip the whole hgk audit; run the largest county's notebook alone (HTML step)",
    )
    ap.add_argument(
        "--no-direct",
        action="store_true",
        help="skip the smallest and largest county's steps in a process of their own (saves ~10 minutes)",
    )
    a = ap.parse_args()
    import pandas as pd

    from hgk_lib.orchestrate.paths import county_name, default_processed_root, find_counties, processed_dir

    from hgk_lib.orchestrate.processed import prepare_city

    work = Path(a.work)
    data = work / "export" / "2019"
    out = work / "out"
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")
    steps = Steps()
    if not data.is_dir():
        with steps("generate (demo-data)"):
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "hgk_lib",
                    "demo-data",
                    "--out",
                    str(data),
                    "--households",
                    str(a.households),
                    "--format",
                    "csv",
                ],
                check=True,
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
            )
    counties = find_counties(data)
    with steps("load (prepare_city, R09 index)"):
        prepare_city(data, 2019, default_processed_root(out), counties, workers=a.workers)
    sizes = {
        c: len(
            pd.read_parquet(
                processed_dir(default_processed_root(out), 2019, c) / "household.parquet", columns=["hh_id"]
            )
        )
        for c in counties
    }
    rc, draw_s, city_s = None, None, None
    per_county = pd.DataFrame({"county": counties, "households": [sizes[c] for c in counties]})
    if not a.no_audit:
        cmd = [
            sys.executable,
            "-m",
            "hgk_lib",
            "audit",
            "--data",
            str(data),
            "--year",
            "2019",
            "--out",
            str(out),
            "--workers",
            str(a.workers),
        ] + (["--no-spot-check"] if a.no_spot_check else [])
        with steps("hgk audit (notebooks + draw + city)"):
            rc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        summary = json.loads((out / "2019" / "run_summary.json").read_text("utf-8"))
        per_county = pd.DataFrame(
            [
                {
                    "county": r["county"],
                    "households": sizes.get(r["county"]),
                    "status": r["status"],
                    "seconds": r.get("seconds"),
                }
                for r in summary["counties"]
            ]
        )
        draw_s = (summary.get("spot_check") or {}).get("seconds")
        city_s = (summary.get("city") or {}).get("seconds")
    big = max(sizes, key=sizes.get)
    small = min(sizes, key=sizes.get)
    direct = []
    for c in [] if a.no_direct else dict.fromkeys([small, big]):  # each county job's steps in a fresh process
        res = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "bench_county_cost.py"),
                "--one-county",
                str(data),
                c,
                str(work / "direct"),
                str(default_processed_root(out)),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
        )
        if res.returncode:
            print(res.stderr[-2000:], file=sys.stderr)
            continue
        direct += [
            dict(r, step=f"{r['step']} ({county_name(c)}, direct)")
            for r in json.loads(res.stdout.strip().splitlines()[-1])
        ]
    if a.no_audit:  # the HTML render needs an executed notebook: run the largest county's notebook alone
        from hgk_lib.orchestrate.batch import county_job, run_county_job

        job = county_job(data, big, 2019, ROOT / "params" / "2019.yaml", out, 7200, scope=counties)
        with steps(f"county notebook incl. HTML ({county_name(big)})"):
            rec = run_county_job(job)
        steps.rows[-1]["status"] = rec["status"]
    ipynb = next((out / "2019" / big).glob("*.ipynb"), None) if (out / "2019" / big).is_dir() else None
    if ipynb is not None:
        from hgk_lib.report.render import render_notebook_html

        with steps(f"HTML render ({county_name(big)})"):
            render_notebook_html(ipynb, work / "render_test.html")
        steps.rows[-1]["html_mb"] = round((work / "render_test.html").stat().st_size / 2**20, 1)
    steps.close()
    rows = steps.rows + direct
    rows += [
        {"step": "spot-check draw (from run_summary)", "seconds": draw_s},
        {"step": "city summary (from run_summary)", "seconds": city_s},
    ]
    table = pd.DataFrame(rows)
    print(f"{sum(sizes.values()):,} households in {len(counties)} counties; hgk audit exit code {rc}")
    print(table.to_string(index=False))
    print(per_county.sort_values("households").to_string(index=False))
    res_dir = ROOT / "bench" / "results"
    res_dir.mkdir(exist_ok=True)
    (res_dir / "bench_province.json").write_text(
        json.dumps(
            {"households": sum(sizes.values()), "steps": rows, "counties": per_county.to_dict("records"), "rc": rc},
            ensure_ascii=False,
            indent=1,
            default=str,
        ),
        "utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
