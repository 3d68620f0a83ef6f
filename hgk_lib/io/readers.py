"""Raw readers: one file -> a grid of cells (row lists) with spreadsheet row numbers.

* xlsx: python-calamine's direct API (``CalamineWorkbook...to_python``), which keeps cell types (``float`` for a
  numeric cell, ``str`` for text, ``date``/``datetime`` for date cells, ``bool``), so a numeric ID can be told from
  a text one. The file's bytes are checked by :mod:`.guard` first and parsed from the same bytes (no re-read).
* csv: bytes decoded strictly (UTF-8 with/without BOM, else GB18030, which covers GBK/GB2312). The title rows and
  the header row are split with Python's ``csv`` module; when every record below the header is one physical line of
  the header's width (the usual export), the body is split by pyarrow's CSV reader straight into columns of
  distinct values (:class:`Body`), otherwise the whole file is split by ``csv`` row by row. Both give the same cells
  (``tests/test_io_csv_fast.py``); row numbers are physical line numbers (a quoted field with a line break advances
  them).
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .guard import DEFAULT_LIMITS, Limits, check_xlsx


@dataclass
class Body:
    """The data rows below the header, already split into columns (the CSV fast path).

    ``columns[i]`` is ``(codes, uniques)`` as :func:`pandas.factorize` gives them for column ``i`` (every code
    ``>= 0``; ``uniques`` an object array of ``str``); data row ``k`` is physical line ``first_row + k``."""

    columns: list
    n: int
    first_row: int


@dataclass
class Grid:
    """Cells of one sheet/file. ``rows[i]`` is spreadsheet row ``row_numbers[i]`` (1-based).

    With a ``body`` (CSV fast path) ``rows`` ends at the header row and the data rows are in ``body``."""

    rows: list
    row_numbers: list | None  # None: rows[i] is row i + 1
    sheet: str = ""
    fmt: str = "xlsx"
    encoding: str | None = None
    merged: list = field(default_factory=list)  # ((r0, c0), (r1, c1)), 0-based inclusive
    sheet_names: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # warnings about the file (e.g. uncalculated formulas)
    body: Body | None = None

    def row_number(self, i: int) -> int:
        return i + 1 if self.row_numbers is None else self.row_numbers[i]


# ---------------------------------------------------------------------------------------------------------------
# xlsx
# ---------------------------------------------------------------------------------------------------------------
def read_xlsx(
    data: bytes, file: str, find_header, preferred: tuple[str, ...] = (), limits: Limits = DEFAULT_LIMITS
) -> tuple[Grid, int]:
    """Check and read the sheet holding the table.

    ``find_header(rows) -> int | None`` returns the header row index within the first rows of a sheet.
    Sheets are tried in this order: visible worksheets whose name matches ``preferred`` (normalised), then the
    other visible worksheets, then hidden ones. Returns the grid and the header row index.
    """
    report = check_xlsx(data, file, limits)
    import python_calamine as pc

    from ..schema import normalise_header

    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = list(wb.sheets_metadata)
    except Exception as err:  # noqa: BLE001 - calamine raises several types for broken files
        raise InputError(f"xlsx文件无法读取（{_short(err)}），请在Excel中打开后另存为.xlsx", file=file) from None
    pref = {normalise_header(p) for p in preferred}
    work = [m for m in metas if str(m.typ).endswith("WorkSheet")]
    visible = [m for m in work if str(m.visible).endswith("Visible") and "Hidden" not in str(m.visible)]
    preferred_first = sorted(visible, key=lambda m: normalise_header(m.name) not in pref)  # stable
    order = preferred_first + [m for m in work if m not in visible]
    names = [m.name for m in metas]
    if not order:
        raise InputError("工作簿中没有工作表", file=file)
    first = None
    for m in order:
        try:
            sheet = wb.get_sheet_by_name(m.name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = list(sheet.merged_cell_ranges or [])
        except Exception as err:  # noqa: BLE001
            raise InputError(f"工作表无法读取（{_short(err)}）", file=file, sheet=m.name) from None
        grid = Grid(rows, None, m.name, "xlsx", None, merged, names)
        n_formula = report["uncached_formulas"].get(m.name, 0)
        if n_formula:
            grid.notes.append(
                f"{file}：工作表“{m.name}”有{n_formula}个公式单元格没有计算结果，已按空值读取；"
                "请在Excel中打开、保存后重新提供"
            )
        h = find_header(rows)
        if h is not None:
            return grid, h
        first = first or grid
    return first, None  # no sheet has the header: the loader names the sheets in its error


#: how :func:`xlsx_head_rows` shows a cell that is not text (a number, date, time, boolean or error)
NOT_TEXT = "\x00"
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def xlsx_head_rows(path, n_rows: int = 5) -> list[str] | None:
    """Rows 1..``n_rows`` of the first sheet (fewer when the sheet's last value is above), each as its non-empty
    cells joined by a space, read by streaming the sheet's XML: what joining python-calamine's ``iter_rows()`` gives
    (blank rows as ``""``), without parsing the whole sheet (a 200,000-row export's title rows in milliseconds).

    Text cells (shared, inline and formula strings) come out as calamine gives them; any other cell with a value
    comes out as :data:`NOT_TEXT` (its rendering needs the styles: the caller reads such a file with calamine when
    that cell matters). None when the file is not an xlsx this reader understands (the caller reads it with
    calamine, which reports what is wrong)."""
    import zipfile

    from defusedxml.ElementTree import iterparse

    from .guard import _sheet_names

    try:
        with zipfile.ZipFile(path) as zf:
            parts = list(_sheet_names(zf))
            if not parts:
                return None
            rows: dict[int, list] = {}  # row number -> [(column, kind, value)]
            last = 0  # the last row holding a value, up to n_rows + 1 (a value below the head: the head is full)
            with zf.open(parts[0]) as fh:
                row_no = 0
                for _, el in iterparse(fh, events=("end",)):
                    if el.tag.rsplit("}", 1)[-1] != "row":
                        continue
                    row_no = int(el.get("r") or row_no + 1)
                    cells = _row_cells(el)
                    el.clear()
                    if cells:
                        last = row_no
                        if row_no > n_rows:
                            break
                        rows[row_no] = cells
            shared = _shared_strings(zf, {v for cells in rows.values() for _, k, v in cells if k == "s"})
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError):
        return None
    if shared is None:
        return None
    out = []
    for r in range(1, min(last, n_rows) + 1):
        texts = []
        for _, kind, value in sorted(rows.get(r, []), key=lambda c: c[0]):
            text = shared[value] if kind == "s" else value if kind == "text" else NOT_TEXT
            if text != "":
                texts.append(text)
        out.append(" ".join(texts))
    return out


def _row_cells(row) -> list:
    """(column, kind, value) of a ``<row>``'s cells that hold a value: kind ``s`` (shared string index), ``text``
    or ``other``."""
    from .guard import _REF, col_number

    out = []
    col = 0
    for c in row:
        if c.tag.rsplit("}", 1)[-1] != "c":
            continue
        m = _REF.match(c.get("r") or "")
        col = col_number(m[1]) if m else col + 1
        t = c.get("t") or "n"
        v = c.find(f"{_MAIN_NS}v")
        if t == "inlineStr":
            is_ = c.find(f"{_MAIN_NS}is")
            if is_ is not None:
                out.append((col, "text", _rich_text(is_)))
        elif v is not None and v.text is not None:
            if t == "s":
                out.append((col, "s", int(v.text)))
            elif t == "str":
                out.append((col, "text", v.text))
            else:
                out.append((col, "other", v.text))
    return out


def _rich_text(el) -> str:
    """The text of an ``<si>``/``<is>``: its ``<t>`` and its runs' ``<t>``, phonetic runs left out."""
    parts = []
    for child in el:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            t = child.find(f"{_MAIN_NS}t")
            parts.append((t.text or "") if t is not None else "")
    return "".join(parts)


def _shared_strings(zf, wanted: set) -> dict | None:
    """The shared strings at the ``wanted`` indexes, read up to the largest one (None when one is missing)."""
    from defusedxml.ElementTree import iterparse

    if not wanted:
        return {}
    last = max(wanted)
    name = next((n for n in zf.namelist() if n.lower() == "xl/sharedstrings.xml"), None)
    if name is None:
        return None
    out, i = {}, 0
    with zf.open(name) as fh:
        for _, el in iterparse(fh, events=("end",)):
            if el.tag.rsplit("}", 1)[-1] != "si":
                continue
            if i in wanted:
                out[i] = _rich_text(el)
            el.clear()
            i += 1
            if i > last:
                break
    return out if len(out) == len(wanted) else None


def _short(err: Exception) -> str:
    s = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return s[:200]


# ---------------------------------------------------------------------------------------------------------------
# csv
# ---------------------------------------------------------------------------------------------------------------
def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def decode_csv(data: bytes, file: str) -> tuple[str, str]:
    """Decode CSV bytes strictly: UTF-8 (BOM or not), else GB18030. Returns (text, encoding label)."""
    if not data:
        raise InputError("文件为空（0字节）", file=file)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError("CSV文件是UTF-16编码（Excel“Unicode文本”），请另存为UTF-8或GB18030编码的CSV", file=file)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(
            f"CSV文件含有空字符（NUL，第{line}行），可能是UTF-16编码或二进制文件，请另存为UTF-8编码的CSV", file=file
        )
    try:
        text = data.decode("utf-8-sig")
        enc = "utf-8-sig" if data[:3] == b"\xef\xbb\xbf" else "utf-8"
    except UnicodeDecodeError as err_utf8:
        try:
            text = data.decode("gb18030")
            enc = "gb18030"
        except UnicodeDecodeError as err_gb:
            a = data.count(b"\n", 0, err_utf8.start) + 1
            b = data.count(b"\n", 0, err_gb.start) + 1
            raise InputError(
                f"CSV文件编码无法识别：按UTF-8解码第{a}行出错，按GB18030/GBK解码第{b}行出错"
                "（文件可能不是文本，或混用了两种编码），请另存为UTF-8编码的CSV",
                file=file,
            ) from None
        # a GBK file with UTF-8 lines mixed in decodes without error but the UTF-8 lines become mojibake
        for no, raw in enumerate(data.split(b"\n"), start=1):
            if raw.isascii():
                continue
            try:
                as_utf8 = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            # short GBK words can be valid UTF-8 by chance (小学 -> Cyrillic); real UTF-8 Chinese decodes to CJK
            non_ascii = [ch for ch in as_utf8 if ord(ch) > 127]
            if sum("\u4e00" <= ch <= "\u9fff" for ch in non_ascii) * 2 < len(non_ascii):
                continue
            raise InputError(f"CSV文件混用了GBK与UTF-8编码（第{no}行是UTF-8），请统一另存为UTF-8编码", file=file)
    bad = text.find("\ufffd")
    if bad >= 0:
        raise InputError(
            f"CSV文件含有替换字符“\ufffd”（第{_line_of(text, bad)}行），说明文件此前转换编码时已丢失文字，"
            "请从系统重新导出",
            file=file,
        )
    return text, enc


def _delimiter(text: str) -> str:
    head = text[:20000].splitlines()[:10]
    commas = sum(line.count(",") for line in head)
    tabs = sum(line.count("\t") for line in head)
    return "\t" if tabs > commas else ","


def _csv_error(err: csv.Error) -> str:
    msg = str(err)
    if "field larger than field limit" in msg:
        return f"字段过长（超过{csv.field_size_limit()}个字符），文件可能已损坏"
    if "new-line character seen in unquoted field" in msg:
        return "未加引号的字段中含有换行符"
    if "NUL" in msg:
        return "含有空字符（NUL）"
    return f"无法解析（{msg}）"


def _physical_lines(text: str) -> int:
    """Lines as ``csv`` counts them (``\\n``, ``\\r\\n`` and a lone ``\\r`` end a line)."""
    n = text.count("\n") + text.count("\r") - text.count("\r\n")
    return n + (0 if text.endswith(("\n", "\r")) else 1) if text else 0


def _split_body(body: str, width: int, delim: str):
    """The body split by pyarrow into ``width`` string columns, or None when a record is not exactly one physical
    line of ``width`` fields (the caller then splits the whole file with ``csv``)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    lines = _physical_lines(body)
    if not lines or width < 1:
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        tb = pacsv.read_csv(
            pa.py_buffer(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, OverflowError):  # a ragged record, or anything else: the row-by-row path decides
        return None
    if tb.num_rows != lines:  # a quoted line break: records and physical lines differ
        return None
    columns = []
    for name in names:
        enc = tb.column(name).combine_chunks().dictionary_encode()
        longest = pc.max(pc.utf8_length(enc.dictionary)).as_py() if len(enc.dictionary) else 0
        if longest >= csv.field_size_limit():  # csv refuses such a field: the row path names it
            return None
        codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
        columns.append((codes, enc.dictionary.to_numpy(zero_copy_only=False).astype(object, copy=False)))
    return columns, tb.num_rows


def _read_csv_columns(text: str, delim: str, enc: str, find_header, scan: int) -> Grid | None:
    """The fast path: title and header rows by ``csv``, the body by pyarrow (:func:`_split_body`); None when the
    file needs the row-by-row path (no header in the first ``scan`` lines, a record over several lines, ragged
    rows)."""
    head = list(itertools.islice(io.StringIO(text, newline=""), scan))
    try:
        recs = list(csv.reader(head, delimiter=delim))
    except csv.Error:
        return None
    if len(recs) != len(head):  # a quoted line break among the title rows
        return None
    h = find_header(recs)
    if h is None:
        return None
    split = _split_body(text[sum(len(line) for line in head[: h + 1]) :], len(recs[h]), delim)
    if split is None:
        return None
    columns, n = split
    return Grid(recs[: h + 1], None, "", "csv", enc, body=Body(columns, n, h + 2))


def read_csv(data: bytes, file: str, limits: Limits = DEFAULT_LIMITS, find_header=None, scan: int = 10) -> Grid:
    """Decode and split a CSV file; row numbers are the physical line where each record starts.

    Given ``find_header(rows) -> int | None`` (the header row within the first ``scan`` rows), the body of a
    regular file comes back split into columns (:class:`Body`)."""
    if len(data) > limits.max_file_bytes:
        raise InputError(f"文件过大（{len(data) >> 20} MiB）", file=file)
    text, enc = decode_csv(data, file)
    delim = _delimiter(text)
    if find_header is not None:
        grid = _read_csv_columns(text, delim, enc, find_header, scan)
        if grid is not None:
            return grid
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        rows = list(reader)
    except csv.Error as err:
        raise InputError(f"CSV格式错误：{_csv_error(err)}", file=file, row=reader.line_num) from None
    if reader.line_num == len(rows):
        numbers = None
    else:  # quoted fields with line breaks: track where each record starts
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        numbers, rows, start = [], [], 1
        for rec in reader:
            rows.append(rec)
            numbers.append(start)
            start = reader.line_num + 1
    if not rows:
        raise InputError("文件为空（没有任何内容）", file=file)
    return Grid(rows, numbers, "", "csv", enc)
