"""Campaign record and state table (campaign.md §2): every move, reconciliation of newer exports, overdue."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from hgk_lib.campaign.record import SCHEMA_VERSION, Run, events_frame, items_frame, open_record, runs_frame
from hgk_lib.campaign.states import (
    CLAIMED,
    CLOSED,
    NOT_GENUINE,
    OPEN,
    WORKING,
    audit_moves,
    is_overdue,
    ledger_moves,
    overdue_items,
    reconcile_audit,
    spot_check_moves,
    visit_moves,
)
from hgk_lib.errors import HgkError

C = "441881_英德市"


def found(*ids, deadline="2019-10-30"):
    return pd.DataFrame(
        {
            "item_id": list(ids),
            "hh_id": [f"H{i}" for i in range(len(ids))],
            "source": "规则",
            "rule_id": "R10",
            "description": "问题",
            "department": "扶贫办",
            "deadline": deadline,
        }
    )


def audit(con, sha, when, *ids, allow_older=False, county=C):
    return reconcile_audit(
        con,
        county,
        found(*ids),
        Run("audit", input_sha256=sha, export_time=when, as_of="2019-09-30"),
        year=2019,
        allow_older=allow_older,
    )


def states(con):
    return items_frame(con).set_index("item_id")["state"].to_dict()


def set_state(con, item, state):
    con.execute("UPDATE items SET state = ? WHERE item_id = ?", (state, item))


@pytest.fixture
def con(tmp_path):
    c = open_record(tmp_path / "2019" / "campaign.sqlite")
    yield c
    c.close()


def test_schema_columns_and_version(con):
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    cols = {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in ("runs", "items", "events")}
    assert cols["runs"][:8] == [
        "run_id",
        "kind",
        "started_at",
        "county",
        "input_sha256",
        "params_sha256",
        "hgk_version",
        "as_of",
    ]
    assert cols["items"][:14] == [
        "item_id",
        "year",
        "county",
        "hh_id",
        "person_id",
        "source",
        "rule_id",
        "description",
        "department",
        "deadline",
        "state",
        "first_run",
        "last_run",
        "last_seen_run",
    ]
    assert cols["events"][:8] == ["event_id", "item_id", "run_id", "at", "from_state", "to_state", "origin", "note"]


def test_reopening_keeps_data_and_refuses_newer_schema(tmp_path, con):
    audit(con, "a", "2019-09-20", "X")
    con.close()
    again = open_record(tmp_path / "2019" / "campaign.sqlite")
    assert states(again) == {"X": OPEN}
    again.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    again.close()
    with pytest.raises(HgkError, match="版本"):
        open_record(tmp_path / "2019" / "campaign.sqlite")


def test_not_a_database_is_refused_in_chinese(tmp_path):
    p = tmp_path / "campaign.sqlite"
    p.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(HgkError, match="整改记录"):
        open_record(p)


# --- the state table, move by move --------------------------------------------------------------------------
def test_first_audit_raises_items_as_open_with_event(con):
    r = audit(con, "a", "2019-09-20", "X", "Y")
    assert r["new"] == 2 and states(con) == {"X": OPEN, "Y": OPEN}
    ev = events_frame(con, "X")
    assert ev[["from_state", "to_state", "origin"]].values.tolist() == [[None, OPEN, "audit"]]
    it = items_frame(con).set_index("item_id")
    assert it.loc["X", "first_run"] == it.loc["X", "last_seen_run"] == r["run_id"]
    assert it.loc["X", "deadline"] == "2019-10-30" and it.loc["X", "year"] == 2019


@pytest.mark.parametrize(
    "before,after",
    [(OPEN, OPEN), (WORKING, WORKING), (CLAIMED, NOT_GENUINE), (NOT_GENUINE, NOT_GENUINE), (CLOSED, OPEN)],
)
def test_found_again_in_newer_export(con, before, after):
    audit(con, "a", "2019-09-20", "X")
    set_state(con, "X", before)
    r = audit(con, "b", "2019-10-20", "X")
    assert states(con)["X"] == after
    ev = events_frame(con, "X")
    if before != after:
        assert ev.iloc[-1][["from_state", "to_state", "origin", "run_id"]].tolist() == [
            before,
            after,
            "re-audit",
            r["run_id"],
        ]
    else:
        assert len(ev) == 1  # only the creation
    assert items_frame(con).set_index("item_id").loc["X", "last_seen_run"] == r["run_id"]


@pytest.mark.parametrize("before", [OPEN, WORKING, CLAIMED, NOT_GENUINE])
def test_no_longer_found_is_closed(con, before):
    audit(con, "a", "2019-09-20", "X", "Y")
    set_state(con, "X", before)
    r = audit(con, "b", "2019-10-20", "Y")
    assert states(con) == {"X": CLOSED, "Y": OPEN}
    assert r["closed"] == 1
    assert events_frame(con, "X").iloc[-1]["from_state"] == before


def test_closed_and_still_gone_makes_no_event(con):
    audit(con, "a", "2019-09-20", "X", "Y")
    audit(con, "b", "2019-10-20", "Y")
    n = len(events_frame(con))
    audit(con, "c", "2019-10-25", "Y")
    assert len(events_frame(con)) == n and states(con)["X"] == CLOSED


def test_reopen_after_closed_has_event(con):
    audit(con, "a", "2019-09-20", "X")
    audit(con, "b", "2019-10-01", "Z")
    r = audit(con, "c", "2019-10-20", "X")
    assert states(con)["X"] == OPEN and r["reopened"] == 1
    assert events_frame(con, "X")["to_state"].tolist() == [OPEN, CLOSED, OPEN]
    assert "重新打开" in events_frame(con, "X").iloc[-1]["note"]


def test_same_export_again_changes_nothing(con):
    audit(con, "a", "2019-09-20", "X", "Y")
    before = (items_frame(con), events_frame(con), runs_frame(con))
    r = audit(con, "a", "2019-09-20", "X")  # same SHA, whatever the frame says
    assert r["skipped"] and "相同" in r["skipped"]
    after = (items_frame(con), events_frame(con), runs_frame(con))
    for b, a in zip(before, after):
        pd.testing.assert_frame_equal(b, a)


def test_older_export_refused_unless_allowed(con):
    audit(con, "a", "2019-10-20", "X")
    with pytest.raises(HgkError, match="早于上次核查"):
        audit(con, "b", "2019-10-19", "Y")
    assert states(con) == {"X": OPEN} and len(runs_frame(con)) == 1
    audit(con, "b", "2019-10-19", "Y", allow_older=True)
    assert states(con) == {"X": CLOSED, "Y": OPEN}


def test_same_export_time_different_sha_is_newer(con):
    audit(con, "a", "2019-10-20", "X")
    audit(con, "b", "2019-10-20", "Y")
    assert states(con) == {"X": CLOSED, "Y": OPEN}


def test_counties_are_reconciled_separately(con):
    audit(con, "a", "2019-09-20", "X", county="A")
    audit(con, "b", "2019-09-20", "Y", county="B")
    audit(con, "c", "2019-10-20", "X2", county="A")
    assert states(con) == {"X": CLOSED, "X2": OPEN, "Y": OPEN}


def test_spot_check_items_never_closed_by_audit(con):
    audit(con, "a", "2019-09-20", "X")
    con.execute("INSERT INTO items (item_id, county, source, state) VALUES ('CC-1', ?, '市抽查', '未整改')", (C,))
    audit(con, "b", "2019-10-20", "X")
    assert states(con)["CC-1"] == OPEN


# --- pure move functions -----------------------------------------------------------------------------------
def test_audit_moves_table():
    s = pd.Series([OPEN, WORKING, CLAIMED, CLOSED, NOT_GENUINE] * 2)
    f = pd.Series([True] * 5 + [False] * 5)
    assert audit_moves(s, f).tolist() == [None, None, NOT_GENUINE, OPEN, None, CLOSED, CLOSED, CLOSED, None, CLOSED]


def test_ledger_moves_table():
    s = pd.Series([OPEN, OPEN, WORKING, CLAIMED, NOT_GENUINE, NOT_GENUINE, CLOSED, OPEN, CLAIMED])
    c = pd.Series([WORKING, CLAIMED, OPEN, WORKING, CLAIMED, NOT_GENUINE, OPEN, "已完成", CLAIMED])
    new, why = ledger_moves(s, c)
    assert new.tolist() == [WORKING, CLAIMED, OPEN, WORKING, CLAIMED, None, None, None, None]
    assert why.notna().tolist() == [False] * 6 + [True, True, False]
    assert "已销号" in why[6] and "下拉" in why[7]


def test_visit_moves_table():
    s = pd.Series([OPEN, WORKING, CLAIMED, NOT_GENUINE, CLOSED, OPEN, OPEN, CLAIMED, CLOSED])
    r = pd.Series(
        ["不属实", "现场已整改", "现场已整改", "现场已整改", "不属实", "属实", "无法核实", "不属实", "现场已整改"]
    )
    assert visit_moves(s, r).tolist() == [CLOSED, CLAIMED, None, CLAIMED, None, None, None, CLOSED, None]


def test_spot_check_moves_table():
    assert spot_check_moves(pd.Series([OPEN, WORKING, CLAIMED, CLOSED, NOT_GENUINE])).tolist() == [
        None,
        None,
        NOT_GENUINE,
        None,
        None,
    ]


# --- overdue -------------------------------------------------------------------------------------------------
def test_overdue_both_edges_of_the_deadline(con):
    audit(con, "a", "2019-09-20", "X", "Y")
    set_state(con, "Y", CLOSED)
    it = items_frame(con)
    assert not is_overdue(it, "2019-10-30").any()  # on the deadline: not yet
    assert is_overdue(it, "2019-10-31").tolist() == [True, False]  # the day after; closed never overdue
    assert overdue_items(con, "2019-10-30").empty
    assert overdue_items(con, "2019-10-31")["item_id"].tolist() == ["X"]
    assert overdue_items(con, "2019-10-31", county="other").empty


def test_blank_deadline_never_overdue(con):
    reconcile_audit(con, C, found("X", deadline=None), Run("audit", input_sha256="a"))
    assert not is_overdue(items_frame(con), "2030-01-01").any()


def test_run_counts_snapshot(con):
    r1 = audit(con, "a", "2019-09-20", "X", "Y")
    r2 = audit(con, "b", "2019-10-20", "Y")
    rc = pd.read_sql_query("SELECT * FROM run_counts ORDER BY run_id, state", con)
    assert rc[rc.run_id == r1["run_id"]].set_index("state")["n"].to_dict() == {OPEN: 2}
    assert rc[rc.run_id == r2["run_id"]].set_index("state")["n"].to_dict() == {OPEN: 1, CLOSED: 1}


def test_failed_apply_rolls_back(con, monkeypatch):
    audit(con, "a", "2019-09-20", "X")
    import hgk_lib.campaign.states as st

    def boom(*a, **k):
        raise RuntimeError("crash in the middle")

    monkeypatch.setattr(st, "snapshot_counts", boom)
    with pytest.raises(RuntimeError):
        audit(con, "b", "2019-10-20", "Y")
    assert states(con) == {"X": OPEN} and len(runs_frame(con)) == 1
    assert isinstance(con, sqlite3.Connection)


def test_migration_from_version_1_keeps_items(tmp_path):
    import hgk_lib.campaign.record as R

    p = tmp_path / "old.sqlite"
    old = sqlite3.connect(p)
    for stmt in R.MIGRATIONS[0]:
        old.execute(stmt)
    old.execute("INSERT INTO items (item_id, county, source, state) VALUES ('X', 'C', '规则', '整改中')")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    con = open_record(p)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 2
    assert states(con) == {"X": WORKING}
    idx = {r[1] for r in con.execute("PRAGMA index_list(items)")}
    assert {"items_source_hh", "items_county_claims"} <= idx
    con.close()
