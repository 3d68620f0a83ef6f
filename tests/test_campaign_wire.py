"""The campaign wired into the county run (campaign.md §2–§3) on the committed fixture export: audit → the counties
fill ledger and visit plan → collect → re-audit of a changed export → the states of the state table; the
regenerated ledger and visit plan show the record's states and keep the county's 整改说明; verified incomes feed
the verdicts; the city's spot check comes back in sheet 市抽查整改意见.

The county run here is the notebook's (``process_county`` + ``write_county_outputs``: the record is only read) and
the parent's reconciliation from the saved results (:func:`hgk_lib.campaign.wire.reconcile_saved`), as ``hgk audit``
does after its county jobs."""

from __future__ import annotations

import shutil

import openpyxl
import pandas as pd
import pytest
from helpers.e2e import edit_table, id_check_char
from helpers.paths import FIXTURE, PARAMS, YEAR, fixture_counties

from hgk_lib.campaign import wire
from hgk_lib.campaign.collect import collect
from hgk_lib.campaign.hooks import reconcile_county
from hgk_lib.campaign.record import events_frame, items_frame, open_record, record_path
from hgk_lib.orchestrate.county import process_county, write_county_outputs
from hgk_lib.params import load_params


def county_run(export, out, county):
    run = process_county(export, county, YEAR, PARAMS, output_root=out)
    return run, write_county_outputs(run, out)


def audit(export, out, as_of):
    """Every county of ``export`` as the county jobs run it, then the parent's reconciliation."""
    paths = {c: county_run(export, out, c)[1] for c in fixture_counties()}
    res = wire.reconcile_saved(out, YEAR, sorted(paths), export, load_params(PARAMS), as_of=as_of)
    return paths, res


def record(out):
    con = open_record(record_path(out, YEAR))
    try:
        return items_frame(con), events_frame(con)
    finally:
        con.close()


def sheet(path, name):
    ws = openpyxl.load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def set_cells(path, name, key_col, updates: dict):
    """updates: key -> {column: value} (a county filling its workbook by hand)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[name]
    head = [c.value for c in ws[1]]
    k = head.index(key_col) + 1
    for r in range(2, ws.max_row + 1):
        key = ws.cell(r, k).value
        for col, value in updates.get(key, {}).items():
            ws.cell(r, head.index(col) + 1).value = value
    wb.save(path)


def break_check_digit(old: str) -> str:
    good = id_check_char(old[:17])
    return old[:17] + next(c for c in "0123456789X" if c not in (good, old[17]))


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """audit (export 1: the fixture with one broken ID) → fill → collect → audit (export 2: the fixture as is)."""
    base = tmp_path_factory.mktemp("campaign")
    ex1, ex2, out = base / "export1", base / "export2", base / "out"
    shutil.copytree(FIXTURE, ex1)
    shutil.copytree(FIXTURE, ex2)
    county = fixture_counties()[-1]
    edit_table(ex1 / county, "贫困人口信息", "证件号码", 2, break_check_digit)
    paths1, res1 = audit(ex1, out, "2019-09-30")
    items1, events1 = record(out)
    first = {}  # the first audit's workbooks as sent to the counties (the later audit rewrites them in place)
    for c, p in paths1.items():
        first[c] = {k: shutil.copy(p[k], base / f"{c}_{p[k].name}") for k in ("ledger", "visit_plan")}
    again = wire.reconcile_saved(out, YEAR, sorted(paths1), ex1, load_params(PARAMS), as_of="2019-09-30")
    items1b, events1b = record(out)

    # the county fills its ledger and visit plan
    p = paths1[county]
    problems = sheet(p["ledger"], "问题清单")
    r02 = problems.loc[problems["规则编号"] == "R02", "问题编号"].iloc[0]
    others = problems.loc[problems["规则编号"] != "R02", "问题编号"].tolist()
    claimed, working, fixed_r02 = others[0], others[1], r02
    set_cells(
        p["ledger"],
        "问题清单",
        "问题编号",
        {
            claimed: {"整改状态": "已整改", "整改说明": "已入户核实并更正"},
            working: {"整改状态": "整改中", "整改说明": "正在协调住建局"},
            fixed_r02: {"整改状态": "已整改", "整改说明": "证件号码已更正"},
        },
    )
    checks = sheet(p["visit_plan"], "核查事项")
    income_items = checks[checks["来源"] == "收入"]
    untrue = checks[(checks["来源"] != "收入") & ~checks["事项编号"].isin([claimed, working, fixed_r02])][
        "事项编号"
    ].iloc[0]
    visited_hh = income_items["户编号"].iloc[0]
    set_cells(p["visit_plan"], "核查事项", "事项编号", {untrue: {"核实结果": "不属实", "说明": "入户核实无此情况"}})
    set_cells(
        p["visit_plan"],
        "走访清单",
        "户编号",
        {visited_hh: {"走访结论": "已走访", "核实人均可支配收入": 8123.5, "走访人": "张三", "走访日期": "2019-10-03"}},
    )
    con = open_record(record_path(out, YEAR))
    try:
        got = collect(con, out / str(YEAR), YEAR, as_of="2019-10-05")
    finally:
        con.close()
    items2, _ = record(out)

    # export 2: the broken ID is fixed; everything else is as before
    paths2, res2 = audit(ex2, out, "2019-10-25")
    items3, events3 = record(out)
    return dict(
        county=county,
        out=out,
        ex2=ex2,
        res1=res1,
        first=first,
        again=again,
        items1=items1,
        events1=events1,
        items1b=items1b,
        events1b=events1b,
        paths1=paths1,
        paths2=paths2,
        claimed=claimed,
        working=working,
        r02=fixed_r02,
        untrue=untrue,
        visited_hh=visited_hh,
        collect=got,
        items2=items2,
        res2=res2,
        items3=items3,
        events3=events3,
    )


def state(items, item_id):
    return items.set_index("item_id").loc[item_id, "state"]


def test_first_audit_raises_every_ledger_and_visit_plan_item_as_open(loop):
    it = loop["items1"]
    assert set(it["state"]) == {"未整改"}
    assert all(r.get("new", 0) > 0 for r in loop["res1"].values())
    for c, p in loop["first"].items():
        ids = set(it.loc[it["county"] == c, "item_id"])
        assert set(sheet(p["ledger"], "问题清单")["问题编号"]) <= ids  # every 问题编号 can be read back
        assert set(sheet(p["visit_plan"], "核查事项")["事项编号"]) <= ids  # every 事项编号 too
        assert set(sheet(p["visit_plan"], "核查事项")["整改状态"]) == {"未整改"}
        assert set(sheet(p["ledger"], "问题清单")["整改状态"]) == {"未整改"}
    final = loop["items3"]  # the later audit's workbooks against the record after it
    for c, p in loop["paths2"].items():
        ids = set(final.loc[final["county"] == c, "item_id"])
        assert set(sheet(p["ledger"], "问题清单")["问题编号"]) <= ids
        assert set(sheet(p["visit_plan"], "核查事项")["事项编号"]) <= ids


def test_same_export_twice_changes_nothing(loop):
    assert all(r["skipped"] for r in loop["again"].values())
    pd.testing.assert_frame_equal(loop["items1"], loop["items1b"])
    assert len(loop["events1"]) == len(loop["events1b"])


def test_collect_reads_the_filled_ledger_and_plan(loop):
    it = loop["items2"]
    assert state(it, loop["claimed"]) == "已整改" and state(it, loop["working"]) == "整改中"
    assert state(it, loop["untrue"]) == "已销号"  # visit: 不属实 with 说明
    assert loop["collect"].issues.empty, loop["collect"].issues.to_string()


def test_reaudit_of_a_newer_export_moves_states_as_the_table_says(loop):
    it, ev = loop["items3"], loop["events3"]
    assert state(it, loop["claimed"]) == "整改不实"  # claimed 已整改, still in the newer export
    assert state(it, loop["working"]) == "整改中"  # found again: keeps its state
    assert state(it, loop["r02"]) == "已销号"  # the ID was really fixed: no longer found
    assert state(it, loop["untrue"]) == "未整改"  # closed by the visit, found again: reopened
    moves = ev[ev["origin"] == "re-audit"].set_index("item_id")
    assert moves.loc[loop["untrue"], "note"].startswith("销号后") and moves.loc[loop["r02"], "to_state"] == "已销号"
    r = loop["res2"][loop["county"]]
    assert r["not_genuine"] >= 1 and r["closed"] >= 1 and r["reopened"] >= 1


def test_regenerated_ledger_shows_the_record_and_keeps_the_county_notes(loop):
    p = loop["paths2"][loop["county"]]
    problems = sheet(p["ledger"], "问题清单").set_index("问题编号")
    assert problems.loc[loop["claimed"], "整改状态"] == "整改不实"
    assert problems.loc[loop["claimed"], "整改说明"] == "已入户核实并更正"
    assert problems.loc[loop["working"], "整改状态"] == "整改中"
    assert problems.loc[loop["working"], "整改说明"] == "正在协调住建局"
    assert loop["r02"] not in problems.index  # no longer a finding
    ws = openpyxl.load_workbook(p["ledger"])["问题清单"]
    lists = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert '"整改不实,未整改,整改中,已整改"' in lists and '"未整改,整改中,已整改"' in lists
    row = list(problems.index).index(loop["claimed"]) + 2
    col = openpyxl.utils.get_column_letter(list(sheet(p["ledger"], "问题清单").columns).index("整改状态") + 1)
    assert f"{col}{row}" in lists['"整改不实,未整改,整改中,已整改"'].split() or any(
        rng.startswith(col) and int(rng.split(":")[0][len(col) :]) <= row <= int(rng.split(":")[-1][len(col) :])
        for rng in lists['"整改不实,未整改,整改中,已整改"'].split()
    )
    checks = sheet(p["visit_plan"], "核查事项").set_index("事项编号")
    assert checks.loc[loop["claimed"], "整改状态"] == "整改不实" if loop["claimed"] in checks.index else True
    assert checks.loc[loop["untrue"], "整改状态"] == "未整改"
    visits = sheet(p["visit_plan"], "走访清单").set_index("户编号")
    assert visits.loc[loop["visited_hh"], "走访结论"] == "已走访"  # what the county wrote is kept
    assert visits.loc[loop["visited_hh"], "核实人均可支配收入"] == pytest.approx(8123.5)


def test_verified_income_feeds_the_next_verdict_and_its_reasons(loop):
    p = loop["paths2"][loop["county"]]
    inc = sheet(p["ledger"], "收入核查").set_index("户编号")
    row = inc.loc[loop["visited_hh"]]
    assert "入户核实人均可支配收入8,123.50元" in row["依据"] and "替代系统记录" in row["依据"]
    assert row["复核人均可支配收入"] == pytest.approx(8123.5)
    # below the exit line (8,400), above the return line: judged on the verified income
    assert row["核查结论"] in ("收入未达标", "退回未脱贫", "兜底未落实", "保持脱贫（兜底）", "保持脱贫（限期整改）")


def test_county_jobs_only_read_the_record(loop, tmp_path):
    """A county run between audits leaves the record byte for byte as it was (the parent is the only writer)."""
    path = record_path(loop["out"], YEAR)
    before = path.read_bytes()
    county_run(loop["ex2"], loop["out"], loop["county"])
    assert path.read_bytes() == before


def test_spot_check_evaluation_comes_back_in_the_next_ledger(loop):
    out, county = loop["out"], loop["county"]
    hh = loop["visited_hh"]
    clean = pd.DataFrame(
        {
            "sheet": [county.split("_", 1)[1]],
            "hh_id": [hh],
            "conclusion": ["收入不达标"],
            "verified": [3000.0],
            "needs_note": [None],
        }
    )
    path = out / "filled.xlsx"
    path.write_bytes(b"x")
    res = wire.record_spot_check_file(path, out, YEAR, clean, None, load_params(PARAMS), as_of="2019-10-10")
    assert res["new"] == 1
    again = wire.record_spot_check_file(path, out, YEAR, clean, None, load_params(PARAMS), as_of="2019-10-10")
    assert again["new"] == 0 and again["run_id"] is None
    _, paths = county_run(loop["ex2"], out, county)
    spot = sheet(paths["ledger"], "市抽查整改意见")
    assert list(spot.columns[:11]) == [
        "户编号",
        "乡（镇）",
        "行政村",
        "户主姓名",
        "核查结论",
        "核实人均可支配收入",
        "三保障问题说明",
        "整改意见",
        "整改时限",
        "整改状态",
        "整改说明",
    ]
    assert spot["户编号"].tolist() == [hh] and spot["整改状态"].tolist() == ["未整改"]
    assert str(spot["整改时限"].iloc[0])[:10] == "2019-11-09"  # 2019-10-10 + deadlines.spot_check_days (30)
    names = openpyxl.load_workbook(paths["ledger"], read_only=True).sheetnames
    assert names.index("市抽查整改意见") == 11  # right after the listed sheets


def test_an_older_export_is_refused_unless_allowed(tmp_path):
    county = fixture_counties()[0]
    reconcile_county(
        tmp_path,
        YEAR,
        county,
        pd.DataFrame(columns=["item_id", "source"]),
        input_sha256="later",
        export_time="2030-01-01T00:00:00",
    )
    refused = wire.refused_exports(tmp_path, YEAR, FIXTURE, [county], {county: "other"})
    assert "早于上次核查的导出" in refused[county] and "--allow-older" in refused[county]
    assert wire.refused_exports(tmp_path, YEAR, FIXTURE, [county], {county: "other"}, allow_older=True) == {}
    assert wire.refused_exports(tmp_path, YEAR, FIXTURE, [county], {county: "later"}) == {}  # same export


def test_export_time_comes_from_the_title_rows():
    t = wire.export_time_of(FIXTURE / fixture_counties()[0])
    assert t is not None and t.startswith("20")


# ---------------------------------------------------------------------------------------------------------------
# pure parts
# ---------------------------------------------------------------------------------------------------------------
def test_predicted_states_follow_the_state_table():
    have = pd.DataFrame(
        {
            "item_id": ["a", "b", "c", "d"],
            "state": ["已整改", "已销号", "整改中", "未整改"],
            "note": ["修好了", None, "在办", None],
        }
    )
    got = wire.predicted_states(have, pd.Series(["a", "b", "c", "new"]), newer=True).set_index("item_id")
    assert got["state"].to_dict() == {"a": "整改不实", "b": "未整改", "c": "整改中", "new": "未整改"}
    assert got.loc["a", "note"] == "修好了" and got.loc["new", "note"] is None
    same = wire.predicted_states(have, pd.Series(["a", "b"]), newer=False).set_index("item_id")
    assert same["state"].to_dict() == {"a": "已整改", "b": "已销号"}  # the same export: nothing moves


def test_status_drop_down_offers_the_record_states_only_where_they_are():
    from hgk_lib.report.ledger import status_choices

    got = status_choices(pd.Series(["未整改", "整改不实", "已销号", None])).tolist()
    assert got == [
        ("未整改", "整改中", "已整改"),
        ("整改不实", "未整改", "整改中", "已整改"),
        ("已销号",),
        ("未整改", "整改中", "已整改"),
    ]


def test_per_row_drop_downs_become_runs_of_rows():
    from hgk_lib.report.xlsx import _row_runs

    opts = pd.Series([("a",), ("a",), ("b", "c"), ("a",), ("b", "c"), ("b", "c")])
    assert _row_runs(opts, 6) == {("a",): [(2, 3), (5, 5)], ("b", "c"): [(4, 4), (6, 7)]}


def test_verified_income_replaces_the_recomputed_one_with_its_source():
    from hgk_lib.audit.verdicts import verified_fen

    hh = pd.Series(["H1", "H2", "H3"])
    v = pd.DataFrame(
        {
            "hh_id": ["H2", "H3"],
            "income_pc": [8123.456, None],
            "visit_date": ["2019-10-03", None],
            "origin": ["入户核查计划_x_2019.xlsx / 走访清单 / 第5行", None],
        }
    )
    fen, text = verified_fen(v, hh)
    assert fen.isna().tolist() == [True, False, True] and int(fen[1]) == 812346
    assert text[1].startswith("入户核实人均可支配收入8,123.46元（走访日期 2019-10-03，入户核查计划_x_2019.xlsx")
    assert text[0] == "" and text[2] == ""
    none_fen, _ = verified_fen(None, hh)
    assert none_fen.isna().all()


def test_bad_as_of_is_a_chinese_error():
    from hgk_lib.errors import HgkError

    assert wire.as_of_date("2019-10-05") == "2019-10-05"
    with pytest.raises(HgkError, match="不是有效日期"):
        wire.as_of_date("10月5日")


def test_sheets_map_to_county_folders(tmp_path):
    (tmp_path / "2019" / "441825_连山壮族瑶族自治县").mkdir(parents=True)
    got = wire.county_of_sheets(["连山壮族瑶族自治县", "别的县"], tmp_path, 2019)
    assert got == {"连山壮族瑶族自治县": "441825_连山壮族瑶族自治县", "别的县": "别的县"}
