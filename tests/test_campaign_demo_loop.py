"""The demo of the campaign loop (campaign.md §6) on the fixture city: the later export fixes part of the planted
problems; after the counties' simulated claims are read back and the later export is audited, every false claim is
整改不实 and every truthful one 已销号 (the demo truth says which is which)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers.paths import FIXTURE, PARAMS, TRUTH, YEAR, fixture_counties

from hgk_lib.campaign import wire
from hgk_lib.campaign.collect import collect
from hgk_lib.campaign.record import items_frame, open_record, record_path
from hgk_lib.demo import campaign as DC
from hgk_lib.demo.fixture import FIXTURE_COUNTIES, FIXTURE_HOUSEHOLDS, FIXTURE_SEED
from hgk_lib.orchestrate.county import process_county, write_county_outputs
from hgk_lib.params import load_params


def audit(export, out, as_of):
    for c in fixture_counties():
        write_county_outputs(process_county(export, c, YEAR, PARAMS, output_root=out), out)
    return wire.reconcile_saved(out, YEAR, fixture_counties(), export, load_params(PARAMS), as_of=as_of)


@pytest.fixture(scope="module")
def demo_loop(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo_loop")
    out, later = base / "out", base / "later" / str(YEAR)
    info, fixed = DC.write_later_export(
        later,
        seed=FIXTURE_SEED,
        counties=FIXTURE_COUNTIES,
        households=FIXTURE_HOUSEHOLDS,
        k=1,
        plant_share=0.22,
        integrity=False,
    )
    audit(FIXTURE, out, "2019-09-25")
    truth = pd.read_csv(TRUTH / "households.csv", dtype={"hh_id": str})
    planted = pd.read_csv(TRUTH / "planted.csv", dtype={"hh_id": str}).dropna(subset=["hh_id"])
    rng = np.random.default_rng(1)
    claims = pd.concat(
        [
            DC.fill_county(out / str(YEAR) / c, YEAR, fixed, truth, planted, "2019-10-12", rng)
            for c in fixture_counties()
        ],
        ignore_index=True,
    )
    con = open_record(record_path(out, YEAR))
    try:
        read = collect(con, out / str(YEAR), YEAR, as_of="2019-10-20")
    finally:
        con.close()
    res = audit(later, out, "2019-10-25")
    con = open_record(record_path(out, YEAR))
    try:
        items = items_frame(con).set_index("item_id")
    finally:
        con.close()
    return dict(info=info, fixed=fixed, claims=claims, read=read, res=res, items=items, later=later)


def test_the_later_export_is_newer_and_fixes_part_of_the_planted_households(demo_loop):
    assert demo_loop["fixed"] and (demo_loop["later"].parent / f"{YEAR}_truth" / "fixed_households.csv").exists()
    t = wire.export_time_of(demo_loop["later"] / fixture_counties()[0])
    assert t.startswith("2019-10-25") or t > "2019-10-08"
    assert all(not r.get("skipped") and not r.get("error") for r in demo_loop["res"].values())


def test_every_false_claim_is_not_genuine_and_every_real_fix_closed(demo_loop):
    c = demo_loop["claims"]
    c = c.assign(state=c["item_id"].map(demo_loop["items"]["state"]))
    assert demo_loop["read"].issues.empty
    true_fix = c[c["truthful"]]
    false_claim = c[~c["truthful"] & (c["status"] == "已整改")]
    assert len(true_fix) > 0 and len(false_claim) > 0
    assert (true_fix["state"] == "已销号").all(), true_fix[true_fix["state"] != "已销号"].to_string()
    assert (false_claim["state"] == "整改不实").all(), false_claim[false_claim["state"] != "整改不实"].to_string()
    working = c[c["status"] == "整改中"]
    assert working["state"].isin(["整改中", "已销号"]).all()


def test_visits_close_items_found_untrue(demo_loop):
    counts = demo_loop["read"].counts
    assert sum(v["incomes"] for v in counts.values()) > 0  # verified incomes read back
    assert sum(v["visit_entries"] for v in counts.values()) > 0  # 核查事项 不属实
