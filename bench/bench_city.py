"""Benchmark: the whole city (every county notebook + the city summary) on the default demo export.

Measures
  1. ``hgk audit --workers 1``  (papermill, one county at a time)
  2. ``hgk audit --workers 2``  (papermill, two counties at a time)
  3. the same library calls made directly in one process (prepare, process_county + write_county_outputs per
     county, the city workbook), i.e. what the notebooks do without kernels, papermill or HTML rendering,
and prints the wall times and the overhead ratio papermill(2 workers) / direct (goal < 1.5).

Usage: ``python bench/bench_city.py [--data data/raw/2019] [--year 2019] [--keep DIR]``. The demo export is generated
into a temporary folder when ``--data`` does not exist. The spot-check draw is left out of all three runs (it is the
same library call either way). Results also go to ``bench/results/bench_city.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_cli(args: list[str]) -> tuple[float, int]:
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "hgk_lib", *args], env=env, cwd=ROOT)
    return time.perf_counter() - t0, proc.returncode


def direct(data: Path, year: int, out: Path) -> float:
    """The notebooks' library calls in one process (no kernel, no papermill, no HTML)."""
    from hgk_lib.orchestrate import county as C
    from hgk_lib.orchestrate import paths as P
    from hgk_lib.orchestrate import views as V
    from hgk_lib.orchestrate.processed import prepare_city
    from hgk_lib.report import city

    t0 = time.perf_counter()
    prepare_city(data, year, P.default_processed_root(out))
    for c in P.find_counties(data):
        run = C.process_county(data, c, year, None, output_root=out)
        C.write_county_outputs(run, out)
    summaries, status, problems = city.collect_county_results(out, year)
    xlsx = P.city_output_dir(out, year) / f"回头看总结_{year}.xlsx"
    city.write_city_workbook(
        xlsx,
        year=year,
        summaries=summaries,
        status=status,
        problems=problems,
        spot_estimates=V.county_spot_estimates(V.spot_estimates(out, year)),
        run_time=V.utc_now(),
    )
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "raw" / "2019"))
    ap.add_argument("--year", type=int, default=2019)
    ap.add_argument("--keep", default=None, help="keep outputs under this folder (default: a temporary folder)")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hgk-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = Path(args.data)
    if not data.is_dir() or not any(data.iterdir()):
        data = work / "export" / str(args.year)
        print(f"生成演示数据：{data}")
        secs, rc = run_cli(["demo-data", "--out", str(data)])
        if rc:
            print("演示数据生成失败", file=sys.stderr)
            return rc
    from hgk_lib.orchestrate.paths import find_counties

    n = len(find_counties(data))
    results = {"data": str(data), "counties": n, "cpus": os.cpu_count()}
    for workers in (1, 2):
        out = work / f"papermill_w{workers}"
        secs, rc = run_cli(
            [
                "audit",
                "--data",
                str(data),
                "--year",
                str(args.year),
                "--out",
                str(out),
                "--workers",
                str(workers),
                "--no-spot-check",
            ]
        )
        results[f"papermill_workers{workers}_s"] = round(secs, 1)
        results[f"papermill_workers{workers}_rc"] = rc
    results["direct_s"] = round(direct(data, args.year, work / "direct"), 1)
    results["overhead_ratio_workers1"] = round(results["papermill_workers1_s"] / results["direct_s"], 2)
    results["overhead_ratio_workers2"] = round(results["papermill_workers2_s"] / results["direct_s"], 2)
    print(f"\n全市 {n} 个县 + 全市汇总（不含抽查抽样），{os.cpu_count()} 核")
    print(
        f"  papermill，1 个进程：{results['papermill_workers1_s']:8.1f} 秒（退出码 {results['papermill_workers1_rc']}）"
    )
    print(
        f"  papermill，2 个进程：{results['papermill_workers2_s']:8.1f} 秒（退出码 {results['papermill_workers2_rc']}）"
    )
    print(f"  直接调用库函数（单进程）：{results['direct_s']:8.1f} 秒")
    print(
        f"  开销比 papermill/直接：1 进程 {results['overhead_ratio_workers1']:.2f}×，"
        f"2 进程 {results['overhead_ratio_workers2']:.2f}×（目标 < 1.5×）"
    )
    res_dir = ROOT / "bench" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    (res_dir / "bench_city.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if results["papermill_workers2_rc"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
