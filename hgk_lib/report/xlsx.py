"""Low-level workbook writing shared by the county ledger and the city workbooks (openpyxl, write-only mode).

Every data sheet: header in row 1 (bold, filled), frozen, autofilter over the data, column widths fitted to
Chinese text (East-Asian wide characters count 2, capped at 60), IDs as text cells (format ``@``), amounts with 2
decimals, dates as dates. Strings from the data that a spreadsheet would read as a formula (leading ``=``, ``+``,
``-``, ``@``, tab, CR) are written as string cells with the quote prefix, so they stay text even when edited;
control characters that XML forbids are removed.

Saving is deterministic: workbook properties come from the run's provenance and ZIP entries carry a fixed date,
so the same inputs give the same bytes; the file is written to a temporary name and moved into place.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from ..derive import yes_no_text
from ..io.safe import atomic_write
from ..text import PY_WHITESPACE, arrow_text, text_array

KIND_LABELS = {
    "id": "编号（文本）",
    "text": "文本",
    "long": "文本",
    "int": "整数",
    "amount": "金额（元，2位小数）",
    "pct": "百分比",
    "date": "日期",
    "bool": "是/否",
    "num": "数值",
}
NUMBER_FORMATS = {"id": "@", "amount": "#,##0.00", "pct": "0.0%", "date": "yyyy-mm-dd", "num": "0.####"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ILLEGAL_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
_WIDE = (
    r"[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3"
    r"\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)
_WIDE_RE = re.compile(_WIDE)


def _re2(pattern: str) -> str:
    """A character-class pattern of this module in RE2's syntax (pyarrow): ``\\uXXXX`` written ``\\x{XXXX}``."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", r"\\x{\1}", pattern)


#: :data:`_WIDE` and :data:`ILLEGAL_XML` for pyarrow (Arrow text is valid UTF-8: it never holds a lone surrogate)
WIDE_RE2 = _re2(_WIDE)
ILLEGAL_XML_RE2 = _re2(ILLEGAL_XML.replace(r"\ud800-\udfff", ""))
MAX_WIDTH, MIN_WIDTH = 60, 6
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
MAX_SHEET_ROWS = 1_048_576  # Excel's (and LibreOffice's) rows per sheet, the header included
MAX_SHEET_NAME = 31
TRUNCATED = "…（已截断）"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass
class Col:
    """One column of a sheet: Chinese header, English source key, kind, meaning (for 数据字典)."""

    header: str
    key: str | None
    kind: str = "text"
    meaning: str = ""


@dataclass
class SheetSpec:
    name: str
    columns: list[Col]
    description: str = ""
    extras: list[Col] = field(default_factory=list)  # columns after the listed ones

    @property
    def all_columns(self) -> list[Col]:
        return self.columns + self.extras

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


# -------------------------------------------------------------------------------------------------------------
# cleaning (vectorised per column)
# -------------------------------------------------------------------------------------------------------------
def _present_text(s: pd.Series) -> pa.Array | None:
    """The distinct texts of ``s`` as ``str`` gives them (missing values left out) as a pyarrow array; None when one
    cannot be Arrow text."""
    v = s[s.notna()].astype(str)
    arr = arrow_text(v)
    return text_array(pd.unique(v.to_numpy(dtype=object))) if arr is None else pc.unique(arr)


def text_width(s: pd.Series) -> int:
    """Display width of the widest value (wide characters count 2), measured on its first line."""
    if len(s) == 0:
        return 0
    v = _present_text(s)
    if v is None:  # text Arrow cannot hold: Python measures it
        v = pd.unique(s[s.notna()].astype(str).to_numpy(dtype=object))
        if len(v) == 0:
            return 0
        first = pd.Series(v, dtype=object).str.partition("\n")[0]
        return int((first.str.len() + first.str.count(_WIDE)).max())
    if len(v) == 0:
        return 0
    if pc.any(pc.match_substring(v, "\n")).as_py():
        v = pc.replace_substring_regex(v, "\n[\\s\\S]*", "", max_replacements=1)  # the first line
    wide = pc.filter(v, pc.invert(pc.string_is_ascii(v)))  # only non-ASCII text holds wide characters
    w = pc.add(pc.utf8_length(wide), pc.count_substring_regex(wide, WIDE_RE2))
    return int(max(pc.max(pc.utf8_length(v)).as_py(), pc.max(w).as_py() or 0))


def header_width(text: str) -> int:
    first = str(text).partition("\n")[0]
    return len(first) + len(_WIDE_RE.findall(first))


def _clean_arrow(arr: pa.Array) -> pa.Array:
    """:func:`_clean_text` of Arrow text (which never holds a lone surrogate)."""
    if pc.any(pc.match_substring_regex(arr, ILLEGAL_XML_RE2)).as_py():
        arr = pc.replace_substring_regex(arr, ILLEGAL_XML_RE2, "")
    long = pc.greater(pc.utf8_length(arr), MAX_CELL_CHARS)
    if pc.any(long).as_py():
        cut = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(arr, 0, MAX_CELL_CHARS - len(TRUNCATED)),
            pa.scalar(TRUNCATED, arr.type),
            pa.scalar("", arr.type),
        )
        arr = pc.if_else(long, cut, arr)
    return arr


def _clean_text(t: pd.Series) -> pd.Series:
    """Texts without the characters XML forbids and cut to what a cell holds (ending in :data:`TRUNCATED`)."""
    arr = text_array(t.to_numpy(dtype=object))
    if arr is None:  # not all text, or lone surrogates (Arrow text cannot hold them): Python's own regex
        t = t.str.replace(ILLEGAL_XML, "", regex=True)
        long = t.str.len() > MAX_CELL_CHARS
        if long.any():
            t = t.where(~long, t.str.slice(0, MAX_CELL_CHARS - len(TRUNCATED)) + TRUNCATED)
        return t
    return pd.Series(_clean_arrow(arr).to_numpy(zero_copy_only=False), index=t.index, dtype=object)


def _as_text(s: pd.Series) -> pd.Series:
    """Object strings (None for blank); lists joined with 、; illegal XML characters removed."""
    o = s.astype(object)
    blank = o.isna()
    if not blank.all() and pd.api.types.infer_dtype(o, skipna=True) == "string":  # text only: clean each value once
        codes, uniques = pd.factorize(o, use_na_sentinel=True)
        clean = _clean_text(pd.Series(uniques, dtype=object)).to_numpy(dtype=object)
        out = np.full(len(o), None, dtype=object)
        out[codes >= 0] = clean[codes[codes >= 0]]
        return pd.Series(out, index=o.index, dtype=object)
    if not blank.all():
        is_seq = o.map(lambda v: isinstance(v, (list, tuple, set)))
        if is_seq.any():
            o = o.where(~is_seq, o[is_seq].map(lambda v: "、".join(str(x) for x in v)))
        o = o.where(blank, _clean_text(o.astype(str)))
    return o.where(~blank, None)


_bool_text = yes_no_text  # the one copy lives in hgk_lib.derive


def _to_bool_text(s: pd.Series) -> pd.Series:
    return s.astype(object).map(_bool_text).astype(object)


def _whole_numbers(s: pd.Series) -> pd.Series | None:
    """An ``int`` column's numbers, or None when it holds text or fractions (the column is then written as text)."""
    v = pd.to_numeric(s, errors="coerce")
    if v.isna().sum() > s.isna().sum() or ((v.dropna() % 1) != 0).any():
        return None
    return v


def _dates(s: pd.Series) -> pd.Series | None:
    """A ``date`` column as timezone-naive datetimes, or None when it holds free text (written as text then)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        d = s
    else:
        d = pd.to_datetime(s.astype(object), errors="coerce")
        if d.isna().sum() > s.isna().sum():
            return None
    return d.dt.tz_localize(None) if getattr(d.dt, "tz", None) is not None else d


def column_values(s: pd.Series, kind: str) -> tuple[list, str]:
    """Python values for one column and the kind actually used (a date column holding free text stays text)."""
    if kind in ("amount", "pct", "num"):
        v = pd.to_numeric(s, errors="coerce").astype(float)
        if v.isna().sum() > s.isna().sum():  # some text among numbers: numbers stay numbers, text stays text
            text = _as_text(s)
            return [
                None if t is None else (t if np.isnan(x) else x) for x, t in zip(v.to_numpy(), text)
            ], "mixed:" + kind
        return [None if np.isnan(x) else x for x in v.to_numpy()], kind
    if kind == "int":
        v = _whole_numbers(s)
        if v is None:
            return column_values(s, "text")
        return [None if pd.isna(x) else int(x) for x in v.astype(object)], kind
    if kind == "date":
        d = _dates(s)
        if d is None:
            return column_values(s, "text")
        return [None if pd.isna(x) else x.to_pydatetime() for x in d.astype(object)], kind
    if kind == "bool":
        return _to_bool_text(s).tolist(), "text"
    return _as_text(s).tolist(), kind


def _text_cells(s: pd.Series) -> pa.Array | None:
    """:func:`_as_text` of a column holding only text (and blanks) as a pyarrow large-string array (null for
    blank), each distinct text cleaned once; None for any other column."""
    arr = arrow_text(s)
    if arr is None and s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) == "string":
        arr = text_array(s.where(s.notna(), None).to_numpy(dtype=object))  # None for lone surrogates
    if arr is None:
        return None
    enc = arr.dictionary_encode()
    return _clean_arrow(enc.dictionary).take(enc.indices).cast(pa.large_string())


def column_cells(s: pd.Series, kind: str) -> tuple[_CellColumn, str]:
    """:func:`column_values` as the fast writer takes it (:class:`_CellColumn`): the same cells and kind used,
    text in Arrow and numbers in numpy rather than one Python object per cell."""
    if kind in ("amount", "pct", "num"):
        v = pd.to_numeric(s, errors="coerce").astype(float)
        if v.isna().sum() > s.isna().sum():  # text among numbers: cell by cell
            values, used = column_values(s, kind)
            return _CellColumn.of(values), used
        return _CellColumn.numbers(v.to_numpy()), kind
    if kind == "int":
        v = _whole_numbers(s)
        if v is None:
            return column_cells(s, "text")
        exact = v.to_numpy()
        if exact.dtype.kind == "f":  # whole numbers written as int() writes them: -0.0 as 0
            exact = exact + 0.0
        return _CellColumn.numbers(v.to_numpy(dtype=float, na_value=np.nan), exact), kind
    if kind == "date":
        d = _dates(s)
        if d is None:
            return column_cells(s, "text")
        codes, uniques = pd.factorize(d)
        values = np.full(len(d), None, dtype=object)
        values[codes >= 0] = np.asarray(uniques.to_pydatetime(), dtype=object)[codes[codes >= 0]]
        return _CellColumn.dated(values, codes >= 0), kind
    if kind == "bool":
        return _CellColumn.of(_to_bool_text(s).tolist()), "text"
    text = _text_cells(s)
    return (_CellColumn.of(_as_text(s).tolist()) if text is None else _CellColumn(text, None, None)), kind


def is_formula_like(value) -> bool:
    return isinstance(value, str) and len(value) > 0 and value.startswith(FORMULA_START)


#: strings openpyxl would store as an error cell (``t="e"``) rather than text
ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")


def needs_text_cell(value) -> bool:
    """A string that must be forced to a text cell: it looks like a formula or like an error code."""
    return is_formula_like(value) or value in ERROR_CODES


# -------------------------------------------------------------------------------------------------------------
# writing
# -------------------------------------------------------------------------------------------------------------
class _FixedDateZip(zipfile.ZipFile):
    """ZipFile whose entries all carry one fixed date: identical inputs give identical bytes."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zi = zipfile.ZipInfo(str(zinfo_or_arcname), date_time=ZIP_DATE)
            zi.compress_type = self.compression if compress_type is None else compress_type
            zi.external_attr = 0o644 << 16
            zinfo_or_arcname = zi
        # an entry given as a ZipInfo is compressed at zlib's default level unless the level is passed on
        level = self.compresslevel if compresslevel is None else compresslevel
        return super().writestr(zinfo_or_arcname, data, compress_type, level)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        with open(filename, "rb") as fh:
            return self.writestr(arcname or str(filename), fh.read(), compress_type, compresslevel)


def new_workbook(title: str, when: dt.datetime | None) -> Workbook:
    wb = Workbook(write_only=True)
    when = when or dt.datetime(2000, 1, 1)
    wb.properties.creator = "hgk"
    wb.properties.lastModifiedBy = "hgk"
    wb.properties.title = title
    wb.properties.created = when
    wb.properties.modified = when
    return wb


def save_workbook(wb: Workbook, path) -> None:
    """Save deterministically and atomically (temporary file + ``os.replace``)."""
    when = wb.properties.modified
    with atomic_write(path) as tmp:
        # compression level 3: about half the CPU of the default 6 for ~15% larger files (county ledgers of a
        # province run to hundreds of MB of sheet XML)
        with _FixedDateZip(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=3) as archive:
            wb.properties.modified = when  # ExcelWriter does not touch it (openpyxl's save_workbook would)
            ExcelWriter(wb, archive).save()


#: outputs.md print conventions: A4 landscape, all columns on one page wide, header row repeated, sheet name and
#: page number in the footer.
FOOTER = "&A　第 &P 页，共 &N 页"


def set_print_layout(
    ws, *, title_rows: str | None = "1:1", landscape: bool = True, fit_width: bool = True, margins_cm: float = 1.5
) -> None:
    """Print settings of one sheet (call before the sheet's rows are written in write-only mode).

    ``title_rows``: rows repeated at the top of every printed page (``"1:1"`` = the header); ``None`` for none.
    ``fit_width``: scale so that all columns fit one page wide; pages run down as far as needed (fitToHeight 0).
    """
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    if fit_width:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    m = margins_cm / 2.54
    ws.page_margins.left = ws.page_margins.right = m
    ws.page_margins.top = ws.page_margins.bottom = m
    ws.page_margins.header = ws.page_margins.footer = m / 2
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = FOOTER
    ws.oddFooter.center.size = 9


def _header_cell(ws, text):
    c = WriteOnlyCell(ws, value=text)
    if is_formula_like(text):  # headers can come from data too (county names in the city comparison)
        c.data_type = "s"
        c.quotePrefix = True
    c.font = HEADER_FONT
    c.fill = HEADER_FILL
    c.alignment = Alignment(vertical="center")
    return c


def split_sheet_names(name: str, parts: int) -> list[str]:
    """Sheet names of a table split into ``parts`` sheets: ``name``, ``name（续2）``, ``name（续3）`` … (≤ 31 chars)."""
    out = [name]
    for k in range(2, parts + 1):
        tail = f"（续{k}）"
        out.append(name[: MAX_SHEET_NAME - len(tail)] + tail)
    return out


def write_table(wb: Workbook, name: str, df: pd.DataFrame, kinds: dict[str, str] | None = None, **kw) -> list[str]:
    """Write ``df`` (Chinese headers as columns) as a data sheet (:func:`write_sheet`); the sheet names written.

    A table longer than one sheet can hold (Excel: 1,048,576 rows including the header, :data:`MAX_SHEET_ROWS`) is
    split, never cut: consecutive sheets ``name``, ``name（续2）`` …, each with the header row, and a note (a comment on
    the first header cell of every part) saying how many rows the table has and which sheets hold them."""
    per = MAX_SHEET_ROWS - 1
    if len(df) <= per:
        write_sheet(wb, name, df, kinds, **kw)
        return [name]
    parts = -(-len(df) // per)
    names = split_sheet_names(name, parts)
    for k, sheet in enumerate(names):
        lo, hi = k * per, min(len(df), (k + 1) * per)
        note = (
            f"本表共 {len(df):,} 行，超过 Excel 单个工作表 {MAX_SHEET_ROWS:,} 行的上限，已按顺序分为 {parts} 个工作表："
            f"{'、'.join(names)}（未删除任何行）。本工作表为第 {k + 1} 部分：第 {lo + 1:,}–{hi:,} 行。"
        )
        part = dict(kw)
        if isinstance(kw.get("dropdowns"), dict):  # per-row drop-downs follow their rows
            part["dropdowns"] = {
                h: (o.iloc[lo:hi] if isinstance(o, pd.Series) else o) for h, o in kw["dropdowns"].items()
            }
        write_sheet(wb, sheet, df.iloc[lo:hi], kinds, note=note, **part)
    return names


def write_sheet(
    wb: Workbook,
    name: str,
    df: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    *,
    dropdowns: dict[str, list[str]] | None = None,
    hidden: bool = False,
    widths: dict | None = None,
    prompt: dict[str, str] | None = None,
    highlight: dict[str, dict[str, str]] | None = None,
    note: str | None = None,
) -> None:
    """Write ``df`` (Chinese headers as columns) as one data sheet. ``kinds``: header -> kind (default text).
    ``dropdowns``: header -> allowed values (list validation over the data rows, at least row 2). ``note``: a
    comment on the first header cell."""
    kinds = kinds or {}
    ws = wb.create_sheet(title=name)
    if hidden:
        ws.sheet_state = "hidden"
    headers = [str(c) for c in df.columns]
    clean = [pd.Series([h]).str.replace(ILLEGAL_XML, "", regex=True)[0] for h in headers]
    if clean != headers:
        df = df.set_axis(clean, axis=1)
        kinds = {pd.Series([h]).str.replace(ILLEGAL_XML, "", regex=True)[0]: k for h, k in kinds.items()}
        headers = clean
    n = len(df)
    cells, used = [], []
    for h in headers:
        col, kind = column_cells(df[h], kinds.get(h, "text"))
        cells.append(col)
        used.append(kind)
    # widths before any row (write-only: column settings go first)
    for j, h in enumerate(headers, start=1):
        if widths and h in widths:
            w = widths[h]
        else:
            kind = used[j - 1]
            if kind.startswith("mixed:"):
                w = max(14, text_width(df[h]) + 2)
            elif kind in ("amount", "pct", "num"):
                w = 14
            elif kind == "date":
                w = 12
            elif kind == "int":
                w = max(8, len(str(cells[j - 1].largest())) + 2)
            else:
                w = text_width(df[h]) + 2
            w = max(w, header_width(h) + 4)  # room for the filter button
        ws.column_dimensions[get_column_letter(j)].width = max(MIN_WIDTH, min(MAX_WIDTH, w))
    ws.freeze_panes = "A2"
    set_print_layout(ws)
    last = get_column_letter(max(1, len(headers)))
    ws.auto_filter.ref = f"A1:{last}{max(n + 1, 1)}" if n else f"A1:{last}1"
    for h, options in (dropdowns or {}).items():
        j = headers.index(h) + 1
        letter = get_column_letter(j)
        if isinstance(options, pd.Series):  # per-row options (tuples): one validation per distinct list
            groups = _row_runs(options, n)
        else:
            groups = {tuple(options): [(2, max(n + 1, 2))]}
        for opts, runs in groups.items():
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(opts) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle="输入无效",
                error="请从下拉列表中选择：" + " / ".join(opts),
            )
            if prompt and h in prompt:
                dv.promptTitle, dv.prompt, dv.showInputMessage = h, prompt[h], True
            dv.sqref = MultiCellRange(
                " ".join(f"{letter}{a}:{letter}{b}" if b > a else f"{letter}{a}" for a, b in runs)
            )  # at once: .add() is quadratic
            ws.data_validations.append(dv)

    for h, colours in (highlight or {}).items():
        letter = get_column_letter(headers.index(h) + 1)
        for value, colour in colours.items():
            ws.conditional_formatting.add(
                f"{letter}2:{letter}{max(n + 1, 2)}",
                CellIsRule(
                    operator="equal", formula=[f'"{value}"'], fill=PatternFill("solid", fgColor=colour, bgColor=colour)
                ),
            )

    head = [_header_cell(ws, h) for h in headers]
    if note and head:
        head[0].comment = Comment(note, "hgk", width=420, height=120)
    fmts = [NUMBER_FORMATS.get(k.split(":")[-1]) for k in used]
    if _write_rows_fast(ws, head, cells, used, fmts):
        return
    columns = [column_values(df[h], kinds.get(h, "text"))[0] for h in headers]
    ws.append(head)
    # per column: which cells need a styled/forced-text cell object
    for j, kind in enumerate(used):
        col = columns[j]
        if kind.startswith("mixed:"):
            columns[j] = [
                None
                if v is None
                else (
                    _text_cell(ws, v, None)
                    if isinstance(v, str) and needs_text_cell(v)
                    else v
                    if isinstance(v, str)
                    else _fmt_cell(ws, v, fmts[j])
                )
                for v in col
            ]
        elif kind in ("text", "long", "id"):
            idx = [i for i, v in enumerate(col) if v is not None and (kind == "id" or needs_text_cell(v))]
            for i in idx:
                columns[j][i] = _text_cell(ws, col[i], fmts[j])
        elif fmts[j]:
            columns[j] = [None if v is None else _fmt_cell(ws, v, fmts[j]) for v in col]
    for row in zip(*columns):
        ws.append(list(row))


def _row_runs(options: pd.Series, n: int) -> dict[tuple, list[tuple[int, int]]]:
    """Per-row drop-down options -> {options: [(first row, last row), …]} (sheet rows, data from row 2); the most
    common list first. An empty table gets the first list (or none) on row 2."""
    opts = options.reset_index(drop=True).map(tuple)
    if n == 0 or len(opts) == 0:
        return {tuple(opts.iloc[0]): [(2, 2)]} if len(opts) else {}
    change = (opts != opts.shift()).to_numpy()
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], len(opts)) - 1
    out: dict[tuple, list[tuple[int, int]]] = {}
    for a, b in zip(starts, ends):  # runs of equal lists (a few per state change)
        out.setdefault(opts.iloc[a], []).append((int(a) + 2, int(b) + 2))
    return dict(sorted(out.items(), key=lambda kv: -sum(b - a + 1 for a, b in kv[1])))


# -------------------------------------------------------------------------------------------------------------
# the data rows as sheet XML, built column-wise
# -------------------------------------------------------------------------------------------------------------
#: cell formats are numbered in the order chunks of this many rows first need them (see :func:`_write_rows_fast`)
ROWS_PER_CHUNK = 2000
#: rows turned into sheet XML at a time (one Arrow array per column of this many rows)
ROWS_PER_BLOCK = 50_000
_XML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
#: :data:`FORMULA_START` as an RE2 pattern: text starting like a formula
FORMULA_RE2 = r"^[=+\-@\t\r]"


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def join_texts(*parts, skip_nulls: bool = False) -> pa.Array:
    """Element-wise concatenation of large-string arrays (equal lengths) and texts (the same for every element):
    null where a part is null, or with ``skip_nulls`` the null parts left out."""
    args = [_lit(x) if isinstance(x, str) else x for x in parts]
    return pc.binary_join_element_wise(*args, _lit(""), null_handling="skip" if skip_nulls else "emit_null")


def joined_bytes(a: pa.Array) -> memoryview:
    """All texts of a pyarrow string array one after the other, as UTF-8 (the array's own data buffer, no copy)."""
    data = a.buffers()[2] if len(a) else None
    if data is None:
        return memoryview(b"")
    wide = pa.types.is_large_string(a.type)
    offsets = np.frombuffer(
        a.buffers()[1], dtype=np.int64 if wide else np.int32, count=len(a) + 1, offset=a.offset * (8 if wide else 4)
    )
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


def xml_text_array(t: pa.Array) -> pa.Array:
    """:func:`xml_text` of a pyarrow (large) string array (null stays null)."""
    t = t.cast(pa.large_string())
    esc = t
    for char, entity in _XML_ESCAPES:
        esc = pc.replace_substring(esc, char, entity)
    keep = pc.not_equal(pc.utf8_trim(t, PY_WHITESPACE), t)
    return join_texts(pc.if_else(keep, _lit('<t xml:space="preserve">'), _lit("<t>")), esc, "</t>")


def xml_text(v: pd.Series) -> np.ndarray:
    """``<t>`` elements of inline strings: XML-escaped (``&``, ``<``, ``>``, and CR so that parsing keeps it),
    ``xml:space="preserve"`` where openpyxl sets it (leading or trailing white space, as ``str.strip`` sees it)."""
    v = v.astype(str)
    arr = text_array(v.to_numpy(dtype=object), large=True)
    if arr is not None:
        return xml_text_array(arr).to_numpy(zero_copy_only=False).astype(object, copy=False)
    esc = v  # text Arrow cannot hold (lone surrogates): Python escapes it
    for char, entity in _XML_ESCAPES:
        esc = esc.str.replace(char, entity, regex=False)
    keep = (v != v.str.strip()).to_numpy(bool)
    return (np.where(keep, '<t xml:space="preserve">', "<t>") + esc.to_numpy(dtype=object) + "</t>").astype(object)


def _num_text(values) -> list[str]:
    return ["" if (x != x or x in (np.inf, -np.inf)) else "%.16g" % x for x in values]


def _number_texts(values: np.ndarray, kind: str) -> np.ndarray:
    """:func:`_num_text` of numbers (or, for ``kind`` date, the Excel serial numbers of datetimes), formatted once
    per distinct value."""
    from openpyxl.utils.datetime import to_excel

    if kind == "date":
        distinct = list(dict.fromkeys(values))
        memo = dict(zip(distinct, _num_text([to_excel(v) for v in distinct])))
        return np.array([memo[v] for v in values], dtype=object)
    codes, uniques = pd.factorize(np.asarray(values, dtype=float).view(np.int64))  # by bits: -0.0 is not 0.0
    return np.array(_num_text(uniques.view(np.float64)), dtype=object)[codes]


@dataclass
class _CellColumn:
    """One column's values split for writing: its texts (a large-string array, null where the cell holds no text),
    which cells hold a number or date instead (``other``, None when none can) and the values themselves."""

    text: pa.Array
    other: np.ndarray | None
    values: np.ndarray | None

    @classmethod
    def of(cls, values: list) -> _CellColumn:
        """From a list of Python values (:func:`column_values`): texts, numbers, datetimes and None."""
        text = text_array(values, large=True)
        if text is not None:  # text and blanks only
            return cls(text, None, None)
        n = len(values)
        arr = np.empty(n, dtype=object)
        arr[:] = values
        is_str = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=n)
        other = np.fromiter((v is not None for v in values), dtype=bool, count=n) & ~is_str
        return cls(pa.array(np.where(is_str, arr, None), type=pa.large_string()), other, arr)

    @classmethod
    def numbers(cls, x: np.ndarray, exact: np.ndarray | None = None) -> _CellColumn:
        """Numbers (float, NaN for blank); ``exact``: the same numbers in their own dtype (integers)."""
        other = ~np.isnan(x)
        return cls(pa.nulls(len(x), pa.large_string()), other, x if exact is None else exact)

    @classmethod
    def dated(cls, values: np.ndarray, present: np.ndarray) -> _CellColumn:
        return cls(pa.nulls(len(values), pa.large_string()), present, values)

    def largest(self) -> int:
        """The largest absolute number of the column (0 when none)."""
        return int(np.abs(self.values[self.other]).max()) if self.other is not None and self.other.any() else 0

    def rows(self, lo: int, hi: int) -> _CellColumn:
        cut = None if self.other is None else slice(lo, hi)
        return _CellColumn(
            self.text.slice(lo, hi - lo),
            None if cut is None else self.other[cut],
            None if cut is None else self.values[cut],
        )

    def first(self) -> tuple[int | None, int | None]:
        """Positions of the first text cell and the first number or date cell (None: no such cell)."""
        has = pc.is_valid(self.text).to_numpy(zero_copy_only=False)
        t = int(np.argmax(has)) if has.any() else None
        o = int(np.argmax(self.other)) if self.other is not None and self.other.any() else None
        return t, o


def _text_formats(kind: str, fmt: str | None) -> list[tuple]:
    """Cell formats (number format, quote prefix) a column's text cells use, in the order they are registered."""
    text_fmt = fmt if kind == "id" else None  # id columns: text format "@" on every cell
    return ([(text_fmt, False)] if text_fmt else []) + [(text_fmt, True)]


def _cells_xml(col: _CellColumn, kind: str, fmt: str | None, style_id) -> pa.Array:
    """One column's cells as XML fragments without the ``r`` attribute: ``' s="3" t="n"><v>1.5</v></c>'``, null
    where there is no cell (None). The same cells as the ``ws.append`` path of :func:`write_sheet`."""
    n = len(col.text)
    out = pa.nulls(n, pa.large_string())
    if col.text.null_count < n:  # each distinct text once, then taken back to its rows
        enc = col.text.dictionary_encode()
        t = enc.dictionary
        if pc.any(pc.greater(pc.utf8_length(t), MAX_CELL_CHARS)).as_py():
            t = pc.utf8_slice_codeunits(t, 0, MAX_CELL_CHARS)
        forced = pc.or_(  # needs_text_cell
            pc.match_substring_regex(t, FORMULA_RE2), pc.is_in(t, value_set=pa.array(ERROR_CODES, pa.large_string()))
        )
        text_fmt = _text_formats(kind, fmt)[-1][0]
        s_plain = f' s="{style_id(text_fmt, False)}"' if text_fmt else ""
        s_quote = f' s="{style_id(text_fmt, True)}"'
        attrs = pc.if_else(forced, _lit(s_quote), _lit(s_plain))
        cells = pc.if_else(
            pc.equal(t, _lit("")),
            join_texts(attrs, ' t="inlineStr"/>'),
            join_texts(attrs, ' t="inlineStr"><is>', xml_text_array(t), "</is></c>"),
        )
        out = cells.take(enc.indices)
    if col.other is not None and col.other.any():
        nums = _number_texts(col.values[col.other], kind)
        s = f' s="{style_id(fmt, False)}"' if fmt else ""
        frag = np.full(n, None, dtype=object)
        frag[col.other] = np.where(nums == "", s + ' t="n"><v></v></c>', s + ' t="n"><v>' + nums + "</v></c>")
        out = pc.coalesce(out, pa.array(frag, type=pa.large_string()))
    return out


def announce_dimension(ws, rows: int, cols: int) -> None:
    """Let a write-only sheet write its ``<dimension>`` (used range) at the top, as Excel does: readers that size a
    sheet first (openpyxl's read-only mode) otherwise scan the whole sheet for it. Only before the first row."""
    if getattr(ws, "_writer", None) is None:
        ref = f"A1:{get_column_letter(max(1, cols))}{max(1, rows)}"
        ws.calculate_dimension = lambda: ref


class XmlStream:
    """A write-only sheet's XML stream that takes rows as ready XML text without parsing it again.

    openpyxl writes a write-only sheet through lxml's incremental writer, which only takes elements: text would
    have to be parsed into elements and serialised again (the slowest part of writing a large ledger). Instead each
    :meth:`write` puts a placeholder element ``<hgkSplice n="k"/>`` into openpyxl's stream and the text into a spill
    file; when openpyxl closes the sheet's temporary file (before zipping it), the placeholders are replaced by
    their text. ``xf`` is openpyxl's stream itself (for elements openpyxl writes: the header row, ``sheetData``)."""

    TAG = "hgkSplice"
    _PLACEHOLDER = re.compile(rb'<hgkSplice n="(\d+)"\s*/>')

    def __init__(self, ws, xf):
        import tempfile

        self.xf = xf
        self._spill = tempfile.TemporaryFile()
        self._segments: list[tuple[int, int]] = []
        writer = ws._writer
        close = writer.close

        def close_and_splice():
            close()
            self._splice(writer.out)

        writer.close = close_and_splice

    def write(self, text: str | bytes | memoryview) -> None:
        """Write XML elements given as text or as UTF-8 bytes (several siblings) into the sheet."""
        from openpyxl.xml.functions import Element

        data = text.encode("utf-8") if isinstance(text, str) else memoryview(text)
        self._segments.append((self._spill.tell(), data.nbytes if isinstance(data, memoryview) else len(data)))
        self._spill.write(data)
        self.xf.write(Element(self.TAG, n=str(len(self._segments) - 1)))

    def _splice(self, path) -> None:
        import os
        import shutil

        parts = self._PLACEHOLDER.split(Path(path).read_bytes())  # the sheet without its rows: small
        tmp = f"{path}.splice"
        with open(tmp, "wb") as out:
            for i, part in enumerate(parts):
                if i % 2 == 0:
                    out.write(part)
                    continue
                start, size = self._segments[int(part)]
                self._spill.seek(start)
                shutil.copyfileobj(_Limited(self._spill, size), out, 1 << 22)
        os.replace(tmp, path)
        self._spill.close()


class _Limited:
    """``read`` of at most ``size`` bytes of a file (for :func:`shutil.copyfileobj`)."""

    def __init__(self, fh, size: int):
        self.fh, self.left = fh, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.fh.read(n) if n else b""
        self.left -= len(data)
        return data


def open_xml_stream(ws, rows: int, cols: int) -> XmlStream | None:
    """The write-only sheet's XML stream (:class:`XmlStream`) for writing its rows as XML text, after announcing
    the used range; None when this openpyxl has no such stream (the caller then writes cells)."""
    if not (hasattr(ws, "_get_writer") and hasattr(ws, "_values_to_row") and getattr(ws, "_rows", 0) is None):
        return None
    announce_dimension(ws, rows, cols)
    try:
        ws._get_writer()
        if not isinstance(ws._writer.out, str):
            return None
        return XmlStream(ws, ws._writer.xf.send(True))
    except Exception:  # pragma: no cover - another openpyxl layout
        return None


def close_xml_stream(ws, rows: int, cols: int) -> None:
    """Hand the stream back to openpyxl, which writes the rest of the sheet (filters, validations, print setup)."""
    ws._writer.xf.send(None)
    ws._rows = finished_rows()  # close() ends this instead of writing (empty) rows again
    ws._max_row, ws._max_col = rows, cols


def _write_rows_fast(ws, head: list, cells: list[_CellColumn], used: list[str], fmts: list) -> bool:
    """Write the header (through openpyxl's row writer: styles, the note's comment) and the data rows as sheet XML
    built column-wise in Arrow into the write-only worksheet's stream — the same cells as appending openpyxl cells
    row by row (tests read both back and compare), many times faster on a ledger's tens of thousands of rows.

    Returns False (nothing written) when the write-only stream is not available (another openpyxl layout); the
    caller then appends cells."""
    n = len(cells[0].text) if cells else 0
    stream = open_xml_stream(ws, n + 1, max(1, len(cells)))
    if stream is None:
        return False
    xf = stream.xf
    ids: dict = {}

    def style_id(fmt, quote):
        if (fmt, quote) not in ids:
            c = WriteOnlyCell(ws)
            if fmt:
                c.number_format = fmt
            if quote:
                c.quotePrefix = True
            ids[(fmt, quote)] = c.style_id if c.has_style else None
        return ids[(fmt, quote)]

    kinds = [u.split(":")[-1] for u in used]
    letters = [get_column_letter(j + 1) for j in range(len(cells))]
    with xf.element("sheetData"):
        ws._writer.write_row(xf, ws._values_to_row(head, 1), 1)
        # the workbook numbers cell formats in the order they are registered: chunk by chunk of ROWS_PER_CHUNK rows,
        # column by column, as the rows need them (a sheet's style table does not depend on how it is built)
        needs = []
        for j, col in enumerate(cells):
            t, o = col.first()
            if t is not None:
                needs.append((t // ROWS_PER_CHUNK, j, 0, _text_formats(kinds[j], fmts[j])))
            if o is not None and fmts[j]:
                needs.append((o // ROWS_PER_CHUNK, j, 1, [(fmts[j], False)]))
        for *_, formats in sorted(needs, key=lambda x: x[:3]):
            for fmt, quote in formats:
                style_id(fmt, quote)
        for lo in range(0, n, ROWS_PER_BLOCK):
            hi = min(n, lo + ROWS_PER_BLOCK)
            r = pc.cast(pa.array(np.arange(lo + 2, hi + 2)), pa.large_string())
            pieces = ['<row r="', r, '">']
            for j, col in enumerate(cells):
                cell = _cells_xml(col.rows(lo, hi), kinds[j], fmts[j], style_id)
                pieces.append(join_texts(f'<c r="{letters[j]}', r, '"', cell))
            pieces.append("</row>")
            stream.write(joined_bytes(join_texts(*pieces, skip_nulls=True)))
    close_xml_stream(ws, n + 1, len(cells))
    return True


def finished_rows():
    """Stands in for a write-only sheet's row stream once its rows were written as XML: ``close()`` ends it
    instead of writing (empty) rows again."""
    yield


def _text_cell(ws, value: str, fmt: str | None):
    c = WriteOnlyCell(ws, value=value)
    c.data_type = "s"  # never a formula or an error value, whatever the text
    if needs_text_cell(value):
        c.quotePrefix = True
    if fmt:
        c.number_format = fmt
    return c


def _fmt_cell(ws, value, fmt: str):
    c = WriteOnlyCell(ws, value=value)
    c.number_format = fmt
    return c


def frame_for(spec: SheetSpec, df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Select/rename ``df``'s English columns to the spec's Chinese headers (missing ones blank)."""
    out = {}
    for c in spec.all_columns:
        if c.key is not None and c.key in df.columns:
            out[c.header] = df[c.key].reset_index(drop=True)
        else:
            out[c.header] = pd.Series([None] * len(df), dtype=object)
    frame = pd.DataFrame(out, columns=[c.header for c in spec.all_columns])
    return frame, {c.header: c.kind for c in spec.all_columns}
