"""Reading the counties' filled workbooks back into the campaign record (campaign.md §2, ``hgk collect``).

Read per county folder under ``outputs/<year>/``:

* the ledger ``回头看台账_<县名>_<year>.xlsx``: 问题清单 (问题编号 · 整改状态 · 整改说明) and, when present,
  市抽查整改意见 (事项编号, else 户编号 + 核查结论 · 整改状态 · 整改说明);
* the visit plan ``入户核查计划_<县名>_<year>.xlsx``: 走访清单 (户编号 · 走访结论 · 核实人均可支配收入 · 走访人 ·
  走访日期) and 核查事项 (事项编号 · 户编号 · 核实结果 · 说明).

Each file passes the xlsx safety checks (:func:`hgk_lib.io.guard.check_xlsx`) and is read with python-calamine
(openpyxl read-only as the fallback; openpyxl took ~10x longer on 8 counties' files); cells holding a formula are
found in the sheet XML and reported, never evaluated. Columns are found by header, so re-sorted rows and extra
columns are fine. Each entry is validated; an invalid one is skipped and reported (file, sheet, row, column, in
Chinese); a whole file from another year or county, or whose ids mostly do not exist in the record, is refused.
Everything valid of one collect is applied in **one transaction**. Read-back is idempotent: an entry equal to the
last one read for the same item (``ledger_claims``) or household (``verified_incomes``) changes nothing, and a
collect that changes nothing leaves no run behind.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import HgkError
from ..io.guard import check_xlsx, col_number
from ..io.safe import sha256_file
from .record import Run, now_text, snapshot_counts, start_run, transaction
from .states import STATES, VISIT_RESULTS, ledger_moves, visit_moves, write_moves

LEDGER_GLOB = "回头看台账_*_{year}.xlsx"
PLAN_GLOB = "入户核查计划_*_{year}.xlsx"
STATUS_SHEET, SPOT_SHEET, VISIT_SHEET, CHECK_SHEET, INFO_SHEET = (
    "问题清单",
    "市抽查整改意见",
    "走访清单",
    "核查事项",
    "说明",
)
VISIT_CONCLUSIONS = ["已走访", "无法入户", "户已不存在"]
MAX_NOTE = 2000
#: files whose rows point to ids unknown to the record more than this share are refused as a whole
UNKNOWN_SHARE_REFUSE = 0.5
ISSUE_COLUMNS = ["文件", "工作表", "行", "列", "原值", "问题", "处理"]
SKIP, REFUSED, NOTICE = "已跳过", "整份未读取", "提示（已读取）"
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


@dataclass
class CollectResult:
    """What one collect did: counts per county and the issues (Chinese, :data:`ISSUE_COLUMNS`)."""

    run_ids: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    issues: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ISSUE_COLUMNS))

    @property
    def changed(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())


class _Issues:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, file, sheet, row, column, value, problem, action=SKIP):
        self.rows.append(
            {
                "文件": file,
                "工作表": sheet,
                "行": row,
                "列": column,
                "原值": None if value is None else str(value)[:200],
                "问题": problem,
                "处理": action,
            }
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=ISSUE_COLUMNS)


class _Refused(Exception):
    """A whole file is refused (reason in Chinese)."""


# ---------------------------------------------------------------------------------------------------------------
# reading cells
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Cell:
    value: object
    formula: bool = False


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT


def cell_text(v) -> str | None:
    """A cell as trimmed NFKC text (whole floats without ``.0``, dates as ISO); blank → None."""
    if _blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()[:10]
    s = unicodedata.normalize("NFKC", str(v)).strip()
    return s or None


def parse_date(v) -> tuple[str | None, bool]:
    """``(ISO date or None, ok)``: a date cell, or text like 2019-10-03, 2019/10/3, 2019.10.3, 2019年10月3日."""
    if _blank(v) or (isinstance(v, str) and not v.strip()):
        return None, True
    if isinstance(v, dt.datetime):
        return v.date().isoformat(), True
    if isinstance(v, dt.date):
        return v.isoformat(), True
    m = _DATE_RE.match(unicodedata.normalize("NFKC", str(v)).strip())
    if not m:
        return None, False
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat(), True
    except ValueError:
        return None, False


def parse_amount(v) -> tuple[float | None, bool]:
    if _blank(v) or (isinstance(v, str) and not v.strip()):
        return None, True
    if isinstance(v, bool):
        return None, False
    if isinstance(v, (int, float)):
        return (float(v), True) if np.isfinite(v) else (None, False)
    s = unicodedata.normalize("NFKC", str(v)).strip().replace(",", "").removesuffix("元")
    try:
        x = float(s)
    except ValueError:
        return None, False
    return (x, True) if np.isfinite(x) else (None, False)


def formula_cells(xml: bytes) -> set[tuple[int, int]]:
    """(row, column) of every cell holding a formula in a worksheet part (``<c r="B7"><f>…``)."""
    out: set[tuple[int, int]] = set()
    pos = 0
    while True:
        i = xml.find(b"<f", pos)
        if i < 0:
            return out
        pos = i + 2
        if xml[i + 2 : i + 3] not in (b">", b" ", b"/"):
            continue
        j = xml.rfind(b"<c", 0, i)
        m = _CELL_REF.match(xml, j) if j >= 0 else None
        if m:
            out.add((int(m[2]), col_number(m[1].decode())))


_CELL_REF = re.compile(rb'<c\s[^>]*?\br\s*=\s*["\']([A-Z]+)(\d+)["\']')


def read_sheets(path: Path, sheets: list[str]) -> dict[str, list[list[Cell]] | None]:
    """The rows of ``sheets`` (absent sheet → None) after the xlsx safety checks. Values are read with
    python-calamine (fast; openpyxl read-only when it is missing); cells holding a formula are found in the sheet's
    XML, so a formula typed into a cell is reported, never evaluated or taken as text."""
    import zipfile

    from ..io.guard import _sheet_names

    data = path.read_bytes()
    check_xlsx(data, path.name)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {name: part for part, name in _sheet_names(zf).items()}
        formulas = {name: formula_cells(zf.read(parts[name])) if name in parts else set() for name in sheets}
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - calamine is a dependency
        return _read_sheets_openpyxl(data, sheets)
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    out: dict[str, list[list[Cell]] | None] = {}
    for name in sheets:
        if name not in wb.sheet_names:
            out[name] = None
            continue
        f = formulas.get(name, set())
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out[name] = [[Cell(v, (r, c) in f) for c, v in enumerate(row, start=1)] for r, row in enumerate(rows, start=1)]
    return out


def _read_sheets_openpyxl(data: bytes, sheets: list[str]) -> dict[str, list[list[Cell]] | None]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        out = {}
        for name in sheets:
            if name not in wb.sheetnames:
                out[name] = None
                continue
            out[name] = [
                [Cell(getattr(c, "value", None), getattr(c, "data_type", None) == "f") for c in r]
                for r in wb[name].iter_rows()
            ]
        return out
    finally:
        wb.close()


def _header(rows: list[list[Cell]], need: list[str]) -> tuple[int, dict[str, int]]:
    """Row index of the header (first of the first 10 rows naming ``need[0]``) and header → column index."""
    for i, r in enumerate(rows[:10]):
        names = [cell_text(c.value) for c in r]
        if need[0] in names:
            pos: dict[str, int] = {}
            for j, h in enumerate(names):
                if h is not None and h not in pos:
                    pos[h] = j
            return i, pos
    return -1, {}


def sheet_entries(
    rows: list[list[Cell]] | None, columns: list[str], required: list[str], file: str, sheet: str, issues: _Issues
) -> pd.DataFrame | None:
    """One row per non-blank data row: ``_row`` (Excel row number), each of ``columns`` (raw value) and
    ``_formula`` (the columns holding a formula). None (reported) when the sheet or a required column is missing."""
    if rows is None:
        raise _Refused(f"缺少工作表“{sheet}”")
    head, pos = _header(rows, required)
    missing = [c for c in required if c not in pos]
    if head < 0 or missing:
        raise _Refused(f"工作表“{sheet}”缺少列：{'、'.join(missing or required)}")
    recs = []
    for i, r in enumerate(rows[head + 1 :], start=head + 2):
        cells = {c: (r[pos[c]] if c in pos and pos[c] < len(r) else Cell(None)) for c in columns}
        if all(cell_text(c.value) is None for c in cells.values()):
            continue
        rec = {
            "_row": i,
            **{c: v.value for c, v in cells.items()},
            "_formula": [
                c
                for c, v in cells.items()
                if v.formula or (isinstance(v.value, str) and v.value.startswith("=") and v.formula)
            ],
        }
        recs.append(rec)
    return pd.DataFrame(recs, columns=["_row", *columns, "_formula"])


def workbook_identity(rows: list[list[Cell]] | None) -> dict:
    """County folder, county name and year stated in a workbook's 说明 sheet (empty when absent)."""
    out: dict = {}
    for r in rows or []:
        vals = [cell_text(c.value) for c in r[:4]] + [None] * 4
        if vals[1] == cell_text("县（市、区）"):
            out["county_name"], out["county"] = vals[2], vals[3]
        elif vals[1] == "核查年度":
            out["year"] = vals[2]
    return out


# ---------------------------------------------------------------------------------------------------------------
# validating entries (vectorised over the rows of one sheet)
# ---------------------------------------------------------------------------------------------------------------
def _texts(df: pd.DataFrame, col: str) -> pd.Series:
    return df[col].map(cell_text) if col in df else pd.Series(None, index=df.index, dtype=object)


def _report(issues: _Issues, file, sheet, df, mask, column, values, problem, action=SKIP):
    for r, v in zip(df.loc[mask, "_row"], values[mask] if values is not None else [None] * int(mask.sum())):
        issues.add(file, sheet, int(r), column, v, problem if isinstance(problem, str) else problem, action)


def _check_ids(ids: pd.Series, known: pd.Index, df, file, sheet, issues, id_col) -> pd.Series:
    """Mask of rows whose id is present, known and not duplicated; refuses the file when most ids are unknown."""
    blank = ids.isna()
    _report(issues, file, sheet, df, blank, id_col, None, f"{id_col}为空，无法对应到事项")
    unknown = ~blank & ~ids.isin(known)
    filled = int((~blank).sum())
    if filled >= 2 and unknown.sum() > UNKNOWN_SHARE_REFUSE * filled:
        raise _Refused(
            f"{int(unknown.sum())}/{filled} 行的{id_col}在整改记录中不存在：可能是其他县、其他年度或旧版的文件"
        )
    _report(
        issues,
        file,
        sheet,
        df,
        unknown,
        id_col,
        ids,
        f"{id_col}在整改记录中不存在（编号被改动，或是其他县、旧版文件的行）",
    )
    dup = ~blank & ids.duplicated(keep=False)
    _report(issues, file, sheet, df, dup, id_col, ids, f"{id_col}重复（行被复制？），这些行都未读取")
    return ~blank & ~unknown & ~dup


def _formula_mask(df, file, sheet, issues, columns) -> pd.Series:
    has = df["_formula"].map(lambda cols: any(c in columns for c in cols))
    for r, cols in zip(df.loc[has, "_row"], df.loc[has, "_formula"]):
        c = [x for x in cols if x in columns][0]
        v = df.loc[df["_row"] == r, c].iloc[0]
        issues.add(file, sheet, int(r), c, v, "单元格是公式，请直接填写文字或数字（本行未读取）")
    return ~has


def _choice_mask(values: pd.Series, options: list[str], df, file, sheet, issues, col, allow_blank) -> pd.Series:
    blank = values.isna()
    bad = ~blank & ~values.isin(options)
    _report(issues, file, sheet, df, bad, col, values, f"{col}不是下拉选项（{' / '.join(options)}）")
    if not allow_blank:
        _report(issues, file, sheet, df, blank, col, None, f"{col}为空")
        return ~bad & ~blank
    return ~bad


def _status_entries(df, file, sheet, issues, known: pd.Index, id_col: str) -> pd.DataFrame:
    ids = _texts(df, id_col)
    ok = _check_ids(ids, known, df, file, sheet, issues, id_col)
    ok &= _formula_mask(df, file, sheet, issues, ["整改状态", "整改说明", "核实值", id_col])
    status = _texts(df, "整改状态")
    ok &= _choice_mask(status, STATES, df, file, sheet, issues, "整改状态", allow_blank=False)
    note = _texts(df, "整改说明")
    long = note.fillna("").str.len() > MAX_NOTE
    _report(issues, file, sheet, df, long & ok, "整改说明", note, f"整改说明超过{MAX_NOTE}字")
    ok &= ~long
    miss = ok & (status == "已整改") & note.isna()
    _report(issues, file, sheet, df, miss, "整改说明", None, "已整改但未填写整改说明", NOTICE)
    fixed = _texts(df, "核实值") if "核实值" in df else pd.Series(None, index=df.index, dtype=object)
    return pd.DataFrame({"item_id": ids, "value": status, "note": note, "fixed": fixed, "row": df["_row"]})[ok]


def _apply_fixed_values(con, entries: pd.DataFrame) -> int:
    """核实值 a county gave for an item (the corrected value for the provincial system); returns rows changed."""
    e = entries[entries["fixed"].notna()] if "fixed" in entries else entries.iloc[0:0]
    if e.empty:
        return 0
    before = con.total_changes
    con.executemany(
        "UPDATE items SET fixed_value = ? WHERE item_id = ? AND fixed_value IS NOT ?",
        [(f, i, f) for i, f in zip(e["item_id"], e["fixed"])],
    )
    return con.total_changes - before


# ---------------------------------------------------------------------------------------------------------------
# applying
# ---------------------------------------------------------------------------------------------------------------
def _claims(con, kind: str, ids: pd.Series) -> pd.DataFrame:
    have = pd.read_sql_query("SELECT item_id, value, note FROM ledger_claims WHERE kind = ?", con, params=(kind,))
    return have[have["item_id"].isin(ids)].set_index("item_id")


def _apply_claims(
    con, run_id, county, entries: pd.DataFrame, kind: str, file: str, sheet: str, issues: _Issues, at: str
) -> dict:
    """Apply ledger (``kind='ledger'``) or visit (``kind='visit'``) entries: ``item_id``, ``value``, ``note``,
    ``row``. Entries equal to the last read for the item change nothing."""
    if entries.empty:
        return {"moves": 0, "notes": 0}
    prev = _claims(con, kind, entries["item_id"])
    pv = entries["item_id"].map(prev["value"])
    pn = entries["item_id"].map(prev["note"])

    def key(x):
        return x.astype(object).where(x.notna(), "\0")

    same = (key(pv) == key(entries["value"])) & (key(pn) == key(entries["note"]))
    e = entries[~same].reset_index(drop=True)
    if e.empty:
        return {"moves": 0, "notes": 0}
    state = pd.read_sql_query(
        f"SELECT item_id, state FROM items WHERE county = ? AND item_id IN ({','.join('?' * len(e))})",
        con,
        params=(county, *e["item_id"]),
    )
    cur = e["item_id"].map(state.set_index("item_id")["state"])
    if kind == "ledger":
        new, why = ledger_moves(cur, e["value"])
        for r, v, w in zip(e.loc[why.notna(), "row"], e.loc[why.notna(), "value"], why[why.notna()]):
            issues.add(file, sheet, int(r), "整改状态", v, w)
    else:
        new = visit_moves(cur, e["value"])
        why = pd.Series(None, index=e.index, dtype=object)
    origin = file + " / " + sheet + " / 第" + e["row"].astype(int).astype(str) + "行"
    note_text = e["value"].where(e["note"].isna(), e["value"] + "：" + e["note"].fillna(""))
    moves = write_moves(con, run_id, e["item_id"], cur, new, origin, note_text, at)
    accepted = why.isna()
    a = e[accepted]
    if kind == "ledger":
        con.executemany(
            "UPDATE items SET note = ? WHERE item_id = ?",
            list(zip(a["note"].astype(object).where(a["note"].notna(), None), a["item_id"])),
        )
    con.executemany(
        "INSERT OR REPLACE INTO ledger_claims (item_id, kind, value, note, run_id) VALUES (?, ?, ?, ?, ?)",
        [
            (i, kind, v, n, run_id)
            for i, v, n in a[["item_id", "value", "note"]]
            .astype(object)
            .where(a[["item_id", "value", "note"]].notna(), None)
            .itertuples(index=False)
        ],
    )
    return {"moves": moves, "notes": int(len(a))}


def _visit_entries(df, file, sheet, issues, households: pd.Index, as_of: str, year: int) -> pd.DataFrame:
    hh = _texts(df, "户编号")
    concl = _texts(df, "走访结论")
    filled = df[["核实人均可支配收入", "走访人", "走访日期"]].map(cell_text).notna().any(axis=1)
    ok = concl.notna()
    _report(issues, file, sheet, df, concl.isna() & filled, "走访结论", None, "填写了走访信息但未选择走访结论")
    ok &= _formula_mask(df, file, sheet, issues, ["户编号", "走访结论", "核实人均可支配收入", "走访人", "走访日期"])
    ok &= _choice_mask(concl, VISIT_CONCLUSIONS, df, file, sheet, issues, "走访结论", allow_blank=True)
    unknown = ok & ~hh.isin(households)
    _report(issues, file, sheet, df, unknown, "户编号", hh, "户编号为空或在整改记录中没有该县的事项")
    ok &= ~unknown
    dup = ok & hh.duplicated(keep=False)
    _report(issues, file, sheet, df, dup, "户编号", hh, "户编号重复（行被复制？），这些行都未读取")
    ok &= ~dup
    amounts = df["核实人均可支配收入"].map(parse_amount)
    amount = amounts.map(lambda t: t[0])
    bad_amount = ok & ~amounts.map(lambda t: t[1]) | ok & (amount < 0)
    _report(issues, file, sheet, df, bad_amount, "核实人均可支配收入", df["核实人均可支配收入"], "不是非负的金额（元）")
    ok &= ~bad_amount
    not_visited = ok & amount.notna() & (concl != "已走访")
    _report(
        issues,
        file,
        sheet,
        df,
        not_visited,
        "核实人均可支配收入",
        amount,
        "未入户（走访结论不是已走访）却填写了核实收入",
    )
    ok &= ~not_visited
    who = _texts(df, "走访人")
    no_who = ok & (concl == "已走访") & who.isna()
    _report(issues, file, sheet, df, no_who, "走访人", None, "已走访但未填写走访人")
    ok &= ~no_who
    dates = df["走访日期"].map(parse_date)
    date = dates.map(lambda t: t[0])
    bad_date = ok & ~dates.map(lambda t: t[1])
    _report(
        issues,
        file,
        sheet,
        df,
        bad_date,
        "走访日期",
        df["走访日期"],
        "日期格式不对（应为 2019-10-03 或 2019年10月3日）",
    )
    ok &= ~bad_date
    future = ok & date.notna() & (date > as_of)
    _report(issues, file, sheet, df, future, "走访日期", date, f"走访日期晚于今天（{as_of}）")
    early = ok & date.notna() & (date < f"{year}-01-01")
    _report(issues, file, sheet, df, early, "走访日期", date, f"走访日期早于核查年度（{year}年）")
    ok &= ~future & ~early
    no_date = ok & (concl == "已走访") & date.isna()
    _report(issues, file, sheet, df, no_date, "走访日期", None, "已走访但未填写走访日期")
    ok &= ~no_date
    return pd.DataFrame(
        {"hh_id": hh, "conclusion": concl, "income_pc": amount, "visitor": who, "visit_date": date, "row": df["_row"]}
    )[ok]


def _apply_visits(con, run_id, county, v: pd.DataFrame, file, sheet) -> int:
    if v.empty:
        return 0
    have = pd.read_sql_query(
        "SELECT hh_id, income_pc, conclusion, visitor, visit_date FROM verified_incomes WHERE county = ?",
        con,
        params=(county,),
    ).set_index("hh_id")
    cols = ["income_pc", "conclusion", "visitor", "visit_date"]
    old = have.reindex(v["hh_id"])[cols].reset_index(drop=True)
    new = v[cols].reset_index(drop=True)
    same = (
        (old.astype(object).fillna("\0").astype(str) == new.astype(object).fillna("\0").astype(str)).all(axis=1)
    ).to_numpy()
    w = v[~same]
    recs = w[["hh_id", "income_pc", "conclusion", "visitor", "visit_date"]].astype(object)
    recs = recs.where(recs.notna(), None)
    con.executemany(
        "INSERT OR REPLACE INTO verified_incomes (county, hh_id, income_pc, conclusion, visitor, "
        "visit_date, run_id, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (county, *r, run_id, f"{file} / {sheet} / 第{int(row)}行")
            for r, row in zip(recs.itertuples(index=False), w["row"])
        ],
    )
    return int(len(w))


def _check_identity(ident: dict, file: str, county: str, year: int) -> None:
    y = ident.get("year")
    if y is not None and str(y) != str(year):
        raise _Refused(f"文件是{y}年度的，不是{year}年度")
    if not re.search(rf"_{year}\.xlsx$", file):
        raise _Refused(f"文件名中的年度不是{year}")
    c = ident.get("county")
    if c is not None and c != county:
        raise _Refused(f"文件属于“{c}”，不是“{county}”")


def collect_county(
    con: sqlite3.Connection, county: str, files: list[Path], run_id: int, year: int, as_of: str, issues: _Issues
) -> dict:
    """Read back one county's ledgers and visit plans into the record (inside the caller's transaction)."""
    at = now_text()
    counts = {
        "ledger_moves": 0,
        "ledger_entries": 0,
        "spot_moves": 0,
        "visit_moves": 0,
        "visit_entries": 0,
        "incomes": 0,
        "values": 0,
    }
    known = pd.Index(pd.read_sql_query("SELECT item_id FROM items WHERE county = ?", con, params=(county,))["item_id"])
    households = pd.Index(
        pd.read_sql_query(
            "SELECT DISTINCT hh_id FROM items WHERE county = ? AND hh_id IS NOT NULL", con, params=(county,)
        )["hh_id"]
    )
    for path in files:
        name = path.name
        plan = name.startswith("入户核查计划_")
        sheets = [INFO_SHEET] + ([VISIT_SHEET, CHECK_SHEET] if plan else [STATUS_SHEET, SPOT_SHEET])
        mark = len(issues.rows)
        try:
            try:
                rows = read_sheets(path, sheets)
            except HgkError as err:
                raise _Refused(str(err)) from err
            except Exception as err:  # noqa: BLE001 - a broken workbook is reported, never a crash
                raise _Refused(f"无法读取：{type(err).__name__}：{err}") from err
            _check_identity(workbook_identity(rows[INFO_SHEET]), name, county, year)
            con.execute("SAVEPOINT one_file")
            try:
                if plan:
                    cols = ["事项编号", "户编号", "核实结果", "说明"]
                    chk = sheet_entries(rows[CHECK_SHEET], cols, ["事项编号", "核实结果"], name, CHECK_SHEET, issues)
                    vis = sheet_entries(
                        rows[VISIT_SHEET],
                        ["户编号", "走访结论", "核实人均可支配收入", "走访人", "走访日期"],
                        ["户编号", "走访结论"],
                        name,
                        VISIT_SHEET,
                        issues,
                    )
                    e = _check_entries(con, chk, name, issues, known)
                    r = _apply_claims(con, run_id, county, e, "visit", name, CHECK_SHEET, issues, at)
                    counts["visit_moves"] += r["moves"]
                    counts["visit_entries"] += r["notes"]
                    v = _visit_entries(vis, name, VISIT_SHEET, issues, households, as_of, year)
                    counts["incomes"] += _apply_visits(con, run_id, county, v, name, VISIT_SHEET)
                else:
                    st = sheet_entries(
                        rows[STATUS_SHEET],
                        ["问题编号", "整改状态", "整改说明", "核实值"],
                        ["问题编号", "整改状态"],
                        name,
                        STATUS_SHEET,
                        issues,
                    )
                    e = _status_entries(st, name, STATUS_SHEET, issues, known, "问题编号")
                    r = _apply_claims(con, run_id, county, e, "ledger", name, STATUS_SHEET, issues, at)
                    counts["values"] += _apply_fixed_values(con, e)
                    counts["ledger_moves"] += r["moves"]
                    counts["ledger_entries"] += r["notes"]
                    if rows[SPOT_SHEET] is not None:
                        sp = sheet_entries(
                            rows[SPOT_SHEET],
                            ["事项编号", "户编号", "核查结论", "整改状态", "整改说明"],
                            ["整改状态"],
                            name,
                            SPOT_SHEET,
                            issues,
                        )
                        sp["事项编号"] = _spot_ids(sp, county)
                        e = _status_entries(sp, name, SPOT_SHEET, issues, known, "事项编号")
                        r = _apply_claims(con, run_id, county, e, "ledger", name, SPOT_SHEET, issues, at)
                        counts["spot_moves"] += r["moves"]
                        counts["ledger_entries"] += r["notes"]
            except BaseException:
                con.execute("ROLLBACK TO one_file")
                con.execute("RELEASE one_file")
                raise
            con.execute("RELEASE one_file")
        except _Refused as err:
            del issues.rows[mark:]  # the file is refused as a whole: its row-level findings are moot
            issues.add(name, None, None, None, None, str(err), REFUSED)
    return counts


def _spot_ids(sp: pd.DataFrame, county: str) -> pd.Series:
    """事项编号 of 市抽查整改意见 rows: the column when filled, else recomputed from 户编号 + 核查结论."""
    from ..items import item_ids

    given = _texts(sp, "事项编号")
    if sp.empty:
        return given
    calc = item_ids(
        pd.DataFrame({"county": county, "hh_id": _texts(sp, "户编号")}, index=sp.index),
        "市抽查",
        _texts(sp, "核查结论").fillna(""),
    )
    return given.where(given.notna(), calc.where(_texts(sp, "户编号").notna()))


def _check_entries(con, df, file, issues, known) -> pd.DataFrame:
    sheet = CHECK_SHEET
    ids = _texts(df, "事项编号")
    ok = _check_ids(ids, known, df, file, sheet, issues, "事项编号")
    ok &= _formula_mask(df, file, sheet, issues, ["事项编号", "户编号", "核实结果", "说明"])
    res = _texts(df, "核实结果")
    ok &= _choice_mask(res, VISIT_RESULTS, df, file, sheet, issues, "核实结果", allow_blank=True)
    ok &= res.notna()
    note = _texts(df, "说明")
    no_note = ok & (res == "不属实") & note.isna()
    _report(issues, file, sheet, df, no_note, "说明", None, "核实结果为不属实时必须填写说明")
    ok &= ~no_note
    hh = _texts(df, "户编号")
    if ok.any() and hh.notna().any():
        rec = pd.read_sql_query(
            f"SELECT item_id, hh_id FROM items WHERE item_id IN ({','.join('?' * int(ok.sum()))})",
            con,
            params=tuple(ids[ok]),
        ).set_index("item_id")["hh_id"]
        mism = ok & hh.notna() & (ids.map(rec) != hh)
        _report(issues, file, sheet, df, mism, "户编号", hh, "户编号与事项编号所属的户不一致（行被改动？）")
        ok &= ~mism
    return pd.DataFrame({"item_id": ids, "value": res, "note": note, "row": df["_row"]})[ok]


# ---------------------------------------------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------------------------------------------
def county_files(year_dir: Path, year: int, county: str) -> list[Path]:
    d = Path(year_dir) / county
    return sorted(d.glob(LEDGER_GLOB.format(year=year))) + sorted(d.glob(PLAN_GLOB.format(year=year)))


def collect(
    con: sqlite3.Connection,
    year_dir,
    year: int,
    counties: list[str] | None = None,
    as_of=None,
    files: dict[str, list[Path]] | None = None,
) -> CollectResult:
    """Read back every county's filled ledger and visit plan under ``year_dir`` (or the given ``files`` per
    county) in one transaction; one ``collect`` run per county that changed something."""
    year_dir = Path(year_dir)
    as_of = str(pd.Timestamp(as_of).date()) if as_of else str(dt.date.today())
    if files is None:
        counties = counties or sorted(
            p.name for p in year_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
        )
        files = {c: county_files(year_dir, year, c) for c in counties}
    issues = _Issues()
    result = CollectResult()
    with transaction(con):
        for county, paths in sorted(files.items()):
            if not paths:
                continue
            sha = "+".join(sha256_file(p) for p in paths)
            run = Run("collect", county=county, input_sha256=sha, as_of=as_of)
            run_id = start_run(con, run)
            counts = collect_county(con, county, paths, run_id, year, as_of, issues)
            if sum(counts.values()) == 0:  # nothing changed: leave no run behind (idempotent read-back)
                con.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
            else:
                snapshot_counts(con, run_id, [county])
                result.run_ids[county] = run_id
            result.counts[county] = counts
    result.issues = issues.frame()
    return result


def verified_incomes(con: sqlite3.Connection, county: str) -> pd.DataFrame:
    """Verified per-capita incomes from visits (核实人均可支配收入) of one county, for the next audit's verdicts:
    hh_id · income_pc · conclusion · visitor · visit_date · origin (file / sheet / row) — only households with an
    amount."""
    return pd.read_sql_query(
        "SELECT hh_id, income_pc, conclusion, visitor, visit_date, origin FROM verified_incomes "
        "WHERE county = ? AND income_pc IS NOT NULL ORDER BY hh_id",
        con,
        params=(county,),
    )


def write_issues(issues: pd.DataFrame, path) -> None:
    """读回问题 workbook (formula-safe, atomic)."""
    from ..report.xlsx import new_workbook, save_workbook, write_table

    wb = new_workbook(Path(path).stem, None)
    write_table(
        wb, "读回问题", issues.astype(object).where(issues.notna(), None), {"行": "int", "问题": "long", "原值": "long"}
    )
    save_workbook(wb, path)


def run_collect_cli(args) -> int:
    """``hgk collect --year Y --out DIR [--county C] [--as-of DATE]``."""
    from ..io.safe import check_path_component
    from .record import open_record, record_path

    year_dir = Path(args.out) / str(args.year)
    if not year_dir.is_dir():
        raise HgkError("找不到该年度的输出目录（请先运行 hgk audit）", file=str(year_dir))
    counties = [check_path_component(c, "县目录") for c in args.county] if args.county else None
    con = open_record(record_path(args.out, args.year))
    try:
        res = collect(con, year_dir, args.year, counties, args.as_of)
    finally:
        con.close()
    for county, c in sorted(res.counts.items()):
        print(
            f"{county}：台账读回 {c['ledger_entries']} 条（状态变化 {c['ledger_moves'] + c['spot_moves']}），"
            f"核查事项 {c['visit_entries']} 条（状态变化 {c['visit_moves']}），核实收入 {c['incomes']} 户"
        )
    if not res.counts:
        print("没有找到已填写的台账或入户核查计划")
    if len(res.issues):
        out = year_dir / f"读回问题_{args.year}.xlsx"
        write_issues(res.issues, out)
        print(f"有 {len(res.issues)} 条填写问题（已跳过或整份未读取），见 {out}")
    if res.changed == 0 and res.counts:
        print("整改记录没有变化（这些文件已读取过）")
    return 0
