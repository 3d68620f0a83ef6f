"""The library side of one county's run: load (or reuse processed data), rules, audit, outputs.

Everything a county notebook, ``hgk check`` and the batch runner (:mod:`hgk_lib.run`) need, so the notebooks hold
no logic::

    run = process_county(data_root, county, audit_year, params_file)   # -> CountyRun
    paths = write_county_outputs(run, output_root)                      # ledger + summary.json

Processed data lives under ``<processed_root>/<year>/<county folder>/`` (the loader's parquet) with a freshness
stamp ``_inputs.json`` (SHA-256 of every input file of the county folder); the cross-county ID index for rule R09 is
``<processed_root>/<year>/_city/member_ids.parquet``. When no ``processed_root`` is given it is
``<output_root>/_processed`` for the notebooks and the runner (:func:`default_processed_root`).

Paths: relative paths resolve against the repository root whenever the working directory is inside the repository
(so a notebook run from ``notebooks/`` and a command run from the root see the same files), otherwise against the
working directory (:func:`resolve_path`). County folder names are checked (:func:`check_county`): ``../``, absolute
paths, separators and odd characters are refused, and every output path is built with
:func:`hgk_lib.io.safe.safe_output_path` so nothing is written outside the output root.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from . import idindex
from .errors import HgkError, InputError
from .io.safe import sha256_file
from .params import default_params_file, load_params

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The small committed export the notebooks default to (2 counties).
FIXTURE_EXPORT = REPO_ROOT / "tests" / "fixtures" / "export" / "2019"
#: Where the notebooks write with their default parameters (kept apart from a real run's ``outputs/<year>/``).
FIXTURE_OUTPUT_ROOT = Path("outputs") / "fixture"
PROCESSED_DIRNAME = "_processed"
CITY_DIRNAME = "_city"
CITY_OUT_DIRNAME = "市汇总"
INDEX_COLUMNS = ["hh_id", "person_id", "id_no", "id_type", "member_status"]
STAMP_FILE = "_inputs.json"

# 6-digit code, underscore, a name of word characters / CJK / brackets / middle dot / hyphen (no dots, no slashes)
_COUNTY_RE = re.compile(r"^\d{6}_[\w（）()·\-]{1,40}$")


# ---------------------------------------------------------------------------------------------------------------
# paths and names
# ---------------------------------------------------------------------------------------------------------------
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
    bad = (county != county.strip() or os.path.isabs(county) or ".." in county or "/" in county or "\\" in county
           or any(ord(c) < 32 for c in county) or not _COUNTY_RE.match(county))
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
    from .io.safe import safe_output_path

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


# ---------------------------------------------------------------------------------------------------------------
# hashing, atomic writes
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
    from .rules import load_catalogue

    blob = json.dumps({"year": params, "rules": load_catalogue()}, sort_keys=True, ensure_ascii=False,
                      default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def write_bytes_atomic(path, data: bytes) -> Path:
    """Write through a temporary file in the same folder and rename (readers never see half a file)."""
    from .io.safe import atomic_write

    with atomic_write(Path(path), "wb") as fh:
        fh.write(data)
    return Path(path)


def write_json(path, obj) -> Path:
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False, default=_json_default)
    return write_bytes_atomic(path, text.encode("utf-8"))


def read_json(path) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _json_default(o):
    if isinstance(o, (pd.Timestamp, dt.date, dt.datetime)):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    return str(o)


def write_parquet_atomic(df: pd.DataFrame, path) -> Path:
    """Parquet with mixed-type object columns made text (so pyarrow never refuses a findings table)."""
    import io

    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            types = set(out[c].dropna().map(type))
            if len(types) > 1 or (types and not types <= {str}):
                out[c] = out[c].map(lambda v: v if v is None or isinstance(v, str) or
                                    (not isinstance(v, (list, dict, set, tuple)) and pd.isna(v)) else str(v))
                if set(out[c].dropna().map(type)) - {str}:
                    out[c] = out[c].map(lambda v: None if v is None or (not isinstance(v, str) and pd.isna(v))
                                        else str(v))
    buf = io.BytesIO()
    out.to_parquet(buf, index=False)
    return write_bytes_atomic(path, buf.getvalue())


# ---------------------------------------------------------------------------------------------------------------
# county discovery and processed data
# ---------------------------------------------------------------------------------------------------------------
def find_counties(data_root, counties: list[str] | None = None) -> list[str]:
    """County folder names under ``data_root`` (sorted), or the requested ones (each checked and required)."""
    from .io import find_county_folders

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


def processed_dir(processed_root, year: int, county: str) -> Path:
    return safe_path(resolve_path(processed_root), str(int(year)), check_county(county))


def _load(data_root, county: str, year: int):
    from .io import load_county

    folder = safe_path(resolve_path(data_root), check_county(county))
    if not folder.is_dir():
        raise InputError("找不到县目录", file=str(folder))
    return load_county(folder, year=year)


def is_fresh(processed_root, year: int, county: str, hash_: str) -> bool:
    stamp = read_json(processed_dir(processed_root, year, county) / STAMP_FILE)
    return bool(stamp) and stamp.get("input_hash") == hash_ and stamp.get("hgk_version") == __version__


def _member_ids(data, county: str) -> pd.DataFrame:
    m = data.tables.get("member")
    if m is None:
        return pd.DataFrame(columns=["county", *INDEX_COLUMNS])
    cols = [c for c in INDEX_COLUMNS if c in m.columns]
    out = m[cols].astype(object).copy()
    for c in INDEX_COLUMNS:
        if c not in out:
            out[c] = None
    out.insert(0, "county", county)
    return out[["county", *INDEX_COLUMNS]]


def _processed_member_ids(processed_root, year: int, county: str) -> pd.DataFrame:
    """The index columns of a county's processed member table (only those columns are read)."""
    from .io import read_processed

    path = processed_dir(processed_root, year, county) / "member.parquet"
    if not path.exists():
        return _member_ids(read_processed(path.parent), county)
    import pyarrow.parquet as pq

    cols = [c for c in INDEX_COLUMNS if c in pq.read_schema(path).names]
    m = pd.read_parquet(path, columns=cols).astype(object)
    return _member_ids(type("D", (), {"tables": {"member": m.where(m.notna(), None)}})(), county)


def _prepare_one(root, county: str, year: int, proot, hash_: str) -> tuple[str, pd.DataFrame | None, str | None]:
    """Load one county and write its processed parquet + freshness stamp; ``(county, member ids, error)``."""
    from .io import write_processed

    try:
        data = _load(root, county, year)
        pdir = processed_dir(proot, year, county)
        write_processed(data, pdir)
        write_json(pdir / STAMP_FILE, {"county": county, "input_hash": hash_, "hgk_version": __version__,
                                       "files": input_files(safe_path(root, county)), "written_at": _now()})
        idindex.write_county_slice(_member_ids(data, county), county, r09_index_dir(proot, year))
        return county, None, None
    except HgkError as err:
        return county, None, str(err)
    except Exception as err:  # noqa: BLE001 - one unreadable county must not stop the others; reported per county
        return county, None, f"{type(err).__name__}: {err}"


def r09_index_dir(processed_root, year: int) -> Path:
    """The partitioned R09 ID index of a run: ``<processed_root>/<year>/_city/r09_index`` (:mod:`hgk_lib.idindex`)."""
    return safe_path(processed_root, str(int(year)), CITY_DIRNAME, "r09_index")


def update_r09_index(proot, year: int, hashes: dict[str, str], loaded: list[str], client=None) -> Path:
    """Bring the partitioned R09 index up to date for the counties ``hashes`` (county -> input hash) and join it.

    Counties in ``loaded`` wrote their slice while loading; any other county whose slice is missing or was written
    from other input is rewritten from its processed member table (one county at a time); counties no longer in the
    run are removed. Nothing is done when the stamp already matches."""
    city_dir = safe_path(proot, str(year), CITY_DIRNAME)
    index_dir = r09_index_dir(proot, year)
    stamp = read_json(city_dir / STAMP_FILE) or {}
    P = idindex.DEFAULT_PARTITIONS
    if (stamp.get("hashes") == hashes and stamp.get("hgk_version") == __version__
            and stamp.get("partitions") == P and (index_dir / "hits").is_dir()):
        return index_dir
    if stamp.get("partitions") == P and stamp.get("hgk_version") == __version__:
        written = stamp.get("slices", {})
        for c in set(written) - set(hashes):
            idindex.remove_county(index_dir, c, P)
        todo = [c for c in sorted(hashes) if c not in loaded and written.get(c) != hashes[c]]
    elif not stamp:  # first index: the loaded counties have just written theirs
        todo = [c for c in sorted(hashes) if c not in loaded]
    else:  # other partitioning or hgk version: every slice again
        idindex.reset_index_dir(index_dir)
        todo = sorted(hashes)
    for c in todo:
        idindex.write_county_slice(_processed_member_ids(proot, year, c), c, index_dir, P)
    idindex.join_index(index_dir, P, client=client, counties=sorted(hashes))
    write_json(city_dir / STAMP_FILE, {"hashes": hashes, "slices": hashes, "partitions": P,
                                       "hgk_version": __version__, "written_at": _now()})
    return index_dir


def prepare_city(data_root, year: int, processed_root, counties: list[str] | None = None,
                 progress: bool = False, workers: int = 1, client=None) -> dict:
    """Load every county of the run once; write its processed parquet and the R09 ID index.

    A county whose processed data is fresh (same input hash, same hgk version) is not loaded again; stale ones are
    loaded ``workers`` at a time in separate processes. A county that cannot be loaded does not stop the others: it
    is left out of the index and listed in ``failed`` (its notebook run shows the loader's error). Returns
    ``{"counties": [...], "hashes": {county: input hash}, "loaded": [...], "failed": {county: error},
    "index": path}``.
    """
    year = int(year)
    counties = find_counties(data_root, counties)
    proot = resolve_path(processed_root)
    root = resolve_path(data_root)
    hashes = {c: input_hash(safe_path(root, c)) for c in counties}
    stale = [c for c in counties if not is_fresh(proot, year, c, hashes[c])]
    results: dict[str, tuple] = {}
    bar = None
    if progress and stale:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(stale), desc="读取导出数据", unit="县", file=sys.stderr)
    if client is not None and stale:  # load on the cluster: one task per county (paths on the shared file system)
        from distributed import as_completed as dask_completed

        futs = {client.submit(_prepare_one, str(root), c, year, str(proot), hashes[c], pure=False, retries=2,
                              key=f"hgk-load-{c}-{os.getpid()}"): c for c in stale}
        for f in dask_completed(list(futs)):
            try:
                c, ids, err = f.result()
            except Exception as lost:  # noqa: BLE001 - a task lost with its workers is that county's failure
                c, ids, err = futs[f], None, f"Dask 任务失败：{type(lost).__name__}: {lost}"
            results[c] = (ids, err)
            if bar is not None:
                bar.update(1)
    elif workers > 1 and len(stale) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=min(workers, len(stale)), mp_context=mp.get_context("spawn")) as ex:
            futs = [ex.submit(_prepare_one, str(root), c, year, str(proot), hashes[c]) for c in stale]
            for f in as_completed(futs):
                c, ids, err = f.result()
                results[c] = (ids, err)
                if bar is not None:
                    bar.update(1)
    else:
        for c in stale:
            _, ids, err = _prepare_one(root, c, year, proot, hashes[c])
            results[c] = (ids, err)
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    failed = {c: err for c, (_, err) in results.items() if err}
    ok = [c for c in counties if c not in failed]
    ok_hashes = {c: hashes[c] for c in ok}
    index_path = update_r09_index(proot, year, ok_hashes, loaded=[c for c in results if c not in failed],
                                  client=client)
    return {"counties": counties, "hashes": hashes, "loaded": sorted(c for c in results if c not in failed),
            "failed": failed, "index": index_path}


def others_from_index(processed_root, year: int, county: str) -> dict[str, pd.DataFrame] | None:
    """``{other county: its member rows sharing an ID with ``county``}`` from the partitioned R09 index
    (:mod:`hgk_lib.idindex`), or None when there is no index holding ``county``."""
    index_dir = r09_index_dir(resolve_path(processed_root), int(year))
    stamp = read_json(index_dir.parent / STAMP_FILE) or {}
    if county not in stamp.get("hashes", {}):
        return None
    return idindex.others_for(index_dir, county, sorted(stamp["hashes"]))


# ---------------------------------------------------------------------------------------------------------------
# one county
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class CountyRun:
    """One county's audit: what the notebook shows and the ledger holds."""

    county: str
    year: int
    data: object  # hgk_lib.io.CountyData
    findings: pd.DataFrame
    rule_summary: pd.DataFrame
    audit: object  # hgk_lib.audit.AuditResult
    params: dict
    params_file: Path
    provenance: dict
    input_hash: str = ""
    params_hash: str = ""
    others: list[str] = field(default_factory=list)
    data_root: str = ""

    @property
    def name(self) -> str:
        return county_name(self.county)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def build_provenance(county: str, year: int, params: dict, params_file, data, in_hash: str, p_hash: str,
                     others: list[str]) -> dict:
    """County, year, run time, parameters, input files with SHA-256, versions, seed (what 说明 shows).

    The common part comes from :func:`hgk_lib.report.provenance.collect_provenance`; this adds the county, the
    folder's input hash (the runner's freshness key) and the other counties R09 compared against.
    """
    from .report.provenance import collect_provenance

    prov = collect_provenance(getattr(data, "files", None), params, params.get("spot_check", {}).get("seed"),
                              params_file=params_file)
    prov.update({
        "county": county,
        "county_name": county_name(county),
        "audit_year": int(year),
        "params": params,
        "params_hash": p_hash,
        "input_hash": in_hash,
        "r09_other_counties": list(others),
    })
    return prov


def process_county(data_root, county: str, audit_year: int, params_file=None, processed_root=None,
                   output_root=None) -> CountyRun:
    """Load (or reuse fresh processed data), run the 95 rules and the audit for one county.

    ``processed_root`` defaults to ``<output_root>/_processed`` (``output_root`` defaults to ``outputs``).
    When the processed data is stale or missing (or there is no index holding the county), the whole export is
    prepared first (:func:`prepare_city`), so a notebook run on its own still checks R09 against every county of
    its export.
    """
    county = check_county(county)  # before anything is read or imported

    from .audit import audit_county
    from .io import read_processed
    from .rules.engine import make_context, run_rules

    year = int(audit_year)
    root = resolve_path(data_root)
    pfile = resolve_path(params_file) if params_file else default_params_file(year)
    params = load_params(pfile)
    if int(params["year"]["audit_year"]) != year:
        raise InputError(f"参数文件的核查年度 {params['year']['audit_year']} 与 audit_year={year} 不一致",
                         file=str(pfile))
    if processed_root is None:
        processed_root = default_processed_root(output_root if output_root is not None else "outputs")
    proot = resolve_path(processed_root)
    folder = safe_path(root, county)
    if not folder.is_dir():
        raise InputError("找不到县目录", file=str(folder))
    in_hash = input_hash(folder)
    others = others_from_index(proot, year, county)
    index_stamp = read_json(safe_path(proot, str(year), CITY_DIRNAME, STAMP_FILE)) or {}
    if (not is_fresh(proot, year, county, in_hash) or others is None
            or index_stamp.get("hashes", {}).get(county) != in_hash):
        # the run's counties = those of the index (plus this one); no index: every county of the export
        known = (sorted(c for c in set(index_stamp["hashes"]) | {county} if (root / c).is_dir())
                 if index_stamp.get("hashes") else None)
        info = prepare_city(root, year, proot, known)
        if county in info["failed"]:
            _load(root, county, year)  # raises the loader's own error for this county
            raise InputError(f"无法读取县数据：{info['failed'][county]}", file=str(folder))
        others = others_from_index(proot, year, county) or {}
    data = read_processed(processed_dir(proot, year, county))
    p_hash = params_hash(params)
    ctx = make_context(data.tables, params, county, others=others,
                       quarantined_hh=getattr(data, "quarantined_hh", None))
    rr = run_rules(ctx)
    audit = audit_county(data.tables, params, rr.findings)
    prov = build_provenance(county, year, params, pfile, data, in_hash, p_hash, sorted(others))
    return CountyRun(county=county, year=year, data=data, findings=rr.findings, rule_summary=rr.summary,
                     audit=audit, params=params, params_file=pfile, provenance=prov, input_hash=in_hash,
                     params_hash=p_hash, others=sorted(others), data_root=str(root))


def report_inputs(run: CountyRun) -> dict:
    """The keyword arguments the report package's ledger writer and summary builder both take."""
    d = run.data
    return dict(county_folder=run.county, county_name=run.name, year=run.year, findings=run.findings,
                rule_summary=run.rule_summary, audit=run.audit, quarantine=getattr(d, "quarantine", None),
                row_ledger=getattr(d, "ledger", None), files=getattr(d, "files", None), params=run.params,
                provenance=run.provenance, households=d.tables.get("household"), members=d.tables.get("member"))


def county_summary(run: CountyRun) -> dict:
    """``summary.json`` content: the report package's counts plus the runner's freshness keys."""
    from .report.summary import build_county_summary

    summary = build_county_summary(**report_inputs(run))
    summary["input_hash"] = run.input_hash
    summary["params_hash"] = run.params_hash
    summary["r09_other_counties"] = list(run.others)
    return summary


def write_county_outputs(run: CountyRun, output_root) -> dict[str, Path]:
    """Write the inspectors' ledger and ``summary.json`` under ``<output_root>/<year>/<county>/`` (atomically)."""
    from .report.ledger import write_county_ledger
    from .report.summary import write_json_atomic

    out_dir = county_output_dir(output_root, run.year, run.county)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = output_names(run.county, run.year)
    ledger = safe_path(out_dir, names["ledger"])
    summary_path = safe_path(out_dir, names["summary"])
    summary = county_summary(run)
    status = ledger_status(ledger)
    backup = backup_filled_ledger(ledger, status)
    carry_over = status if backup is not None else None
    write_county_ledger(ledger, summary=summary, carry_over=carry_over, **report_inputs(run))
    write_json_atomic(summary_path, summary)
    out = {"dir": out_dir, "ledger": ledger, "summary": summary_path}
    if backup is not None:
        out["backup"] = backup
    return out


def ledger_status(ledger: Path) -> pd.DataFrame | None:
    """The 整改状态/整改说明 rows of an existing ledger (read once: to back it up and to carry them over)."""
    from .report.ledger import read_ledger_status

    if not ledger.exists():
        return None
    status, _ = read_ledger_status(ledger)
    return status if len(status) else None


def backup_filled_ledger(ledger: Path, status: pd.DataFrame | None = None) -> Path | None:
    """Before a ledger is rewritten: if the county has filled it in (整改状态 other than 未整改, or 整改说明), keep
    a copy under ``备份/`` (``回头看台账_<县名>_<year>_<UTC time>.xlsx``) and return its path; else None.

    A rerun writes a fresh ledger from the data; the county's entries are never silently lost."""
    import shutil

    from .report.ledger import STATUS_DEFAULT

    if status is None:
        status = ledger_status(ledger)
    if status is None or status.empty:
        return None
    st = status["status"].astype(object)
    note = status["note"].astype(object)
    filled = (st.notna() & (st != STATUS_DEFAULT)) | note.map(lambda v: isinstance(v, str) and v.strip() != "")
    if not filled.any():
        return None
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = safe_path(ledger.parent, "备份", f"{ledger.stem}_{stamp}{ledger.suffix}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ledger, target)
    return target


# ---------------------------------------------------------------------------------------------------------------
# hgk check
# ---------------------------------------------------------------------------------------------------------------
def check_frames(run: CountyRun) -> dict[str, pd.DataFrame]:
    """The tables ``hgk check`` writes as parquet: findings, rule summary and every audit table.

    Audit tables are written as ``audit_<name>.parquet`` so that none can overwrite a canonical input table of the
    same folder (the audit's ``income`` is the recomputed income, not 收入信息)."""
    frames = {"findings": run.findings, "rule_summary": run.rule_summary}
    for name in ("income", "verdicts", "needs", "sector", "classes", "unstable_pwj", "measure_gaps",
                 "project_findings", "beneficiaries", "dynamic", "notes"):
        v = getattr(run.audit, name, None)
        if isinstance(v, pd.DataFrame):
            frames[f"audit_{name}"] = v
    return frames


def run_check_cli(args) -> int:
    """``hgk check``: load + rules + audit for every county; parquet under ``<out>/<year>/<county>/``."""
    year = int(args.year)
    out_root = resolve_path(args.out)
    params_file = resolve_path(args.params) if args.params else default_params_file(year)
    load_params(params_file)
    info = prepare_city(args.data, year, out_root, args.county, progress=True)
    rows, failed = [], {}
    for c in info["counties"]:
        try:
            run = process_county(args.data, c, year, params_file, processed_root=out_root)
        except HgkError as err:
            failed[c] = str(err)
            continue
        d = processed_dir(out_root, year, c)
        for name, df in check_frames(run).items():
            write_parquet_atomic(df, safe_path(d, f"{name}.parquet"))
        rows.append(check_counts(run))
    table = pd.DataFrame(rows)
    print(f"核查年度 {year}：共 {len(info['counties'])} 个县，结果写入 {out_root / str(year)}")
    if rows:
        print(table.to_string(index=False))
    for c, err in failed.items():
        print(f"失败：{c}：{err}", file=sys.stderr)
    return 1 if failed else 0


def check_counts(run: CountyRun) -> dict:
    """Chinese headline counts of one county (printed by ``hgk check``, shown by the notebook)."""
    f, s = run.findings, run.rule_summary
    v = getattr(run.audit, "verdicts", None)
    needs = getattr(run.audit, "needs", None)
    status = s["status"].astype(str) if "status" in s else pd.Series(dtype=str)
    return {
        "县": run.name,
        "户数": len(run.data.tables.get("household", [])),
        "人数": len(run.data.tables.get("member", [])),
        "问题数": len(f),
        "涉及户数": int(f["hh_id"].dropna().nunique()) if "hh_id" in f else 0,
        "未运行规则": int((~_ran(status)).sum()) if len(status) else 0,
        "已脱贫户核查结论": len(v) if isinstance(v, pd.DataFrame) else 0,
        "三保障问题": len(needs) if isinstance(needs, pd.DataFrame) else 0,
        "隔离行": len(getattr(run.data, "quarantine", []) if getattr(run.data, "quarantine", None) is not None
                   else []),
    }


# ---------------------------------------------------------------------------------------------------------------
# what the county notebook shows (small Chinese tables; the notebook masks every one with mask_frame)
# ---------------------------------------------------------------------------------------------------------------
def _audit_frame(run: CountyRun, name: str) -> pd.DataFrame:
    from .report.summary import audit_frame

    return audit_frame(run.audit, name)


def _ran(status: pd.Series) -> pd.Series:
    """False where a rule-summary status says the rule did not run (the engine writes 未运行（无数据） etc.)."""
    return ~status.astype(object).astype(str).str.startswith("未运行")


def parameter_table(run: CountyRun, paths: dict | None = None) -> pd.DataFrame:
    """运行参数：county, year, data and parameter files, hashes, lines, R09 scope, versions, run time."""
    prov = run.provenance
    inc = run.params.get("income", {})
    others = "、".join(county_name(c) for c in run.others) or "无（本次只有一个县，R09 未运行）"
    rows = [
        ("县（市、区）", run.name), ("县目录", run.county), ("核查年度", str(run.year)),
        ("参照日期", str(run.params["year"]["reference_date"])),
        ("脱贫标准线（元/人·年）", f"{inc.get('exit_line')}"), ("返贫线（元/人·年）", f"{inc.get('return_line')}"),
        ("导出数据目录", str(getattr(run, "data_root", "") or "")), ("参数文件", str(run.params_file)),
        ("参数 SHA-256", str(prov.get("params_sha256") or run.params_hash)),
        ("输入数据哈希", run.input_hash), ("R09 跨县比对的其他县", others),
        ("随机种子", str(prov.get("seed"))), ("PYTHONHASHSEED", str(prov.get("pythonhashseed"))),
        ("hgk 版本", str(prov.get("hgk_version", __version__))), ("运行时间（UTC）", str(prov.get("run_time_utc"))),
    ]
    if paths:
        rows += [("台账文件", Path(paths["ledger"]).name), ("汇总文件", Path(paths["summary"]).name)]
    return pd.DataFrame(rows, columns=["项目", "内容"])


def input_files_table(run: CountyRun) -> pd.DataFrame:
    """输入文件：table, file, size, SHA-256 (first 16 hex digits shown)."""
    recs = run.provenance.get("inputs") or []
    df = pd.DataFrame(recs, columns=["table", "file", "path", "sha256", "bytes"])
    from .schema import TABLES

    label = df["table"].map(lambda t: TABLES[t].label if t in TABLES else t)
    return pd.DataFrame({"数据表": label, "文件": df["file"], "字节数": df["bytes"],
                         "SHA-256（前16位）": df["sha256"].astype(object).map(lambda h: h[:16] if isinstance(h, str) else h)})


def headline_table(run: CountyRun, summary: dict | None = None) -> pd.DataFrame:
    """主要数字 (from the same counts as summary.json)."""
    s = summary or county_summary(run)
    rs = run.rule_summary
    not_run = int((~_ran(rs["status"])).sum()) if "status" in rs else 0
    rows = [("核查户数", s["households"]["audited"]), ("核查人数", s["people"]["audited"]),
            ("在册人数", s["people"]["active"]), ("已脱贫户数", s["households"]["exited"]),
            ("给出核查结论的户数", s["households"]["verdicts_given"]),
            ("规则问题条数", s["findings"]["total"]), ("有问题的户数", s["households"]["with_findings"]),
            ("三保障问题", s["needs"]["total"]), ("涉及三保障问题的户数", s["needs"]["households"]),
            ("帮扶措施缺失（户-年度）", s["measure_gaps"]), ("项目库问题", s["project_findings"]),
            ("隔离行数", s["quarantine"]["total"]), ("未运行的规则", not_run)]
    return pd.DataFrame(rows, columns=["项目", "数量"])


def verdict_table(run: CountyRun) -> pd.DataFrame:
    """核查结论 × 脱贫质量 counts of exited households, verdicts in the standard's order."""
    from .report.summary import QUALITIES, VERDICTS

    v = _audit_frame(run, "verdicts")
    total = max(len(v), 1)
    counts = v["verdict"].astype(object).value_counts()
    order = [x for x in VERDICTS if x in counts.index] + sorted(x for x in counts.index if x not in VERDICTS)
    out = pd.DataFrame({"核查结论": order, "户数": [int(counts[x]) for x in order]})
    out["占比"] = (out["户数"] / total).map(lambda x: f"{x:.1%}")
    if len(v) and v["quality"].notna().any():
        q = pd.crosstab(v["verdict"].astype(object), v["quality"].astype(object))
        for col in [c for c in QUALITIES if c in q.columns]:
            out[col] = out["核查结论"].map(q[col]).fillna(0).astype(int)
    return out


def findings_by_department(run: CountyRun) -> pd.DataFrame:
    """问题按责任部门 × 级别 (with totals and households)."""
    from .report.summary import LEVELS

    f = run.findings
    if f.empty:
        return pd.DataFrame(columns=["责任部门", *LEVELS, "合计", "涉及户数"])
    t = pd.crosstab(f["department"].astype(object).fillna("未指定"), f["level"].astype(object).fillna("未指定"))
    t = t.reindex(columns=[c for c in LEVELS if c in t.columns] + [c for c in t.columns if c not in LEVELS],
                  fill_value=0)
    t["合计"] = t.sum(axis=1)
    hh = f.groupby(f["department"].astype(object).fillna("未指定"))["hh_id"].nunique()
    t["涉及户数"] = hh.reindex(t.index).fillna(0).astype(int)
    t = t.sort_values("合计", ascending=False).rename_axis("责任部门").reset_index()
    t.columns.name = None
    return t


def findings_by_category_township(run: CountyRun) -> pd.DataFrame:
    """问题条数：rows = rule category, columns = township (findings without a household go to 无户信息)."""
    from .report.summary import RULE_CATEGORIES, rule_category

    f = run.findings
    hh = run.data.tables.get("household")
    cats = [c for c, _, _ in RULE_CATEGORIES]
    if f.empty:
        return pd.DataFrame(columns=["规则类别"])
    town = pd.Series("无户信息", index=f.index, dtype=object)
    if hh is not None and "township" in hh:
        m = hh.drop_duplicates("hh_id").set_index("hh_id")["township"].astype(object)
        town = f["hh_id"].astype(object).map(m).fillna("无户信息")
    t = pd.crosstab(rule_category(f["rule_id"]).fillna("其他"), town)
    t = t.reindex([c for c in cats if c in t.index] + [c for c in t.index if c not in cats])
    return t.rename_axis("规则类别").rename_axis(None, axis=1).reset_index()


def needs_table(run: CountyRun) -> pd.DataFrame:
    """三保障问题 by type: department, problems, households, resolvable this year."""
    n = _audit_frame(run, "needs")
    if n.empty:
        return pd.DataFrame(columns=["问题类型", "责任部门", "问题数", "涉及户数", "年内可解决"])
    res = n["resolvable"].astype(object).map(lambda v: v is True or v == "是" or v == 1)
    g = n.assign(_res=res).groupby(["problem_type", "department"], dropna=False)
    out = g.agg(问题数=("hh_id", "size"), 涉及户数=("hh_id", "nunique"), 年内可解决=("_res", "sum")).reset_index()
    out = out.rename(columns={"problem_type": "问题类型", "department": "责任部门"})
    out["年内可解决"] = out["年内可解决"].astype(int)
    return out.sort_values("问题数", ascending=False).reset_index(drop=True)


def row_ledger_table(run: CountyRun) -> pd.DataFrame:
    """行数台账: per table and file, rows read / loaded / quarantined."""
    rl = getattr(run.data, "ledger", None)
    if rl is None or len(rl) == 0:
        return pd.DataFrame(columns=["数据表", "文件", "读取行数", "载入行数", "隔离行数"])
    from .schema import TABLES

    return pd.DataFrame({
        "数据表": rl["table"].map(lambda t: TABLES[t].label if t in TABLES else t),
        "文件": rl["file"].astype(object).map(lambda p: Path(str(p)).name),
        "读取行数": rl["rows_read"], "载入行数": rl["rows_loaded"], "隔离行数": rl["rows_quarantined"]})


def quarantine_table(run: CountyRun) -> pd.DataFrame:
    """隔离数据 by file and reason (counts; the rows themselves are in the ledger's 隔离数据 sheet)."""
    q = getattr(run.data, "quarantine", None)
    if q is None or len(q) == 0:
        return pd.DataFrame(columns=["文件", "原因", "行数"])
    q = q.astype(object)
    file = q["file"].map(lambda p: Path(str(p)).name) if "file" in q else "—"
    out = (q.assign(_file=file).groupby(["_file", "reason"], dropna=False).size().rename("行数").reset_index()
           .rename(columns={"_file": "文件", "reason": "原因"}))
    return out.sort_values(["行数", "文件"], ascending=[False, True]).reset_index(drop=True)


def not_run_table(run: CountyRun) -> pd.DataFrame:
    """Rules that did not run (or parts that did not), with what was missing."""
    rs = run.rule_summary
    if rs.empty or "status" not in rs:
        return pd.DataFrame(columns=["规则编号", "规则名称", "状态", "缺少数据"])
    m = ~_ran(rs["status"])
    if "missing" in rs:
        m |= rs["missing"].astype(object).map(lambda v: isinstance(v, str) and v.strip() != "")
    out = rs.loc[m, ["rule_id", "rule_name", "status", *(["missing"] if "missing" in rs else [])]]
    return out.rename(columns={"rule_id": "规则编号", "rule_name": "规则名称", "status": "状态",
                               "missing": "缺少数据"}).reset_index(drop=True)


def income_chart_data(run: CountyRun) -> pd.DataFrame:
    """Per exited household: recomputed per-capita income and verdict (for the income-vs-lines chart)."""
    v = _audit_frame(run, "verdicts")
    return pd.DataFrame({"hh_id": v["hh_id"], "income_pc": pd.to_numeric(v["income_pc"], errors="coerce"),
                         "verdict": v["verdict"].astype(object)})


def measures_coverage(run: CountyRun) -> pd.DataFrame:
    """Per year since measures.first_year: households (registered by then) with at least one measure, share."""
    first = int(run.params.get("measures", {}).get("first_year", 2016))
    years = list(range(first, run.year + 1))
    hh = run.data.tables.get("household")
    ms = run.data.tables.get("measure")
    n_hh = int(hh["hh_id"].nunique()) if hh is not None and "hh_id" in hh else 0
    if ms is None or "year" not in ms or n_hh == 0:
        return pd.DataFrame({"年度": years, "有措施户数": 0, "户数": n_hh, "覆盖率": 0.0})
    covered = ms.dropna(subset=["year"]).groupby(ms["year"].astype("Int64"))["hh_id"].nunique()
    if "first_year" in hh:
        reg = hh.drop_duplicates("hh_id")["first_year"].astype("Int64")
        base = pd.Series([int((reg <= y).fillna(True).sum()) for y in years], index=years)
    else:
        base = pd.Series(n_hh, index=years)
    got = covered.reindex(years).fillna(0).astype(int)
    share = (got / base.replace(0, pd.NA)).astype(float).fillna(0.0)
    return pd.DataFrame({"年度": years, "有措施户数": got.to_numpy(), "户数": base.to_numpy(),
                         "覆盖率": share.round(4).to_numpy()})


def _sheet_names_and_rows(path, sheet: str) -> tuple[list[str], int]:
    """Sheet names of a workbook and the number of data rows (below the header) of one sheet (fast: calamine)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    names = list(wb.sheet_names)
    if sheet not in names:
        return names, 0
    rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return names, max(0, len([r for r in rows if any(v not in (None, "") for v in r)]) - 1)


def output_checks(run: CountyRun, paths: dict) -> pd.DataFrame:
    """Invariants every county run must satisfy (the notebook asserts them; a failure fails the county's run).

    * every table's rows read = rows loaded + rows quarantined (nothing silently dropped);
    * every exited household has exactly one verdict, and no verdict is given to anyone else;
    * every verdict is one of the standard's;
    * the ledger has the sheets of outputs.md in order, and 问题清单 one row per finding;
    * summary.json counts the same findings and verdicts.
    """
    from .report.ledger import SHEET_NAMES, STATUS_SHEET
    from .report.summary import VERDICTS
    from .schema import EXITED

    checks = []
    rl = getattr(run.data, "ledger", None)
    if rl is not None and len(rl):
        num = rl[["rows_read", "rows_loaded", "rows_quarantined"]].apply(pd.to_numeric, errors="coerce").fillna(0)
        bad = rl.loc[num["rows_read"] != num["rows_loaded"] + num["rows_quarantined"], "table"]
        checks.append(("行数台账平衡：读取 = 载入 + 隔离", bad.empty, "、".join(map(str, bad)) or "全部平衡"))
    hh = run.data.tables.get("household")
    v = _audit_frame(run, "verdicts")
    if hh is not None and "exit_status" in hh:
        exited = set(hh.loc[hh["exit_status"].astype(object).isin(EXITED), "hh_id"].dropna().astype(str))
        given = v["hh_id"].dropna().astype(str)
        dup = int(given.duplicated().sum())
        ok = set(given) == exited and dup == 0
        checks.append(("每个已脱贫户恰有一个核查结论", ok,
                       f"已脱贫 {len(exited)} 户，结论 {len(given)} 条，重复 {dup}，"
                       f"缺 {len(exited - set(given))}，多 {len(set(given) - exited)}"))
    unknown = sorted(set(v["verdict"].dropna().astype(str)) - set(VERDICTS))
    checks.append(("核查结论均为标准规定的结论", not unknown, "、".join(unknown) or "是"))
    names, n_rows = _sheet_names_and_rows(paths["ledger"], STATUS_SHEET)
    checks.append(("台账工作表齐全且顺序正确", names[:len(SHEET_NAMES)] == SHEET_NAMES, "、".join(names[:11])))
    checks.append(("问题清单每条问题一行", n_rows == len(run.findings), f"台账 {n_rows} 行，问题 {len(run.findings)} 条"))
    summ = read_json(paths["summary"]) or {}
    ok = (summ.get("findings", {}).get("total") == len(run.findings)
          and summ.get("households", {}).get("verdicts_given") == len(v))
    checks.append(("summary.json 与台账一致", ok, f"问题 {summ.get('findings', {}).get('total')}，"
                                              f"结论 {summ.get('households', {}).get('verdicts_given')}"))
    return pd.DataFrame(checks, columns=["检查项", "通过", "说明"])


# ---------------------------------------------------------------------------------------------------------------
# what the city notebook shows
# ---------------------------------------------------------------------------------------------------------------
def utc_now() -> str:
    """The run time stamp written into the city workbook (UTC, seconds)."""
    return _now()


def comparison_section(comparison: pd.DataFrame, category: str) -> pd.DataFrame:
    """The rows of one category of the city comparison (各县对比), 项目 as the first column."""
    part = comparison[comparison["category"] == category].drop(columns="category")
    return part.rename(columns={"item": "项目"}).reset_index(drop=True)


def spot_estimates(output_root, year: int) -> pd.DataFrame | None:
    """Spot-check estimates read from ``市汇总/抽查结果评估_<year>.xlsx`` (sheet 汇总) as a long frame
    ``[county, item, value]`` (county = 县名, or 全市), or None when the evaluation has not been done yet."""
    path = safe_path(resolve_path(output_root), str(int(year)), CITY_OUT_DIRNAME, f"抽查结果评估_{int(year)}.xlsx")
    if not path.exists():
        return None
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if "汇总" not in wb.sheetnames:
            return None
        rows = list(wb["汇总"].iter_rows(values_only=True))
    finally:
        wb.close()
    if len(rows) < 2:
        return pd.DataFrame(columns=["county", "item", "value"])
    df = pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]])
    key = "县（市、区）"

    def pct(v):
        return None if v is None or (isinstance(v, float) and pd.isna(v)) else f"{float(v):.1%}"

    out = []
    for r in df.to_dict("records"):
        c = str(r.get(key) or "")
        name = c.split("_", 1)[1] if re.match(r"^\d{6}_", c) else c
        out += [(name, "已核查户数", r.get("已核查户数")), (name, "发现问题户数", r.get("发现问题户数")),
                (name, "问题比例（95%区间）", f"{pct(r.get('问题比例（加权）'))}（{pct(r.get('问题比例95%下限'))}–"
                                         f"{pct(r.get('问题比例95%上限'))}）"),
                (name, "收入低于脱贫线比例（95%区间）", f"{pct(r.get('收入低于脱贫线比例（加权）'))}（"
                                              f"{pct(r.get('收入低于线95%下限'))}–{pct(r.get('收入低于线95%上限'))}）")]
    return pd.DataFrame(out, columns=["county", "item", "value"])


def county_spot_estimates(spot: pd.DataFrame | None) -> pd.DataFrame | None:
    """Per-county rows only (the city workbook's comparison has one column per county; 全市 is shown apart)."""
    if spot is None:
        return None
    return spot[~spot["county"].isin(["全市", "合计", "全市合计"])].reset_index(drop=True)


def spot_table(spot: pd.DataFrame | None) -> pd.DataFrame:
    """Spot-check estimates, one row per county (and 全市), one column per item."""
    if spot is None or spot.empty:
        return pd.DataFrame(columns=["县（市、区）"])
    t = spot.pivot_table(index="county", columns="item", values="value", aggfunc="first", sort=False)
    return t.rename_axis("县（市、区）").rename_axis(None, axis=1).reset_index()


def city_checks(summaries: list[dict], status: pd.DataFrame, output_root, year: int, workbook) -> pd.DataFrame:
    """Invariants of the city roll-up (the city notebook asserts them).

    * every county folder with a ``summary.json`` is in the roll-up;
    * the 整改状态 read back equals the findings each county reported (one ledger row per finding);
    * the city workbook exists with its sheets.
    """
    from openpyxl import load_workbook

    from .report.city import CITY_SHEETS

    base = resolve_path(output_root) / str(int(year))
    on_disk = sorted(p.parent.name for p in base.glob("*/summary.json") if p.parent.name != CITY_OUT_DIRNAME)
    rolled = sorted(str((s.get("county") or {}).get("folder")) for s in summaries)
    checks = [("每个有 summary.json 的县都已汇总", on_disk == rolled, f"{len(rolled)} 个县")]
    per_county = {str((s.get("county") or {}).get("folder")): int((s.get("findings") or {}).get("total") or 0)
                  for s in summaries}
    read = status.groupby("county_folder").size().to_dict() if len(status) else {}
    diff = sorted(c for c, n in per_county.items() if int(read.get(c, 0)) != n)
    checks.append(("读回的整改状态条数与各县问题条数一致", not diff, "、".join(diff) or f"共 {sum(per_county.values())} 条"))
    wb = load_workbook(workbook, read_only=True)
    try:
        names = wb.sheetnames
    finally:
        wb.close()
    want = [s.name for s in CITY_SHEETS]
    checks.append(("全市汇总表工作表齐全", names[:len(want)] == want, "、".join(names)))
    return pd.DataFrame(checks, columns=["检查项", "通过", "说明"])


def rectification_by_county(status: pd.DataFrame) -> pd.DataFrame:
    """整改进度 per county (and 全市): counts of each 整改状态, total and 已整改 share, Chinese headers."""
    from .report.ledger import STATUS_OPTIONS

    cols = ["县（市、区）", *STATUS_OPTIONS, "合计", "已整改占比"]
    if status is None or len(status) == 0:
        return pd.DataFrame(columns=cols)
    st = status["status"].astype(object).where(status["status"].isin(STATUS_OPTIONS), STATUS_OPTIONS[0])
    t = pd.crosstab(status["county"].astype(object), st).reindex(columns=STATUS_OPTIONS, fill_value=0)
    t.loc["全市"] = t.sum()
    t["合计"] = t[STATUS_OPTIONS].sum(axis=1)
    t["已整改占比"] = (t["已整改"] / t["合计"].where(t["合计"] > 0)).map(lambda x: "—" if pd.isna(x) else f"{x:.1%}")
    return t.rename_axis("县（市、区）").rename_axis(None, axis=1).reset_index()[cols]


def rectification_by_department(status: pd.DataFrame) -> pd.DataFrame:
    """整改进度 of the whole city per responsible department, Chinese headers."""
    from .report.city import progress_table

    p = progress_table(status)
    p = p[p["county"] == "全市"].drop(columns="county")
    out = p.rename(columns={"department": "责任部门", "total": "合计", "done_share": "已整改占比",
                            "doing_share": "整改中占比", "todo_share": "未整改占比"})
    for c in ("已整改占比", "整改中占比", "未整改占比"):
        out[c] = out[c].map(lambda x: "—" if pd.isna(x) else f"{x:.1%}")
    return out.sort_values("合计", ascending=False).reset_index(drop=True).rename_axis(None, axis=1)


def readback_problems(problems: pd.DataFrame) -> pd.DataFrame:
    """读回问题 with Chinese headers (the city workbook's 读回问题 sheet)."""
    names = {"county": "县（市、区）", "file": "文件", "sheet": "工作表", "row": "行号", "column": "列",
             "value": "填写值", "reason": "问题"}
    return problems.rename(columns=names)[[c for c in names.values() if c in problems.rename(columns=names)]]
