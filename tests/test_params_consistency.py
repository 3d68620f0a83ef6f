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
