"""The desk audit of one county (audit_standards.md): income recomputation, verdicts for exited households, open
basic-needs problems with departments and deadlines, labour classes and measures, measures history, project
beneficiaries and dynamic-management candidates.

Entry point: :func:`audit_county`. Outputs are findings and recommendations only: nothing here removes or changes a
household or a member. See docs/audit.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pandas as pd

from ..params import NEED_TYPES
from ..schema import EXITED
from .common import LABOUR_CLASSES, audit_params, prepare
from .dynamic import DYNAMIC_COLUMNS, EMPTY_KINDS, KINDS, dynamic_table
from .findings import audit_findings, with_audit_findings
from .history import GAP_COLUMNS, measure_gaps
from .income import INCOME_COLUMNS, income_table
from .labour import CLASSES_COLUMNS, PWJ_COLUMNS, classes_table, labour_class, unstable_pwj
from .needs import NEEDS_COLUMNS, SECTOR_COLUMNS, needs_table, sector_table
from .projects import BENEFICIARY_COLUMNS, PROJECT_FINDING_COLUMNS, beneficiaries, project_findings
from .verdicts import KEPT, QUALITIES, RETURN_CAUSES, V_INCOME_UNVERIFIED, VERDICT_COLUMNS, VERDICTS, verdict_table

#: The exact English columns of every table of :class:`AuditResult`, in order (the workbook writer maps them).
COLUMNS: dict[str, list[str]] = {
    "income": INCOME_COLUMNS,
    "verdicts": VERDICT_COLUMNS,
    "needs": NEEDS_COLUMNS,
    "sector": SECTOR_COLUMNS,
    "classes": CLASSES_COLUMNS,
    "unstable_pwj": PWJ_COLUMNS,
    "measure_gaps": GAP_COLUMNS,
    "project_findings": PROJECT_FINDING_COLUMNS,
    "beneficiaries": BENEFICIARY_COLUMNS,
    "dynamic": DYNAMIC_COLUMNS,
}


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS[name]})


@dataclass
class AuditResult:
    """One county's audit. Every DataFrame has exactly the columns of :data:`COLUMNS`; ``notes`` lists in Chinese
    what was not run and why."""

    income: pd.DataFrame = field(default_factory=lambda: _empty("income"))
    verdicts: pd.DataFrame = field(default_factory=lambda: _empty("verdicts"))
    needs: pd.DataFrame = field(default_factory=lambda: _empty("needs"))
    sector: pd.DataFrame = field(default_factory=lambda: _empty("sector"))
    classes: pd.DataFrame = field(default_factory=lambda: _empty("classes"))
    unstable_pwj: pd.DataFrame = field(default_factory=lambda: _empty("unstable_pwj"))
    measure_gaps: pd.DataFrame = field(default_factory=lambda: _empty("measure_gaps"))
    project_findings: pd.DataFrame = field(default_factory=lambda: _empty("project_findings"))
    beneficiaries: pd.DataFrame = field(default_factory=lambda: _empty("beneficiaries"))
    dynamic: pd.DataFrame = field(default_factory=lambda: _empty("dynamic"))
    notes: list = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "notes"}


def audit_county(
    tables: dict[str, pd.DataFrame],
    params: dict,
    findings: pd.DataFrame | None = None,
    verified: pd.DataFrame | None = None,
) -> AuditResult:
    """Audit one county.

    ``tables``: canonical tables (:mod:`hgk_lib.schema`; optional department lists may be absent).
    ``params``: the validated mapping of :func:`hgk_lib.params.load_params`.
    ``findings``: the rule engine's findings table (measures history = its R73-R75 rows; project findings = its
    R80-R85 and R72(b) rows). When ``None``, the measures history is computed here by the same definition and the
    project findings are left empty with a note.
    ``verified``: incomes verified at the door (hh_id · income_pc · visit_date · origin; the campaign record's
    visit read-back): they replace the recomputed income in those households' verdicts (依据 says so).
    """
    p = audit_params(params)
    base = prepare(tables, p)
    notes = list(base.notes)
    all_hh = set(tables["household"]["hh_id"].dropna().astype(object))

    income, n = income_table(base)
    notes += n
    cls = labour_class(base)
    needs, n = needs_table(base, cls)
    notes += n
    sector, n = sector_table(base)
    notes += n
    verdicts = verdict_table(base, income, needs, cls, verified)
    kept = verdicts[verdicts["verdict"].isin(KEPT)]
    quality = pd.Series(kept["quality"].to_numpy(dtype=object), index=kept["hh_id"].to_numpy(dtype=object))
    classes = classes_table(base, cls, quality)
    pwj = unstable_pwj(base)
    gaps, n = measure_gaps(base, findings)
    notes += n
    pf, n = project_findings(base, findings)
    notes += n
    ben, n = beneficiaries(base, all_hh)
    notes += n
    dyn, n = dynamic_table(base)
    notes += n
    for name in [t for t in ("police", "medical", "civil", "housing", "education") if t not in base.lists]:
        notes.append(_MISSING_LIST_NOTES[name])
    return AuditResult(
        income=income[INCOME_COLUMNS].reset_index(drop=True),
        verdicts=verdicts,
        needs=needs,
        sector=sector,
        classes=classes,
        unstable_pwj=pwj,
        measure_gaps=gaps,
        project_findings=pf,
        beneficiaries=ben,
        dynamic=dyn,
        notes=list(dict.fromkeys(notes)),
    )


_MISSING_LIST_NOTES = {
    "police": "未提供公安_户籍：正常成员按人员状态认定（未核对死亡、迁出），自然减少未核查",
    "medical": "未提供医保_参保：未参加基本医疗保险仅按贫困人口信息判断",
    "civil": "未提供民政_低保特困：低保、特困兜底仅按贫困人口信息判断",
    "housing": "未提供住建_危房：住房安全仅按贫困户信息（是否危房户、危房级别）判断",
    "education": "未提供教育_学籍：义务教育失学辍学仅按贫困人口信息判断",
}


def verdict_counts(result: AuditResult) -> pd.DataFrame:
    """Households per verdict, every verdict listed (in the verdict table's order), with its share."""
    counts = result.verdicts["verdict"].value_counts().reindex(VERDICTS, fill_value=0).astype(int)
    total = int(counts.sum())
    return pd.DataFrame(
        {
            "verdict": VERDICTS,
            "households": counts.to_numpy(),
            "share": (counts / total).to_numpy() if total else [0.0] * len(VERDICTS),
        }
    )


def _counts(s: pd.Series, keys: list | None = None) -> dict:
    vc = s.dropna().astype(str).value_counts()
    if keys is not None:
        vc = vc.reindex([str(k) for k in keys], fill_value=0)
    return {str(k): int(v) for k, v in vc.items()}


def no_verdict_households(result: AuditResult) -> pd.DataFrame:
    """Households without an active member (``hh_id``, ``exit_status``, ``kind``): no verdict, counted apart."""
    dyn = result.dynamic[result.dynamic["kind"].isin(EMPTY_KINDS)][["hh_id", "kind"]]
    status = (
        result.income.drop_duplicates("hh_id").set_index("hh_id")["exit_status"]
        if len(result.income)
        else pd.Series(dtype=object)
    )
    return dyn.assign(exit_status=dyn["hh_id"].map(status))[["hh_id", "exit_status", "kind"]].reset_index(drop=True)


def summary_counts(result: AuditResult) -> dict:
    """Tidy, JSON-serialisable counts for the county's summary.json."""
    v, nd = result.verdicts, result.needs
    empty = no_verdict_households(result)
    empty_exited = empty[empty["exit_status"].isin(EXITED)]
    return {
        "households": int(len(result.income)),
        "exited_households": int(len(v) + len(empty_exited)),
        "verdicts_given": int(len(v)),
        "income_unverified": int((v["verdict"] == V_INCOME_UNVERIFIED).sum()),
        "no_active_member": int(len(empty)),
        "exited_no_active_member": int(len(empty_exited)),
        "verdicts": _counts(v["verdict"], VERDICTS),
        "return_causes": _counts(v["return_cause"], RETURN_CAUSES + ["其他"]),
        "quality": _counts(v["quality"], QUALITIES),
        "income_findings": int(result.income["income_finding"].astype(bool).sum()) if len(result.income) else 0,
        "needs_problems": int(len(nd)),
        "needs_households": int(nd["hh_id"].nunique()) if len(nd) else 0,
        "needs_by_type": _counts(nd["problem_type"], NEED_TYPES),
        "needs_by_department": _counts(nd["department"]),
        "needs_unresolvable": int((~nd["resolvable"].astype(bool)).sum()) if len(nd) else 0,
        "sector_by_department": _counts(result.sector["department"]),
        "labour_classes": _counts(result.classes["labour_class"], LABOUR_CLASSES),
        "class_mismatches": int((~result.classes["match"].astype(bool)).sum()) if len(result.classes) else 0,
        "unstable_pwj": int(len(result.unstable_pwj)),
        "measure_gaps": int(len(result.measure_gaps)),
        "measure_gap_households": int(result.measure_gaps["hh_id"].nunique()) if len(result.measure_gaps) else 0,
        "project_findings": int(len(result.project_findings)),
        "beneficiary_mismatches": int((result.beneficiaries["difference"].fillna(0) != 0).sum())
        if len(result.beneficiaries)
        else 0,
        "dynamic_by_kind": _counts(result.dynamic["kind"], KINDS),
        "notes": [str(x) for x in result.notes],
    }


__all__ = [
    "AuditResult",
    "COLUMNS",
    "audit_county",
    "verdict_counts",
    "summary_counts",
    "no_verdict_households",
    "audit_findings",
    "with_audit_findings",
    "VERDICTS",
]
