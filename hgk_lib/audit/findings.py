"""Audit rows in the findings table (问题清单): problems the audit finds that are not one of the 95 rules but must
be rectified with a department and a deadline like any finding.

Today one kind: 公益性岗位不稳定（走读式） — an active member holding a 公益性岗位 for fewer than
``labour.pwj_min_months`` months (audit_standards.md, "Labour capacity class"; the audit's ``unstable_pwj`` table,
also shown in the helper sheet 公益性岗位不稳定). Each row has the columns of the rule engine's findings
(:data:`hgk_lib.rules.engine.FINDING_FIELDS`) with

* ``rule_id`` :data:`AUDIT_PWJ_ID` (分类施策: the audit section it comes from, also the campaign item source of
  hgk_lib.items), ``rule_name`` 公益性岗位不稳定（走读式）;
* ``level`` 政策 and ``department`` 扶贫办: a policy-implementation problem, so the ledger's deadline rule gives
  ``reference_date`` + 90 days (inside the audit year), as for every 政策 finding;
* ``unit`` 人, ``year`` the audit year, ``columns`` / ``values`` / ``message`` in Chinese like a rule's.

:func:`with_audit_findings` appends them to the rule engine's findings, so the ledger's 问题清单, summary.json and
the consistency checks all count the same rows.
"""

from __future__ import annotations

import pandas as pd

from ..rules.engine import FINDING_FIELDS

AUDIT_PWJ_ID = "分类施策"
AUDIT_PWJ_NAME = "公益性岗位不稳定（走读式）"
AUDIT_PWJ_LEVEL = "政策"
AUDIT_PWJ_DEPARTMENT = "扶贫办"
#: rule_id -> category (as rule_category gives 身份信息 ... for R01-R95) of the audit rows.
AUDIT_FINDING_CATEGORIES = {AUDIT_PWJ_ID: "分类施策"}


def _months_text(m: pd.Series) -> pd.Series:
    v = pd.to_numeric(m, errors="coerce")
    return v.map(lambda x: "空" if pd.isna(x) else (f"{int(x)}" if float(x).is_integer() else f"{x:g}")).astype(object)


def pwj_findings(unstable_pwj: pd.DataFrame, income: pd.DataFrame, params: dict, county: str = "") -> pd.DataFrame:
    """One finding per member of ``unstable_pwj`` (the audit's table), in its order; ``income`` (the audit's income
    view, one row per household) gives the household's 脱贫状态."""
    n_min = int(params["labour"]["pwj_min_months"])
    year = int(params["year"]["audit_year"])
    u = unstable_pwj.reset_index(drop=True)
    status = (
        income.drop_duplicates("hh_id").set_index("hh_id")["exit_status"] if len(income) else pd.Series(dtype=object)
    )
    post = u["post"].astype(object).where(u["post"].notna() & (u["post"].astype(object) != ""), None)
    months = _months_text(u["months"])
    post_txt = post.map(lambda x: "（空）" if x is None else f"“{x}”").astype(object)
    out = pd.DataFrame(
        {
            "county": county,
            "rule_id": AUDIT_PWJ_ID,
            "rule_name": AUDIT_PWJ_NAME,
            "level": AUDIT_PWJ_LEVEL,
            "department": AUDIT_PWJ_DEPARTMENT,
            "unit": "人",
            "part": None,
            "hh_id": u["hh_id"].astype(object),
            "person_id": u["person_id"].astype(object),
            "project_id": None,
            "category": None,
            "columns": "公益性岗位、公益性岗位（月数）",
            "values": post.fillna("").astype(str) + "；" + months,
            "message": (
                "公益性岗位" + post_txt + "仅" + months + f"个月，不足{n_min}个月（走读式），岗位不稳定，"
                "需稳定岗位或调整帮扶措施"
            ),
            "exit_status": u["hh_id"].map(status).astype(object),
        },
        index=u.index,
        dtype=object,
    )
    out["year"] = pd.array([year] * len(u), dtype="Int64")
    out["source_row"] = pd.array([pd.NA] * len(u), dtype="Int64")
    return out[FINDING_FIELDS]


def audit_findings(result, params: dict, county: str = "") -> pd.DataFrame:
    """Every audit row of 问题清单 for one county's :class:`~hgk_lib.audit.AuditResult` (FINDING_FIELDS)."""
    return pwj_findings(result.unstable_pwj, result.income, params, county)


def with_audit_findings(findings: pd.DataFrame, result, params: dict, county: str = "") -> pd.DataFrame:
    """The rule engine's ``findings`` with the audit's rows appended (same columns, a fresh index)."""
    extra = audit_findings(result, params, county)
    if extra.empty:
        return findings
    if findings is None or findings.empty:
        return extra.reset_index(drop=True)
    floats = [c for c in ("year", "source_row") if c in findings and findings[c].dtype.kind == "f"]
    extra = extra.astype({c: float for c in floats})  # a float column stays float (NaN for blank)
    return pd.concat([findings, extra], ignore_index=True)
