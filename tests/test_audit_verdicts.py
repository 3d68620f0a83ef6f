"""The verdict table of audit_standards.md: every row, both sides of every boundary, end to end through
audit_county (hand-written households), plus the pure decision function."""

from __future__ import annotations

import pandas as pd
import pytest

from hgk_lib.audit import audit_county
from hgk_lib.audit.verdicts import decide
from helpers.audit_tables import birth_for_age, county, household, income, member, params

NONE_SKILL = "无劳动力"


def verdict_of(hs, ms, incs, p=None, **lists):
    r = audit_county(county(hs, ms, incs, **lists), p or params())
    return r, r.verdicts.set_index("hh_id")


# --- pure decision table: (income yuan or None, class, covered, n problems, n unresolvable) -> verdict ----------
CASES = [
    # row 1: strictly below the return line
    (3999.99, "有劳动能力", False, 0, 0, "返贫"),
    (3999.99, "无劳动能力", True, 1, 1, "返贫"),  # row 1 wins over everything
    (4000.00, "有劳动能力", False, 0, 0, "收入未达标"),  # at the line is not below
    # row 2: below the exit line with an unresolvable problem
    (8399.99, "有劳动能力", False, 2, 1, "退回未脱贫"),
    (8399.99, "无劳动能力", True, 1, 1, "退回未脱贫"),  # row 2 before row 4/5
    (8400.00, "有劳动能力", False, 1, 1, "保持脱贫（限期整改）"),  # at the exit line: row 7
    (8399.99, "有劳动能力", False, 1, 0, "收入未达标"),  # resolvable problem: row 6
    # row 3: no labour and not covered
    (9000.00, "无劳动能力", False, 0, 0, "兜底未落实"),
    (2000.00 * 0 + 5000.0, "无劳动能力", False, 1, 0, "兜底未落实"),
    # rows 4/5: no labour, covered
    (5000.00, "无劳动能力", True, 0, 0, "保持脱贫（兜底）"),
    (5000.00, "无劳动能力", True, 1, 0, "保持脱贫（限期整改）"),
    # row 6: below the exit line
    (6000.00, "弱劳力半劳力", False, 0, 0, "收入未达标"),
    (6000.00, "有劳动能力", True, 0, 0, "收入未达标"),
    # row 7 / row 8
    (9000.00, "弱劳力半劳力", False, 3, 0, "保持脱贫（限期整改）"),
    (9000.00, "有劳动能力", False, 0, 0, "保持脱贫"),
    # no verdict income: rows 1, 2, 6 are false (blank operand); rows 3-5 still apply; otherwise row 6a
    (None, "有劳动能力", False, 0, 0, "收入待核实"),
    (None, "有劳动能力", False, 1, 1, "收入待核实"),  # 6a before 7: an unverified income is never kept
    (None, "弱劳力半劳力", True, 0, 0, "收入待核实"),  # covered but not 无劳动能力: rows 3-5 do not apply
    (None, "无劳动能力", False, 0, 0, "兜底未落实"),  # row 3
    (None, "无劳动能力", True, 0, 0, "保持脱贫（兜底）"),  # row 4
    (None, "无劳动能力", True, 1, 1, "保持脱贫（限期整改）"),  # row 5
    # one usable income row: judged on income as usual (the other edge of 6a)
    (0.00, "有劳动能力", False, 0, 0, "返贫"),
]


@pytest.mark.parametrize("inc,cls,cov,n_p,n_u,expected", CASES)
def test_decision_table(inc, cls, cov, n_p, n_u, expected):
    fen = pd.Series([None if inc is None else int(round(inc * 100))], dtype="Int64")
    v = decide(fen, pd.Series([cls]), pd.Series([cov]), pd.Series([n_p]), pd.Series([n_u]), 840000, 400000)
    assert v.iloc[0] == expected


# --- end to end ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "wage,expected",
    [
        (3999.99, "返贫"),
        (4000.00, "收入未达标"),
        (8399.99, "收入未达标"),
        (8400.00, "保持脱贫"),
    ],
)
def test_income_lines_are_strict(wage, expected):
    _, v = verdict_of([household("H1")], [member("H1")], [income("H1", wage=wage)])
    assert v.loc["H1", "verdict"] == expected


def test_half_up_rounding_keeps_household_at_the_return_line():
    # 7,999.99 yuan for 2 members = 3,999.995 -> 4,000.00 (half-up), not below the return line
    r, v = verdict_of([household("H1")], [member("H1"), member("H1", age=38)], [income("H1", wage=7999.99)])
    assert r.income.set_index("hh_id").loc["H1", "income_pc_fen"] == 400000
    assert v.loc["H1", "income_pc"] == 4000.00
    assert v.loc["H1", "verdict"] == "收入未达标"
    # one fen less for the household: 7,999.98 / 2 = 3,999.99 -> 返贫
    _, v = verdict_of([household("H1")], [member("H1"), member("H1", age=38)], [income("H1", wage=7999.98)])
    assert v.loc["H1", "verdict"] == "返贫"


def test_exit_line_exact_from_parts_summing_with_float_noise():
    # 0.1 + 0.2 style noise: 8,399.70 + 0.10 + 0.20 = 8,400.00 exactly in fen
    _, v = verdict_of(
        [household("H1")], [member("H1")], [income("H1", wage=8399.7, property_income=0.1, business_income=0.2)]
    )
    assert v.loc["H1", "verdict"] == "保持脱贫"


def _water_problem_household(wage):
    return household("H1", safe_water=False), [member("H1")], [income("H1", wage=wage)]


@pytest.mark.parametrize("days,expected", [(92, "收入未达标"), (93, "退回未脱贫")])
def test_resolvable_boundary_one_day(days, expected):
    # 2019-09-30 + 92 days = 2019-12-31 (resolvable); + 93 days = 2020-01-01 (too late)
    h, m, i = _water_problem_household(6000.0)
    p = params()
    p["needs"]["饮水不安全"] = days
    r, v = verdict_of([h], m, i, p)
    assert v.loc["H1", "verdict"] == expected
    need = r.needs.set_index("hh_id").loc["H1"]
    assert need["problem_type"] == "饮水不安全" and need["department"] == "水利局"
    assert bool(need["resolvable"]) is (days == 92)
    assert need["deadline"] == pd.Timestamp("2019-12-31") + pd.Timedelta(days=days - 92)


def test_unresolvable_problem_above_exit_line_keeps_with_deadline():
    h, m, i = _water_problem_household(9000.0)
    p = params()
    p["needs"]["饮水不安全"] = 200
    _, v = verdict_of([h], m, i, p)
    assert v.loc["H1", "verdict"] == "保持脱贫（限期整改）"
    assert "饮水不安全（水利局，2020-04-17前）" in v.loc["H1", "reasons"]


def test_no_labour_rows_3_to_5():
    old = dict(age=75, skill=NONE_SKILL)
    hs = [household("N1"), household("N2"), household("N3", safe_water=False)]
    ms = [member("N1", **old), member("N2", dibao=True, **old), member("N3", tekun=True, **old)]
    inc = [income(h, wage=0, transfer_income=5000.0) for h in ["N1", "N2", "N3"]]
    r, v = verdict_of(hs, ms, inc)
    assert v.loc["N1", "verdict"] == "兜底未落实"
    assert v.loc["N2", "verdict"] == "保持脱贫（兜底）"
    assert v.loc["N3", "verdict"] == "保持脱贫（限期整改）"
    # 兜底未落实 counts as a basic-needs problem routed to 民政局 within 30 days
    n1 = r.needs[r.needs["hh_id"] == "N1"]
    assert list(n1["problem_type"]) == ["兜底保障未落实"] and list(n1["department"]) == ["民政局"]
    assert n1["deadline"].iloc[0] == pd.Timestamp("2019-10-30")
    assert set(r.needs["hh_id"]) == {"N1", "N3"}


def test_civil_list_counts_as_coverage():
    old = dict(age=75, skill=NONE_SKILL)
    m = member("N1", **old)
    lists = {"civil": [dict(id_no=m["id_no"], support_type="低保", start_date=pd.Timestamp("2018-01-01"))]}
    _, v = verdict_of([household("N1")], [m], [income("N1", wage=0, transfer_income=5000.0)], **lists)
    assert v.loc["N1", "verdict"] == "保持脱贫（兜底）"
    assert "民政_低保特困" in v.loc["N1", "reasons"]
    # an entitlement that ended before the reference date does not cover
    lists["civil"][0]["end_date"] = pd.Timestamp("2019-09-29")
    _, v = verdict_of([household("N1")], [m], [income("N1", wage=0, transfer_income=5000.0)], **lists)
    assert v.loc["N1", "verdict"] == "兜底未落实"


def test_no_labour_covered_but_below_return_line_is_returned():
    _, v = verdict_of(
        [household("N1")],
        [member("N1", age=80, skill=NONE_SKILL, dibao=True)],
        [income("N1", wage=0, transfer_income=3000.0)],
    )
    assert v.loc["N1", "verdict"] == "返贫"


# --- labour classes at the age boundaries ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "age,days_after,skill,expected",
    [
        (16, 0, "普通劳动力", "有劳动能力"),
        (16, 1, "普通劳动力", "无劳动能力"),  # one day short of 16
        (64, 0, "技能劳动力", "有劳动能力"),
        (65, 0, "普通劳动力", "弱劳力半劳力"),
        (65, 1, "普通劳动力", "有劳动能力"),  # one day short of 65 is still 64
        (16, 0, "弱劳动力或半劳动力", "弱劳力半劳力"),
        (16, 1, "弱劳动力或半劳动力", "无劳动能力"),
        (40, 0, "丧失劳动力", "无劳动能力"),
    ],
)
def test_labour_class_age_boundaries(age, days_after, skill, expected):
    m = member("H1", skill=skill, birth=birth_for_age(age, days_after))
    r = audit_county(county([household("H1")], [m], [income("H1")]), params())
    assert r.classes.set_index("hh_id").loc["H1", "labour_class"] == expected
    assert r.verdicts.set_index("hh_id").loc["H1", "labour_class"] == expected


def test_labour_class_ignores_inactive_members():
    ms = [
        member("H1", age=80, skill=NONE_SKILL, dibao=True),
        member("H1", age=30, member_status="自然减少", change_reason="死亡"),
    ]
    r = audit_county(county([household("H1")], ms, [income("H1", wage=0, transfer_income=6000.0)]), params())
    assert r.classes.set_index("hh_id").loc["H1", "labour_class"] == "无劳动能力"
    assert r.verdicts.set_index("hh_id").loc["H1", "verdict"] == "保持脱贫（兜底）"


# --- quality ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "wage,transfer,expected",
    [
        (10080.00, 0.0, "A 稳定"),  # exactly 1.2 x 8,400
        (10079.99, 0.0, "B 不稳定"),  # thin margin
        (5000.00, 5100.0, "B 不稳定"),  # policy income share >= 0.5
        (5100.00, 5000.0, "A 稳定"),  # share < 0.5
    ],
)
def test_quality_a_b(wage, transfer, expected):
    _, v = verdict_of([household("H1")], [member("H1")], [income("H1", wage=wage, transfer_income=transfer)])
    assert v.loc["H1", "verdict"] == "保持脱贫"
    assert v.loc["H1", "quality"] == expected


def test_quality_b_with_problems_and_c_for_poor_verdicts():
    hs = [household("H1", safe_water=False), household("H2")]
    r, v = verdict_of(hs, [member("H1"), member("H2")], [income("H1", wage=20000), income("H2", wage=5000)])
    assert v.loc["H1", "quality"] == "B 不稳定"
    assert v.loc["H2", "quality"] == "C 差距大"
    classes = r.classes.set_index("hh_id")
    assert classes.loc["H1", "quality"] == "B 不稳定" and classes.loc["H2", "quality"] == ""


def test_quality_a_for_safety_net_household_with_high_income_needs_no_share_test():
    _, v = verdict_of(
        [household("N1")],
        [member("N1", age=80, skill=NONE_SKILL, dibao=True)],
        [income("N1", wage=0, transfer_income=12000.0)],
    )
    assert v.loc["N1", "verdict"] == "保持脱贫（兜底）" and v.loc["N1", "quality"] == "A 稳定"


# --- return cause and reasons -----------------------------------------------------------------------------------
def test_return_cause_and_reasons():
    hs = [household("R1"), household("R2", main_cause="因学"), household("R3")]
    ms = [member("R1", health="患有大病"), member("R2", health="患有大病"), member("R3")]
    inc = [income("R1", wage=3812.5), income("R2", wage=1000), income("R3", wage=1000)]
    _, v = verdict_of(hs, ms, inc)
    assert v.loc["R1", "return_cause"] == "因病"
    assert v.loc["R1", "reasons"].startswith(
        "复核人均可支配收入3,812.50元，低于返贫线4,000元；因病：户内有患有大病成员"
    )
    assert v.loc["R2", "return_cause"] == "因学"  # the recorded main cause wins
    assert v.loc["R3", "return_cause"] == "其他"
    # the cause comes with what follows: status to 返贫, support to intensify
    for h in ("R1", "R2", "R3"):
        assert v.loc[h, "reasons"].endswith("；须将脱贫状态改为返贫，加大帮扶力度")


def test_revert_reason_says_status_goes_back():
    h, m, i = _water_problem_household(6000.0)
    p = params()
    p["needs"]["饮水不安全"] = 200
    _, v = verdict_of([h], m, i, p)
    assert v.loc["H1", "verdict"] == "退回未脱贫"
    assert "须将脱贫状态退回未脱贫，稳定脱贫后再退出" in v.loc["H1", "reasons"]


def test_return_cause_only_for_returned():
    _, v = verdict_of([household("H1")], [member("H1", health="患有大病")], [income("H1", wage=5000)])
    assert pd.isna(v.loc["H1", "return_cause"])


# --- row 6a: no usable audit-year income row -> 收入待核实 ---------------------------------------------------------
def test_row_6a_household_without_income_row_is_income_unverified_not_kept():
    # H1: no income row at all; H2: exactly one usable row (judged on it); H3: only last year's row
    hs = [household("H1"), household("H2"), household("H3")]
    r, v = verdict_of(hs, [member("H1"), member("H2"), member("H3")], [income("H2"), income("H3", year=2018)])
    for h in ("H1", "H3"):
        assert v.loc[h, "verdict"] == "收入待核实"
        assert v.loc[h, "quality"] == "C 差距大"
        assert v.loc[h, "reasons"].startswith("无2019年可用收入记录，收入待核实：须入户核实收入")
    assert v.loc["H2", "verdict"] == "保持脱贫" and v.loc["H2", "quality"] == "A 稳定"
    inc = r.income.set_index("hh_id")
    assert bool(inc.loc["H1", "income_finding"]) and pd.isna(inc.loc["H1", "income_pc_fen"])
    # never counted as kept: 分类施策 shows no A/B quality, the spot-check frame (kept verdicts) leaves it out
    assert r.classes.set_index("hh_id").loc["H1", "quality"] == ""
    from hgk_lib.audit import summary_counts

    s = summary_counts(r)
    assert s["income_unverified"] == 2 and s["verdicts"]["收入待核实"] == 2 and s["verdicts"]["保持脱贫"] == 1


@pytest.mark.parametrize(
    "rows,expected",
    [
        ([], "收入待核实"),  # no row
        (
            [dict(wage=None, business_income=None, business_cost=None, property_income=None, transfer_income=None)],
            "收入待核实",
        ),  # an all-blank row is a missing record (R32)
        ([dict(wage=100.0), dict(wage=200.0)], "收入待核实"),  # duplicated rows: which one is true is unknown
        ([dict(wage=0.0)], "返贫"),  # one usable row, zero income: judged on it
    ],
)
def test_row_6a_edges_of_a_usable_income_row(rows, expected):
    _, v = verdict_of([household("H1")], [member("H1")], [income("H1", **kw) for kw in rows])
    assert v.loc["H1", "verdict"] == expected


def test_row_6a_problems_still_listed_with_deadlines():
    _, v = verdict_of([household("H1", safe_water=False)], [member("H1")], [])
    assert v.loc["H1", "verdict"] == "收入待核实"
    assert v.loc["H1", "reasons"].endswith("；三保障问题：饮水不安全（水利局，2019-12-29前）")


def test_safety_net_households_without_income_follow_rows_3_to_5():
    old = dict(age=75, skill=NONE_SKILL)
    hs = [household("N1"), household("N2"), household("N3", safe_water=False)]
    ms = [member("N1", **old), member("N2", dibao=True, **old), member("N3", tekun=True, **old)]
    r, v = verdict_of(hs, ms, [])
    assert v.loc["N1", "verdict"] == "兜底未落实" and v.loc["N1", "quality"] == "C 差距大"
    assert v.loc["N2", "verdict"] == "保持脱贫（兜底）" and v.loc["N2", "quality"] == "B 不稳定"
    assert v.loc["N3", "verdict"] == "保持脱贫（限期整改）"
    for h in ("N1", "N2", "N3"):
        assert "无2019年可用收入记录（兜底保障户不以收入判定）" in v.loc[h, "reasons"]
    assert (v["verdict"] != "收入待核实").all()


def test_only_exited_households_get_verdicts():
    hs = [
        household("A", status="未脱贫"),
        household("B", status="返贫"),
        household("C"),
        household("D", status="已脱贫（不再享受政策）"),
    ]
    ms = [member(h) for h in "ABCD"]
    r, v = verdict_of(hs, ms, [income(h) for h in "ABCD"])
    assert sorted(v.index) == ["C", "D"]
    assert len(r.income) == 4 and len(r.classes) == 4


def test_lines_come_from_params():
    p = params()
    p["income"]["exit_line"] = 9000
    _, v = verdict_of([household("H1")], [member("H1")], [income("H1", wage=8500)], p)
    assert v.loc["H1", "verdict"] == "收入未达标"
    assert "脱贫线9,000元" in v.loc["H1", "reasons"]


def test_counts_and_summary_are_plain_and_complete():
    import json

    from hgk_lib.audit import summary_counts, verdict_counts

    hs = [household("H1"), household("H2"), household("H3", status="未脱贫")]
    r, _ = verdict_of(
        hs, [member("H1"), member("H2"), member("H3")], [income("H1", wage=3000), income("H2"), income("H3")]
    )
    vc = verdict_counts(r)
    assert list(vc["verdict"]) == [
        "返贫",
        "退回未脱贫",
        "兜底未落实",
        "保持脱贫（兜底）",
        "保持脱贫（限期整改）",
        "收入未达标",
        "收入待核实",
        "保持脱贫",
    ]
    assert vc.set_index("verdict").loc["返贫", "households"] == 1 and vc["households"].sum() == 2
    s = summary_counts(r)
    assert json.loads(json.dumps(s, ensure_ascii=False)) == s
    assert s["exited_households"] == 2 and s["verdicts"]["保持脱贫"] == 1
    assert s["quality"] == {"A 稳定": 1, "B 不稳定": 0, "C 差距大": 1}
    assert s["return_causes"]["其他"] == 1


# --- households without an active member: no verdict, listed in 动态管理, counted apart ----------------------------
def _empty_cases():
    old = dict(age=80, skill=NONE_SKILL)
    hs = [
        household("E1"),
        household("E2"),
        household("E3"),
        household("E4"),
        household("E5", status="未脱贫"),
        household("K1"),
    ]
    ms = [
        member("E1", member_status="自然减少", change_reason="死亡", **old),
        member("E1", member_status="自然减少", change_reason="迁出"),
        member("E2", member_status="清退", change_reason="错误"),
        member("E4", member_status="自然减少", change_reason="死亡", **old),
        member("E4", member_status="清退"),
        member("E5", member_status="清退"),
        member("K1", **old),
    ]  # one active member, no labour, not covered: 兜底未落实 (the other edge)
    return verdict_of(hs, ms, [income(h) for h in ["E1", "E2", "E3", "E4", "E5", "K1"]])


def test_household_without_active_member_gets_no_verdict():
    r, v = _empty_cases()
    assert sorted(v.index) == ["K1"]  # E1-E4 exited but empty; E5 not exited
    assert v.loc["K1", "verdict"] == "兜底未落实"
    assert set(r.needs["hh_id"]) == {"K1"}  # never 兜底未落实 for an empty household


def test_household_without_active_member_is_a_dynamic_management_case():
    r, _ = _empty_cases()
    d = r.dynamic[r.dynamic["person_id"].isna()].set_index("hh_id")
    assert d["kind"].to_dict() == {
        "E1": "整户自然减少",
        "E2": "整户清退",
        "E3": "空挂户",
        "E4": "空挂户",
        "E5": "整户清退",
    }
    assert d.loc["E3", "basis"].startswith("整户无正常成员：无任何成员记录；已脱贫户不作核查结论")
    assert "自然减少1人、清退1人" in d.loc["E4", "basis"]
    assert "已脱贫户不作核查结论" not in d.loc["E5", "basis"]


def test_household_without_active_member_counted_apart():
    from hgk_lib.audit import no_verdict_households, summary_counts

    r, _ = _empty_cases()
    s = summary_counts(r)
    assert s["no_active_member"] == 5 and s["exited_no_active_member"] == 4
    assert s["verdicts_given"] == 1 and s["exited_households"] == 5
    assert s["dynamic_by_kind"]["空挂户"] == 2 and s["dynamic_by_kind"]["整户清退"] == 2
    assert sorted(no_verdict_households(r)["hh_id"]) == ["E1", "E2", "E3", "E4", "E5"]


def test_members_shown_gone_by_police_empty_the_household():
    m = member("H1")
    lists = {"police": [dict(id_no=m["id_no"], hukou_status="死亡", change_date=pd.Timestamp("2019-05-01"))]}
    r, v = verdict_of([household("H1")], [m], [income("H1")], **lists)
    assert v.empty
    d = r.dynamic.set_index(["hh_id", "kind"])
    assert ("H1", "整户自然减少") in d.index and ("H1", "自然减少") in d.index
    assert "公安登记死亡或迁出1人" in d.loc[("H1", "整户自然减少"), "basis"]
    # the police change after the reference date: still active, judged as usual
    lists["police"][0]["change_date"] = pd.Timestamp("2019-10-01")
    _, v = verdict_of([household("H1")], [m], [income("H1")], **lists)
    assert v.loc["H1", "verdict"] == "保持脱贫"


def test_notes_name_missing_department_lists():
    r, _ = verdict_of([household("H1")], [member("H1")], [income("H1")])
    joined = "；".join(r.notes)
    for name in ["公安_户籍", "医保_参保", "民政_低保特困", "住建_危房", "教育_学籍", "比对_财产与身份"]:
        assert name in joined


def test_duplicated_household_id_audited_once_from_first_row():
    hs = [household("H1"), household("H1", safe_water=False)]
    r, v = verdict_of(hs, [member("H1")], [income("H1")])
    assert len(r.verdicts) == 1 and v.loc["H1", "verdict"] == "保持脱贫"
    assert "规则R10" in v.loc["H1", "reasons"] and any("R10" in n for n in r.notes)


def test_reasons_list_problems_with_deadlines():
    hs = [household("H1", safe_water=False)]
    _, v = verdict_of(hs, [member("H1")], [income("H1", wage=6000)])
    assert v.loc["H1", "verdict"] == "收入未达标"
    assert v.loc["H1", "reasons"] == (
        "复核人均可支配收入6,000.00元，低于脱贫线8,400元，需重点帮扶；三保障问题：饮水不安全（水利局，2019-12-29前）"
    )
