"""Paths and names of a run: where the export, the processed data, each county's outputs and the city's files are.

One processed-data location per run: ``<output_root>/_processed/<year>/<county folder>/`` (:func:`processed_dir`,
used by ``hgk audit``, ``hgk check`` and the county notebook alike). A county's outputs are under
``<output_root>/<year>/<county folder>/`` (:func:`county_paths`; its saved results in ``results/``,
:mod:`hgk_lib.results`), the city's under ``<output_root>/<year>/市汇总/`` (:func:`city_paths`).

Relative paths resolve against the repository root whenever the working directory is inside the repository (so a
notebook run from ``notebooks/`` and a command run from the root see the same files), otherwise against the working
directory (:func:`resolve_path`). County folder names are checked (:func:`check_county`): ``../``, absolute paths,
separators and odd characters are refused, and every output path is built with
:func:`hgk_lib.io.safe.safe_output_path` so nothing is written outside the output root.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from ..errors import InputError
from ..io.safe import safe_output_path, sha256_file

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
#: The small committed export the notebooks default to (2 counties).
FIXTURE_EXPORT = REPO_ROOT / "tests" / "fixtures" / "export" / "2019"
#: Where the notebooks write with their default parameters (kept apart from a real run's ``outputs/<year>/``).
FIXTURE_OUTPUT_ROOT = Path("outputs") / "fixture"
PROCESSED_DIRNAME = "_processed"
CITY_DIRNAME = "_city"
CITY_OUT_DIRNAME = "市汇总"
RUN_SUMMARY = "run_summary.json"

# 6-digit code, underscore, a name of word characters / CJK / brackets / middle dot / hyphen (no dots, no slashes)
_COUNTY_RE = re.compile(r"^\d{6}_[\w（）()·\-]{1,40}$")


def resolve_path(path: str | os.PathLike | None, base: str | os.PathLike | None = None) -> Path | None:
    """An absolute path for ``path``.

    Absolute paths are returned as they are. A relative path resolves against ``base`` when given, else against the
    repository root when the working directory lies inside the repository (repo root and ``notebooks/`` give the
    same answer), else against the working directory.
    """
    if path is None or str(path) == "":
        return None
    p = Path(os.path.expanduser(str(path)))
    if p.is_absolute():
        return p
    if base is not None:
        return (Path(base) / p).resolve()
    cwd = Path.cwd().resolve()
    anchor = REPO_ROOT if (cwd == REPO_ROOT or REPO_ROOT in cwd.parents) else cwd
    return (anchor / p).resolve()


def check_county(county: str) -> str:
    """Return ``county`` if it is a plain county folder name (``441881_英德市``); refuse anything else.

    Refused: empty, absolute paths, ``..``, path separators, control characters, names not of the form
    ``<6-digit code>_<name>``. The refusal is an :class:`InputError` in Chinese.
    """
    if not isinstance(county, str) or not county:
        raise InputError(f"县目录名无效：{county!r}")
    bad = (
        county != county.strip()
        or os.path.isabs(county)
        or ".." in county
        or "/" in county
        or "\\" in county
        or any(ord(c) < 32 for c in county)
        or not _COUNTY_RE.match(county)
    )
    if bad:
        raise InputError(f"县目录名无效（应为“6位代码_县名”，不得含路径）：{county!r}")
    return county


def county_name(county: str) -> str:
    """``441881_英德市`` -> ``英德市``."""
    return check_county(county).split("_", 1)[1]


def default_processed_root(output_root) -> Path:
    """Where the runner and the notebooks keep processed parquet: ``<output_root>/_processed``."""
    return resolve_path(output_root) / PROCESSED_DIRNAME


def safe_path(root, *parts) -> Path:
    """``root/parts...``, refusing any part that would leave ``root`` (:func:`hgk_lib.io.safe.safe_output_path`)."""
    return Path(safe_output_path(Path(root), *[str(p) for p in parts]))


def county_output_dir(output_root, year: int, county: str) -> Path:
    return safe_path(resolve_path(output_root), str(int(year)), check_county(county))


def city_output_dir(output_root, year: int) -> Path:
    return safe_path(resolve_path(output_root), str(int(year)), CITY_OUT_DIRNAME)


def output_names(county: str, year: int) -> dict[str, str]:
    """File names of one county's outputs (outputs.md)."""
    name = county_name(county)
    return {
        "ledger": f"回头看台账_{name}_{year}.xlsx",
        "html": f"回头看报告_{name}_{year}.html",
        "ipynb": f"回头看报告_{name}_{year}.ipynb",
        "summary": "summary.json",
        "log": "run.log",
        "record": "run.json",
    }


def county_paths(output_root, year: int, county: str) -> dict[str, Path]:
    """``dir`` and every output file of one county (:func:`output_names`), plus its ``results`` folder."""
    d = county_output_dir(output_root, year, county)
    return {
        "dir": d,
        **{k: safe_path(d, v) for k, v in output_names(county, year).items()},
        "results": safe_path(d, "results"),
    }


def city_paths(output_root, year: int) -> dict[str, Path]:
    d = city_output_dir(output_root, year)
    return {
        "dir": d,
        "ipynb": safe_path(d, f"回头看总结_{year}.ipynb"),
        "html": safe_path(d, f"回头看总结_{year}.html"),
        "xlsx": safe_path(d, f"回头看总结_{year}.xlsx"),
        "log": safe_path(d, "run.log"),
        "spot_list": safe_path(d, f"抽查名单_{year}.xlsx"),
    }


def processed_dir(processed_root, year: int, county: str) -> Path:
    return safe_path(resolve_path(processed_root), str(int(year)), check_county(county))


def find_counties(data_root, counties: list[str] | None = None) -> list[str]:
    """County folder names under ``data_root`` (sorted), or the requested ones (each checked and required)."""
    from ..io import find_county_folders

    root = resolve_path(data_root)
    if root is None or not root.is_dir():
        raise InputError("找不到导出数据目录", file=str(data_root))
    found = [Path(f).name for f in find_county_folders(root)]
    if counties:
        wanted = [check_county(c) for c in counties]
        missing = [c for c in wanted if c not in found]
        if missing:
            raise InputError(f"导出目录中没有这些县：{'、'.join(missing)}", file=str(root))
        return list(dict.fromkeys(wanted))
    for c in found:
        check_county(c)
    return sorted(found)


# ---------------------------------------------------------------------------------------------------------------
# hashes: the freshness keys of processed data and of a county's run
# ---------------------------------------------------------------------------------------------------------------
def input_files(folder) -> dict[str, str]:
    """``{relative path: sha256}`` of every (non-hidden) file of a county folder, sorted."""
    folder = Path(folder)
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and not any(part.startswith((".", "~$")) for part in rel.parts):
            out[rel.as_posix()] = sha256_file(p)
    return out


def input_hash(folder) -> str:
    """One SHA-256 over a county folder's file names and contents: the freshness key of processed data."""
    blob = json.dumps(input_files(folder), sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def params_hash(params: dict) -> str:
    """SHA-256 over the year parameters and the rule catalogue (a threshold changed in params/rules/*.yaml makes
    earlier outputs stale too)."""
    from ..rules import load_catalogue

    blob = json.dumps(
        {"year": params, "rules": load_catalogue()}, sort_keys=True, ensure_ascii=False, default=str
    ).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()
