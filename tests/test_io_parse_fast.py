"""The loader's vectorised fast paths read every distinct value exactly as the per-cell parser does (or leave it to
the parser): a value an export spells as ``="4418…"``, ``12,345.67`` or ``2019年9月1日`` must load the same whichever
path takes it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hgk_lib import schema as S
from hgk_lib.io import parse as P

COLUMNS = {
    "id": S.Column("身份证号码", "id_no", "id"),
    "text_id": S.Column("户编号", "hh_id", "text"),
    "amount": S.Column("工资性收入（元）", "wage", "amount"),
    "int": S.Column("务工时间（月）", "work_months", "int"),
    "date": S.Column("出生日期", "birth_date", "date"),
}

DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=19)
SHAPES = st.one_of(
    DIGITS,
    DIGITS.map(lambda d: f'="{d}"'),
    DIGITS.map(lambda d: f'="{d}X"'),
    DIGITS.map(lambda d: f"'{d}"),
    st.sampled_from(['="NULL"', '="4E17"', '=" 12 "', '=""', "无", " ", "", "4E17", "１２３"]),
    st.integers(-(10**7), 10**7).map(lambda n: f"{n:,}"),
    st.floats(-1e9, 1e9, allow_nan=False).map(lambda x: f"{x:,.2f}"),
    st.sampled_from(["1,234.5", "12,34", "1,234,567,890,123,456", "-0,001.5", "+1,000", "1,000元", "1, 000"]),
    st.tuples(st.integers(1890, 2110), st.integers(0, 13), st.integers(0, 32)).flatmap(
        lambda t: st.sampled_from(
            [
                f"{t[0]}.{t[1]}.{t[2]}",
                f"{t[0]}.{t[1]:02d}.{t[2]:02d}",
                f"{t[0]}年{t[1]}月{t[2]}日",
                f"{t[0]}年{t[1]:02d}月{t[2]:02d}日",
                f"{t[0]}-{t[1]:02d}-{t[2]:02d}",
                f"{t[0]}/{t[1]}/{t[2]}",
                f"{t[0]}{t[1]:02d}{t[2]:02d}",
                f"{t[0]}年{t[1]}月{t[2]}",
                f"{t[0]}.{t[1]}月{t[2]}日",
            ]
        )
    ),
)


def _parse(values: list, col: S.Column, fast: bool, monkeypatch=None):
    arr = np.array(values, dtype=object)
    if fast:
        return P.parse_column(arr, col, all_str=True)
    saved = P._fast_path
    P._fast_path = lambda c: None
    try:
        return P.parse_column(arr, col, all_str=True)
    finally:
        P._fast_path = saved


def _same(a, b) -> bool:
    a = pd.Series(a, dtype=object) if a is not None else None
    b = pd.Series(b, dtype=object) if b is not None else None
    if a is None or b is None:
        return a is None and b is None
    return a.isna().equals(b.isna()) and a[a.notna()].tolist() == b[b.notna()].tolist()


@settings(max_examples=400, deadline=None)
@given(values=st.lists(SHAPES, min_size=1, max_size=15), kind=st.sampled_from(sorted(COLUMNS)))
def test_fast_paths_agree_with_the_cell_parser(values, kind):
    col = COLUMNS[kind]
    fv, fr, fq = _parse(values, col, fast=True)
    sv, sr, sq = _parse(values, col, fast=False)
    assert _same(fv, sv), (kind, list(zip(values, fv, sv)))
    assert _same(fr, sr)
    assert _same(fq, sq)


def test_the_common_export_spellings_take_the_fast_path():
    """The provincial exports' usual spellings never reach the per-cell parser (it is the slow path)."""
    calls = []
    real = P.make_parser

    def counting(col):
        parser = real(col)
        return lambda v: calls.append(v) or parser(v)

    P.make_parser, saved = counting, P.make_parser
    try:
        for kind, values in {
            "id": ['="441825199001011234"', '="44182519900101123X"'],
            "amount": ["12,345.67", "1,234.00", "-1,000"],
            "date": ["2019.09.01", "2019年9月1日", "2019年10月11日"],
        }.items():
            v, _, q = P.parse_column(np.array(values, dtype=object), COLUMNS[kind], all_str=True)
            assert q is None
    finally:
        P.make_parser = saved
    assert calls == []
