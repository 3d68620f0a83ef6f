"""The campaign record: ``outputs/<year>/campaign.sqlite`` (campaign.md §2).

One SQLite file per audit year, through the standard library only, so the city office can back it up as one file and
open it with any SQLite viewer. It is the memory of the campaign: every item ever raised, its state, and every change
with its origin.

* Tables ``runs``, ``items``, ``events`` carry exactly the columns of campaign.md §2 first (more follow); helper
  tables: ``verified_incomes`` (visit read-back), ``ledger_claims`` (the last entry read back per item, for
  idempotent read-back), ``inputs_seen`` (files already read back), ``run_counts`` (items by state per county after
  each run: the open-item curve without scanning the events).
* Schema version in ``PRAGMA user_version``; :data:`MIGRATIONS` brings an older file up to date (each migration is
  one transaction).
* Rollback journal (``journal_mode=DELETE``, ``synchronous=FULL``): the record is one file, and a crash (even
  SIGKILL) leaves it before or after a transaction, never between. Every apply is one ``BEGIN IMMEDIATE`` …
  ``COMMIT`` (:func:`transaction`).
* Two writers at once: the second waits up to ``timeout`` seconds (busy timeout) and then fails with a Chinese
  :class:`RecordBusyError`; nothing is written half.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import HgkError

RECORD_NAME = "campaign.sqlite"
DEFAULT_TIMEOUT = 30.0  # seconds a writer waits for another one

#: campaign.md §2, in order; more columns may follow.
RUN_COLUMNS = ["run_id", "kind", "started_at", "county", "input_sha256", "params_sha256", "hgk_version", "as_of"]
ITEM_COLUMNS = [
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
EVENT_COLUMNS = ["event_id", "item_id", "run_id", "at", "from_state", "to_state", "origin", "note"]
RUN_KINDS = ["audit", "collect", "spot_check"]

_V1 = [
    """CREATE TABLE runs (
        run_id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('audit', 'collect', 'spot_check')),
        started_at TEXT NOT NULL,
        county TEXT,
        input_sha256 TEXT,
        params_sha256 TEXT,
        hgk_version TEXT,
        as_of TEXT,
        export_time TEXT,
        note TEXT)""",
    """CREATE TABLE items (
        item_id TEXT PRIMARY KEY,
        year INTEGER,
        county TEXT NOT NULL,
        hh_id TEXT,
        person_id TEXT,
        source TEXT NOT NULL,
        rule_id TEXT,
        description TEXT,
        department TEXT,
        deadline TEXT,
        state TEXT NOT NULL CHECK (state IN ('未整改', '整改中', '已整改', '已销号', '整改不实')),
        first_run INTEGER REFERENCES runs(run_id),
        last_run INTEGER REFERENCES runs(run_id),
        last_seen_run INTEGER REFERENCES runs(run_id),
        note TEXT,
        claimed_closed INTEGER NOT NULL DEFAULT 0,
        project_id TEXT,
        field TEXT,
        value TEXT,
        fixed_value TEXT)""",
    """CREATE TABLE events (
        event_id INTEGER PRIMARY KEY AUTOINCREMENT,
        item_id TEXT NOT NULL REFERENCES items(item_id),
        run_id INTEGER NOT NULL REFERENCES runs(run_id),
        at TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        origin TEXT NOT NULL,
        note TEXT)""",
    """CREATE TABLE verified_incomes (
        county TEXT NOT NULL,
        hh_id TEXT NOT NULL,
        income_pc REAL,
        conclusion TEXT,
        visitor TEXT,
        visit_date TEXT,
        run_id INTEGER REFERENCES runs(run_id),
        origin TEXT,
        PRIMARY KEY (county, hh_id))""",
    """CREATE TABLE ledger_claims (
        item_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT,
        note TEXT,
        run_id INTEGER REFERENCES runs(run_id),
        PRIMARY KEY (item_id, kind))""",
    """CREATE TABLE inputs_seen (
        county TEXT NOT NULL,
        kind TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        run_id INTEGER REFERENCES runs(run_id),
        PRIMARY KEY (county, kind, sha256))""",
    """CREATE TABLE run_counts (
        run_id INTEGER NOT NULL REFERENCES runs(run_id),
        county TEXT NOT NULL,
        state TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (run_id, county, state))""",
    "CREATE INDEX items_county_dept_state ON items(county, department, state, deadline)",
    "CREATE INDEX items_county_hh ON items(county, hh_id)",
    "CREATE INDEX items_state_deadline ON items(state, deadline)",
    "CREATE INDEX events_item ON events(item_id)",
    "CREATE INDEX events_run ON events(run_id)",
    "CREATE INDEX runs_county_kind ON runs(county, kind)",
]

#: v2: indexes for the city summary's spot-check and claims queries (benchmarked on 2 M items).
_V2 = [
    "CREATE INDEX IF NOT EXISTS items_source_hh ON items(source, county, hh_id)",
    "CREATE INDEX IF NOT EXISTS items_county_claims ON items(county, claimed_closed, state)",
]

#: ``MIGRATIONS[i]`` takes a record from ``user_version`` i to i + 1.
MIGRATIONS: list[list[str]] = [_V1, _V2]
SCHEMA_VERSION = len(MIGRATIONS)


class RecordConnection(sqlite3.Connection):
    """A connection that knows its file (for messages)."""

    record_path = RECORD_NAME


class RecordBusyError(HgkError):
    """Another process holds the record's write lock for longer than the busy timeout."""


class RecordError(HgkError):
    """The record file cannot be used (newer schema, not a database, …)."""


def now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def record_path(out_root, year: int) -> Path:
    """``<out_root>/<year>/campaign.sqlite``."""
    return Path(out_root) / str(int(year)) / RECORD_NAME


def _busy(err: sqlite3.OperationalError, path) -> HgkError:
    msg = str(err).lower()
    if "locked" in msg or "busy" in msg:
        return RecordBusyError(
            "整改记录正被另一个程序写入（另一个 hgk collect/audit 正在运行？），等待超时，本次未做任何更改；"
            "请等其结束后重试",
            file=str(path),
        )
    return RecordError(f"整改记录无法写入：{err}", file=str(path))


def open_record(path, timeout: float | None = None) -> sqlite3.Connection:
    """Open (create) the record at ``path`` and migrate it to :data:`SCHEMA_VERSION`.

    The connection is in autocommit mode; writes go through :func:`transaction`. ``timeout``: seconds a writer
    waits for another (default ``HGK_CAMPAIGN_TIMEOUT`` or :data:`DEFAULT_TIMEOUT`).
    """
    if timeout is None:
        timeout = float(os.environ.get("HGK_CAMPAIGN_TIMEOUT") or DEFAULT_TIMEOUT)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, factory=RecordConnection)
        con.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "delete":
            con.execute("PRAGMA journal_mode = DELETE")
        con.execute("PRAGMA synchronous = FULL")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA cache_size = -262144")  # 256 MiB: bulk applies touch many index pages
        version = con.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as err:
        if isinstance(err, sqlite3.OperationalError):
            raise _busy(err, path) from err
        raise RecordError(f"不是有效的整改记录数据库：{err}", file=str(path)) from err
    con.record_path = str(path)
    if version > SCHEMA_VERSION:
        con.close()
        raise RecordError(
            f"整改记录的版本（{version}）比本程序支持的（{SCHEMA_VERSION}）新，请升级 hgk", file=str(path)
        )
    for v in range(version, SCHEMA_VERSION):
        with transaction(con):
            now = con.execute("PRAGMA user_version").fetchone()[0]
            if now != v:  # another process migrated meanwhile
                continue
            for stmt in MIGRATIONS[v]:
                con.execute(stmt)
            con.execute(f"PRAGMA user_version = {v + 1}")
    return con


@contextlib.contextmanager
def transaction(con: sqlite3.Connection):
    """One write transaction (``BEGIN IMMEDIATE``: the write lock is taken at once, so a second writer waits here,
    before it has read anything it could act on). Commit on success, roll back on any error."""
    path = getattr(con, "record_path", "campaign.sqlite")
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as err:
        raise _busy(err, path) from err
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    try:
        con.execute("COMMIT")
    except sqlite3.OperationalError as err:
        con.execute("ROLLBACK")
        raise _busy(err, path) from err


@dataclass
class Run:
    """What a run tells the record about itself (campaign.md §2 ``runs``)."""

    kind: str
    county: str | None = None
    input_sha256: str | None = None
    params_sha256: str | None = None
    as_of: str | None = None  # ISO date the run treats as today (default: today)
    export_time: str | None = None  # ISO time of the export (导出时间, else the files' mtime); audit runs
    hgk_version: str | None = None
    note: str | None = None
    run_id: int | None = field(default=None)

    def as_of_date(self) -> str:
        return str(pd.Timestamp(self.as_of).date()) if self.as_of else str(dt.date.today())


def hgk_version() -> str:
    try:
        from importlib.metadata import version

        return version("hgk")
    except Exception:  # noqa: BLE001
        return "unknown"


def start_run(con: sqlite3.Connection, run: Run) -> int:
    """Insert the ``runs`` row (inside the caller's transaction); sets and returns ``run.run_id``."""
    if run.kind not in RUN_KINDS:
        raise ValueError(f"unknown run kind {run.kind!r}")
    cur = con.execute(
        "INSERT INTO runs (kind, started_at, county, input_sha256, params_sha256, hgk_version, as_of, export_time, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run.kind,
            now_text(),
            run.county,
            run.input_sha256,
            run.params_sha256,
            run.hgk_version or hgk_version(),
            run.as_of_date(),
            run.export_time,
            run.note,
        ),
    )
    run.run_id = int(cur.lastrowid)
    return run.run_id


def snapshot_counts(con: sqlite3.Connection, run_id: int, counties) -> None:
    """Store items by state of ``counties`` after ``run_id`` (the open-item curve reads these)."""
    for county in sorted(set(c for c in counties if c is not None)):
        con.execute(
            "INSERT OR REPLACE INTO run_counts (run_id, county, state, n) "
            "SELECT ?, county, state, COUNT(*) FROM items WHERE county = ? GROUP BY county, state",
            (run_id, county),
        )


def read_table(con: sqlite3.Connection, sql: str, params=()) -> pd.DataFrame:
    return pd.read_sql_query(sql, con, params=params)


def items_frame(con: sqlite3.Connection, county: str | None = None) -> pd.DataFrame:
    """All items (of one county)."""
    if county is None:
        return read_table(con, "SELECT * FROM items ORDER BY county, item_id")
    return read_table(con, "SELECT * FROM items WHERE county = ? ORDER BY item_id", (county,))


def events_frame(con: sqlite3.Connection, item_id: str | None = None) -> pd.DataFrame:
    if item_id is None:
        return read_table(con, "SELECT * FROM events ORDER BY event_id")
    return read_table(con, "SELECT * FROM events WHERE item_id = ? ORDER BY event_id", (item_id,))


def runs_frame(con: sqlite3.Connection) -> pd.DataFrame:
    return read_table(con, "SELECT * FROM runs ORDER BY run_id")
