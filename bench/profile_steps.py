"""Per-step wall time and peak memory for the benchmarks (imported by bench_county_cost.py and bench_province.py).

``Steps`` samples the resident memory of this process and all its children (papermill, kernels, pool workers)
every 0.1 s; each ``with steps("name"):`` block records its wall time, the peak of this process alone and the
peak of the whole process tree."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import psutil


class Steps:
    def __init__(self):
        self.rows: list[dict] = []
        self._proc = psutil.Process()
        self._peak_self = self._peak_tree = self._peak_single = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()

    def _rss(self) -> tuple[int, int, int]:
        own = self._proc.memory_info().rss
        tree = single = own
        for c in self._proc.children(recursive=True):
            try:
                r = c.memory_info().rss
            except psutil.Error:
                continue
            tree += r
            single = max(single, r)
        return own, tree, single

    def _sample(self):
        while not self._stop.is_set():
            try:
                own, tree, single = self._rss()
            except psutil.Error:
                continue
            self._peak_self, self._peak_tree = max(self._peak_self, own), max(self._peak_tree, tree)
            self._peak_single = max(self._peak_single, single)
            time.sleep(0.1)

    @contextmanager
    def __call__(self, name: str, **extra):
        own, tree, single = self._rss()
        self._peak_self, self._peak_tree, self._peak_single = own, tree, single
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.rows.append(
                {
                    "step": name,
                    "seconds": round(time.perf_counter() - t0, 1),
                    "peak_mb": round(self._peak_self / 2**20),
                    "peak_tree_mb": round(self._peak_tree / 2**20),
                    "peak_one_process_mb": round(self._peak_single / 2**20),
                    **extra,
                }
            )

    def close(self):
        self._stop.set()

    def table(self) -> str:
        import pandas as pd

        return pd.DataFrame(self.rows).to_string(index=False)
