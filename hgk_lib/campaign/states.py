"""Item states and their moves (campaign.md §2), and reconciling a (re-)audit with the record.

| state    | entered by                                                                                     |
|----------|------------------------------------------------------------------------------------------------|
| 未整改   | an audit finding it for the first time; a county resetting it (ledger); found again after 已销号 |
| 整改中   | ledger read-back                                                                               |
| 已整改   | ledger read-back, or the visit's 核实结果 现场已整改                                             |
| 已销号   | a later audit of a newer export no longer finds it; the visit found it 不属实 (with 说明)        |
| 整改不实 | claimed 已整改 but a newer export still has it; or the city's spot check found it               |

Every move is an ``events`` row with its origin. An item is **overdue** when ``as_of`` > deadline and its state is
not 已销号.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from ..errors import HgkError
from .record import Run, now_text, snapshot_counts, start_run, transaction

OPEN, WORKING, CLAIMED, CLOSED, NOT_GENUINE = "未整改", "整改中", "已整改", "已销号", "整改不实"
STATES = [OPEN, WORKING, CLAIMED, CLOSED, NOT_GENUINE]
#: States a county may choose in a ledger's 整改状态 drop-down.
COUNTY_STATES = [OPEN, WORKING, CLAIMED]
#: Item sources an audit raises (市抽查 items come from the city's spot check and are never closed by an audit).
AUDIT_SOURCES = ["规则", "收入", "三保障", "动态管理", "分类施策", "数据真实性"]
VISIT_RESULTS = ["属实", "不属实", "现场已整改", "无法核实"]
#: Fields of an item as callers pass them (English keys; ``item_id`` from :func:`hgk_lib.items.item_ids`).
FOUND_COLUMNS = [
    "item_id",
    "county",
    "hh_id",
    "person_id",
    "source",
    "rule_id",
    "description",
    "department",
    "deadline",
]
ORIGIN_AUDIT, ORIGIN_REAUDIT, ORIGIN_SPOT = "audit", "re-audit", "spot check"


# ---------------------------------------------------------------------------------------------------------------
# the state table as pure functions (vectorised: a Series of current states in, a Series of new states out;
# NaN = no move)
# ---------------------------------------------------------------------------------------------------------------
def audit_moves(state: pd.Series, found: pd.Series) -> pd.Series:
    """New state of existing items after an audit of a newer export: found again → keep (已整改 → 整改不实,
    已销号 → 未整改 reopened); no longer found → 已销号. NaN where nothing moves."""
    s = state.astype(object)
    f = found.astype(bool)
    new = np.select(
        [f & (s == CLAIMED), f & (s == CLOSED), ~f & (s != CLOSED)], [NOT_GENUINE, OPEN, CLOSED], default=None
    )
    return pd.Series(new, index=state.index, dtype=object)


def ledger_moves(state: pd.Series, claimed: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A county's 整改状态 (未整改 / 整改中 / 已整改) against the record: ``(new state or NaN, refusal or NaN)``.

    The same value as the record's state is no move (a regenerated ledger shows 整改不实 — leaving it is no move);
    a 已销号 item cannot be changed by a ledger; anything else not in :data:`COUNTY_STATES` is refused."""
    s, c = state.astype(object), claimed.astype(object)
    same = s == c
    closed = ~same & (s == CLOSED)
    bad = ~same & ~closed & ~c.isin(COUNTY_STATES)
    new = c.where(~same & ~closed & ~bad)
    why = pd.Series(
        np.select(
            [closed, bad],
            ["该事项已销号，不能由台账更改整改状态", "整改状态不是下拉选项（未整改 / 整改中 / 已整改）"],
            default=None,
        ),
        index=state.index,
        dtype=object,
    )
    return new.astype(object).where(new.notna(), None), why


def visit_moves(state: pd.Series, result: pd.Series) -> pd.Series:
    """核实结果 of a visit: 不属实 → 已销号; 现场已整改 → 已整改 (unless closed or already claimed); 属实 and
    无法核实 move nothing."""
    s, r = state.astype(object), result.astype(object)
    new = np.select(
        [(r == "不属实") & (s != CLOSED), (r == "现场已整改") & s.isin([OPEN, WORKING, NOT_GENUINE])],
        [CLOSED, CLAIMED],
        default=None,
    )
    return pd.Series(new, index=state.index, dtype=object)


def spot_check_moves(state: pd.Series) -> pd.Series:
    """The city's spot check found the household's problem: items the county claimed 已整改 become 整改不实."""
    s = state.astype(object)
    return pd.Series(np.where(s == CLAIMED, NOT_GENUINE, None), index=state.index, dtype=object)


def is_overdue(items: pd.DataFrame, as_of) -> pd.Series:
    """``as_of`` > deadline and state ≠ 已销号 (a blank deadline is never overdue)."""
    d = pd.to_datetime(items["deadline"], errors="coerce")
    return (d.notna() & (pd.Timestamp(as_of).normalize() > d) & (items["state"] != CLOSED)).astype(bool)


# ---------------------------------------------------------------------------------------------------------------
# writing moves
# ---------------------------------------------------------------------------------------------------------------
def _text(s: pd.Series) -> pd.Series:
    """Keys as text (numbers without ``.0``), blank → None."""
    from ..items import key_text

    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        t = key_text(s)
    else:
        t = s.astype(object).where(s.notna(), "").astype(str).str.strip()
    return t.astype(object).where(t != "", None)


def _dates(s: pd.Series) -> pd.Series:
    d = pd.to_datetime(s, errors="coerce")
    return d.dt.strftime("%Y-%m-%d").astype(object).where(d.notna(), None)


def normalise_found(found: pd.DataFrame, county: str | None = None) -> pd.DataFrame:
    """``found`` with every :data:`FOUND_COLUMNS` column as text (blank → None), deadline as ISO date, one row per
    item id (first wins)."""
    if "item_id" not in found:
        raise ValueError("found items need an item_id column (hgk_lib.items.item_ids)")
    f = found.copy()
    for c in FOUND_COLUMNS:
        if c not in f:
            f[c] = county if c == "county" else None
    out = pd.DataFrame({c: _text(f[c]) for c in FOUND_COLUMNS if c != "deadline"}, index=f.index)
    out["deadline"] = _dates(f["deadline"])
    for extra in ("project_id", "field", "value"):
        out[extra] = _text(f[extra]) if extra in f else None
    if county is not None:
        out["county"] = county
    bad = out["source"].isna() | out["item_id"].isna()
    if bad.any():
        raise ValueError(f"{int(bad.sum())} found items without item_id or source")
    return out[FOUND_COLUMNS + ["project_id", "field", "value"]].drop_duplicates("item_id").reset_index(drop=True)


def write_moves(
    con: sqlite3.Connection,
    run_id: int,
    item_ids: pd.Series,
    old: pd.Series,
    new: pd.Series,
    origin: pd.Series | str,
    note: pd.Series | str | None = None,
    at: str | None = None,
) -> int:
    """Set ``items.state`` and add one event per row where ``new`` differs from ``old`` (inside the caller's
    transaction). Returns the number of moves."""
    idx = item_ids.index
    o = origin if isinstance(origin, pd.Series) else pd.Series(origin, index=idx)
    n = note if isinstance(note, pd.Series) else pd.Series(note, index=idx, dtype=object)
    moving = new.notna() & (new.astype(object) != old.astype(object))
    if not moving.any():
        return 0
    at = at or now_text()
    rows = pd.DataFrame(
        {"i": item_ids[moving], "f": old[moving], "t": new[moving], "o": o[moving], "n": n[moving]}
    ).astype(object)
    rows = rows.where(rows.notna(), None)
    con.executemany(
        "UPDATE items SET state = ?, last_run = ? WHERE item_id = ?",
        [(t, run_id, i) for i, t in zip(rows["i"], rows["t"])],
    )
    con.executemany(
        "INSERT INTO events (item_id, run_id, at, from_state, to_state, origin, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(i, run_id, at, f, t, oo, nn) for i, f, t, oo, nn in rows.itertuples(index=False)],
    )
    con.executemany(
        "UPDATE items SET claimed_closed = 1 WHERE item_id = ?",
        [(i,) for i, t in zip(rows["i"], rows["t"]) if t == CLAIMED],
    )
    return int(moving.sum())


def insert_items(
    con: sqlite3.Connection,
    run_id: int,
    items: pd.DataFrame,
    year: int | None,
    origin: str,
    note: str | None = None,
    at: str | None = None,
) -> int:
    """Insert new items as 未整改 with their creation event (inside the caller's transaction)."""
    if items.empty:
        return 0
    at = at or now_text()
    cols = [
        "item_id",
        "county",
        "hh_id",
        "person_id",
        "source",
        "rule_id",
        "description",
        "department",
        "deadline",
        "project_id",
        "field",
        "value",
    ]
    recs = items[cols].astype(object)
    recs = recs.where(recs.notna(), None)
    con.executemany(
        "INSERT INTO items (item_id, year, county, hh_id, person_id, source, rule_id, description, department, "
        "deadline, project_id, field, value, state, first_run, last_run, last_seen_run) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r[0], year, *r[1:], OPEN, run_id, run_id, run_id) for r in recs.itertuples(index=False)],
    )
    con.executemany(
        "INSERT INTO events (item_id, run_id, at, from_state, to_state, origin, note) VALUES (?, ?, ?, NULL, ?, ?, ?)",
        [(i, run_id, at, OPEN, origin, note) for i in recs["item_id"]],
    )
    return len(recs)


def _last_audit(con: sqlite3.Connection, county: str):
    return con.execute(
        "SELECT run_id, input_sha256, export_time FROM runs WHERE kind = 'audit' AND county = ? "
        "ORDER BY run_id DESC LIMIT 1",
        (county,),
    ).fetchone()


def check_newer(con: sqlite3.Connection, county: str, run: Run, allow_older: bool = False) -> str | None:
    """Whether ``run`` audits a newer export of ``county`` than the last audit: returns a Chinese reason to skip
    (same export) or None (newer, or the first); raises :class:`HgkError` for an older export unless
    ``allow_older``."""
    last = _last_audit(con, county)
    if last is None:
        return None
    _, sha, when = last
    if run.input_sha256 and sha == run.input_sha256:
        return f"{county}：与上次核查的导出相同（SHA-256 一致），整改记录不变"
    if when and run.export_time and pd.Timestamp(run.export_time) < pd.Timestamp(when) and not allow_older:
        raise HgkError(
            f"{county}：本次导出的导出时间（{run.export_time}）早于上次核查的导出（{when}），不是更新的导出，"
            "未更新整改记录；确需按较早的导出核查时请加 --allow-older"
        )
    return None


def reconcile_audit(
    con: sqlite3.Connection,
    county: str,
    found_items: pd.DataFrame,
    run: Run,
    *,
    year: int | None = None,
    allow_older: bool = False,
    sources: list[str] | None = None,
) -> dict:
    """Reconcile one county's audit with the record, in one transaction (campaign.md §2).

    ``found_items``: every item this audit raises for ``county`` (columns :data:`FOUND_COLUMNS`; ``item_id`` from
    :func:`hgk_lib.items.item_ids`). ``run``: kind ``audit``, with the export's ``input_sha256`` and
    ``export_time`` (导出时间, else the files' newest modification time). Items found again keep their state
    (已整改 → 整改不实; 已销号 → 未整改, reopened); items of ``sources`` (default :data:`AUDIT_SOURCES`) no longer
    found → 已销号; new items → 未整改. The same export again (same SHA-256) changes nothing; an older export is
    refused unless ``allow_older``.

    Returns counts: ``run_id``, ``new``, ``found_again``, ``not_genuine``, ``closed``, ``reopened``, ``skipped``
    (a Chinese reason when nothing was done).
    """
    if run.kind != "audit":
        raise ValueError("reconcile_audit needs a run of kind 'audit'")
    run.county = county
    found = normalise_found(found_items, county)
    sources = AUDIT_SOURCES if sources is None else sources
    out = {"run_id": None, "new": 0, "found_again": 0, "not_genuine": 0, "closed": 0, "reopened": 0, "skipped": None}
    with transaction(con):
        reason = check_newer(con, county, run, allow_older)
        if reason:
            out["skipped"] = reason
            return out
        run_id = start_run(con, run)
        out["run_id"] = run_id
        at = now_text()
        have = pd.read_sql_query("SELECT item_id, state, source FROM items WHERE county = ?", con, params=(county,))
        is_new = ~found["item_id"].isin(have["item_id"])
        out["new"] = insert_items(con, run_id, found[is_new], year, ORIGIN_AUDIT, at=at)
        seen = found.loc[~is_new, ["item_id", "description", "department", "deadline"]]
        out["found_again"] = len(seen)
        if len(seen):
            con.executemany(
                "UPDATE items SET last_run = ?, last_seen_run = ?, description = COALESCE(?, description),"
                " department = COALESCE(?, department), deadline = COALESCE(deadline, ?)"
                " WHERE item_id = ?",
                [
                    (run_id, run_id, d, p, dl, i)
                    for i, d, p, dl in seen.astype(object).where(seen.notna(), None).itertuples(index=False)
                ],
            )
        scope = have[have["source"].isin(sources)].reset_index(drop=True)
        new_state = audit_moves(scope["state"], scope["item_id"].isin(found["item_id"]))
        note = pd.Series(
            np.select(
                [new_state == NOT_GENUINE, new_state == OPEN, new_state == CLOSED],
                [
                    "县里报已整改，但更新的导出中仍有此问题",
                    "销号后更新的导出中再次发现，重新打开",
                    "更新的导出中已不再有此问题",
                ],
                default=None,
            ),
            index=scope.index,
            dtype=object,
        )
        write_moves(con, run_id, scope["item_id"], scope["state"], new_state, ORIGIN_REAUDIT, note, at)
        out["not_genuine"] = int((new_state == NOT_GENUINE).sum())
        out["reopened"] = int((new_state == OPEN).sum())
        out["closed"] = int((new_state == CLOSED).sum())
        snapshot_counts(con, run_id, [county])
    return out


def overdue_items(con: sqlite3.Connection, as_of, county: str | None = None) -> pd.DataFrame:
    """Items overdue at ``as_of`` (deadline < as_of, state ≠ 已销号)."""
    day = str(pd.Timestamp(as_of).date())
    sql = (
        "SELECT * FROM items WHERE state != '已销号' AND deadline IS NOT NULL AND deadline < ?"
        + (" AND county = ?" if county else "")
        + " ORDER BY county, deadline, item_id"
    )
    return pd.read_sql_query(sql, con, params=(day, county) if county else (day,))


def item_states(con: sqlite3.Connection, county: str) -> pd.DataFrame:
    """item_id · state · note · deadline of a county's items: what a regenerated ledger / visit plan shows in 整改状态
    and keeps in 整改说明 (the county's last 整改说明 read back)."""
    return pd.read_sql_query(
        "SELECT item_id, state, note, deadline FROM items WHERE county = ? ORDER BY item_id", con, params=(county,)
    )


def export_time(files, title_time=None) -> str | None:
    """The export's time for the newer-export check: the title rows' 导出时间 when the loader found one, else the
    newest modification time of the export's files (ISO, seconds)."""
    import datetime as dt
    import os

    if title_time is not None and not pd.isna(title_time):
        return pd.Timestamp(title_time).isoformat()
    times = [os.stat(f).st_mtime for f in files]
    if not times:
        return None
    return dt.datetime.fromtimestamp(max(times)).replace(microsecond=0).isoformat()
