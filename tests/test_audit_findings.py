"""The audit's own rows of 问题清单 (hgk_lib/audit/findings.py): 公益性岗位 held under ``pwj_min_months`` is a
finding with a department and a deadline, not only a line in a helper sheet."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

import helpers.report_tables as F
from hgk_lib.audit import audit_county, audit_findings, with_audit_findings
from hgk_lib.report.ledger import write_county_ledger
from hgk_lib.report.summary import build_county_summary
from hgk_lib.rules.engine import FINDING_FIELDS
from helpers.audit_tables import county, household, income, member, params


@pytest.mark.parametrize("months,listed", [(5, True), (6, False)])  # both sides of pwj_min_months = 6
def test_short_public_welfare_job_is_a_finding(months, listed):
    m = member("H1", pwj_post="护林员", pwj_months=months)
    r = audit_county(county([household("H1")], [m], [income("H1")]), params())
    f = audit_findings(r, params(), "441881_英德市")
    assert list(f.columns) == FINDING_FIELDS
    assert len(f) == (1 if listed else 0)
    if listed:
        row = f.iloc[0]
        assert (row["rule_id"], row["rule_name"], row["level"], row["department"]) == (
            "分类施策",
            "公益性岗位不稳定（走读式）",
            "政策",
            "扶贫办",
        )
        assert row["hh_id"] == "H1" and row["person_id"] == m["person_id"] and row["year"] == 2019
        assert row["exit_status"] == "已脱贫（享受政策）" and row["county"] == "441881_英德市"
        assert row["message"] == "公益性岗位“护林员”仅5个月，不足6个月（走读式），岗位不稳定，需稳定岗位或调整帮扶措施"


def test_threshold_comes_from_params():
    m = member("H1", pwj_post="护林员", pwj_months=6)
    p = params(labour__pwj_min_months=7)
    r = audit_county(county([household("H1")], [m], [income("H1")]), p)
    f = audit_findings(r, p)
    assert len(f) == 1 and "不足7个月" in f.iloc[0]["message"]


def test_appended_to_rule_findings_keeping_their_types():
    m = member("H1", pwj_post="护林员", pwj_months=3)
    r = audit_county(county([household("H1")], [m], [income("H1")]), params())
    rules = F.findings()
    both = with_audit_findings(rules, r, params(), "441881_英德市")
    assert len(both) == len(rules) + 1 and both.index.is_unique
    assert both["year"].dtype == rules["year"].dtype and both["year"].iloc[-1] == 2019
    assert (
        with_audit_findings(
            rules, audit_county(county([household("H1")], [member("H1")], [income("H1")]), params()), params()
        )
        is rules
    )


def test_listed_in_problem_list_with_department_and_deadline(tmp_path):
    m = member("4418810101001", pwj_post="护林员", pwj_months=3)
    r = audit_county(county([household("4418810101001")], [m], [income("4418810101001")]), params())
    kw = F.ledger_kwargs()
    kw["findings"] = with_audit_findings(kw["findings"], r, params(), "441881_英德市")
    path = tmp_path / "回头看台账_英德市_2019.xlsx"
    write_county_ledger(path, **kw)
    ws = openpyxl.load_workbook(path)["问题清单"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, [c.value for c in row])) for row in ws.iter_rows(min_row=2)]
    pwj = [x for x in rows if x["规则编号"] == "分类施策"]
    assert len(pwj) == 1 and len(rows) == len(kw["findings"])
    x = pwj[0]
    assert x["责任部门"] == "扶贫办" and x["级别"] == "政策" and x["整改状态"] == "未整改"
    assert pd.Timestamp(x["整改时限"]) == pd.Timestamp("2019-12-29")  # reference date + 90 days (政策)
    s = build_county_summary(**kw)
    assert s["findings"]["total"] == len(kw["findings"]) and s["findings"]["by_category"]["分类施策"] == 1
