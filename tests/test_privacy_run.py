"""Issue 7: personal data in a full city run.

One ``hgk audit --workers 2`` on the fixture export (a copy with one ID given a wrong check digit, so the full ID
reaches the findings; see ``helpers.e2e.plant_hostile_text``), then the spot-check read-back an inspection team
does (``hgk demo-inspect`` fills the list from the fixture's ground truth, ``hgk spot-check evaluate`` reads it back).

Every auditor-facing file — HTML reports, executed notebooks, logs, summary.json, run.json, run_summary.json, the
city report and workbook, the model card and its JSON, the evaluation HTML and workbook, the terminal output — is
scanned with :func:`hgk_lib.report.mask.find_unmasked_pii` (``allow`` = the run's household/person/project ids, as
its docs say). Files for inspectors: the ledger may carry full ID numbers (and is the only file that does); the
spot-check list carries the households' mobile numbers in its 联系电话 column (the visiting team phones ahead) and
no ID or bank number; the visit plan (入户核查计划, the village teams' workbook) carries the members' phone numbers
for the same reason. ``_processed/`` (parquet for the notebooks) is a copy of the export, and the ``results/``
parquet of each county (hgk_lib.results) is what later steps read: machine data, not an output for anyone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers.e2e import TRUTH, YEAR, assert_run_ok, hgk, is_temp

ID_RE = re.compile(r"\d{17}[\dXx]\Z")
MOBILE_RE = re.compile(r"(?:\+?86)?1[3-9]\d{9}\Z")
LEDGER = "回头看台账_"
SPOT_LIST = "抽查名单_"
VISIT_PLAN = "入户核查计划_"  # the village teams' workbook: they call and visit the household (campaign.md §1)
TEXT_SUFFIXES = {".html", ".ipynb", ".log", ".json", ".txt", ".md", ".csv"}


def run_keys(out: Path) -> set[str]:
    """Household, person and project ids of the run (from its processed tables): keys, not personal numbers."""
    from hgk_lib.io import read_processed
    from hgk_lib.report.mask import key_ids

    keys: set[str] = set()
    for d in sorted((out / "_processed" / str(YEAR)).iterdir()):
        if (d / "manifest.json").exists():
            keys |= key_ids(*read_processed(d).tables.values())
    return keys


def workbook_text(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Per sheet: (header, cell text) of every non-empty cell."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        out = {}
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            header = [str(h) if h is not None else "" for h in (rows[0] if rows else ())]
            out[ws.title] = [
                (header[j] if j < len(header) else "", str(v))
                for r in rows
                for j, v in enumerate(r)
                if v is not None and str(v) != ""
            ]
        return out
    finally:
        wb.close()


def file_text(path: Path) -> str:
    if path.suffix == ".docx":  # the report to the province (campaign.md §5)
        from docx import Document

        doc = Document(str(path))
        cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells)
    if path.suffix == ".xlsx":
        return "\n".join(f"{s}\n" + "\n".join(v for _, v in cells) for s, cells in workbook_text(path).items())
    return path.read_text(encoding="utf-8")


def is_saved_result(path: Path) -> bool:
    """The typed parquet a county run saves for later steps (``results/``, hgk_lib.results): machine data like
    ``_processed/``, read by hgk only, never an output for a person (its manifest JSON is scanned)."""
    return path.parent.name == "results" and path.suffix == ".parquet"


def is_inspector_file(path: Path) -> bool:
    """Inspectors' files (full numbers allowed): ledgers, visit plans, the spot-check list, the correction list for
    the provincial system and the campaign record (campaign.md §2, §5)."""
    return path.name.startswith((LEDGER, SPOT_LIST, VISIT_PLAN, "省系统更正清单_")) or path.name == "campaign.sqlite"


@pytest.fixture(scope="module")
def city_run(e2e, tmp_path_factory):
    run = e2e.audit("a")
    assert_run_ok(run)
    out = run["out"]
    city = out / str(YEAR) / "市汇总"
    # the inspection team's read-back, outside the run's output root (the run is compared cell by cell elsewhere)
    extra = tmp_path_factory.mktemp("spot_readback")
    filled = extra / f"抽查名单_{YEAR}_已填写.xlsx"
    inspect = hgk("demo-inspect", "--list", city / f"抽查名单_{YEAR}.xlsx", "--truth", TRUTH, "--out", filled)
    assert inspect.returncode == 0, inspect.stderr[-2000:]
    evaluate = hgk("spot-check", "evaluate", "--results", filled, "--out", extra)
    assert evaluate.returncode == 0, evaluate.stderr[-2000:]
    files = sorted(
        p
        for root in (out, extra)
        for p in root.rglob("*")
        if p.is_file() and not is_temp(p) and "_processed" not in p.relative_to(root).parts and not is_saved_result(p)
    )
    return {
        "run": run,
        "out": out,
        "extra": extra,
        "files": files,
        "keys": run_keys(out),
        "terminal": {
            "hgk audit": run["stdout"] + run["stderr"],
            "hgk demo-inspect": inspect.stdout + inspect.stderr,
            "hgk spot-check evaluate": evaluate.stdout + evaluate.stderr,
        },
    }


def _auditor_files(city_run) -> list[Path]:
    return [p for p in city_run["files"] if not is_inspector_file(p) and p.suffix != ".skops"]


@pytest.mark.slow
def test_the_scan_covers_every_auditor_facing_file_of_the_run(city_run):
    names = {p.name for p in _auditor_files(city_run)}
    for county in city_run["run"]["summary"]["counties"]:
        n = county["name"]
        assert {f"回头看报告_{n}_{YEAR}.html", f"回头看报告_{n}_{YEAR}.ipynb"} <= names
    assert {
        "run.log",
        "run.json",
        "summary.json",
        "run_summary.json",
        f"回头看总结_{YEAR}.html",
        f"回头看总结_{YEAR}.ipynb",
        f"回头看总结_{YEAR}.xlsx",
        f"风险模型卡_{YEAR}.html",
        f"risk_model_{YEAR}.json",
        f"抽查结果评估_{YEAR}.html",
        f"抽查结果评估_{YEAR}.xlsx",
    } <= names
    unscanned = [p.name for p in _auditor_files(city_run) if p.suffix not in TEXT_SUFFIXES | {".xlsx", ".docx"}]
    assert unscanned == []
    assert len(city_run["keys"]) > 100  # the allow list is the run's ids, not empty


@pytest.mark.slow
def test_no_auditor_facing_file_holds_an_unmasked_id_mobile_or_bank_number(city_run):
    from hgk_lib.report.mask import find_unmasked_pii

    leaks = {}
    for p in _auditor_files(city_run):
        found = find_unmasked_pii(file_text(p), allow=city_run["keys"])
        if found:
            leaks[p.name if p.parent.name == "市汇总" else f"{p.parent.name}/{p.name}"] = sorted(set(found))[:3]
    assert leaks == {}


@pytest.mark.slow
def test_the_terminal_output_of_the_run_holds_no_unmasked_number(city_run):
    from hgk_lib.report.mask import find_unmasked_pii

    leaks = {cmd: find_unmasked_pii(text, allow=city_run["keys"]) for cmd, text in city_run["terminal"].items()}
    assert {k: v for k, v in leaks.items() if v} == {}


@pytest.mark.slow
def test_the_ledger_carries_full_ids_and_is_the_only_file_that_does(city_run, e2e):
    from hgk_lib.report.mask import find_unmasked_pii

    bad_id = e2e.planted["bad_id"]
    ledgers = [p for p in city_run["files"] if p.name.startswith(LEDGER)]
    assert len(ledgers) == len(city_run["run"]["summary"]["counties"])
    ids_in_ledgers = {
        h for p in ledgers for h in find_unmasked_pii(file_text(p), allow=city_run["keys"]) if ID_RE.match(h)
    }
    assert bad_id in ids_in_ledgers  # the finding on the broken ID shows it in full, for the county to correct
    holders = sorted(
        p.name for p in city_run["files"] if p.suffix in TEXT_SUFFIXES | {".xlsx"} and bad_id in file_text(p)
    )
    assert holders and all(h.startswith(LEDGER) for h in holders), holders


@pytest.mark.slow
def test_the_spot_check_list_carries_mobiles_only_in_its_contact_column(city_run):
    from hgk_lib.report.mask import find_unmasked_pii

    lists = [p for p in city_run["files"] if p.name.startswith(SPOT_LIST)]
    assert len(lists) == 2  # as drawn, and as filled in by the team
    bad = []
    for p in lists:
        for sheet, cells in workbook_text(p).items():
            for header, text in cells:
                for hit in find_unmasked_pii(text, allow=city_run["keys"]):
                    if header != "联系电话" or not MOBILE_RE.match(hit):
                        bad.append((p.name, sheet, header, hit))
    assert bad == []


def test_loader_output_holds_no_unmasked_number(tmp_path):
    """``hgk load`` on the fixture export and on the malformed corpus: what it prints (tables, quarantine counts,
    warnings, Chinese errors naming file/sheet/row/column) never shows a full ID, mobile or bank number."""
    from malformed.build import build

    from hgk_lib.report.mask import find_unmasked_pii
    from helpers.paths import FIXTURE, fixture_counties

    fixture_counties()  # fails when the committed export is missing
    build(tmp_path / "malformed")
    leaks = {}
    for name, data in (("fixture", FIXTURE), ("malformed", tmp_path / "malformed")):
        out = tmp_path / f"processed_{name}"
        proc = hgk("load", "--data", data, "--year", YEAR, "--out", out, timeout=300)
        assert "Traceback" not in proc.stderr
        keys = run_keys_of_load(out)
        found = find_unmasked_pii(proc.stdout + proc.stderr, allow=keys)
        if found:
            leaks[name] = sorted(set(found))[:5]
    assert leaks == {}


def run_keys_of_load(out: Path) -> set[str]:
    from hgk_lib.io import read_processed
    from hgk_lib.report.mask import key_ids

    keys: set[str] = set()
    for m in sorted(out.rglob("manifest.json")):
        keys |= key_ids(*read_processed(m.parent).tables.values())
    return keys
