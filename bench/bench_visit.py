"""Benchmark: the visit plan's added time per county (target: at most 15 % of the county's audit time on the demo).

For every county of an export: the audit as the county run does it (``process_county``: processed data, 95 rules,
audit) plus the ledger and summary.json, then the visit plan (build + workbook). Prints one row per county with the
seconds of each (wall, and CPU: less sensitive to other work on a shared machine), the plan's share, and the plan's
figures (households to visit, items, trips saved); then the totals. The notebook run of ``hgk audit`` adds kernel
start-up and HTML rendering on top of the audit time, so the share printed here is an upper bound of the share in
``hgk audit``.

With ``--from-audit OUT`` it reads a finished ``hgk audit`` run instead (``OUT/<year>/run_summary.json``: every
county job's seconds and its stage timings, the visit plan's included) and prints the visit plan's share of each
county's audit job as the user waits for it (notebook, kernel, ledger, HTML) — the plan's seconds against the
job's seconds without them.

Usage::

    python bench/bench_visit.py                          # generates the demo export (~15,000 households)
    python bench/bench_visit.py --data data/raw/2019     # an existing export
    python bench/bench_visit.py --from-audit outputs      # the share inside a finished hgk audit run
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hgk_lib.orchestrate import county as P  # noqa: E402
from hgk_lib.orchestrate import paths as PP  # noqa: E402
from hgk_lib.orchestrate import processed as PR  # noqa: E402
from hgk_lib.report.ledger import write_county_ledger  # noqa: E402
from hgk_lib.report.summary import write_json_atomic  # noqa: E402
from hgk_lib.rules import load_catalogue  # noqa: E402
from hgk_lib.visit import build_visit_plan, plan_file_name  # noqa: E402
from hgk_lib.visit.workbook import write_visit_plan  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="export folder (default: generate the demo into a temporary folder)")
    ap.add_argument("--year", type=int, default=2019)
    ap.add_argument("--counties", nargs="*")
    ap.add_argument("--from-audit", help="output root of a finished hgk audit run: print the shares inside it")
    args = ap.parse_args()
    if args.from_audit:
        return shares_in_audit(Path(args.from_audit), args.year)
    tmp = Path(tempfile.mkdtemp(prefix="hgk_bench_visit_"))
    data = Path(args.data) if args.data else tmp / "raw" / str(args.year)
    if not args.data:
        subprocess.run([sys.executable, "-m", "hgk_lib", "demo-data", "--out", str(data)], check=True)
    out = tmp / "out"
    params = ROOT / "params" / f"{args.year}.yaml"
    counties = PP.find_counties(data, args.counties)
    PR.prepare_city(data, args.year, PP.default_processed_root(out), counties)  # loading is shared by every step
    load_catalogue()
    rows = []
    for c in counties:
        t0, c0 = time.perf_counter(), time.process_time()
        run = P.process_county(data, c, args.year, params, output_root=out)
        out_dir = PP.county_output_dir(out, run.year, run.county)
        out_dir.mkdir(parents=True, exist_ok=True)
        summary = P.county_summary(run)
        write_county_ledger(out_dir / "ledger.xlsx", summary=summary, **P.report_inputs(run))
        write_json_atomic(out_dir / "summary.json", summary)
        t1, c1 = time.perf_counter(), time.process_time()
        plan = build_visit_plan(
            findings=run.findings,
            audit=run.audit,
            tables=run.data.tables,
            params=run.params,
            catalogue=load_catalogue(),
            county=run.county,
        )
        t2 = time.perf_counter()
        write_visit_plan(
            out_dir / plan_file_name(run.name, run.year),
            plan,
            county_name=run.name,
            county_folder=run.county,
            params=run.params,
            provenance=run.provenance,
        )
        t3, c3 = time.perf_counter(), time.process_time()
        audit_s, plan_s = t1 - t0, t3 - t1
        audit_c, plan_c = c1 - c0, c3 - c1  # CPU seconds: less sensitive to other work on a shared machine
        rows.append(
            {
                "县": run.name,
                "户数": len(run.data.tables["household"]),
                "审计+台账(秒)": round(audit_s, 2),
                "计划构建(秒)": round(t2 - t1, 2),
                "计划写入(秒)": round(t3 - t2, 2),
                "计划(秒)": round(plan_s, 2),
                "占比": f"{plan_s / audit_s:.1%}",
                "审计+台账CPU(秒)": round(audit_c, 2),
                "计划CPU(秒)": round(plan_c, 2),
                "CPU占比": f"{plan_c / audit_c:.1%}",
                "需走访户数": plan.trips["households"],
                "事项数": plan.trips["items"],
                "部门分别入户": plan.trips["department_trips"],
                "减少入户": plan.trips["saved"],
            }
        )
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    a, p = table["审计+台账(秒)"].sum(), table["计划(秒)"].sum()
    ac, pc = table["审计+台账CPU(秒)"].sum(), table["计划CPU(秒)"].sum()
    print(
        f"合计：审计+台账 {a:.1f} 秒，入户核查计划 {p:.1f} 秒，增加 {p / a:.1%}（CPU：{ac:.1f} 秒 / {pc:.1f} 秒，"
        f"增加 {pc / ac:.1%}）；需走访 {table['需走访户数'].sum()} 户，"
        f"事项 {table['事项数'].sum()} 项，部门分别入户 {table['部门分别入户'].sum()} 次，"
        f"减少入户 {table['减少入户'].sum()} 次"
    )
    print(f"输出：{out}")
    return 0


def shares_in_audit(out: Path, year: int) -> int:
    """The visit plan's share of every county job of a finished ``hgk audit`` run (its run_summary.json)."""
    import json

    summary = json.loads((out / str(year) / "run_summary.json").read_text("utf-8"))
    rows = []
    for r in summary["counties"]:
        plan = float((r.get("timings") or {}).get("visit_plan") or 0)
        job = float(r.get("seconds") or 0)
        if r.get("status") != "success" or job <= plan:
            continue  # skipped (resumed) or failed jobs carry no fresh time
        rows.append(
            {"县": r.get("name") or r["county"], "县任务(秒)": job, "计划(秒)": plan, "占比": plan / (job - plan)}
        )
    if not rows:
        print("run_summary.json 中没有本次运行成功的县任务")
        return 1
    t = pd.DataFrame(rows)
    print(t.assign(占比=t["占比"].map("{:.1%}".format)).to_string(index=False))
    job, plan = t["县任务(秒)"].sum(), t["计划(秒)"].sum()
    print(
        f"合计：县任务 {job:.1f} 秒，其中入户核查计划 {plan:.1f} 秒，比不含计划的县任务增加 {plan / (job - plan):.1%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
