"""The report to the province (campaign.md §5): the docx draft's numbers equal the record's; the correction list."""

from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pytest

from helpers.campaign_tables import COUNTY, IDS, YEAR, loop, write_ledger, write_plan
from hgk_lib.campaign.collect import collect
from hgk_lib.campaign.report import (
    CORRECTION_COLUMNS,
    SECTIONS,
    correction_list,
    report_numbers,
    write_correction_list,
    write_report_docx,
)
from hgk_lib.params import load_params

AS_OF = "2019-10-31"


@pytest.fixture
def con(tmp_path):
    c = loop(tmp_path / "2019")
    yield c
    c.close()


def doc_text(path) -> str:
    from docx import Document

    d = Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts += [" ".join(c.text for c in row.cells) for row in t.rows]
    return "\n".join(parts)


def test_report_sections_and_numbers_equal_the_record(con, tmp_path):
    est = pd.DataFrame(
        {
            "县": ["全市", "英德市"],
            "抽查户数": [120, 60],
            "问题户比例": [0.05, 0.0667],
            "下限": [0.0213, 0.0184],
            "上限": [0.1057, 0.1620],
        }
    )
    p = write_report_docx(
        tmp_path / f"回头看总结报告_{YEAR}.docx",
        con,
        YEAR,
        AS_OF,
        load_params(year=2019),
        facts={"households_audited": 1234},
        estimates=est,
        city="清远市",
    )
    text = doc_text(p)
    n = report_numbers(con, AS_OF)
    heads = [h for h in SECTIONS if h in text]
    assert heads == SECTIONS
    assert f"问题事项{n['items']}项，涉及{n['households']}户" in text
    st = n["by_state"]
    assert f"已销号{st['已销号']}项，销号率25.0%" in text and n["items"] == 8 and st["已销号"] == 2
    assert f"整改不实{st['整改不实']}项" in text and "逾期未销号问题逐项督办" in text
    assert f"超过整改时限仍未销号的{n['overdue']}项" in text and n["overdue"] == 6
    assert "共核查已脱贫户1234户" in text
    assert "有95%的把握认为实际比例在2.1%至10.6%之间" in text  # the interval said in words
    assert "抽查确认存在问题2户，其中县里已报整改或已销号的1户，县里未发现的1户" in text
    assert not re.search(r"\d{15,}", text)  # no ID-card or bank numbers


@pytest.mark.skipif(not (shutil.which("libreoffice") or shutil.which("soffice")), reason="LibreOffice not installed")
def test_report_converts_to_pdf(con, tmp_path):
    p = write_report_docx(tmp_path / "r.docx", con, YEAR, AS_OF, load_params(year=2019))
    exe = shutil.which("libreoffice") or shutil.which("soffice")
    r = subprocess.run(
        [
            exe,
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(p),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if "could not be loaded" in r.stderr + r.stdout:
        pytest.skip("LibreOffice Writer not installed (only Calc)")
    pdf = tmp_path / "r.pdf"
    assert pdf.exists() and pdf.stat().st_size > 1000
    if shutil.which("pdftotext"):
        out = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout)
        n = report_numbers(con, AS_OF)
        assert (
            "四、整改情况" in out and f"问题事项{n['items']}项" in out and f"已销号{n['by_state']['已销号']}项" in out
        )


def test_correction_list(tmp_path):
    from helpers.campaign_tables import make_record

    out = tmp_path / "2019"
    con = make_record(out / "campaign.sqlite")
    con.execute(
        "UPDATE items SET field = '贫困人口信息.证件号码', value = '441881199001011234' WHERE item_id = ?", (IDS[0],)
    )
    from openpyxl import load_workbook

    p = write_ledger(out, [(IDS[0], "已整改", "已更正身份证号"), (IDS[1], "整改中", None)])
    wb = load_workbook(p)
    ws = wb["问题清单"]
    ws.cell(1, ws.max_column + 1, "核实值")
    ws.cell(2, ws.max_column, "44188119900101123X")
    ws.cell(3, ws.max_column, "not closed: not listed")
    wb.save(p)
    write_plan(out, [("H1", "已走访", 9100, "张三", "2019-10-03"), ("H2", "已走访", 8000, "张三", "2019-10-03")], [])
    collect(con, out, YEAR, as_of="2019-10-15")
    reg = pd.DataFrame({"county": COUNTY, "hh_id": ["H1", "H2"], "recorded_pc": [8800.0, 8000.0]})
    cl = correction_list(con, reg)
    assert list(cl.columns) == CORRECTION_COLUMNS
    assert len(cl) == 2  # H2's verified income equals the system's: nothing to change
    inc = cl[cl["字段"] == "人均可支配收入"].iloc[0]
    assert (inc["户编号"], inc["系统原值"], inc["核实值"], inc["表"]) == ("H1", 8800.0, 9100.0, "收入信息")
    assert "走访清单" in inc["依据"]
    idr = cl[cl["字段"] == "证件号码"].iloc[0]
    assert (idr["表"], idr["系统原值"], idr["核实值"], idr["事项编号"]) == (
        "贫困人口信息",
        "441881199001011234",
        "44188119900101123X",
        IDS[0],
    )
    x = write_correction_list(out / "省系统更正清单_2019.xlsx", cl, YEAR)
    ws = load_workbook(x)["更正清单"]
    assert [c.value for c in ws[1]] == CORRECTION_COLUMNS
    assert ws.cell(3, 7).value == "44188119900101123X"  # full numbers: an inspectors' file
    con.close()


def test_estimates_from_evaluation_summary():
    from hgk_lib.campaign.report import estimates_from_evaluation

    s = pd.DataFrame(
        {
            "county": ["英德市", "连州市", "全市"],
            "inspected": [60, 0, 60],
            "p": [0.05, None, 0.05],
            "p_lo": [0.01, None, 0.01],
            "p_hi": [0.14, None, 0.14],
        }
    )
    e = estimates_from_evaluation(s)
    assert e["县"].tolist() == ["全市", "英德市"] and e["抽查户数"].tolist() == [60, 60]
