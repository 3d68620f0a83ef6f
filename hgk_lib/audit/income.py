"""Income recomputation (audit_standards.md, "Income"): the verdict income, in fen, per household.

* 转移性收入 = the item sum (计划生育金 + 低保金 + 特困供养金 + 养老保险金 + 生态补偿金 + 其他转移性收入, plus
  医疗报销及救助金 only when ``count_medical_reimbursement``); where every item is blank, the recorded total.
* 家庭可支配收入 = 工资性 + 生产经营性 − |生产经营性支出| + 财产性 + 转移性 − 转移性支出 (blank = 0).
* divisor = audit-active members; per-capita income rounded half-up to the fen.
* policy share = the six policy items (or the recorded total where items are blank) / 家庭可支配收入.

This is deliberately not the record check of R35-R37 (which keeps 医疗报销 and divides by 年度家庭人口数).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from .. import text as T
from .common import Base, col, div_half_up, num, to_fen

INCOME_COLUMNS = [
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

POLICY_ITEMS = ["family_planning", "dibao_income", "tekun_income", "pension_income", "eco_comp", "other_transfer"]
MAIN_ITEMS = ["wage", "business_income", "business_cost", "property_income", "transfer_income"]


def _fen0(df: pd.DataFrame, key: str) -> pd.Series:
    """Column in fen with blank/absent = 0 (int64)."""
    return to_fen(num(df, key)).fillna(0).astype("int64")


def audit_income_rows(base: Base) -> tuple[pd.DataFrame, list[str]]:
    """The usable audit-year income row per household, and notes on rows left out.

    Left out (the household then has no verdict income): rows of unknown households (R32a), duplicated
    (户编号, 年度) rows (R32b: which one is true cannot be told), and rows whose five main amounts are all blank
    (R32e: an empty row is a missing record, not an income of zero).
    """
    notes: list[str] = []
    inc = base.income
    year = base.p.audit_year
    if inc.empty or "year" not in inc:
        return inc.iloc[0:0].assign(hh_id=pd.Series(dtype=object)), [f"收入信息无{year}年记录"]
    rows = inc[(pd.to_numeric(inc["year"], errors="coerce") == year).fillna(False).astype(bool)].copy()
    rows["hh_id"] = col(rows, "hh_id")
    rows = rows[T.isin(rows["hh_id"], base.households["hh_id"])]
    dup = rows["hh_id"].duplicated(keep=False)
    if dup.any():
        ids = sorted(set(rows.loc[dup, "hh_id"]))
        notes.append(
            f"{len(ids)}户的{year}年收入记录重复（规则R32），无法确定复核收入，按无收入记录处理："
            + "、".join(ids[:20])
            + ("等" if len(ids) > 20 else "")
        )
    rows = rows[~dup]
    present = [k for k in MAIN_ITEMS if k in rows]
    all_blank = (
        pd.concat([rows[k].isna() for k in present], axis=1).all(axis=1)
        if present
        else pd.Series(True, index=rows.index)
    )
    if all_blank.any():
        ids = sorted(set(rows.loc[all_blank, "hh_id"]))
        notes.append(
            f"{len(ids)}户的{year}年收入记录五项收入全部为空（规则R32），按无收入记录处理："
            + "、".join(ids[:20])
            + ("等" if len(ids) > 20 else "")
        )
    return rows[~all_blank], notes


def recompute_income(rows: pd.DataFrame, count_medical: bool) -> pd.DataFrame:
    """Per income row: ``disposable_fen`` (int64) and ``policy_fen`` (int64), indexed like ``rows``."""
    items_present = [k for k in S.INCOME_ITEMS if k in rows]
    if items_present:
        any_item = pd.concat([rows[k].notna() for k in items_present], axis=1).any(axis=1)
    else:
        any_item = pd.Series(False, index=rows.index)
    counted = POLICY_ITEMS + (["medical_reimb"] if count_medical else [])
    item_sum = sum((_fen0(rows, k) for k in counted), pd.Series(0, index=rows.index, dtype="int64"))
    policy_sum = sum((_fen0(rows, k) for k in POLICY_ITEMS), pd.Series(0, index=rows.index, dtype="int64"))
    total = _fen0(rows, "transfer_income")
    transfer = item_sum.where(any_item, total)
    policy = policy_sum.where(any_item, total)
    disposable = (
        _fen0(rows, "wage")
        + _fen0(rows, "business_income")
        - _fen0(rows, "business_cost").abs()
        + _fen0(rows, "property_income")
        + transfer
        - _fen0(rows, "transfer_out")
    )
    return pd.DataFrame(
        {"disposable_fen": disposable.astype("int64"), "policy_fen": policy.astype("int64")}, index=rows.index
    )


def income_table(base: Base) -> tuple[pd.DataFrame, list[str]]:
    """The 收入核查 view: one row per household (households without a usable audit-year row have blank income and
    ``income_finding`` True)."""
    rows, notes = audit_income_rows(base)
    calc = recompute_income(rows, base.p.count_medical)
    r = pd.DataFrame(
        {
            "hh_id": rows["hh_id"].to_numpy(dtype=object),
            "recorded_n": pd.array(
                pd.to_numeric(rows["n_members"], errors="coerce") if "n_members" in rows else [pd.NA] * len(rows),
                dtype="Int64",
            ),
            "disposable_fen": pd.array(calc["disposable_fen"].to_numpy(), dtype="Int64"),
            "policy_fen": pd.array(calc["policy_fen"].to_numpy(), dtype="Int64"),
            "recorded_pc_fen": pd.array(to_fen(num(rows, "disposable_pc_recorded")).to_numpy(), dtype="Int64"),
        }
    )
    h = base.households
    out = pd.DataFrame(
        {
            "hh_id": h["hh_id"].to_numpy(dtype=object),
            "township": col(h, "township").to_numpy(dtype=object),
            "village": col(h, "village").to_numpy(dtype=object),
            "head_name": col(h, "head_name").to_numpy(dtype=object),
            "exit_status": col(h, "exit_status").to_numpy(dtype=object),
            "active_n": h["A"].astype("int64").to_numpy(),
        }
    ).merge(r, on="hh_id", how="left")
    for c in ["recorded_n", "disposable_fen", "policy_fen", "recorded_pc_fen"]:
        out[c] = out[c].astype("Int64")
    out["income_pc_fen"] = div_half_up(out["disposable_fen"], pd.Series(out["active_n"], dtype="Int64"))
    out["income_pc"] = out["income_pc_fen"].astype("Float64").astype(float) / 100.0
    out["recorded_pc"] = out["recorded_pc_fen"].astype("Float64").astype(float) / 100.0
    diff_fen = out["recorded_pc_fen"] - out["income_pc_fen"]
    out["income_diff"] = diff_fen.astype("Float64").astype(float) / 100.0
    d = out["disposable_fen"].astype("Float64").astype(float)
    share = out["policy_fen"].astype("Float64").astype(float) / d
    out["policy_share"] = share.where(d > 0, np.nan)
    # a difference beyond the tolerance, or a value missing on either side (no usable row, no divisor, blank
    # recorded per-capita income): all need the county to look at the record
    out["income_finding"] = (diff_fen.abs() > base.p.income_tolerance_fen).fillna(True).astype(bool)
    return out, notes


def income_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The public column set of the income view."""
    return table[INCOME_COLUMNS].reset_index(drop=True)
