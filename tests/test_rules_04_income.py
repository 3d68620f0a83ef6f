"""R32–R44 (收入)."""

import pytest

from helpers.rules_tables import (
    fired,
    make_household,
    make_id,
    make_income,
    make_income_years,
    make_member,
    summary_row,
)


def T(income, members=None, households=None, drop_hh=()):
    hh = households or [make_household()]
    return {"household": (hh, drop_hh) if drop_hh else hh, "member": members or [make_member()], "income": income}


def years(**kw):
    return make_income_years(years=range(2016, 2019)) + [make_income(**kw)]


def parts(f):
    return set(zip(f["hh_id"], f["year"], f["part"]))


# -- R32 ---------------------------------------------------------------------------------------------------------
def test_r32_complete_history_passes():
    assert fired("R32", T(make_income_years())).empty


def test_r32_parts():
    inc = [
        make_income(year=2016),
        make_income(year=2018),
        make_income(year=2018),
        make_income(year=2019),
        make_income(year=2015),
        make_income(year=2020),
        make_income(hh_id="H9"),
    ]
    f = fired("R32", T(inc))
    got = parts(f)
    assert ("H9", 2019, "a") in got
    assert [p for p in got if p[2] == "b"] == [("H1", 2018, "b")] and (f["part"] == "b").sum() == 2
    assert ("H1", 2017, "c") in got
    assert {("H1", 2015, "d"), ("H1", 2020, "d")} <= got
    assert ("H1", 2016, "d") not in got


def test_r32_c_starts_at_first_identification_year():
    f = fired("R32", T([make_income(year=2018), make_income(year=2019)], households=[make_household(first_year=2018)]))
    assert f.empty
    f = fired("R32", T([make_income(year=2019)], households=[make_household(first_year=None)]))
    assert sorted(f["year"]) == [2016, 2017, 2018]


def test_r32_e_all_items_blank():
    f = fired(
        "R32", T(years(wage=None, business_income=None, business_cost=None, property_income=None, transfer_income=None))
    )
    assert parts(f) == {("H1", 2019, "e")}


def test_r32_hit_rows_left_out_of_other_rules():
    inc = make_income_years() + [make_income(year=2019, wage=-1)]
    assert fired("R33", T(inc)).empty


# -- R33 / R34 ---------------------------------------------------------------------------------------------------
def test_r33_negative_amounts():
    f = fired("R33", T(years(wage=-10.0, disposable_recorded=-10.0, disposable_pc_recorded=-10.0)))
    assert len(f) == 1 and f.iloc[0]["columns"] == "工资性收入"
    assert fired("R33", T(years(wage=0.0, disposable_recorded=0.0, disposable_pc_recorded=0.0))).empty


def test_r34_negative_cost_warning():
    f = fired("R34", T(years(business_cost=-100.0)))
    assert len(f) == 1 and "绝对值100" in f.iloc[0]["message"]
    assert fired("R34", T(years(business_cost=100.0))).empty


# -- R35 ---------------------------------------------------------------------------------------------------------
def test_r35_a_transfer_items_tolerance():
    base = dict(
        wage=0.0, transfer_income=1000.0, dibao_income=999.0, disposable_recorded=1000.0, disposable_pc_recorded=1000.0
    )
    assert fired("R35", T(years(**base))).empty  # difference exactly 1.0
    f = fired("R35", T(years(**{**base, "dibao_income": 998.99})))
    assert list(f["part"]) == ["a"]


def test_r35_a_not_judged_when_all_items_blank():
    kw = {
        k: None
        for k in [
            "family_planning",
            "dibao_income",
            "tekun_income",
            "pension_income",
            "eco_comp",
            "medical_reimb",
            "other_transfer",
        ]
    }
    assert fired(
        "R35", T(years(transfer_income=500.0, disposable_recorded=10500.0, disposable_pc_recorded=10500.0, **kw))
    ).empty


def test_r35_b_c_of_which_items():
    assert fired("R35", T(years(wage=1000.0, wage_pwj=1001.0))).empty
    f = fired("R35", T(years(wage=1000.0, wage_pwj=1001.01)))
    assert list(f["part"]) == ["b"]
    f = fired(
        "R35",
        T(
            years(
                property_income=100.0,
                property_dividend=101.5,
                disposable_recorded=10100.0,
                disposable_pc_recorded=10100.0,
            )
        ),
    )
    assert list(f["part"]) == ["c"]


# -- R36 ---------------------------------------------------------------------------------------------------------
def test_r36_tolerance_and_abs_cost():
    # D* = 10000 + 2000 - abs(-500) = 11500
    kw = dict(business_income=2000.0, business_cost=-500.0, disposable_pc_recorded=11500.0)
    assert fired("R36", T(years(disposable_recorded=11501.0, **kw))).empty
    f = fired("R36", T(years(disposable_recorded=11501.01, **kw)))
    assert len(f) == 1 and "11500" in f.iloc[0]["message"]
    assert len(fired("R36", T(years(disposable_recorded=None, **kw)))) == 1


# -- R37 ---------------------------------------------------------------------------------------------------------
def test_r37_uses_recomputed_d_over_n():
    inc = years(n_members=3, wage=9000.0, disposable_recorded=9999.0, disposable_pc_recorded=3001.0)
    assert fired("R37", T(inc)).empty  # |3001 - 3000| = 1
    inc = years(n_members=3, wage=9000.0, disposable_recorded=9000.0, disposable_pc_recorded=3001.5)
    assert len(fired("R37", T(inc))) == 1


def test_r37_n_from_active_members_only_for_audit_year():
    inc = make_income_years(years=range(2016, 2019), n_members=None) + [make_income(n_members=None)]
    s = summary_row("R37", T(inc))
    assert s["evaluated"] == 1 and s["not_evaluated"] == 3 and s["findings"] == 0


# -- R38 ---------------------------------------------------------------------------------------------------------
def test_r38_members_and_changes():
    baby = make_member(
        person_id="P2",
        id_no=make_id("20190301"),
        birth_date="2019-03-01",
        relation="之子",
        change_reason="新生儿",
        change_date="2019-03-10",
        labour_skill="无劳动力",
        work_status=None,
        work_months=None,
    )
    # A = 2, one newborn this year: 1 or 2 accepted
    assert fired("R38", T(years(n_members=1), members=[make_member(), baby])).empty
    assert len(fired("R38", T(years(n_members=3), members=[make_member(), baby]))) == 1
    gone = make_member(
        person_id="P3",
        id_no=make_id("19400101"),
        relation="之父",
        member_status="自然减少",
        change_reason="死亡",
        change_date="2019-05-01",
    )
    assert fired("R38", T(years(n_members=2), members=[make_member(), gone])).empty
    assert len(fired("R38", T(years(n_members=2), members=[make_member()]))) == 1


# -- R39 ---------------------------------------------------------------------------------------------------------
def test_r39_a_per_capita_bounds():
    assert fired("R39", T(years(wage=100000.0, disposable_recorded=100000.0, disposable_pc_recorded=100000.0))).empty
    f = fired("R39", T(years(wage=100000.01, disposable_recorded=100000.01, disposable_pc_recorded=100000.01)))
    assert list(f["part"]) == ["a"]
    f = fired("R39", T(years(wage=0.0, disposable_recorded=0.0, disposable_pc_recorded=0.0)))
    assert list(f["part"]) == ["a"]


@pytest.mark.parametrize(
    "key,ok,bad,part",
    [
        ("wage", 300.0, 299.99, "b"),
        ("dibao_income", 200.0, 199.0, "c"),
        ("tekun_income", 200.0, 199.0, "d"),
        ("family_planning", 100.0, 99.0, "e"),
        ("pension_income", 88.0, 87.0, "f"),
    ],
)
def test_r39_small_amounts(key, ok, bad, part):
    def inc(v):
        kw = {key: v}
        if key != "wage":
            kw["transfer_income"] = v
        return years(**kw)

    assert [p for p in fired("R39", T(inc(ok)))["part"] if p == part] == []
    assert part in set(fired("R39", T(inc(bad)))["part"])


def test_r39_wage_max():
    assert "b" not in set(fired("R39", T(years(wage=300000.0)))["part"])
    assert "b" in set(fired("R39", T(years(wage=300000.01)))["part"])


# -- R40 ---------------------------------------------------------------------------------------------------------
def test_r40_business_without_cost():
    assert len(fired("R40", T(years(business_income=500.0, business_cost=0.0)))) == 1
    assert len(fired("R40", T(years(business_income=500.0, business_cost=None)))) == 1
    assert fired("R40", T(years(business_income=500.0, business_cost=-10.0))).empty


# -- R41 ---------------------------------------------------------------------------------------------------------
def test_r41_eco_compensation_without_land():
    f = fired("R41", T(years(eco_comp=300.0), households=[make_household(forest_mu=0.0, grain_to_green_mu=None)]))
    assert len(f) == 1 and f.iloc[0]["year"] == 2019
    assert fired("R41", T(years(eco_comp=300.0), households=[make_household(forest_mu=0.1)])).empty


def test_r41_not_run_without_land_columns():
    s = summary_row("R41", T(years(eco_comp=300.0), drop_hh=("forest_mu", "grain_to_green_mu")))
    assert s["status"] == "未运行（无数据）" and "林地面积" in s["missing"]


# -- R42 ---------------------------------------------------------------------------------------------------------
def test_r42_wage_and_workers():
    idle = make_member(work_status="未务工", work_months=0.0)
    assert list(fired("R42", T(years(), members=[idle]))["part"]) == ["a"]
    assert fired("R42", T(years(wage=0.0, disposable_recorded=0.0, disposable_pc_recorded=0.0), members=[idle])).empty
    post = make_member(work_status="未务工", work_months=0.0, pwj_post="保洁员", pwj_months=6.0)
    assert fired("R42", T(years(), members=[post])).empty
    f = fired("R42", T(years(wage=0.0, disposable_recorded=0.0, disposable_pc_recorded=0.0)))
    assert list(f["part"]) == ["b"]


# -- R43 ---------------------------------------------------------------------------------------------------------
def test_r43_post_income():
    assert list(fired("R43", T(years(wage_pwj=3000.0)))["part"]) == ["a"]
    post = make_member(pwj_post="保洁员", pwj_months=6.0)
    assert list(fired("R43", T(years(wage_pwj=0.0), members=[post]))["part"]) == ["b"]
    assert fired("R43", T(years(wage_pwj=3000.0), members=[post])).empty


# -- R44 ---------------------------------------------------------------------------------------------------------
def _hist(p2018, p2019):
    return make_income_years(years=range(2016, 2018)) + [
        make_income(year=2018, wage=p2018, disposable_recorded=p2018, disposable_pc_recorded=p2018),
        make_income(year=2019, wage=p2019, disposable_recorded=p2019, disposable_pc_recorded=p2019),
    ]


def test_r44_ratio_boundaries():
    assert fired("R44", T(_hist(5000.0, 15000.0))).empty  # r = 3.0
    f = fired("R44", T(_hist(5000.0, 15001.0)))
    assert list(f["year"]) == [2019]
    assert fired("R44", T(_hist(5000.0, 2500.0))).empty  # r = 0.5
    assert len(fired("R44", T(_hist(5000.0, 2499.0)))) == 1


def test_r44_divisor_from_members_in_audit_year():
    inc = _hist(3000.0, 9000.0)
    inc[-1]["n_members"] = None  # N = A = 1 for the audit-year row: r = 3.0
    assert 2019 not in set(fired("R44", T(inc))["year"])
    inc[-1]["wage"] = inc[-1]["disposable_recorded"] = 9001.0
    assert 2019 in set(fired("R44", T(inc))["year"])
