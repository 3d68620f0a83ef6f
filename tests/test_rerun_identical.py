"""Issue 10 item 6: two runs of the same county give cell-for-cell identical ledgers apart from 说明's run time;
timings go to run.json, never into a workbook. Also: the saved results of both runs are equal."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.paths import FIXTURE, PARAMS, fixture_counties  # noqa: F401

RUN_TIME_ITEM = "运行时间（UTC）"


def _cells(path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    import time

    from hgk_lib.orchestrate.county import process_county, write_county_outputs

    county = fixture_counties()[0]
    out = []
    for name in ("a", "b"):
        root = tmp_path_factory.mktemp(f"rerun_{name}")
        run = process_county(FIXTURE, county, 2019, PARAMS, output_root=root)
        out.append(write_county_outputs(run, root))
        time.sleep(1.1)  # a different run time (seconds) for the second run
    return out


def test_two_runs_give_identical_ledgers_apart_from_the_run_time(two_runs):
    a, b = (_cells(p["ledger"]) for p in two_runs)
    assert list(a) == list(b)
    diffs = []
    for sheet in a:
        assert len(a[sheet]) == len(b[sheet]), sheet
        for i, (x, y) in enumerate(zip(a[sheet], b[sheet]), start=1):
            if x != y:
                diffs.append((sheet, i, x[:2]))
    assert [(s, item) for s, _, item in diffs] == [("说明", ("基本信息", RUN_TIME_ITEM))]


def test_no_sheet_carries_a_timing_or_a_time_stamp_but_the_run_time_in_说明(two_runs):
    book = _cells(two_runs[0]["ledger"])
    headers = {s: rows[0] for s, rows in book.items() if rows}
    assert not [(s, h) for s, hs in headers.items() for h in hs if isinstance(h, str) and "用时" in h]
    prov = {r[0]: (r[1] if len(r) > 1 else None) for r in book["_provenance"][1:] if r}
    assert "run_time_utc" not in prov and prov.get("seed") is not None


def test_timings_go_to_run_json(two_runs):
    rec = json.loads((two_runs[0]["dir"] / "run.json").read_text(encoding="utf-8"))
    assert {"load", "rules", "audit", "results", "ledger"} <= set(rec["timings"])
    assert len(rec["rule_seconds"]) == 95 and all(v >= 0 for v in rec["rule_seconds"].values())


def test_both_runs_save_the_same_results(two_runs):
    from hgk_lib.results import TABLES, read_results

    a, b = (read_results(p["dir"]) for p in two_runs)
    for name in TABLES:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    ma, mb = (json.loads((p["results"] / "manifest.json").read_text(encoding="utf-8")) for p in two_runs)
    assert ma == mb
