"""Issue 7: faults and hostile input as inspectors meet them.

* a run killed mid-way (SIGKILL to every process of the run, as a power cut or the OOM killer would) leaves every
  workbook, JSON, HTML and notebook under the output root either absent or complete, and ``--resume`` finishes the
  run with the same contents as an uninterrupted one; Ctrl-C stops the notebooks too;
* county names with ``../``, absolute paths or odd characters are refused in Chinese and nothing is written outside
  the output root;
* a pickled model is refused by :func:`hgk_lib.risk.model.load_model` without running its payload;
* text from the data starting with ``=``, ``+``, ``-``, ``@`` never becomes a formula in any workbook a run writes.

XML entity bombs, zip bombs, far-away cells and defusedxml are covered by ``tests/test_io_errors.py`` and the
malformed corpus (``tests/test_malformed.py``); they are not repeated here.

The shared end-to-end helpers live in ``tests/helpers/e2e.py`` (the ``e2e`` fixture in ``conftest.py``).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from helpers.e2e import (
    CJK,
    FIXTURE,
    ROOT,
    YEAR,
    alive,
    assert_run_ok,
    broken_outputs,
    city_notebook_started,
    county_notebook_started,
    descendants,
    fixture_counties,
    hgk,
    is_temp,
    kill_everything,
    ledger_temp,
    run_differences,
    run_until,
    start_audit,
    temp_files,
    tree_digest,
    unfinished_notebooks,
)


@pytest.fixture(scope="module")
def killed_runs(e2e, tmp_path_factory):
    """Kill ``hgk audit`` (every process of it) while a ledger is being written, then kill ``--resume`` while the
    city notebook runs, then ``--resume`` to the end. Records the output tree after each kill."""
    data = e2e.export()
    out = tmp_path_factory.mktemp("killed") / "outputs"
    stages = []
    for label, extra, predicate in [
        ("写台账时终止", (), ledger_temp),
        ("--resume 运行全市汇总时终止", ("--resume",), city_notebook_started),
    ]:
        proc = start_audit(data, out, *extra)
        try:
            hit = run_until(proc, lambda: predicate(out))
        finally:
            kill_everything(proc)
        stages.append(
            {
                "label": label,
                "hit": hit,
                "broken": broken_outputs(out),
                "temp": temp_files(out),
                "unfinished": unfinished_notebooks(out),
            }
        )
    final = hgk("audit", "--data", data, "--year", YEAR, "--out", out, "--workers", 2, "--resume")
    summary = json.loads((out / str(YEAR) / "run_summary.json").read_text(encoding="utf-8"))
    return {"out": out, "stages": stages, "final": final, "summary": summary}


@pytest.mark.slow
def test_a_killed_run_leaves_every_output_absent_or_complete(killed_runs):
    for stage in killed_runs["stages"]:
        assert stage["hit"], f"{stage['label']}: the kill point was never reached"
        assert stage["broken"] == {}, stage
    # the first kill came while a ledger was being written: its temporary file is there, never a partial ledger
    assert any("回头看台账" in t for t in killed_runs["stages"][0]["temp"])


@pytest.mark.slow
def test_a_killed_run_leaves_no_half_executed_notebook_under_its_final_name(killed_runs):
    """BUG (hgk_lib/orchestrate/notebook.py execute_notebook): papermill writes the executed notebook straight to its final name
    while it runs, so a killed run leaves a half-executed 回头看报告_<县>.ipynb next to the ledger."""
    assert [s["unfinished"] for s in killed_runs["stages"]] == [[], []]


@pytest.mark.slow
def test_resume_after_kills_finishes_the_run_like_an_uninterrupted_one(killed_runs, e2e):
    final, out = killed_runs["final"], killed_runs["out"]
    assert final.returncode == 0 and killed_runs["summary"]["ok"], final.stderr[-3000:]
    assert "Traceback" not in final.stderr
    assert broken_outputs(out) == {}
    assert unfinished_notebooks(out) == []
    clean = e2e.audit("a")
    assert_run_ok(clean)
    # every workbook and summary.json as in an uninterrupted run; run_summary.json records this run's own history
    # (counties skipped, spot-check draw kept) and is compared between clean runs in test_reproducible.py
    assert run_differences(clean["out"], out, skip=("run_summary.json",)) == {}


@pytest.mark.slow
def test_resume_leaves_no_temporary_file_of_a_killed_run_behind(killed_runs):
    """BUG (hgk_lib/orchestrate/batch.py run_audit): temporary files of a killed run (``.回头看台账_….tmp.xlsx``: a partial workbook
    with an .xlsx extension, visible on Windows) stay in the county folders for good."""
    assert temp_files(killed_runs["out"]) == []


@pytest.mark.slow
def test_ctrl_c_stops_the_county_notebooks_too(e2e, tmp_path):
    """BUG (hgk_lib/orchestrate/notebook.py execute_notebook): papermill runs in its own session, so Ctrl-C (SIGINT to the terminal's
    process group) stops ``hgk audit`` but leaves papermill and its kernel writing into the output root."""
    out = tmp_path / "outputs"
    proc = start_audit(e2e.export(), out)
    try:
        assert run_until(proc, lambda: county_notebook_started(out))
        time.sleep(1.0)
        children = descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        time.sleep(3.0)
        left = [" ".join(p.cmdline()[1:4]) for p in alive(children)]
    finally:
        kill_everything(proc, also=locals().get("children", ()))
    assert proc.returncode != 0
    assert left == []


# ---------------------------------------------------------------------------------------------------------------
# (b) county names that could leave the output root
# ---------------------------------------------------------------------------------------------------------------
def _files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def sandbox(tmp_path):
    """``tmp/data/<one fixture county>``, ``tmp/out`` (the output root); files elsewhere in ``tmp`` are a leak."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURE / fixture_counties()[0], data / fixture_counties()[0])
    return {"tmp": tmp_path, "data": data, "out": tmp_path / "out", "before": _files_under(tmp_path)}


def _assert_refused(proc, sandbox, allow_out=False):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    msg = proc.stderr.strip()
    assert msg.startswith("错误：") and CJK.search(msg), msg
    new = _files_under(sandbox["tmp"]) - sandbox["before"]
    outside = sorted(f for f in new if not (f == "out" or f.startswith("out/")))
    assert outside == []
    if not allow_out:
        assert not [f for f in new if f.startswith("out/")], "nothing should be written for a refused run"


@pytest.mark.parametrize("county", ["../x", "../../etc", "/tmp/x", "441825_连山/../../x", "441825_连山\n", ".."])
@pytest.mark.parametrize("command", ["audit", "check"])
def test_a_county_argument_that_leaves_the_root_is_refused(sandbox, command, county):
    args = [command, "--data", sandbox["data"], "--year", YEAR, "--out", sandbox["out"], "--county", county]
    from hgk_lib.cli import main

    import contextlib

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main([str(a) for a in args])
    proc = subprocess.CompletedProcess(args, rc, out.getvalue(), err.getvalue())
    _assert_refused(proc, sandbox)
    assert "县目录" in proc.stderr


@pytest.mark.parametrize(
    "folder", ["441881_英德\n市", "441881_英德市 ", "441881_英德;rm -rf ~", "441881_..", "441881_英德\x1b[31m市"]
)
def test_a_county_folder_with_odd_characters_is_refused(sandbox, folder):
    shutil.copytree(sandbox["data"] / fixture_counties()[0], sandbox["data"] / folder)
    sandbox["before"] = _files_under(sandbox["tmp"])
    proc = hgk("audit", "--data", sandbox["data"], "--year", YEAR, "--out", sandbox["out"], timeout=120)
    _assert_refused(proc, sandbox)
    assert "县目录" in proc.stderr


def test_a_symlink_in_the_output_root_cannot_carry_outputs_elsewhere(sandbox):
    """An output root whose county folder is a symlink to somewhere else: the path check refuses it."""
    from hgk_lib.errors import UnsafeInputError
    from hgk_lib.orchestrate import paths as P

    elsewhere = sandbox["tmp"] / "elsewhere"
    elsewhere.mkdir()
    (sandbox["out"] / str(YEAR)).mkdir(parents=True)
    county = fixture_counties()[0]
    (sandbox["out"] / str(YEAR) / county).symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UnsafeInputError, match="超出输出目录"):
        P.county_output_dir(sandbox["out"], YEAR, county)


# ---------------------------------------------------------------------------------------------------------------
# (c) models: skops only, pickles refused without being run
# ---------------------------------------------------------------------------------------------------------------
class _Payload:
    """Unpickling this creates a marker file: proof that a pickle was executed."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("name", ["risk_model_2019.pkl", "risk_model_2019.joblib", "risk_model_2019.skops"])
def test_a_pickled_model_is_refused_in_chinese_without_running_it(tmp_path, name):
    from hgk_lib.errors import UnsafeInputError
    from hgk_lib.risk.model import load_model

    marker = tmp_path / "pwned"
    path = tmp_path / name
    path.write_bytes(pickle.dumps(_Payload(str(marker))))
    with pytest.raises(UnsafeInputError) as err:
        load_model(path)
    assert "拒绝加载" in str(err.value) and name in str(err.value)
    assert not marker.exists()


def test_a_zip_that_is_not_a_skops_model_is_refused(tmp_path):
    """A workbook (any zip) renamed to .skops is refused with a Chinese message, not a skops traceback."""
    from openpyxl import Workbook

    from hgk_lib.errors import UnsafeInputError
    from hgk_lib.risk.model import load_model

    path = tmp_path / "risk_model_2019.skops"
    Workbook().save(path)
    with pytest.raises(UnsafeInputError) as err:
        load_model(path)
    assert CJK.search(str(err.value))


def test_no_module_unpickles_anything():
    """Only skops (with its trusted-type check) loads models: no pickle/joblib/dill/cloudpickle load in hgk_lib."""
    pattern = re.compile(
        r"\b(?:pickle|joblib|dill|cloudpickle)\.loads?\(|\bpd\.read_pickle\(|\btorch\.load\(|"
        r"sio\.load\([^)]*trusted\s*=\s*True"
    )
    hits = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in sorted((ROOT / "hgk_lib").rglob("*.py"))
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert hits == []


# ---------------------------------------------------------------------------------------------------------------
# (d) text from the data never becomes a formula
# ---------------------------------------------------------------------------------------------------------------
_SHEET_XML = re.compile(r"^xl/worksheets/sheet\d+\.xml$")
_FORMULA_EL = re.compile(rb"<(?:\w+:)?f[\s>/]")


def workbook_formulas(path: Path) -> list[str]:
    """Sheets (XML part names) of ``path`` that contain a formula element ``<f>``."""
    with zipfile.ZipFile(path) as z:
        return [n for n in z.namelist() if _SHEET_XML.match(n) and _FORMULA_EL.search(z.read(n))]


def formula_like_cells(path: Path) -> list[tuple]:
    """Every string cell starting with = + - @ : (sheet, coordinate, value, data type, quote prefix)."""
    from openpyxl import load_workbook

    wb = load_workbook(path)  # not read-only: data types and quotePrefix are visible
    try:
        return [
            (ws.title, c.coordinate, c.value, c.data_type, bool(c.quotePrefix))
            for ws in wb.worksheets
            for row in ws.iter_rows()
            for c in row
            if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))
        ]
    finally:
        wb.close()


@pytest.mark.slow
def test_text_from_the_data_never_becomes_a_formula_in_any_workbook_of_a_run(e2e):
    run = e2e.audit("a")
    assert_run_ok(run)
    books = sorted(p for p in run["out"].rglob("*.xlsx") if not is_temp(p))
    assert len(books) >= 2 + 2  # two ledgers, the city workbook, the spot-check list
    assert {str(p.relative_to(run["out"])): workbook_formulas(p) for p in books if workbook_formulas(p)} == {}
    # the planted text did reach the workbooks, and sits there as text, quote-prefixed (Excel keeps it text even
    # when an inspector edits the cell)
    cells = [(p.name, *c) for p in books for c in formula_like_cells(p)]
    assert [c for c in cells if c[4] != "s" or not c[5]] == []
    reached = set(e2e.planted["formulas"]) & {c[3] for c in cells}
    assert len(reached) >= 3, cells


@pytest.mark.slow
def test_a_run_never_writes_into_the_export_it_reads(e2e):
    """Outputs stay in the output root: the export folder is byte for byte what the province sent."""
    run = e2e.audit("a")
    assert_run_ok(run)
    assert tree_digest(run["data"]) == e2e.export_digest


def test_no_command_writes_a_csv_for_spreadsheets():
    """CSV files are written only by ``hgk demo-data`` (a synthetic provincial export and its ground truth, inputs
    for hgk, never for inspectors); every workbook goes through the xlsx writers checked above."""
    pattern = re.compile(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(")
    hits = sorted(
        {
            str(p.relative_to(ROOT))
            for p in (ROOT / "hgk_lib").rglob("*.py")
            if pattern.search(p.read_text(encoding="utf-8"))
        }
    )
    assert all(h.startswith("hgk_lib/demo/") for h in hits), hits
