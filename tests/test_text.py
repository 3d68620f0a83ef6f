"""The vectorised text helpers give what the per-value Python expressions give (IDs and codes are matched with
them in every rule, so a difference would move findings)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hgk_lib import derive as D
from hgk_lib import text as T

VALUES = st.lists(
    st.one_of(
        st.none(),
        st.just(np.nan),
        st.text(alphabet=list("0129Xx \t\u3000\x1c\xa0ßaé中-"), max_size=20),
        st.sampled_from(["110101199003074514", " 11010119900307451x ", "110101900307451", "", "  "]),
    ),
    max_size=12,
)


def _old_strip(s: pd.Series) -> pd.Series:  # the per-value code the helpers replace
    out = s.astype(object).where(s.notna(), None)
    return out.map(lambda v: v.strip() if isinstance(v, str) else v).where(lambda x: x != "", None)


def _old_upper(s: pd.Series) -> pd.Series:
    return s.map(lambda v: v.upper() if isinstance(v, str) else v)


@settings(max_examples=300, deadline=None)
@given(values=VALUES, dtype=st.sampled_from([object, "str"]))
def test_strip_upper_and_fullmatch_agree_with_python(values, dtype):
    s = pd.Series(values, dtype=dtype)
    stripped = _old_strip(s)
    pd.testing.assert_series_equal(T.strip_blank(s), stripped)  # values and dtype
    pd.testing.assert_series_equal(T.upper(stripped), _old_upper(stripped))
    for pattern in (D.RE_ID18, D.RE_ID15, D.RE_DISABILITY, r"[0-9]{17}"):
        expected = [isinstance(v, str) and re.fullmatch(pattern, v) is not None for v in stripped]
        assert T.fullmatch(stripped, pattern).tolist() == expected


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.just(np.nan), st.integers(-5, 5), st.text(max_size=6)), max_size=15),
    dtype=st.sampled_from([object, "str"]),
)
def test_sorted_codes_are_pandas_sorted_factorize_codes(values, dtype):
    """The draw's tie-break by 户编号 (risk_rank) orders IDs as Python sorts text, any text (CJK, astral, blanks)."""
    try:
        s = pd.Series(values, dtype=dtype)
    except (TypeError, ValueError):  # integers into the str dtype
        s = pd.Series(values, dtype=object)
    expected = pd.factorize(s.astype(str).to_numpy(), sort=True)[0]
    assert T.sorted_codes(s).tolist() == expected.tolist()


def test_the_white_space_list_is_what_python_strips():
    import sys

    assert T.PY_WHITESPACE == "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


def test_mixed_values_keep_their_non_text_values():
    s = pd.Series([" a ", 15, None], dtype=object)
    assert T.strip_blank(s).tolist() == ["a", 15, None]
    assert T.upper(s).tolist() == [" A ", 15, None]
    assert T.fullmatch(s, "1").tolist() == [False, False, False]


def _check(first17: str) -> str:
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # GB 11643, written independently of derive
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


def test_id18_of_a_15_digit_id_and_a_lower_case_check_character():
    ids = pd.Series([" 11010119900307451x", "110101900307451", "abc", None])
    got = D.id18(ids)
    assert got[:2].tolist() == ["11010119900307451X", "11010119900307451" + _check("11010119900307451")]
    assert got[2:].isna().all()


@settings(max_examples=300, deadline=None)
@given(
    values=VALUES,
    lookup=VALUES,
    dtype=st.sampled_from([object, "str"]),
    kind=st.sampled_from(["list", "set", "str_series", "object_array", "index"]),
)
def test_isin_is_pandas_isin(values, lookup, dtype, kind):
    """Department lists are matched against IDs with text.isin: same answer as Series.isin, gaps included."""
    s = pd.Series(values, dtype=dtype)
    if kind == "list":
        vals = list(lookup)
    elif kind == "set":
        vals = {v for v in lookup if isinstance(v, str)}
    elif kind == "str_series":
        vals = pd.Series(lookup, dtype="str")
    elif kind == "object_array":
        vals = np.array(lookup, dtype=object)
    else:
        vals = pd.Index(lookup, dtype=object)
    expected = s.isin(list(vals) if kind == "set" else vals).to_numpy(dtype=bool)
    assert T.isin(s, vals).tolist() == expected.tolist()


def test_isin_with_non_text_values_falls_back_to_pandas():
    s = pd.Series(["1", "2", None], dtype="str")
    assert T.isin(s, [1, "2"]).tolist() == [False, True, False]
    assert T.isin(s, []).tolist() == [False, False, False]
    assert T.isin(pd.Series([1, 2], dtype="int64"), [2]).tolist() == [False, True]
