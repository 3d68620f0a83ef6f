"""Issue 7: the same command on the same inputs gives the same contents.

* ``hgk audit`` run twice (two output roots, same planted fixture export): every workbook sheet equal cell by cell
  (openpyxl values) and every summary.json equal after :func:`hgk_lib.report.summary.strip_volatile`. What may
  differ is listed in ``test_reliability``: the run time (ISO timestamp in 说明), timings in run.json /
  run_summary.json, and the output root's own path;
* the seeds: the runner gives every notebook ``PYTHONHASHSEED=0`` and the parameter file's seed, both recorded in
  the ledger's _provenance sheet;
* ``hgk check`` then ``hgk spot-check draw`` (no notebooks) draws the same sample as the runner did;
* ``hgk demo-data`` with the same seed writes byte-identical files (xlsx and csv), another seed does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.e2e import (
    YEAR,
    assert_run_ok,
    comparable_json,
    fixture_counties,
    hgk,
    is_temp,
    result_files,
    run_differences,
    workbook_differences,
)


@pytest.fixture(scope="module")
def two_runs(e2e):
    a, b = e2e.audit("a"), e2e.audit("b")
    assert_run_ok(a)
    assert_run_ok(b)
    return a, b


@pytest.mark.slow
def test_both_runs_write_the_same_files(two_runs):
    a, b = two_runs
    fa, fb = result_files(a["out"]), result_files(b["out"])
    assert fa == fb
    assert sum(f.endswith(".xlsx") for f in fa) >= len(fixture_counties()) + 2  # ledgers, city workbook, list


@pytest.mark.slow
def test_every_workbook_sheet_is_equal_cell_by_cell(two_runs):
    a, b = two_runs
    books = [f for f in result_files(a["out"]) if f.endswith(".xlsx")]
    diffs = {f: workbook_differences(a["out"] / f, b["out"] / f, (a["out"], b["out"]))[:5] for f in books}
    assert {f: d for f, d in diffs.items() if d} == {}


@pytest.mark.slow
def test_every_summary_json_is_equal_once_the_run_time_is_stripped(two_runs):
    from hgk_lib.report.summary import strip_volatile

    a, b = two_runs
    summaries = [f for f in result_files(a["out"]) if f.endswith("summary.json") and "run_summary" not in f]
    assert len(summaries) == len(fixture_counties())
    for f in summaries:
        ja = json.loads((a["out"] / f).read_text(encoding="utf-8"))
        jb = json.loads((b["out"] / f).read_text(encoding="utf-8"))
        assert strip_volatile(ja) == strip_volatile(jb), f


@pytest.mark.slow
def test_run_records_differ_only_in_timings_and_the_output_root(two_runs):
    a, b = two_runs
    roots = (a["out"], b["out"])
    for f in [f for f in result_files(a["out"]) if f.endswith(("run.json", "run_summary.json"))]:
        assert comparable_json(a["out"] / f, roots) == comparable_json(b["out"] / f, roots), f
    assert run_differences(a["out"], b["out"]) == {}


@pytest.mark.slow
def test_the_runner_sets_the_hash_seed_and_the_parameter_seed_for_every_notebook(two_runs):
    from openpyxl import load_workbook

    from hgk_lib.params import load_params

    seed = str(load_params(year=YEAR)["spot_check"]["seed"])
    a, _ = two_runs
    ledgers = sorted(p for p in a["out"].rglob("回头看台账_*.xlsx") if not is_temp(p))
    assert len(ledgers) == len(fixture_counties())
    for p in ledgers:
        wb = load_workbook(p, read_only=True)
        try:
            prov = {
                r[0]: (r[1] if len(r) > 1 else None)
                for r in wb["_provenance"].iter_rows(min_row=2, values_only=True)
                if r and r[0]
            }
        finally:
            wb.close()
        assert prov.get("pythonhashseed") == "0", (
            p.name
        )  # set by hgk_lib.orchestrate.notebook.child_env before the kernel starts
        assert str(prov.get("seed")) == seed, p.name
    for p in sorted(a["out"].glob(f"{YEAR}/*/summary.json")):
        assert str(json.loads(p.read_text(encoding="utf-8"))["seed"]) == seed


@pytest.mark.slow
def test_spot_check_draw_on_its_own_draws_the_runners_sample(two_runs, e2e, tmp_path):
    a, b = two_runs
    out = tmp_path / "draw"
    proc = hgk("check", "--data", e2e.export(), "--year", YEAR, "--out", out)  # the county runs, no notebooks
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = hgk("spot-check", "draw", "--data", e2e.export(), "--year", YEAR, "--out", out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    name = f"{YEAR}/市汇总/抽查名单_{YEAR}.xlsx"
    roots = (a["out"], b["out"], out)
    assert workbook_differences(a["out"] / name, b["out"] / name, roots) == []
    assert workbook_differences(a["out"] / name, out / name, roots) == []


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_demo_data_with_the_same_seed_is_byte_identical(tmp_path):
    def demo(name, seed):
        out = tmp_path / name / str(YEAR)
        proc = hgk(
            "demo-data", "--out", out, "--counties", "441825,441826", "--households", 60, "--seed", seed, timeout=300
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return _tree_bytes(tmp_path / name)

    first, second, other = demo("one", 11), demo("two", 11), demo("other", 12)
    assert any(f.endswith(".xlsx") for f in first) and any(f.endswith(".csv") for f in first)
    assert list(first) == list(second)
    assert [f for f in first if first[f] != second[f]] == []
    assert list(first) == list(other) and any(first[f] != other[f] for f in first)
    # the only CSV files hgk writes (a synthetic export and its truth): nothing a spreadsheet would evaluate
    assert formula_like_csv_cells(tmp_path / "one") == []


def formula_like_csv_cells(root: Path) -> list[tuple[str, str]]:
    """Text cells of every CSV under ``root`` starting with = + - @ (numbers such as -250 aside)."""
    import csv
    import io

    out = []
    for p in sorted(root.rglob("*.csv")):
        raw = p.read_bytes()
        text = next(raw.decode(e) for e in ("utf-8-sig", "gb18030") if _decodes(raw, e))
        for row in csv.reader(io.StringIO(text, newline="")):
            for v in row:
                if v.startswith(("=", "+", "-", "@", "\t", "\r")) and not _is_number(v):
                    out.append((p.name, v[:40]))
    return out


def _decodes(raw: bytes, enc: str) -> bool:
    try:
        raw.decode(enc)
        return True
    except UnicodeDecodeError:
        return False


def _is_number(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False
