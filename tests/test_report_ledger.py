"""回头看台账: sheet names and columns exactly as outputs.md, formula safety, drop-down, read-back, atomic and
deterministic writes."""

import re
import shutil
import subprocess
import zipfile

import openpyxl
import pandas as pd
import pytest

from helpers import report_tables as F
from helpers.paths import ledger_sheets
from hgk_lib.report import ledger as L
from hgk_lib.report.ledger import read_ledger_status, write_county_ledger

#: The city's ledger format, read from the spec text committed in tests/spec/outputs.md (the spec is the contract,
#: not the code's table): sheet -> its listed columns joined by " · " (None: no column list).
EXPECTED = {k: (" · ".join(v) if v else None) for k, v in ledger_sheets().items()}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    path = tmp_path_factory.mktemp("ledger") / "回头看台账_英德市_2019.xlsx"
    write_county_ledger(path, **F.ledger_kwargs())
    return path


def _header(ws):
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def test_sheets_and_columns_exactly_as_outputs_md(ledger):
    wb = openpyxl.load_workbook(ledger)
    assert wb.sheetnames[:11] == list(EXPECTED)
    for name, cols in EXPECTED.items():
        ws = wb[name]
        header = _header(ws)
        if cols:
            listed = cols.split(" · ")
            assert header[: len(listed)] == listed, name
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        assert not ws.merged_cells.ranges
    # helper sheets follow; provenance is hidden
    assert "规则运行情况" in wb.sheetnames[11:]
    assert wb["_provenance"].sheet_state == "hidden"


def test_problem_list_content(ledger):
    wb = openpyxl.load_workbook(ledger)
    ws = wb["问题清单"]
    header = _header(ws)
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [r["规则编号"] for r in rows] == ["R05", "R36", "R53", "R58", "R80"]  # sorted by rule number
    r05 = rows[0]
    assert (r05["乡（镇）"], r05["行政村"], r05["户主姓名"]) == ("英城街道", "一村", "张三")
    assert all(r["整改状态"] == "未整改" for r in rows)
    # deadlines: R53/R58 from the audit's needs; others by level from reference_date 2019-09-30
    by = {r["规则编号"]: r["整改时限"].date().isoformat() for r in rows}
    assert by == {
        "R05": "2019-10-30",
        "R36": "2019-11-29",
        "R53": "2019-10-30",
        "R58": "2019-12-29",
        "R80": "2019-11-29",
    }
    # IDs are text cells
    cell = ws.cell(row=2, column=header.index("户编号") + 1)
    assert cell.data_type == "s" and cell.number_format == "@"
    # an illegal XML control character was removed, the text kept
    assert rows[4]["问题描述"] == "项目名称含控制字符"


def test_amounts_dates_and_widths(ledger):
    wb = openpyxl.load_workbook(ledger)
    ws = wb["收入核查"]
    header = _header(ws)
    c = ws.cell(row=2, column=header.index("复核人均可支配收入") + 1)
    assert c.number_format == "#,##0.00" and c.value == 10000
    assert ws.cell(row=2, column=header.index("政策性收入占比") + 1).number_format == "0.0%"
    ws = wb["三保障问题"]
    d = ws.cell(row=2, column=6)
    assert d.is_date and d.number_format == "yyyy-mm-dd"
    assert ws.cell(row=2, column=7).value == "是"
    # a Chinese column is wide enough for its text (wide characters count 2)
    ws = wb["问题清单"]
    msg_col = openpyxl.utils.get_column_letter(_header(ws).index("问题描述") + 1)
    assert ws.column_dimensions[msg_col].width >= 2 * len("性别为“女”，但证件号码第17位为3（男）") - 10
    assert all(dim.width <= 60 for dim in ws.column_dimensions.values())


def test_status_dropdown_present(ledger):
    ws = openpyxl.load_workbook(ledger)["问题清单"]
    col = openpyxl.utils.get_column_letter(_header(ws).index("整改状态") + 1)
    dvs = ws.data_validations.dataValidation
    assert len(dvs) == 1
    dv = dvs[0]
    assert dv.type == "list" and dv.formula1 == '"未整改,整改中,已整改"'
    assert str(dv.sqref) == f"{col}2:{col}6"
    assert not dv.showDropDown  # openpyxl's inverted flag: False shows the arrow


def test_formula_like_values_stay_text(ledger):
    wb = openpyxl.load_workbook(ledger)
    values = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    for text in ['=HYPERLINK("http://x","张三")', "+86", "-1", "@sum", "=1+1"]:
        assert text in values, text
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str) and c.value[:1] in "=+-@":
                    assert c.quotePrefix, (ws.title, c.coordinate)
    with zipfile.ZipFile(ledger) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                xml = zf.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, name


def test_readback_of_untouched_ledger(ledger):
    status, problems = read_ledger_status(ledger)
    assert len(status) == 5 and problems.empty
    assert set(status["status"]) == {"未整改"}
    assert status["finding_key"].str.match(r"^R\d\d-[0-9a-f]{16}$").all()


def test_readback_of_hand_edited_ledger(ledger, tmp_path):
    path = tmp_path / "edited.xlsx"
    wb = openpyxl.load_workbook(ledger)
    ws = wb["问题清单"]
    header = _header(ws)
    s, n = header.index("整改状态") + 1, header.index("整改说明") + 1
    ws.cell(row=2, column=s).value = "已整改"
    ws.cell(row=2, column=n).value = "已更正性别"
    ws.cell(row=3, column=s).value = "整改完成"  # not an option
    ws.cell(row=4, column=s).value = None  # cleared
    ws.cell(row=5, column=s).value = " 整改中 "  # spaces are forgiven
    ws.cell(row=6, column=s).value = "已整改"  # no note
    wb.save(path)
    status, problems = read_ledger_status(path)
    assert status["status"].tolist() == ["已整改", "未整改", "未整改", "整改中", "已整改"]
    assert status["status_valid"].tolist() == [True, False, False, True, True]
    assert status["note"].tolist()[0] == "已更正性别"
    got = problems[["sheet", "row", "column"]].values.tolist()
    assert got == [["问题清单", 3, "整改状态"], ["问题清单", 4, "整改状态"], ["问题清单", 6, "整改说明"]]
    assert "下拉选项" in problems["reason"][0] and problems["value"][0] == "整改完成"


@pytest.mark.parametrize("damage", ["no_sheet", "no_column", "not_xlsx", "missing"])
def test_readback_never_crashes(ledger, tmp_path, damage):
    path = tmp_path / "bad.xlsx"
    if damage == "no_sheet":
        wb = openpyxl.load_workbook(ledger)
        del wb["问题清单"]
        wb.save(path)
    elif damage == "no_column":
        wb = openpyxl.load_workbook(ledger)
        wb["问题清单"]["N1"] = "状态"
        wb.save(path)
    elif damage == "not_xlsx":
        path.write_bytes(b"PK\x03\x04 not really a zip")
    status, problems = read_ledger_status(path)
    assert status.empty and len(problems) >= 1
    assert problems["reason"].str.len().min() > 0


def test_atomic_write_keeps_old_file(ledger, tmp_path, monkeypatch):
    path = tmp_path / "台账.xlsx"
    shutil.copy(ledger, path)
    before = path.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("写到一半出错")

    monkeypatch.setattr(L, "dictionary_rows", boom)  # fails after several sheets were written
    with pytest.raises(RuntimeError):
        write_county_ledger(path, **F.ledger_kwargs())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["台账.xlsx"]  # no temporary file left


def test_deterministic_write(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_county_ledger(a, **F.ledger_kwargs())
    write_county_ledger(b, **F.ledger_kwargs())
    wa, wb_ = openpyxl.load_workbook(a), openpyxl.load_workbook(b)
    assert wa.sheetnames == wb_.sheetnames
    for ws in wa.worksheets:
        other = wb_[ws.title]
        assert [[c.value for c in r] for r in ws.iter_rows()] == [[c.value for c in r] for r in other.iter_rows()]
    assert wa.properties.created == wa.properties.modified  # from provenance, not "now"
    assert a.read_bytes() == b.read_bytes()  # fixed ZIP dates: even the bytes agree


def test_empty_inputs_still_give_every_sheet(tmp_path):
    path = tmp_path / "empty.xlsx"
    write_county_ledger(
        path,
        **F.ledger_kwargs(
            findings=None,
            audit=None,
            quarantine=None,
            row_ledger=None,
            rule_summary=None,
            households=None,
            members=None,
        ),
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:11] == list(EXPECTED)
    assert len(wb["问题清单"].data_validations.dataValidation) == 1
    status, problems = read_ledger_status(path)
    assert status.empty and problems.empty


def test_data_dictionary_covers_every_column(ledger):
    wb = openpyxl.load_workbook(ledger)
    dd = {(r[0], r[1]) for r in wb["数据字典"].iter_rows(min_row=2, values_only=True)}
    for name in EXPECTED:
        for h in _header(wb[name]):
            assert (name, h) in dd, (name, h)


def test_full_ids_allowed_in_ledger_only(ledger):
    ws = openpyxl.load_workbook(ledger)["问题清单"]
    assert any("44188119800101123X" in str(c.value) for row in ws.iter_rows() for c in row)


@pytest.mark.skipif(
    not (shutil.which("libreoffice") or shutil.which("soffice")), reason="LibreOffice (libreoffice/soffice) not on PATH"
)
def test_libreoffice_opens_every_sheet(ledger, tmp_path):
    exe = shutil.which("libreoffice") or shutil.which("soffice")
    out = tmp_path / "lo"
    out.mkdir()
    src = tmp_path / "ledger.xlsx"
    shutil.copy(ledger, src)
    res = subprocess.run(
        [
            exe,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "ods",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    converted = out / "ledger.ods"
    assert converted.exists(), res.stdout + res.stderr
    with zipfile.ZipFile(converted) as zf:
        content = zf.read("content.xml").decode("utf-8")
    names = re.findall(r'<table:table table:name="([^"]+)"', content)
    assert names == openpyxl.load_workbook(ledger).sheetnames
    assert "=HYPERLINK" in content and "of:=HYPERLINK" not in content  # still text, not a formula
    assert "table:content-validation" in content and "未整改" in content  # the drop-down survived
    # a county that re-saves the ledger with LibreOffice (or WPS) can still be read back
    res = subprocess.run(
        [
            exe,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    resaved = out / "ledger.xlsx"
    assert resaved.exists(), res.stdout + res.stderr
    status, problems = read_ledger_status(resaved)
    assert len(status) == 5 and problems.empty and set(status["status"]) == {"未整改"}
    assert status["hh_id"].tolist()[0] == "4418810101001"  # still text, no 4.4e+12


def test_title_rows_inserted_above_header_are_forgiven(ledger, tmp_path):
    path = tmp_path / "title.xlsx"
    wb = openpyxl.load_workbook(ledger)
    ws = wb["问题清单"]
    ws.insert_rows(1, amount=2)
    ws["A1"] = "英德市问题清单（已填写）"
    ws.cell(row=5, column=14).value = "已整改"  # the 2nd finding, now on row 5
    ws.cell(row=5, column=15).value = "已补录"
    wb.save(path)
    status, problems = read_ledger_status(path)
    assert len(status) == 5 and status["row"].tolist() == [4, 5, 6, 7, 8]
    assert status["status"].tolist()[1] == "已整改"
    assert problems["row"].tolist() == [3] and "第3行" in problems["reason"][0]


def test_very_long_text_is_truncated_to_excel_limit(tmp_path):
    f = F.findings()
    f.loc[0, "message"] = "很长" * 20000
    path = tmp_path / "long.xlsx"
    write_county_ledger(path, **F.ledger_kwargs(findings=f))
    ws = openpyxl.load_workbook(path)["问题清单"]
    msg = ws.cell(row=2, column=12).value
    assert len(msg) == 32767 and msg.endswith("（已截断）")


def test_many_findings_write_fast(tmp_path):
    import time

    big = pd.concat([F.findings()] * 600, ignore_index=True)
    big["hh_id"] = [f"44188101{i:08d}" for i in range(len(big))]
    t = time.perf_counter()
    write_county_ledger(tmp_path / "big.xlsx", **F.ledger_kwargs(findings=big))
    assert time.perf_counter() - t < 20  # ~1 s here; 100 000 rows take ~25 s
    status, problems = read_ledger_status(tmp_path / "big.xlsx")
    assert len(status) == 3000 and problems.empty
    assert status["finding_key"].is_unique


def test_finding_keys_unique_even_for_identical_findings():
    f = pd.concat([F.findings().iloc[:1]] * 3, ignore_index=True)
    keys = L.finding_keys(f)
    assert keys.is_unique and keys[1] == keys[0] + "-2" and keys[2] == keys[0] + "-3"
    assert L.finding_keys(f).tolist() == keys.tolist()  # stable


def test_rerun_can_carry_over_filled_statuses(ledger, tmp_path):
    filled = tmp_path / "filled.xlsx"
    wb = openpyxl.load_workbook(ledger)
    ws = wb["问题清单"]
    ws["N2"], ws["O2"] = "已整改", "已更正性别"
    ws["N3"] = "乱填"
    wb.save(filled)
    status, _ = read_ledger_status(filled)
    new = tmp_path / "new.xlsx"
    write_county_ledger(new, carry_over=status, **F.ledger_kwargs())
    again, problems = read_ledger_status(new)
    assert again["status"].tolist() == ["已整改", "未整改", "未整改", "未整改", "未整改"]
    assert again["note"].tolist()[0] == "已更正性别" and problems.empty


def test_nullable_and_numpy_values_are_written(tmp_path):
    a = F.audit()
    a.needs["resolvable"] = pd.array([True, pd.NA], dtype="boolean")
    a.classes["match"] = pd.array([pd.NA, False], dtype="boolean")
    a.verdicts["active_n"] = pd.array([2, pd.NA], dtype="Int64")
    a.verdicts["income_pc"] = [float("nan"), 3000.125]
    path = tmp_path / "na.xlsx"
    write_county_ledger(path, **F.ledger_kwargs(audit=a))
    wb = openpyxl.load_workbook(path)
    assert [r[6] for r in wb["三保障问题"].iter_rows(min_row=2, values_only=True)] == ["是", None]
    assert [r[4] for r in wb["分类施策"].iter_rows(min_row=2, values_only=True)] == [None, "否"]
    inc = list(wb["收入核查"].iter_rows(min_row=2, values_only=True))
    assert [r[5] for r in inc] == [2, None] and [r[7] for r in inc] == [None, 3000.125]


def test_status_column_is_colour_coded(ledger):
    ws = openpyxl.load_workbook(ledger)["问题清单"]
    rules = [(str(cf.sqref), r.formula[0]) for cf in ws.conditional_formatting for r in cf.rules]
    assert sorted(f for _, f in rules) == ['"已整改"', '"已销号"', '"整改不实"', '"整改中"', '"未整改"']
    assert {s for s, _ in rules} == {"N2:N6"}
