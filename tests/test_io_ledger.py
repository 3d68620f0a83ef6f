"""Row ledger: every row read is either loaded or quarantined, and exactly the bad rows are quarantined."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgk_lib import schema as S
from hgk_lib.io.parse import header_finder, parse_grid
from hgk_lib.io.readers import Grid

HEAD = ["户编号", "年度", "工资性收入", "生产经营性收入", "生产经营性支出", "财产性收入", "转移性收入", "数据来源"]

# (cell, makes the row unusable?)
HH_IDS = st.sampled_from(
    [
        ("4418810001", False),
        (4418810002.0, False),
        ("'4418810003", False),
        ("", False),
        (4.41881199001011e17, True),
        ("4.41881E+17", True),
        ("无", False),
    ]
)
YEARS = st.sampled_from(
    [
        (2019, False),
        ("2019", False),
        (2019.0, False),
        ("２０１９", False),
        ("", False),
        ("二〇一九", True),
        (2019.5, True),
        ("2019年度", True),
    ]
)
AMOUNTS = st.sampled_from(
    [
        (0, False),
        (1200.5, False),
        ("12,345.6", False),
        ("３００元", False),
        (" 7 ", False),
        ("-50", False),
        ("", False),
        ("—", False),
        ("NULL", False),
        ("abc", True),
        ("1,5", True),
        ("12..3", True),
        (True, True),
        (dt.date(2019, 1, 1), True),
    ]
)
SOURCES = st.sampled_from([("入户核实", False), ("2", False), ("乱填", False), ("", False)])

ROW = st.tuples(HH_IDS, YEARS, AMOUNTS, AMOUNTS, AMOUNTS, AMOUNTS, AMOUNTS, SOURCES)
BLANK = st.just(None)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.one_of(ROW, ROW, ROW, BLANK), max_size=25),
    n_title=st.integers(0, 5),
    trailing=st.integers(0, 3),
    fmt=st.sampled_from(["xlsx", "csv"]),
)
def test_ledger_conservation_and_exact_quarantine(rows, n_title, trailing, fmt):
    table = S.INCOME
    title = [["清远市收入信息"] + [""] * 7] * n_title
    cells = [[("" if c[0] is None else c[0]) for c in r] if r is not None else [""] * 8 for r in rows]
    if fmt == "csv":  # CSV cells are text
        cells = [
            [
                c
                if isinstance(c, str)
                else (
                    c.isoformat()
                    if isinstance(c, dt.date)
                    else ("TRUE" if c is True else repr(c) if isinstance(c, float) else str(c))
                )
                for c in r
            ]
            for r in cells
        ]
    grid_rows = title + [HEAD] + cells + [[""] * 8] * trailing
    grid = Grid(grid_rows, None, "Sheet1" if fmt == "xlsx" else "", fmt)
    h = header_finder(table)(grid_rows)
    assert h == n_title
    res = parse_grid(table, grid, h, "收入信息." + fmt)

    # what we expect: data rows up to the last non-blank one; bad = blank or any unusable cell
    last = max([i for i, r in enumerate(rows) if r is not None], default=-1)
    data = rows[: last + 1]
    first_row = n_title + 2
    expected_bad = {first_row + i for i, r in enumerate(data) if r is None or any(c[1] for c in r)}
    all_rows = {first_row + i for i in range(len(data))}

    assert res.rows_read == len(data)
    assert res.rows_read == res.rows_loaded + res.rows_quarantined
    assert len(res.table) == res.rows_loaded
    assert set(res.quarantine["row"]) == expected_bad
    assert res.rows_quarantined == len(expected_bad)
    loaded = set(res.table[S.ROW_COL])
    assert loaded.isdisjoint(expected_bad) and loaded | expected_bad == all_rows
    assert res.quarantine["reason"].map(bool).all()
    blank_rows = {first_row + i for i, r in enumerate(data) if r is None}
    assert set(res.quarantine.loc[res.quarantine["reason"] == "空行", "row"]) == blank_rows
    assert res.table["wage"].dtype == np.float64 and str(res.table["year"].dtype) == "Int64"
