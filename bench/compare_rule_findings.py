"""Do two versions of the rule code give the same findings? Run the 95 rules on the committed fixture export and on
a generated demo export, save every county's findings table and per-rule summary (``--save DIR``), and later compare
a new run with the saved one cell for cell (``--against DIR``, ``pandas.testing.assert_frame_equal``: values,
dtypes, column order and row order; the summary's timing column ``seconds`` is left out).

Usage::

    python bench/compare_rule_findings.py --save /tmp/rules_before          # on the old code
    python bench/compare_rule_findings.py --against /tmp/rules_before       # on the new code

The demo export (``--households``, default 3,000; seed 2019) is generated once into ``--demo DIR`` (default: a
folder next to the saved results) and reused by the second run, so both runs read the same files.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hgk_lib.io import load_county  # noqa: E402
from hgk_lib.params import load_params  # noqa: E402
from hgk_lib.rules.engine import make_context, run_rules  # noqa: E402

YEAR = 2019
FIXTURE = ROOT / "tests" / "fixtures" / "export" / str(YEAR)


def counties_of(export: Path) -> list[Path]:
    return sorted(p for p in export.iterdir() if p.is_dir() and p.name[:6].isdigit())


def run_export(export: Path, params: dict) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """``{county: (findings, summary without seconds)}`` for every county of ``export``."""
    data = {c.name: load_county(c, year=YEAR) for c in counties_of(export)}
    members = {name: d.tables["member"] for name, d in data.items() if "member" in d.tables}
    out = {}
    for name, d in data.items():
        others = {k: v for k, v in members.items() if k != name}
        ctx = make_context(d.tables, params, name, others=others, quarantined_hh=d.quarantined_hh)
        rr = run_rules(ctx)
        out[name] = (rr.findings, rr.summary.drop(columns=["seconds"]))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--save", type=Path, help="save this run's findings into DIR")
    g.add_argument("--against", type=Path, help="compare this run with the one saved in DIR")
    ap.add_argument("--demo", type=Path, help="demo export folder (generated when absent)")
    ap.add_argument("--households", type=int, default=3000)
    a = ap.parse_args(argv)
    store = a.save or a.against
    demo = a.demo or store.parent / f"{store.name}_demo_{a.households}"
    if not demo.is_dir():
        from hgk_lib.demo.generate import generate_demo_export

        generate_demo_export(demo / str(YEAR), seed=2019, households=a.households)
    params = load_params(ROOT / "params" / f"{YEAR}.yaml")
    t0 = time.perf_counter()
    runs = {"fixture": run_export(FIXTURE, params), "demo": run_export(demo / str(YEAR), params)}
    print(f"rules run on {sum(len(r) for r in runs.values())} counties in {time.perf_counter() - t0:.1f} s")
    if a.save:
        store.mkdir(parents=True, exist_ok=True)
        with open(store / "findings.pkl", "wb") as fh:
            pickle.dump(runs, fh)
        for src, r in runs.items():
            n = sum(len(f) for f, _ in r.values())
            print(f"saved {src}: {len(r)} counties, {n} findings")
        return 0
    with open(store / "findings.pkl", "rb") as fh:
        before = pickle.load(fh)
    bad = 0
    for src, r in runs.items():
        if sorted(r) != sorted(before[src]):
            print(f"{src}: counties differ: {sorted(r)} vs {sorted(before[src])}")
            bad += 1
            continue
        n = 0
        for county, (f, s) in r.items():
            f0, s0 = before[src][county]
            for what, new, old in (("findings", f, f0), ("summary", s, s0)):
                try:
                    assert_frame_equal(new, old, check_exact=True)
                except AssertionError as exc:
                    bad += 1
                    print(f"DIFFERENT {src} {county} {what}: {exc}")
            n += len(f)
        print(f"{src}: {len(r)} counties, {n} findings, {sum(len(s) for _, s in r.values())} summary rows compared")
    print("IDENTICAL" if not bad else f"{bad} tables differ")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
