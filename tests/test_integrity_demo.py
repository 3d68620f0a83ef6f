"""The demo's fabricated units (hgk_lib.demo.integrity): recorded in the truth, reproducible by seed, found by the
screen, and invisible to the 95 rules (engine findings still equal the planted rule defects)."""

from __future__ import annotations

import pandas as pd
import pytest

from hgk_lib.demo import build_demo
from hgk_lib.demo import reconcile as R
from hgk_lib.demo.generate import write_demo
from hgk_lib.integrity import screen_integrity
from hgk_lib.params import load_params

PARAMS = load_params(year=2019)
KW = dict(seed=5, counties=["441881"], households=2600, fmt="csv")


@pytest.fixture(scope="module")
def demo():
    return build_demo(**KW)


def test_fabrications_recorded_and_apart_from_rule_defects(demo):
    fab = demo["integrity"]
    assert fab["indicator"].nunique() >= 5 and set(fab["unit_type"]) == {"村", "帮扶责任人"}
    assert not set(fab["hh_id"]) & set(demo["planted"]["hh_id"])
    hh = demo["tables"]["household"]
    ex = hh[hh["exit_status"].isin(["已脱贫（享受政策）", "已脱贫（不再享受政策）"])]
    # most units stay honest
    assert fab.groupby(["indicator", "township", "village", "helper_name"]).ngroups < 0.2 * ex["village"].nunique()


def test_same_seed_same_fabrications(demo):
    again = build_demo(**KW)
    pd.testing.assert_frame_equal(demo["integrity"], again["integrity"])
    for name in ("household", "income", "measure"):
        pd.testing.assert_frame_equal(demo["tables"][name], again["tables"][name])


def test_screen_finds_planted_village_units(demo):
    t = demo["tables"]
    hh = t["household"].assign(county=t["household"]["_county"])
    units, flags = screen_integrity(
        hh, None, t["income"], t["measure"], demo["households"][["hh_id", "income_pc"]], PARAMS, seed=KW["seed"]
    )
    fab = demo["integrity"]
    vill = fab[fab["unit_type"] == "村"].drop_duplicates(["indicator", "township", "village"])
    found = vill.merge(flags[flags["unit_type"] == "村"], on=["indicator", "township", "village"], how="inner")
    assert len(found) >= len(vill) - 1
    # honest villages (no fabricated household) are rarely flagged
    bad = set(
        zip(hh.loc[hh["hh_id"].isin(fab["hh_id"]), "township"], hh.loc[hh["hh_id"].isin(fab["hh_id"]), "village"])
    )
    fv = flags[flags["unit_type"] == "村"]
    honest_flags = [k for k in zip(fv["township"], fv["village"]) if k not in bad]
    assert len(honest_flags) <= 1


@pytest.mark.slow
def test_rules_still_find_exactly_the_planted_defects(demo, tmp_path):
    out = tmp_path / "2019"
    write_demo(demo, out)
    res = R.compare(demo["planted"], R.engine_findings(out))
    assert len(res["missed"]) == 0 and len(res["unexpected"]) == 0, R.summary(res)
