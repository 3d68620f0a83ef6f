"""R52–R61 两不愁三保障: a failing case and a passing case at each boundary, plus not-run cases."""

import pytest

from helpers.rules_tables import (
    fired,
    make_household,
    make_id,
    make_income_years,
    make_measure,
    make_member,
    make_project,
    summary_row,
)


def base(hh=None, members=None, measures=None, **extra):
    t = {
        "household": [make_household(**(hh or {}))],
        "member": members if members is not None else [make_member()],
        "income": make_income_years(),
        "measure": measures if measures is not None else [make_measure(year=y) for y in range(2016, 2020)],
        "project": [make_project()],
    }
    t.update(extra)
    return t


def child(birth: str, pid="P2", **kw):
    """An active child of the household whose ID encodes ``birth`` (YYYYMMDD)."""
    row = dict(
        person_id=pid,
        name="张小",
        id_no=make_id(birth),
        birth_date=f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
        relation="之子",
        education="小学",
        labour_skill="无劳动力",
        work_status="未务工",
        work_months=None,
    )
    row.update(kw)
    return make_member(**row)


# --------------------------------------------------------------------------------------------------------- R52
@pytest.mark.parametrize(
    "birth,fires",
    [
        ("20130831", True),  # school age exactly 6 on 31 August 2019
        ("20130901", False),  # 5
        ("20030901", True),  # exactly 15
        ("20030831", False),  # 16
    ],
)
def test_r52_compulsory_band_is_inclusive(birth, fires):
    t = base(members=[make_member(), child(birth, school_status="非在校生")])
    f = fired("R52", t)
    assert len(f) == (1 if fires else 0)
    if fires:
        assert f.iloc[0]["person_id"] == "P2"


def test_r52_reason_or_schooling_passes_blank_status_fires():
    assert fired(
        "R52",
        base(members=[make_member(), child("20100101", school_status="非在校生", out_of_school_reason="因病休学")]),
    ).empty
    assert fired("R52", base(members=[make_member(), child("20100101", school_status="小学")])).empty
    assert len(fired("R52", base(members=[make_member(), child("20100101", school_status=None)]))) == 1


def test_r52_absent_reason_column_counts_as_blank():
    t = base()
    t["member"] = ([make_member(), child("20100101", school_status="非在校生")], ["out_of_school_reason"])
    assert len(fired("R52", t)) == 1


# --------------------------------------------------------------------------------------------------------- R53
def test_r53_uninsured_and_blank_counts():
    assert len(fired("R53", base(members=[make_member(ins_resident=False, ins_employee=False)]))) == 1
    assert len(fired("R53", base(members=[make_member(ins_resident=None, ins_employee=None)]))) == 1


def test_r53_passes_with_either_insurance_or_soldier():
    assert fired("R53", base(members=[make_member(ins_resident=False, ins_employee=True)])).empty
    assert fired("R53", base(members=[make_member(ins_resident=False, ins_employee=False, soldier=True)])).empty


def test_r53_absent_employee_column_counts_as_not_insured():
    t = base()
    t["member"] = ([make_member(ins_resident=False)], ["ins_employee"])
    assert len(fired("R53", t)) == 1


def test_r53_not_run_without_resident_column():
    t = base()
    t["member"] = ([make_member()], ["ins_resident"])
    assert summary_row("R53", t)["status"] == "未运行（无数据）"


# --------------------------------------------------------------------------------------------------------- R54
def test_r54_critical_illness_without_insurance():
    assert len(fired("R54", base(members=[make_member(health="患有大病", ins_critical=False)]))) == 1
    assert len(fired("R54", base(members=[make_member(health="患有大病", ins_critical=None)]))) == 1
    assert fired("R54", base(members=[make_member(health="患有大病", ins_critical=True)])).empty
    assert fired("R54", base(members=[make_member(health="患有大病", ins_critical=False, soldier=True)])).empty
    assert fired("R54", base(members=[make_member(health="长期慢性病", ins_critical=False)])).empty


# --------------------------------------------------------------------------------------------------------- R55
def test_r55_sick_member_without_health_measure():
    f = fired("R55", base(members=[make_member(health="长期慢性病")]))
    assert len(f) == 1 and f.iloc[0]["hh_id"] == "H1"
    ms = [make_measure(year=y) for y in range(2016, 2020)] + [make_measure(year=2018, category="健康帮扶")]
    assert len(fired("R55", base(members=[make_member(health="患有大病")], measures=ms))) == 1


def test_r55_passes_with_audit_year_health_measure():
    ms = [make_measure(year=y) for y in range(2016, 2020)] + [make_measure(category="健康帮扶")]
    assert fired("R55", base(members=[make_member(health="患有大病")], measures=ms)).empty
    assert fired("R55", base(members=[make_member(health="残疾")])).empty


# --------------------------------------------------------------------------------------------------------- R56
def test_r56_parts():
    assert len(fired("R56", base(hh={"unsafe_house": True}), part="a")) == 1
    assert len(fired("R56", base(hh={"house_level": "C"}), part="b")) == 1
    assert len(fired("R56", base(hh={"house_area": 0.0}), part="c")) == 1


def test_r56_passes_at_boundaries():
    assert fired("R56", base(hh={"unsafe_house": None, "house_level": "B", "house_area": 0.5})).empty


def test_r56_partial_when_a_column_is_absent():
    t = base()
    t["household"] = ([make_household(house_level="D")], ["house_area"])
    s = summary_row("R56", t)
    assert s["status"] == "部分运行" and "住房面积" in s["missing"]
    assert len(fired("R56", t, part="b")) == 1


# --------------------------------------------------------------------------------------------------------- R57
@pytest.mark.parametrize(
    "unsafe,level,part", [(False, "D", "a"), (True, "A", "b"), (True, None, "c"), (True, "X", "c")]
)
def test_r57_contradictions(unsafe, level, part):
    f = fired("R57", base(hh={"unsafe_house": unsafe, "house_level": level}))
    assert list(f["part"]) == [part]


def test_r57_consistent_values_pass():
    assert fired("R57", base(hh={"unsafe_house": True, "house_level": "C"})).empty
    assert fired("R57", base(hh={"unsafe_house": False, "house_level": "B"})).empty
    assert fired("R57", base(hh={"unsafe_house": None, "house_level": "D"})).empty


def test_r57_unrecognised_level_is_shown_as_recorded():
    f = fired("R57", base(hh={"unsafe_house": True, "house_level": "E级"}))
    assert f.iloc[0]["values"].endswith("E级")


# --------------------------------------------------------------------------------------------------------- R58–R59
def test_r58_water():
    assert len(fired("R58", base(hh={"safe_water": False}), part="a")) == 1
    assert len(fired("R58", base(hh={"water_difficulty": True}), part="b")) == 1
    assert fired("R58", base(hh={"safe_water": None, "water_difficulty": None})).empty


def test_r59_power():
    f = fired("R59", base(hh={"power_living": False}))
    assert len(f) == 1 and f.iloc[0]["department"] == "扶贫办"
    assert fired("R59", base(hh={"power_living": None})).empty


# --------------------------------------------------------------------------------------------------------- R60
@pytest.mark.parametrize("km,fires", [(5.0, False), (5.01, True), (50.0, True), (50.01, False)])
def test_r60_distance_band(km, fires):
    assert len(fired("R60", base(hh={"road_distance_km": km}), part="b")) == (1 if fires else 0)


def test_r60_unhardened_road():
    assert len(fired("R60", base(hh={"road_type": "泥土路"}), part="a")) == 1
    assert fired("R60", base(hh={"road_type": "砂石路"})).empty


# --------------------------------------------------------------------------------------------------------- R61
@pytest.mark.parametrize("km,fires", [(-0.1, True), (0.0, False), (50.0, False), (50.01, True)])
def test_r61_a_distance(km, fires):
    assert len(fired("R61", base(hh={"road_distance_km": km}), part="a")) == (1 if fires else 0)


def test_r61_b_negative_area_lists_columns():
    f = fired("R61", base(hh={"house_area": -1.0, "arable_mu": -2.0}), part="b")
    assert len(f) == 1 and f.iloc[0]["columns"] == "住房面积（平方米）、耕地面积（亩）"
    assert f.iloc[0]["values"] == "-1；-2"


@pytest.mark.parametrize("arable,fires", [(50.0, False), (50.5, True)])
def test_r61_c_arable_per_member(arable, fires):
    assert len(fired("R61", base(hh={"arable_mu": arable}), part="c")) == (1 if fires else 0)


def test_r61_c_uses_active_members():
    two = [make_member(), make_member(person_id="P2", id_no=make_id("19820101", "女"), sex="女", relation="配偶")]
    assert fired("R61", base(hh={"arable_mu": 100.0, "hh_size": 2}, members=two), part="c").empty


@pytest.mark.parametrize("forest,fires", [(70.0, False), (70.5, True)])
def test_r61_d_forest_per_member(forest, fires):
    assert len(fired("R61", base(hh={"forest_mu": forest}), part="d")) == (1 if fires else 0)


def test_r61_e_grain_to_green_exceeds_forest():
    assert len(fired("R61", base(hh={"forest_mu": 1.0, "grain_to_green_mu": 2.0}), part="e")) == 1
    assert fired("R61", base(hh={"forest_mu": 2.0, "grain_to_green_mu": 2.0})).empty
    assert fired("R61", base(hh={"forest_mu": None, "grain_to_green_mu": 2.0})).empty


def test_r52_not_run_without_school_status():
    t = base()
    t["member"] = ([make_member()], ["school_status"])
    assert summary_row("R52", t)["status"] == "未运行（无数据）"


def test_r57_c_message_tells_blank_from_unrecognised():
    f = fired("R57", base(hh={"unsafe_house": True, "house_level": None}))
    assert f.iloc[0]["message"] == "是否危房户为“是”，但危房级别为空"
    f = fired("R57", base(hh={"unsafe_house": True, "house_level": "E级"}))
    assert f.iloc[0]["message"] == "是否危房户为“是”，但危房级别无法识别（E级）"
