"""Benchmark: the cost of one county job against its size (the curve docs/deployment.md extrapolates from).

    .venv/bin/python bench/bench_county_cost.py [--sizes 5000,20000,50000] [--work /tmp/hgk-cost] [--county 441881]

For each size: a one-county demo export of that many households (``hgk demo-data --format csv``, reused when
present), then, in a fresh process, the county job's library calls without papermill: load (prepare_city), rules,
audit, ledger + summary.json write; wall time and peak resident memory per step, and the ledger's size on disk.
The notebook's kernel adds its own start-up (~10 s) and plots; the HTML render is measured by bench_province.py.
Results go to ``bench/results/bench_county_cost.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def one(data: str, out: str, county: str | None = None, processed_root: str | None = None) -> list[dict]:
    """The county job's steps in this process (``county``: default the export's only county)."""
    from profile_steps import Steps

    from hgk_lib.orchestrate.county import CountyRun, build_provenance, write_county_outputs

    from hgk_lib.orchestrate.paths import (
        default_processed_root,
        find_counties,
        input_hash,
        params_hash,
        processed_dir,
        resolve_path,
        safe_path,
    )

    from hgk_lib.orchestrate.processed import others_from_index, prepare_city
    from hgk_lib.audit import audit_county
    from hgk_lib.io import read_processed
    from hgk_lib.params import default_params_file, load_params
    from hgk_lib.rules.engine import make_context, run_rules

    steps = Steps()
    year = 2019
    pfile = default_params_file(year)
    params = load_params(pfile)
    if county is None:
        (county,) = find_counties(data)
    proot = Path(processed_root) if processed_root else default_processed_root(out)
    with steps("load"):
        prepare_city(data, year, proot)
        d = read_processed(processed_dir(proot, year, county))
        others = others_from_index(proot, year, county) or {}
    n_hh, n_people = len(d.tables["household"]), len(d.tables["member"])
    with steps("rules"):
        ctx = make_context(d.tables, params, county, others=others, quarantined_hh=d.quarantined_hh)
        rr = run_rules(ctx)
    with steps("audit"):
        audit = audit_county(d.tables, params, rr.findings)
    with steps("ledger+summary write"):
        in_hash = input_hash(safe_path(resolve_path(data), county))
        p_hash = params_hash(params)
        prov = build_provenance(county, year, params, pfile, d, in_hash, p_hash, sorted(others))
        run = CountyRun(
            county=county,
            year=year,
            data=d,
            findings=rr.findings,
            rule_summary=rr.summary,
            audit=audit,
            params=params,
            params_file=pfile,
            provenance=prov,
            input_hash=in_hash,
            params_hash=p_hash,
            others=sorted(others),
            data_root=str(data),
        )
        paths = write_county_outputs(run, out)
    steps.close()
    rows = steps.rows
    for r in rows:
        r.update(
            households=n_hh,
            people=n_people,
            findings=len(rr.findings),
            ledger_mb=round(paths["ledger"].stat().st_size / 2**20, 1),
        )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="5000,20000,50000")
    ap.add_argument("--work", default="/tmp/hgk-county-cost")
    ap.add_argument("--county", default="441881")
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--one-county", nargs=4, help=argparse.SUPPRESS)  # data county out processed_root
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(*a.one), ensure_ascii=False))
        return 0
    if a.one_county:
        data, county, out, proot = a.one_county
        print(json.dumps(one(data, out, county, proot), ensure_ascii=False))
        return 0
    import pandas as pd

    rows = []
    for n in [int(x) for x in a.sizes.split(",")]:
        data = Path(a.work) / f"hh{n}" / "2019"
        if not data.is_dir():
            t0 = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "hgk_lib",
                    "demo-data",
                    "--out",
                    str(data),
                    "--counties",
                    a.county,
                    "--households",
                    str(n),
                    "--format",
                    "csv",
                ],
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            print(f"demo {n}: {time.perf_counter() - t0:.0f} s", flush=True)
        out = Path(a.work) / f"hh{n}" / "out"
        res = subprocess.run(
            [sys.executable, __file__, "--one", str(data), str(out)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg"),
        )
        if res.returncode:
            print(res.stderr[-3000:], file=sys.stderr)
            return res.returncode
        got = json.loads(res.stdout.strip().splitlines()[-1])
        rows += got
        print(pd.DataFrame(got).to_string(index=False), flush=True)
    df = pd.DataFrame(rows)
    tot = (
        df.groupby("households")
        .agg(
            seconds=("seconds", "sum"),
            peak_mb=("peak_mb", "max"),
            people=("people", "first"),
            ledger_mb=("ledger_mb", "first"),
        )
        .reset_index()
    )
    print("\nper county job (no notebook):")
    print(tot.to_string(index=False))
    if len(tot) >= 2:
        import numpy as np

        a_s, b_s = np.polyfit(tot["households"], tot["seconds"], 1)
        a_m, b_m = np.polyfit(tot["households"], tot["peak_mb"], 1)
        print(
            f"fit: seconds ≈ {b_s:.1f} + {a_s * 1000:.2f} per 1,000 households; "
            f"peak MB ≈ {b_m:.0f} + {a_m * 1000:.1f} per 1,000 households"
        )
    res_dir = ROOT / "bench" / "results"
    res_dir.mkdir(exist_ok=True)
    (res_dir / "bench_county_cost.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
