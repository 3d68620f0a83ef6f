"""hgk collect: read-back of filled ledgers and visit plans into the campaign record (campaign.md §2)."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.campaign_tables import COUNTY, IDS, YEAR, found_items, make_record, write_book, write_ledger, write_plan
from hgk_lib.campaign.collect import REFUSED, collect, verified_incomes
from hgk_lib.campaign.record import Run, events_frame, items_frame, runs_frame
from hgk_lib.campaign.states import CLAIMED, CLOSED, NOT_GENUINE, OPEN, WORKING, reconcile_audit

AS_OF = "2019-10-15"


@pytest.fixture
def env(tmp_path):
    out = tmp_path / "outputs" / str(YEAR)
    con = make_record(out / "campaign.sqlite")
    yield con, out
    con.close()


def states(con):
    return items_frame(con).set_index("item_id")["state"].to_dict()


def snapshot(con):
    return [
        pd.read_sql_query(f"SELECT * FROM {t}", con)
        for t in ("runs", "items", "events", "verified_incomes", "ledger_claims", "run_counts")
    ]


def test_ledger_read_back_moves_states_with_origin(env):
    con, out = env
    write_ledger(out, [(IDS[0], "整改中", "正在核实"), (IDS[1], "已整改", "已更正收入"), (IDS[2], "未整改", None)])
    res = collect(con, out, YEAR, as_of=AS_OF)
    assert res.issues.empty
    s = states(con)
    assert (s[IDS[0]], s[IDS[1]], s[IDS[2]]) == (WORKING, CLAIMED, OPEN)
    ev = events_frame(con, IDS[1]).iloc[-1]
    assert ev["origin"] == f"回头看台账_英德市_{YEAR}.xlsx / 问题清单 / 第3行"
    assert "已更正收入" in ev["note"]
    assert items_frame(con).set_index("item_id").loc[IDS[1], "note"] == "已更正收入"
    assert runs_frame(con)["kind"].tolist() == ["audit", "collect"]


def test_reading_the_same_files_twice_changes_nothing(env):
    con, out = env
    write_ledger(out, [(IDS[0], "已整改", "改了"), (IDS[1], "整改中", None)])
    write_plan(
        out, [("H2", "已走访", 9000.5, "张三", "2019-10-03")], [(IDS[2], "H2", "不属实", "户已搬迁核实无此问题")]
    )
    first = collect(con, out, YEAR, as_of=AS_OF)
    assert first.changed > 0
    before = snapshot(con)
    again = collect(con, out, YEAR, as_of=AS_OF)
    assert again.changed == 0 and not again.run_ids
    for b, a in zip(before, snapshot(con)):
        pd.testing.assert_frame_equal(b, a)


def test_old_ledger_reread_after_reaudit_does_not_undo_not_genuine(env):
    con, out = env
    write_ledger(out, [(IDS[0], "已整改", "改了")])
    collect(con, out, YEAR, as_of=AS_OF)
    reconcile_audit(con, COUNTY, found_items(), Run("audit", input_sha256="sha-b", export_time="2019-10-20"), year=YEAR)
    assert states(con)[IDS[0]] == NOT_GENUINE
    collect(con, out, YEAR, as_of=AS_OF)  # the same filled ledger again
    assert states(con)[IDS[0]] == NOT_GENUINE
    write_ledger(out, [(IDS[0], "已整改", "这次真的改了")])  # a new claim is a move again
    collect(con, out, YEAR, as_of=AS_OF)
    assert states(con)[IDS[0]] == CLAIMED


def test_visit_plan_results_and_verified_income(env):
    con, out = env
    write_plan(
        out,
        [
            ("H1", "已走访", "9,120.50", "李四", "2019年10月3日"),
            ("H2", "无法入户", None, "李四", "2019/10/04"),
            ("H3", None, None, None, None),
        ],
        [
            (IDS[0], "H1", "不属实", "核实无此问题"),
            (IDS[1], "H1", "现场已整改", "当场更正"),
            (IDS[2], "H2", "属实", None),
            (IDS[3], "H2", "无法核实", None),
        ],
    )
    res = collect(con, out, YEAR, as_of=AS_OF)
    assert res.issues.empty, res.issues
    s = states(con)
    assert [s[i] for i in IDS[:4]] == [CLOSED, CLAIMED, OPEN, OPEN]
    v = verified_incomes(con, COUNTY)
    assert v[["hh_id", "income_pc"]].values.tolist() == [["H1", 9120.5]]
    assert v.iloc[0]["visit_date"] == "2019-10-03" and "走访清单 / 第2行" in v.iloc[0]["origin"]


def test_no_visit_entries_for_closed_item(env):
    con, out = env
    write_plan(out, [], [(IDS[0], "H1", "不属实", "无此问题")])
    collect(con, out, YEAR, as_of=AS_OF)
    write_ledger(out, [(IDS[0], "整改中", None)])
    res = collect(con, out, YEAR, as_of=AS_OF)
    assert states(con)[IDS[0]] == CLOSED
    assert res.issues["问题"].str.contains("已销号").any()


def test_only_named_county_is_read(env, tmp_path):
    con, out = env
    write_ledger(out, [(IDS[0], "整改中", None)])
    res = collect(con, out, YEAR, counties=["other"], as_of=AS_OF)
    assert states(con)[IDS[0]] == OPEN and not res.counts


# --- the malformed-ledger corpus: each case reported, none crashes, nothing else lost ---------------------------
def _valid_rest():
    return [(IDS[4], "整改中", "在办"), (IDS[5], "已整改", "已改")]


def _check_rest(con):
    s = states(con)
    assert s[IDS[4]] == WORKING and s[IDS[5]] == CLAIMED, "the valid rows of the file must still be applied"


def case_unknown_status(out):
    write_ledger(out, [(IDS[0], "已完成", "x")] + _valid_rest())
    return ("问题清单", 2, "整改状态", "下拉选项")


def case_changed_id(out):
    write_ledger(out, [(IDS[0][:-1] + "f", "已整改", "x")] + _valid_rest())
    return ("问题清单", 2, "问题编号", "不存在")


def case_formula_in_note(out):
    write_ledger(out, [(IDS[0], "已整改", '=HYPERLINK("http://x","改")')] + _valid_rest())
    return ("问题清单", 2, "整改说明", "公式")


def case_blank_status(out):
    write_ledger(out, [(IDS[0], None, "说明")] + _valid_rest())
    return ("问题清单", 2, "整改状态", "为空")


def case_duplicated_row(out):
    write_ledger(out, [(IDS[0], "已整改", "a"), (IDS[0], "整改中", "b")] + _valid_rest())
    return ("问题清单", 3, "问题编号", "重复")


def case_extra_columns_and_resorted(out):
    p = write_ledger(out, list(reversed(_valid_rest())) + [(IDS[0], "已完成", None)])
    from openpyxl import load_workbook

    wb = load_workbook(p)
    ws = wb["问题清单"]
    ws.insert_cols(1)
    ws["A1"] = "县里加的列"
    ws["A2"] = "备注"
    ws.cell(row=1, column=ws.max_column + 1, value="另一列")
    wb.save(p)
    return ("问题清单", 4, "整改状态", "下拉选项")


def case_title_rows_above_header(out):
    p = write_ledger(out, [(IDS[0], "完成了", None)] + _valid_rest())
    from openpyxl import load_workbook

    wb = load_workbook(p)
    wb["问题清单"].insert_rows(1, 2)
    wb["问题清单"]["A1"] = "英德市回头看问题整改台账"
    wb.save(p)
    return ("问题清单", 4, "整改状态", "下拉选项")


def case_deleted_rows(out):
    write_ledger(out, [(IDS[0], "已整改 ", "x")] + _valid_rest())  # rows of IDS[1..3] deleted; trailing space ok
    return None


def case_wrong_date_in_plan(out):
    write_ledger(out, _valid_rest())
    write_plan(out, [("H1", "已走访", 9000, "张三", "10月3日"), ("H2", "已走访", 9500, "张三", "2019-10-05")], [])
    return ("走访清单", 2, "走访日期", "日期格式")


def case_future_date(out):
    write_ledger(out, _valid_rest())
    write_plan(out, [("H1", "已走访", 9000, "张三", "2019-12-01"), ("H2", "已走访", 9500, "张三", "2019-10-05")], [])
    return ("走访清单", 2, "走访日期", "晚于今天")


def case_text_income(out):
    write_ledger(out, _valid_rest())
    write_plan(out, [("H1", "已走访", "九千", "张三", "2019-10-03"), ("H2", "已走访", 9500, "张三", "2019-10-05")], [])
    return ("走访清单", 2, "核实人均可支配收入", "金额")


def case_negative_income(out):
    write_ledger(out, _valid_rest())
    write_plan(out, [("H1", "已走访", -5, "张三", "2019-10-03"), ("H2", "已走访", 9500, "张三", "2019-10-05")], [])
    return ("走访清单", 2, "核实人均可支配收入", "金额")


def case_untrue_without_note(out):
    write_ledger(out, _valid_rest())
    write_plan(out, [("H2", "已走访", 9500, "张三", "2019-10-05")], [(IDS[0], "H1", "不属实", None)])
    return ("核查事项", 2, "说明", "必须填写说明")


def case_check_row_of_other_household(out):
    write_ledger(out, _valid_rest())
    write_plan(out, [("H2", "已走访", 9500, "张三", "2019-10-05")], [(IDS[0], "H3", "不属实", "无")])
    return ("核查事项", 2, "户编号", "不一致")


def case_unknown_result(out):
    write_ledger(out, _valid_rest())
    write_plan(out, [("H2", "已走访", 9500, "张三", "2019-10-05")], [(IDS[0], "H1", "基本属实", None)])
    return ("核查事项", 2, "核实结果", "下拉选项")


def case_visit_without_conclusion(out):
    write_ledger(out, _valid_rest())
    write_plan(out, [("H1", None, 9000, "张三", "2019-10-03"), ("H2", "已走访", 9500, "张三", "2019-10-05")], [])
    return ("走访清单", 2, "走访结论", "未选择走访结论")


MALFORMED = [
    case_unknown_status,
    case_changed_id,
    case_formula_in_note,
    case_blank_status,
    case_duplicated_row,
    case_extra_columns_and_resorted,
    case_title_rows_above_header,
    case_deleted_rows,
    case_wrong_date_in_plan,
    case_future_date,
    case_text_income,
    case_negative_income,
    case_untrue_without_note,
    case_check_row_of_other_household,
    case_unknown_result,
    case_visit_without_conclusion,
]


@pytest.mark.parametrize("case", MALFORMED, ids=lambda f: f.__name__[5:])
def test_malformed_entry_reported_rest_applied(env, case):
    con, out = env
    expect = case(out)
    res = collect(con, out, YEAR, as_of=AS_OF)
    _check_rest(con)
    if expect is None:  # deleted rows: nothing to report, the deleted items stay as they were
        assert res.issues.empty
        s = states(con)
        assert s[IDS[0]] == CLAIMED and [s[i] for i in IDS[1:4]] == [OPEN] * 3
        return
    sheet, row, column, words = expect
    hit = res.issues[(res.issues["工作表"] == sheet) & (res.issues["行"] == row) & (res.issues["列"] == column)]
    assert len(hit) >= 1, res.issues.to_string()
    assert hit["问题"].str.contains(words).any(), hit.to_string()
    assert (hit["文件"].str.endswith(".xlsx")).all()
    if sheet == "走访清单":  # the other visit row is kept
        v = verified_incomes(con, COUNTY)
        assert "H2" in v["hh_id"].tolist() and "H1" not in v["hh_id"].tolist()
    if sheet == "问题清单":
        assert states(con)[IDS[0]] == OPEN or case is case_duplicated_row


# --- whole files refused ------------------------------------------------------------------------------------
def _refused(res, words):
    r = res.issues[res.issues["处理"] == REFUSED]
    assert len(r) == 1 and r["问题"].str.contains(words).any(), res.issues.to_string()


def test_ledger_of_another_county_is_refused(env):
    con, out = env
    p = write_ledger(out, [(IDS[0], "已整改", "x")], county="441882_连州市", name="连州市")
    res = collect(con, out, YEAR, files={COUNTY: [p]}, as_of=AS_OF)
    _refused(res, "连州市")
    assert states(con)[IDS[0]] == OPEN


def test_ledger_of_another_year_is_refused(env):
    con, out = env
    p = write_ledger(out, [(IDS[0], "已整改", "x")], year=2018)
    res = collect(con, out, YEAR, files={COUNTY: [p]}, as_of=AS_OF)
    _refused(res, "2018")


def test_ledger_whose_ids_are_mostly_unknown_is_refused_whole(env):
    con, out = env
    write_ledger(
        out,
        [(IDS[0], "已整改", "x"), ("R10-ffffffffffffff01", "已整改", "x"), ("R10-ffffffffffffff02", "整改中", None)],
    )
    res = collect(con, out, YEAR, as_of=AS_OF)
    _refused(res, "不存在")
    assert states(con)[IDS[0]] == OPEN  # never half-applied


def test_not_an_xlsx_and_missing_sheet_are_refused(env):
    con, out = env
    p = out / COUNTY / f"回头看台账_英德市_{YEAR}.xlsx"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("户编号,整改状态\nH1,已整改\n", encoding="utf-8")
    q = write_plan(out, [("H1", "已走访", 9000, "张三", "2019-10-03")], [])
    write_book(
        q, {"说明": [["类别", "项目", "内容", "备注"]], "走访清单": [["户编号", "走访结论"]]}
    )  # 核查事项 deleted
    res = collect(con, out, YEAR, as_of=AS_OF)
    r = res.issues[res.issues["处理"] == REFUSED]
    assert len(r) == 2
    assert r["问题"].str.contains("CSV|文本|xlsx").any() and r["问题"].str.contains("核查事项").any()


def test_missing_status_column_refused(env):
    con, out = env
    write_book(out / COUNTY / f"回头看台账_英德市_{YEAR}.xlsx", {"问题清单": [["问题编号", "整改说明"], [IDS[0], "x"]]})
    res = collect(con, out, YEAR, as_of=AS_OF)
    _refused(res, "整改状态")


def test_plan_refused_late_is_rolled_back_whole(env):
    con, out = env
    # 核查事项 is fine and applied first, then 走访清单 lacks its columns: the whole plan is refused, nothing kept
    write_book(
        out / COUNTY / f"入户核查计划_英德市_{YEAR}.xlsx",
        {
            "说明": [["类别", "项目", "内容", "备注"]],
            "走访清单": [["户编号", "备注"]],
            "核查事项": [["事项编号", "户编号", "核实结果", "说明"], [IDS[0], "H1", "不属实", "无此问题"]],
        },
    )
    res = collect(con, out, YEAR, as_of=AS_OF)
    assert states(con)[IDS[0]] == OPEN
    assert res.issues["处理"].tolist() == [REFUSED] and not res.run_ids


def test_openpyxl_fallback_reads_the_same(env):
    from hgk_lib.campaign.collect import _read_sheets_openpyxl, cell_text, read_sheets

    _, out = env
    p = write_ledger(out, [(IDS[0], "已整改", "=1+1"), (IDS[1], "整改中", "说明")])
    a = read_sheets(p, ["问题清单"])["问题清单"]
    b = _read_sheets_openpyxl(p.read_bytes(), ["问题清单"])["问题清单"]
    assert [[cell_text(c.value) for c in r] for r in a][1:] != []
    assert [[(cell_text(c.value), c.formula) for c in r] for r in a][2] == [
        [(cell_text(c.value), c.formula) for c in r] for r in b
    ][2]
    assert [c.formula for c in a[1]] == [c.formula for c in b[1]] and any(c.formula for c in a[1])
