"""Kept kernels vs a fresh papermill process and kernel per county, same window: ``hgk audit --workers 2`` and
``hgk audit --workers 2 --fresh-kernels`` on the same export, each into a fresh output root, alternating.

    .venv/bin/python bench/bench_kernels.py [--data data/raw/2019] [--repeats 3] [--workers 2]

Prints each run's wall time, the medians and their ratio, and the per-county notebook seconds of the last pair.
Nothing is asserted (timings are not tests).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def audit(data: str, out: Path, workers: int, fresh: bool) -> float:
    cmd = [sys.executable, "-m", "hgk_lib", "audit", "--data", data, "--year", "2019", "--out", str(out)]
    cmd += ["--workers", str(workers)] + (["--fresh-kernels"] if fresh else [])
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    secs = time.monotonic() - t0
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
    return secs


def county_seconds(out: Path) -> dict[str, float]:
    summary = json.loads((out / "2019" / "run_summary.json").read_text(encoding="utf-8"))
    return {r["name"]: r["seconds"] for r in summary["counties"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "raw" / "2019"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="hgk-bench-kernels-"))
    times: dict[str, list[float]] = {"kept": [], "fresh": []}
    try:
        for i in range(args.repeats):
            for mode in ("fresh", "kept") if i % 2 else ("kept", "fresh"):
                out = work / f"{mode}_{i}"
                secs = audit(args.data, out, args.workers, mode == "fresh")
                times[mode].append(round(secs, 1))
                print(f"{mode} #{i + 1}: {secs:.1f} s", flush=True)
        med = {m: statistics.median(v) for m, v in times.items()}
        print(json.dumps({"times_s": times, "median_s": med, "kept_over_fresh": round(med["kept"] / med["fresh"], 3)}))
        last = args.repeats - 1
        kept, fresh = county_seconds(work / f"kept_{last}"), county_seconds(work / f"fresh_{last}")
        print("county notebook seconds (last pair): county, kept, fresh")
        for c in kept:
            print(f"  {c}\t{kept[c]}\t{fresh.get(c)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
