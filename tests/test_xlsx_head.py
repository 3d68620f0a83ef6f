"""The export time of an xlsx comes from its first rows streamed (hgk_lib.io.readers.xlsx_head_rows), not from the
whole sheet parsed: the same 导出时间 as reading the sheet with python-calamine, for title rows of text, numbers,
dates and times, shared or inline strings, leading blank rows and cells."""

from __future__ import annotations

import datetime as dt
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from hgk_lib.campaign import wire
from hgk_lib.io.readers import NOT_TEXT, xlsx_head_rows

LABELS = ["导出时间：", "导出时间: ", "导出时间", "说明", "清远市英德市贫困户信息", "", " "]
CELL = st.one_of(
    st.none(),
    st.sampled_from(LABELS),
    st.sampled_from(["2019-10-25", "2019-10-25 09:30:00", "导出时间：2019-10-08 09:30:00", "导出时间：2019-1-8"]),
    st.integers(-5, 3000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.just(dt.datetime(2019, 10, 25, 9, 30)),
    st.just(dt.date(2019, 10, 25)),
    st.just(dt.time(9, 30)),
    st.booleans(),
    st.text(alphabet="导出时间：: 2019-0 ", max_size=12),
)


def _write(path, rows, blank_rows: int, blank_cols: int) -> None:
    wb = Workbook()
    ws = wb.active
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v is not None:
                ws.cell(row=1 + blank_rows + i, column=1 + blank_cols + j, value=v)
    wb.create_sheet("第二张")["A1"] = "导出时间：2030-01-01"  # only the first sheet counts
    wb.save(path)


@settings(max_examples=120, deadline=None)
@given(
    rows=st.lists(st.lists(CELL, max_size=4), min_size=0, max_size=8),
    blank_rows=st.integers(0, 3),
    blank_cols=st.integers(0, 2),
)
def test_streamed_title_rows_give_the_same_export_time_as_calamine(tmp_path_factory, rows, blank_rows, blank_cols):
    path = tmp_path_factory.mktemp("x") / "贫困户信息.xlsx"
    _write(path, rows, blank_rows, blank_cols)
    full = wire._calamine_head(path)
    m = wire._EXPORT_TIME.search(full)
    expected = wire.pd.Timestamp(m[1]).isoformat() if m else None
    assert wire._title_time(path) == expected
    head = xlsx_head_rows(path, 5)
    assert head == [] if full == "" else len(head) == len(full.split("\n"))
    for got, want in zip(head, full.split("\n")):  # text cells as calamine gives them; the others marked
        if NOT_TEXT not in got:
            assert got == want


def test_the_title_rows_of_a_large_sheet_are_read_without_the_data_rows():
    """A 20,000-row sheet: the streamed head stops at its 5th row (the numbers marked, not rendered)."""
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "收入信息.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["清远市英德市收入信息"])
    ws.append(["导出时间：2019-10-08 09:30:00"])
    ws.append(["户编号", "年度", "人均可支配收入"])
    for i in range(20000):
        ws.append([f"44188101001{i:05d}", 2019, 1234.5])
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 500_000
    assert wire._title_time(path) == "2019-10-08T09:30:00"
    assert xlsx_head_rows(path, 5) == [
        "清远市英德市收入信息",
        "导出时间：2019-10-08 09:30:00",
        "户编号 年度 人均可支配收入",
        f"4418810100100000 {NOT_TEXT} {NOT_TEXT}",
        f"4418810100100001 {NOT_TEXT} {NOT_TEXT}",
    ]


def test_what_is_not_an_xlsx_is_left_to_calamine(tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"not a zip")
    assert xlsx_head_rows(bad) is None
    assert wire._title_time(bad) is None  # calamine cannot read it either: no title time
