"""``hgk load --data DIR --year 2019 [--county FOLDER ...] --out DIR``.

For each county folder: load, write ``<out>/<year>/<county folder>/`` (parquet + manifest), print where the
tables went and a per-table ledger. A county that fails is reported and the others still run (exit code 2).
"""

from __future__ import annotations

import os
import sys
import time
import unicodedata
from pathlib import Path

from .. import schema as S
from ..errors import HgkError
from .loader import load_county, select_counties
from .safe import safe_output_path
from .store import write_processed


def _pad(text: str, width: int) -> str:
    """Left-justify counting CJK characters as two columns."""
    w = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - w, 0)


def _summary(data, out_dir: Path, seconds: float) -> str:
    lines = [f"【{data.folder}】已写出 → {out_dir}（{seconds:.1f} 秒）"]
    lines.append(f"  {_pad('数据表', 14)}{'读取行':>6}{'载入行':>6}{'隔离行':>6}  文件")
    for r in data.ledger.itertuples(index=False):
        label = S.TABLES[r.table].label
        lines.append(f"  {_pad(label, 14)}{r.rows_read:>9}{r.rows_loaded:>9}{r.rows_quarantined:>9}  {r.file}")
    if data.missing_tables:
        lines.append(
            "  未提供的可选数据表（相关核查将报告“未运行（无数据）”）："
            + "、".join(S.TABLES[t].label for t in data.missing_tables)
        )
    nq = len(data.quarantine)
    nrows = int(data.ledger["rows_quarantined"].sum()) if len(data.ledger) else 0
    lines.append(
        f"  隔离 {nrows} 行（{nq} 条原因，涉及 {len(data.quarantined_hh)} 户），详见 quarantine.parquet"
        if nq
        else "  隔离 0 行"
    )
    for w in data.warnings:
        lines.append(f"  提示：{w}")
    return "\n".join(lines)


def run(args) -> int:
    folders = select_counties(args.data, args.county)
    year = args.year
    failures = []
    print(f"读取 {len(folders)} 个县目录（{args.data}），输出到 {Path(args.out) / str(year)}")
    for folder in folders:
        t0 = time.perf_counter()
        try:
            data = load_county(folder, year=year)
            out_dir = safe_output_path(args.out, str(year), folder.name)
            write_processed(data, out_dir)
        except HgkError as err:
            failures.append((folder.name, str(err)))
            continue
        except Exception as err:  # noqa: BLE001 - one county's unexpected failure must not stop the others
            if os.environ.get("HGK_DEBUG"):
                raise
            failures.append((folder.name, f"读取时发生意外错误（{type(err).__name__}: {err}），请联系维护人员"))
            continue
        print(_summary(data, out_dir, time.perf_counter() - t0), flush=True)
    if failures:
        print(f"\n{len(failures)} 个县目录读取失败：", file=sys.stderr)
        for name, msg in failures:
            print(f"【{name}】错误：{msg}", file=sys.stderr)
        print(f"成功 {len(folders) - len(failures)} 个，失败 {len(failures)} 个。", file=sys.stderr)
        return 2
    print(f"全部完成：{len(folders)} 个县目录。")
    return 0
