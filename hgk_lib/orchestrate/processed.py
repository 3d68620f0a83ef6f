"""Processed data: each county of the run loaded once into parquet, and the cross-county ID index of rule R09.

``<processed_root>/<year>/<county folder>/`` holds the loader's parquet (:func:`hgk_lib.io.write_processed`) and a
freshness stamp ``_inputs.json`` (SHA-256 of every input file of the county folder, hgk version); the R09 index is
the hash-partitioned parquet index ``<processed_root>/<year>/_city/r09_index/`` (:mod:`hgk_lib.idindex`: each
county writes its slice while loading; partitions are joined one at a time, on the cluster when there is one). ``processed_root`` is ``<output_root>/_processed``
(:func:`hgk_lib.orchestrate.paths.default_processed_root`).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pandas as pd

from .. import __version__, idindex
from ..errors import HgkError, InputError
from ..io.safe import read_json, write_json_atomic
from .paths import (
    CITY_DIRNAME,
    check_county,
    find_counties,
    input_files,
    input_hash,
    processed_dir,
    resolve_path,
    safe_path,
)

INDEX_COLUMNS = ["hh_id", "person_id", "id_no", "id_type", "member_status"]
STAMP_FILE = "_inputs.json"


def utc_now() -> str:
    """UTC time stamp (seconds) for run records and stamps (never for ledger contents)."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _load(data_root, county: str, year: int):
    from ..io import load_county

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
    from ..io import read_processed

    path = processed_dir(processed_root, year, county) / "member.parquet"
    if not path.exists():
        return _member_ids(read_processed(path.parent), county)
    import pyarrow.parquet as pq

    cols = [c for c in INDEX_COLUMNS if c in pq.read_schema(path).names]
    m = pd.read_parquet(path, columns=cols).astype(object)
    return _member_ids(type("D", (), {"tables": {"member": m.where(m.notna(), None)}})(), county)


def _prepare_one(root, county: str, year: int, proot, hash_: str) -> tuple[str, pd.DataFrame | None, str | None]:
    """Load one county and write its processed parquet + freshness stamp; ``(county, member ids, error)``."""
    from ..io import write_processed

    try:
        data = _load(root, county, year)
        pdir = processed_dir(proot, year, county)
        write_processed(data, pdir)
        write_json_atomic(
            pdir / STAMP_FILE,
            {
                "county": county,
                "input_hash": hash_,
                "hgk_version": __version__,
                "files": input_files(safe_path(root, county)),
                "written_at": utc_now(),
            },
        )
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
    if (
        stamp.get("hashes") == hashes
        and stamp.get("hgk_version") == __version__
        and stamp.get("partitions") == P
        and (index_dir / "hits").is_dir()
    ):
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
    write_json_atomic(
        city_dir / STAMP_FILE,
        {"hashes": hashes, "slices": hashes, "partitions": P, "hgk_version": __version__, "written_at": utc_now()},
    )
    return index_dir


def prepare_city(
    data_root,
    year: int,
    processed_root,
    counties: list[str] | None = None,
    progress: bool = False,
    workers: int = 1,
    client=None,
) -> dict:
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

        futs = {
            client.submit(
                _prepare_one,
                str(root),
                c,
                year,
                str(proot),
                hashes[c],
                pure=False,
                retries=2,
                key=f"hgk-load-{c}-{os.getpid()}",
            ): c
            for c in stale
        }
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
    index_path = update_r09_index(proot, year, ok_hashes, loaded=[c for c in results if c not in failed], client=client)
    return {
        "counties": counties,
        "hashes": hashes,
        "loaded": sorted(c for c in results if c not in failed),
        "failed": failed,
        "index": index_path,
    }


def others_from_index(processed_root, year: int, county: str) -> dict[str, pd.DataFrame] | None:
    """``{other county: its member rows sharing an ID with ``county``}`` from the partitioned R09 index
    (:mod:`hgk_lib.idindex`), or None when there is no index holding ``county``."""
    index_dir = r09_index_dir(resolve_path(processed_root), int(year))
    stamp = read_json(index_dir.parent / STAMP_FILE) or {}
    if county not in stamp.get("hashes", {}):
        return None
    return idindex.others_for(index_dir, county, sorted(stamp["hashes"]))
