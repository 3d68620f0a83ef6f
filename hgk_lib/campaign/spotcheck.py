"""The city's spot-check findings back to the counties (campaign.md §3).

:func:`record_spot_check` writes each confirmed problem (核查结论 ≠ 属实) into the record as a 市抽查 item
(department by conclusion; deadline = ``deadlines.spot_check_days`` after the evaluation date), moves the
household's items the county claimed 已整改 in the same area to 整改不实, and counts per county the confirmed
households the county had already closed or never raised (its accuracy). :func:`spot_check_sheet` gives the rows of
sheet 市抽查整改意见 of a county's next ledger.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from ..errors import InputError
from ..items import item_ids
from .record import Run, now_text, snapshot_counts, start_run, transaction
from .states import CLAIMED, CLOSED, ORIGIN_SPOT, insert_items, spot_check_moves, write_moves

SOURCE = "市抽查"
#: Conclusion → the audit sources whose items the city's finding bears on (for 整改不实 and accuracy).
CONCLUSION_SOURCES = {"收入不达标": ["收入"], "两不愁三保障未解决": ["三保障"], "信息不准确": ["规则", "数据真实性"]}
#: 三保障问题说明 naming a type → department (audit_standards.md routing); else 扶贫办.
NEED_DEPARTMENTS = [
    ("义务教育|失学|辍学|上学|教育", "教育局"),
    ("医疗|医保|大病|住院", "医疗保障局"),
    ("住房|危房|房屋", "住房城乡建设局"),
    ("饮水|吃水|自来水", "水务局"),
    ("兜底|低保|特困", "民政局"),
]
DEFAULT_DEPARTMENT = "扶贫办"
SPOT_SHEET = "市抽查整改意见"
SPOT_COLUMNS = [
    "户编号",
    "乡（镇）",
    "行政村",
    "户主姓名",
    "核查结论",
    "核实人均可支配收入",
    "三保障问题说明",
    "整改意见",
    "整改时限",
    "整改状态",
    "整改说明",
]
ADVICE = {
    "收入不达标": "核实家庭收入，落实产业、就业或兜底措施，使人均可支配收入稳定达到脱贫标准",
    "两不愁三保障未解决": "按三保障问题说明落实相关保障，限期解决",
    "信息不准确": "核实并更正扶贫系统中的信息",
}


def spot_check_days(params: dict) -> int:
    d = (params or {}).get("deadlines") or {}
    days = d.get("spot_check_days")
    if not isinstance(days, int) or isinstance(days, bool):
        raise InputError("参数文件缺少整数参数 deadlines.spot_check_days（抽查问题的整改天数）")
    return days


def department_of(conclusion: pd.Series, needs_note: pd.Series) -> pd.Series:
    """收入不达标 / 信息不准确 → 扶贫办; 两不愁三保障未解决 → by the type 三保障问题说明 names, else 扶贫办."""
    note = needs_note.astype(object).where(needs_note.notna(), "").astype(str)
    dept = pd.Series(DEFAULT_DEPARTMENT, index=conclusion.index, dtype=object)
    is_need = conclusion == "两不愁三保障未解决"
    for pattern, d in reversed(NEED_DEPARTMENTS):  # first pattern wins
        dept = dept.where(~(is_need & note.str.contains(pattern, regex=True)), d)
    return dept


def spot_items(confirmed: pd.DataFrame, as_of, params: dict, year: int | None = None) -> pd.DataFrame:
    """The 市抽查 items of the confirmed problems (``county``, ``hh_id``, ``conclusion``, optional ``verified``,
    ``needs_note``; rows with 核查结论 属实 or blank are ignored)."""
    c = confirmed.copy()
    for col in ("verified", "needs_note", "township", "village", "head_name"):
        if col not in c:
            c[col] = None
    c = c[c["conclusion"].notna() & (c["conclusion"] != "属实")].reset_index(drop=True)
    deadline = (pd.Timestamp(as_of).normalize() + pd.Timedelta(days=spot_check_days(params))).strftime("%Y-%m-%d")
    desc = (
        "市抽查："
        + c["conclusion"].astype(str)
        + np.where(
            c["verified"].notna(),
            "，核实人均可支配收入 "
            + pd.to_numeric(c["verified"], errors="coerce").map(lambda v: f"{v:.2f}" if pd.notna(v) else "")
            + " 元",
            "",
        )
        + np.where(c["needs_note"].notna(), "，" + c["needs_note"].astype(str), "")
    )
    out = pd.DataFrame(
        {
            "item_id": item_ids(c[["county", "hh_id"]], SOURCE, c["conclusion"]),
            "county": c["county"],
            "hh_id": c["hh_id"].astype(str),
            "person_id": None,
            "source": SOURCE,
            "rule_id": c["conclusion"],
            "description": desc,
            "department": department_of(c["conclusion"], c["needs_note"]),
            "deadline": deadline,
            "project_id": None,
            "field": None,
            "value": None,
        }
    )
    return out.drop_duplicates("item_id").reset_index(drop=True)


def record_spot_check(
    con: sqlite3.Connection,
    confirmed: pd.DataFrame,
    as_of,
    params: dict,
    *,
    year: int | None = None,
    input_sha256: str | None = None,
) -> dict:
    """Write the city's confirmed problems into the record, in one transaction (one ``spot_check`` run).

    New 市抽查 items are 未整改 (one per household and conclusion; evaluating the same results again changes
    nothing); the household's 已整改 items of the matching sources become 整改不实. Returns ``run_id``, ``new``,
    ``not_genuine`` and ``accuracy`` (DataFrame per county: confirmed households, of which the county had claimed or
    closed, and never raised)."""
    items = spot_items(confirmed, as_of, params, year)
    out = {"run_id": None, "new": 0, "not_genuine": 0, "accuracy": spot_check_accuracy_frame(con, items)}
    if items.empty:
        return out
    with transaction(con):
        have = pd.read_sql_query(
            f"SELECT item_id FROM items WHERE item_id IN ({','.join('?' * len(items))})",
            con,
            params=tuple(items["item_id"]),
        )
        new = items[~items["item_id"].isin(have["item_id"])]
        related = _related(con, items)
        moves = spot_check_moves(related["state"])
        if new.empty and moves.isna().all():
            return out
        run_id = start_run(
            con, Run("spot_check", county=None, input_sha256=input_sha256, as_of=str(pd.Timestamp(as_of).date()))
        )
        at = now_text()
        out["run_id"] = run_id
        out["new"] = insert_items(con, run_id, new, year, ORIGIN_SPOT, at=at)
        out["not_genuine"] = write_moves(
            con, run_id, related["item_id"], related["state"], moves, ORIGIN_SPOT, "市抽查发现该户问题仍存在", at
        )
        snapshot_counts(con, run_id, items["county"].unique())
    return out


def _related(con, items: pd.DataFrame) -> pd.DataFrame:
    """Existing audit items of the spot-checked households in the sources each conclusion bears on."""
    frames = []
    for (county, hh, concl), _ in items.groupby(["county", "hh_id", "rule_id"]):  # a few hundred households
        srcs = CONCLUSION_SOURCES.get(concl, [])
        if not srcs:
            continue
        frames.append(
            pd.read_sql_query(
                f"SELECT item_id, county, hh_id, source, state, claimed_closed FROM items WHERE county = ? AND hh_id = ? "
                f"AND source IN ({','.join('?' * len(srcs))})",
                con,
                params=(county, hh, *srcs),
            ).assign(conclusion=concl)
        )
    cols = ["item_id", "county", "hh_id", "source", "state", "claimed_closed", "conclusion"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def spot_check_accuracy_frame(con, items: pd.DataFrame) -> pd.DataFrame:
    """Per county: 抽查确认问题户数 · 县已报整改或已销号户数 · 县未发现户数 (the city found what the county did not
    raise) — each confirmed household counted once."""
    cols = ["county", "confirmed", "claimed_or_closed", "not_raised"]
    if items.empty:
        return pd.DataFrame(columns=cols)
    rel = _related(con, items)
    hh = items[["county", "hh_id", "rule_id"]].drop_duplicates(["county", "hh_id"])
    claimed = rel[(rel["state"].isin([CLAIMED, CLOSED])) | (rel["claimed_closed"] == 1)][["county", "hh_id"]]
    raised = rel[["county", "hh_id"]].drop_duplicates()
    hh["claimed"] = hh.set_index(["county", "hh_id"]).index.isin(claimed.set_index(["county", "hh_id"]).index)
    hh["raised"] = hh.set_index(["county", "hh_id"]).index.isin(raised.set_index(["county", "hh_id"]).index)
    g = (
        hh.groupby("county")
        .agg(
            confirmed=("hh_id", "size"),
            claimed_or_closed=("claimed", "sum"),
            not_raised=("raised", lambda s: int((~s).sum())),
        )
        .reset_index()
    )
    return g[cols]


def spot_check_sheet(con: sqlite3.Connection, county: str, households: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of sheet 市抽查整改意见 for ``county``'s next ledger (:data:`SPOT_COLUMNS`, then 事项编号 for read-back).

    ``households`` (optional: hh_id, township, village, head_name) fills 乡（镇）/行政村/户主姓名. 整改状态 is the
    record's state, 整改说明 what the county last wrote."""
    it = pd.read_sql_query(
        "SELECT item_id, hh_id, rule_id, description, deadline, state, note FROM items "
        "WHERE county = ? AND source = ? ORDER BY hh_id, item_id",
        con,
        params=(county, SOURCE),
    )
    h = households if households is not None else pd.DataFrame(columns=["hh_id"])
    h = h.assign(hh_id=h["hh_id"].astype(str)).drop_duplicates("hh_id").set_index("hh_id")
    verified = it["description"].str.extract(r"核实人均可支配收入 ([\d.]+) 元", expand=False)
    needs = it["description"].str.extract(r"^市抽查：两不愁三保障未解决，(.*)$", expand=False)
    out = pd.DataFrame(
        {
            "户编号": it["hh_id"],
            "乡（镇）": it["hh_id"].map(h["township"]) if "township" in h else None,
            "行政村": it["hh_id"].map(h["village"]) if "village" in h else None,
            "户主姓名": it["hh_id"].map(h["head_name"]) if "head_name" in h else None,
            "核查结论": it["rule_id"],
            "核实人均可支配收入": pd.to_numeric(verified, errors="coerce"),
            "三保障问题说明": needs,
            "整改意见": it["rule_id"].map(ADVICE),
            "整改时限": it["deadline"],
            "整改状态": it["state"],
            "整改说明": it["note"],
            "事项编号": it["item_id"],
        }
    )
    return out
