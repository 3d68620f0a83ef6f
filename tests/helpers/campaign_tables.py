"""Small hand-written campaign fixtures: a record with one county's items, and filled ledgers / visit plans."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from hgk_lib.campaign.record import Run, open_record
from hgk_lib.campaign.collect import collect
from hgk_lib.campaign.spotcheck import record_spot_check
from hgk_lib.campaign.states import reconcile_audit

YEAR = 2019
COUNTY = "441881_英德市"
NAME = "英德市"
IDS = [f"R10-{i:016x}" for i in range(1, 7)]  # six rule items
HHS = ["H1", "H1", "H2", "H2", "H3", "H3"]


def found_items(ids=IDS, hhs=HHS) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": ids,
            "hh_id": hhs,
            "person_id": None,
            "source": "规则",
            "rule_id": "R10",
            "description": "人均收入与收入项合计不符",
            "department": "扶贫办",
            "deadline": "2019-10-30",
        }
    )


def make_record(path, county=COUNTY):
    con = open_record(path)
    reconcile_audit(
        con,
        county,
        found_items(),
        Run("audit", input_sha256="sha-a", export_time="2019-09-20", as_of="2019-09-30"),
        year=YEAR,
    )
    return con


def info_rows(county=COUNTY, name=NAME, year=YEAR):
    return [
        ["类别", "项目", "内容", "备注"],
        ["基本信息", "县（市、区）", name, county],
        ["基本信息", "核查年度", year, None],
    ]


def write_book(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


LEDGER_HEAD = ["规则编号", "户编号", "问题描述", "整改时限", "整改状态", "整改说明", "问题编号"]


def ledger_rows(entries: list[tuple]) -> list[list]:
    """entries: (item_id, status, note)"""
    rows = [LEDGER_HEAD]
    for item, status, note in entries:
        rows.append(["R10", HHS[IDS.index(item)] if item in IDS else "H9", "问题", "2019-10-30", status, note, item])
    return rows


def write_ledger(folder: Path, entries, *, county=COUNTY, name=NAME, year=YEAR, info=True, extra=None) -> Path:
    sheets = {"说明": info_rows(county, name, year)} if info else {}
    sheets["问题清单"] = ledger_rows(entries)
    if extra:
        sheets.update(extra)
    return write_book(folder / county / f"回头看台账_{name}_{year}.xlsx", sheets)


VISIT_HEAD = [
    "户编号",
    "乡（镇）",
    "行政村",
    "户主姓名",
    "事项数",
    "走访结论",
    "核实人均可支配收入",
    "走访人",
    "走访日期",
    "备注",
]
CHECK_HEAD = ["事项编号", "户编号", "人编号", "来源", "规则编号", "内容", "责任部门", "核实结果", "说明"]


def write_plan(folder: Path, visits: list[tuple], checks: list[tuple], *, county=COUNTY, name=NAME, year=YEAR) -> Path:
    """visits: (hh, 走访结论, income, visitor, date); checks: (item_id, hh, 核实结果, 说明)."""
    vr = [VISIT_HEAD] + [[h, "某镇", "某村", "户主", 2, c, inc, who, d, None] for h, c, inc, who, d in visits]
    cr = [CHECK_HEAD] + [[i, h, None, "规则", "R10", "问题", "扶贫办", r, n] for i, h, r, n in checks]
    return write_book(
        folder / county / f"入户核查计划_{name}_{year}.xlsx",
        {"说明": info_rows(county, name, year), "走访清单": vr, "核查事项": cr},
    )


def loop(out):
    """audit → collect → re-audit of a newer export → city spot check, on the hand-made record (progress and
    report tests)."""
    con = make_record(out / "campaign.sqlite")  # 6 items 未整改
    write_ledger(out, [(IDS[0], "已整改", "改了"), (IDS[1], "已整改", "改了"), (IDS[2], "整改中", None)])
    collect(con, out, YEAR, as_of="2019-10-05")
    # newer export: IDS[0] really fixed (gone), IDS[1] still there (整改不实), IDS[5] gone without a claim
    reconcile_audit(
        con,
        COUNTY,
        found_items(IDS[1:5], ["H1", "H2", "H2", "H3"]),
        Run("audit", input_sha256="sha-b", export_time="2019-10-20"),
        year=YEAR,
    )
    record_spot_check(
        con,
        pd.DataFrame(
            {
                "county": COUNTY,
                "hh_id": ["H1", "H7"],
                "conclusion": ["信息不准确", "收入不达标"],
                "verified": [None, 6000.0],
            }
        ),
        "2019-10-10",
        {"deadlines": {"spot_check_days": 20}},
        year=YEAR,
    )
    return con
