"""A table longer than Excel's sheet limit is split over consecutive sheets with a note, never cut."""

from __future__ import annotations

import openpyxl
import pandas as pd

from hgk_lib.report import xlsx as X


def write(tmp_path, df, name="问题清单"):
    wb = X.new_workbook("t", None)
    names = X.write_table(wb, name, df, {"序号": "int"}, dropdowns={"整改状态": ["未整改", "已整改"]})
    X.save_workbook(wb, tmp_path / "t.xlsx")
    return names, openpyxl.load_workbook(tmp_path / "t.xlsx")


def test_table_over_the_limit_is_split_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(X, "MAX_SHEET_ROWS", 5)  # 4 data rows per sheet
    df = pd.DataFrame({"序号": range(1, 11), "整改状态": "未整改"})
    names, wb = write(tmp_path, df)
    assert names == ["问题清单", "问题清单（续2）", "问题清单（续3）"] == wb.sheetnames
    rows = []
    for n in names:
        ws = wb[n]
        assert ws.max_row <= 5
        assert [c.value for c in ws[1]] == ["序号", "整改状态"]
        note = ws["A1"].comment.text
        assert "共 10 行" in note and "问题清单（续3）" in note and "未删除任何行" in note
        rows += [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert rows == list(range(1, 11))  # every row, in order
    assert "第 9–10 行" in wb["问题清单（续3）"]["A1"].comment.text


def test_table_at_the_limit_stays_one_sheet(tmp_path, monkeypatch):
    monkeypatch.setattr(X, "MAX_SHEET_ROWS", 5)
    names, wb = write(tmp_path, pd.DataFrame({"序号": range(1, 5), "整改状态": "未整改"}))
    assert names == ["问题清单"] == wb.sheetnames
    assert wb["问题清单"].max_row == 5 and wb["问题清单"]["A1"].comment is None


def test_split_names_fit_excel_31_characters():
    names = X.split_sheet_names("很" * 31, 12)
    assert all(len(n) <= 31 for n in names) and len(set(names)) == 12


def test_ledger_status_is_read_from_every_part(tmp_path, monkeypatch):
    from hgk_lib.report import ledger as L

    monkeypatch.setattr(X, "MAX_SHEET_ROWS", 3)
    df = pd.DataFrame(
        {
            "规则编号": ["R01"] * 5,
            "整改状态": ["未整改", "已整改", "整改中", "未整改", "已整改"],
            "整改说明": [None, "改了", None, None, "也改了"],
        }
    )
    wb = X.new_workbook("t", None)
    assert len(X.write_table(wb, L.STATUS_SHEET, df)) == 3
    X.save_workbook(wb, tmp_path / "l.xlsx")
    status, problems = L.read_ledger_status(tmp_path / "l.xlsx")
    assert status["status"].tolist() == df["整改状态"].tolist()
    assert problems.empty
