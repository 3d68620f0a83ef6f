"""Processed county data on disk: one parquet file per table + quarantine/ledger/files + manifest.json.

The manifest records every column's dtype, so :func:`read_processed` restores exactly what the loader produced
(``object`` strings with ``None``, ``Int64``, ``boolean``, ``datetime64[ns]``, ``__raw`` columns), whatever
pandas' default string type is.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from .. import __version__
from .. import schema as S
from ..errors import InputError
from .loader import FILES_COLUMNS, LEDGER_COLUMNS, CountyData
from .parse import QUARANTINE_COLUMNS
from .safe import atomic_write, check_path_component

MANIFEST = "manifest.json"
EXTRA = ("quarantine", "ledger", "files")
FORMAT_VERSION = 1


def _dtypes(df: pd.DataFrame) -> dict[str, str]:
    return {c: str(t) for c, t in df.dtypes.items()}


def _restore(df: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    out = {}
    for c, t in dtypes.items():
        s = df[c] if c in df else pd.Series([None] * len(df), index=df.index)
        if t == "object":
            s = s.astype(object)
            s = s.where(s.notna(), None)
        elif t.startswith("datetime64"):
            s = pd.to_datetime(s).astype(t)
        else:
            s = s.astype(t)
        out[c] = s
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    with atomic_write(path) as tmp:
        df.to_parquet(tmp, index=False)


def write_processed(data: CountyData, out_dir) -> Path:
    """Write ``<out_dir>/<table>.parquet`` per table, quarantine/ledger/files parquet and ``manifest.json``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format_version": FORMAT_VERSION,
        "hgk_version": __version__,
        "written_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "folder": data.folder,
        "code": data.code,
        "name": data.name,
        "year": data.year,
        "tables": {},
        "extra": {},
        "missing_optional": data.missing_optional,
        "missing_tables": list(data.missing_tables),
        "quarantined_hh": sorted(map(str, data.quarantined_hh)),
        "warnings": list(data.warnings),
    }
    for name, df in data.tables.items():
        check_path_component(name, "表名")
        _write_parquet(df, out / f"{name}.parquet")
        manifest["tables"][name] = {"file": f"{name}.parquet", "rows": len(df), "dtypes": _dtypes(df)}
    for name in EXTRA:
        df = getattr(data, name)
        _write_parquet(df, out / f"{name}.parquet")
        manifest["extra"][name] = {"file": f"{name}.parquet", "rows": len(df), "dtypes": _dtypes(df)}
    for name in S.TABLES:  # a table absent now must not survive from an earlier run
        if name not in data.tables and (out / f"{name}.parquet").exists():
            (out / f"{name}.parquet").unlink()
    with atomic_write(out / MANIFEST, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    return out


def read_processed(path) -> CountyData:
    """Read back what :func:`write_processed` wrote (dtypes restored from the manifest)."""
    path = Path(path)
    mf = path / MANIFEST
    if not mf.exists():
        raise InputError(f"处理后数据目录中没有 {MANIFEST}（请先运行 hgk load）", file=str(path))
    try:
        manifest = json.loads(mf.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{MANIFEST} 无法读取（{err}）", file=str(mf)) from None

    def read(entry):
        f = path / check_path_component(entry["file"], "文件名")
        return _restore(pd.read_parquet(f), entry["dtypes"])

    extra = {k: read(v) for k, v in manifest["extra"].items()}
    return CountyData(
        folder=manifest["folder"],
        code=manifest["code"],
        name=manifest["name"],
        year=manifest.get("year"),
        tables={k: read(v) for k, v in manifest["tables"].items()},
        quarantine=extra.get("quarantine", pd.DataFrame(columns=QUARANTINE_COLUMNS)),
        ledger=extra.get("ledger", pd.DataFrame(columns=LEDGER_COLUMNS)),
        files=extra.get("files", pd.DataFrame(columns=FILES_COLUMNS)),
        missing_optional={k: list(v) for k, v in manifest.get("missing_optional", {}).items()},
        quarantined_hh=set(manifest.get("quarantined_hh", [])),
        warnings=list(manifest.get("warnings", [])),
        missing_tables=list(manifest.get("missing_tables", [])),
    )
