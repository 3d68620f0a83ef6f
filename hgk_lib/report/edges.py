"""Verdict edge cases as the reports show them (audit_standards.md, "Verdict", row 6a and the household without an
active member), read from a county's ``summary.json`` counts so the ledger's 汇总, the county report and the city
summary show the same numbers.

* 收入待核实: an exited household with no usable audit-year income row (and not judged by the safety-net rows 3–5);
  quality C, never counted as kept, always visited to verify the income at the door.
* 无正常成员: a household whose every member is 自然减少 or 清退 (or has no member rows) gets no verdict; it is a
  dynamic-management case (空挂户 / 整户自然减少 / 整户清退) listed in 动态管理 and counted apart.
"""

from __future__ import annotations

import pandas as pd

from .summary import EMPTY_KINDS, V_INCOME_UNVERIFIED, VERDICTS


def verdict_counts_with_unverified(summary: dict) -> dict:
    """The summary's verdict counts with 收入待核实 always listed (0 included), in the verdict table's order."""
    v = dict(summary.get("verdicts") or {})
    v.setdefault(V_INCOME_UNVERIFIED, int((summary.get("households") or {}).get("income_unverified") or 0))
    return {k: v[k] for k in [x for x in VERDICTS if x in v] + sorted(x for x in v if x not in VERDICTS)}


def verdict_edge_table(summary: dict) -> pd.DataFrame:
    """项目 · 户数 · 说明: 收入待核实 and the households without an active member (by kind), for the county report."""
    hh = summary.get("households") or {}
    dyn = summary.get("dynamic") or {}
    rows = [
        (
            "收入待核实",
            int(hh.get("income_unverified") or 0),
            "已脱贫户无核查年度可用收入记录：脱贫质量C，不计入保持脱贫，全部列入入户核查，入户核实收入",
        ),
        (
            "无正常成员的户（不作核查结论）",
            int(hh.get("no_active_member") or 0),
            "成员均为自然减少或清退，或无成员记录：列入台账“动态管理”，不计入核查结论",
        ),
        ("其中已脱贫户", int(hh.get("exited_no_active_member") or 0), "已脱贫户数 = 给出核查结论的户数 + 本项"),
    ]
    rows += [(f"其中{k}", int(dyn.get(k) or 0), "动态管理类型") for k in EMPTY_KINDS]
    return pd.DataFrame(rows, columns=["项目", "户数", "说明"])
