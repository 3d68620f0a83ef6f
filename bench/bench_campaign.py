"""Benchmark: the city summary's queries on a province-size campaign record (≈ 2 M items, 5 runs).

    .venv/bin/python bench/bench_campaign.py [--items 2000000] [--counties 100] [--keep PATH]

Generates the record directly with SQL (items spread over counties, departments, sources and states; one creation
event per item plus moves; run_counts per run), then times each query of :mod:`hgk_lib.campaign.progress` and the
overdue list. Target: each query ≤ 5 s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from hgk_lib.campaign.progress import claims_vs_city, open_curve, stage_timeline, state_table
from hgk_lib.campaign.record import open_record, transaction
from hgk_lib.campaign.states import overdue_items
from hgk_lib.params import load_params

DEPTS = ["扶贫办", "教育局", "医疗保障局", "住房城乡建设局", "水务局", "民政局", "人社局", "公安局"]
SOURCES = ["规则", "收入", "三保障", "动态管理", "分类施策"]  # + 市抽查 for one item in 1000 (a city spot check)
STATES = ["未整改", "整改中", "已整改", "已销号", "整改不实"]


def _case(col_expr: str, values: list[str]) -> str:
    return "CASE " + " ".join(f"WHEN {col_expr} = {i} THEN '{v}'" for i, v in enumerate(values)) + " END"


def build(path: Path, n_items: int, n_counties: int, n_runs: int = 5) -> None:
    con = open_record(path)
    with transaction(con):
        for r in range(1, n_runs + 1):
            kind = "audit" if r in (1, 3) else ("spot_check" if r == 5 else "collect")
            con.execute(
                "INSERT INTO runs (run_id, kind, started_at, county, as_of) VALUES (?, ?, ?, NULL, ?)",
                (r, kind, f"2019-{9 + r // 3:02d}-{10 + r:02d}T00:00:00+00:00", f"2019-10-{10 + r:02d}"),
            )
        con.execute(f"""
            WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {n_items - 1})
            INSERT INTO items (item_id, year, county, hh_id, person_id, source, rule_id, description, department,
                               deadline, state, first_run, last_run, last_seen_run, claimed_closed)
            SELECT printf('R%02d-%016x', i % 95 + 1, i), 2019, printf('C%03d', i % {n_counties}),
                   printf('H%09d', i / 3), NULL,
                   CASE WHEN i % 1000 = 0 THEN '市抽查' ELSE {_case("(i / 7) % 5", SOURCES)} END, printf('R%02d', i % 95 + 1),
                   '问题', {_case("(i / 11) % 8", DEPTS)}, printf('2019-%02d-%02d', 10 + (i % 3), 1 + (i % 28)),
                   {_case("(i / 13) % 5", STATES)}, 1, 1 + (i % 5), 1 + (i % 5), (i / 13) % 5 IN (2, 3, 4)
            FROM seq""")
        con.execute(
            "INSERT INTO events (item_id, run_id, at, from_state, to_state, origin) "
            "SELECT item_id, 1, '2019-09-20', NULL, '未整改', 'audit' FROM items"
        )
        con.execute(
            "INSERT INTO events (item_id, run_id, at, from_state, to_state, origin) "
            "SELECT item_id, last_run, '2019-10-20', '未整改', state, 're-audit' FROM items "
            "WHERE state != '未整改'"
        )
        for r in range(1, n_runs + 1):
            con.execute(
                "INSERT INTO run_counts (run_id, county, state, n) SELECT ?, county, state, COUNT(*) "
                "FROM items WHERE first_run <= ? GROUP BY county, state",
                (r, r),
            )
    con.execute("ANALYZE")
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=2_000_000)
    ap.add_argument("--counties", type=int, default=100)
    ap.add_argument("--keep", default=None, help="keep the generated record here")
    a = ap.parse_args()
    path = Path(a.keep) if a.keep else Path(tempfile.mkdtemp()) / "campaign.sqlite"
    t0 = time.perf_counter()
    if not path.exists():
        build(path, a.items, a.counties)
    print(
        f"record: {a.items:,} items, {a.counties} counties, 5 runs; generated in {time.perf_counter() - t0:.1f} s; "
        f"{path.stat().st_size / 2**20:.0f} MiB"
    )
    t = time.perf_counter()
    con = open_record(path)  # migrates an older generated record (new indexes)
    print(f"open + migrate: {time.perf_counter() - t:.1f} s")
    params = load_params(year=2019)
    queries = {
        "state_table (county × department, overdue, closure rate)": lambda: state_table(con, "2019-10-31"),
        "open_curve (open items over runs)": lambda: open_curve(con),
        "claims_vs_city (claimed closed vs spot check)": lambda: claims_vs_city(con),
        "stage_timeline": lambda: stage_timeline(con, params, "2019-10-15"),
        "overdue_items (one county)": lambda: overdue_items(con, "2019-10-31", county="C007"),
    }
    worst = 0.0
    for name, fn in queries.items():
        t, c = time.perf_counter(), time.process_time()
        df = fn()
        s, cpu = time.perf_counter() - t, time.process_time() - c
        worst = max(worst, s)
        print(f"{name:<58} {s:7.2f} s wall {cpu:7.2f} s CPU  ({len(df):,} rows)")
    print(
        f"slowest query: {worst:.2f} s wall (target ≤ 5 s); load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs (wall time on a shared machine includes waiting for a CPU)"
    )
    con.close()


if __name__ == "__main__":
    main()
