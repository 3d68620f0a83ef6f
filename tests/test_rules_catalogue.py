"""The catalogue (params/rules/*.yaml) and the implementations must agree.

* every catalogue rule has an implementation and every implementation a catalogue entry (strict R01..R95 in the
  nine catalogue files);
* every declared parameter is read by its implementation (tracked through a recording dict on a rich fixture);
* parameter names are those of rules_catalog.md's Parameters table;
* names, levels and departments equal rules_catalog.md (its text is committed as tests/spec/rules_catalog.md).
"""

import re

import pytest

from hgk_lib.rules import RULES, load_catalogue, run_rules
from hgk_lib.rules.catalogue import ALL_RULE_IDS, EXPECTED_FILES, RULES_DIR, catalogue_files
from hgk_lib.rules.engine import import_rule_modules

from helpers.paths import spec_text
from helpers.rules_tables import (
    make_ctx,
    make_household,
    make_id,
    make_income_years,
    make_measure,
    make_member,
    make_project,
)

#: rules_catalog.md, "Parameters" table (the names a catalogue file may declare).
CATALOGUE_PARAMETERS = {
    "age_max",
    "school_status_age_min",
    "school_status_age_max",
    "education_required_age_min",
    "age_preschool_min",
    "age_preschool_max",
    "age_primary_min",
    "age_primary_max",
    "age_junior_min",
    "age_junior_max",
    "age_senior_min",
    "age_senior_max",
    "age_tertiary_min",
    "age_edu_junior_min",
    "age_edu_senior_min",
    "age_edu_college_min",
    "compulsory_age_min",
    "compulsory_age_max",
    "working_age_min",
    "working_age_max",
    "labour_old_age",
    "labour_capable_values",
    "severe_disability_grades",
    "work_months_max",
    "pwj_age_min",
    "pwj_age_max",
    "income_first_year",
    "measure_first_year",
    "income_tolerance",
    "income_pc_tolerance",
    "income_pc_max",
    "wage_min",
    "wage_max",
    "dibao_min",
    "tekun_min",
    "family_planning_min",
    "pension_income_min",
    "eco_land_columns",
    "yoy_ratio_max",
    "yoy_ratio_min",
    "tekun_age_min",
    "tekun_age_max",
    "pension_age",
    "unsafe_house_levels",
    "unhardened_road_types",
    "road_distance_max_km",
    "road_distance_implausible_km",
    "arable_pc_max",
    "forest_pc_max",
    "newborn_max_days",
    "first_identification_year_min",
    "labour_measures",
    "developmental_measures",
    "cause_measure_map",
    "beneficiary_tolerance",
    "helper_required_statuses",
    "visit_max_months",
}


@pytest.fixture(scope="module")
def catalogue():
    cat = load_catalogue()
    import_rule_modules(cat)
    return cat


def test_catalogue_files_load_and_have_required_keys(catalogue):
    assert catalogue_files(RULES_DIR)
    for rid, spec in catalogue.items():
        assert re.fullmatch(r"R\d\d", rid)
        for k in ("name", "level", "department", "unit", "module", "category"):
            assert spec.get(k), (rid, k)


def test_every_catalogue_rule_is_implemented(catalogue):
    missing = [rid for rid in catalogue if rid not in RULES]
    assert not missing, f"catalogue rules without implementation: {missing}"


def test_every_implementation_is_in_the_catalogue(catalogue):
    extra = sorted(set(RULES) - set(catalogue))
    assert not extra, f"implementations without a catalogue entry: {extra}"


def test_first_half_is_complete(catalogue):
    ids = [f"R{i:02d}" for i in range(1, 45)]
    assert all(r in catalogue for r in ids)
    assert all(r in RULES for r in ids)


def test_exactly_r01_to_r95_once_all_files_exist(catalogue):
    assert {p.stem for p in catalogue_files(RULES_DIR)} == set(EXPECTED_FILES)
    assert sorted(catalogue) == ALL_RULE_IDS
    assert sorted(RULES) == ALL_RULE_IDS


def test_parameter_names_are_the_catalogues(catalogue):
    bad = {
        rid: sorted(set(spec["params"]) - CATALOGUE_PARAMETERS)
        for rid, spec in catalogue.items()
        if set(spec["params"]) - CATALOGUE_PARAMETERS
    }
    assert not bad


def _spec_rows():
    rows = {}
    for line in spec_text("rules_catalog.md").splitlines():
        m = re.match(r"\|\s*(R\d\d)\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|.*\|\s*([^|]+?)\s*\|\s*$", line)
        if m:
            rows[m.group(1)] = dict(name=m.group(2), level=m.group(3), department=m.group(4), unit=m.group(5))
    return rows


def test_names_levels_departments_units_match_the_spec(catalogue):
    spec = _spec_rows()
    assert len(spec) == 95
    diffs = [
        (rid, k, catalogue[rid][k], spec[rid][k])
        for rid in catalogue
        for k in ("name", "level", "department", "unit")
        if catalogue[rid][k] != spec[rid][k]
    ]
    assert not diffs


# -- every declared parameter is read ---------------------------------------------------------------------------
def rich_tables():
    """Every table present with every column, so that every rule and every part runs."""
    head = make_member()
    wife = make_member(
        person_id="P2",
        name="李梅",
        id_no=make_id("19820202", "女"),
        sex="女",
        birth_date="1982-02-02",
        relation="配偶",
        health="残疾",
        disability_no=make_id("19820202", "女") + "11",
        pwj_post="保洁员",
        pwj_months=6.0,
        labour_skill="弱劳动力或半劳动力",
        dibao=True,
    )
    kid = make_member(
        person_id="P3",
        name="张小",
        id_no=make_id("20100101"),
        birth_date="2010-01-01",
        relation="之子",
        school_status="小学",
        labour_skill="无劳动力",
        work_status="未务工",
        work_months=0.0,
        education="小学",
    )
    old = make_member(
        person_id="P4",
        name="张老",
        id_no=make_id("19450101"),
        birth_date="1945-01-01",
        relation="之父",
        labour_skill="丧失劳动力",
        work_status=None,
        work_months=None,
        tekun=True,
        health="患有大病",
    )
    members = [head, wife, kid, old]
    return {
        "household": [make_household(hh_size=4, main_cause="因病", house_level="C", unsafe_house=True)],
        "member": members,
        "income": make_income_years(
            eco_comp=100.0, dibao_income=50.0, tekun_income=50.0, family_planning=50.0, pension_income=50.0
        ),
        "measure": [make_measure(year=y) for y in range(2016, 2020)],
        "project": [make_project()],
        "inspection": [
            dict(
                hh_id="H1",
                year=2018,
                method="随机抽查",
                inclusion_prob=0.1,
                conclusion="属实",
                verified_income_pc=9000.0,
            )
        ],
        "police": [
            dict(id_no=m["id_no"], name=m["name"], hukou_status="正常", change_date="2010-01-01") for m in members
        ],
        "education": [dict(id_no=kid["id_no"], stage="小学", enrol_status="在读")],
        "medical": [dict(id_no=m["id_no"], ins_type="城乡居民", ins_year=2019) for m in members],
        "civil": [dict(id_no=wife["id_no"], support_type="低保", start_date="2018-01-01", end_date=None)],
        "housing": [dict(head_id=head["id_no"], appraisal_level="C", renovation_status="改造中", completion_date=None)],
        "disability": [dict(id_no=wife["id_no"], dis_category="1", dis_grade="1")],
        "property": [dict(id_no=head["id_no"], match_type="名下车辆")],
    }


def test_every_declared_parameter_is_used(catalogue):
    others = {"441882_连州市": [make_member(hh_id="L1")]}
    ctx = make_ctx(rich_tables(), others=others)
    res = run_rules(ctx, catalogue=catalogue)
    unused = {}
    for rid, spec in catalogue.items():
        if rid not in RULES:
            continue
        declared = set(spec["params"])
        used = res.params_used.get(rid, set())
        if declared - used:
            unused[rid] = sorted(declared - used)
    assert not unused, f"declared parameters never read: {unused}"


def test_rich_fixture_runs_every_implemented_rule(catalogue):
    others = {"441882_连州市": [make_member(hh_id="L1")]}
    res = run_rules(make_ctx(rich_tables(), others=others), catalogue=catalogue)
    s = res.summary.set_index("rule_id")
    implemented = [r for r in catalogue if r in RULES]
    assert (s.loc[implemented, "status"] == "已运行").all(), s.loc[implemented][
        s.loc[implemented, "status"] != "已运行"
    ][["status", "missing"]]


def test_every_rule_says_whether_a_visit_is_needed(catalogue):
    """campaign.md §1: the 入户核查计划 takes rule findings whose catalogue entry says ``visit: true``."""
    assert set(catalogue) == set(ALL_RULE_IDS)
    for rid, spec in catalogue.items():
        assert isinstance(spec.get("visit"), bool), f"{rid} 缺少 visit"
    # desk fixes never need a visit; income components, presence, schooling and housing do
    assert catalogue["R02"]["visit"] is False  # check digit
    assert catalogue["R37"]["visit"] is False  # arithmetic of the per-capita income
    for rid in ("R42", "R64", "R52", "R56", "R93", "R88"):
        assert catalogue[rid]["visit"] is True, rid


def test_a_rule_without_visit_is_refused(tmp_path):
    from hgk_lib.errors import InputError
    from hgk_lib.rules.catalogue import parse_file

    text = (RULES_DIR / "01_identity.yaml").read_text(encoding="utf-8").replace("    visit: false\n", "", 1)
    (tmp_path / "01_identity.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="R01 缺少 visit"):
        parse_file(tmp_path / "01_identity.yaml")
