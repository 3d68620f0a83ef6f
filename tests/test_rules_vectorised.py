"""The vectorised helpers of the rules and of ``hgk_lib.derive`` give what the per-value Python expressions they
replace give, over awkward inputs (gaps, NaN, white space, CJK, values that are not text)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hgk_lib import derive as D

HEALTH = st.lists(
    st.one_of(
        st.none(),
        st.just(np.nan),
        st.just(pd.NA),
        st.integers(-2, 2),
        st.booleans(),
        st.floats(allow_nan=True),
        st.text(alphabet=list("残疾健康,， \t\u3000a"), max_size=8),
        st.sampled_from(["残疾", "健康", "残疾,长期慢性病", "长期慢性病,残疾", " 残疾", "残疾 ", "", ","]),
    ),
    max_size=15,
)


@settings(max_examples=300, deadline=None)
@given(values=HEALTH, value=st.sampled_from(["残疾", "健康", "", "a"]), dtype=st.sampled_from([object, "str"]))
def test_has_value_agrees_with_python(values, value, dtype):
    try:
        s = pd.Series(values, dtype=dtype, name="health", index=np.arange(len(values)) * 3)
    except (TypeError, ValueError):  # non-text values into the str dtype
        s = pd.Series(values, dtype=object, name="health", index=np.arange(len(values)) * 3)
    expected = s.astype(object).map(lambda v: isinstance(v, str) and value in v.split(",")).astype(bool)
    pd.testing.assert_series_equal(D.has_value(s, value), expected)
