"""Refuse hostile or broken files before any parser sees them.

An ``.xlsx`` is a zip of XML parts. Before python-calamine (or openpyxl) parses one, :func:`check_xlsx` checks:

* it is a zip at all (an HTML page or a CSV renamed to ``.xlsx`` and old ``.xls``/encrypted files are named as such);
* the zip directory: number of entries, total uncompressed size, per-member compression ratio (zip bombs);
* every XML part, streamed in bounded chunks: no ``<!DOCTYPE``/``<!ENTITY`` (entity-expansion bombs, XXE), not
  UTF-16, CRC intact (a truncated or tampered member fails here, and the real size equals the declared size);
* every worksheet part: the rectangle spanned by cells that hold a value. python-calamine allocates that rectangle
  densely, so one stray value in cell ``XFD1048576`` would ask for ~17 billion cells. Only "far" cells (row >=
  100000 or column beyond ``CZ``) are examined individually, which keeps the scan cheap; empty formatted cells
  (self-closing ``<c .../>``) do not count, so a sheet formatted down to row 1048576 is fine.

All limits live in :class:`Limits` and can be changed per call.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, UnsafeInputError

try:  # openpyxl switches to defusedxml automatically when it is importable; we rely on that for any XML we parse
    import defusedxml  # noqa: F401
except ImportError as _err:  # pragma: no cover - a declared dependency
    raise ImportError("缺少依赖 defusedxml（读取xlsx的安全保护需要它）：pip install defusedxml") from _err

GIB = 1 << 30
MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Safety limits for one input file (defaults suit a county export; all configurable)."""

    max_file_bytes: int = 2 * GIB  # size on disk (xlsx or csv)
    max_total_uncompressed: int = 1 * GIB  # sum of the zip members' uncompressed sizes
    max_ratio: float = 200.0  # uncompressed/compressed, checked for members larger than ratio_min_size
    ratio_min_size: int = 10 * MIB
    max_entries: int = 10_000
    # dense rectangle of one worksheet (rows x columns): Excel's full 1,048,576 rows by 64 columns, so the sheets hgk
    # writes itself pass (入户核查表 of a 195,000-household county: 674,265 rows, counted as at least 52 columns)
    max_cells: int = 1_048_576 * 64
    chunk: int = 1 * MIB  # streaming chunk size (bounded memory)


DEFAULT_LIMITS = Limits()

_BAD_XML = (b"<!DOCTYPE", b"<!ENTITY")
# a cell reference far from A1: column beyond CZ, or row >= 100000; group 3 is "/" for empty self-closing cells
# (any legal spelling: other whitespace, spaces around "=", single quotes)
_FAR = re.compile(rb'r\s*=\s*["\']((?:[A-Z]{3}|[D-Z][A-Z])\d{1,7}|[A-Z]{1,2}\d{6,7})["\'][^>]*?(/?)>')
_WIDE = re.compile(rb'r\s*=\s*["\'][BC][A-Z]\d')
_REF = re.compile(r"([A-Z]+)(\d+)")  # a cell reference: column letters, row
# a formula cell without a cached result (written by a script, never calculated): python-calamine reads it as blank
_UNCACHED = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)(?:</c>|<v\s*/>|<v></v>)")


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def far_extent(matches: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """(largest row, largest column number) of the :data:`_FAR` matches that are not empty self-closing cells;
    (0, 0) when there are none. A large county's sheets have a million such references: split and compared as
    numpy byte strings, the column letters converted once per distinct spelling."""
    refs = [ref for ref, slash in matches if not slash]
    if not refs:
        return 0, 0
    arr = np.array(refs, dtype=bytes)
    rows = int(np.char.lstrip(arr, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ").astype(np.int64).max())
    letters = np.unique(np.char.rstrip(arr, b"0123456789"))
    return rows, max(col_number(s.decode()) for s in letters)


def sniff_not_zip(data: bytes) -> str:
    """Why bytes that should be an xlsx are not a zip (Chinese, for the error message)."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "文件是旧版xls格式或已加密的工作簿，请在Excel中打开并另存为.xlsx（不加密）"
    head = data[:4096]
    for enc in ("utf-8-sig", "gb18030", "utf-16"):
        try:
            text = head.decode(enc)
        except UnicodeDecodeError:
            continue
        low = text.lstrip().lower()
        if low.startswith("<") and any(t in low for t in ("<html", "<table", "<!doctype html", "<meta", "<?xml")):
            return "文件不是有效的xlsx：内容是HTML/XML网页（系统导出的“假xlsx”），请在Excel中打开后另存为.xlsx"
        if enc != "utf-16" and "\x00" not in text:
            return "文件不是有效的xlsx：内容是文本（CSV），请把扩展名改为.csv，或在Excel中另存为.xlsx"
    return "文件不是有效的xlsx（不是zip压缩包），可能已损坏"


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part name -> sheet name (best effort; parts not found keep their file name)."""
    try:
        from defusedxml import ElementTree as ET

        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # noqa: BLE001 - names are only for messages
        return {}
    targets = {}
    for rel in rels:
        rid, target = rel.get("Id"), rel.get("Target") or ""
        target = target.lstrip("/")
        targets[rid] = target if target.startswith("xl/") else "xl/" + target
    out = {}
    for el in wb.iter():
        if el.tag.endswith("}sheet") or el.tag == "sheet":
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            if rid in targets:
                out[targets[rid]] = el.get("name")
    return out


def check_xlsx(data: bytes, file: str, limits: Limits = DEFAULT_LIMITS) -> dict:
    """Raise :class:`InputError`/:class:`UnsafeInputError` unless ``data`` is a plausible, harmless xlsx.

    Returns a small report: ``{"entries": n, "uncompressed": bytes, "sheets": {sheet name: (rows, cols)},
    "uncached_formulas": {sheet name: n}}`` (rows/cols: upper bounds of the value rectangle; formula cells that
    carry no calculated result, which every reader sees as blank).
    """
    if not data:
        raise InputError("文件为空（0字节）", file=file)
    if len(data) > limits.max_file_bytes:
        raise UnsafeInputError(
            f"文件过大（{len(data) / GIB:.1f} GiB，上限 {limits.max_file_bytes / GIB:.1f} GiB）", file=file
        )
    if data[:2] != b"PK":
        raise InputError(sniff_not_zip(data), file=file)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, NotImplementedError, RuntimeError):
        raise InputError("xlsx文件已损坏或不完整（可能下载或复制时中断），请重新导出", file=file) from None
    if len(infos) > limits.max_entries:
        raise UnsafeInputError(
            f"xlsx压缩包内文件过多（{len(infos)}个，上限{limits.max_entries}），已拒绝读取", file=file
        )
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_uncompressed:
        raise UnsafeInputError(
            f"xlsx解压后过大（{total / MIB:.0f} MiB，上限 {limits.max_total_uncompressed / MIB:.0f} MiB），"
            "疑似压缩炸弹，已拒绝读取",
            file=file,
        )
    for i in infos:
        if i.file_size > limits.ratio_min_size and (
            i.compress_size == 0 or i.file_size / i.compress_size > limits.max_ratio
        ):
            ratio = i.file_size / max(i.compress_size, 1)
            raise UnsafeInputError(
                f"xlsx压缩包内部件 {i.filename} 压缩比异常（{ratio:.0f}倍，上限{limits.max_ratio:.0f}倍），"
                "疑似压缩炸弹，已拒绝读取",
                file=file,
            )
    names = {i.filename for i in infos}
    if not any(n.lower().endswith("workbook.xml") for n in names):
        raise InputError("文件不是有效的xlsx（压缩包中没有工作簿 workbook.xml）", file=file)
    sheets: dict[str, tuple[int, int]] = {}
    formulas: dict[str, int] = {}
    sheet_names = None
    for info in infos:
        lname = info.filename.lower()
        if not (lname.endswith(".xml") or lname.endswith(".rels")) or info.is_dir():
            continue
        is_sheet = "worksheets/" in lname
        far_rows, far_cols, wide, uncached = 0, 0, False, 0
        try:
            with zf.open(info) as f:
                first = True
                tail = b""
                while True:
                    chunk = f.read(limits.chunk)
                    if not chunk:
                        break
                    if first:
                        first = False
                        if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or chunk[1:2] == b"\x00":
                            raise UnsafeInputError(f"xlsx部件 {info.filename} 使用UTF-16编码，已拒绝读取", file=file)
                    buf = tail + chunk
                    for bad in _BAD_XML:
                        if bad in buf:
                            raise UnsafeInputError(
                                f"xlsx部件 {info.filename} 含有 {bad.decode()} 声明（可能是XML实体膨胀攻击），已拒绝读取",
                                file=file,
                            )
                    if is_sheet:
                        r, c = far_extent(_FAR.findall(buf))
                        far_rows, far_cols = max(far_rows, r), max(far_cols, c)
                        wide = wide or _WIDE.search(buf) is not None
                        uncached += len(_UNCACHED.findall(buf)) - len(_UNCACHED.findall(tail))
                    tail = buf[-64:]
        except UnsafeInputError:
            raise
        except RuntimeError as err:  # encrypted member
            raise InputError(f"xlsx部件 {info.filename} 已加密，无法读取", file=file) from err
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
            raise InputError(
                f"xlsx文件已损坏或不完整（部件 {info.filename} 无法解压），请重新导出", file=file
            ) from None
        if is_sheet:
            rows = max(far_rows, 99_999)
            cols = max(far_cols, 104 if wide else 52)
            if sheet_names is None:
                sheet_names = _sheet_names(zf)
            sname = sheet_names.get(info.filename, info.filename)
            sheets[sname] = (rows, cols)
            if uncached:
                formulas[sname] = uncached
            if (far_rows or far_cols) and rows * cols > limits.max_cells:
                raise UnsafeInputError(
                    f"工作表的数据区域过大（约{rows}行×{cols}列，上限{limits.max_cells}个单元格），"
                    "通常是远处有多余的单元格，请删除后另存",
                    file=file,
                    sheet=sname,
                )
    return {"entries": len(infos), "uncompressed": total, "sheets": sheets, "uncached_formulas": formulas}


def read_checked_xlsx(path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of the workbook at ``path`` once :func:`check_xlsx` has passed them: the one gate every reader of
    an .xlsx (export, filled ledger, filled spot-check list) goes through before a workbook library opens it."""
    from pathlib import Path

    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError("找不到文件", file=str(p)) from None
    check_xlsx(data, str(p), limits)
    return data
