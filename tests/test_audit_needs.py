"""Basic-needs problems, sector routing, classes and measures, unstable posts, measures history, projects and
dynamic candidates."""

from __future__ import annotations

import pandas as pd
import pytest

from hgk_lib.audit import audit_county, summary_counts
from helpers.audit_tables import county, household, income, measure, member, params


def needs_of(hs, ms, p=None, **kw):
    r = audit_county(county(hs, ms, [income(h["hh_id"]) for h in hs], **kw), p or params())
    return r, r.needs


def test_schooling_problem_and_valid_reason():
    child = dict(birth=pd.Timestamp("2010-08-31").date(), skill="无劳动力", school_status="非在校生")
    ms = [
        member("H1", **child),
        member("H2", health="残疾", out_of_school_reason="因残", **child),
        member("H3", health="长期慢性病", out_of_school_reason="因病", **child),
        member("H4", **{**child, "school_status": "小学"}),
    ]
    r, n = needs_of([household(h) for h in ["H1", "H2", "H3", "H4"]], ms)
    edu = n[n["problem_type"] == "义务教育失学辍学"]
    assert sorted(edu["hh_id"]) == ["H1", "H3"]
    assert set(edu["department"]) == {"教育局"}
    assert edu["person_id"].notna().all()
    assert "入学年龄9岁" in edu.set_index("hh_id").loc["H1", "evidence"]


@pytest.mark.parametrize(
    "birth,hit",
    [
        ("2013-08-31", True),
        ("2013-09-01", False),  # school age 6 / 5
        ("2003-09-01", True),
        ("2003-08-31", False),
    ],
)  # school age 15 / 16
def test_schooling_age_band_uses_31_august(birth, hit):
    m = member("H1", birth=pd.Timestamp(birth).date(), skill="无劳动力", school_status="非在校生")
    _, n = needs_of([household("H1")], [member("H1"), m])
    assert bool((n["problem_type"] == "义务教育失学辍学").any()) is hit


def test_education_list_dropout():
    m = member("H1", age=12, skill="无劳动力", school_status="七年级")
    _, n = needs_of(
        [household("H1")], [member("H1"), m], education=[dict(id_no=m["id_no"], stage="初中", enrol_status="辍学")]
    )
    row = n.set_index("hh_id").loc["H1"]
    assert row["problem_type"] == "义务教育失学辍学" and "教育_学籍" in row["evidence"]


def test_medical_insurance_problems_and_soldier_exception():
    ms = [
        member("H1", ins_resident=False, ins_employee=None),
        member("H2", ins_resident=None, ins_employee=True),
        member("H3", ins_resident=False, soldier=True),
        member("H4", health="患有大病", ins_critical=None),
    ]
    _, n = needs_of([household(h) for h in ["H1", "H2", "H3", "H4"]], ms)
    got = set(zip(n["hh_id"], n["problem_type"], n["department"]))
    assert got == {("H1", "未参加基本医疗保险", "医保局"), ("H4", "大病保障未落实", "医保局")}
    assert n.set_index("hh_id").loc["H4", "deadline"] == pd.Timestamp("2019-11-29")


def test_medical_list_absence_is_evidence():
    m1, m2 = member("H1"), member("H2")
    med = [
        dict(id_no=m1["id_no"], ins_type="城乡居民", ins_year=2019),
        dict(id_no=m2["id_no"], ins_type="城乡居民", ins_year=2018),
    ]
    _, n = needs_of([household("H1"), household("H2")], [m1, m2], medical=med)
    assert list(n["hh_id"]) == ["H2"]
    assert "医保_参保：无2019年参保记录" in n["evidence"].iloc[0]


def test_housing_registry_and_list():
    hs = [
        household("H1", unsafe_house=True, house_level="C"),
        household("H2", house_level="D"),
        household("H3"),
        household("H4", unsafe_house=True, house_level="D"),
        household("H5"),
    ]
    ms = [member(h["hh_id"]) for h in hs]
    housing = [
        dict(head_id=ms[2]["id_no"], appraisal_level="D", renovation_status="改造中"),
        dict(head_id=ms[3]["id_no"], appraisal_level="D", renovation_status="已竣工"),
        dict(head_id=ms[4]["id_no"], appraisal_level="C", renovation_status=None),
    ]
    _, n = needs_of(hs, ms, housing=housing)
    got = dict(zip(n["hh_id"], n["problem_type"]))
    # registry decides without a list row; the list decides where it has one (H4's renovation is finished)
    assert got == {
        "H1": "住房不安全（未改造）",
        "H2": "住房不安全（未改造）",
        "H3": "住房不安全（改造中）",
        "H5": "住房不安全（未改造）",
    }
    t = n.set_index("hh_id")
    assert t.loc["H3", "deadline"] == pd.Timestamp("2019-11-29") and bool(t.loc["H3", "resolvable"])
    assert t.loc["H5", "deadline"] == pd.Timestamp("2020-03-28") and not bool(t.loc["H5", "resolvable"])
    assert t.loc["H1", "person_id"] is None or pd.isna(t.loc["H1", "person_id"])


def test_water_problem():
    _, n = needs_of(
        [household("H1", safe_water=False), household("H2", water_difficulty=True), household("H3")],
        [member("H1"), member("H2"), member("H3")],
    )
    assert sorted(n["hh_id"]) == ["H1", "H2"] and set(n["department"]) == {"水利局"}


def test_sector_routing():
    hs = [
        household("H1", power_living=False),
        household("H2", road_type="泥土路"),
        household("H3", road_distance_km=5.0),
        household("H4", road_distance_km=5.1),
    ]
    ms = [member("H1"), member("H2"), member("H3"), member("H4", age=60, pension_receiving=None)]
    r, n = needs_of(hs, ms)
    s = r.sector
    got = sorted(zip(s["hh_id"], s["department"]))
    assert got == [("H1", "供电部门"), ("H2", "交通局"), ("H4", "交通局"), ("H4", "人社局")]
    assert n.empty  # sector findings are not basic-needs problems
    assert r.verdicts.set_index("hh_id").loc["H1", "verdict"] == "保持脱贫"


def test_classes_recommendation_match():
    hs = [household("H1"), household("H2"), household("H3")]
    ms = [member("H1"), member("H2", age=70, skill="普通劳动力"), member("H3", age=80, skill="无劳动力", dibao=True)]
    mm = [
        measure("H1", category="金融帮扶"),
        measure("H2", category="产业帮扶"),
        measure("H3", category="低保兜底"),
        measure("H3", category="健康帮扶"),
        measure("H3", 2018, "技能培训"),
    ]
    r = audit_county(county(hs, ms, [income(h["hh_id"]) for h in hs], measures=mm), params())
    c = r.classes.set_index("hh_id")
    assert c.loc["H1", "labour_class"] == "有劳动能力" and bool(c.loc["H1", "match"])
    assert c.loc["H2", "labour_class"] == "弱劳力半劳力" and not bool(c.loc["H2", "match"])
    assert c.loc["H3", "measures_this_year"] == "健康帮扶、低保兜底" and bool(c.loc["H3", "match"])
    assert "扶贫车间" in c.loc["H2", "recommended"]
    assert list(r.classes.columns) == ["hh_id", "labour_class", "recommended", "measures_this_year", "match", "quality"]


@pytest.mark.parametrize("months,listed", [(5, True), (6, False), (None, False)])
def test_unstable_public_welfare_job(months, listed):
    m = member("H1", pwj_post="护林员", pwj_months=months)
    r = audit_county(county([household("H1")], [m], [income("H1")]), params())
    assert (len(r.unstable_pwj) == 1) is listed
    if listed:
        assert r.unstable_pwj.iloc[0].to_dict() == {
            "hh_id": "H1",
            "person_id": m["person_id"],
            "post": "护林员",
            "months": 5.0,
        }


def test_measure_gaps_computed_without_findings():
    hs = [
        household("H1", exit_year=2018, first_year=2016),
        household("H2", status="未脱贫", first_year=2017),
        household("H3", status="已脱贫（不再享受政策）", exit_year=2017),
    ]
    mm = [
        measure("H1", 2016),
        measure("H1", 2018, status="实施中"),
        measure("H2", 2017),
        measure("H2", 2019),
        measure("H3", 2016),
        measure("H3", 2017),
    ]
    r = audit_county(
        county(hs, [member(h["hh_id"]) for h in hs], [income(h["hh_id"]) for h in hs], measures=mm), params()
    )
    g = r.measure_gaps
    got = list(zip(g["hh_id"], g["year"], g["stage"]))
    assert got == [("H1", 2017, "脱贫前"), ("H1", 2018, "脱贫当年"), ("H1", 2019, "巩固提升"), ("H2", 2018, "脱贫前")]
    assert any("R73" in n for n in r.notes)


def test_measure_gaps_and_project_findings_from_findings():
    findings = pd.DataFrame(
        [
            dict(
                rule_id="R73",
                rule_name="脱贫前年度无帮扶措施",
                hh_id="H1",
                year=2017,
                part="",
                project_id=None,
                message="2017年无措施",
            ),
            dict(
                rule_id="R74",
                rule_name="脱贫当年无已完成措施",
                hh_id="H1",
                year=None,
                part="",
                project_id=None,
                message="x",
            ),
            dict(
                rule_id="R83",
                rule_name="受益户数与措施关联户数不符",
                hh_id=None,
                year=None,
                part="",
                project_id="P1",
                message="受益贫困户数3，关联2户",
            ),
            dict(
                rule_id="R72",
                rule_name="措施关联的户或项目不存在",
                hh_id="H1",
                year=2019,
                part="b",
                project_id="PX",
                message="项目编号PX不在项目库",
            ),
            dict(rule_id="R86", rule_name="无帮扶责任人", hh_id="H1", year=None, part="", project_id=None, message="y"),
        ]
    )
    projects = [
        dict(
            project_id="P1",
            name="光伏",
            category="资产收益",
            to_household=True,
            year=2019,
            beneficiary_hh=3,
            beneficiary_people=5,
        )
    ]
    mm = [
        measure("H1", 2019, project_id="P1"),
        measure("H2", 2019, project_id="P1"),
        measure("HX", 2019, project_id="P1"),
    ]
    hs = [household("H1", exit_year=2018), household("H2")]
    tables = county(
        hs,
        [member("H1"), member("H2"), member("H2", age=20)],
        [income("H1"), income("H2")],
        measures=mm,
        projects=projects,
    )
    r = audit_county(tables, params(), findings)
    assert list(zip(r.measure_gaps["year"], r.measure_gaps["stage"])) == [(2017, "脱贫前"), (2018, "脱贫当年")]
    pf = r.project_findings
    assert list(zip(pf["project_id"], pf["rule_id"])) == [("P1", "R83"), ("PX", "R72")]
    assert pf.set_index("project_id").loc["P1", "project_name"] == "光伏"
    b = r.beneficiaries.iloc[0].to_dict()
    assert b["declared_hh"] == 3 and b["linked_hh"] == 2 and b["linked_people"] == 3 and b["difference"] == 1


def test_projects_empty_with_note_without_findings():
    r = audit_county(county([household("H1")], [member("H1")], [income("H1")]), params())
    assert r.project_findings.empty and any("项目库核查" in n for n in r.notes)


def test_dynamic_exit_candidates():
    m1, m2 = member("H1"), member("H2")
    twin = dict(m1, hh_id="H2", person_id="H2-dup")
    prop = [dict(id_no=m2["id_no"], match_type="名下车辆"), dict(id_no=m2["id_no"], match_type="财政供养人员")]
    r = audit_county(
        county([household("H1"), household("H2")], [m1, m2, twin], [income("H1"), income("H2")], property=prop),
        params(),
    )
    d = r.dynamic
    assert set(d["kind"]) == {"清退"}
    by_src = d.groupby("source")["person_id"].apply(sorted).to_dict()
    assert by_src == {"多户登记": sorted([m1["person_id"], "H2-dup"]), "比对_财产与身份": [m2["person_id"]]}
    assert "财政供养人员、名下车辆" in d.loc[d["source"] == "比对_财产与身份", "basis"].iloc[0]
    assert any("自然增加/补录未运行" in n for n in r.notes)
    assert summary_counts(r)["dynamic_by_kind"]["清退"] == 3


def test_measure_gaps_show_each_years_income_against_that_years_line():
    # lines: 2016 4000, 2017 7365, 2018 8000 (earlier_exit_lines), 2019 8400 (exit_line)
    hs = [household("H1", exit_year=2019, first_year=2016)]
    incs = [
        income("H1", wage=7364.99, year=2017, n_members=1),  # below 2017's line by one fen
        income("H1", wage=14730.0, year=2016, n_members=2),  # 7,365 per person: above 2016's 4,000
        income("H1", wage=8000.0, year=2018, n_members=None),  # blank count: the active members (1)
        income("H1", wage=8000.0),
    ]
    r = audit_county(county(hs, [member("H1")], incs, measures=[measure("H1", 2019)]), params())
    g = r.measure_gaps.set_index("year")
    assert list(g.index) == [2016, 2017, 2018]
    assert g.loc[2016, "exit_line"] == 4000 and g.loc[2016, "income_pc"] == 7365.0 and not g.loc[2016, "below_line"]
    assert g.loc[2017, "exit_line"] == 7365 and g.loc[2017, "income_pc"] == 7364.99 and g.loc[2017, "below_line"]
    assert g.loc[2017, "problem"] == "脱贫前2017年无帮扶措施（当年人均可支配收入7,364.99元，低于当年脱贫线7,365元）"
    assert g.loc[2018, "income_pc"] == 8000.0 and not g.loc[2018, "below_line"]  # at the line reaches it
    assert g.loc[2018, "problem"].endswith("达到当年脱贫线8,000元）")


def test_measure_gap_without_income_or_line_has_no_comparison():
    p = params()
    p["income"]["earlier_exit_lines"] = {2016: 4000}
    hs = [household("H1", exit_year=2019, first_year=2016)]
    r = audit_county(
        county(hs, [member("H1")], [income("H1", year=2018), income("H1")], measures=[measure("H1", 2019)]), p
    )
    g = r.measure_gaps.set_index("year")
    assert pd.isna(g.loc[2016, "income_pc"]) and g.loc[2016, "exit_line"] == 4000  # no 2016 income row
    assert g.loc[2018, "income_pc"] == 20000.0 and pd.isna(g.loc[2018, "exit_line"])  # no 2018 line
    assert pd.isna(g.loc[2016, "below_line"]) and pd.isna(g.loc[2018, "below_line"])
    assert g.loc[2018, "problem"] == "脱贫前2018年无帮扶措施"
