"""Small hand-written county fixtures for the audit tests (builders; imported by the test_audit_* modules).

A household is exited, safe, with water, power, a concrete road and one 40-year-old 普通劳动力 member unless a test
says otherwise. Income rows default to a wage income of ``wage`` yuan for the audit year.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd

from hgk_lib import derive as D
from hgk_lib import schema as S
from hgk_lib.params import load_params

REF = dt.date(2019, 9, 30)
EXITED = S.EXIT_ENJOY
_seq = itertools.count(1)


def params(**overrides):
    """The 2019 parameters; ``section__key=value`` overrides (``needs__饮水不安全=92``)."""
    p = load_params(year=2019)
    p = {k: (dict(v) if isinstance(v, dict) else v) for k, v in p.items()}
    for k, v in overrides.items():
        sec, key = k.split("__", 1)
        p[sec][key] = v
    return p


def make_id(birth: dt.date, region: str = "441881") -> str:
    seq = next(_seq) % 1000
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + D.check_char(pd.Series([first17])).iloc[0]


def birth_for_age(age: int, days_after: int = 0) -> dt.date:
    """Birth date giving exactly ``age`` on the reference date (``days_after`` > 0: one day too young)."""
    return dt.date(REF.year - age, REF.month, REF.day) + dt.timedelta(days=days_after)


def household(hh_id: str, status: str = EXITED, **kw) -> dict:
    row = dict(
        hh_id=hh_id,
        county="英德市",
        township="英城街道",
        village="城北村",
        head_name="户主" + hh_id,
        head_id=None,
        hh_size=1,
        hh_type="一般脱贫户",
        main_cause="缺资金",
        first_year=2016,
        exit_status=status,
        exit_year=2018 if status in S.EXITED else None,
        unsafe_house=False,
        house_level="A",
        safe_water=True,
        water_difficulty=False,
        power_living=True,
        road_distance_km=1.0,
        road_type="水泥路",
    )
    row.update(kw)
    return row


def member(
    hh_id: str,
    person_id: str | None = None,
    age: int = 40,
    skill: str = "普通劳动力",
    health: str = "健康",
    birth: dt.date | None = None,
    **kw,
) -> dict:
    b = birth or birth_for_age(age)
    row = dict(
        hh_id=hh_id,
        person_id=person_id or f"{hh_id}-{next(_seq)}",
        name="成员",
        id_type="居民身份证",
        id_no=make_id(b),
        sex="男",
        birth_date=pd.Timestamp(b),
        relation="户主",
        school_status="非在校生",
        health=health,
        labour_skill=skill,
        ins_resident=True,
        ins_employee=False,
        ins_critical=True,
        pension_receiving=True,
        dibao=False,
        tekun=False,
        soldier=False,
        member_status="正常",
    )
    row.update(kw)
    return row


def income(hh_id: str, wage: float = 20000.0, year: int = 2019, **kw) -> dict:
    row = dict(
        hh_id=hh_id,
        year=year,
        n_members=None,
        wage=wage,
        business_income=0.0,
        business_cost=0.0,
        property_income=0.0,
        transfer_income=0.0,
        transfer_out=0.0,
    )
    row.update(kw)
    return row


def measure(hh_id: str, year: int = 2019, category: str = "产业帮扶", **kw) -> dict:
    row = dict(hh_id=hh_id, year=year, category=category, status="已完成")
    row.update(kw)
    return row


_DTYPES = {
    "text": object,
    "id": object,
    "code": object,
    "multi": object,
    "yesno": "boolean",
    "date": "datetime64[ns]",
    "int": "Int64",
    "amount": "float64",
}


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """A canonical table: schema column order, schema dtypes, ``_row`` from 2."""
    t = S.TABLES[table]
    keys = [k for k in t.keys if any(k in r for r in rows)] if rows else [c.key for c in t.columns if c.required]
    data = {}
    for k in keys:
        kind = t.column(k).kind
        vals = [r.get(k) for r in rows]
        if kind == "yesno":
            data[k] = pd.array(vals, dtype="boolean")
        elif kind == "date":
            data[k] = pd.to_datetime(pd.Series(vals, dtype=object)).astype("datetime64[ns]")
        elif kind == "int":
            data[k] = pd.array(vals, dtype="Int64")
        elif kind == "amount":
            data[k] = pd.Series(vals, dtype=object).astype(float)
        else:
            data[k] = pd.Series(vals, dtype=object)
    df = pd.DataFrame(data, index=range(len(rows)))
    df[S.ROW_COL] = range(2, len(rows) + 2)
    return df


def county(households, members, incomes=None, measures=None, projects=None, **lists) -> dict:
    """Canonical tables for one county. ``households``/``members`` ... are lists of row dicts; every household gets
    audit-year measures by default so that measure checks stay quiet unless a test asks."""
    if measures is None:
        measures = [measure(h["hh_id"], y) for h in households for y in range(2016, 2020)]
    tables = {
        "household": frame("household", households),
        "member": frame("member", members),
        "income": frame("income", incomes if incomes is not None else []),
        "measure": frame("measure", measures),
        "project": frame("project", projects or []),
    }
    for name, rows in lists.items():
        tables[name] = frame(name, rows)
    return tables
