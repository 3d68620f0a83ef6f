"""The workbook writers measure, clean and escape text in Arrow; these properties check that every Arrow expression
gives what the per-value Python expression gives (column widths, cell text, the quote prefix, the form's row
heights), for any text: wide and narrow characters, white space at either end, line breaks, characters XML forbids,
lone surrogates, formula-like starts and error codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hgk_lib.report import xlsx as X
from hgk_lib.visit import workbook as W

CHARS = list("aZ9 \t\r\n\u3000\xa0\x85&<>=+-@#/!中文ａ—…√□\x00\x0b\x1f\ufffe\uffff\u1100\ud7a3\ue000😀")
TEXT = st.one_of(
    st.text(alphabet=CHARS, max_size=12),
    st.sampled_from(X.ERROR_CODES + ("", " ", "=1+2", "-0012", "#N/A ", "行一\n行二")),
)
VALUES = st.lists(st.one_of(st.none(), TEXT), max_size=12)
SURROGATE = st.lists(st.one_of(st.none(), TEXT, st.just("a\ud800b")), max_size=8)


def _old_width(s: pd.Series) -> int:  # the per-value code text_width replaces
    v = pd.unique(s[s.notna()].astype(str).to_numpy(dtype=object))
    if len(v) == 0:
        return 0
    first = pd.Series(v, dtype=object).str.partition("\n")[0]
    return int((first.str.len() + first.str.count(X._WIDE)).max())


def _old_clean(t: pd.Series) -> list:
    t = t.str.replace(X.ILLEGAL_XML, "", regex=True)
    long = t.str.len() > X.MAX_CELL_CHARS
    return t.where(~long, t.str.slice(0, X.MAX_CELL_CHARS - len(X.TRUNCATED)) + X.TRUNCATED).tolist()


def _old_xml(v: pd.Series) -> list:
    esc = v.str.replace("&", "&amp;").str.replace("<", "&lt;").str.replace(">", "&gt;").str.replace("\r", "&#13;")
    keep = (v != v.str.strip()).to_numpy(bool)
    return (np.where(keep, '<t xml:space="preserve">', "<t>") + esc.to_numpy(dtype=object) + "</t>").tolist()


@settings(max_examples=300, deadline=None)
@given(values=SURROGATE, dtype=st.sampled_from([object, "str"]))
def test_text_width_is_the_python_width(values, dtype):
    try:
        s = pd.Series(values, dtype=dtype)
    except UnicodeEncodeError:  # a lone surrogate cannot be Arrow text
        s = pd.Series(values, dtype=object)
    try:
        expected = _old_width(s) if len(s) else 0
    except UnicodeEncodeError:  # pandas' str dtype cannot hold it either: both fail alike
        with pytest.raises(UnicodeEncodeError):
            X.text_width(s)
        return
    assert X.text_width(s) == expected


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(TEXT, st.just("a\ud800b")), max_size=8), long=st.booleans())
def test_clean_text_removes_what_xml_forbids_and_cuts_like_python(values, long):
    if long and values:
        values[0] = "中" * (X.MAX_CELL_CHARS + 3) + values[0]
    s = pd.Series(values, dtype=object)
    assert X._clean_text(s).tolist() == _old_clean(s)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(TEXT, max_size=12))
def test_xml_text_and_the_quote_prefix_agree_with_python(values):
    clean = pd.Series(_old_clean(pd.Series(values, dtype=object)), dtype=object)
    assert X.xml_text(clean).tolist() == _old_xml(clean)
    arr = pa.array(clean.to_numpy(dtype=object), type=pa.large_string())
    forced = X.pc.match_substring_regex(arr, X.FORMULA_RE2).to_pylist()
    assert forced == [X.is_formula_like(v) for v in clean]


@settings(max_examples=200, deadline=None)
@given(values=VALUES, cut=st.integers(0, 6))
def test_cutting_cells_counts_characters_like_python(values, cut):
    arr = pa.array(values, type=pa.large_string())
    assert X.pc.utf8_slice_codeunits(arr, 0, cut).to_pylist() == [None if v is None else v[:cut] for v in values]


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.just(np.nan), st.integers(-3, 3), TEXT), max_size=10))
def test_form_text_and_widths_agree_with_python(values):
    s = pd.Series(values, dtype=object)
    old = s.astype(object).where(s.notna(), "").astype(str).str.replace(X.ILLEGAL_XML, "", regex=True)
    got = W.form_text(s)
    pd.testing.assert_series_equal(got, old)
    size = np.array([len(v.encode("utf-8")) for v in old], dtype=np.int64)
    chars = np.array([len(v) for v in old], dtype=np.int64)
    assert W._display_width(got).tolist() == (chars + (size - chars) // 2).tolist()


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.none(),
            st.floats(allow_nan=False),
            st.sampled_from([0.0, -0.0, float("inf"), 1e16, 0.1 + 0.2]),
            st.integers(-(10**17), 10**17),
        ),
        max_size=10,
    )
)
def test_numbers_are_written_as_python_formats_them(values):
    present = np.array([v for v in values if v is not None], dtype=object)
    assert X._number_texts(present, "amount").tolist() == X._num_text(present)


def test_every_formula_start_is_in_the_pattern():
    arr = pa.array([c + "x" for c in X.FORMULA_START] + ["x", ""], type=pa.large_string())
    assert X.pc.match_substring_regex(arr, X.FORMULA_RE2).to_pylist() == [True] * len(X.FORMULA_START) + [False] * 2


CELL = st.one_of(
    st.none(),
    st.just(np.nan),
    TEXT,
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["2019-03-01", "2016-12-31 08:00", "不详"]),
)


def _column(values, kind, typed):
    s = pd.Series(values, dtype=object)
    if typed and kind in ("text", "id", "long") and all(v is None or isinstance(v, str) for v in values):
        try:
            return s.astype("str")
        except UnicodeEncodeError:
            return s
    if typed and kind == "date":
        return pd.to_datetime(s, errors="coerce", format="mixed")
    if typed and kind in ("amount", "int"):
        return pd.to_numeric(s, errors="coerce")
    return s


@pytest.mark.filterwarnings("ignore::UserWarning")  # pandas on dates it parses value by value
@settings(max_examples=400, deadline=None)
@given(
    values=st.lists(CELL, max_size=10),
    kind=st.sampled_from(["text", "id", "long", "int", "amount", "pct", "num", "date", "bool"]),
    typed=st.booleans(),
)
def test_column_cells_write_the_cells_of_column_values(values, kind, typed):
    """The fast writer's column (text in Arrow, numbers in numpy) gives the XML of the per-value column."""
    s = _column(values, kind, typed)
    try:
        listed, used = X.column_values(s, kind)
    except (UnicodeEncodeError, ValueError) as err:  # text pandas cannot convert, years Python cannot hold
        with pytest.raises(type(err)):
            X.column_cells(s, kind)
        return
    cells, used_fast = X.column_cells(s, kind)
    assert used_fast == used
    fmt = X.NUMBER_FORMATS.get(used.split(":")[-1])
    base = used.split(":")[-1]

    def style(f, q):
        return f"{f}|{q}"

    fast = X._cells_xml(cells, base, fmt, style).to_pylist()
    slow = X._cells_xml(X._CellColumn.of(listed), base, fmt, style).to_pylist()
    assert fast == slow
    if used == "int":
        assert cells.largest() == max((abs(x) for x in listed if x is not None), default=0)
