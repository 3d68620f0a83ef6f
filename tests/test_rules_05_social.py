"""R45–R51 社会保障与兜底: a failing case and a passing case at each boundary, plus not-run cases."""

import pytest

from helpers.rules_tables import (
    fired,
    make_household,
    make_id,
    make_income,
    make_income_years,
    make_measure,
    make_member,
    make_project,
    summary_row,
)


def base(hh=None, members=None, income=None, measures=None, **extra):
    t = {
        "household": [make_household(**(hh or {}))],
        "member": members if members is not None else [make_member()],
        "income": income if income is not None else make_income_years(),
        "measure": measures if measures is not None else [make_measure(year=y) for y in range(2016, 2020)],
        "project": [make_project()],
    }
    t.update(extra)
    return t


def person(birth: str, pid="P1", sex="男", **kw):
    """An active member whose ID encodes ``birth`` (YYYYMMDD)."""
    return make_member(
        person_id=pid, id_no=make_id(birth, sex), sex=sex, birth_date=f"{birth[:4]}-{birth[4:6]}-{birth[6:]}", **kw
    )


# --------------------------------------------------------------------------------------------------------- R45
def test_r45_a_dibao_household_without_dibao_member():
    f = fired("R45", base(hh={"hh_type": "低保脱贫户"}), part="a")
    assert len(f) == 1 and f.iloc[0]["hh_id"] == "H1"
    assert "低保脱贫户" in f.iloc[0]["message"]
    assert f.iloc[0]["exit_status"] == "已脱贫（享受政策）"


def test_r45_a_passes_with_dibao_member():
    assert fired("R45", base(hh={"hh_type": "低保脱贫户"}, members=[make_member(dibao=True)])).empty


def test_r45_a_blank_flag_is_not_yes():
    assert (
        len(
            fired(
                "R45",
                base(
                    hh={"hh_type": "低保贫困户", "exit_status": "未脱贫", "exit_year": None},
                    members=[make_member(dibao=None)],
                ),
                part="a",
            )
        )
        == 1
    )


def test_r45_b_tekun_household():
    assert len(fired("R45", base(hh={"hh_type": "特困供养脱贫户"}), part="b")) == 1
    assert fired("R45", base(hh={"hh_type": "特困供养脱贫户"}, members=[make_member(tekun=True)])).empty


def test_r45_c_general_household_with_flag():
    f = fired("R45", base(members=[make_member(tekun=True)]), part="c")
    assert len(f) == 1 and "特困供养" in f.iloc[0]["message"]


def test_r45_d_names_member_with_both_flags():
    t = base(hh={"hh_type": "低保脱贫户"}, members=[make_member(dibao=True, tekun=True)])
    f = fired("R45", t, part="d")
    assert len(f) == 1 and "张三" in f.iloc[0]["message"] and "P1" in f.iloc[0]["message"]


def test_r45_inactive_member_flag_does_not_count_and_empty_household_out_of_scope():
    t = base(
        hh={"hh_type": "低保脱贫户"},
        members=[make_member(dibao=True, member_status="自然减少", change_reason="死亡", change_date="2019-01-01")],
    )
    assert fired("R45", t).empty  # A = 0: not in scope (R12's finding)
    t = base(
        hh={"hh_type": "低保脱贫户"},
        members=[
            make_member(),
            make_member(
                person_id="P2",
                id_no=make_id("19820101", "女"),
                sex="女",
                relation="配偶",
                dibao=True,
                member_status="清退",
                change_reason="错误",
                change_date="2019-01-01",
            ),
        ],
    )
    assert len(fired("R45", t, part="a")) == 1


def test_r45_not_run_without_flags():
    t = base()
    t["member"] = ([make_member()], ["dibao", "tekun"])
    assert summary_row("R45", t)["status"] == "未运行（无数据）"


# --------------------------------------------------------------------------------------------------------- R46
def test_r46_a_amount_without_flag():
    f = fired(
        "R46",
        base(
            income=make_income_years(years=range(2016, 2019)) + [make_income(dibao_income=500.0, transfer_income=500.0)]
        ),
        part="a",
    )
    assert len(f) == 1 and f.iloc[0]["year"] == 2019 and "低保金" in f.iloc[0]["message"]


def test_r46_a_zero_amount_passes_and_only_audit_year_counts():
    inc = [make_income(year=2018, dibao_income=500.0)] + [make_income()]
    assert fired("R46", base(income=inc)).empty


def test_r46_b_flag_without_amount_blank_counts():
    f = fired(
        "R46", base(members=[make_member(pension_receiving=True)], income=[make_income(pension_income=None)]), part="b"
    )
    assert len(f) == 1 and "养老保险金" in f.iloc[0]["message"]
    f = fired("R46", base(members=[make_member(tekun=True)], income=[make_income(tekun_income=0.0)]), part="b")
    assert len(f) == 1


def test_r46_passes_when_consistent():
    t = base(members=[make_member(dibao=True)], income=[make_income(dibao_income=0.01)])
    assert fired("R46", t).empty


# --------------------------------------------------------------------------------------------------------- R47
@pytest.mark.parametrize(
    "birth,fires",
    [
        ("20010930", True),
        ("20011001", False),  # 18 exactly / 17
        ("19600930", True),
        ("19590930", False),
    ],
)  # 59 / 60
def test_r47_age_band_is_inclusive(birth, fires):
    t = base(members=[person(birth, tekun=True)])
    assert len(fired("R47", t)) == (1 if fires else 0)


def test_r47_needs_healthy_full_labour_not_in_school():
    assert fired("R47", base(members=[person("19800101", tekun=True, health="健康,长期慢性病")])).empty
    assert fired("R47", base(members=[person("19800101", tekun=True, labour_skill="弱劳动力或半劳动力")])).empty
    assert fired("R47", base(members=[person("20000101", tekun=True, school_status="本科及以上")])).empty
    assert len(fired("R47", base(members=[person("20000101", tekun=True, school_status=None)]))) == 1


# --------------------------------------------------------------------------------------------------------- R48
def test_r48_no_labour_household_without_safety_net():
    t = base(
        members=[
            make_member(labour_skill="丧失劳动力"),
            make_member(person_id="P2", id_no=make_id("19400101"), relation="之父", labour_skill="无劳动力"),
        ]
    )
    f = fired("R48", t)
    assert len(f) == 1 and f.iloc[0]["hh_id"] == "H1"


def test_r48_passes_with_dibao_or_a_capable_member_or_blank_skill():
    assert fired("R48", base(members=[make_member(labour_skill="无劳动力", dibao=True)])).empty
    t = base(
        members=[
            make_member(labour_skill="丧失劳动力"),
            make_member(person_id="P2", id_no=make_id("20000101"), relation="之子", labour_skill="弱劳动力或半劳动力"),
        ]
    )
    assert fired("R48", t).empty
    assert fired("R48", base(members=[make_member(labour_skill=None)])).empty


# --------------------------------------------------------------------------------------------------------- R49
@pytest.mark.parametrize("birth,fires", [("19590930", True), ("19591001", False)])  # 60 exactly / 59
def test_r49_pension_age_boundary(birth, fires):
    f = fired("R49", base(members=[person(birth, pension_receiving=False)]))
    assert len(f) == (1 if fires else 0)
    if fires:
        assert f.iloc[0]["message"] == "60岁以上（60岁）未领取养老金"
        assert f.iloc[0]["columns"] == "是否领取养老金" and f.iloc[0]["values"] == "否"


def test_r49_blank_counts_and_unknown_age_not_evaluated():
    f = fired("R49", base(members=[person("19500101", pension_receiving=None)]))
    assert len(f) == 1
    f = fired("R49", base(members=[person("19500101", pension_receiving="待定")]))
    assert f.iloc[0]["values"] == "待定"  # the unrecognised text as recorded
    assert fired("R49", base(members=[person("19500101", pension_receiving=True)])).empty
    s = summary_row("R49", base(members=[make_member(id_no="123", birth_date=None, pension_receiving=False)]))
    assert s["not_evaluated"] == 1 and s["findings"] == 0


# --------------------------------------------------------------------------------------------------------- R50
def test_r50_two_basic_insurances():
    assert len(fired("R50", base(members=[make_member(ins_resident=True, ins_employee=True)]))) == 1
    assert fired("R50", base(members=[make_member(ins_resident=True, ins_employee=None)])).empty


# --------------------------------------------------------------------------------------------------------- R51
CARD = make_id("19800101")


def test_r51_severe_card_without_allowance():
    f = fired("R51", base(members=[make_member(health="残疾", disability_no=CARD + "12")]))
    assert len(f) == 1 and "2级" in f.iloc[0]["message"]


def test_r51_grade_3_or_allowance_passes():
    assert fired("R51", base(members=[make_member(health="残疾", disability_no=CARD + "13")])).empty
    ms = [make_measure(year=y) for y in range(2016, 2020)] + [make_measure(category="残疾人补贴", project_id=None)]
    assert fired("R51", base(members=[make_member(health="残疾", disability_no=CARD + "11")], measures=ms)).empty


def test_r51_allowance_of_another_year_does_not_count():
    ms = [make_measure(year=y) for y in range(2016, 2020)] + [make_measure(year=2018, category="残疾人补贴")]
    assert len(fired("R51", base(members=[make_member(disability_no=CARD + "11")], measures=ms))) == 1


def test_r51_grade_from_disability_list():
    t = base(disability=[{"id_no": make_id("19800101"), "dis_category": "1", "dis_grade": "1"}])
    assert len(fired("R51", t)) == 1
    t = base(disability=[{"id_no": make_id("19800101"), "dis_category": "1", "dis_grade": "3"}])
    assert fired("R51", t).empty


def test_r51_not_run_without_card_column_or_list():
    t = base()
    t["member"] = ([make_member()], ["disability_no"])
    assert summary_row("R51", t)["status"] == "未运行（无数据）"


def test_r46_not_run_without_any_pair():
    t = base()
    t["income"] = (make_income_years(), ["dibao_income", "tekun_income", "pension_income"])
    assert summary_row("R46", t)["status"] == "未运行（无数据）"
