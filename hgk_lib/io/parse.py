"""From a grid of raw cells to one canonical table (see :mod:`hgk_lib.schema`), a quarantine and a ledger row.

Every column is parsed by mapping its *distinct* raw values (``pd.factorize``) through a per-kind cell parser and
taking the results back by code, so the Python-level work is proportional to the number of distinct values, not
to the number of rows. Each cell parser returns ``(value, raw, reason)``:

* ``value``  the canonical value (or NA);
* ``raw``    the original text when the value could not be understood but the row is still usable
             (``code``/``yesno``/``date``/``multi`` -> ``<key>__raw``);
* ``reason`` a Chinese reason when the row cannot be used at all (precision-lost ID, text in a number column):
             the whole row goes to the quarantine, never repaired.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import schema as S
from ..text import fullmatch as _fullmatch
from ..errors import InputError
from .readers import Grid

#: the header row is looked for in the first rows of a sheet (export_format.md: up to 5 title rows; we allow more)
MAX_HEADER_SCAN = 10
#: text columns holding identifiers: parsed like ``id`` columns (numbers -> integer strings, ``'``/``="..."``
#: removed, precision-lost numbers quarantined) so they still join across tables
ID_LIKE_TEXT = {"hh_id", "person_id", "project_id"}
BLANK_ROW_REASON = "空行"

_SCI = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_NUM = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_WRAP = re.compile(r'=\s*"(.*)"', re.S)
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?"
)
_YMD = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL_TEXT = re.compile(r"\d{1,5}(?:\.\d+)?")
_UNIT = re.compile(r"[（(]([^（）()]+)[)）]\s*$")
_MULTI_SPLIT = re.compile(S.MULTI_SEPARATORS + r"|\s+")
_BLANKS_UPPER = {b.upper() for b in S.BLANK_LIKES}
_YES = {v.upper() for v in S.YES_VALUES}
_NO = {v.upper() for v in S.NO_VALUES}
_EXCEL_MAX_SERIAL = 73415  # 2100-12-31


# ---------------------------------------------------------------------------------------------------------------
# cell helpers
# ---------------------------------------------------------------------------------------------------------------
def cell_text(v) -> str:
    """A raw cell as the text a user would recognise (for ``__raw`` and the quarantine)."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else format(v, ".15g")
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ") if (v.hour or v.minute or v.second) else v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return "" if v is None else str(v)


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s).strip()


def is_blank(v) -> bool:
    """Empty cell or a blank-like text (``无`` ``/`` ``-`` ``—`` ``NULL`` ...)."""
    if v is None:
        return True
    if isinstance(v, str):
        return _nfkc(v).upper() in _BLANKS_UPPER
    return isinstance(v, float) and math.isnan(v)


def _is_empty(v) -> bool:
    """Truly empty (for blank rows): no cell content but whitespace."""
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def _short(v, n: int = 60) -> str:
    s = cell_text(v)
    return s if len(s) <= n else s[:n] + "…"


OK = (None, None, None)


# ---------------------------------------------------------------------------------------------------------------
# per-kind cell parsers: v -> (value, raw, reason)
# ---------------------------------------------------------------------------------------------------------------
def make_parser(col: S.Column):
    header = col.header
    kind = col.kind
    if kind == "id" or (kind == "text" and col.key in ID_LIKE_TEXT):
        return _id_parser(header)
    if kind == "text":
        return _parse_text
    if kind == "code":
        return _code_parser(col.enum)
    if kind == "multi":
        return _multi_parser(col.enum)
    if kind == "yesno":
        return _parse_yesno
    if kind == "date":
        return _parse_date
    if kind in ("int", "amount"):
        return _number_parser(header, kind == "int")
    raise ValueError(f"unknown column kind {kind!r}")  # pragma: no cover - schema is fixed


def _parse_text(v):
    if is_blank(v):
        return OK
    return (v.strip() if isinstance(v, str) else cell_text(v)), None, None


def _id_parser(header: str):
    lost = f"{header}在Excel中存为数字，已丢失末位数字，无法恢复"

    def parse(v):
        if isinstance(v, bool):
            return cell_text(v), None, None
        if isinstance(v, (int, float)):
            if isinstance(v, float) and not math.isfinite(v):
                return None, None, f"{header}不是有效的号码"
            if float(v).is_integer():
                n = abs(int(v))
                if len(str(n)) > 15:
                    return None, None, lost
                return str(int(v)), None, None
            return format(v, ".15g"), None, None
        if not isinstance(v, str):
            return cell_text(v), None, None
        if is_blank(v):
            return OK
        s = _nfkc(v)
        if s.startswith("'"):
            s = s[1:].strip()
        m = _WRAP.fullmatch(s)
        if m:
            s = m.group(1).strip()
        if is_blank(s):
            return OK
        if _SCI.fullmatch(s):
            return None, None, f"{header}为科学计数法（{s}），已丢失末位数字，无法恢复"
        return s.upper(), None, None

    return parse


def _code_parser(enum: str):
    cmap = S.code_map(enum)

    def parse(v):
        if is_blank(v):
            return OK
        t = cell_text(v)
        key = S.normalise_header(t)
        lab = cmap.get(key) or cmap.get(key.upper())
        return (lab, None, None) if lab else (None, t, None)

    return parse


def _multi_parser(enum: str):
    cmap = S.code_map(enum)
    order = S.ENUMS[enum]

    def parse(v):
        if is_blank(v):
            return OK
        t = cell_text(v)
        parts = [S.normalise_header(p) for p in _MULTI_SPLIT.split(unicodedata.normalize("NFKC", t))]
        parts = [p for p in parts if p and p.upper() not in _BLANKS_UPPER]
        labels = [cmap.get(p) or cmap.get(p.upper()) for p in parts]
        known = {lab for lab in labels if lab}
        value = ",".join(lab for lab in order if lab in known) or None
        unknown = any(lab is None for lab in labels)
        return value, (t if unknown else None), None

    return parse


def _parse_yesno(v):
    if isinstance(v, bool):
        return v, None, None
    if is_blank(v):
        return OK
    t = cell_text(v)
    key = S.normalise_header(t).upper()
    if key in _YES:
        return True, None, None
    if key in _NO:
        return False, None, None
    return None, t, None


def _ymd(y: int, m: int, d: int):
    if not 1900 <= y <= 2100:
        return None
    try:
        return pd.Timestamp(dt.date(y, m, d))
    except ValueError:
        return None


def _serial(x: float):
    """Excel 1900-system serial -> Timestamp (None when out of range or the phantom 1900-02-29)."""
    days = math.floor(x)
    if not 1 <= days <= _EXCEL_MAX_SERIAL or days == 60:
        return None
    base = dt.date(1899, 12, 31) if days < 60 else dt.date(1899, 12, 30)
    return pd.Timestamp(base + dt.timedelta(days=days))


def _number_to_date(x: float):
    if x.is_integer() and 19000101 <= x <= 21001231:  # 20190901 typed as a number
        s = str(int(x))
        return _ymd(int(s[:4]), int(s[4:6]), int(s[6:]))
    if x.is_integer() and 1900 <= x <= 2100:  # a year alone, or a serial in 1905? ambiguous: not guessed
        return None
    return _serial(x)


def _parse_date(v):
    ts = None
    if isinstance(v, bool):
        return pd.NaT, cell_text(v), None
    if isinstance(v, dt.datetime):
        ts = _ymd(v.year, v.month, v.day)
    elif isinstance(v, dt.date):
        ts = _ymd(v.year, v.month, v.day)
    elif isinstance(v, (int, float)):
        ts = _number_to_date(float(v)) if math.isfinite(v) else None
    elif isinstance(v, str):
        if is_blank(v):
            return pd.NaT, None, None
        s = _nfkc(v)
        m = _DATE.fullmatch(s)
        if m:
            ts = _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        elif (m := _YMD.fullmatch(s)) is not None:
            ts = _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        elif _SERIAL_TEXT.fullmatch(s):
            ts = _number_to_date(float(s))
    if ts is None:
        return pd.NaT, cell_text(v), None
    return ts, None, None


def _number_parser(header: str, integer: bool):
    m = _UNIT.search(header)
    units = [m.group(1)] if m else ["元"]  # the unit in the header's brackets, else yuan
    if units[0] == "月":
        units.insert(0, "个月")
    not_number = f"{header}不是数字"
    not_int = f"{header}应为整数"

    def parse(v):
        if isinstance(v, bool) or isinstance(v, (dt.date, dt.time, dt.timedelta)):
            return None, None, f"{not_number}：{_short(v)}"
        if isinstance(v, (int, float)):
            x = float(v)
        elif isinstance(v, str):
            if is_blank(v):
                return OK
            s = "".join(_nfkc(v).replace("\u2212", "-").split())
            for u in units:
                if s.endswith(u) and len(s) > len(u):
                    s = s[: -len(u)]
                    break
            if "," in s:
                if not _THOUSANDS.fullmatch(s):
                    return None, None, f"{not_number}：{_short(v)}"
                s = s.replace(",", "")
            if not _NUM.fullmatch(s):
                return None, None, f"{not_number}：{_short(v)}"
            x = float(s)
        else:
            return None, None, f"{not_number}：{_short(v)}"
        if not math.isfinite(x):
            return None, None, f"{not_number}：{_short(v)}"
        if integer:
            if not x.is_integer() or abs(x) >= 2**62:
                return None, None, f"{not_int}：{_short(v)}"
            return int(x), None, None
        return x, None, None

    return parse


# ---------------------------------------------------------------------------------------------------------------
# column assembly: distinct values -> vectorised fast paths for the common clean forms, the cell parser for the rest
# ---------------------------------------------------------------------------------------------------------------
_BLANK_LIST = sorted(_BLANKS_UPPER | S.BLANK_LIKES)
_CJK_ONLY = "[\u4e00-\u9fff]+"  # the characters themselves: RE2 (pyarrow) has no \\u escapes
_ASCII_SCI = r"[+-]?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+"  # _SCI for ASCII text (RE2's \\d is ASCII only anyway)


def _types(uniques: np.ndarray, all_str: bool = False) -> np.ndarray:
    """Type name of each distinct value (``all_str``: known to be all ``str``, not looked at)."""
    if all_str:
        return np.full(len(uniques), "str", dtype=object)
    return np.array([type(u).__name__ for u in uniques], dtype=object) if len(uniques) else np.array([], object)


def _clean_strings(uniques: np.ndarray, types: np.ndarray):
    """Indices of str uniques and their stripped text (pyarrow-backed, vectorised), plus a 'surely not blank' mask."""
    idx = np.flatnonzero(types == "str")
    s = pd.Series(uniques[idx], dtype="str").str.strip()
    n = s.str.len()
    not_blank = ((n > 0) & ~s.isin(_BLANK_LIST)).fillna(False).to_numpy(dtype=bool)
    return idx, s, not_blank & ((n > 4).fillna(False).to_numpy(dtype=bool) | _fullmatch(s, _CJK_ONLY))


def _fast_text(uniques, types, uvals, done):
    idx, s, ok = _clean_strings(uniques, types)
    uvals[idx[ok]] = s[ok].to_numpy(dtype=object)
    done[idx[ok]] = True


def _fast_id(uniques, types, uvals, done):
    idx, s, _ = _clean_strings(uniques, types)
    # as the cell parser: one leading ' (Excel's text mark) dropped, letters upper-cased, 4E17 left to it
    t = s.str.removeprefix("'").str.strip()
    up = t.str.upper()
    ok = _fullmatch(t, r"[0-9A-Za-z]{1,40}") & ~up.isin(_BLANKS_UPPER).to_numpy(dtype=bool)
    ok &= ~_fullmatch(t, _ASCII_SCI)
    uvals[idx[ok]] = up[ok].to_numpy(dtype=object)
    done[idx[ok]] = True
    # ="..." (Excel's formula text, the exports' usual form for long numbers): the quoted ID, as above
    wrapped = ~ok & _fullmatch(t, r'="[0-9A-Za-z]{1,40}"')
    if wrapped.any():
        inner = up[wrapped].str.slice(2, -1)
        good = ~inner.isin(_BLANKS_UPPER).to_numpy(dtype=bool) & ~_fullmatch(inner, _ASCII_SCI)
        where = idx[wrapped][good]
        uvals[where] = inner[good].to_numpy(dtype=object)
        done[where] = True
    nidx = np.flatnonzero((types == "float") | (types == "int"))
    if len(nidx):
        x = np.array(uniques[nidx], dtype="float64")
        ok = np.isfinite(x) & (np.abs(x) < 1e15)
        ok[ok] &= x[ok] == np.floor(x[ok])
        uvals[nidx[ok]] = x[ok].astype(np.int64).astype(str).astype(object)
        done[nidx[ok]] = True


def _fast_number(integer: bool):
    def fast(uniques, types, uvals, done):
        nidx = np.flatnonzero((types == "float") | (types == "int"))
        sidx, s, _ = _clean_strings(uniques, types)
        sok = _fullmatch(s, r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?")
        # 12,345.67: thousands separators, up to 15 digits before the point, as the cell parser reads them
        tok = ~sok & _fullmatch(s, r"-?[0-9]{1,3}(?:,[0-9]{3}){1,4}(?:\.[0-9]{1,15})?")
        idx = np.concatenate([nidx, sidx[sok], sidx[tok]])
        if not len(idx):
            return
        x = np.concatenate(
            [
                np.array(uniques[nidx], dtype="float64"),
                pd.to_numeric(s[sok]).to_numpy(dtype="float64"),
                pd.to_numeric(s[tok].str.replace(",", "", regex=False)).to_numpy(dtype="float64"),
            ]
        )
        ok = np.isfinite(x)
        if integer:
            ok &= np.abs(x) < 2**62
            ok[ok] &= x[ok] == np.floor(x[ok])
            uvals[idx[ok]] = x[ok].astype(np.int64).astype(object)
        else:
            uvals[idx[ok]] = x[ok]
        done[idx[ok]] = True

    return fast


def _fast_date(uniques, types, uvals, done):
    didx = np.flatnonzero((types == "date") | (types == "datetime"))
    if len(didx):
        objs = uniques[didx]
        years = np.array([d.year for d in objs])
        ok = (years >= 1900) & (years <= 2100)
        if ok.any():
            ts = pd.to_datetime(pd.Series(objs[ok], dtype=object)).dt.normalize()
            uvals[didx[ok]] = ts.to_numpy(dtype="datetime64[ns]")
            done[didx[ok]] = True
    sidx, s, _ = _clean_strings(uniques, types)
    left = np.ones(len(sidx), dtype=bool)
    for fmt, pattern in _FAST_DATE_FORMATS:
        hit = left & _fullmatch(s, pattern)
        if not hit.any():
            continue
        ts = pd.to_datetime(s[hit], format=fmt, errors="coerce")
        good = (ts.notna() & (ts.dt.year >= 1900) & (ts.dt.year <= 2100)).to_numpy(dtype=bool)
        where = sidx[hit][good]
        uvals[where] = ts[good].to_numpy(dtype="datetime64[ns]")
        done[where] = True
        left &= ~hit


_FAST_DATE_FORMATS = [
    ("%Y-%m-%d", r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    ("%Y/%m/%d", r"[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}"),
    ("%Y%m%d", r"(?:19|20)[0-9]{2}[01][0-9][0-3][0-9]"),
    ("%Y.%m.%d", r"[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,2}"),
    ("%Y年%m月%d日", r"[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日"),
]


def _fast_path(col: S.Column):
    if col.kind == "id" or (col.kind == "text" and col.key in ID_LIKE_TEXT):
        return _fast_id
    if col.kind == "text":
        return _fast_text
    if col.kind in ("int", "amount"):
        return _fast_number(col.kind == "int")
    if col.kind == "date":
        return _fast_date
    return None  # code/yesno/multi: few distinct values, the cell parser is fast enough


def parse_column(arr: np.ndarray, col: S.Column, factorized=None, all_str: bool = False):
    """Parse one column: returns (values, raw or None, reasons object array or None).

    ``all_str`` says every distinct value is a ``str`` (CSV), sparing the per-value type check."""
    codes, uniques = factorized if factorized is not None else pd.factorize(arr, use_na_sentinel=True)
    n = len(uniques)
    kind = col.kind
    if kind == "amount":
        uvals = np.full(n + 1, np.nan, dtype="float64")
    elif kind == "date":
        uvals = np.full(n + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
    else:
        uvals = np.full(n + 1, None, dtype=object)  # index n: missing cells (code -1)
    uraw = np.full(n + 1, None, dtype=object)
    ureason = np.full(n + 1, None, dtype=object)
    done = np.zeros(n + 1, dtype=bool)
    done[n] = True
    fast = _fast_path(col)
    if fast is not None and n:
        fast(uniques, _types(uniques, all_str), uvals, done)
    todo = np.flatnonzero(~done)
    if len(todo):
        parser = make_parser(col)
        for i in todo:
            v, r, q = parser(uniques[i])
            if v is not None and v is not pd.NaT:
                uvals[i] = v
            uraw[i] = r
            ureason[i] = q
    if kind == "int":
        values = pd.array(uvals, dtype="Int64").take(codes)
    elif kind == "yesno":
        values = pd.array(uvals, dtype="boolean").take(codes)
    else:
        values = uvals[codes]
    raw = uraw[codes] if kind in ("code", "yesno", "date", "multi") else None
    reasons = ureason[codes] if any(q is not None for q in ureason[todo]) else None
    return values, raw, reasons


def _empty_flags(uniques: np.ndarray, all_str: bool = False) -> np.ndarray:
    """Per distinct value: empty (no content but whitespace)? Plus a final True for missing (code -1)."""
    flags = np.ones(len(uniques) + 1, dtype=bool)
    if len(uniques):
        types = _types(uniques, all_str)
        flags[:-1] = [(_is_empty(u)) for u in uniques] if (types != "str").any() else False
        sidx = np.flatnonzero(types == "str")
        if len(sidx):
            flags[sidx] = (pd.Series(uniques[sidx], dtype="str").str.strip().str.len() == 0).to_numpy(dtype=bool)
    return flags


def col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


@dataclass
class TableResult:
    table: pd.DataFrame
    quarantine: pd.DataFrame
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    missing_optional: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    quarantined_hh: set = field(default_factory=set)


QUARANTINE_COLUMNS = ["table", "file", "sheet", "row", "column", "value", "reason"]


def empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": pd.Series([], dtype=object),
            "file": pd.Series([], dtype=object),
            "sheet": pd.Series([], dtype=object),
            "row": pd.Series([], dtype="int64"),
            "column": pd.Series([], dtype=object),
            "value": pd.Series([], dtype=object),
            "reason": pd.Series([], dtype=object),
        }
    )


def header_finder(table: S.Table):
    keys = {S.normalise_header(k) for k in table.header_keys}

    def find(rows) -> int | None:
        for i, row in enumerate(rows[:MAX_HEADER_SCAN]):
            for v in row:
                if isinstance(v, str) and S.normalise_header(v) in keys:
                    return i
        return None

    return find


def _header_names(grid: Grid, h: int) -> tuple[list, int]:
    """Header text per column and the last header row (a header merged over several rows has sub-headers)."""
    rows = grid.rows
    end = h
    for (r0, _c0), (r1, _c1) in grid.merged:
        if r0 == h and r1 > end:
            end = min(r1, h + 3, len(rows) - 1)
    width = max(len(r) for r in rows[h : end + 1])
    names = []
    for c in range(width):
        name = ""
        for r in range(h, end + 1):
            v = rows[r][c] if c < len(rows[r]) else ""
            if not _is_empty(v):
                name = cell_text(v)
        names.append(name)
    return names, end


def _row_columns(grid: Grid, h_end: int, n_names: int, mapped: set):
    """Data rows of a row grid (after the header, up to the last non-empty row) as factorized columns.

    Returns ``(arrays, facts, all_str, blank, row_no)``: the raw cell array and ``(codes, uniques)`` of each mapped
    column, ``all_str`` False (cells of any type), the blank-row mask and the spreadsheet row numbers."""
    data = grid.rows[h_end + 1 :]
    last = len(data)
    while last and all(_is_empty(v) for v in data[last - 1]):
        last -= 1
    data = data[:last]
    n = len(data)
    if grid.row_numbers is None:
        row_no = np.arange(h_end + 2, h_end + 2 + n, dtype="int64")
    else:
        row_no = np.asarray(grid.row_numbers[h_end + 1 : h_end + 1 + n], dtype="int64")
    width = max([n_names] + [len(r) for r in data[:1]] + [len(r) for r in data[-1:]])
    if n and any(len(r) != width for r in data):
        width = max(width, max(len(r) for r in data))
        data = [r if len(r) == width else list(r) + [""] * (width - len(r)) for r in data]
    columns = list(zip(*data)) if n else [()] * width
    blank = np.ones(n, dtype=bool)
    arrays, facts = {}, {}
    for i, c in enumerate(columns):
        arr = np.array(c, dtype=object)
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
        blank &= _empty_flags(uniques)[codes]
        if i in mapped:
            arrays[i], facts[i] = arr, (codes, uniques)
    return arrays, facts, False, blank, row_no


def _body_columns(body, mapped: set):
    """The same from a CSV body already split into columns (every cell ``str``): trailing blank rows cut."""
    n = body.n
    blank = np.ones(n, dtype=bool)
    for codes, uniques in body.columns:
        blank &= _empty_flags(uniques, all_str=True)[codes]
    keep = np.flatnonzero(~blank)
    last = int(keep[-1]) + 1 if len(keep) else 0
    facts = {i: (codes[:last], uniques) for i, (codes, uniques) in enumerate(body.columns) if i in mapped}
    row_no = np.arange(body.first_row, body.first_row + last, dtype="int64")
    return {}, facts, True, blank[:last], row_no


def _cells(fact, mask: np.ndarray) -> np.ndarray:
    """The raw cells of the rows in ``mask`` from a factorized column (for the quarantine)."""
    codes, uniques = fact
    return uniques[codes[mask]]


def parse_grid(table: S.Table, grid: Grid, h: int, file: str) -> TableResult:
    """Parse the grid of one table whose header row index is ``h``."""
    names, h_end = _header_names(grid, h)
    sheet = grid.sheet
    known = {S.normalise_header(c.header): c for c in table.columns}
    found: dict[str, int] = {}
    dups: dict[str, list[int]] = {}
    ignored = []
    for i, name in enumerate(names):
        norm = S.normalise_header(name)
        if not norm:
            continue
        col = known.get(norm)
        if col is None:
            ignored.append(name.strip())
            continue
        if col.key in found:
            dups.setdefault(col.key, [found[col.key]]).append(i)
        else:
            found[col.key] = i
    header_row = grid.row_number(h)
    if dups:
        what = "；".join(
            f"「{table.column(k).header}」出现在第{'、'.join(col_letter(i) for i in idx)}列" for k, idx in dups.items()
        )
        raise InputError(f"表头有重复列：{what}", file=file, sheet=sheet or None, row=header_row)
    missing = [c.header for c in table.columns if c.required and c.key not in found]
    if missing:
        raise InputError(
            f"缺少必需列（共{len(missing)}列）：{'、'.join(missing)}", file=file, sheet=sheet or None, row=header_row
        )
    missing_optional = [c.key for c in table.columns if not c.required and c.key not in found]
    warnings = []
    if ignored:
        warnings.append(f"{file}：以下列不在规范中，已忽略：{'、'.join(ignored)}")

    mapped = set(found.values())
    if grid.body is not None:
        arrays, facts, all_str, blank, row_no = _body_columns(grid.body, mapped)
    else:
        arrays, facts, all_str, blank, row_no = _row_columns(grid, h_end, len(names), mapped)
    n = len(row_no)
    bad = blank.copy()
    q_parts = []
    if blank.any():
        q_parts.append(pd.DataFrame({"row": row_no[blank], "column": "", "value": "", "reason": BLANK_ROW_REASON}))

    out: dict[str, object] = {S.ROW_COL: row_no}
    for col in table.columns:
        if col.key not in found:
            continue
        i = found[col.key]
        if i in facts:
            arr, fact = arrays.get(i), facts[i]
        else:  # header wider than every data row
            arr = np.full(n, "", dtype=object)
            fact = pd.factorize(arr, use_na_sentinel=True)
        values, raw, reasons = parse_column(arr, col, fact, all_str and i in facts)
        out[col.key] = values
        if raw is not None:
            out[S.raw_col(col.key)] = raw
        if reasons is not None:
            rmask = pd.notna(reasons) & ~blank
            if rmask.any():
                q_parts.append(
                    pd.DataFrame(
                        {
                            "row": row_no[rmask],
                            "column": col.header,
                            "value": [cell_text(v) for v in (arr[rmask] if arr is not None else _cells(fact, rmask))],
                            "reason": reasons[rmask],
                        }
                    )
                )
                bad |= rmask

    df = pd.DataFrame(
        {
            k: (pd.Series(v, dtype=object) if isinstance(v, np.ndarray) and v.dtype == object else v)
            for k, v in out.items()
        }
    )
    q_hh: set = set()
    if bad.any() and "hh_id" in df:
        q_hh = {v for v in df.loc[bad & ~blank, "hh_id"] if isinstance(v, str)}
    table_df = df.loc[~bad].reset_index(drop=True)
    if q_parts:
        q = pd.concat(q_parts, ignore_index=True)
        q.insert(0, "table", table.name)
        q.insert(1, "file", file)
        q.insert(2, "sheet", sheet)
        q = q.sort_values(["row", "column"], kind="stable").reset_index(drop=True)
        q = q.astype(
            {
                "table": object,
                "file": object,
                "sheet": object,
                "row": "int64",
                "column": object,
                "value": object,
                "reason": object,
            }
        )
    else:
        q = empty_quarantine()
    n_bad = int(bad.sum())
    if n == 0:
        warnings.append(f"{file}：表中没有数据行")
    return TableResult(table_df, q[QUARANTINE_COLUMNS], n, n - n_bad, n_bad, missing_optional, warnings, q_hh)
