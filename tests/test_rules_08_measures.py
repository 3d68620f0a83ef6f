"""R72–R87 帮扶措施与项目库: a failing case and a passing case at each boundary, plus not-run cases."""

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


def base(hh=None, members=None, measures=None, projects=None, **extra):
    t = {
        "household": [make_household(**(hh or {}))],
        "member": members if members is not None else [make_member()],
        "income": make_income_years(),
        "measure": measures if measures is not None else [make_measure(year=y) for y in range(2016, 2020)],
        "project": projects if projects is not None else [make_project()],
    }
    t.update(extra)
    return t


def years(*ys, **kw):
    return [make_measure(year=y, **kw) for y in ys]


# --------------------------------------------------------------------------------------------------------- R72
def test_r72_unknown_household_and_project():
    ms = years(2016, 2017, 2018, 2019) + [make_measure(hh_id="H9"), make_measure(project_id="XM999")]
    f = fired("R72", base(measures=ms))
    assert sorted(f["part"]) == ["a", "b"]
    a = f[f["part"] == "a"].iloc[0]
    assert a["source_row"] == 6 and a["year"] == 2019 and a["category"] == "产业帮扶"


def test_r72_blank_project_passes():
    assert fired("R72", base(measures=years(2016, 2017, 2018, 2019, project_id=None))).empty


# --------------------------------------------------------------------------------------------------------- R73
def test_r73_one_finding_per_missing_year_before_exit():
    f = fired("R73", base(measures=years(2018, 2019)))  # exited 2018: 2016 and 2017 needed
    assert sorted(f["year"]) == [2016, 2017]


def test_r73_exit_year_boundary_and_first_year():
    assert fired("R73", base(measures=years(2016, 2017))).empty  # 2018 (exit year) is R74's
    assert fired("R73", base(hh={"first_year": 2017}, measures=years(2017))).empty  # S = 2017
    assert fired("R73", base(hh={"exit_year": 2016}, measures=[])).empty  # L = 2015 < S


def test_r73_not_exited_checked_to_audit_year():
    f = fired(
        "R73",
        base(
            hh={"exit_status": "未脱贫", "exit_year": None, "hh_type": "一般贫困户"}, measures=years(2016, 2017, 2018)
        ),
    )
    assert list(f["year"]) == [2019]


def test_r73_exited_without_exit_year_not_evaluated():
    s = summary_row("R73", base(hh={"exit_year": None}, measures=[]))
    assert s["findings"] == 0 and s["not_evaluated"] == 1


# --------------------------------------------------------------------------------------------------------- R74
def test_r74_exit_year_without_completed_measure():
    ms = years(2016, 2017, 2019) + [make_measure(year=2018, status="实施中")]
    f = fired("R74", base(measures=ms))
    assert len(f) == 1 and f.iloc[0]["year"] == 2018
    assert fired("R74", base()).empty


@pytest.mark.parametrize("ey,in_scope", [(2015, False), (2016, True), (2019, True)])
def test_r74_exit_year_window(ey, in_scope):
    f = fired("R74", base(hh={"exit_year": ey, "first_year": 2014}, measures=[]))
    assert len(f) == (1 if in_scope else 0)


# --------------------------------------------------------------------------------------------------------- R75
def test_r75_years_after_exit():
    f = fired("R75", base(hh={"exit_year": 2017}, measures=years(2016, 2017, 2018)))
    assert list(f["year"]) == [2019]
    assert fired("R75", base(hh={"exit_year": 2017})).empty
    assert fired("R75", base(hh={"exit_year": 2019}, measures=[])).empty  # no year after exit


def test_r75_only_households_still_enjoying_policy_and_s():
    assert fired("R75", base(hh={"exit_year": 2017, "exit_status": "已脱贫（不再享受政策）"}, measures=[])).empty
    f = fired("R75", base(hh={"exit_year": 2017, "first_year": 2019}, measures=[]))
    assert list(f["year"]) == [2019]


# --------------------------------------------------------------------------------------------------------- R76
def test_r76_a_labour_measure_in_no_labour_household():
    ms = years(2016, 2017, 2018) + [make_measure(category="就业帮扶")]
    f = fired("R76", base(members=[make_member(labour_skill="丧失劳动力")], measures=ms), part="a")
    assert len(f) == 1 and "就业帮扶" in f.iloc[0]["message"]
    ms = years(2016, 2017, 2019) + [make_measure(year=2018, category="就业帮扶")]
    assert fired("R76", base(members=[make_member(labour_skill="丧失劳动力")], measures=ms), part="a").empty


@pytest.mark.parametrize("birth,fires", [("19550930", True), ("19540930", False)])  # 64 / 65 on 2019-09-30
def test_r76_b_capable_household_without_developmental_measure(birth, fires):
    m = make_member(id_no=make_id(birth), birth_date=f"{birth[:4]}-{birth[4:6]}-{birth[6:]}")
    f = fired("R76", base(members=[m], measures=years(2016, 2017, 2018, 2019, category="低保兜底")), part="b")
    assert len(f) == (1 if fires else 0)


def test_r76_b_passes_with_developmental_measure_or_no_measures():
    assert fired("R76", base()).empty
    assert fired("R76", base(measures=[]), part="b").empty


# --------------------------------------------------------------------------------------------------------- R77
@pytest.mark.parametrize("cat,part", [("教育帮扶", "a"), ("残疾人补贴", "b"), ("低保兜底", "c"), ("特困供养", "d")])
def test_r77_measure_without_matching_member(cat, part):
    ms = years(2016, 2017, 2018, 2019) + [make_measure(category=cat)]
    f = fired("R77", base(measures=ms))
    assert list(f["part"]) == [part]
    assert f.iloc[0]["category"] == cat and f.iloc[0]["source_row"] == 6 and f.iloc[0]["year"] == 2019


def test_r77_passes_when_member_matches_or_other_year():
    kid = make_member(
        person_id="P2",
        id_no=make_id("20100101"),
        birth_date="2010-01-01",
        relation="之子",
        school_status="小学",
        labour_skill="无劳动力",
    )
    ms = years(2016, 2017, 2018, 2019) + [make_measure(category="教育帮扶")]
    assert fired("R77", base(members=[make_member(), kid], measures=ms)).empty
    ms = years(2016, 2017, 2018, 2019) + [make_measure(category="低保兜底")]
    assert fired("R77", base(members=[make_member(dibao=True)], measures=ms)).empty
    ms = years(2016, 2017, 2018, 2019) + [make_measure(year=2018, category="特困供养")]
    assert fired("R77", base(measures=ms)).empty


# --------------------------------------------------------------------------------------------------------- R78
def test_r78_cause_without_measure():
    f = fired("R78", base(hh={"main_cause": "因病"}))
    assert len(f) == 1 and "健康帮扶" in f.iloc[0]["message"]


def test_r78_window_starts_at_s():
    ms = years(2016, 2017, 2018, 2019) + [make_measure(year=2016, category="健康帮扶")]
    assert fired("R78", base(hh={"main_cause": "因病"}, measures=ms)).empty
    ms = years(2016, 2017, 2018, 2019) + [make_measure(year=2015, category="健康帮扶")]
    assert len(fired("R78", base(hh={"main_cause": "因病"}, measures=ms))) == 1
    ms = years(2017, 2018, 2019) + [make_measure(year=2017, category="健康帮扶")]
    assert len(fired("R78", base(hh={"main_cause": "因病", "first_year": 2018}, measures=ms))) == 1


def test_r78_any_mapped_category_and_unmapped_cause():
    ms = years(2016, 2017, 2018, 2019) + [make_measure(category="健康帮扶")]
    assert fired("R78", base(hh={"main_cause": "因残"}, measures=ms)).empty
    assert fired("R78", base(hh={"main_cause": "因灾"})).empty
    assert fired("R78", base(hh={"main_cause": "缺资金"})).empty  # 产业帮扶 is mapped


# --------------------------------------------------------------------------------------------------------- R79
@pytest.mark.parametrize(
    "kw,part",
    [
        ({"start_date": "2019-06-30", "end_date": "2019-06-29"}, "a"),
        ({"end_date": "2019-10-01"}, "b"),
        ({"amount": -1.0}, "c"),
        ({"year": 2020}, "d"),
    ],
)
def test_r79_contradictions(kw, part):
    f = fired("R79", base(measures=years(2016, 2017, 2018) + [make_measure(**kw)]))
    assert list(f["part"]) == [part] and f.iloc[0]["source_row"] == 5


def test_r79_boundaries_pass():
    ms = years(2016, 2017, 2018) + [
        make_measure(start_date="2019-06-30", end_date="2019-06-30"),
        make_measure(end_date="2019-09-30", amount=0.0),
    ]
    assert fired("R79", base(measures=ms)).empty


def test_r79_d_before_first_identification_year():
    f = fired("R79", base(hh={"first_year": 2017}, measures=years(2016, 2017, 2018, 2019)))
    assert list(f["year"]) == [2016] and list(f["part"]) == ["d"]


# --------------------------------------------------------------------------------------------------------- R80–R82
def test_r80_duplicated_project_every_row():
    f = fired("R80", base(projects=[make_project(), make_project(), make_project(project_id="XM002")]))
    assert list(f["source_row"]) == [2, 3] and set(f["project_id"]) == {"XM001"}
    assert f["hh_id"].isna().all()
    assert fired("R80", base()).empty


def test_r81_lists_missing_columns():
    f = fired("R81", base(projects=[make_project(name=None, fund_source=None)]))
    assert len(f) == 1 and f.iloc[0]["columns"] == "项目名称、资金来源"
    assert fired("R81", base()).empty


@pytest.mark.parametrize(
    "bh,bp,parts", [(0, 1, ["a"]), (None, 1, ["a"]), (1, 0, ["b", "c"]), (2, 1, ["c"]), (1, 1, []), (2, 2, [])]
)
def test_r82_beneficiary_counts(bh, bp, parts):
    f = fired("R82", base(projects=[make_project(beneficiary_hh=bh, beneficiary_people=bp)]))
    assert sorted(f["part"]) == parts


def test_r82_only_household_projects():
    assert fired("R82", base(projects=[make_project(to_household=False, beneficiary_hh=None)])).empty


# --------------------------------------------------------------------------------------------------------- R83
def test_r83_tolerance_zero_boundary():
    assert fired("R83", base()).empty  # 1 beneficiary household, 1 linked (H1, four measures)
    f = fired("R83", base(projects=[make_project(beneficiary_hh=2, beneficiary_people=2)]))
    assert len(f) == 1 and f.iloc[0]["values"] == "2；1"
    assert fired(
        "R83", base(projects=[make_project(beneficiary_hh=2, beneficiary_people=2)]), beneficiary_tolerance=1
    ).empty


def test_r83_unknown_households_not_counted_and_duplicates_not_evaluated():
    ms = years(2016, 2017, 2018, 2019) + [make_measure(hh_id="H9")]
    assert fired("R83", base(measures=ms)).empty
    s = summary_row("R83", base(projects=[make_project(beneficiary_hh=5), make_project(beneficiary_hh=5)]))
    assert s["findings"] == 0 and s["not_evaluated"] == 2


# --------------------------------------------------------------------------------------------------------- R84–R85
@pytest.mark.parametrize(
    "kw,parts",
    [
        ({"start_date": "2019-03-02", "end_date": "2019-03-01"}, ["a"]),
        ({"status": "已完工", "end_date": "2019-10-01"}, ["b"]),
        ({"status": "实施中", "start_date": "2019-10-01", "end_date": None}, ["c"]),
        ({"status": "入库", "start_date": "2019-10-01", "end_date": None}, []),
        ({"status": "已验收", "end_date": "2019-09-30"}, []),
    ],
)
def test_r84_dates(kw, parts):
    assert sorted(fired("R84", base(projects=[make_project(**kw)]))["part"]) == parts


@pytest.mark.parametrize("pub,fires", [(False, True), (None, True), (True, False)])
def test_r85_publicity(pub, fires):
    assert len(fired("R85", base(projects=[make_project(publicized=pub)]))) == (1 if fires else 0)


# --------------------------------------------------------------------------------------------------------- R86–R87
def test_r86_helper():
    assert len(fired("R86", base(hh={"helper_name": None}))) == 1
    assert fired("R86", base(hh={"helper_name": None, "exit_status": None})).empty
    assert fired("R86", base()).empty


@pytest.mark.parametrize(
    "visit,fires",
    [
        ("2018-09-30", False),
        ("2018-09-29", True),
        ("2019-09-30", False),
        ("2019-10-01", True),
        (None, True),
        ("去年", True),
    ],
)
def test_r87_twelve_calendar_months(visit, fires):
    f = fired("R87", base(hh={"last_visit": visit}))
    assert len(f) == (1 if fires else 0)
    if visit == "去年":
        assert f.iloc[0]["values"] == "去年"


def test_r87_not_run_without_column():
    t = base()
    t["household"] = ([make_household()], ["last_visit"])
    assert summary_row("R87", t)["status"] == "未运行（无数据）"


def test_r78_message_names_the_window_from_s():
    f = fired("R78", base(hh={"main_cause": "因病", "first_year": 2018}))
    assert f.iloc[0]["message"] == "主要致贫原因为因病，但2018年至2019年无健康帮扶措施"
