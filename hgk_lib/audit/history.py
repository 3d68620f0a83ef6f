"""Measures history (帮扶措施核对): every missing household-year, one definition with rules R73-R75.

When the rule engine's findings are given, the view is exactly their R73/R74/R75 rows. Without findings it is
computed here by the same logic (rules_catalog.md):

* R73 (脱贫前): each year y in [S, L] without a measure; L = E − 1 for exited households with E, the audit year for
  未脱贫/返贫; S = max(measure first year, 首次识别年度).
* R74 (脱贫当年): exited with E in [measure first year, audit year] and no measure of year E with 实施状态 已完成.
* R75 (巩固提升): 已脱贫（享受政策） with E; each year y in [max(E + 1, S), audit year] without a measure.

Each missing year also shows that year's per-capita income against that year's exit line (reporting only, as
audit_standards.md says): ``income.exit_line`` for the audit year, ``income.earlier_exit_lines`` for the years
before it. The income is recomputed from that year's 收入信息 row by the verdict formula (in fen, half-up); the
divisor is the audit-active members for the audit year (the verdict income) and the row's 年度家庭人口数 for earlier
years (who was in the household then), the active members where it is blank. Duplicated (户编号, 年度) rows and
all-blank rows give no income (as for the verdict); a year without a line gives no comparison.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from .. import text as T
from .common import Base, col, div_half_up, fmt_line, fmt_yuan, isin, to_fen
from .income import MAIN_ITEMS, recompute_income

GAP_COLUMNS = ["hh_id", "year", "stage", "problem", "income_pc", "exit_line", "below_line"]
STAGE_BY_RULE = {"R73": "脱贫前", "R74": "脱贫当年", "R75": "巩固提升"}


def _problem(rule: pd.Series, year: pd.Series) -> pd.Series:
    y = year.astype("Int64").astype(str)
    return pd.Series(
        np.select(
            [rule == "R73", rule == "R74", rule == "R75"],
            [
                "脱贫前" + y + "年无帮扶措施",
                "脱贫当年" + y + "年无已完成的帮扶措施",
                "脱贫后享受政策的" + y + "年无帮扶措施",
            ],
            default="",
        ).astype(object),
        index=rule.index,
    )


def yearly_income(base: Base) -> pd.DataFrame:
    """Per (户编号, 年度) with one usable 收入信息 row: ``income_pc_fen`` (Int64), as the module docstring says."""
    inc = base.income
    empty = pd.DataFrame(
        {"hh_id": pd.Series(dtype=object), "year": pd.Series(dtype="Int64"), "income_pc_fen": pd.Series(dtype="Int64")}
    )
    if inc.empty or "year" not in inc:
        return empty
    rows = inc.assign(hh_id=col(inc, "hh_id"), _y=pd.to_numeric(inc["year"], errors="coerce"))
    rows = rows[T.isin(rows["hh_id"], base.households["hh_id"]) & rows["_y"].notna().to_numpy(dtype=bool)]
    rows = rows[~rows.duplicated(["hh_id", "_y"], keep=False)]
    present = [k for k in MAIN_ITEMS if k in rows]
    if not present:
        return empty
    rows = rows[rows[present].notna().any(axis=1)]
    calc = recompute_income(rows, base.p.count_medical)
    active = rows["hh_id"].map(base.households.set_index("hh_id")["A"]).astype("Int64")
    recorded = (
        pd.to_numeric(rows["n_members"], errors="coerce").astype("Int64")
        if "n_members" in rows
        else pd.Series(pd.NA, index=rows.index, dtype="Int64")
    )
    audit_year = (rows["_y"] == base.p.audit_year).to_numpy(dtype=bool)
    use_recorded = (~audit_year) & (recorded > 0).fillna(False).to_numpy(dtype=bool)
    divisor = active.where(~use_recorded, recorded)
    pc = div_half_up(pd.Series(calc["disposable_fen"], dtype="Int64"), divisor)
    return pd.DataFrame(
        {
            "hh_id": rows["hh_id"].to_numpy(dtype=object),
            "year": pd.array(rows["_y"].astype(int).to_numpy(), dtype="Int64"),
            "income_pc_fen": pd.array(pc.to_numpy(), dtype="Int64"),
        }
    )


def _with_income(df: pd.DataFrame, base: Base) -> pd.DataFrame:
    """Each gap with that year's income (yuan), that year's exit line and ``below_line`` (nullable)."""
    df = df.merge(yearly_income(base), on=["hh_id", "year"], how="left")
    years = df["year"].dropna().astype(int).unique()
    lines = {int(y): base.p.exit_line_of(int(y)) for y in years}  # a few years, not households
    line = df["year"].map(lambda y: None if pd.isna(y) else lines.get(int(y))).astype(float)
    line_fen = to_fen(line)
    fen = df["income_pc_fen"].astype("Int64")
    below = (fen < line_fen).astype("boolean")
    known = fen.notna() & line_fen.notna()
    yuan = fmt_yuan(fen)
    line_txt = pd.Series([fmt_line(x) if pd.notna(x) else "" for x in lines.values()], index=list(lines), dtype=object)
    line_txt = df["year"].map(line_txt).fillna("").astype(object)
    word = pd.Series(np.where(below.fillna(False).to_numpy(dtype=bool), "低于", "达到"), index=df.index, dtype=object)
    note = "（当年人均可支配收入" + yuan.astype(object) + "元，" + word + "当年脱贫线" + line_txt + "元）"
    return df.assign(
        problem=df["problem"].astype(object) + note.where(known, "").astype(object),
        income_pc=fen.astype("Float64").astype(float) / 100.0,
        exit_line=line,
        below_line=below,
    )


def _finish(df: pd.DataFrame, base: Base) -> pd.DataFrame:
    df = df.assign(year=df["year"].astype("Int64"))
    df = df.assign(stage=df["rule_id"].map(STAGE_BY_RULE), problem=_problem(df["rule_id"], df["year"]))
    df = _with_income(df, base)
    return df.sort_values(["hh_id", "year"], kind="stable")[GAP_COLUMNS].reset_index(drop=True)


def gaps_from_findings(base: Base, findings: pd.DataFrame) -> pd.DataFrame:
    f = findings[findings["rule_id"].isin(list(STAGE_BY_RULE))]
    year = pd.to_numeric(f["year"], errors="coerce") if "year" in f else pd.Series(np.nan, index=f.index)
    # R74 is one finding per household: its year is the exit year
    e = (
        f["hh_id"].map(base.households.set_index("hh_id")["exit_year"])
        if "exit_year" in base.households
        else pd.Series(np.nan, index=f.index)
    )
    year = year.where(year.notna() | (f["rule_id"] != "R74"), pd.to_numeric(e, errors="coerce"))
    df = pd.DataFrame(
        {
            "hh_id": f["hh_id"].astype(object).to_numpy(dtype=object),
            "year": year.to_numpy(),
            "rule_id": f["rule_id"].to_numpy(dtype=object),
        }
    )
    return _finish(df.drop_duplicates(), base)


def compute_gaps(base: Base) -> pd.DataFrame:
    """R73-R75 evaluated here (used when no findings are given)."""
    p, h = base.p, base.households
    first = p.measure_first_year
    fy = pd.to_numeric(h["first_year"], errors="coerce") if "first_year" in h else pd.Series(np.nan, index=h.index)
    start = np.maximum(fy.fillna(first).to_numpy(dtype=float), first)
    e = (
        pd.to_numeric(h["exit_year"], errors="coerce").to_numpy(dtype=float)
        if "exit_year" in h
        else np.full(len(h), np.nan)
    )
    status = col(h, "exit_status")
    exited = status.isin(S.EXITED).to_numpy(dtype=bool)
    open_ = status.isin([S.EXIT_NOT, S.EXIT_RETURNED]).to_numpy(dtype=bool)
    enjoy = (status == S.EXIT_ENJOY).fillna(False).to_numpy(dtype=bool)
    hh = pd.DataFrame(
        {
            "hh_id": h["hh_id"].to_numpy(dtype=object),
            "S": start,
            "E": e,
            "exited": exited,
            "open": open_,
            "enjoy": enjoy,
        }
    )
    years = pd.DataFrame({"year": np.arange(first, p.audit_year + 1)})
    grid = hh.merge(years, how="cross")
    ms = base.measures
    if not ms.empty and "year" in ms:
        my = pd.DataFrame(
            {
                "hh_id": col(ms, "hh_id").to_numpy(dtype=object),
                "year": pd.to_numeric(ms["year"], errors="coerce").to_numpy(dtype=float),
                "done": isin(ms, "status", ["已完成"]).to_numpy(dtype=bool),
            }
        )
    else:
        my = pd.DataFrame(
            {"hh_id": pd.Series(dtype=object), "year": pd.Series(dtype=float), "done": pd.Series(dtype=bool)}
        )
    per_year = my.groupby(["hh_id", "year"], as_index=False)["done"].any().rename(columns={"done": "_done"})
    grid = grid.assign(year=grid["year"].astype(float)).merge(
        per_year.assign(_has=True), on=["hh_id", "year"], how="left"
    )
    has = grid["_has"].fillna(False).to_numpy(dtype=bool)
    done = grid["_done"].fillna(False).to_numpy(dtype=bool)
    y = grid["year"].to_numpy(dtype=float)
    E = grid["E"].to_numpy(dtype=float)
    S_ = grid["S"].to_numpy(dtype=float)
    exited_e = grid["exited"].to_numpy(dtype=bool) & ~np.isnan(E)
    last = np.where(exited_e, E - 1, np.where(grid["open"].to_numpy(dtype=bool), p.audit_year, -np.inf))
    r73 = (y >= S_) & (y <= last) & ~has
    r74 = exited_e & (E >= first) & (E <= p.audit_year) & (y == E) & ~done
    r75 = grid["enjoy"].to_numpy(dtype=bool) & ~np.isnan(E) & (y >= np.maximum(E + 1, S_)) & ~has
    gaps = [
        grid.loc[r73, ["hh_id", "year"]].assign(rule_id="R73"),
        grid.loc[r74, ["hh_id", "year"]].assign(rule_id="R74"),
        grid.loc[r75, ["hh_id", "year"]].assign(rule_id="R75"),
    ]
    df = pd.concat(gaps, ignore_index=True)
    return _finish(df, base)


def measure_gaps(base: Base, findings: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    if findings is not None:
        return gaps_from_findings(base, findings), []
    return compute_gaps(base), ["未提供规则检查结果：帮扶措施核对按规则R73–R75的口径在核查中计算"]
