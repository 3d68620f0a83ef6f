"""Small builders of canonical tables for rule tests (shared by every rules test module).

The tables follow ``hgk_lib/schema.py`` exactly: English keys, ``object`` strings, ``boolean`` yes/no, ``Int64``
integers, ``float64`` amounts, ``datetime64[ns]`` dates, ``_row`` (source row as Excel shows it, data from row 2)
and a ``<key>__raw`` companion for every code/yesno/date/multi column, holding the original text where the value
was not recognised.

Typical use::

    from helpers.rules_tables import make_member, make_household, make_ctx, make_id

    m = make_member(sex="女")                        # one row dict, valid defaults, overrides applied
    ctx = make_ctx({"household": [make_household()], "member": [m]})
    res = run_rule("R04", ctx)                       # (see helpers below)

Values given in a row dict are converted as the loader would: a code value outside its enumeration becomes NA
with the text kept in ``__raw`` (``make_member(sex="F")``), yes/no accepts True/False or 是/否 text, dates accept
``"2019-09-01"``, ``datetime.date`` or a ``Timestamp`` (unparseable text -> NaT + ``__raw``), multi-valued health
accepts ``"残疾,长期慢性病"``. ``drop=["birth_date"]`` removes a column entirely (an older export without it).
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from hgk_lib import schema as S

_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_C = "10X98765432"


def check_char(first17: str) -> str:
    return _C[sum(int(d) * w for d, w in zip(first17, _W)) % 11]


def make_id(birth: str = "19800101", sex: str = "男", region: str = "441881", seq: str | None = None) -> str:
    """A valid 18-character ID: region + birth (YYYYMMDD) + sequence (odd for 男) + check character."""
    if seq is None:
        seq = "123" if sex == "男" else "124"
    first17 = f"{region}{birth}{seq}"
    return first17 + check_char(first17)


def make_id15(birth6: str = "500101", sex: str = "男", region: str = "441881") -> str:
    """A 15-digit old-style ID (birth as YYMMDD, 19xx)."""
    return f"{region}{birth6}{'123' if sex == '男' else '124'}"


def bad_check(id18: str) -> str:
    """The same ID with a wrong check character."""
    right = id18[17]
    wrong = "0" if right != "0" else "1"
    return id18[:17] + wrong


# ---------------------------------------------------------------------------------------------------------------
# default rows (valid, consistent: a one-person exited household with income of 2019)
# ---------------------------------------------------------------------------------------------------------------
HEAD_ID = make_id("19800101", "男")


def make_member(**overrides) -> dict:
    row = dict(
        hh_id="H1",
        person_id="P1",
        name="张三",
        id_type="居民身份证",
        id_no=HEAD_ID,
        sex="男",
        birth_date="1980-01-01",
        relation="户主",
        ethnicity="汉族",
        education="初中",
        school_status="非在校生",
        out_of_school_reason=None,
        health="健康",
        disability_no=None,
        labour_skill="普通劳动力",
        work_status="省外务工",
        work_months=10.0,
        pwj_post=None,
        pwj_months=None,
        ins_resident=True,
        ins_employee=False,
        ins_critical=True,
        pension_insured=True,
        pension_receiving=False,
        dibao=False,
        tekun=False,
        soldier=False,
        member_status="正常",
        change_reason=None,
        change_date=None,
        phone="13800000000",
    )
    row.update(overrides)
    return row


def make_household(**overrides) -> dict:
    row = dict(
        hh_id="H1",
        county="英德市",
        township="大站镇",
        village="大站村",
        hamlet="一组",
        head_name="张三",
        head_id=HEAD_ID,
        hh_size=1,
        hh_type="一般脱贫户",
        id_standard="国家标准",
        main_cause="缺资金",
        other_causes=None,
        first_year=2016,
        exit_status="已脱贫（享受政策）",
        exit_year=2018,
        labour_type="有劳动能力",
        phone="13800000000",
        bank_name="农村信用社",
        bank_account="6228480000000000000",
        unsafe_house=False,
        house_level="A",
        house_area=80.0,
        safe_water=True,
        water_difficulty=False,
        power_living=True,
        power_production=True,
        road_distance_km=1.0,
        road_type="水泥路",
        sanitary_toilet=True,
        arable_mu=2.0,
        forest_mu=1.0,
        grain_to_green_mu=0.0,
        helper_name="李四",
        helper_phone="13900000000",
        last_visit="2019-08-01",
    )
    row.update(overrides)
    return row


def make_income(**overrides) -> dict:
    """Income row of 2019 whose recorded totals agree with D* (10000 wage, 1 member)."""
    row = dict(
        hh_id="H1",
        year=2019,
        n_members=1,
        wage=10000.0,
        wage_pwj=0.0,
        business_income=0.0,
        business_cost=0.0,
        property_income=0.0,
        property_dividend=0.0,
        transfer_income=0.0,
        family_planning=0.0,
        dibao_income=0.0,
        tekun_income=0.0,
        pension_income=0.0,
        eco_comp=0.0,
        medical_reimb=0.0,
        other_transfer=0.0,
        transfer_out=0.0,
        disposable_recorded=10000.0,
        disposable_pc_recorded=10000.0,
        data_source="入户核实",
    )
    row.update(overrides)
    return row


def make_income_years(hh_id: str = "H1", years=range(2016, 2020), **overrides) -> list[dict]:
    return [make_income(hh_id=hh_id, year=y, **overrides) for y in years]


def make_measure(**overrides) -> dict:
    row = dict(
        hh_id="H1",
        year=2019,
        category="产业帮扶",
        content="种养补助",
        project_id="XM001",
        amount=2000.0,
        start_date="2019-03-01",
        end_date="2019-06-30",
        status="已完成",
        stage="巩固提升",
    )
    row.update(overrides)
    return row


def make_project(**overrides) -> dict:
    row = dict(
        project_id="XM001",
        name="产业奖补",
        category="产业发展",
        to_household=True,
        township="大站镇",
        village="大站村",
        year=2019,
        planned_invest_wan=10.0,
        fund_source="财政专项",
        implementer="县扶贫办",
        performance_goal="户均增收",
        beneficiary_hh=1,
        beneficiary_people=1,
        status="已验收",
        publicized=True,
        start_date="2019-03-01",
        end_date="2019-06-30",
    )
    row.update(overrides)
    return row


# ---------------------------------------------------------------------------------------------------------------
# conversion to canonical dtypes
# ---------------------------------------------------------------------------------------------------------------
def _norm_id(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v).strip()
    if s.startswith("'"):
        s = s[1:]
    m = re.fullmatch(r'="(.*)"', s)
    if m:
        s = m.group(1)
    s = s.strip().upper()
    return s or None


def _blank(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and S.normalise_header(v).upper() in S.BLANK_LIKES


def _convert(col: S.Column, values: list):
    """-> (canonical Series values, raw list or None)."""
    raw = [None] * len(values)
    out = []
    for i, v in enumerate(values):
        if col.kind in ("code",):
            if _blank(v):
                out.append(None)
                continue
            m = S.code_map(col.enum)
            key = S.normalise_header(str(v))
            if key in m:
                out.append(m[key])
            else:
                out.append(None)
                raw[i] = str(v)
        elif col.kind == "multi":
            if _blank(v):
                out.append(None)
                continue
            m = S.code_map(col.enum)
            parts = [S.normalise_header(p) for p in re.split(S.MULTI_SEPARATORS, str(v)) if p.strip()]
            known = [m[p] for p in parts if p in m]
            if len(known) < len(parts):
                raw[i] = str(v)
            labels = [lab for lab in S.ENUMS[col.enum] if lab in known]
            out.append(",".join(labels) if labels else None)
        elif col.kind == "yesno":
            if isinstance(v, (bool, np.bool_)):
                out.append(bool(v))
            elif _blank(v):
                out.append(None)
            else:
                key = S.normalise_header(str(v)).upper()
                if key in S.YES_VALUES:
                    out.append(True)
                elif key in S.NO_VALUES:
                    out.append(False)
                else:
                    out.append(None)
                    raw[i] = str(v)
        elif col.kind == "date":
            if _blank(v):
                out.append(pd.NaT)
                continue
            ts = pd.to_datetime(v, errors="coerce") if not isinstance(v, str) else None
            if isinstance(v, str):
                for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"):
                    try:
                        ts = pd.Timestamp(dt.datetime.strptime(v.strip(), fmt))
                        break
                    except ValueError:
                        ts = None
            if ts is None or pd.isna(ts) or not (1900 <= ts.year <= 2100):
                out.append(pd.NaT)
                raw[i] = str(v)
            else:
                out.append(ts)
        elif col.kind == "id":
            out.append(_norm_id(v))
        elif col.kind == "int":
            out.append(None if _blank(v) else int(v))
        elif col.kind == "amount":
            out.append(np.nan if _blank(v) else float(v))
        else:  # text
            out.append(None if _blank(v) else str(v).strip())
    return out, (raw if col.kind in ("code", "yesno", "date", "multi") else None)


def make_table(name: str, rows: list[dict], drop=()) -> pd.DataFrame:
    """Canonical table ``name`` from row dicts (keys = English column keys; ``<key>__raw`` may be given).

    Columns: every schema column that any row mentions (in schema order), minus ``drop``; ``_row`` from 2.
    """
    table = S.TABLES[name]
    rows = [dict(r) for r in rows]
    keys = [c.key for c in table.columns if any(c.key in r for r in rows) and c.key not in drop]
    if not rows:  # an empty table with every column
        keys = [c.key for c in table.columns if c.key not in drop]
    data: dict[str, pd.Series] = {}
    n = len(rows)
    idx = pd.RangeIndex(n)
    for key in keys:
        col = table.column(key)
        values, raw = _convert(col, [r.get(key) for r in rows])
        if col.kind in ("text", "id", "code", "multi"):
            s = pd.Series(values, index=idx, dtype=object)
        elif col.kind == "yesno":
            s = pd.Series(values, index=idx, dtype="boolean")
        elif col.kind == "date":
            s = pd.Series(values, index=idx, dtype="datetime64[ns]")
        elif col.kind == "int":
            s = pd.Series(values, index=idx, dtype="Int64")
        else:
            s = pd.Series(values, index=idx, dtype="float64")
        data[key] = s
        if raw is not None:
            given = [r.get(S.raw_col(key)) for r in rows]
            raw = [g if g is not None else x for g, x in zip(given, raw)]
            data[S.raw_col(key)] = pd.Series(raw, index=idx, dtype=object)
    data[S.ROW_COL] = pd.Series(np.arange(2, n + 2), index=idx, dtype="int64")
    return pd.DataFrame(data, index=idx)


def make_tables(tables: dict) -> dict[str, pd.DataFrame]:
    """``{name: list_of_row_dicts | DataFrame}`` -> canonical DataFrames. ``(rows, drop)`` tuples drop columns."""
    out = {}
    for name, rows in tables.items():
        if isinstance(rows, pd.DataFrame):
            out[name] = rows
        elif isinstance(rows, tuple):
            out[name] = make_table(name, rows[0], drop=rows[1])
        else:
            out[name] = make_table(name, rows)
    return out


def make_ctx(
    tables: dict,
    county: str = "441881_英德市",
    others: dict | None = None,
    quarantined_hh=None,
    year_params: dict | None = None,
    **rule_params,
):
    """A :class:`RuleContext` over the given tables with the default parameters (2019).

    ``rule_params`` override catalogue parameters for every rule that declares them, e.g. ``age_max=100``.
    ``others``: ``{county_folder: member rows or DataFrame}`` for R09.
    """
    from hgk_lib.rules import make_context

    yp = year_params or {"year": {"audit_year": 2019, "reference_date": "2019-09-30", "school_cutoff": "08-31"}}
    oth = {k: (v if isinstance(v, pd.DataFrame) else make_table("member", v)) for k, v in (others or {}).items()}
    return make_context(
        make_tables(tables), yp, county, others=oth, quarantined_hh=quarantined_hh, overrides=rule_params or None
    )


def run_one(rule_id: str, tables: dict, **kw):
    """Run a single rule through the engine; returns the :class:`RuleResult` (findings + one summary row)."""
    from hgk_lib.rules import run_rules

    ctx = tables if not isinstance(tables, dict) else make_ctx(tables, **kw)
    return run_rules(ctx, only=[rule_id])


def fired(rule_id: str, tables: dict, part: str | None = None, **kw) -> pd.DataFrame:
    """The findings of one rule (optionally only one lettered part)."""
    f = run_one(rule_id, tables, **kw).findings
    return f if part is None else f[f["part"] == part]


def summary_row(rule_id: str, tables: dict, **kw) -> dict:
    s = run_one(rule_id, tables, **kw).summary
    return s.iloc[0].to_dict()
