"""Benchmark: the hash-partitioned R09 ID index (hgk_lib.idindex) on a generated 20-million-ID index.

    .venv/bin/python bench/bench_r09_index.py [--ids 20000000] [--counties 200] [--partitions 32] [--dir /tmp/x]

Generates ``--counties`` counties of valid 18-digit IDs (0.1 % of each county's IDs also registered in the county
before it: planted R09 hits), one county at a time (only one county in memory), writes each county's slice of the
index with :func:`hgk_lib.idindex.write_county_slice`, then joins every partition in a fresh process of its own
and prints per-partition time and peak memory (max RSS of that process), and the extrapolation to 100 million IDs.
Nothing here holds all IDs at once.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hgk_lib import idindex  # noqa: E402

_W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CC = np.array(list("10X98765432"))
HIT_SHARE = 0.001


def county_ids(k: int, i: np.ndarray) -> np.ndarray:
    """The IDs of rows ``i`` of county ``k``: distinct valid 18-digit IDs (region code from k; birth date and
    sequence number from the row)."""
    region = 110000 + k
    days = (i // 999).astype("timedelta64[D]") + np.datetime64("1930-01-01")
    months = days.astype("datetime64[M]")
    ymd = (
        (months.astype("datetime64[Y]").astype(np.int64) + 1970) * 10000
        + (months.astype(np.int64) % 12 + 1) * 100
        + (days - months).astype(np.int64)
        + 1
    )
    seq = i % 999 + 1
    first17 = region * 10**11 + ymd * 10**3 + seq
    digits = (first17[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = _CC[(digits @ _W) % 11]
    return np.char.add(first17.astype("U17"), check)


def write_county(args) -> float:
    k, n, index_dir, partitions = args
    t0 = time.perf_counter()
    ids = county_ids(k, np.arange(n, dtype=np.int64))
    if k > 0:  # plant hits: some of this county's people are also registered in the county before
        take = np.random.default_rng(k).choice(n, size=max(1, int(n * HIT_SHARE)), replace=False)
        ids[take] = county_ids(k - 1, take.astype(np.int64))
    ids = pd.Series(ids.astype(object), dtype=object)
    county = f"{110000 + k}_县{k:04d}"
    if k == 0:  # the real path once (ID checks of R01 on every row): its cost per county is what a county job pays
        frame = pd.DataFrame(
            {"hh_id": ids, "person_id": ids, "id_no": ids, "id_type": "身份证", "member_status": "正常"}
        )
        idindex.write_county_slice(frame, county, index_dir, partitions)
        return time.perf_counter() - t0
    # the generated IDs are valid 18-digit IDs of active members: the slice is built directly (same files)
    s = pd.DataFrame(
        {
            "county": county,
            "id18": ids,
            "_ord": np.arange(n),
            "hh_id": ids,
            "person_id": ids,
            "id_no": ids,
            "id_type": "身份证",
            "member_status": "正常",
        }
    )
    idindex.write_slice(s, county, index_dir, partitions)
    return time.perf_counter() - t0


def join_one(args) -> dict:
    index_dir, p = args
    r = idindex.join_partition(index_dir, p)
    r["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return r


def baseline_rss(_=None) -> float:
    import hgk_lib.idindex  # noqa: F401 - the same imports as a join process

    pd.DataFrame({"a": [1]}).to_parquet(Path(tempfile.gettempdir()) / "_hgk_bench_rss.parquet")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ids", type=int, default=20_000_000)
    ap.add_argument("--counties", type=int, default=200)
    ap.add_argument("--partitions", type=int, default=32)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--resume", action="store_true", help="keep the counties already written into --dir")
    ap.add_argument("--join-only", action="store_true", help="join an index already written into --dir")
    ap.add_argument("--slice-seconds", type=float, default=None, help="with --join-only: a measured write time")
    a = ap.parse_args()
    index_dir = Path(a.dir or tempfile.mkdtemp(prefix="hgk_r09_bench_"))
    per = a.ids // a.counties
    ctx = get_context("spawn")
    if a.join_only:
        secs, t_write = [a.slice_seconds or float("nan")] * 2, float("nan")
        a.counties = len(list((index_dir / "ids" / "p=000").glob("*.parquet")))
        a.ids = per * a.counties
        print(f"join only: {a.counties} counties of {per:,} IDs already written at {index_dir}")
    else:
        last = index_dir / "ids" / f"p={a.partitions - 1:03d}"
        done = {int(f.stem.split("县")[1]) for f in last.glob("*.parquet")} if a.resume else set()
        if not a.resume:
            idindex.reset_index_dir(index_dir)
        print(
            f"{a.ids:,} IDs in {a.counties} counties of {per:,}; {a.partitions} partitions; index at {index_dir}"
            + (f" ({len(done)} counties already written)" if done else "")
        )
        t0 = time.perf_counter()
        todo = [k for k in range(a.counties) if k not in done or k == 0]
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as ex:
            secs = list(ex.map(write_county, [(k, per, str(index_dir), a.partitions) for k in todo]))
        t_write = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in index_dir.rglob("*.parquet"))
    print(
        f"write slices: {t_write:.1f} s total; write_county_slice with R01's ID checks: {secs[0]:.2f} s for "
        f"{per:,} IDs; the rest (slice given) {statistics.mean(secs[1:]):.2f} s per county; "
        f"index on disk {size / 2**20:.0f} MiB"
    )
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as ex:
        base = ex.submit(baseline_rss).result()
    t0 = time.perf_counter()
    rows = []
    for p in range(a.partitions):  # each join in a fresh process of its own: its max RSS is that join's peak
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as ex:
            rows.append(ex.submit(join_one, (str(index_dir), p)).result())
    t_join = time.perf_counter() - t0
    df = pd.DataFrame(rows)
    print(df.to_string(index=False))
    ids_p, sec_p, rss_p = df["ids"].mean(), df["seconds"].mean(), df["max_rss_mb"].max()
    print(
        f"join: {t_join:.1f} s wall for {a.partitions} partitions one after another (incl. process start); "
        f"per partition {sec_p:.2f} s mean / {df['seconds'].max():.2f} s max for {ids_p:,.0f} IDs; "
        f"peak RSS {rss_p:.0f} MB (an empty join process: {base:.0f} MB); hits {int(df['hits'].sum()):,}"
    )
    mb_per_m = (rss_p - base) / (df["ids"].max() / 1e6)
    s_per_m = df["seconds"].sum() / (a.ids / 1e6)
    w_per_m = secs[0] / (per / 1e6)
    print("extrapolation to 100,000,000 IDs (linear in IDs per partition):")
    for P in (32, 64, 128, 256):
        per_p = 100e6 / P
        print(
            f"  P={P:4d}: {per_p / 1e6:.2f} M IDs per partition, ~{base + mb_per_m * per_p / 1e6:,.0f} MB peak "
            f"per join process, ~{s_per_m * per_p / 1e6:.1f} s per partition; all joins {s_per_m * 100:.0f} s "
            f"of CPU (÷ workers); slices {w_per_m * 100:.0f} s of CPU spread over the county jobs"
        )
    if not a.keep and not a.dir:
        shutil.rmtree(index_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
