"""Benchmark: `hgk collect` reading back 8 counties' filled ledgers and visit plans (issue 12 target: ≤ 15 s).

    .venv/bin/python bench/bench_collect.py [--items 3000] [--counties 8]

Per county: a record of ``--items`` rule items over items/2 households, a filled ledger (every item with a status
and a note) and a filled visit plan (every household visited with an income, every item with a 核实结果). Prints the
time of the first read-back and of the second (idempotent, nothing changes).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from campaign_fixtures import CHECK_HEAD, LEDGER_HEAD, VISIT_HEAD, info_rows, write_book  # noqa: E402

from hgk_lib.campaign.collect import collect  # noqa: E402
from hgk_lib.campaign.record import Run, open_record  # noqa: E402
from hgk_lib.campaign.states import reconcile_audit  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=3000)
    ap.add_argument("--counties", type=int, default=8)
    a = ap.parse_args()
    out = Path(tempfile.mkdtemp()) / "2019"
    con = open_record(out / "campaign.sqlite")
    statuses = ["整改中", "已整改", "未整改"]
    results = ["属实", "不属实", "现场已整改", "无法核实"]
    for c in range(a.counties):
        county, name = f"44180{c}_县{c}", f"县{c}"
        ids = [f"R10-{c:04x}{i:012x}" for i in range(a.items)]
        hh = [f"H{c}-{i // 2}" for i in range(a.items)]
        reconcile_audit(
            con,
            county,
            pd.DataFrame({"item_id": ids, "hh_id": hh, "source": "规则", "rule_id": "R10", "deadline": "2019-10-30"}),
            Run("audit", input_sha256=f"s{c}"),
            year=2019,
        )
        write_book(
            out / county / f"回头看台账_{name}_2019.xlsx",
            {
                "说明": info_rows(county, name),
                "问题清单": [LEDGER_HEAD]
                + [
                    ["R10", h, "问题", "2019-10-30", statuses[i % 3], f"说明{i}", x]
                    for i, (x, h) in enumerate(zip(ids, hh))
                ],
            },
        )
        hhs = sorted(set(hh))
        write_book(
            out / county / f"入户核查计划_{name}_2019.xlsx",
            {
                "说明": info_rows(county, name),
                "走访清单": [VISIT_HEAD]
                + [
                    [h, "镇", "村", "户主", 2, "已走访", 9000 + i, "张三", "2019-10-03", None]
                    for i, h in enumerate(hhs)
                ],
                "核查事项": [CHECK_HEAD]
                + [
                    [x, h, None, "规则", "R10", "问题", "扶贫办", results[i % 4], "说明"]
                    for i, (x, h) in enumerate(zip(ids, hh))
                ],
            },
        )
    for label in ("first read-back", "second read-back (idempotent)"):
        t, c = time.perf_counter(), time.process_time()
        res = collect(con, out, 2019, as_of="2019-10-15")
        s, cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"{label:<32} {s:6.2f} s wall {cpu:6.2f} s CPU  counties {a.counties}, items {a.counties * a.items:,}, "
            f"changes {res.changed:,}, issues {len(res.issues)}"
        )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    con.close()


if __name__ == "__main__":
    main()
