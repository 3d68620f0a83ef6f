"""The country on paper: ~2,800 counties (~30 M households) on N Dask workers, from a measured per-county cost curve.

    .venv/bin/python bench/country_on_paper.py --sec0 S --sec-per-k B --mb0 M --mb-per-k C [--bytes-per-hh X]

County sizes: a log-normal spread (σ = 1.0) scaled to 30 M households over 2,800 counties (mean ≈ 10.7 k; the
largest ≈ 195 k, about 英德市's size), taken at fixed quantiles (no randomness). A county job costs
``sec0 + sec_per_k · households/1000`` seconds and peaks at ``mb0 + mb_per_k · households/1000`` MB (the fit
printed by bench_province.py / bench_county_cost.py). Jobs go largest first (hgk submits them with that priority)
to N single-threaded workers: greedy list scheduling, which is what the Dask scheduler does with prioritised
tasks. Prints, for N = 8, 32, 128: wall time of the county jobs, the largest county's time (the floor), worker
memory, and the storage of the run.
"""

from __future__ import annotations

import argparse
import heapq
import math
from statistics import NormalDist


def county_sizes(n: int = 2800, total: float = 30e6, sigma: float = 1.0) -> list[float]:
    z = [NormalDist().inv_cdf((i + 0.5) / n) for i in range(n)]
    raw = [math.exp(sigma * x) for x in z]
    k = total / sum(raw)
    return sorted((r * k for r in raw), reverse=True)


def schedule(costs: list[float], workers: int) -> float:
    """Makespan of greedy list scheduling (jobs in the given order, each to the first free worker)."""
    free = [0.0] * workers
    heapq.heapify(free)
    end = 0.0
    for c in costs:
        t = heapq.heappop(free) + c
        end = max(end, t)
        heapq.heappush(free, t)
    return end


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sec0", type=float, required=True, help="seconds per county job at 0 households")
    ap.add_argument("--sec-per-k", type=float, required=True, help="seconds per 1,000 households")
    ap.add_argument("--mb0", type=float, required=True)
    ap.add_argument("--mb-per-k", type=float, required=True)
    ap.add_argument("--bytes-per-hh", type=float, default=0.0, help="export + processed + outputs, bytes/household")
    ap.add_argument("--counties", type=int, default=2800)
    ap.add_argument("--households", type=float, default=30e6)
    a = ap.parse_args()
    sizes = county_sizes(a.counties, a.households)
    costs = [a.sec0 + a.sec_per_k * h / 1000 for h in sizes]
    big = sizes[0]
    print(
        f"{a.counties} counties, {sum(sizes) / 1e6:.1f} M households; sizes: largest {big:,.0f}, "
        f"median {sizes[len(sizes) // 2]:,.0f}, smallest {sizes[-1]:,.0f}"
    )
    print(
        f"county jobs: {sum(costs) / 3600:.1f} worker-hours in total; the largest county {costs[0] / 60:.1f} min, "
        f"peak {a.mb0 + a.mb_per_k * big / 1000:,.0f} MB"
    )
    print("| workers N | county jobs, wall | largest county (floor) | memory per worker (largest county) |")
    print("|---|---|---|---|")
    for n in (8, 32, 128):
        wall = schedule(costs, n)
        print(
            f"| {n} | {wall / 3600:.1f} h | {costs[0] / 60:.1f} min | "
            f"{(a.mb0 + a.mb_per_k * big / 1000) / 1024:.1f} GB |"
        )
    if a.bytes_per_hh:
        print(
            f"shared storage: {a.bytes_per_hh * sum(sizes) / 2**30:,.0f} GiB "
            f"({a.bytes_per_hh / 1024:.1f} KiB per household)"
        )


if __name__ == "__main__":
    main()
