"""Spot-check feedback (campaign.md §3): 市抽查 items, 整改不实, accuracy, sheet 市抽查整改意见 and its read-back."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.campaign_tables import COUNTY, IDS, YEAR, make_record, write_book, info_rows
from hgk_lib.campaign.collect import collect
from hgk_lib.campaign.record import events_frame, items_frame
from hgk_lib.campaign.spotcheck import SPOT_COLUMNS, department_of, record_spot_check, spot_check_sheet
from hgk_lib.campaign.states import CLAIMED, NOT_GENUINE, OPEN, WORKING
from hgk_lib.errors import HgkError

PARAMS = {"deadlines": {"spot_check_days": 20}}


@pytest.fixture
def env(tmp_path):
    out = tmp_path / "outputs" / str(YEAR)
    con = make_record(out / "campaign.sqlite")
    yield con, out
    con.close()


def confirmed():
    return pd.DataFrame(
        {
            "county": COUNTY,
            "hh_id": ["H1", "H2", "H9", "H3"],
            "conclusion": ["信息不准确", "两不愁三保障未解决", "收入不达标", "属实"],
            "verified": [None, None, 7000.0, None],
            "needs_note": [None, "住房为危房未改造", None, None],
        }
    )


def test_department_by_conclusion():
    d = department_of(
        pd.Series(["收入不达标", "两不愁三保障未解决", "两不愁三保障未解决", "两不愁三保障未解决", "信息不准确"]),
        pd.Series([None, "孩子辍学在家", "饮水不安全", "说不清", None]),
    )
    assert d.tolist() == ["扶贫办", "教育局", "水务局", "扶贫办", "扶贫办"]


def test_record_spot_check_items_deadline_and_not_genuine(env):
    con, _ = env
    con.execute("UPDATE items SET state = '已整改', claimed_closed = 1 WHERE item_id = ?", (IDS[0],))  # H1, 规则
    r = record_spot_check(con, confirmed(), "2019-10-10", PARAMS, year=YEAR)
    assert r["new"] == 3 and r["not_genuine"] == 1
    it = items_frame(con).set_index("item_id")
    spot = it[it["source"] == "市抽查"]
    assert sorted(spot["hh_id"]) == ["H1", "H2", "H9"]
    assert set(spot["deadline"]) == {"2019-10-30"} and set(spot["state"]) == {OPEN}
    assert spot.set_index("hh_id").loc["H2", "department"] == "住房城乡建设局"
    assert it.loc[IDS[0], "state"] == NOT_GENUINE
    assert events_frame(con, IDS[0]).iloc[-1]["origin"] == "spot check"
    acc = r["accuracy"].set_index("county").loc[COUNTY]
    # H1 claimed fixed; H2 has only rule items (no 三保障 item raised); H9 unknown to the county
    assert (acc["confirmed"], acc["claimed_or_closed"], acc["not_raised"]) == (3, 1, 2)


def test_record_spot_check_twice_changes_nothing(env):
    con, _ = env
    record_spot_check(con, confirmed(), "2019-10-10", PARAMS, year=YEAR)
    n = (len(items_frame(con)), len(events_frame(con)))
    r = record_spot_check(con, confirmed(), "2019-10-10", PARAMS, year=YEAR)
    assert r["run_id"] is None and (len(items_frame(con)), len(events_frame(con))) == n


def test_missing_parameter_is_a_chinese_error(env):
    con, _ = env
    with pytest.raises(HgkError, match="spot_check_days"):
        record_spot_check(con, confirmed(), "2019-10-10", {}, year=YEAR)


def test_sheet_and_its_read_back(env):
    con, out = env
    record_spot_check(con, confirmed(), "2019-10-10", PARAMS, year=YEAR)
    hh = pd.DataFrame({"hh_id": ["H1", "H2"], "township": "某镇", "village": "某村", "head_name": ["甲", "乙"]})
    sheet = spot_check_sheet(con, COUNTY, hh)
    assert list(sheet.columns[: len(SPOT_COLUMNS)]) == SPOT_COLUMNS and len(sheet) == 3
    row = sheet.set_index("户编号").loc["H9"]
    assert row["核实人均可支配收入"] == 7000.0 and row["整改时限"] == "2019-10-30" and row["整改状态"] == OPEN
    assert sheet.set_index("户编号").loc["H2", "三保障问题说明"] == "住房为危房未改造"
    # the county fills 整改状态 / 整改说明; 事项编号 column deleted on one row: recomputed from 户编号 + 核查结论
    rows = [list(sheet.columns)] + sheet.astype(object).where(sheet.notna(), None).values.tolist()
    st, note, iid = rows[0].index("整改状态"), rows[0].index("整改说明"), rows[0].index("事项编号")
    rows[1][st], rows[1][note] = "已整改", "已落实"
    rows[2][st], rows[2][iid] = "整改中", None
    write_book(
        out / COUNTY / f"回头看台账_英德市_{YEAR}.xlsx",
        {"说明": info_rows(), "问题清单": [["问题编号", "整改状态", "整改说明"]], "市抽查整改意见": rows},
    )
    res = collect(con, out, YEAR, as_of="2019-10-15")
    assert res.issues.empty, res.issues
    s = items_frame(con).set_index("item_id")["state"]
    assert s[sheet.loc[0, "事项编号"]] == CLAIMED and s[sheet.loc[1, "事项编号"]] == WORKING
