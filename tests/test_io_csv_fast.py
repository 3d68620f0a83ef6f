"""The CSV fast path (pyarrow splits the body into columns) gives exactly what the row-by-row ``csv`` path gives:
the same cells at the same physical line numbers, the same loaded tables, quarantine and ledger — or it declines."""

from __future__ import annotations

import csv
import re
import string

import pandas as pd
import pytest
from helpers.paths import FIXTURE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgk_lib import schema as S
from hgk_lib.errors import InputError
from hgk_lib.io import load_county, parse, readers
from hgk_lib.io.parse import header_finder


def _find_a(rows):
    for i, row in enumerate(rows[:10]):
        if row and row[0] == "H":
            return i
    return None


def _rows_of(grid) -> list[tuple[int, list[str]]]:
    """(physical line, cells padded to the widest row) for every data row after the header row ``H``."""
    if grid.body is not None:
        h = len(grid.rows) - 1
        b = grid.body
        data = [[str(u[c[k]]) for c, u in b.columns] for k in range(b.n)]
        numbered = [(b.first_row + k, r) for k, r in enumerate(data)]
    else:
        h = _find_a(grid.rows)
        numbered = [(grid.row_number(i), list(grid.rows[i])) for i in range(h + 1, len(grid.rows))]
    width = max([len(r) for _, r in numbered] + [len(grid.rows[h])])
    return [(no, r + [""] * (width - len(r))) for no, r in numbered]


def _slow(data: bytes):
    return readers.read_csv(data, "t.csv")


def _fast(data: bytes):
    return readers.read_csv(data, "t.csv", find_header=_find_a)


CELL = st.text(alphabet=list('ab中 ,"\n\r\t') + list(string.digits[:3]), max_size=6)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.lists(CELL, min_size=0, max_size=2),
    width=st.integers(1, 4),
    body=st.lists(st.lists(CELL, min_size=0, max_size=5), min_size=0, max_size=6),
    quote_all=st.booleans(),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    raw_tail=st.text(alphabet=list('a,"\n\r'), max_size=4),
)
def test_fast_path_gives_the_row_paths_cells_or_declines(title, width, body, quote_all, ending, raw_tail):
    def line(cells):
        if quote_all:
            return ",".join('"' + c.replace('"', '""') + '"' for c in cells)
        return ",".join(cells)

    header = ["H"] + [f"h{i}" for i in range(1, width)]
    text = ending.join([line(title)] * bool(title) + [",".join(header)] + [line(r) for r in body]) + raw_tail
    data = text.encode("utf-8")
    try:
        slow = _slow(data)
    except Exception as err:  # noqa: BLE001 - whatever the row path says, the fast path must say too
        with pytest.raises(type(err)):
            _fast(data)
        return
    if _find_a(slow.rows) is None:
        return
    fast = _fast(data)
    assert _rows_of(fast) == _rows_of(slow)


def test_a_regular_export_takes_the_fast_path_with_line_numbers():
    text = '标题,,\n户编号,姓名,备注\n1,"张三",""\n2,李四,"a,b"\n\n3,王五,x\n'
    grid = readers.read_csv(text.encode(), "t.csv", find_header=lambda rows: 1)
    assert grid.body is not None and grid.body.first_row == 3 and grid.body.n == 4
    assert [str(u[c[3]]) for c, u in grid.body.columns] == ["3", "王五", "x"]


@pytest.mark.parametrize(
    "text",
    [
        '户编号,姓名\n1,"张\n三"\n2,李四\n',  # a quoted line break: line numbers need the row path
        "户编号,姓名\n1,张三,多出一列\n",  # ragged
        "户编号,姓名\n1\n",  # short row
    ],
)
def test_irregular_bodies_fall_back_to_the_row_path(text):
    grid = readers.read_csv(text.encode(), "t.csv", find_header=lambda rows: 0)
    assert grid.body is None and grid.rows[0] == ["户编号", "姓名"]


def test_a_field_over_csvs_limit_is_refused_on_both_paths():
    text = "户编号,备注\n1," + "长" * (csv.field_size_limit() + 1) + "\n"
    with pytest.raises(InputError, match="字段过长"):
        readers.read_csv(text.encode(), "t.csv", find_header=lambda rows: 0)


def _load_both(folder, monkeypatch):
    fast = load_county(folder, year=2019)
    with monkeypatch.context() as m:
        m.setattr(readers, "_read_csv_columns", lambda *a, **k: None)
        slow = load_county(folder, year=2019)
    return fast, slow


@pytest.mark.parametrize("county", sorted(p.name for p in FIXTURE.iterdir() if p.is_dir()))
def test_loading_the_fixture_counties_is_the_same_on_both_paths(county, monkeypatch):
    fast, slow = _load_both(FIXTURE / county, monkeypatch)
    assert sorted(fast.tables) == sorted(slow.tables)
    for name in fast.tables:
        pd.testing.assert_frame_equal(fast.tables[name], slow.tables[name], check_exact=True, obj=name)
    pd.testing.assert_frame_equal(fast.quarantine, slow.quarantine)
    pd.testing.assert_frame_equal(fast.ledger, slow.ledger)
    assert fast.warnings == slow.warnings and fast.quarantined_hh == slow.quarantined_hh


def test_the_fixture_exercises_both_paths():
    """The equality test above means something only if the fixture has tables on each path."""
    folder = next(p for p in sorted(FIXTURE.iterdir()) if (p / "贫困人口信息.csv").exists())
    paths = {}
    for name, file in (("income", "收入信息.csv"), ("member", "贫困人口信息.csv")):
        data = (folder / file).read_bytes()
        grid = readers.read_csv(data, file, find_header=header_finder(S.TABLES[name]))
        paths[name] = grid.body is not None and grid.body.n > 0
    assert paths == {"income": True, "member": False}  # the member table has a quoted line break


PATTERNS = [
    parse._CJK_ONLY,
    parse._ASCII_SCI,
    r"[0-9A-Za-z]{1,40}",
    r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?",
    *(p for _, p in parse._FAST_DATE_FORMATS),
]


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.text(alphabet=list("09aZ中文eE+-./ \n１"), max_size=12)
        | st.sampled_from(["2019-01-02", "2019/1/2", "20190102", "4E17", "1.5e+3", "中文", "-12.50"])
    )
)
def test_the_vectorised_fullmatch_agrees_with_python_re(values):
    """The fast paths match through pyarrow's RE2; for their patterns it must agree with :func:`re.fullmatch`."""
    s = pd.Series(values, dtype="str")
    for pattern in PATTERNS:
        expected = [re.fullmatch(pattern, v) is not None for v in values]
        assert parse._fullmatch(s, pattern).tolist() == expected, pattern
