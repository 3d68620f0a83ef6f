"""Progress queries (campaign.md §4) on a small hand-made campaign: audit → collect → re-audit → spot check."""

from __future__ import annotations

import pytest

from helpers.campaign_tables import COUNTY, IDS, YEAR, found_items, loop, make_record, write_ledger  # noqa: F401
from hgk_lib.campaign.progress import claims_vs_city, open_curve, stage_timeline, state_table
from hgk_lib.params import load_params


@pytest.fixture
def con(tmp_path):
    c = loop(tmp_path / "2019")
    yield c
    c.close()


def test_state_table(con):
    t = state_table(con, "2019-10-31").set_index(["县", "责任部门"])
    row = t.loc[(COUNTY, "扶贫办")]
    # rule items: 2 已销号, 1 整改不实, 1 整改中, 2 未整改 (IDS[3], IDS[4]); spot items: 2 未整改 (due 10-30)
    assert (row["已销号"], row["整改不实"], row["整改中"], row["未整改"], row["合计"]) == (2, 1, 1, 4, 8)
    assert row["逾期"] == 6 and row["销号率"] == pytest.approx(0.25)
    assert state_table(con, "2019-10-30").set_index(["县", "责任部门"]).loc[(COUNTY, "扶贫办"), "逾期"] == 0
    assert t.loc[("全市", "全部"), "合计"] == 8


def test_open_curve(con):
    c = open_curve(con)
    assert c["类型"].tolist() == ["核查", "读回", "核查", "抽查"]
    assert c["未销号事项"].tolist() == [6, 6, 4, 6]
    assert c["已销号事项"].tolist() == [0, 0, 2, 2]
    assert c["整改不实"].tolist() == [0, 0, 1, 1]


def test_claims_vs_city(con):
    r = claims_vs_city(con).set_index("县").loc[COUNTY]
    assert (r["县报已整改事项"], r["其中整改不实"]) == (2, 1)
    # H1 has claimed rule items (IDS[0] 已销号, IDS[1] 整改不实); H7 was never raised
    assert (r["市抽查发现问题户"], r["其中县已报整改或已销号"], r["其中县未发现"]) == (2, 1, 1)


def test_stage_timeline(con):
    t = stage_timeline(con, load_params(year=2019), "2019-10-05").set_index("阶段")
    assert t.loc["动员部署", "截止"] == "2019-09-17" and t.loc["动员部署", "状态"] == "已结束"
    assert t.loc["抽查", ["开始", "截止", "状态", "剩余天数"]].tolist() == ["2019-10-01", "2019-10-10", "进行中", 5]
    assert t.loc["报告", "状态"] == "未开始" and t.loc["报告", "剩余天数"] == 25
    assert t.loc["组织实施", "县数"] == 1
