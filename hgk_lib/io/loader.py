"""Load one county folder of the provincial export into canonical tables (:class:`CountyData`)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import schema as S
from ..errors import InputError
from .guard import DEFAULT_LIMITS, Limits
from .parse import MAX_HEADER_SCAN, TableResult, empty_quarantine, header_finder, parse_grid
from .readers import read_csv, read_xlsx
from .safe import check_path_component

COUNTY_RE = re.compile(r"^(\d{6})_(.+)$")
LEDGER_COLUMNS = ["table", "file", "rows_read", "rows_loaded", "rows_quarantined"]
FILES_COLUMNS = ["table", "path", "sha256", "bytes", "format", "encoding", "sheet", "note"]


@dataclass
class CountyData:
    """One county's export, loaded.

    ``tables``: canonical tables by English name (absent optional tables are absent);
    ``quarantine``: one row per unusable cell/row [table, file, sheet, row, column, value, reason];
    ``ledger``: per table [table, file, rows_read, rows_loaded, rows_quarantined] (read = loaded + quarantined);
    ``files``: the source files [table, path (relative to the export root), sha256, bytes, format, encoding,
    sheet, note]; ``missing_optional``: optional column keys absent per loaded table; ``quarantined_hh``: household
    ids with quarantined rows; ``warnings``: Chinese notes (ignored columns, county name mismatch, ...).
    """

    folder: str
    code: str
    name: str
    tables: dict = field(default_factory=dict)
    quarantine: pd.DataFrame = field(default_factory=empty_quarantine)
    ledger: pd.DataFrame = field(default_factory=lambda: _frame([], LEDGER_COLUMNS))
    files: pd.DataFrame = field(default_factory=lambda: _frame([], FILES_COLUMNS))
    missing_optional: dict = field(default_factory=dict)
    quarantined_hh: set = field(default_factory=set)
    year: int | None = None
    warnings: list = field(default_factory=list)
    missing_tables: list = field(default_factory=list)  # optional tables absent (checks report "not run")


def _frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(records, columns=columns)
    for c in columns:
        if c in ("rows_read", "rows_loaded", "rows_quarantined", "bytes"):
            df[c] = df[c].astype("int64")
        else:
            col = df[c].astype(object)
            df[c] = col.where(col.notna(), None)
    return df


# ---------------------------------------------------------------------------------------------------------------
# folders and files
# ---------------------------------------------------------------------------------------------------------------
def _looks_like_county(name: str) -> bool:
    return re.match(r"^\d{6}_", name) is not None


def find_county_folders(root) -> list[Path]:
    """County folders (``^\\d{6}_.+$``) under an export root, sorted by name.

    If ``root`` itself is a county folder (holds ``贫困户信息``), it is returned alone. A folder name with control
    characters or other unsafe parts is refused (:class:`InputError`).
    """
    root = Path(root)
    if not root.exists():
        raise InputError(f"数据目录不存在：{root}")
    if not root.is_dir():
        raise InputError(f"数据路径不是目录：{root}")
    if COUNTY_RE.match(root.name) and _locate(root, S.HOUSEHOLD, _listing(root))[0] is not None:
        return [root]
    out = []
    for p in sorted(root.iterdir(), key=lambda p: p.name):
        if not p.is_dir() or not _looks_like_county(p.name):
            continue
        check_path_component(p.name, "县目录名")
        if COUNTY_RE.match(p.name):
            out.append(p)
    if not out:
        raise InputError(f"数据目录中没有县目录（应形如 441881_英德市）：{root}")
    return out


def _listing(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(("~$", "."))]


def _locate(folder: Path, table: S.Table, listing: list[Path]) -> tuple[Path | None, str | None]:
    """The file holding ``table``: xlsx preferred over csv (noted); header-style name comparison."""
    target = S.normalise_header(table.file)
    by_ext: dict[str, list[Path]] = {}
    for p in listing:
        if S.normalise_header(p.stem) == target:
            by_ext.setdefault(p.suffix.lower(), []).append(p)
    for ext, paths in by_ext.items():
        if len(paths) > 1 and ext in (".xlsx", ".csv"):
            raise InputError(
                f"同一数据表有多个文件：{'、'.join(p.name for p in sorted(paths))}，请只保留一个",
                file=f"{folder.name}/{table.file}{ext}",
            )
    if ".xlsx" in by_ext:
        note = f"同时存在 {by_ext['.csv'][0].name}，已使用xlsx文件" if ".csv" in by_ext else None
        return by_ext[".xlsx"][0], note
    if ".csv" in by_ext:
        return by_ext[".csv"][0], None
    old = [p for ext in (".xls", ".xlsm", ".xlsb", ".et", ".ods") for p in by_ext.get(ext, [])]
    if old:
        raise InputError(f"数据表只有 {old[0].suffix} 格式，请在Excel中另存为.xlsx或.csv", file=_rel(old[0], folder))
    return None, None


def _rel(path: Path, folder: Path) -> str:
    return path.relative_to(folder.parent).as_posix()


# ---------------------------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------------------------
def load_table(path: Path, table: S.Table, label: str, limits: Limits = DEFAULT_LIMITS):
    """Read and parse one table file. Returns (TableResult, files-row dict)."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise InputError(f"文件过大（{size >> 20} MiB）", file=label)
    data = path.read_bytes()
    find = header_finder(table)
    keys = "」或「".join(table.header_keys)
    if path.suffix.lower() == ".xlsx":
        grid, h = read_xlsx(data, label, find, (table.file, table.label), limits)
        if h is None:
            raise InputError(
                f"没有找到表头行：前{MAX_HEADER_SCAN}行内没有「{keys}」列"
                f"（工作表：{'、'.join(grid.sheet_names) or '无'}）",
                file=label,
            )
    else:
        grid = read_csv(data, label, limits, find, MAX_HEADER_SCAN)
        h = find(grid.rows)
        if h is None:
            raise InputError(
                f"没有找到表头行：前{MAX_HEADER_SCAN}行内没有「{keys}」列（按{grid.encoding}编码读取；"
                "若表头显示为乱码，说明文件编码不是UTF-8或GBK）",
                file=label,
            )
    res = parse_grid(table, grid, h, label)
    res.warnings.extend(grid.notes)
    info = {
        "table": table.name,
        "path": label,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "format": grid.fmt,
        "encoding": grid.encoding,
        "sheet": grid.sheet,
        "note": None,
    }
    return res, info


def county_name_warnings(folder: str, code: str, name: str, household: pd.DataFrame | None) -> list[str]:
    """Warn (not fail) when the folder's code/name disagree with each other or with 县（市、区） in the data."""
    out = []
    official = S.QINGYUAN_COUNTIES.get(code)
    if official and official != name:
        out.append(f"县目录名 {folder} 中的县名与代码不符：{code} 应为 {official}")
    if household is None or "county" not in household or household.empty:
        return out
    expected = {x for x in (code, name, official) if x}
    counts = household["county"].value_counts()
    bad = [
        (v, int(n))
        for v, n in counts.items()
        if not (v in expected or str(v).startswith(code) or any(str(v).endswith(e) for e in expected))
    ]
    if bad:
        shown = "、".join(f"{v}（{n}户）" for v, n in bad[:5]) + ("等" if len(bad) > 5 else "")
        out.append(
            f"县目录 {folder} 与贫困户信息中的“县（市、区）”不一致：{shown}；"
            "请确认导出文件是否放错了县目录（仍按本目录处理）"
        )
    return out


def load_county(folder, *, year: int | None = None, limits: Limits | None = None) -> CountyData:
    """Load every table of one county folder (see module docs and docs/loader.md)."""
    folder = Path(folder)
    limits = limits or DEFAULT_LIMITS
    check_path_component(folder.name, "县目录名")
    m = COUNTY_RE.match(folder.name)
    if not m:
        raise InputError(f"县目录名应形如 441881_英德市：{folder.name}")
    if not folder.is_dir():
        raise InputError(f"县目录不存在：{folder}")
    code, name = m.groups()
    listing = _listing(folder)
    dept_dir = folder / S.DEPARTMENT_DIR
    dept_listing = _listing(dept_dir) if dept_dir.is_dir() else []

    located: dict[str, tuple[Path, str | None]] = {}
    missing_required, missing_optional_tables = [], []
    for t in S.TABLES.values():
        path, note = _locate(dept_dir if t.department else folder, t, dept_listing if t.department else listing)
        if path is None:
            (missing_required if t.required else missing_optional_tables).append(t)
        else:
            located[t.name] = (path, note)
    if missing_required:
        files = "、".join(f"{t.file}.xlsx" for t in missing_required)
        raise InputError(
            f"县目录 {folder.name} 缺少必需的数据表：{files}（也可为同名.csv）",
            file=f"{folder.name}/{missing_required[0].file}.xlsx",
        )

    data = CountyData(
        folder=folder.name, code=code, name=name, year=year, missing_tables=[t.name for t in missing_optional_tables]
    )
    results: dict[str, TableResult] = {}
    file_rows, ledger_rows, q_parts = [], [], []
    for tname, (path, note) in located.items():
        table = S.TABLES[tname]
        res, info = load_table(path, table, _rel(path, folder), limits)
        info["note"] = note
        if note:
            data.warnings.append(f"{info['path']}：{note}")
        results[tname] = res
        file_rows.append(info)
        ledger_rows.append(
            {
                "table": tname,
                "file": info["path"],
                "rows_read": res.rows_read,
                "rows_loaded": res.rows_loaded,
                "rows_quarantined": res.rows_quarantined,
            }
        )
        data.tables[tname] = res.table
        data.missing_optional[tname] = res.missing_optional
        data.quarantined_hh |= res.quarantined_hh
        data.warnings.extend(res.warnings)
        if len(res.quarantine):
            q_parts.append(res.quarantine)
    data.files = _frame(file_rows, FILES_COLUMNS)
    data.ledger = _frame(ledger_rows, LEDGER_COLUMNS)
    if q_parts:
        data.quarantine = pd.concat(q_parts, ignore_index=True)
    data.warnings.extend(county_name_warnings(folder.name, code, name, data.tables.get("household")))
    return data


def select_counties(root, counties=None) -> list[Path]:
    """County folders under ``root``, optionally only those named in ``counties`` (exact folder names)."""
    folders = find_county_folders(root)
    if not counties:
        return folders
    by_name = {p.name: p for p in folders}
    out, unknown = [], []
    for c in counties:
        c = check_path_component(c, "县目录名")
        if c in by_name:
            out.append(by_name[c])
        else:
            unknown.append(c)
    if unknown:
        raise InputError(f"数据目录中没有这些县目录：{'、'.join(unknown)}（现有：{'、'.join(by_name)}）")
    return out


def load_counties(root, counties=None, year: int | None = None, limits: Limits | None = None) -> list[CountyData]:
    """Load several counties (all under ``root``, or those named in ``counties``); the first error propagates."""
    return [load_county(f, year=year, limits=limits) for f in select_counties(root, counties)]
