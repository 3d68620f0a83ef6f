"""Units of the integrity screen: villages (乡（镇）, 行政村) and 帮扶责任人 ((name, phone), or (name, 乡（镇）,
行政村) where the phone is blank), over the exited households of the audit year."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S

VILLAGE = "村"
HELPER = "帮扶责任人"
UNIT_TYPES = [VILLAGE, HELPER]

UNIT_COLUMNS = ["unit_id", "county", "unit_type", "township", "village", "helper_name", "helper_phone", "n_households"]


def _text(df: pd.DataFrame, key: str) -> pd.Series:
    if key not in df:
        return pd.Series("", index=df.index, dtype=object)
    s = df[key].astype(object).where(df[key].notna(), "")
    return s.astype(str).str.strip()


def exited_households(households: pd.DataFrame) -> pd.DataFrame:
    """The exited households (脱贫状态 已脱贫…), one row per 户编号 (of a duplicated 户编号 the first source row),
    with trimmed text keys: hh_id, county, township, village, helper_name, helper_phone (+ exit_year, last_visit
    where present)."""
    h = households
    if S.ROW_COL in h:
        h = h.sort_values(S.ROW_COL, kind="stable")
    ex = (
        h["exit_status"].astype(object).isin(S.EXITED).fillna(False).to_numpy(dtype=bool)
        if "exit_status" in h
        else np.zeros(len(h), dtype=bool)
    )
    h = h[ex & h["hh_id"].notna().to_numpy()]
    h = h[~h["hh_id"].astype(str).duplicated(keep="first").to_numpy()]
    out = pd.DataFrame(
        {
            k: _text(h, k).to_numpy(dtype=object)
            for k in ["hh_id", "county", "township", "village", "helper_name", "helper_phone"]
        }
    )
    if "exit_year" in h:
        out["exit_year"] = pd.to_numeric(h["exit_year"], errors="coerce").to_numpy(dtype=float)
    if "last_visit" in h:
        out["last_visit"] = pd.to_datetime(h["last_visit"], errors="coerce").to_numpy()
    return out.reset_index(drop=True)


def unit_membership(ex: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Units and membership.

    Returns ``units`` (:data:`UNIT_COLUMNS`; ``unit_id`` 0..U-1, villages first, sorted by county, township,
    village, helper) and ``members``: one row per (household position in ``ex``, unit) with columns ``pos``,
    ``unit_id`` (each household is in one village and in at most one 帮扶责任人 unit: none when the name is blank).
    """
    pos = np.arange(len(ex))
    vkey = pd.DataFrame(
        {
            "county": ex["county"],
            "unit_type": VILLAGE,
            "township": ex["township"],
            "village": ex["village"],
            "helper_name": "",
            "helper_phone": "",
        }
    )
    has_helper = (ex["helper_name"] != "").to_numpy()
    phone = ex["helper_phone"].to_numpy(dtype=object)
    no_phone = phone == ""
    hk = pd.DataFrame(
        {
            "county": ex["county"],
            "unit_type": HELPER,
            # with a phone, the helper is (name, phone) whatever the village; else (name, township, village)
            "township": np.where(no_phone, ex["township"], ""),
            "village": np.where(no_phone, ex["village"], ""),
            "helper_name": ex["helper_name"],
            "helper_phone": phone,
        }
    )
    keys = pd.concat([vkey, hk[has_helper]], ignore_index=True)
    kpos = np.r_[pos, pos[has_helper]]
    cols = ["county", "unit_type", "township", "village", "helper_name", "helper_phone"]
    codes = keys.groupby(cols, sort=True, dropna=False).ngroup().to_numpy()
    first = np.unique(codes, return_index=True)[1]
    units = keys.iloc[first][cols].reset_index(drop=True)
    # villages first
    order = np.lexsort((np.arange(len(units)), (units["unit_type"] != VILLAGE).to_numpy()))
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    units = units.iloc[order].reset_index(drop=True)
    units.insert(0, "unit_id", np.arange(len(units)))
    members = pd.DataFrame({"pos": kpos, "unit_id": remap[codes]})
    units["n_households"] = np.bincount(members["unit_id"], minlength=len(units)).astype(np.int64)
    # a 帮扶责任人 identified by phone: show the village(s) of their households
    hp = units.index[(units["unit_type"] == HELPER) & (units["helper_phone"] != "")]
    if len(hp):
        mm = members[members["unit_id"].isin(hp)]
        tv = pd.DataFrame(
            {
                "unit_id": mm["unit_id"].to_numpy(),
                "township": ex["township"].to_numpy()[mm["pos"]],
                "village": ex["village"].to_numpy()[mm["pos"]],
            }
        ).drop_duplicates()
        tv = tv.sort_values(["unit_id", "township", "village"], kind="stable")
        first = tv.drop_duplicates("unit_id").set_index("unit_id")
        nv = tv.groupby("unit_id").size()
        town, vill = first["township"].copy(), first["village"].copy()
        multi = nv.index[nv > 1]
        if len(multi):  # a helper across villages (rare): join the names
            mt = tv[tv["unit_id"].isin(multi)]
            town[multi] = mt.groupby("unit_id")["township"].agg(_join)
            vill[multi] = mt.groupby("unit_id")["village"].agg(_join)
        units.loc[first.index, "township"] = town.to_numpy()
        units.loc[first.index, "village"] = vill.to_numpy()
    return units[UNIT_COLUMNS], members


def _join(s: pd.Series) -> str:
    u = list(dict.fromkeys(s))
    return "、".join(u[:3]) + ("等" if len(u) > 3 else "")
