"""A number the audit and the rules both use must be the same in params/2019.yaml and params/rules/*.yaml.

The year file feeds the audit (verdicts, needs, classes); the rule catalogue feeds the 95 rules. Where both name the
same policy number (pension age, compulsory-school ages, unsafe house levels ...), a city that changes one and
forgets the other would get a ledger that contradicts itself; this test catches it.
"""

from __future__ import annotations

import pytest

from hgk_lib.params import load_params
from hgk_lib.rules import load_catalogue

PAIRS = [
    (("labour", "working_age_min"), ["R23", "R76"], "working_age_min"),
    (("labour", "old_age"), ["R23", "R76"], "labour_old_age"),
    (("labour", "pension_age"), ["R49"], "pension_age"),
    (("labour", "compulsory_age_min"), ["R22", "R52", "R88"], "compulsory_age_min"),
    (("labour", "compulsory_age_max"), ["R22", "R52", "R88"], "compulsory_age_max"),
    (("labour", "road_distance_max_km"), ["R60"], "road_distance_max_km"),
    (("labour", "unsafe_house_levels"), ["R56", "R57", "R93", "R94"], "unsafe_house_levels"),
    (("labour", "unhardened_road_types"), ["R60"], "unhardened_road_types"),
    (("measures", "first_year"), ["R73", "R74", "R75", "R76", "R78"], "measure_first_year"),
    (("income", "income_tolerance"), ["R35", "R36"], "income_tolerance"),
]


@pytest.mark.parametrize("year_key, rules, name", PAIRS, ids=[f"{a}.{b}" for (a, b), _, _ in PAIRS])
def test_year_file_and_rule_catalogue_agree(year_key, rules, name):
    year = load_params(year=2019)
    cat = load_catalogue()
    expected = year[year_key[0]][year_key[1]]
    for rid in rules:
        if name in cat[rid]["params"]:
            assert cat[rid]["params"][name] == expected, (rid, name)


# --- the audit's labour class and R76 draw the working-age bounds from the same two numbers ---------------------
# Birth dates around the bounds on the reference date 2019-09-30: 15 / 16 (working_age_min) and 64 / 65 (old_age).
BOUNDARY_BIRTHS = {
    "15岁（差一天满16）": "2003-10-01",
    "16岁": "2003-09-30",
    "64岁": "1955-09-30",
    "65岁": "1954-09-30",
    "64岁（差一天满65）": "1954-10-01",
}


def test_working_age_comes_from_one_parameter_pair():
    year = load_params(year=2019)
    assert "working_age_max" not in year["labour"]  # the upper bound is old_age, nothing else
    cat = load_catalogue()
    assert cat["R76"]["params"]["working_age_min"] == year["labour"]["working_age_min"]
    assert cat["R76"]["params"]["labour_old_age"] == year["labour"]["old_age"]


@pytest.mark.parametrize("label", list(BOUNDARY_BIRTHS))
def test_audit_labour_class_and_r76_agree_at_the_age_bounds(label):
    """R76(b) fires for a 有劳动能力 household with measures but none developmental; the audit's 分类施策 calls the
    same household 有劳动能力 exactly when R76 does."""
    from helpers.rules_tables import (
        fired,
        make_household,
        make_id,
        make_income_years,
        make_measure,
        make_member,
        make_tables,
    )

    from hgk_lib.audit import audit_county

    birth = BOUNDARY_BIRTHS[label]
    m = make_member(id_no=make_id(birth.replace("-", "")), birth_date=birth)
    tables = {
        "household": [make_household()],
        "member": [m],
        "income": make_income_years(),
        "measure": [make_measure(year=y, category="低保兜底") for y in range(2016, 2020)],
    }
    r76_capable = not fired("R76", tables, part="b").empty
    audit = audit_county(make_tables(tables), load_params(year=2019))
    audit_capable = audit.classes.set_index("hh_id").loc["H1", "labour_class"] == "有劳动能力"
    assert audit_capable == r76_capable
    assert audit_capable is (label in ("16岁", "64岁", "64岁（差一天满65）"))
