"""``summary.json``: the machine-readable counts of one county run, read by the city roll-up.

No personal data: only counts, codes, file names and hashes. Keys are sorted when written; the run time sits in
``run.time_utc`` (and ``provenance.run_time_utc``) so two runs on the same inputs compare equal once
:func:`strip_volatile` has removed them.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from ..schema import EXITED, MEMBER_STATUSES
from ..io.safe import write_text_atomic
from .provenance import params_digest

SUMMARY_VERSION = 1

#: Catalogue categories by rule number (rules_catalog.md sections 1-9).
RULE_CATEGORIES = [
    ("身份信息", 1, 9),
    ("家庭结构", 10, 18),
    ("人员属性", 19, 31),
    ("收入", 32, 44),
    ("社会保障与兜底", 45, 51),
    ("两不愁三保障", 52, 61),
    ("动态管理", 62, 71),
    ("帮扶措施与项目库", 72, 87),
    ("部门数据比对", 88, 95),
]
LEVELS = ["错误", "警告", "政策"]
try:  # the audit's own labels (one source); the literal lists are the same, for a report-only install
    from ..audit.dynamic import EMPTY_KINDS
    from ..audit.findings import AUDIT_FINDING_CATEGORIES
    from ..audit.verdicts import QUALITIES, V_INCOME_UNVERIFIED, VERDICTS
except ImportError:  # pragma: no cover
    VERDICTS = [
        "返贫",
        "退回未脱贫",
        "兜底未落实",
        "保持脱贫（兜底）",
        "保持脱贫（限期整改）",
        "收入未达标",
        "收入待核实",
        "保持脱贫",
    ]
    QUALITIES = ["A 稳定", "B 不稳定", "C 差距大"]
    V_INCOME_UNVERIFIED = "收入待核实"
    EMPTY_KINDS = ["整户自然减少", "整户清退", "空挂户"]
    AUDIT_FINDING_CATEGORIES = {"分类施策": "分类施策"}

#: Column contract of each AuditResult frame (used when a frame is missing).
AUDIT_FRAMES = {
    "income": [
        "hh_id",
        "township",
        "village",
        "head_name",
        "exit_status",
        "active_n",
        "recorded_n",
        "disposable_fen",
        "income_pc_fen",
        "income_pc",
        "recorded_pc",
        "income_diff",
        "policy_share",
        "income_finding",
    ],
    "verdicts": [
        "hh_id",
        "township",
        "village",
        "head_name",
        "labour_class",
        "active_n",
        "recorded_pc",
        "income_pc",
        "income_diff",
        "policy_share",
        "verdict",
        "return_cause",
        "quality",
        "reasons",
    ],
    "needs": ["hh_id", "person_id", "problem_type", "department", "evidence", "deadline", "resolvable"],
    "sector": ["hh_id", "person_id", "issue", "department", "evidence"],
    "classes": ["hh_id", "labour_class", "recommended", "measures_this_year", "match", "quality"],
    "unstable_pwj": ["hh_id", "person_id", "post", "months"],
    "measure_gaps": ["hh_id", "year", "stage", "problem", "income_pc", "exit_line", "below_line"],
    "project_findings": ["project_id", "project_name", "rule_id", "description"],
    "beneficiaries": [
        "project_id",
        "project_name",
        "declared_hh",
        "linked_hh",
        "declared_people",
        "linked_people",
        "difference",
    ],
    "dynamic": ["hh_id", "person_id", "kind", "basis", "source"],
}


def audit_frame(audit, name: str) -> pd.DataFrame:
    """``audit.<name>`` (AuditResult attribute or dict key) with every contract column present; empty if absent."""
    if audit is None:
        df = None
    elif isinstance(audit, dict):
        df = audit.get(name)
    else:
        df = getattr(audit, name, None)
    return with_columns(df, AUDIT_FRAMES.get(name, []))


def audit_notes(audit) -> list[str]:
    notes = audit.get("notes") if isinstance(audit, dict) else getattr(audit, "notes", None)
    return [str(n) for n in (notes or [])]


def rule_category(rule_id: pd.Series) -> pd.Series:
    """Catalogue category (Chinese) of each rule id ``R05``; the audit rows' own category (``分类施策``, see
    hgk_lib/audit/findings.py); None for other ids."""
    num = pd.to_numeric(rule_id.astype(object).astype(str).str.extract(r"(\d+)", expand=False), errors="coerce")
    conds = [((num >= lo) & (num <= hi)).fillna(False).to_numpy(dtype=bool) for _, lo, hi in RULE_CATEGORIES]
    cats = np.select(conds, [np.array(name, dtype=object) for name, _, _ in RULE_CATEGORIES], default=None)
    out = pd.Series(cats.astype(object), index=rule_id.index, dtype=object)
    audit = rule_id.astype(object).map(AUDIT_FINDING_CATEGORIES)
    return out.where(audit.isna(), audit)


def _counts(s: pd.Series, order: list[str] | None = None) -> dict[str, int]:
    """Value counts as a plain dict (blank counted as 未填), listed order first then the rest sorted."""
    s = s.astype(object).where(s.notna(), "未填").astype(str)
    vc = s.value_counts()
    keys = [k for k in (order or []) if k in vc.index] + sorted(k for k in vc.index if k not in (order or []))
    return {k: int(vc[k]) for k in keys}


def _flag(s: pd.Series) -> pd.Series:
    """是/否-like values -> 是/否/None (booleans, nullable booleans, 1/0, 是/否 text)."""
    from ..derive import yes_no_text

    return s.astype(object).map(yes_no_text)


def _truthy(s: pd.Series) -> pd.Series:
    return (_flag(s) == "是").astype(bool)


def _falsy(s: pd.Series) -> pd.Series:
    return (_flag(s) == "否").astype(bool)


def _n_unique(s: pd.Series) -> int:
    return int(s.dropna().astype(str).loc[lambda x: x != ""].nunique())


def with_columns(df, cols) -> pd.DataFrame:
    """A copy of ``df`` with every column of ``cols`` present (None-filled); an empty frame for ``None``."""
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    df = df.copy()
    for c in cols:
        if c not in df:
            df[c] = None
    return df


def row_counts(row_ledger: pd.DataFrame | None) -> dict[str, dict[str, int]]:
    """Per table: rows read / loaded / quarantined (summed over the table's files)."""
    rl = with_columns(row_ledger, ["table", "file", "rows_read", "rows_loaded", "rows_quarantined"])
    if rl.empty:
        return {}
    num = rl[["rows_read", "rows_loaded", "rows_quarantined"]].apply(pd.to_numeric, errors="coerce").fillna(0)
    num["table"] = rl["table"].astype(object).astype(str)
    g = num.groupby("table", sort=True).sum()
    return {t: {k: int(v) for k, v in row.items()} for t, row in g.iterrows()}


def build_county_summary(
    *,
    county_folder: str,
    county_name: str,
    year: int,
    findings: pd.DataFrame | None,
    rule_summary: pd.DataFrame | None,
    audit,
    quarantine: pd.DataFrame | None,
    row_ledger: pd.DataFrame | None,
    files: pd.DataFrame | None,
    params,
    provenance: dict | None,
    households: pd.DataFrame | None = None,
    members: pd.DataFrame | None = None,
    **_ignored,
) -> dict:
    """Counts of one county run (JSON-serialisable, no personal data). Accepts the same keywords as
    :func:`hgk_lib.report.ledger.write_county_ledger` so a caller can pass one mapping to both."""
    provenance = dict(provenance or {})
    f = with_columns(findings, ["rule_id", "level", "department", "hh_id", "person_id", "project_id"])
    f["category"] = rule_category(f["rule_id"])
    verdicts = audit_frame(audit, "verdicts")
    needs = audit_frame(audit, "needs")
    income = audit_frame(audit, "income")
    classes = audit_frame(audit, "classes")
    q = with_columns(quarantine, ["table", "file", "sheet", "row", "column", "value", "reason"])
    rs = with_columns(rule_summary, ["rule_id", "status"])

    hh = households if households is not None else pd.DataFrame(columns=["hh_id"])
    n_hh = _n_unique(hh["hh_id"]) if "hh_id" in hh else 0
    if "exit_status" in hh:
        exited = (
            int(hh.drop_duplicates("hh_id")["exit_status"].isin(EXITED).sum())
            if "hh_id" in hh
            else int(hh["exit_status"].isin(EXITED).sum())
        )
    else:
        exited = len(verdicts)
    people = active = None
    if members is not None:
        people = int(len(members))
        if "member_status" in members:
            active = int((members["member_status"].astype(object) == MEMBER_STATUSES[0]).sum())
    resolvable = _truthy(needs["resolvable"])
    empty = no_active_households(audit, households)

    code = str(county_folder).split("_")[0] if county_folder else None
    out: dict[str, Any] = {
        "summary_version": SUMMARY_VERSION,
        "county": {"folder": county_folder, "code": code, "name": county_name},
        "year": int(year),
        "households": {
            "audited": n_hh,
            "exited": exited,
            "verdicts_given": int(len(verdicts)),
            "income_rows": int(len(income)),
            "with_findings": _n_unique(f["hh_id"]),
            "income_unverified": int((verdicts["verdict"].astype(object) == V_INCOME_UNVERIFIED).sum()),
            "no_active_member": int(len(empty)),
            "exited_no_active_member": int(empty["exited"].sum()),
        },
        "people": {"audited": people, "active": active},
        "verdicts": _counts(verdicts["verdict"], VERDICTS),
        "quality": _counts(verdicts["quality"] if verdicts["quality"].notna().any() else classes["quality"], QUALITIES),
        "findings": {
            "total": int(len(f)),
            "by_level": _counts(f["level"], LEVELS),
            "by_department": _counts(f["department"]),
            "by_category": _counts(f["category"], [c for c, _, _ in RULE_CATEGORIES]),
            "by_rule": _counts(f["rule_id"]),
        },
        "needs": {
            "total": int(len(needs)),
            "by_type": _counts(needs["problem_type"]),
            "by_department": _counts(needs["department"]),
            "resolvable_this_year": int(resolvable.sum()),
            "households": _n_unique(needs["hh_id"]),
        },
        "classes": {
            "mismatch": int(_falsy(classes["match"]).sum()),
            "by_labour_class": _counts(classes["labour_class"]),
        },
        "measure_gaps": int(len(audit_frame(audit, "measure_gaps"))),
        "project_findings": int(len(audit_frame(audit, "project_findings"))),
        "dynamic": _counts(audit_frame(audit, "dynamic")["kind"]),
        "sector": _counts(audit_frame(audit, "sector")["department"]),
        "unstable_pwj": int(len(audit_frame(audit, "unstable_pwj"))),
        "rules": {"by_status": _counts(rs["status"]), "total": int(len(rs))},
        "rows": row_counts(row_ledger),
        "quarantine": {"total": int(len(q)), "by_table": _counts(q["table"])},
        "inputs": [{k: r.get(k) for k in ("table", "file", "sha256", "bytes")} for r in provenance.get("inputs", [])]
        or _inputs_from_files(files),
        "params_sha256": provenance.get("params_sha256") or params_digest(params),
        "seed": provenance.get("seed"),
        "versions": {
            "hgk": provenance.get("hgk_version"),
            "python": provenance.get("python"),
            **(provenance.get("packages") or {}),
        },
        "run": {"time_utc": provenance.get("run_time_utc")},
    }
    return _plain(out)


def no_active_households(audit, households: pd.DataFrame | None = None) -> pd.DataFrame:
    """Households without an active member (audit 动态管理 rows of a household-level kind): ``hh_id``, ``kind``,
    ``exited`` (脱贫状态 from the audit's income view, else from ``households``). They get no verdict."""
    dyn = audit_frame(audit, "dynamic")
    dyn = dyn[dyn["kind"].astype(object).isin(EMPTY_KINDS)].drop_duplicates("hh_id")
    status = audit_frame(audit, "income")[["hh_id", "exit_status"]]
    if households is not None and "exit_status" in households and "hh_id" in households:
        status = pd.concat([status, households[["hh_id", "exit_status"]]])
    status = status.dropna(subset=["hh_id"]).drop_duplicates("hh_id").set_index("hh_id")["exit_status"]
    return pd.DataFrame(
        {
            "hh_id": dyn["hh_id"].to_numpy(dtype=object),
            "kind": dyn["kind"].to_numpy(dtype=object),
            "exited": dyn["hh_id"].map(status).isin(EXITED).to_numpy(dtype=bool),
        }
    )


def _inputs_from_files(files) -> list[dict]:
    from .provenance import input_files

    return [{k: r[k] for k in ("table", "file", "sha256", "bytes")} for r in input_files(files)]


def _plain(obj):
    """numpy/pandas scalars -> Python; NaN -> None (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return None if math.isnan(float(obj)) else float(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, (pd.Timestamp,)):
        return obj.isoformat()
    return obj


def strip_volatile(obj):
    """A copy without the run-time fields, for comparing two runs."""
    if isinstance(obj, dict):
        return {k: strip_volatile(v) for k, v in obj.items() if k not in ("run", "run_time_utc", "time_utc")}
    if isinstance(obj, list):
        return [strip_volatile(v) for v in obj]
    return obj


def write_json_atomic(path, obj) -> None:
    """Write ``obj`` as UTF-8 JSON (sorted keys, indented, Chinese kept readable), atomically."""
    text = json.dumps(_plain(obj), sort_keys=True, ensure_ascii=False, indent=2, allow_nan=False, default=str)
    write_text_atomic(path, text + "\n")


def read_json(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
