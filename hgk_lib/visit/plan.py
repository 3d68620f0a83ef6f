"""The visit plan's tables from its items: 走访清单 (one row per household), 按村汇总, items by department and the
trips saved by going once per household (campaign.md §1).
"""

from __future__ import annotations

import pandas as pd

from ..items import key_text
from .items import ITEM_COLUMNS
from ..derive import join_by

HOUSEHOLD_COLUMNS = [
    "hh_id",
    "township",
    "village",
    "head_name",
    "phone",
    "helper_name",
    "helper_phone",
    "last_visit",
    "n_items",
    "items",
    "income_check",
    "conclusion",
    "verified_income",
    "visitor",
    "visit_date",
    "remark",
]
VILLAGE_COLUMNS = ["township", "village", "households", "items", "income_households"]
UNKNOWN_PLACE = "（户信息缺失）"


def household_info(households: pd.DataFrame | None) -> pd.DataFrame:
    """hh_id (text) → township, village, head name, phones, helper and last visit (first row per household)."""
    cols = ["township", "village", "head_name", "phone", "helper_name", "helper_phone", "last_visit"]
    if households is None or "hh_id" not in households:
        return pd.DataFrame(columns=["hh_id", *cols])
    h = households.copy()
    h["hh_id"] = key_text(h["hh_id"])
    for c in cols:
        if c not in h:
            h[c] = None
    return h.drop_duplicates("hh_id")[["hh_id", *cols]].reset_index(drop=True)


def visit_households(items: pd.DataFrame, households: pd.DataFrame | None) -> pd.DataFrame:
    """走访清单: one row per household of ``items``, ordered 乡（镇） → 行政村 → 户编号; the columns for the team
    (走访结论 …) are blank."""
    if len(items) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HOUSEHOLD_COLUMNS})
    g = items.groupby("hh_id", sort=False)
    per = pd.DataFrame(
        {
            "n_items": g.size(),
            "items": join_by(items["short"], items["hh_id"], "；", sort=False),
            "income_check": g["income_check"].any(),
        }
    ).reset_index()
    out = per.merge(household_info(households), on="hh_id", how="left")
    for c in ("township", "village"):
        out[c] = out[c].astype(object).where(out[c].notna() & (key_text(out[c]) != ""), UNKNOWN_PLACE)
    out["income_check"] = out["income_check"].map({True: "是", False: "否"})
    for c in ("conclusion", "verified_income", "visitor", "visit_date", "remark"):
        out[c] = None
    out = out.sort_values(["township", "village", "hh_id"], kind="mergesort").reset_index(drop=True)
    return out[HOUSEHOLD_COLUMNS]


def order_items(items: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """核查事项 in the order of the 走访清单 (households), then the items' own order."""
    if len(items) == 0:
        return items
    pos = pd.Series(range(len(plan)), index=plan["hh_id"].to_numpy())
    o = items.assign(_p=items["hh_id"].map(pos), _i=range(len(items)))
    return o.sort_values(["_p", "_i"], kind="mergesort").drop(columns=["_p", "_i"]).reset_index(drop=True)


def village_summary(plan: pd.DataFrame) -> pd.DataFrame:
    """按村汇总: households to visit, items and households whose income must be verified, per village."""
    if len(plan) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in VILLAGE_COLUMNS})
    g = plan.assign(_inc=plan["income_check"] == "是").groupby(["township", "village"], sort=True)
    out = g.agg(households=("hh_id", "size"), items=("n_items", "sum"), income_households=("_inc", "sum"))
    return out.reset_index()[VILLAGE_COLUMNS].astype({"households": int, "items": int, "income_households": int})


def department_summary(items: pd.DataFrame) -> pd.DataFrame:
    """Items and households per responsible department (most items first)."""
    if len(items) == 0:
        return pd.DataFrame(columns=["责任部门", "事项数", "涉及户数"])
    g = items.groupby("department", sort=True)
    out = pd.DataFrame({"事项数": g.size(), "涉及户数": g["hh_id"].nunique()}).rename_axis("责任部门").reset_index()
    return out.sort_values(["事项数", "责任部门"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def trips_saved(items: pd.DataFrame) -> dict[str, int]:
    """Trips if every department went on its own (Σ households × their departments) against one visit per
    household; ``saved`` is the difference."""
    if len(items) == 0:
        return {"households": 0, "items": 0, "department_trips": 0, "visits": 0, "saved": 0}
    pairs = int(items[["hh_id", "department"]].drop_duplicates().shape[0])
    hh = int(items["hh_id"].nunique())
    return {"households": hh, "items": int(len(items)), "department_trips": pairs, "visits": hh, "saved": pairs - hh}


def check_items(items: pd.DataFrame) -> None:
    """Every item id unique, every item on a household (conservation of the plan)."""
    missing = [c for c in ITEM_COLUMNS if c not in items]
    if missing:
        raise ValueError(f"核查事项缺少列：{missing}")
    dup = items["item_id"][items["item_id"].duplicated()]
    if len(dup):
        raise ValueError(f"事项编号重复：{', '.join(dup.astype(str).head(5))}")
