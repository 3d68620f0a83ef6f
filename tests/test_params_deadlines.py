"""整改时限 and the other policy numbers moved into params/<year>.yaml: the code follows the file, and a broken file
is refused with the key named."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from hgk_lib.errors import InputError
from hgk_lib.params import load_params, validate_params
from hgk_lib.report.ledger import deadlines

PARAMS = load_params(year=2019)


def _findings(*rows):
    return pd.DataFrame([{"rule_id": r, "level": lv, "hh_id": "H1", "person_id": None} for r, lv in rows])


NO_NEEDS = pd.DataFrame(columns=["hh_id", "person_id", "problem_type", "deadline"])


def test_deadlines_by_level_come_from_params():
    f = _findings(("R05", "错误"), ("R36", "警告"), ("R80", "政策"), ("R99", "其他"))
    got = deadlines(f, NO_NEEDS, PARAMS, 2019).dt.strftime("%Y-%m-%d").tolist()
    assert got == ["2019-10-30", "2019-11-29", "2019-12-29", "2019-11-29"]  # 30 / 60 / 90 / other_days 60
    p = copy.deepcopy(PARAMS)
    p["deadlines"]["by_level"]["错误"] = 1
    p["deadlines"]["other_days"] = 0
    got = deadlines(f, NO_NEEDS, p, 2019).dt.strftime("%Y-%m-%d").tolist()
    assert got == ["2019-10-01", "2019-11-29", "2019-12-29", "2019-09-30"]


def test_need_rule_without_a_matching_problem_takes_the_needs_days():
    f = _findings(("R56", "政策"), ("R58", "政策"))
    got = deadlines(f, NO_NEEDS, PARAMS, 2019).dt.strftime("%Y-%m-%d").tolist()
    assert got == ["2020-03-28", "2019-12-29"]  # 住房不安全（未改造） 180 days, 饮水不安全 90 days
    p = copy.deepcopy(PARAMS)
    p["needs"]["住房不安全（未改造）"] = 10
    assert deadlines(f, NO_NEEDS, p, 2019).dt.strftime("%Y-%m-%d").tolist()[0] == "2019-10-10"


def test_ledger_without_deadline_parameters_is_an_error():
    p = {k: v for k, v in PARAMS.items() if k != "deadlines"}
    with pytest.raises(ValueError, match="deadlines"):
        deadlines(_findings(("R05", "错误")), NO_NEEDS, p, 2019)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p: p["deadlines"]["by_level"].pop("警告"), "缺少参数：deadlines.by_level.警告"),
        (lambda p: p["deadlines"]["by_level"].update({"提示": 5}), "未知参数：deadlines.by_level.提示"),
        (lambda p: p["deadlines"]["by_level"].update({"错误": "30"}), "deadlines.by_level.错误 应为天数"),
        (lambda p: p["deadlines"].pop("spot_check_days"), "缺少参数：deadlines.spot_check_days"),
        (
            lambda p: p["spot_check"]["fallback_score"].update({"margin_cuts": [0.1, 0.0, 0.2, 0.5]}),
            "margin_cuts 应从小到大",
        ),
        (lambda p: p["spot_check"]["fallback_score"].update({"margin_points": [4, 3]}), "margin_cuts 应从小到大"),
        (lambda p: p["spot_check"]["fallback_score"].update({"risk_clip": [0.9, 0.1]}), "risk_clip"),
        (
            lambda p: p["spot_check"]["fallback_score"].pop("income_drop"),
            "缺少参数：spot_check.fallback_score.income_drop",
        ),
    ],
)
def test_broken_policy_parameters_are_refused(change, message):
    p = copy.deepcopy(PARAMS)
    change(p)
    with pytest.raises(InputError, match=message):
        validate_params(p, "2019.yaml")
