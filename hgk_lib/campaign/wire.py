"""The campaign wired into the county run, ``hgk audit`` / ``hgk check`` and the city summary.

Who touches the record ``outputs/<year>/campaign.sqlite`` and when:

* **county jobs** (the county notebook, ``hgk check``'s loop; possibly many processes or Dask workers at once) only
  *read* it, through a read-only connection (:func:`read_record`): the verified incomes of visits for the verdicts
  (:func:`county_verified_incomes`), and each item's state for the regenerated ledger and visit plan
  (:func:`ledger_states`: the state this audit will leave, computed with the same state table the reconciliation
  uses) and the rows of sheet 市抽查整改意见 (:func:`spot_rows`);
* **the parent** (``hgk audit`` after its county jobs, ``hgk check`` after its loop) is the only writer: before the
  jobs it refuses exports older than the last audited one (:func:`refused_exports`, unless ``--allow-older``), after
  them it reconciles every county from its *saved* results (:func:`reconcile_saved`, one transaction per county,
  one county after another).

Items of one county (:func:`campaign_items`) = :func:`hgk_lib.campaign.hooks.audit_items` of the saved result tables
plus the visit plan's items that are not among them (income close to the exit line, data integrity), so every
问题编号 of the ledger and every 事项编号 of the visit plan exists in the record and can be read back.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pandas as pd

from ..errors import HgkError
from .hooks import COLUMNS, audit_items, reconcile_county
from .record import record_path
from .states import CLOSED, OPEN, audit_moves

#: 导出时间 in a file's title rows (the provincial system's export header)
_EXPORT_TIME = re.compile(r"导出时间\s*[:：]\s*(\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?)")
#: where a streamed head (:func:`hgk_lib.io.readers.xlsx_head_rows`) could read 导出时间 differently from calamine:
#: a cell that is not text right after the label, or right after a date the pattern takes (its time could follow)
_NEAR_NOT_TEXT = re.compile(
    r"导出时间\s*[:：]\s*\x00|导出时间\s*[:：]\s*\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*\x00"
)


# ---------------------------------------------------------------------------------------------------------------
# reading the record (county jobs: read-only)
# ---------------------------------------------------------------------------------------------------------------
def read_record(out_root, year: int) -> sqlite3.Connection | None:
    """A read-only connection to the year's record, or None when there is none yet (first audit)."""
    path = record_path(out_root, year)
    if not path.is_file():
        return None
    con = sqlite3.connect(f"file:{path.resolve().as_posix()}?mode=ro", uri=True, timeout=30.0)
    try:
        con.execute("SELECT 1 FROM items LIMIT 1")
    except sqlite3.DatabaseError:
        con.close()
        return None
    return con


def county_verified_incomes(out_root, year: int, county: str) -> pd.DataFrame | None:
    """Verified per-capita incomes of one county's visits (hh_id · income_pc · visit_date · origin), or None."""
    con = read_record(out_root, year)
    if con is None:
        return None
    try:
        from .collect import verified_incomes

        v = verified_incomes(con, county)
    finally:
        con.close()
    return v if len(v) else None


def last_audit(con: sqlite3.Connection | None, county: str) -> tuple | None:
    """(run_id, input_sha256, export_time) of the county's last audit run, or None."""
    if con is None:
        return None
    return con.execute(
        "SELECT run_id, input_sha256, export_time FROM runs WHERE kind = 'audit' AND county = ? "
        "ORDER BY run_id DESC LIMIT 1",
        (county,),
    ).fetchone()


def predicted_states(have: pd.DataFrame, found: pd.Series, newer: bool) -> pd.DataFrame:
    """State and 整改说明 of each found item after this audit (pure): ``have`` = the record's items of the county
    (item_id, state, note), ``found`` = this audit's item ids, ``newer`` = this export differs from the last audited
    one (else nothing moves). New items are 未整改; found again: 已整改 → 整改不实, 已销号 → 未整改 (the state table
    of :func:`hgk_lib.campaign.states.audit_moves`)."""
    f = pd.Series(pd.unique(found.astype(str)), dtype=object)
    h = have.drop_duplicates("item_id").set_index("item_id")
    state = f.map(h["state"]) if len(h) else pd.Series(None, index=f.index, dtype=object)
    note = f.map(h["note"]) if len(h) and "note" in h else pd.Series(None, index=f.index, dtype=object)
    known = state.notna()
    if newer and known.any():
        moved = audit_moves(state[known], pd.Series(True, index=state[known].index))
        state[known] = moved.where(moved.notna(), state[known])
    state = state.where(known, OPEN)
    return pd.DataFrame(
        {"item_id": f, "state": state.astype(object), "note": note.astype(object).where(note.notna(), None)}
    )


def ledger_states(out_root, year: int, county: str, items: pd.DataFrame, input_sha256: str | None) -> pd.DataFrame:
    """item_id · state · note of this audit's items as the regenerated ledger and visit plan show them (the record's
    state after this audit's reconciliation; 整改说明 as last read back). Empty frame when there is no record."""
    con = read_record(out_root, year)
    if con is None:
        return predicted_states(pd.DataFrame(columns=["item_id", "state", "note"]), items["item_id"], True)
    try:
        have = pd.read_sql_query("SELECT item_id, state, note FROM items WHERE county = ?", con, params=(county,))
        last = last_audit(con, county)
    finally:
        con.close()
    newer = last is None or not input_sha256 or last[1] != input_sha256
    return predicted_states(have, items["item_id"], newer)


def spot_rows(out_root, year: int, county: str, households: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Rows of sheet 市抽查整改意见 (:func:`hgk_lib.campaign.spotcheck.spot_check_sheet`), None without a record."""
    from .spotcheck import spot_check_sheet

    con = read_record(out_root, year)
    if con is None:
        return None
    try:
        return spot_check_sheet(con, county, households)
    finally:
        con.close()


def visit_entries(out_root, year: int, county: str) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """What the county last wrote in its visit plan (read back by ``hgk collect``): per household (hh_id,
    conclusion, income_pc, visitor, visit_date) and per item (item_id, value = 核实结果, note = 说明)."""
    con = read_record(out_root, year)
    if con is None:
        return None, None
    try:
        hh = pd.read_sql_query(
            "SELECT hh_id, conclusion, income_pc, visitor, visit_date FROM verified_incomes WHERE county = ?",
            con,
            params=(county,),
        )
        checks = pd.read_sql_query(
            "SELECT c.item_id, c.value, c.note FROM ledger_claims c JOIN items i "
            "ON i.item_id = c.item_id WHERE c.kind = 'visit' AND i.county = ?",
            con,
            params=(county,),
        )
    finally:
        con.close()
    return hh, checks


# ---------------------------------------------------------------------------------------------------------------
# items of one county
# ---------------------------------------------------------------------------------------------------------------
def campaign_items(
    tables: dict[str, pd.DataFrame],
    county: str,
    year: int,
    params: dict,
    catalogue: dict | None = None,
    integrity: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every campaign item of one county's audit (columns of :data:`hgk_lib.campaign.hooks.COLUMNS`), from its
    result tables (findings, needs, verdicts, dynamic, classes; each with its ``item_id``): the audit's items plus
    the visit plan's items that are not among them."""
    from ..rules import load_catalogue
    from ..visit.items import visit_items

    items = audit_items(
        county,
        year,
        findings=tables.get("findings"),
        needs=tables.get("needs"),
        verdicts=tables.get("verdicts"),
        dynamic=tables.get("dynamic"),
        classes=tables.get("classes"),
        params=params,
    )
    vis = visit_items(
        findings=tables.get("findings"),
        catalogue=catalogue or load_catalogue(),
        params=params,
        verdicts=tables.get("verdicts"),
        needs=tables.get("needs"),
        dynamic=tables.get("dynamic"),
        classes=tables.get("classes"),
        integrity=integrity,
        county=county,
    )
    extra = vis[~vis["item_id"].isin(items["item_id"])]
    if len(extra):
        add = pd.DataFrame({c: None for c in COLUMNS}, index=extra.index)
        add["item_id"], add["county"], add["hh_id"] = extra["item_id"], county, extra["hh_id"]
        add["person_id"] = extra["person_id"].where(extra["person_id"] != "", None)
        add["source"], add["department"], add["description"] = extra["source"], extra["department"], extra["content"]
        add["rule_id"] = extra["rule_id"].where(extra["rule_id"] != "", extra["code"])
        items = pd.concat([items, add[COLUMNS]], ignore_index=True)
    return items.drop_duplicates("item_id").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------------
# the export's time (newer-export check)
# ---------------------------------------------------------------------------------------------------------------
def _title_time(path: Path) -> str | None:
    """导出时间 of a file's first rows (CSV or xlsx), or None."""
    try:
        if path.suffix.lower() == ".csv":
            raw = path.open("rb").read(4096)
            text = next((raw.decode(e, errors="ignore") for e in ("utf-8-sig", "gb18030")), "")
        elif path.suffix.lower() in (".xlsx", ".xlsm"):
            from ..io.readers import xlsx_head_rows

            rows = xlsx_head_rows(path, 5)  # streamed: the title rows without parsing the whole sheet
            text = None if rows is None else "\n".join(rows)
            if text is None or _NEAR_NOT_TEXT.search(text):  # a value next to 导出时间 is not text: read it fully
                text = _calamine_head(path)
        else:
            return None
    except Exception:  # noqa: BLE001 - an unreadable file has no title time; the loader reports it
        return None
    m = _EXPORT_TIME.search(text)
    return pd.Timestamp(m[1]).isoformat() if m else None


def _calamine_head(path: Path) -> str:
    """The first five rows of the first sheet's used range as python-calamine gives them (the whole sheet parsed)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    rows = []
    for name in wb.sheet_names[:1]:
        for i, r in enumerate(wb.get_sheet_by_name(name).iter_rows()):
            rows.append(" ".join(str(v) for v in r if v not in (None, "")))
            if i >= 4:
                break
    return "\n".join(rows)


def export_time_of(folder) -> str | None:
    """The export time of a county folder: the latest 导出时间 of its files' title rows when any has one, else the
    newest modification time of its files (ISO)."""
    from .states import export_time

    files = [p for p in sorted(Path(folder).rglob("*")) if p.is_file() and not p.name.startswith((".", "~$"))]
    times = [t for t in (_title_time(p) for p in files) if t]
    return max(times) if times else export_time(files)


def refused_exports(
    out_root, year: int, data_root, counties: list[str], hashes: dict[str, str], allow_older: bool = False
) -> dict[str, str]:
    """Counties whose export is older than the last audited one (Chinese reason each); empty with ``allow_older``
    or without a record."""
    if allow_older:
        return {}
    con = read_record(out_root, year)
    if con is None:
        return {}
    out = {}
    try:
        for c in counties:
            last = last_audit(con, c)
            if last is None or not last[2] or last[1] == hashes.get(c):
                continue
            now = export_time_of(Path(data_root) / c)
            if now and pd.Timestamp(now) < pd.Timestamp(last[2]):
                out[c] = (
                    f"本次导出的导出时间（{now}）早于上次核查的导出（{last[2]}），不是更新的导出，未核查、整改记录未更新；"
                    "确需按较早的导出核查时请加 --allow-older"
                )
    finally:
        con.close()
    return out


# ---------------------------------------------------------------------------------------------------------------
# the parent: reconcile every county from its saved results
# ---------------------------------------------------------------------------------------------------------------
def reconcile_saved(
    out_root,
    year: int,
    counties: list[str],
    data_root,
    params: dict,
    *,
    as_of=None,
    allow_older: bool = False,
    params_sha256: str | None = None,
) -> dict[str, dict]:
    """Reconcile each county's saved results (``<out_root>/<year>/<county>/results/``) with the record, one county
    after another in this process (the record's only writer during an audit). Returns per county the counts of
    :func:`hgk_lib.campaign.states.reconcile_audit`, or ``{"error": …}`` for a county that could not be reconciled
    (its results missing, an older export …); one county's failure never stops the others."""
    from ..results import read_manifest, read_results

    con = read_record(out_root, year)
    try:
        last = {c: last_audit(con, c) for c in counties}
    finally:
        if con is not None:
            con.close()
    out: dict[str, dict] = {}
    for c in counties:
        d = Path(out_root) / str(int(year)) / c
        try:
            manifest = read_manifest(d)
            sha = manifest.get("input_sha256")
            same = last.get(c) is not None and sha and last[c][1] == sha  # nothing to do: skip reading anything
            tables = {} if same else read_results(d, ["findings", "needs", "verdicts", "dynamic", "classes"])
            items = pd.DataFrame(columns=COLUMNS) if same else campaign_items(tables, c, year, params)
            out[c] = reconcile_county(
                out_root,
                year,
                c,
                items,
                input_sha256=sha,
                export_time=None if same else export_time_of(Path(data_root) / c),
                params_sha256=params_sha256 or manifest.get("params_sha256"),
                as_of=as_of,
                allow_older=allow_older,
            )
        except HgkError as err:
            out[c] = {"error": str(err)}
    return out


def reconcile_lines(res: dict[str, dict]) -> list[str]:
    """One Chinese line per county of :func:`reconcile_saved`'s result."""
    from ..orchestrate.paths import county_name

    lines = []
    for c, r in sorted(res.items()):
        name = county_name(c)
        if r.get("error"):
            lines.append(f"{name}：整改记录未更新（{r['error']}）")
        elif r.get("skipped"):
            lines.append(f"{name}：与上次核查的导出相同，整改记录不变")
        else:
            lines.append(
                f"{name}：新事项 {r['new']}，再次发现 {r['found_again']}（其中整改不实 {r['not_genuine']}，"
                f"重新打开 {r['reopened']}），已销号 {r['closed']}"
            )
    return lines


def as_of_date(as_of=None) -> str:
    """``as_of`` as an ISO date (default today); a clear Chinese error for a bad value."""
    if as_of is None or str(as_of).strip() == "":
        return str(dt.date.today())
    try:
        return str(pd.Timestamp(str(as_of)).date())
    except (ValueError, TypeError):
        raise HgkError(f"--as-of 不是有效日期：{as_of}（应为 2019-10-15 这样的格式）") from None


__all__ = [
    "read_record",
    "county_verified_incomes",
    "ledger_states",
    "predicted_states",
    "spot_rows",
    "visit_entries",
    "campaign_items",
    "export_time_of",
    "refused_exports",
    "reconcile_saved",
    "reconcile_lines",
    "as_of_date",
    "CLOSED",
]


# ---------------------------------------------------------------------------------------------------------------
# spot-check evaluation → the record
# ---------------------------------------------------------------------------------------------------------------
def county_of_sheets(sheets, out_root, year: int, design: pd.DataFrame | None = None) -> dict[str, str]:
    """The spot-check list's sheet names (county names, ≤ 31 characters) → county folders under
    ``<out_root>/<year>/`` (``441881_英德市``); the design's 县（市、区） column when it names a folder. A sheet
    that matches no folder maps to itself."""
    folders = (
        [p.name for p in (Path(out_root) / str(int(year))).iterdir() if p.is_dir() and re.match(r"^\d{6}_", p.name)]
        if (Path(out_root) / str(int(year))).is_dir()
        else []
    )
    by_name = {re.sub(r"^\d{6}_", "", f)[:31]: f for f in folders}
    declared = {}
    if design is not None and {"工作表", "县（市、区）"} <= set(design.columns):
        declared = dict(zip(design["工作表"].astype(str), design["县（市、区）"].astype(str)))
    out = {}
    for s in pd.unique(pd.Series(list(sheets), dtype=object).astype(str)):
        d = declared.get(s)
        out[s] = d if d in folders else by_name.get(s[:31], by_name.get(re.sub(r"^\d{6}_", "", str(d or ""))[:31], s))
    return out


def record_spot_check_file(
    results, out_root, year: int, clean: pd.DataFrame, design: pd.DataFrame | None, params: dict, as_of=None
) -> dict:
    """``hgk spot-check evaluate``: the inspected households' confirmed problems into the record as 市抽查 items
    (deadline ``deadlines.spot_check_days`` after ``as_of``, default today); evaluating the same file again changes
    nothing. Returns :func:`hgk_lib.campaign.spotcheck.record_spot_check`'s counts."""
    from ..io.safe import sha256_file
    from .hooks import record_evaluation

    if clean is None or clean.empty:
        return {"run_id": None, "new": 0, "not_genuine": 0}
    mapping = county_of_sheets(clean["sheet"], out_root, year, design)
    c = clean[clean["hh_id"].notna()]
    return record_evaluation(
        out_root, year, c, as_of_date(as_of), params, county_of_sheet=mapping, input_sha256=sha256_file(results)
    )
