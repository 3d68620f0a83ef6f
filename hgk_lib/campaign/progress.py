"""Progress queries for the city summary (campaign.md §4): DataFrames with Chinese headers, straight from the record.

* :func:`state_table` — per county × department: items by state, overdue, 整改不实, closure rate (已销号 / all);
* :func:`stage_timeline` — each stage's dates, days left at ``as_of``, counties whose first audit is in by then;
* :func:`open_curve` — open items after every run (one point per audit / collect / spot-check run);
* :func:`claims_vs_city` — each county's claimed closures next to what the city's spot check found.

All aggregate in SQLite over indexed columns (``items(county, department, state, deadline)``), so a province-size
record (≈ 2 M items) answers in seconds (``bench/bench_campaign.py``).
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from .spotcheck import CONCLUSION_SOURCES, SOURCE as SPOT_SOURCE
from .states import CLOSED, STATES

STAGES = [
    ("动员部署", None, "mobilise", "各县工作方案报市"),
    ("组织实施", None, "implement", "县级核查、入户核实、整改，县总结报市"),
    ("抽查", "spot_check_from", "spot_check_to", "市抽查，整改意见反馈各县"),
    ("报告", None, "report", "书面报告报省"),
]


def state_table(con: sqlite3.Connection, as_of) -> pd.DataFrame:
    """县 · 责任部门 · 未整改 · 整改中 · 已整改 · 整改不实 · 已销号 · 合计 · 逾期 · 销号率 (one row per county ×
    department, then a 全市 total row)."""
    day = str(pd.Timestamp(as_of).date())
    raw = pd.read_sql_query(
        "SELECT county, COALESCE(department, '（未指定）') AS department, state, COUNT(*) AS n, "
        "SUM(CASE WHEN state != '已销号' AND deadline IS NOT NULL AND deadline < ? THEN 1 ELSE 0 END) AS overdue "
        "FROM items GROUP BY county, department, state",
        con,
        params=(day,),
    )
    cols = ["县", "责任部门", "未整改", "整改中", "已整改", "整改不实", "已销号", "合计", "逾期", "销号率"]
    if raw.empty:
        return pd.DataFrame(columns=cols)
    wide = raw.pivot_table(index=["county", "department"], columns="state", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=STATES, fill_value=0)
    wide["合计"] = wide[STATES].sum(axis=1)
    wide["逾期"] = raw.groupby(["county", "department"])["overdue"].sum().reindex(wide.index).fillna(0).astype(int)
    total = wide.sum().to_frame().T
    total.index = pd.MultiIndex.from_tuples([("全市", "全部")])
    wide = pd.concat([wide, total])
    wide["销号率"] = (wide[CLOSED] / wide["合计"].where(wide["合计"] > 0)).round(4)
    out = wide.reset_index()
    out.columns = ["县", "责任部门", *out.columns[2:]]
    for c in cols[2:9]:
        out[c] = out[c].astype(int)
    return out[cols]


def stage_timeline(con: sqlite3.Connection | None, params: dict, as_of) -> pd.DataFrame:
    """阶段 · 开始 · 截止 · 内容 · 状态 (已结束 / 进行中 / 未开始) · 剩余天数 · 按期完成县数 · 县数.

    按期完成县数: counties whose first audit run (the county-level outputs) is dated (its ``as_of``) on or before the
    stage's end."""
    st = params.get("stages") or {}
    day = pd.Timestamp(as_of).normalize()
    first = pd.DataFrame(columns=["county", "first"])
    if con is not None:
        first = pd.read_sql_query(
            "SELECT county, MIN(COALESCE(as_of, started_at)) AS first FROM runs WHERE kind = 'audit' GROUP BY county",
            con,
        )  # the day the run treated as today
    firsts = pd.to_datetime(first["first"], errors="coerce", utc=True).dt.tz_localize(None).dt.normalize()
    rows = []
    prev_end = None
    for name, start_key, end_key, what in STAGES:
        end = pd.Timestamp(st[end_key]) if st.get(end_key) else None
        start = (
            pd.Timestamp(st[start_key])
            if start_key and st.get(start_key)
            else (prev_end + pd.Timedelta(days=1) if prev_end is not None else None)
        )
        status = (
            None
            if end is None
            else ("已结束" if day > end else ("未开始" if start is not None and day < start else "进行中"))
        )
        rows.append(
            {
                "阶段": name,
                "开始": None if start is None else start.date().isoformat(),
                "截止": None if end is None else end.date().isoformat(),
                "内容": what,
                "状态": status,
                "剩余天数": None if end is None else max(int((end - day).days), 0),
                "按期完成县数": int((firsts <= end).sum()) if end is not None and name == "组织实施" else None,
                "县数": len(first),
            }
        )
        prev_end = end
    return pd.DataFrame(rows)


def open_curve(con: sqlite3.Connection) -> pd.DataFrame:
    """运行序号 · 类型 · 时间 · 按日 · 未销号事项 · 已销号事项 · 整改不实: after every run, all counties (a county's
    count carries forward from its last run)."""
    runs = pd.read_sql_query("SELECT run_id, kind, started_at, as_of FROM runs ORDER BY run_id", con)
    rc = pd.read_sql_query("SELECT run_id, county, state, n FROM run_counts", con)
    cols = ["运行序号", "类型", "时间", "按日", "未销号事项", "已销号事项", "整改不实"]
    if runs.empty or rc.empty:
        return pd.DataFrame(columns=cols)
    rc["open"] = np.where(rc["state"] != CLOSED, rc["n"], 0)
    rc["closed"] = np.where(rc["state"] == CLOSED, rc["n"], 0)
    rc["bad"] = np.where(rc["state"] == "整改不实", rc["n"], 0)
    per = rc.groupby(["run_id", "county"])[["open", "closed", "bad"]].sum()
    out = {}
    for k in ("open", "closed", "bad"):
        w = per[k].unstack("county").reindex(runs["run_id"]).ffill().fillna(0)
        out[k] = w.sum(axis=1).astype(int).to_numpy()
    kinds = runs["kind"].map({"audit": "核查", "collect": "读回", "spot_check": "抽查"})
    res = pd.DataFrame(
        {
            "运行序号": runs["run_id"],
            "类型": kinds,
            "时间": runs["started_at"],
            "按日": runs["as_of"],
            "未销号事项": out["open"],
            "已销号事项": out["closed"],
            "整改不实": out["bad"],
        }
    )
    return res[runs["run_id"].isin(rc["run_id"]).to_numpy()].reset_index(drop=True)


def claims_vs_city(con: sqlite3.Connection) -> pd.DataFrame:
    """县 · 县报已整改事项 · 其中整改不实 · 市抽查发现问题户 · 其中县已报整改或已销号 · 其中县未发现."""
    claims = pd.read_sql_query(
        "SELECT county, SUM(claimed_closed) AS claimed, "
        "SUM(CASE WHEN claimed_closed = 1 AND state = '整改不实' THEN 1 ELSE 0 END) AS bad "
        "FROM items GROUP BY county",
        con,
    )
    spot = pd.read_sql_query(
        "SELECT county, hh_id, rule_id AS conclusion FROM items WHERE source = ?", con, params=(SPOT_SOURCE,)
    )
    cols = ["县", "县报已整改事项", "其中整改不实", "市抽查发现问题户", "其中县已报整改或已销号", "其中县未发现"]
    if not spot.empty:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _spot (county TEXT, hh_id TEXT)")
        con.execute("DELETE FROM _spot")
        con.executemany(
            "INSERT INTO _spot VALUES (?, ?)",
            spot[["county", "hh_id"]].drop_duplicates().itertuples(index=False, name=None),
        )
        rel = pd.read_sql_query(
            "SELECT i.county, i.hh_id, i.source, i.state, i.claimed_closed FROM items i "
            "JOIN _spot s ON i.county = s.county AND i.hh_id = s.hh_id WHERE i.source != ?",
            con,
            params=(SPOT_SOURCE,),
        )
        src = spot.assign(source=spot["conclusion"].map(CONCLUSION_SOURCES)).explode("source")
        m = rel.merge(src[["county", "hh_id", "source"]], on=["county", "hh_id", "source"])
        claimed = m[(m["claimed_closed"] == 1) | m["state"].isin(["已整改", CLOSED])]
        hh = spot.drop_duplicates(["county", "hh_id"])
        key = pd.MultiIndex.from_frame(hh[["county", "hh_id"]])
        hh = hh.assign(
            c=key.isin(pd.MultiIndex.from_frame(claimed[["county", "hh_id"]])),
            r=key.isin(pd.MultiIndex.from_frame(m[["county", "hh_id"]])),
        )
        city = hh.groupby("county").agg(found=("hh_id", "size"), c=("c", "sum"), nr=("r", lambda s: int((~s).sum())))
    else:
        city = pd.DataFrame(columns=["found", "c", "nr"])
    out = claims.set_index("county").join(city, how="outer").fillna(0).astype(int).reset_index()
    out.columns = cols
    return out
