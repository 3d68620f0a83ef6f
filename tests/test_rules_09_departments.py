"""R88–R95 部门数据比对: failing and boundary-passing cases, and "not run (no data)" without the list."""

import pytest

from helpers.rules_tables import (
    HEAD_ID,
    fired,
    make_household,
    make_id,
    make_income_years,
    make_measure,
    make_member,
    make_project,
    summary_row,
)


def base(hh=None, members=None, **extra):
    t = {
        "household": [make_household(**(hh or {}))],
        "member": members if members is not None else [make_member()],
        "income": make_income_years(),
        "measure": [make_measure(year=y) for y in range(2016, 2020)],
        "project": [make_project()],
    }
    t.update(extra)
    return t


def kid(birth: str, **kw):
    row = dict(
        person_id="P2",
        name="张小",
        id_no=make_id(birth),
        birth_date=f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
        relation="之子",
        labour_skill="无劳动力",
        work_status="未务工",
        work_months=None,
    )
    row.update(kw)
    return make_member(**row)


def edu(birth, status, stage=None):
    return {"id_no": make_id(birth), "enrol_status": status, "stage": stage}


@pytest.mark.parametrize("rule_id", [f"R{i}" for i in range(88, 96)])
def test_not_run_without_department_list(rule_id):
    s = summary_row(rule_id, base())
    assert s["status"] == "未运行（无数据）" and s["findings"] == 0


# --------------------------------------------------------------------------------------------------------- R88
def test_r88_dropout_of_compulsory_age():
    t = base(
        members=[make_member(), kid("20100101", school_status="小学")], education=[edu("20100101", "辍学", "小学")]
    )
    f = fired("R88", t)
    assert len(f) == 1 and f.iloc[0]["person_id"] == "P2"


def test_r88_enrolled_row_clears():
    t = base(
        members=[make_member(), kid("20100101", school_status="小学")],
        education=[edu("20100101", "辍学", "小学"), edu("20100101", "在读", "初中")],
    )
    assert fired("R88", t).empty


@pytest.mark.parametrize(
    "birth,stage,fires",
    [
        ("20030901", "高中", True),  # school age exactly 15
        ("20030831", "高中", False),  # 16, 高中 stage
        ("20010101", "初中", True),  # 18, but the 辍学 row is 初中
    ],
)
def test_r88_age_or_stage(birth, stage, fires):
    t = base(members=[make_member(), kid(birth, school_status="非在校生")], education=[edu(birth, "辍学", stage)])
    assert len(fired("R88", t)) == (1 if fires else 0)


# --------------------------------------------------------------------------------------------------------- R89
def test_r89_a_not_in_school_but_enrolled():
    t = base(
        members=[make_member(), kid("20100101", school_status="非在校生")], education=[edu("20100101", "在读", "小学")]
    )
    assert list(fired("R89", t)["part"]) == ["a"]


def test_r89_b_compulsory_grade_without_enrolment():
    t = base(members=[make_member(), kid("20060101", school_status="七年级")], education=[edu("19990101", "在读")])
    assert list(fired("R89", t)["part"]) == ["b"]
    t = base(
        members=[make_member(), kid("20060101", school_status="七年级")], education=[edu("20060101", "休学", "初中")]
    )
    assert fired("R89", t).empty


@pytest.mark.parametrize(
    "status,stage,fires",
    [
        ("七年级", "小学", True),
        ("七年级", "初中", False),
        ("大专", "高职", False),
        ("大专", "大学", False),
        ("大专", "高中", True),
    ],
)
def test_r89_c_stage(status, stage, fires):
    t = base(members=[make_member(), kid("20000101", school_status=status)], education=[edu("20000101", "在读", stage)])
    assert len(fired("R89", t, part="c")) == (1 if fires else 0)


def test_r89_b_bad_id_not_evaluated():
    t = base(
        members=[make_member(), kid("20060101", id_no="12345", school_status="七年级")],
        education=[edu("19990101", "在读")],
    )
    s = summary_row("R89", t)
    assert s["findings"] == 0 and s["not_evaluated"] == 1


# --------------------------------------------------------------------------------------------------------- R90–R91
def med(year, typ="城乡居民", id_no=HEAD_ID):
    return {"id_no": id_no, "ins_type": typ, "ins_year": year}


@pytest.mark.parametrize("rows,fires", [([], True), ([med(2019)], False), ([med(2018)], True)])
def test_r90_no_audit_year_record(rows, fires):
    t = base(medical=rows or [med(2019, id_no=make_id("19700101"))])
    assert len(fired("R90", t)) == (1 if fires else 0)


def test_r90_soldier_excepted_bad_id_not_evaluated():
    assert fired("R90", base(members=[make_member(soldier=True)], medical=[med(2018)])).empty
    s = summary_row("R90", base(members=[make_member(id_no="123")], medical=[med(2019)]))
    assert s["findings"] == 0 and s["not_evaluated"] == 1


def test_r91_flags_against_list():
    assert fired("R91", base(medical=[med(2019)])).empty  # ins_resident 是, ins_employee 否
    f = fired("R91", base(members=[make_member(ins_resident=None)], medical=[med(2019)]))
    assert len(f) == 1 and "是否参加城乡居民基本医疗保险" in f.iloc[0]["columns"]
    f = fired("R91", base(members=[make_member(ins_employee=True)], medical=[med(2019)]))
    assert len(f) == 1 and "城镇职工" in f.iloc[0]["message"]


def test_r91_only_members_with_audit_year_rows():
    assert fired("R91", base(members=[make_member(ins_resident=False)], medical=[med(2018)])).empty


# --------------------------------------------------------------------------------------------------------- R92
def civ(typ, start=None, end=None, id_no=HEAD_ID):
    return {"id_no": id_no, "support_type": typ, "start_date": start, "end_date": end}


@pytest.mark.parametrize(
    "start,end,active",
    [
        (None, None, True),
        ("2019-09-30", None, True),
        ("2019-10-01", None, False),
        (None, "2019-09-30", True),
        (None, "2019-09-29", False),
    ],
)
def test_r92_civil_active_on_reference_date(start, end, active):
    t = base(members=[make_member(dibao=True)], civil=[civ("低保", start, end)])
    assert len(fired("R92", t)) == (0 if active else 1)
    t = base(members=[make_member(dibao=False)], civil=[civ("低保", start, end)])
    assert len(fired("R92", t)) == (1 if active else 0)


def test_r92_flag_without_list_row_and_blank_flag():
    f = fired("R92", base(members=[make_member(tekun=True)], civil=[civ("低保", id_no=make_id("19700101"))]))
    assert len(f) == 1 and "特困" in f.iloc[0]["message"]
    assert len(fired("R92", base(members=[make_member(dibao=None)], civil=[civ("低保")]))) == 1


# --------------------------------------------------------------------------------------------------------- R93–R94
def house(level, reno="未改造", head=HEAD_ID):
    return {"head_id": head, "appraisal_level": level, "renovation_status": reno}


@pytest.mark.parametrize(
    "level,reno,fires",
    [("D", "未改造", True), ("C", "改造中", True), ("C", None, True), ("D", "已竣工", False), ("B", "未改造", False)],
)
def test_r93_open_appraisal(level, reno, fires):
    assert len(fired("R93", base(hh={"unsafe_house": True, "house_level": "D"}, housing=[house(level, reno)]))) == (
        1 if fires else 0
    )


def test_r93_matches_any_active_member_and_not_inactive():
    wife = make_id("19820101", "女")
    m2 = make_member(person_id="P2", id_no=wife, sex="女", birth_date="1982-01-01", relation="配偶")
    assert len(fired("R93", base(members=[make_member(), m2], housing=[house("D", head=wife)]))) == 1
    m2 = dict(m2, member_status="自然减少", change_reason="死亡", change_date="2019-01-01")
    assert fired("R93", base(members=[make_member(), m2], housing=[house("D", head=wife)])).empty


def test_r93_matches_household_head_id_as_id18():
    id15 = "441881800101123"
    from hgk_lib.derive import to_id18
    import pandas as pd

    id18 = to_id18(pd.Series([id15])).iloc[0]
    t = base(hh={"head_id": id15}, members=[make_member(id_no=make_id("19700101"))], housing=[house("C", head=id18)])
    assert len(fired("R93", t)) == 1


def test_r94_parts():
    t = base(hh={"unsafe_house": False, "house_level": None}, housing=[house("D")])
    assert list(fired("R94", t)["part"]) == ["a"]
    assert list(
        fired("R94", base(hh={"unsafe_house": True, "house_level": "D"}, housing=[house("D", "已竣工")]))["part"]
    ) == ["b"]
    assert list(fired("R94", base(hh={"unsafe_house": True, "house_level": "C"}, housing=[house("D")]))["part"]) == [
        "c"
    ]


def test_r94_consistent_or_unmatched_passes():
    assert fired("R94", base(hh={"unsafe_house": True, "house_level": "D"}, housing=[house("D")])).empty
    assert fired("R94", base(hh={"unsafe_house": True, "house_level": None}, housing=[house("D")])).empty
    assert fired("R94", base(hh={"unsafe_house": True}, housing=[house("D", head=make_id("19700101"))])).empty


# --------------------------------------------------------------------------------------------------------- R95
def dis(cat="1", grade="2", id_no=HEAD_ID):
    return {"id_no": id_no, "dis_category": cat, "dis_grade": grade}


def test_r95_a_disabled_not_on_list():
    f = fired("R95", base(members=[make_member(health="残疾")], disability=[dis(id_no=make_id("19700101"))]))
    assert list(f["part"]) == ["a"]


def test_r95_b_on_list_but_not_disabled():
    assert list(fired("R95", base(disability=[dis()]))["part"]) == ["b"]
    assert fired("R95", base(members=[make_member(health=None)], disability=[dis()])).empty


@pytest.mark.parametrize("card,fires", [("12", False), ("13", True), ("22", True)])
def test_r95_c_card_against_list(card, fires):
    m = make_member(health="残疾", disability_no=HEAD_ID + card)
    assert len(fired("R95", base(members=[m], disability=[dis("1", "2")]), part="c")) == (1 if fires else 0)


def test_r95_blank_list_values_not_compared():
    m = make_member(health="残疾", disability_no=HEAD_ID + "13")
    assert fired("R95", base(members=[m], disability=[dis(None, None)])).empty


def test_r89_partial_without_stage_and_r95_without_card_column():
    t = base(education=[{"id_no": HEAD_ID, "enrol_status": "在读"}])
    t["education"] = ([{"id_no": HEAD_ID, "enrol_status": "在读"}], ["stage"])
    s = summary_row("R89", t)
    assert s["status"] == "部分运行" and "(c)" in s["missing"]
    t = base(disability=[dis()])
    t["member"] = ([make_member()], ["disability_no"])
    s = summary_row("R95", t)
    assert s["status"] == "部分运行" and "(c)" in s["missing"]
