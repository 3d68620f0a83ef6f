"""Income recomputation: fen arithmetic, transfer items, medical reimbursements, active-member divisor, recorded
value comparison, and the parameter file contract."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml

from hgk_lib.audit import audit_county
from hgk_lib.audit.common import audit_params, div_half_up, to_fen
from hgk_lib.errors import InputError
from hgk_lib.params import SPEC, default_params_file, load_params, validate_params
from helpers.audit_tables import county, household, income, member, params


def income_row(hs, ms, incs, p=None, **lists):
    r = audit_county(county(hs, ms, incs, **lists), p or params())
    return r.income.set_index("hh_id")


@pytest.mark.parametrize(
    "yuan,fen",
    [
        (8400.00, 840000),
        (3999.995, 400000),
        (1.005, 101),
        (0.125, 13),
        (-2.5, -250),
        (12345.67, 1234567),
        (0.1 + 0.2, 30),
        (1e7 + 0.01, 1000000001),
    ],
)
def test_to_fen_half_up_and_decimal_safe(yuan, fen):
    assert int(to_fen(pd.Series([yuan])).iloc[0]) == fen


def test_div_half_up():
    got = div_half_up(pd.Series([799999, 799998, -5, 7, 7]), pd.Series([2, 2, 2, 0, None]))
    assert got.iloc[:3].tolist() == [400000, 399999, -3]
    assert got.iloc[3:].isna().all()


def test_recomputed_income_formula():
    i = income(
        "H1",
        wage=10000,
        business_income=5000,
        business_cost=-2000,
        property_income=300,
        transfer_income=999,
        transfer_out=100,
        family_planning=100,
        dibao_income=200,
        tekun_income=0,
        pension_income=300,
        eco_comp=50,
        other_transfer=50,
        medical_reimb=5000,
    )
    row = income_row([household("H1")], [member("H1"), member("H1", age=30)], [i]).loc["H1"]
    # transfers = item sum without medical = 700; |cost| = 2000
    assert row["disposable_fen"] == (10000 + 5000 - 2000 + 300 + 700 - 100) * 100
    assert row["income_pc_fen"] == 695000
    assert row["policy_share"] == pytest.approx(700 / 13900)


def test_medical_reimbursement_counted_only_when_parameter_says_so():
    i = income("H1", wage=8000, transfer_income=500, medical_reimb=500)
    hs, ms = [household("H1")], [member("H1")]
    assert income_row(hs, ms, [i]).loc["H1", "income_pc"] == 8000.0
    p = params()
    p["income"]["count_medical_reimbursement"] = True
    assert income_row(hs, ms, [i], p).loc["H1", "income_pc"] == 8500.0


def test_recorded_total_used_when_items_blank():
    row = income_row([household("H1")], [member("H1")], [income("H1", wage=1000, transfer_income=2500)]).loc["H1"]
    assert row["income_pc"] == 3500.0
    assert row["policy_share"] == pytest.approx(2500 / 3500)


def test_divisor_is_active_members_not_recorded_count():
    ms = [member("H1"), member("H1", age=30), member("H1", age=70, member_status="自然减少", change_reason="死亡")]
    row = income_row([household("H1")], ms, [income("H1", wage=9000, n_members=3, disposable_pc_recorded=3000.0)]).loc[
        "H1"
    ]
    assert row["active_n"] == 2 and row["recorded_n"] == 3
    assert row["income_pc"] == 4500.0
    assert row["income_diff"] == -1500.0 and bool(row["income_finding"])


def test_police_death_before_reference_date_leaves_divisor():
    m1, m2 = member("H1"), member("H1", age=30)
    police = [dict(id_no=m2["id_no"], hukou_status="死亡", change_date=pd.Timestamp("2019-09-30"))]
    r = audit_county(county([household("H1")], [m1, m2], [income("H1", wage=9000)], police=police), params())
    assert r.income.set_index("hh_id").loc["H1", "active_n"] == 1
    assert r.income.set_index("hh_id").loc["H1", "income_pc"] == 9000.0
    d = r.dynamic
    assert list(d["kind"]) == ["自然减少"] and d["person_id"].iloc[0] == m2["person_id"]
    assert "死亡（变动日期2019-09-30）" in d["basis"].iloc[0]
    # a death after the reference date does not count yet
    police[0]["change_date"] = pd.Timestamp("2019-10-01")
    r = audit_county(county([household("H1")], [m1, m2], [income("H1", wage=9000)], police=police), params())
    assert r.income.set_index("hh_id").loc["H1", "active_n"] == 2 and r.dynamic.empty


@pytest.mark.parametrize("recorded,finding", [(9001.00, False), (8999.00, False), (9001.01, True), (8998.99, True)])
def test_income_finding_tolerance_boundary(recorded, finding):
    row = income_row([household("H1")], [member("H1")], [income("H1", wage=9000, disposable_pc_recorded=recorded)]).loc[
        "H1"
    ]
    assert bool(row["income_finding"]) is finding
    assert row["income_diff"] == pytest.approx(recorded - 9000)


def test_duplicated_or_empty_income_rows_give_no_verdict_income():
    hs = [household("D1"), household("E1"), household("OK")]
    ms = [member("D1"), member("E1"), member("OK")]
    inc = [
        income("D1", wage=1000),
        income("D1", wage=20000),
        income("OK"),
        income("OK", year=2018, wage=1),
        dict(hh_id="E1", year=2019),
    ]
    r = audit_county(county(hs, ms, inc), params())
    t = r.income.set_index("hh_id")
    assert t.loc[["D1", "E1"], "income_pc_fen"].isna().all()
    assert t.loc["OK", "income_pc"] == 20000.0
    assert any("重复" in n for n in r.notes) and any("全部为空" in n for n in r.notes)


def test_income_view_columns_exact():
    r = audit_county(county([household("H1")], [member("H1")], [income("H1")]), params())
    assert list(r.income.columns) == [
        "hh_id",
        "township",
        "village",
        "head_name",
        "exit_status",
        "active_n",
        "recorded_n",
        "disposable_fen",
        "income_pc_fen",
        "income_pc",
        "recorded_pc",
        "income_diff",
        "policy_share",
        "income_finding",
    ]


# --- the parameter file ------------------------------------------------------------------------------------------
def test_params_2019_loads_and_every_audit_key_is_read():
    p = load_params(year=2019)
    ap = audit_params(p)
    assert ap.exit_fen == 840000 and ap.return_fen == 400000 and ap.stable_fen == 1008000
    assert ap.income_tolerance_fen == 100
    assert ap.reference_date == pd.Timestamp("2019-09-30") and ap.year_end == pd.Timestamp("2019-12-31")
    assert ap.unsafe_house_levels == ("C", "D") and ap.unhardened_road_types == ("泥土路",)
    assert set(ap.need_days) == {
        "义务教育失学辍学",
        "未参加基本医疗保险",
        "大病保障未落实",
        "住房不安全（改造中）",
        "住房不安全（未改造）",
        "饮水不安全",
        "兜底保障未落实",
    }


def _raw():
    with open(default_params_file(2019), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.mark.parametrize("section", [s for s, keys in SPEC.items() if keys])
def test_params_unknown_key_is_an_error(section):
    raw = _raw()
    raw[section]["typo_key"] = 1
    with pytest.raises(InputError, match="未知参数"):
        validate_params(raw)


@pytest.mark.parametrize("section,key", [(s, k) for s, keys in SPEC.items() if keys for k in keys])
def test_params_missing_key_is_an_error(section, key):
    raw = _raw()
    del raw[section][key]
    with pytest.raises(InputError, match=f"缺少参数：{section}.{key}"):
        validate_params(raw)


def test_params_missing_need_days_is_an_error():
    raw = copy.deepcopy(_raw())
    del raw["needs"]["饮水不安全"]
    with pytest.raises(InputError, match="饮水不安全"):
        validate_params(raw)
