"""The notebooks as an inspector meets them: committed stripped with one literal parameters cell, run with the
papermill command line on the fixture export, the ledger's sheets and columns as outputs.md lists them, and a
readable Chinese HTML report."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import nbformat
import pytest

from helpers.paths import FIXTURE, ROOT, fixture_counties, ledger_sheets

NOTEBOOKS = ROOT / "notebooks"
PARAMETERS = {
    "county_audit.ipynb": {"data_root", "county", "audit_year", "output_root", "params_file"},
    "city_summary.ipynb": {"output_root", "audit_year", "params_file", "as_of"},  # as_of: the campaign progress day
}

#: outputs.md, "Sheets of 回头看台账" (tests/spec/outputs.md): sheet -> the listed columns, in order.
LEDGER = ledger_sheets()


# ---------------------------------------------------------------------------------------------------------------
# the committed notebooks
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_notebook_is_committed_stripped_with_one_literal_parameters_cell(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse(tagged[0].source)
    names = set()
    for stmt in tree.body:
        assert isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
        ast.literal_eval(stmt.value)  # literals only
        names.add(stmt.targets[0].id)
    assert names == PARAMETERS[name]
    for c in code:  # no logic in notebooks (IPython magics such as %matplotlib inline aside)
        src = "\n".join(line for line in c.source.splitlines() if not line.lstrip().startswith("%"))
        for node in ast.walk(ast.parse(src)):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda, ast.For, ast.While)), c.source
    assert nb.metadata["kernelspec"]["name"] == "hgk"
    assert any(c.cell_type == "markdown" and c.source.startswith("# ") for c in nb.cells)


def test_county_notebook_defaults_point_at_a_committed_fixture_county():
    nb = nbformat.read(NOTEBOOKS / "county_audit.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    values = {s.targets[0].id: ast.literal_eval(s.value) for s in ast.parse(cell.source).body}
    assert values["data_root"] == "tests/fixtures/export/2019"
    assert (ROOT / values["params_file"]).exists()
    assert values["county"] in fixture_counties()


# ---------------------------------------------------------------------------------------------------------------
# papermill from the command line, as an inspector would
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def inspector_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("papermill")
    county = fixture_counties()[0]
    out_nb = tmp / "report.ipynb"
    data_root = str(FIXTURE.relative_to(ROOT)) if ROOT in FIXTURE.parents else str(FIXTURE)  # relative, as typed
    cmd = [
        sys.executable,
        "-m",
        "papermill",
        "-k",
        "hgk",
        "notebooks/county_audit.ipynb",
        str(out_nb),
        "-p",
        "data_root",
        data_root,
        "-p",
        "county",
        county,
        "-p",
        "audit_year",
        "2019",
        "-p",
        "output_root",
        str(tmp),
        "-p",
        "params_file",
        "params/2019.yaml",
    ]
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from hgk_lib.orchestrate.notebook import render_html

    html = tmp / "report.html"
    render_html(out_nb, html)
    return {"tmp": tmp, "county": county, "ipynb": out_nb, "html": html, "data_root": data_root}


@pytest.mark.slow
def test_ledger_has_the_sheets_and_columns_of_outputs_md(inspector_run):
    from openpyxl import load_workbook

    from hgk_lib.orchestrate import paths as P

    c = inspector_run["county"]
    ledger = inspector_run["tmp"] / "2019" / c / f"回头看台账_{P.county_name(c)}_2019.xlsx"
    assert ledger.exists()
    wb = load_workbook(ledger, read_only=True)
    try:
        assert wb.sheetnames[: len(LEDGER)] == list(LEDGER)
        for sheet, cols in LEDGER.items():
            header = [c for c in next(wb[sheet].iter_rows(max_row=1, values_only=True))]
            if cols:
                assert header[: len(cols)] == cols, sheet
    finally:
        wb.close()
    summary = json.loads((ledger.parent / "summary.json").read_text(encoding="utf-8"))
    assert summary["county"]["folder"] == c


@pytest.mark.slow
def test_html_report_shows_the_chinese_parameters_and_county_name_and_hides_code(inspector_run):
    from hgk_lib.orchestrate import paths as P

    text = inspector_run["html"].read_text(encoding="utf-8")
    c = inspector_run["county"]
    assert P.county_name(c) in text
    assert c in text  # the folder name as given, readable (not \\u-escaped)
    assert str(ROOT / inspector_run["data_root"]) in text  # the relative path resolved against the repo root
    assert "县级回头看核查报告" in text and "已脱贫户核查结论" in text
    assert "process_county" not in text and "import " not in text  # code hidden
    nb = nbformat.read(inspector_run["ipynb"], as_version=4)
    assert nb.metadata.papermill.parameters["county"] == c
    assert nb.metadata.papermill.parameters["audit_year"] == 2019


@pytest.mark.slow
def test_inspector_run_leaks_no_personal_number(inspector_run):
    from hgk_lib.report.mask import find_unmasked_pii

    for p in (inspector_run["html"], inspector_run["ipynb"]):
        assert find_unmasked_pii(p.read_text(encoding="utf-8")) == []
