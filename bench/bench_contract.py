"""Issue 10 speed figures: library-only county runs vs the notebook audit, the draw alone, and where a county
notebook's time goes.

    .venv/bin/python bench/bench_contract.py [--data data/raw/2019] [--repeats 2] [--workers 2] [--keep DIR]

1. ``hgk check`` (load + 95 rules + audit + saved results, no notebooks) and ``hgk audit --workers N`` (the same
   through the county notebooks, plus ledgers, HTML, the draw and the city notebook) on the same export, each into
   a fresh output root, **alternating**, ``--repeats`` times each; medians and the ratio audit / check.
2. ``hgk spot-check draw`` alone on the last audit's saved results, ``--repeats`` times; median.
3. Where a county notebook's time goes, from the last audit's ``run.json`` records: the notebook's wall time
   (kernel start + cells), the county run's stages (prepare, load, rules, audit, results, ledger, summary) and the
   HTML rendering; the rest of the notebook's time is kernel start, imports, tables and plots.
4. With ``--writers``: the largest ledger's sheets written with openpyxl's write-only mode and with XlsxWriter
   (constant_memory), same cells, median of ``--repeats`` (XlsxWriter must be installed).

Every figure is printed; nothing is asserted (timings are not tests).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


#: CPU seconds (user + sys of the command and every process it started) of the last :func:`hgk` call — less
#: sensitive than wall time to other work on a shared machine
LAST_CPU = [0.0]


def hgk(*args) -> tuple[float, int, str]:
    import resource

    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "hgk_lib", *map(str, args)], env=env, cwd=ROOT, capture_output=True, text=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - t0, proc.returncode, proc.stderr[-2000:]


def notebook_breakdown(out: Path, year: int) -> list[dict]:
    rows = []
    for rec_path in sorted((out / str(year)).glob("*/run.json")):
        rec = json.loads(rec_path.read_text(encoding="utf-8"))
        t = rec.get("timings") or {}
        lib = sum(t.values())
        rows.append(
            {
                "county": rec.get("name", rec_path.parent.name),
                "notebook_s": rec.get("seconds"),
                **{k: t.get(k) for k in ("prepare", "load", "rules", "audit", "results", "ledger", "summary")},
                "library_s": round(lib, 2),
                "kernel_tables_plots_s": round((rec.get("seconds") or 0) - lib, 2),
                "html_s": rec.get("html_seconds"),
            }
        )
    return rows


def writers(ledger: Path, repeats: int) -> dict:
    """openpyxl write-only vs XlsxWriter on the same cells (the ledger's sheets read back with calamine)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(ledger))
    sheets = {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}
    cells = sum(len(r) for rows in sheets.values() for r in rows)
    tmp = Path(tempfile.mkdtemp(prefix="hgk-writers-"))

    def openpyxl_wo():
        from openpyxl import Workbook

        w = Workbook(write_only=True)
        for name, rows in sheets.items():
            ws = w.create_sheet(name)
            for r in rows:
                ws.append(r)
        w.save(tmp / "a.xlsx")

    def xlsxwriter_cm():
        import xlsxwriter

        w = xlsxwriter.Workbook(str(tmp / "b.xlsx"), {"constant_memory": True})
        for name, rows in sheets.items():
            ws = w.add_worksheet(name)
            for i, r in enumerate(rows):
                ws.write_row(i, 0, r)
        w.close()

    out = {"ledger": ledger.name, "cells": cells}
    for label, fn in (("openpyxl_write_only_s", openpyxl_wo), ("xlsxwriter_constant_memory_s", xlsxwriter_cm)):
        try:
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            out[label] = round(statistics.median(times), 2)
        except ImportError as err:
            out[label] = f"not installed ({err.name})"
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "raw" / "2019"))
    ap.add_argument("--year", type=int, default=2019)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", default=None, help="work folder (default: a temporary folder, removed)")
    ap.add_argument("--writers", action="store_true", help="also compare openpyxl write-only with XlsxWriter")
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hgk-bench-contract-"))
    work.mkdir(parents=True, exist_ok=True)
    data = Path(args.data)
    if not data.is_dir() or not any(data.iterdir()):
        data = work / "export" / str(args.year)
        secs, rc, err = hgk("demo-data", "--out", data)
        if rc:
            print(err, file=sys.stderr)
            return rc
    check_s, audit_s, draw_s = [], [], []
    last_audit = None
    for i in range(args.repeats):  # alternating, each into a fresh output root
        out = work / f"check_{i}"
        shutil.rmtree(out, ignore_errors=True)
        secs, rc, err = hgk("check", "--data", data, "--year", args.year, "--out", out)
        print(f"check #{i + 1}: {secs:.1f} s, CPU {LAST_CPU[0]:.1f} s (exit {rc})", flush=True)
        if rc:
            print(err, file=sys.stderr)
        check_s.append(secs)
        out = work / f"audit_{i}"
        shutil.rmtree(out, ignore_errors=True)
        secs, rc, err = hgk("audit", "--data", data, "--year", args.year, "--out", out, "--workers", args.workers)
        print(f"audit --workers {args.workers} #{i + 1}: {secs:.1f} s, CPU {LAST_CPU[0]:.1f} s (exit {rc})", flush=True)
        if rc:
            print(err, file=sys.stderr)
        audit_s.append(secs)
        last_audit = out
    for i in range(args.repeats):
        secs, rc, err = hgk("spot-check", "draw", "--data", data, "--year", args.year, "--out", last_audit)
        print(f"draw #{i + 1}: {secs:.1f} s, CPU {LAST_CPU[0]:.1f} s (exit {rc})", flush=True)
        draw_s.append(secs)
    res = {
        "data": str(data),
        "cpus": os.cpu_count(),
        "load_avg": os.getloadavg(),
        "repeats": args.repeats,
        "check_median_s": round(statistics.median(check_s), 1),
        f"audit_workers{args.workers}_median_s": round(statistics.median(audit_s), 1),
        "ratio_audit_to_check": round(statistics.median(audit_s) / statistics.median(check_s), 2),
        "draw_median_s": round(statistics.median(draw_s), 1),
        "check_s": [round(x, 1) for x in check_s],
        "audit_s": [round(x, 1) for x in audit_s],
        "draw_s": [round(x, 1) for x in draw_s],
    }
    run_summary = json.loads((last_audit / str(args.year) / "run_summary.json").read_text(encoding="utf-8"))
    res["audit_steps_s"] = {
        "spot_check": (run_summary.get("spot_check") or {}).get("seconds"),
        "city": (run_summary.get("city") or {}).get("seconds"),
        "total": run_summary.get("seconds"),
    }
    rows = notebook_breakdown(last_audit, args.year)
    print(json.dumps(res, ensure_ascii=False, indent=2))
    if rows:
        import pandas as pd

        t = pd.DataFrame(rows)
        print("\nWhere a county notebook's time goes (last audit, seconds):")
        print(t.to_string(index=False))
        tot = t.drop(columns="county").sum(numeric_only=True).round(1)
        print("\ntotals:", tot.to_dict())
    if args.writers:
        ledgers = sorted(last_audit.glob(f"{args.year}/*/回头看台账_*.xlsx"), key=lambda p: p.stat().st_size)
        if ledgers:
            print("\nledger writers:", json.dumps(writers(ledgers[-1], args.repeats), ensure_ascii=False))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
