"""Data sheets are written as sheet XML built column-wise; read back, they hold exactly the cells the cell-by-cell
openpyxl path writes: values, types, number formats, quote prefixes, fonts and fills, the header's note, filters
and drop-downs — for every column kind and for the awkward values real exports carry."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest

from hgk_lib.report import xlsx as X

KINDS = {
    "身份证号": "id",
    "姓名": "text",
    "说明": "long",
    "人数": "int",
    "人均纯收入": "amount",
    "占比": "pct",
    "系数": "num",
    "登记日期": "date",
    "是否脱贫": "bool",
    "金额或说明": "amount",
}


def awkward_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "身份证号": ["441881199001011234", "=1+2", None, "", "-0012"],
            "姓名": ['=HYPERLINK("x")', " 张三 ", "<b>&amp;</b>", "#N/A", "行一\r\n行二\t尾"],
            "说明": ["a" * 40_000, None, "@提醒", "+86", "普通文字"],
            "人数": [1, None, 3, 12345678, 0],
            "人均纯收入": [3500.5, np.nan, 0.1 + 0.2, -12.25, 1e12],
            "占比": [0.123456, 1.0, None, 0.0, 0.5],
            "系数": [1 / 3, 2.0, None, -0.0, 7],
            "登记日期": pd.to_datetime(
                ["2016-03-01", None, "1900-02-28", "2019-12-31 13:30", "2020-01-01"], format="mixed"
            ),
            "是否脱贫": [True, False, None, True, np.nan],
            "金额或说明": [100.0, "不详", "=SUM(A1)", None, 2.5],
        }
    )


def seen(path) -> dict:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        cells = [
            (
                c.coordinate,
                c.value,
                c.data_type,
                c.number_format,
                c.quotePrefix,
                c.font.b,
                c.fill.fgColor.rgb,
                None if c.comment is None else c.comment.text,
            )
            for row in ws.iter_rows()
            for c in row
        ]
        out[ws.title] = (
            cells,
            ws.auto_filter.ref,
            ws.freeze_panes,
            [(str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation],
            {k: d.width for k, d in ws.column_dimensions.items()},
            ws.print_title_rows,
        )
    return out


def write(path, df, **kw):
    wb = X.new_workbook("t", None)
    X.write_table(wb, "问题清单", df, KINDS, **kw)
    X.write_table(wb, "空表", df.iloc[:0], KINDS)
    X.save_workbook(wb, path)
    return seen(path)


@pytest.mark.parametrize("rows", [5, 4_500])  # one chunk, and several chunks of rows
def test_fast_rows_equal_the_cell_by_cell_rows(tmp_path, monkeypatch, rows):
    df = pd.concat([awkward_frame()] * (rows // 5), ignore_index=True)
    kw = dict(dropdowns={"姓名": ["甲", "乙"]}, note="本表说明")
    fast = write(tmp_path / "fast.xlsx", df, **kw)
    monkeypatch.setattr(X, "_write_rows_fast", lambda *a: False)
    slow = write(tmp_path / "slow.xlsx", df, **kw)
    assert fast == slow
    cells = {c[0]: c for c in fast["问题清单"][0]}
    assert cells["A3"][1:3] == ("=1+2", "s") and cells["A3"][4]  # text, quote prefix: never a formula
    assert cells["B2"][1:3] == ('=HYPERLINK("x")', "s")
    assert cells["B5"][1:3] == ("#N/A", "s")  # text, not an error cell
    assert cells["B4"][1] == "<b>&amp;</b>" and cells["B3"][1] == " 张三 "
    assert cells["B6"][1] == "行一\r\n行二\t尾"  # CR survives
    assert cells["C2"][1].endswith(X.TRUNCATED) and len(cells["C2"][1]) == X.MAX_CELL_CHARS
    assert cells["E2"][1:4] == (3500.5, "n", "#,##0.00")
    assert cells["H2"][1] == dt.datetime(2016, 3, 1) and cells["H2"][3] == "yyyy-mm-dd"
    assert cells["I2"][1] == "是" and cells["J3"][1] == "不详"
    assert cells["A1"][7] == "本表说明" and cells["A1"][5]  # the note on the bold header


def test_fast_rows_byte_identical_on_rerun(tmp_path):
    df = awkward_frame()
    for name in ("a.xlsx", "b.xlsx"):
        wb = X.new_workbook("t", None)
        X.write_table(wb, "问题清单", df, KINDS)
        X.save_workbook(wb, tmp_path / name)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_rows_written_as_text_replace_their_placeholders_and_leave_no_spill(tmp_path):
    """Rows go into the sheet as text (no lxml re-parse): the saved sheet holds the rows, in order, and no trace
    of the placeholders; the spill files are closed."""
    import gc
    import zipfile

    df = pd.concat([awkward_frame()] * 900, ignore_index=True)  # several chunks
    write(tmp_path / "a.xlsx", df)
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = b"".join(z.read(n) for n in sheets)
    assert X.XmlStream.TAG.encode() not in xml
    rows = [int(r) for r in __import__("re").findall(rb'<row r="(\d+)"', xml)]
    assert rows[: len(df) + 1] == list(range(1, len(df) + 2))
    gc.collect()
    spills = [o for o in gc.get_objects() if isinstance(o, X.XmlStream)]
    assert all(s._spill.closed for s in spills)
