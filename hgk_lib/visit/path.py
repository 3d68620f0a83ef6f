"""脱贫路径: every household's measures and income year by year, from the first measures year (2016) to the audit
year (the campaign's "分年度呈现…帮扶措施和帮扶成效").

:func:`exit_path` is the one view: a long table, one row per (household, year), built once here and shared by the
visit form (入户核查表), the ledger's 收入核查 sheet (:func:`path_summary` gives one line per household) and the HTML
report (:func:`path_coverage` counts the gaps by year). A year with no measure after the household was identified
is a gap (``gap`` True, 备注 “无帮扶措施”); years before identification are marked 未识别, not gaps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..items import key_text
from ..derive import join_by

PATH_COLUMNS = [
    "hh_id",
    "year",
    "stage",
    "measures",
    "n_measures",
    "recorded_pc",
    "checked_pc",
    "data_source",
    "gap",
    "note",
]
GAP_NOTE = "无帮扶措施"
NOT_YET = "未识别"


def _years(first_year: int, audit_year: int) -> np.ndarray:
    return np.arange(int(first_year), int(audit_year) + 1)


def _per_year(c: pd.DataFrame) -> pd.DataFrame:
    """Per (hh_id, year) of ``c`` (category counts sorted by hh_id, year, category): the measures text (each
    category's ``txt`` joined with 、 in that order) and the number of measures."""
    h, y = c["hh_id"].to_numpy(dtype=object), c["year"].to_numpy()
    starts = np.flatnonzero(np.r_[True, (h[1:] != h[:-1]) | (y[1:] != y[:-1])]) if len(c) else np.array([], int)
    txt = pa.array(c["txt"].astype(str).to_numpy(dtype=object), type=pa.string())
    runs = pa.ListArray.from_arrays(pa.array(np.r_[starts, len(c)], type=pa.int32()), txt)
    return pd.DataFrame(
        {
            "hh_id": c["hh_id"].iloc[starts].to_numpy(),
            "year": y[starts],
            "measures": pd.array(pc.binary_join(runs, "、"), dtype="str"),
            "n_measures": np.add.reduceat(c["n"].to_numpy(), starts) if len(c) else np.array([], int),
        }
    )


def exit_path(
    households: pd.DataFrame,
    measures: pd.DataFrame | None,
    income: pd.DataFrame | None,
    *,
    first_year: int,
    audit_year: int,
    checked: pd.DataFrame | None = None,
    hh_ids: pd.Series | list | None = None,
) -> pd.DataFrame:
    """One row per (household, year) for ``first_year`` … ``audit_year`` (:data:`PATH_COLUMNS`).

    ``households``: hh_id, first_year (identification), exit_year; ``measures``: hh_id, year, category;
    ``income``: hh_id, year, disposable_pc_recorded, data_source (the registry's 收入信息); ``checked``: the audit's
    re-computed income (hh_id, income_pc) shown in the audit year; ``hh_ids``: restrict to these households
    (in this order); else every household in the table's order."""
    h = households[["hh_id"]].copy()
    h["hh_id"] = key_text(h["hh_id"])
    h["first"] = pd.to_numeric(households.get("first_year"), errors="coerce").to_numpy()
    h["exit"] = pd.to_numeric(households.get("exit_year"), errors="coerce").to_numpy()
    h = h.drop_duplicates("hh_id")
    if hh_ids is not None:
        want = pd.Series(list(dict.fromkeys(key_text(pd.Series(list(hh_ids), dtype=object)))), dtype=object)
        h = pd.DataFrame({"hh_id": want}).merge(h, on="hh_id", how="left")
    years = _years(first_year, audit_year)
    grid = pd.DataFrame(
        {
            "hh_id": np.repeat(h["hh_id"].to_numpy(), len(years)),
            "year": np.tile(years, len(h)),
            "first": np.repeat(h["first"].to_numpy(), len(years)),
            "exit": np.repeat(h["exit"].to_numpy(), len(years)),
        }
    )
    # measures by kind
    if measures is not None and len(measures):
        m = pd.DataFrame(
            {
                "hh_id": key_text(measures["hh_id"]),
                "year": pd.to_numeric(measures["year"], errors="coerce"),
                "category": key_text(measures["category"]).replace("", "未填类别"),
            }
        ).dropna(subset=["year"])
        m["year"] = m["year"].astype(int)
        c = m.groupby(["hh_id", "year", "category"], sort=True).size().rename("n").reset_index()
        c["txt"] = c["category"].where(c["n"] == 1, c["category"] + "×" + c["n"].astype(str))
        grid = grid.merge(_per_year(c), on=["hh_id", "year"], how="left")
    else:
        grid["measures"], grid["n_measures"] = None, np.nan
    grid["n_measures"] = grid["n_measures"].fillna(0).astype(int)
    # registry income per year (the first row of a duplicated household-year; the rule R32 reports duplicates)
    if income is not None and len(income):
        i = pd.DataFrame(
            {
                "hh_id": key_text(income["hh_id"]),
                "year": pd.to_numeric(income["year"], errors="coerce"),
                "recorded_pc": pd.to_numeric(income.get("disposable_pc_recorded"), errors="coerce"),
                "data_source": income.get("data_source"),
            }
        ).dropna(subset=["year"])
        i["year"] = i["year"].astype(int)
        i = i.drop_duplicates(["hh_id", "year"])
        grid = grid.merge(i, on=["hh_id", "year"], how="left")
    else:
        grid["recorded_pc"], grid["data_source"] = np.nan, None
    grid["checked_pc"] = np.nan
    if checked is not None and len(checked):
        ck = pd.Series(
            pd.to_numeric(checked["income_pc"], errors="coerce").to_numpy(), index=key_text(checked["hh_id"]).to_numpy()
        )
        ck = ck[~ck.index.duplicated()]
        last = grid["year"] == int(audit_year)
        grid.loc[last, "checked_pc"] = grid.loc[last, "hh_id"].map(ck).to_numpy(dtype=float)
    # stage and gaps
    y, first, ex = grid["year"], grid["first"], grid["exit"]
    before_id = first.notna() & (y < first)
    stage = np.select([before_id, ex.isna(), y < ex, y == ex], [NOT_YET, "未脱贫", "脱贫前", "脱贫当年"], "巩固提升")
    grid["stage"] = stage
    grid["gap"] = (grid["n_measures"] == 0) & ~before_id
    grid["note"] = np.where(grid["gap"], GAP_NOTE, np.where(before_id, "识别前", ""))
    grid["data_source"] = grid["data_source"].astype(object).where(grid["data_source"].notna(), None)
    return grid[PATH_COLUMNS].reset_index(drop=True)


def path_summary(path: pd.DataFrame) -> pd.DataFrame:
    """One line per household for a table cell (e.g. the ledger's 收入核查): ``2016 产业扶持 3,200.00；2017 无帮扶措施…``
    plus the gap years (hh_id, path_text, gap_years)."""
    if len(path) == 0:
        return pd.DataFrame(columns=["hh_id", "path_text", "gap_years"])
    income = pd.to_numeric(path["recorded_pc"], errors="coerce")
    money = income.map(lambda a: "" if pd.isna(a) else f" {a:,.0f}元")
    what = key_text(path["measures"]).where(~path["gap"], GAP_NOTE).where(path["stage"] != NOT_YET, NOT_YET)
    line = path["year"].astype(str) + " " + what + money
    g = pd.DataFrame({"hh_id": path["hh_id"], "line": line, "gy": path["year"].astype(str).where(path["gap"])})
    gy = g.dropna(subset=["gy"])
    out = pd.DataFrame({"path_text": join_by(g["line"], g["hh_id"], "；", sort=False)})
    out["gap_years"] = join_by(gy["gy"], gy["hh_id"], "、", sort=False).reindex(out.index).fillna("")
    return out.rename_axis("hh_id").reset_index()


def path_coverage(path: pd.DataFrame) -> pd.DataFrame:
    """Per year: households identified, households with measures, gaps (for the report's chart/table)."""
    if len(path) == 0:
        return pd.DataFrame(columns=["年度", "已识别户数", "有帮扶措施户数", "无帮扶措施户数"])
    p = path[path["stage"] != NOT_YET]
    g = p.groupby("year")
    return (
        pd.DataFrame(
            {
                "已识别户数": g.size(),
                "有帮扶措施户数": g["gap"].agg(lambda s: int((~s).sum())),
                "无帮扶措施户数": g["gap"].agg(lambda s: int(s.sum())),
            }
        )
        .rename_axis("年度")
        .reset_index()
    )
