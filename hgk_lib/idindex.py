"""R09 (the same ID in two counties) without one big index: a hash-partitioned parquet ID index.

Every county writes its own slice of the index — the active members whose ID passes R01, with their normalised
18-character ID ``id18`` — split by a hash of ``id18`` into ``P`` partitions::

    <index_dir>/ids/p=007/<county>.parquet        one file per (partition, county), only non-empty ones

An ID can only collide with itself, so each partition is joined on its own (:func:`join_partition`): it reads the
files of one partition (about 1/P of all IDs), keeps the IDs seen in two or more counties, and writes, for every
county, the rows of *other* counties that share one of its IDs::

    <index_dir>/hits/p=007.parquet   columns: target, county, _ord, hh_id, person_id, id_no, id_type, member_status

:func:`join_index` runs the P joins one after another or, with a Dask client, on the cluster; no process ever holds
more than one partition. :func:`others_for` turns the hits into R09's ``others`` argument for one county
(``{other county: its member rows sharing an ID with this county}``, rows in the other county's table order), so
the rule itself (:func:`hgk_lib.rules.identity.r09`) gives exactly the findings it gives with whole member tables.

The hash is :func:`pandas.util.hash_pandas_object` with its fixed default key: the same ID lands in the same
partition in every process and on every machine.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

#: default number of partitions (a city: 16 files per county is cheap; the country: see docs/deployment.md)
DEFAULT_PARTITIONS = 16
INDEX_COLUMNS = ["hh_id", "person_id", "id_no", "id_type", "member_status"]
SLICE_COLUMNS = ["county", "id18", "_ord", *INDEX_COLUMNS]
HIT_COLUMNS = ["target", "county", "_ord", *INDEX_COLUMNS]


def partition_of(id18: pd.Series, partitions: int) -> np.ndarray:
    """The partition number (0..P-1) of each ID: a stable 64-bit hash modulo P."""
    if len(id18) == 0:
        return np.array([], dtype=np.int64)
    h = pd.util.hash_pandas_object(pd.Series(id18.to_numpy(dtype=object)), index=False).to_numpy()
    return (h % np.uint64(partitions)).astype(np.int64)


def active_id_slice(ids: pd.DataFrame, county: str, reference_date, age_max: int = 110) -> pd.DataFrame:
    """The rows R09 compares: active (人员状态 正常) members whose ID passes R01, with ``id18`` and ``_ord`` (the
    row's position in ``ids``). ``ids``: a member table with at least 户编号/证件号码/人员状态 (the index columns)."""
    from .derive import is_active
    from .rules.context import fast_ids

    ids = ids.reset_index(drop=True)
    cols = {c: (ids[c] if c in ids else pd.Series(None, index=ids.index, dtype=object)) for c in INDEX_COLUMNS}
    f = fast_ids(cols["id_no"], ids["id_type"] if "id_type" in ids else None, None, reference_date, age_max)
    ok = (
        f["id_ok"].to_numpy(dtype=bool)
        & is_active(pd.DataFrame({"member_status": cols["member_status"]})).to_numpy()
        & f["id18"].notna().to_numpy()
    )
    out = pd.DataFrame(
        {
            "county": county,
            "id18": pd.Series(f["id18"].to_numpy(dtype=object)[ok], dtype=object),
            "_ord": np.flatnonzero(ok).astype(np.int64),
        }
    )
    for c in INDEX_COLUMNS:
        out[c] = pd.Series(cols[c].astype(object).to_numpy()[ok], dtype=object)
    return out


def _part_dir(index_dir, kind: str, p: int) -> Path:
    return Path(index_dir) / kind / f"p={p:03d}"


def _texts(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Arrow strings (whatever the loader typed them as), so every file has the same schema."""
    return df.assign(**{c: df[c].astype("string[pyarrow]") for c in df.columns if c not in ("_ord",)})


def _write(df: pd.DataFrame, path: Path) -> None:
    """Parquet, written atomically (temporary name, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def write_county_slice(
    ids: pd.DataFrame,
    county: str,
    index_dir,
    partitions: int = DEFAULT_PARTITIONS,
    reference_date="2019-12-31",
    age_max: int = 110,
) -> dict[int, int]:
    """Write one county's slice of the index (replacing any earlier one); ``{partition: rows}``."""
    return write_slice(active_id_slice(ids, county, reference_date, age_max), county, index_dir, partitions)


def write_slice(s: pd.DataFrame, county: str, index_dir, partitions: int = DEFAULT_PARTITIONS) -> dict[int, int]:
    """Write an :func:`active_id_slice` (:data:`SLICE_COLUMNS`) into its partitions; ``{partition: rows}``."""
    s = _texts(s)
    remove_county(index_dir, county, partitions)
    part = partition_of(s["id18"], partitions)
    order = np.argsort(part, kind="stable")
    s, part = s.take(order), part[order]
    bounds = np.searchsorted(part, np.arange(partitions + 1))
    counts = {}
    for p in range(partitions):
        if bounds[p + 1] > bounds[p]:
            _write(s.iloc[bounds[p] : bounds[p + 1]], _part_dir(index_dir, "ids", p) / f"{county}.parquet")
            counts[p] = int(bounds[p + 1] - bounds[p])
    return counts


def remove_county(index_dir, county: str, partitions: int = DEFAULT_PARTITIONS) -> None:
    """Delete a county's files from every partition (a county dropped from the run or about to be rewritten)."""
    for p in range(partitions):
        (_part_dir(index_dir, "ids", p) / f"{county}.parquet").unlink(missing_ok=True)


def reset_index_dir(index_dir) -> None:
    """Remove the whole index (e.g. when the number of partitions changes)."""
    shutil.rmtree(index_dir, ignore_errors=True)


def collisions(frame: pd.DataFrame) -> pd.DataFrame:
    """Of one partition's rows (:data:`SLICE_COLUMNS`): for every county, the rows of other counties sharing one of
    its IDs — ``target`` (the county whose R09 sees the row) + the row (:data:`HIT_COLUMNS`), sorted by target,
    county, ``_ord``."""
    if frame.empty:
        return pd.DataFrame(columns=HIT_COLUMNS)
    n_counties = frame.groupby("id18", sort=False)["county"].nunique()
    shared = n_counties.index[n_counties.to_numpy() > 1]
    d = frame[frame["id18"].isin(shared)]
    if d.empty:
        return pd.DataFrame(columns=HIT_COLUMNS)
    targets = d[["county", "id18"]].drop_duplicates().rename(columns={"county": "target"})
    pairs = targets.merge(d, on="id18")
    pairs = pairs[pairs["target"] != pairs["county"]]
    return pairs.sort_values(["target", "county", "_ord"], kind="stable")[HIT_COLUMNS].reset_index(drop=True)


def join_partition(index_dir, p: int, counties: list[str] | None = None) -> dict:
    """Join one partition: read its county files (only those of ``counties`` when given), write
    ``hits/p=NNN.parquet``; figures for the benchmark."""
    import time

    t0 = time.perf_counter()
    d = _part_dir(index_dir, "ids", p)
    files = sorted(d.glob("*.parquet")) if d.is_dir() else []
    if counties is not None:
        keep = {f"{c}.parquet" for c in counties}
        files = [f for f in files if f.name in keep]
    frames = [pd.read_parquet(f) for f in files]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SLICE_COLUMNS)
    del frames
    hits = _texts(collisions(frame))
    out = Path(index_dir) / "hits" / f"p={p:03d}.parquet"
    _write(hits, out)
    return {
        "partition": p,
        "ids": len(frame),
        "hits": len(hits),
        "files": len(files),
        "seconds": round(time.perf_counter() - t0, 3),
    }


def join_index(
    index_dir, partitions: int = DEFAULT_PARTITIONS, client=None, counties: list[str] | None = None
) -> list[dict]:
    """Join every partition (on the Dask cluster of ``client`` when given: one task per partition, retried twice
    if its worker dies); the per-partition figures of :func:`join_partition`."""
    index_dir = str(Path(index_dir).resolve())
    shutil.rmtree(Path(index_dir) / "hits", ignore_errors=True)
    if client is None:
        return [join_partition(index_dir, p, counties) for p in range(partitions)]
    futures = [
        client.submit(
            join_partition, index_dir, p, counties, pure=False, retries=2, key=f"hgk-r09-p{p:03d}-{os.getpid()}"
        )
        for p in range(partitions)
    ]
    return client.gather(futures)


def others_for(index_dir, county: str, run_counties: list[str]) -> dict[str, pd.DataFrame]:
    """R09's ``others`` for ``county``: every other county of the run, each with only its member rows that share an
    ID with ``county`` (in that county's table order; empty tables for counties without a shared ID)."""
    hits_dir = Path(index_dir) / "hits"
    frames = []
    for f in sorted(hits_dir.glob("p=*.parquet")) if hits_dir.is_dir() else []:
        h = pd.read_parquet(f, filters=[("target", "==", county)])
        if len(h):
            frames.append(h)
    hits = (
        pd.concat(frames, ignore_index=True).sort_values(["county", "_ord"], kind="stable")
        if frames
        else pd.DataFrame(columns=HIT_COLUMNS)
    )
    hits = hits.astype(object).where(hits.notna(), None)
    out = {}
    for c in sorted(set(run_counties) - {county}):
        g = hits[hits["county"] == c]
        out[c] = pd.DataFrame({k: pd.Series(g[k].to_numpy(dtype=object), dtype=object) for k in INDEX_COLUMNS})
    return out
