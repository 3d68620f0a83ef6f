"""Property tests: one verdict per exited household and none otherwise; results invariant to row order."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgk_lib import schema as S
from hgk_lib.audit import audit_county, no_verdict_households, summary_counts
from hgk_lib.audit.verdicts import KEPT, VERDICTS
from helpers.audit_tables import county, household, income, member, params

P = params()
money = st.one_of(st.none(), st.integers(min_value=0, max_value=3_000_000).map(lambda f: f / 100))

member_st = st.fixed_dictionaries(
    {
        "age": st.integers(min_value=0, max_value=95),
        "skill": st.sampled_from(S.LABOUR_SKILLS),
        "health": st.sampled_from(["健康", "长期慢性病", "患有大病", "残疾", "长期慢性病,残疾"]),
        "dibao": st.booleans(),
        "ins_resident": st.sampled_from([True, False, None]),
        "member_status": st.sampled_from(["正常", "正常", "正常", "自然减少", "清退"]),
    }
)
household_st = st.fixed_dictionaries(
    {
        "status": st.sampled_from(S.EXIT_STATUSES),
        "safe_water": st.sampled_from([True, True, False, None]),
        "unsafe_house": st.sampled_from([False, False, True]),
        "members": st.lists(member_st, min_size=0, max_size=4),
        "income": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "wage": money,
                    "business_income": money,
                    "business_cost": money,
                    "transfer_income": money,
                    "dibao_income": money,
                    "medical_reimb": money,
                    "disposable_pc_recorded": money,
                }
            ),
        ),
    }
)


def build(specs):
    hs, ms, inc = [], [], []
    for i, spec in enumerate(specs):  # building a fixture, not auditing
        hid = f"H{i:03d}"
        hs.append(
            household(hid, status=spec["status"], safe_water=spec["safe_water"], unsafe_house=spec["unsafe_house"])
        )
        for j, m in enumerate(spec["members"]):
            ms.append(
                member(
                    hid,
                    f"{hid}-{j}",
                    age=m["age"],
                    skill=m["skill"],
                    health=m["health"],
                    dibao=m["dibao"],
                    ins_resident=m["ins_resident"],
                    member_status=m["member_status"],
                )
            )
        if spec["income"] is not None:
            inc.append(income(hid, **spec["income"]))
    return county(hs, ms, inc)


def shuffled(tables, seed):
    return {k: v.sample(frac=1.0, random_state=seed).reset_index(drop=True) for k, v in tables.items()}


SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(household_st, min_size=1, max_size=8))
def test_exactly_one_verdict_per_exited_household(specs):
    tables = build(specs)
    r = audit_county(tables, P)
    h = tables["household"]
    m = tables["member"]
    with_active = set(m.loc[m["member_status"] == "正常", "hh_id"])
    exited = set(h.loc[h["exit_status"].isin(S.EXITED), "hh_id"])
    assert r.verdicts["hh_id"].is_unique
    assert set(r.verdicts["hh_id"]) == exited & with_active
    # a household without an active member gets no verdict and is listed in 动态管理, once
    empty = no_verdict_households(r)
    assert empty["hh_id"].is_unique and set(empty["hh_id"]) == set(h["hh_id"]) - with_active
    s = summary_counts(r)
    assert s["exited_households"] == s["verdicts_given"] + s["exited_no_active_member"] == len(exited)
    assert r.verdicts["verdict"].isin(VERDICTS).all()
    kept = r.verdicts["verdict"].isin(KEPT)
    assert (r.verdicts.loc[kept, "quality"].isin(["A 稳定", "B 不稳定"])).all()
    assert (r.verdicts.loc[~kept, "quality"] == "C 差距大").all()
    assert r.verdicts["return_cause"].notna().eq(r.verdicts["verdict"] == "返贫").all()
    assert len(r.income) == len(h) and len(r.classes) == len(h)
    summary_counts(r)  # always serialisable


@SETTINGS
@given(st.lists(household_st, min_size=1, max_size=8), st.integers(min_value=0, max_value=2**31 - 1))
def test_results_invariant_to_row_order(specs, seed):
    tables = build(specs)
    a = audit_county(tables, P)
    b = audit_county(shuffled(tables, seed), P)
    key = ["hh_id"]
    for name in ["income", "verdicts", "classes"]:
        x = getattr(a, name).sort_values(key).reset_index(drop=True)
        y = getattr(b, name).sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_dtype=False)
    nk = ["hh_id", "problem_type", "person_id"]
    pd.testing.assert_frame_equal(
        a.needs.sort_values(nk).reset_index(drop=True),
        b.needs.sort_values(nk).reset_index(drop=True),
        check_dtype=False,
    )


@SETTINGS
@given(st.lists(household_st, min_size=1, max_size=6))
def test_audit_never_changes_its_input(specs):
    tables = build(specs)
    before = {k: v.copy(deep=True) for k, v in tables.items()}
    audit_county(tables, P)
    for k, v in before.items():
        pd.testing.assert_frame_equal(tables[k], v)
