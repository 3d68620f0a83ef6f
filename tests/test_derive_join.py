"""join_by (the vectorised per-group text join used by the exit path, the visit plan, verdicts and labour classes)
gives exactly what ``groupby(...).agg(sep.join)`` gives: same groups, same order inside each group, missing keys
dropped — on any input."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hgk_lib.derive import join_by

keys = st.lists(st.one_of(st.none(), st.sampled_from(["甲户", "乙户", "丙户", "0012"])), max_size=40)


@settings(max_examples=150, deadline=None)
@given(keys, st.data(), st.booleans())
def test_join_by_equals_the_per_group_join(k, data, sort):
    values = data.draw(
        st.lists(st.sampled_from(["产业扶持", "就业×2", "", "、", "教育；补助"]), min_size=len(k), max_size=len(k))
    )
    years = data.draw(st.lists(st.integers(2016, 2019), min_size=len(k), max_size=len(k)))
    df = pd.DataFrame({"k": pd.Series(k, dtype=object), "y": years, "v": values}, index=range(100, 100 + len(k)))
    one = join_by(df["v"], df["k"], "、", sort=sort)
    pd.testing.assert_series_equal(one, df["v"].groupby(df["k"], sort=sort).agg("、".join))
    two = join_by(df["v"], [df["k"], df["y"]], "；", sort=sort)
    pd.testing.assert_series_equal(two, df["v"].groupby([df["k"], df["y"]], sort=sort).agg("；".join))


def test_join_by_keeps_the_order_within_a_household():
    df = pd.DataFrame({"hh": ["A", "B", "A", "A"], "v": ["产业", "教育", "就业", "医疗"]})
    assert join_by(df["v"], df["hh"], "、").to_dict() == {"A": "产业、就业、医疗", "B": "教育"}
