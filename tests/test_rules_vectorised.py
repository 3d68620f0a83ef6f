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


TEXTS = st.lists(
    st.one_of(
        st.none(),
        st.just(np.nan),
        st.text(alphabet=list("张三李 \t\u3000\u2003ＡAa1１-"), max_size=6),
        st.sampled_from(["张三", "张 三", "ＡＢ", "", "  "]),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(a=TEXTS, b=TEXTS)
def test_norm_names_agree_with_norm_name(a, b):
    from hgk_lib.rules.dynamic import _norm_name, norm_names

    sa = pd.Series(a, dtype=object, name="name")
    sb = pd.Series(b, dtype=object, name="name", index=np.arange(len(b)) + 100)
    for got, s in zip(norm_names(sa, sb), (sa, sb)):
        pd.testing.assert_series_equal(got, _norm_name(s))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["A", "B", "C", "张"]), st.sampled_from(["1", "2", "3", "4", "10", "一"])),
        max_size=15,
    )
)
def test_lowest_grade_is_grouped_min(rows):
    from hgk_lib.rules.social import lowest_grade

    df = pd.DataFrame(rows, columns=["_id18", "dis_grade"], dtype=object)
    pd.testing.assert_series_equal(lowest_grade(df), df.groupby("_id18")["dis_grade"].min())


@settings(max_examples=200, deadline=None)
@given(
    col=TEXTS,
    values=st.one_of(TEXTS, st.lists(st.text(max_size=3), max_size=5)),
    dtype=st.sampled_from([object, "str"]),
)
def test_in_texts_is_series_isin(col, values, dtype):
    from hgk_lib.rules.social import in_texts

    s = pd.Series(col, dtype=dtype)
    assert in_texts(s, values).tolist() == s.isin(list(values)).tolist()
    assert (
        in_texts(s, set(v for v in values if isinstance(v, str))).tolist()
        == s.isin([v for v in set(v for v in values if isinstance(v, str))]).tolist()
    )


FLAGS = st.lists(st.one_of(st.none(), st.booleans()), max_size=12)


@settings(max_examples=100, deadline=None)
@given(values=FLAGS, dtype=st.sampled_from(["boolean", object]))
def test_flags_agree_with_object_comparison(values, dtype):
    df = pd.DataFrame({"f": pd.Series(values, dtype=dtype)})
    yes = (df["f"].astype(object) == True).fillna(False).astype(bool)  # noqa: E712
    no = (df["f"].astype(object) == False).fillna(False).astype(bool)  # noqa: E712
    pd.testing.assert_series_equal(D.flag_yes(df, "f"), yes)
    pd.testing.assert_series_equal(D.flag_no(df, "f"), no)


IDS = st.lists(
    st.one_of(st.none(), st.sampled_from(["110101199003074514", "11010119900307451X", "110101900307451", "A1"])),
    max_size=10,
)


@settings(max_examples=200, deadline=None)
@given(
    member_ids=IDS, list_ids=IDS, names=st.lists(st.sampled_from(["张三", "李四", "", None]), min_size=10, max_size=10)
)
def test_matching_by_codes_agrees_with_matching_by_text(member_ids, list_ids, names):
    from hgk_lib.rules.context import RuleContext, fast_id18
    from hgk_lib.rules.dynamic import same_name_codes
    from hgk_lib.rules.social import dept_table, list_ids as ids_of, matched

    members = pd.DataFrame(
        {
            "hh_id": "H1",
            "id_no": pd.Series(member_ids, dtype=object),
            "member_status": "正常",
            "name": pd.Series(names[: len(member_ids)], dtype=object),
        }
    )
    police = pd.DataFrame(
        {"id_no": pd.Series(list_ids, dtype=object), "name": pd.Series(names[: len(list_ids)], dtype=object)}
    )
    ctx = RuleContext(
        tables={"member": members, "police": police},
        params={
            "reference_date": pd.Timestamp("2019-12-31"),
            "audit_year": 2019,
            "school_cutoff": "08-31",
            "age_max": 110,
        },
    )
    m = ctx.members
    pol = dept_table(ctx, "police")
    pd.testing.assert_series_equal(pol["_id18"], fast_id18(police["id_no"]).astype(object).rename("_id18"))
    for mask in (pol["_id18"].notna(), pol["name"].isna()):
        by_code = matched(m, ids_of(ctx, pol, mask))
        by_text = pd.Series(
            m["id18"].astype(object).isin(pd.Index(pol.loc[mask, "_id18"].dropna(), dtype=object)) & m["id18"].notna(),
            name="id18",
        )
        pd.testing.assert_series_equal(by_code, by_text)
    scope = m.assign(_name=m["name"])
    scope = scope[(scope["id_code"] >= 0) & scope["_name"].notna()]
    p = pol.assign(_name=pol["name"])
    p = p[p["_id18"].notna() & p["_name"].notna() & (p["_name"] != "")]
    pairs = scope[["id18", "_name"]].merge(
        p[["_id18", "_name"]], left_on=["id18", "_name"], right_on=["_id18", "_name"]
    )
    expected = scope["id18"].isin(set(pairs["id18"])).to_numpy()
    assert np.isin(scope["id_code"].to_numpy(), same_name_codes(scope, p)).tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.one_of(st.none(), st.sampled_from(["2019-01-01", "2019-06-30", "2018-12-31"])),
            st.integers(0, 1),
            st.integers(0, 9),
        ),
        max_size=15,
    )
)
def test_last_per_id_keeps_the_rows_of_sort_and_drop_duplicates(rows):
    from hgk_lib.rules.dynamic import last_per_id

    df = pd.DataFrame(rows, columns=["_id18", "date", "_out", "tag"]).astype({"_id18": object})
    order = df.assign(
        _d=pd.to_datetime(df["date"], format="%Y-%m-%d").astype("datetime64[ns]").fillna(pd.Timestamp.min)
    )
    expected = order.sort_values(["_id18", "_d", "_out"]).drop_duplicates("_id18", keep="last")
    pd.testing.assert_frame_equal(last_per_id(order).sort_index(), expected.sort_index())


@settings(max_examples=100, deadline=None)
@given(values=HEALTH, value=st.sampled_from(["残疾", "健康", ""]))
def test_health_has_agrees_with_a_map_of_the_distinct_values(values, value):
    from hgk_lib.rules.context import RuleContext

    health = pd.Series(values, dtype=object)
    member = pd.DataFrame({"hh_id": "H1", "id_no": None, "member_status": "正常", "health": health})
    ctx = RuleContext(
        tables={"member": member},
        params={
            "reference_date": pd.Timestamp("2019-12-31"),
            "audit_year": 2019,
            "school_cutoff": "08-31",
            "age_max": 110,
        },
    )
    h = ctx.members["health"]
    table = {u: value in str(u).split(",") for u in pd.unique(h.dropna())}
    expected = h.map(table).astype(object).fillna(False).astype(bool)  # the old map, NaN for the gaps
    pd.testing.assert_series_equal(ctx.health_has(value), expected)
