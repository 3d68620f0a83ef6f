"""Provenance of a county run: package versions, platform, parameter and input file hashes, seed, run time.

Recorded in the ledger's 说明 sheet and hidden ``_provenance`` sheet, in ``summary.json`` and in the notebook's
first table. Everything except ``run_time_utc`` is a function of the inputs, so reruns compare equal "timestamps
aside" (see :data:`VOLATILE_KEYS`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd

from ..io.safe import sha256_file

#: Packages whose versions are recorded.
PACKAGES = [
    "hgk",
    "pandas",
    "numpy",
    "openpyxl",
    "scikit-learn",
    "scipy",
    "matplotlib",
    "papermill",
    "nbconvert",
    "nbclient",
    "pyarrow",
    "python-calamine",
    "pyyaml",
    "mplfonts",
    "skops",
    "dask",
]
#: Keys that change on every run (left out when runs are compared).
VOLATILE_KEYS = ("run_time_utc",)


def package_versions(packages=PACKAGES) -> dict[str, str | None]:
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def canonical_json(obj) -> str:
    """Stable JSON text (sorted keys, no whitespace variation) of parameters and other plain data."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def params_digest(params) -> str:
    """SHA-256 of a parameter file (path) or of a parameter mapping's canonical JSON."""
    if isinstance(params, (str, Path)) and Path(params).is_file():
        return sha256_file(params)
    return hashlib.sha256(canonical_json(params).encode("utf-8")).hexdigest()


def input_files(files_df: pd.DataFrame | None) -> list[dict]:
    """The loader's file ledger ``[table, path, sha256, bytes]`` as sorted records (file name only, no folders)."""
    if files_df is None or len(files_df) == 0:
        return []
    df = files_df.copy()
    for col in ("table", "path", "sha256", "bytes"):
        if col not in df:
            df[col] = None
    recs = []
    for rec in df[["table", "path", "sha256", "bytes"]].astype(object).to_dict("records"):
        recs.append(
            {
                "table": None if pd.isna(rec["table"]) else str(rec["table"]),
                "file": None if pd.isna(rec["path"]) else Path(str(rec["path"])).name,
                "path": None if pd.isna(rec["path"]) else str(rec["path"]),
                "sha256": None if pd.isna(rec["sha256"]) else str(rec["sha256"]),
                "bytes": None if pd.isna(rec["bytes"]) else int(rec["bytes"]),
            }
        )
    return sorted(recs, key=lambda r: (r["table"] or "", r["file"] or ""))


def collect_provenance(
    files_df: pd.DataFrame | None, params, seed, *, params_file=None, run_time: dt.datetime | None = None
) -> dict:
    """Everything needed to reproduce a run. ``params``: the parameter mapping (or a file path);
    ``params_file``: the YAML actually read (its bytes are hashed when given)."""
    run_time = run_time or dt.datetime.now(dt.timezone.utc)
    if run_time.tzinfo is None:
        run_time = run_time.replace(tzinfo=dt.timezone.utc)
    import hgk_lib

    return {
        "hgk_version": getattr(hgk_lib, "__version__", None),
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "pythonhashseed": os.environ.get("PYTHONHASHSEED"),
        "params_sha256": params_digest(params_file if params_file is not None else params),
        "params_file": None if params_file is None else Path(params_file).name,
        "inputs": input_files(files_df),
        "seed": None if seed is None else int(seed),
        "run_time_utc": run_time.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat(),
    }


def run_datetime(provenance: dict | None) -> dt.datetime:
    """The run time recorded in ``provenance`` as a naive UTC datetime (fixed epoch when absent)."""
    text = (provenance or {}).get("run_time_utc")
    if text:
        try:
            t = dt.datetime.fromisoformat(str(text))
            if t.tzinfo is not None:
                t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
            return t.replace(microsecond=0)
        except ValueError:
            pass
    return dt.datetime(2000, 1, 1)
