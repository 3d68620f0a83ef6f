"""入户核查计划 (campaign.md §1, issue 11): what needs a visit, criterion by criterion; conservation against the
ledger's tables on the committed fixture; the 脱贫路径 view with a gap year; the workbook's conventions; the print
layout through LibreOffice (where installed)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from hgk_lib.items import item_ids
from hgk_lib.params import load_params
from hgk_lib.rules import load_catalogue
from hgk_lib.visit import build_visit_plan, exit_path, plan_tables, rule_item_ids, trips_saved, visit_items
from hgk_lib.visit.workbook import CONCLUSIONS, FORM_SHEET, RESULTS, SHEET_NAMES, SHEETS, write_visit_plan

from helpers.paths import FIXTURE, PARAMS, fixture_counties  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
#: PDFs and PNGs of the print layout, for a person to look at (ignored by git).
ARTEFACTS = ROOT / "tests" / "artefacts"
COUNTY = "441825_连山壮族瑶族自治县"
CAT = load_catalogue()
P = load_params(PARAMS)
LINE = P["income"]["exit_line"]


# ---------------------------------------------------------------------------------------------------------------
# hand-written frames: one household per criterion
# ---------------------------------------------------------------------------------------------------------------
def finding(hh, rule, person=None, columns="wage", message="问题"):
    return {
        "county": COUNTY,
        "rule_id": rule,
        "rule_name": CAT[rule]["name"],
        "level": CAT[rule]["level"],
        "department": CAT[rule]["department"],
        "unit": CAT[rule]["unit"],
        "part": None,
        "hh_id": hh,
        "person_id": person,
        "project_id": None,
        "year": 2019,
        "source_row": 2,
        "category": None,
        "columns": columns,
        "values": "1",
        "message": message,
        "exit_status": "已脱贫（享受政策）",
    }


def verdict(hh, v, income):
    return {
        "hh_id": hh,
        "township": "甲镇",
        "village": "乙村",
        "head_name": "户主" + hh,
        "labour_class": "有劳动能力",
        "active_n": 3,
        "recorded_pc": income,
        "income_pc": income,
        "income_diff": 0.0,
        "policy_share": 0.1,
        "verdict": v,
        "return_cause": None,
        "quality": None,
        "reasons": "依据",
    }


def quiet():
    """Frames where nobody needs a visit: a desk-fix finding, plain verdicts well above the margin, a match."""
    return dict(
        findings=pd.DataFrame([finding("H0", "R02", person="P0", columns="id_no")]),
        verdicts=pd.DataFrame([verdict("H0", "保持脱贫", LINE * 1.5), verdict("H9", "保持脱贫（兜底）", LINE * 2)]),
        needs=pd.DataFrame(
            columns=["hh_id", "person_id", "problem_type", "department", "evidence", "deadline", "resolvable"]
        ),
        dynamic=pd.DataFrame(columns=["hh_id", "person_id", "kind", "basis", "source"]),
        classes=pd.DataFrame(
            [
                {
                    "hh_id": "H0",
                    "labour_class": "有劳动能力",
                    "recommended": "就业帮扶",
                    "measures_this_year": "就业帮扶",
                    "match": True,
                    "quality": "A 稳定",
                }
            ]
        ),
    )


def items_of(params=P, **override):
    frames = quiet()
    frames.update(override)
    return visit_items(catalogue=CAT, params=params, county=COUNTY, **frames)


def test_nobody_needs_a_visit_in_the_quiet_frames():
    assert CAT["R02"]["visit"] is False
    assert items_of().empty


def test_a_visit_rule_finding_is_one_item_with_the_ledger_id():
    f = pd.DataFrame(
        [
            finding("H0", "R02", person="P0", columns="id_no"),
            finding("H1", "R42", columns="wage", message="工资性收入为0，但有务工人员"),
        ]
    )
    it = items_of(findings=f)
    assert list(it["hh_id"]) == ["H1"] and list(it["source"]) == ["规则"] and list(it["rule_id"]) == ["R42"]
    want = item_ids(f.assign(field=f["columns"]), "规则", f["rule_id"]).iloc[1]
    assert it["item_id"].iloc[0] == want == rule_item_ids(f).iloc[1]
    assert "工资性收入为0" in it["content"].iloc[0] and bool(it["income_check"].iloc[0])  # income rule


@pytest.mark.parametrize("v", ["返贫", "退回未脱贫", "兜底未落实", "收入未达标", "保持脱贫（限期整改）", "收入待核实"])
def test_a_verdict_other_than_plain_kept_is_one_income_item(v):
    it = items_of(verdicts=pd.DataFrame([verdict("H0", "保持脱贫", LINE * 1.5), verdict("H2", v, LINE * 1.5)]))
    assert list(it["hh_id"]) == ["H2"] and list(it["source"]) == ["收入"] and list(it["code"]) == [v]
    assert it["item_id"].iloc[0] == item_ids(pd.DataFrame({"county": [COUNTY], "hh_id": ["H2"]}), "收入", v).iloc[0]
    assert it["department"].iloc[0] == ("民政局" if v == "兜底未落实" else "扶贫办")


def test_income_below_line_times_margin_needs_a_visit_even_when_kept_both_edges():
    limit = LINE * P["visit"]["income_margin"]
    assert P["visit"]["income_margin"] == 1.1
    it = items_of(
        verdicts=pd.DataFrame(
            [
                verdict("H3", "保持脱贫", limit - 0.01),
                verdict("H4", "保持脱贫", limit),
                verdict("H5", "保持脱贫（兜底）", limit - 0.01),
            ]
        )
    )
    assert sorted(it["hh_id"]) == ["H3", "H5"] and set(it["source"]) == {"收入"}
    assert it["short"].str.contains("收入接近脱贫线").all()
    # the margin is a parameter
    wider = {**P, "visit": {"income_margin": 1.2}}
    it = items_of(params=wider, verdicts=pd.DataFrame([verdict("H4", "保持脱贫", limit)]))
    assert list(it["hh_id"]) == ["H4"]


def test_an_open_basic_needs_problem_is_one_item_for_its_department():
    n = pd.DataFrame(
        [
            {
                "hh_id": "H6",
                "person_id": "P61",
                "problem_type": "住房不安全（未改造）",
                "department": "住建局",
                "evidence": "危房级别D",
                "deadline": pd.Timestamp("2020-03-28"),
                "resolvable": False,
            }
        ]
    )
    it = items_of(needs=n)
    assert list(it["hh_id"]) == ["H6"] and list(it["source"]) == ["三保障"] and list(it["department"]) == ["住建局"]
    assert it["item_id"].iloc[0] == item_ids(n.assign(county=COUNTY), "三保障", n["problem_type"]).iloc[0]


def test_a_dynamic_management_candidate_is_one_item():
    d = pd.DataFrame(
        [{"hh_id": "H7", "person_id": "P71", "kind": "自然减少", "basis": "公安登记死亡", "source": "公安"}]
    )
    it = items_of(dynamic=d)
    assert list(it["hh_id"]) == ["H7"] and list(it["source"]) == ["动态管理"] and list(it["code"]) == ["自然减少"]


def test_a_measure_mismatch_is_one_item_and_a_match_none():
    c = pd.DataFrame(
        [
            {
                "hh_id": "H8",
                "labour_class": "有劳动能力",
                "recommended": "就业帮扶",
                "measures_this_year": None,
                "match": False,
                "quality": "B 不稳定",
            },
            {
                "hh_id": "H0",
                "labour_class": "有劳动能力",
                "recommended": "就业帮扶",
                "measures_this_year": "就业帮扶",
                "match": True,
                "quality": "A 稳定",
            },
        ]
    )
    it = items_of(classes=c)
    assert list(it["hh_id"]) == ["H8"] and list(it["source"]) == ["分类施策"] and list(it["code"]) == ["不匹配"]


def test_flagged_integrity_units_add_their_households():
    g = pd.DataFrame([{"hh_id": "H10", "indicator": "收入数字尾数", "text": "本村收入末位数字分布异常"}])
    it = items_of(integrity=g)
    assert list(it["hh_id"]) == ["H10"] and list(it["source"]) == ["数据真实性"]
    assert it["short"].iloc[0] == "数据真实性复核：收入数字尾数"


def test_trips_saved_counts_households_times_departments():
    it = pd.DataFrame({"hh_id": ["A", "A", "A", "B"], "department": ["扶贫办", "住建局", "扶贫办", "教育局"]})
    assert trips_saved(it) == {"households": 2, "items": 4, "department_trips": 3, "visits": 2, "saved": 1}


# ---------------------------------------------------------------------------------------------------------------
# 脱贫路径
# ---------------------------------------------------------------------------------------------------------------
def test_exit_path_shows_a_year_without_measures_as_a_gap():
    hh = pd.DataFrame({"hh_id": ["A", "B"], "first_year": [2016, 2018], "exit_year": [2017, None]})
    m = pd.DataFrame(
        {
            "hh_id": ["A", "A", "A", "A", "B"],
            "year": [2016, 2016, 2018, 2019, 2019],
            "category": ["产业帮扶", "产业帮扶", "教育帮扶", "就业帮扶", "健康帮扶"],
        }
    )
    inc = pd.DataFrame(
        {
            "hh_id": ["A", "A"],
            "year": [2016, 2019],
            "disposable_pc_recorded": [3000.0, 9500.0],
            "data_source": ["入户核实", "预估"],
        }
    )
    p = exit_path(
        hh, m, inc, first_year=2016, audit_year=2019, checked=pd.DataFrame({"hh_id": ["A"], "income_pc": [9400.0]})
    )
    a = p[p["hh_id"] == "A"].set_index("year")
    assert list(a.index) == [2016, 2017, 2018, 2019]
    assert a.loc[2016, "measures"] == "产业帮扶×2" and a.loc[2016, "stage"] == "脱贫前"
    assert bool(a.loc[2017, "gap"]) and a.loc[2017, "note"] == "无帮扶措施" and a.loc[2017, "stage"] == "脱贫当年"
    assert a.loc[2019, "recorded_pc"] == 9500.0 and a.loc[2019, "checked_pc"] == 9400.0
    assert a.loc[2019, "data_source"] == "预估" and pd.isna(a.loc[2018, "recorded_pc"])
    b = p[p["hh_id"] == "B"].set_index("year")
    assert list(b["stage"]) == ["未识别", "未识别", "未脱贫", "未脱贫"]
    assert not b.loc[2016, "gap"] and bool(b.loc[2018, "gap"])  # before identification is no gap


def test_the_form_prints_the_gap_year():
    from hgk_lib.visit.workbook import form_rows

    hh = pd.DataFrame(
        {
            "hh_id": ["A"],
            "first_year": [2016],
            "exit_year": [2017],
            "township": ["甲镇"],
            "village": ["乙村"],
            "head_name": ["张三"],
        }
    )
    m = pd.DataFrame({"hh_id": ["A", "A"], "year": [2016, 2018], "category": ["产业帮扶", "教育帮扶"]})
    plan = build_visit_plan(
        findings=None,
        audit={"verdicts": pd.DataFrame([verdict("A", "返贫", 3000.0)])},
        tables={"household": hh, "measure": m},
        params=P,
        catalogue=CAT,
        county=COUNTY,
    )
    rows = form_rows(plan, "某县", 2019, "2019-09-30")
    path = rows[rows["kind"] == "path"].set_index("A")
    assert path.loc["2017", "C"] == "（无帮扶措施）" and path.loc["2017", "H"] == "无帮扶措施"
    assert path.loc["2018", "C"] == "教育帮扶"


# ---------------------------------------------------------------------------------------------------------------
# the committed fixture: conservation and the workbook
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fixture_plan(tmp_path_factory):
    from hgk_lib.orchestrate import county as P_

    out = tmp_path_factory.mktemp("visit")
    run = P_.process_county(FIXTURE, COUNTY, 2019, PARAMS, output_root=out)
    plan = build_visit_plan(
        findings=run.findings,
        audit=run.audit,
        tables=run.data.tables,
        params=run.params,
        catalogue=CAT,
        county=run.county,
    )
    path = out / "入户核查计划_连山壮族瑶族自治县_2019.xlsx"
    write_visit_plan(
        path, plan, county_name=run.name, county_folder=run.county, params=run.params, provenance=run.provenance
    )
    return run, plan, path


def _sheet(path, name) -> pd.DataFrame:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    return pd.DataFrame(rows[1:], columns=rows[0]).astype(object)


def test_conservation_every_ledger_item_meeting_a_criterion_appears_once_under_its_id(fixture_plan):
    from hgk_lib.report.ledger import problem_list

    run, plan, path = fixture_plan
    a = run.audit
    items = _sheet(path, "核查事项")
    ids = items["事项编号"].astype(str)
    assert not ids.duplicated().any()
    got = ids.value_counts()
    # rule findings of visit rules: the ledger's 问题清单 rows, ids = item ids over the findings table
    f = run.findings.reset_index(drop=True).assign(_id=rule_item_ids(run.findings.reset_index(drop=True), COUNTY))
    ledger = problem_list(f, run.data.tables["household"], a.needs, run.params, 2019)
    visit = ledger[ledger["rule_id"].map(lambda r: (CAT.get(r) or {}).get("visit") is True) & ledger["hh_id"].notna()]
    assert len(visit) > 0
    expected = list(visit["_id"])
    kept = ["保持脱贫", "保持脱贫（兜底）"]
    v = a.verdicts.assign(county=COUNTY)
    need_visit = ~v["verdict"].isin(kept) | (v["income_pc"] < LINE * P["visit"]["income_margin"])
    expected += list(item_ids(v[need_visit], "收入", v.loc[need_visit, "verdict"]))
    expected += list(item_ids(a.needs.assign(county=COUNTY), "三保障", a.needs["problem_type"]))
    expected += list(item_ids(a.dynamic.assign(county=COUNTY), "动态管理", a.dynamic["kind"]))
    mism = a.classes[a.classes["match"].astype(object).map(lambda x: x is False or x == False)]  # noqa: E712
    expected += list(item_ids(mism.assign(county=COUNTY), "分类施策", "mismatch"))
    assert len(set(expected)) == len(expected)
    assert set(ids) == set(expected) and (got == 1).all()
    by_source = items["来源"].value_counts()
    assert by_source.get("规则", 0) == len(visit) and by_source.get("三保障", 0) == len(a.needs)
    # 走访清单 rows = distinct households of 核查事项, ordered 乡（镇） → 行政村 → 户编号
    hh = _sheet(path, "走访清单")
    assert len(hh) == items["户编号"].nunique() == hh["户编号"].nunique()
    key = hh[["乡（镇）", "行政村", "户编号"]].astype(str)
    assert key.equals(key.sort_values(list(key.columns)).reset_index(drop=True))
    counts = items.groupby("户编号").size()
    assert (hh.set_index("户编号")["事项数"].astype(int) == counts.reindex(hh["户编号"])).all()
    v_sum = _sheet(path, "按村汇总")
    assert v_sum["需走访户数"].astype(int).sum() == len(hh) and v_sum["事项数"].astype(int).sum() == len(items)
    t = plan_tables(path)["trips"].set_index("项目")["数量"]
    assert t["需走访户数"] == len(hh) and t["减少入户次数"] == t["各部门分别入户（户×部门）"] - len(hh)


def test_workbook_sheets_columns_dropdowns_text_ids_and_print_settings(fixture_plan):
    from openpyxl import load_workbook

    _, plan, path = fixture_plan
    wb = load_workbook(path)
    assert wb.sheetnames == SHEET_NAMES
    for spec in SHEETS:
        ws = wb[spec.name]
        assert [c.value for c in ws[1]][: len(spec.headers)] == spec.headers
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    lists = {s: [dv.formula1 for dv in wb[s].data_validations.dataValidation] for s in ("走访清单", "核查事项")}
    assert lists["走访清单"] == ['"' + ",".join(CONCLUSIONS) + '"']
    assert lists["核查事项"] == ['"' + ",".join(RESULTS) + '"']
    ws = wb["走访清单"]
    cell = ws.cell(row=2, column=1)
    assert cell.data_type == "s" and cell.number_format == "@" and isinstance(cell.value, str)
    phone = ws.cell(row=2, column=5)
    assert phone.value is None or (phone.data_type == "s" and isinstance(phone.value, str))
    for name in wb.sheetnames:
        s = wb[name]
        assert s.page_setup.orientation == "landscape" and int(s.page_setup.paperSize) == 9, name
        assert s.sheet_properties.pageSetUpPr.fitToPage and int(s.page_setup.fitToWidth) == 1, name
        assert int(s.page_setup.fitToHeight) == 0 and s.print_title_rows == "$1:$1", name
        assert "&A" in str(s.oddFooter.center.text) and "&P" in str(s.oddFooter.center.text), name
    form = wb[FORM_SHEET]
    assert len(form.row_breaks.brk) >= len(plan.households)


def test_text_from_the_data_is_never_a_formula(tmp_path):
    from openpyxl import load_workbook

    hh = pd.DataFrame(
        {
            "hh_id": ["0012"],
            "first_year": [2016],
            "exit_year": [2017],
            "township": ["=1+1"],
            "village": ["乙村"],
            "head_name": ['=HYPERLINK("x")'],
            "phone": ["13800000000"],
        }
    )
    plan = build_visit_plan(
        findings=None,
        audit={"verdicts": pd.DataFrame([verdict("0012", "返贫", 3000.0)])},
        tables={"household": hh},
        params=P,
        catalogue=CAT,
        county=COUNTY,
    )
    path = write_visit_plan(tmp_path / "p.xlsx", plan, county_name="某县", county_folder=COUNTY, params=P)
    wb = load_workbook(path)
    ws = wb["走访清单"]
    assert ws["A2"].value == "0012" and ws["B2"].value == "=1+1" and ws["B2"].data_type == "s"
    assert ws["D2"].data_type == "s" and ws["E2"].value == "13800000000"
    for row in wb[FORM_SHEET].iter_rows():
        for c in row:
            assert c.data_type != "f"


def test_the_ledger_prints_landscape_one_page_wide_with_titles(tmp_path):
    from openpyxl import Workbook

    from hgk_lib.report.xlsx import set_print_layout

    ws = Workbook().active
    set_print_layout(ws)
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$1:$1" and ws.sheet_properties.pageSetUpPr.fitToPage


# ---------------------------------------------------------------------------------------------------------------
# the printed form (LibreOffice)
# ---------------------------------------------------------------------------------------------------------------
LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")


def _pdf(xlsx: Path, outdir: Path) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            LIBREOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{outdir / 'lo-profile'}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(xlsx),
        ],
        check=True,
        timeout=600,
        capture_output=True,
    )
    return outdir / (xlsx.stem + ".pdf")


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [re.sub(r"\s", "", p) for p in text.split("\f")]


@pytest.mark.skipif(
    LIBREOFFICE is None or shutil.which("pdftotext") is None, reason="LibreOffice / poppler-utils not installed"
)
def test_libreoffice_prints_each_household_on_its_own_pages_and_never_splits_an_item_list(fixture_plan):
    _, plan, path = fixture_plan
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pdf = _pdf(path, ARTEFACTS / "visit_plan")
    pages = _pages(pdf)
    form = [i for i, p in enumerate(pages) if f"{FORM_SHEET}第" in p]
    n = len(plan.households)
    assert len(form) >= n
    starts = [m for i in form for m in re.findall(r"入户核查表户编号：(\d+)", pages[i])]
    assert starts == list(plan.households["hh_id"])  # one household per page start, in the 走访清单 order
    for i in form:
        assert len(re.findall(r"入户核查表户编号：", pages[i])) <= 1, f"page {i + 1} holds two households"
        # an item list and its conclusion rows are on the same page
        assert pages[i].count("三、核查事项（户编号") == pages[i].count("户主（签字）"), f"page {i + 1}"
    # two pages as PNG for a person to look at (tests/artefacts/, ignored by git)
    if shutil.which("pdftoppm"):
        first = form[0] + 1
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                str(first),
                "-l",
                str(first + 1),
                str(pdf),
                str(ARTEFACTS / "visit_plan" / "form"),
            ],
            check=True,
            timeout=120,
        )
        assert list((ARTEFACTS / "visit_plan").glob("form-*.png"))


def test_item_keys_keep_text_ids_exact_even_next_to_blanks():
    """An 18-digit person id must not pass through a float (two people would share one item id)."""
    from hgk_lib.items import key_text

    s = pd.Series(["441825070020000201", None, "441825070020000203", "0012", 2019.0, 7], dtype=object)
    assert list(key_text(s)) == ["441825070020000201", "", "441825070020000203", "0012", "2019", "7"]
    f = pd.DataFrame({"hh_id": ["H", "H", "H"], "person_id": ["441825070020000201", "441825070020000203", None]})
    ids = item_ids(f, "三保障", "未参加基本医疗保险")
    assert ids.nunique() == 3 and not ids.str.contains(r"-\d$").any()


def _form_cells_seen(path):
    from openpyxl import load_workbook

    ws = load_workbook(path)[FORM_SHEET]
    cells = [
        (
            c.coordinate,
            c.value,
            c.data_type,
            c.quotePrefix,
            c.font.b,
            c.font.sz,
            c.font.color.rgb if c.font.color is not None else None,
            c.fill.fgColor.rgb,
            c.border.left.style,
            c.alignment.horizontal,
            c.alignment.wrap_text,
        )
        for row in ws.iter_rows()
        for c in row
        if type(c).__name__ != "MergedCell"
    ]
    heights = [ws.row_dimensions[i].height for i in range(1, ws.max_row + 1)]
    return (
        cells,
        heights,
        sorted(map(str, ws.merged_cells.ranges)),
        [b.id for b in ws.row_breaks.brk],
        ws.print_title_rows,
        ws.page_setup.orientation,
    )


def test_the_fast_form_writer_writes_what_the_cell_writer_writes(fixture_plan, tmp_path, monkeypatch):
    """入户核查表 is written as sheet XML built column-wise; read back, every cell (text, type, quote prefix, font,
    fill, border, alignment), row height, merge and page break equals the cell-by-cell openpyxl path — also for text
    that looks like a formula or holds XML's special characters."""
    import hgk_lib.visit.workbook as W

    run, plan, _ = fixture_plan
    hh = plan.households.copy()
    hh.loc[hh.index[0], "head_name"] = '=HYPERLINK("x") <b>&amp; 张 '
    plan = dataclasses.replace(plan, households=hh)
    fast = write_visit_plan(
        tmp_path / "fast.xlsx",
        plan,
        county_name=run.name,
        county_folder=run.county,
        params=run.params,
        provenance=run.provenance,
    )
    monkeypatch.setattr(W, "_write_form_fast", lambda *a: False)
    slow = write_visit_plan(
        tmp_path / "slow.xlsx",
        plan,
        county_name=run.name,
        county_folder=run.county,
        params=run.params,
        provenance=run.provenance,
    )
    a, b = _form_cells_seen(fast), _form_cells_seen(slow)
    assert a == b
    assert any(isinstance(c[1], str) and "<b>&amp; 张" in c[1] for c in a[0])
