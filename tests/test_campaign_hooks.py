"""Wiring entry points: items from a county's result tables, reconcile through the record file, report files."""

from __future__ import annotations

import pandas as pd

from hgk_lib.campaign.hooks import audit_items, reconcile_county, record_evaluation, write_report_files
from hgk_lib.campaign.record import items_frame, open_record, record_path
from hgk_lib.params import load_params

C = "441881_英德市"


def tables():
    findings = pd.DataFrame(
        {
            "rule_id": ["R10", "R52"],
            "level": ["错误", "政策"],
            "department": ["扶贫办", "教育局"],
            "hh_id": ["H1", "H2"],
            "person_id": [None, "P2"],
            "columns": ["人均纯收入", "在校生状况"],
            "values": ["8000", "失学"],
            "message": ["收入不符", "辍学"],
        }
    )
    needs = pd.DataFrame(
        {
            "hh_id": ["H2"],
            "person_id": ["P2"],
            "problem_type": ["义务教育失学辍学"],
            "department": ["教育局"],
            "evidence": ["学籍无在读"],
            "deadline": ["2019-10-30"],
        }
    )
    verdicts = pd.DataFrame(
        {
            "hh_id": ["H1", "H2", "H3"],
            "verdict": ["保持脱贫", "保持脱贫（限期整改）", "返贫"],
            "reasons": ["", "有三保障问题", "收入低于返贫线"],
        }
    )
    dynamic = pd.DataFrame({"hh_id": ["H4"], "person_id": ["P9"], "kind": ["自然减少"], "basis": ["公安死亡"]})
    classes = pd.DataFrame(
        {
            "hh_id": ["H1", "H5"],
            "labour_class": ["有劳动能力"] * 2,
            "recommended": ["产业、就业"] * 2,
            "match": [True, False],
        }
    )
    return dict(findings=findings, needs=needs, verdicts=verdicts, dynamic=dynamic, classes=classes)


def test_audit_items_sources_and_deadlines():
    it = audit_items(C, 2019, params=load_params(year=2019), **tables())
    assert it.groupby("source").size().to_dict() == {"规则": 2, "三保障": 1, "收入": 2, "动态管理": 1, "分类施策": 1}
    assert it["item_id"].is_unique and (it["county"] == C).all()
    r = it[it["source"] == "规则"].set_index("rule_id")
    assert r.loc["R10", "deadline"].strftime("%Y-%m-%d") == "2019-10-30"  # 错误: reference date + 30 days
    assert str(r.loc["R52", "deadline"])[:10] == "2019-10-30"  # from the matching 三保障 problem
    assert r.loc["R10", "item_id"].startswith("R10-")


def test_items_carry_their_own_ids_when_given():
    t = tables()
    t["findings"]["item_id"] = ["R10-x", "R52-y"]
    it = audit_items(C, 2019, params=load_params(year=2019), **t)
    assert set(it.loc[it["source"] == "规则", "item_id"]) == {"R10-x", "R52-y"}


def test_reconcile_and_report_files(tmp_path):
    it = audit_items(C, 2019, params=load_params(year=2019), **tables())
    r = reconcile_county(tmp_path, 2019, C, it, input_sha256="a", export_time="2019-09-20", as_of="2019-09-30")
    assert r["new"] == len(it)
    again = reconcile_county(tmp_path, 2019, C, it, input_sha256="a", export_time="2019-09-20")
    assert again["skipped"]
    clean = pd.DataFrame(
        {"sheet": ["英德市"], "hh_id": ["H3"], "conclusion": ["收入不达标"], "verified": [7000.0], "needs_note": [None]}
    )
    e = record_evaluation(
        tmp_path, 2019, clean, "2019-10-10", {"deadlines": {"spot_check_days": 20}}, county_of_sheet={"英德市": C}
    )
    assert e["new"] == 1
    files = write_report_files(tmp_path, 2019, "2019-10-31", load_params(year=2019), city="清远市")
    assert files["report"].exists() and files["corrections"].exists()
    con = open_record(record_path(tmp_path, 2019))
    assert len(items_frame(con)) == len(it) + 1
    con.close()
