"""Entry points for wiring the campaign into ``hgk audit``, ``hgk spot-check evaluate`` and the city summary.

Each is one call at the end of an existing step (see the report of issue 12 for the exact call sites):

* :func:`audit_items` — every item one county's audit raises, from its result tables;
* :func:`reconcile_county` — open the year's record and reconcile one county's audit with it;
* :func:`record_evaluation` — the city's confirmed spot-check problems into the record;
* :func:`write_report_files` — 市汇总/回头看总结报告_<year>.docx and 省系统更正清单_<year>.xlsx.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..items import item_ids
from .record import Run, open_record, record_path
from .states import reconcile_audit

#: verdicts that need no campaign item (campaign.md §1)
PLAIN_VERDICTS = ["保持脱贫", "保持脱贫（兜底）"]
COLUMNS = [
    "item_id",
    "county",
    "hh_id",
    "person_id",
    "source",
    "rule_id",
    "description",
    "department",
    "deadline",
    "project_id",
    "field",
    "value",
]


def _ids(frame: pd.DataFrame, source: str, code) -> pd.Series:
    """The frame's own ``item_id`` (the saved results carry it) or, failing that, :func:`item_ids`."""
    if "item_id" in frame and frame["item_id"].notna().all():
        return frame["item_id"].astype(str)
    return item_ids(frame, source, code)


def _frame(df: pd.DataFrame, **cols) -> pd.DataFrame:
    out = pd.DataFrame({c: cols.get(c) for c in COLUMNS}, index=df.index)
    return out


def audit_items(
    county: str,
    year: int,
    *,
    findings: pd.DataFrame | None = None,
    needs: pd.DataFrame | None = None,
    verdicts: pd.DataFrame | None = None,
    dynamic: pd.DataFrame | None = None,
    classes: pd.DataFrame | None = None,
    params: dict | None = None,
) -> pd.DataFrame:
    """Every campaign item of one county's audit (columns :data:`COLUMNS`), from the result tables.

    findings → 规则 (deadline as the ledger's 整改时限); needs → 三保障; verdicts other than 保持脱贫 /
    保持脱贫（兜底） → 收入; dynamic → 动态管理; classes with 是否匹配 = 否 → 分类施策."""
    from ..report.ledger import deadlines

    parts = []
    empty_needs = pd.DataFrame(columns=["hh_id", "person_id", "problem_type", "deadline"])
    if findings is not None and len(findings):
        f = findings.reset_index(drop=True).copy()
        f["county"] = county
        if "field" not in f and "columns" in f:
            f["field"] = f["columns"]
        for c in ("level", "rule_id", "hh_id", "person_id", "message", "department", "project_id", "values"):
            if c not in f:
                f[c] = None
        parts.append(
            _frame(
                f,
                item_id=_ids(f, "规则", f["rule_id"]),
                county=county,
                hh_id=f["hh_id"],
                person_id=f["person_id"],
                source="规则",
                rule_id=f["rule_id"],
                description=f["message"],
                department=f["department"],
                deadline=(deadlines(f, needs if needs is not None else empty_needs, params, year) if params else None),
                project_id=f["project_id"],
                field=f["field"],
                value=f["values"],
            )
        )
    if needs is not None and len(needs):
        n = needs.reset_index(drop=True).assign(county=county)
        parts.append(
            _frame(
                n,
                item_id=_ids(n, "三保障", n["problem_type"]),
                county=county,
                hh_id=n["hh_id"],
                person_id=n.get("person_id"),
                source="三保障",
                rule_id=n["problem_type"],
                description=n.get("evidence"),
                department=n.get("department"),
                deadline=n.get("deadline"),
            )
        )
    if verdicts is not None and len(verdicts):
        v = verdicts[~verdicts["verdict"].isin(PLAIN_VERDICTS) & verdicts["verdict"].notna()].reset_index(drop=True)
        v = v.assign(county=county)
        parts.append(
            _frame(
                v,
                item_id=_ids(v, "收入", v["verdict"]),
                county=county,
                hh_id=v["hh_id"],
                source="收入",
                rule_id=v["verdict"],
                description=v.get("reasons"),
                department="扶贫办",
            )
        )
    if dynamic is not None and len(dynamic):
        d = dynamic.reset_index(drop=True).assign(county=county)
        parts.append(
            _frame(
                d,
                item_id=_ids(d, "动态管理", d["kind"]),
                county=county,
                hh_id=d["hh_id"],
                person_id=d.get("person_id"),
                source="动态管理",
                rule_id=d["kind"],
                description=d.get("basis"),
                department="扶贫办",
            )
        )
    if classes is not None and len(classes):
        m = classes["match"].astype(object)
        c = classes[m.isin([False, "否", 0])].reset_index(drop=True).assign(county=county)
        parts.append(
            _frame(
                c,
                item_id=_ids(c, "分类施策", "mismatch"),
                county=county,
                hh_id=c["hh_id"],
                source="分类施策",
                rule_id=c["labour_class"],
                description="建议措施：" + c["recommended"].astype(str) if "recommended" in c else None,
                department="扶贫办",
            )
        )
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def reconcile_county(
    out_root,
    year: int,
    county: str,
    items: pd.DataFrame,
    *,
    input_sha256: str,
    export_time: str | None,
    params_sha256: str | None = None,
    as_of=None,
    allow_older: bool = False,
) -> dict:
    """Reconcile one county's audit with ``<out_root>/<year>/campaign.sqlite`` (created on first use)."""
    con = open_record(record_path(out_root, year))
    try:
        run = Run(
            "audit",
            county=county,
            input_sha256=input_sha256,
            params_sha256=params_sha256,
            as_of=None if as_of is None else str(as_of),
            export_time=export_time,
        )
        return reconcile_audit(con, county, items, run, year=year, allow_older=allow_older)
    finally:
        con.close()


def record_evaluation(
    out_root,
    year: int,
    clean: pd.DataFrame,
    as_of,
    params: dict,
    county_of_sheet: dict | None = None,
    input_sha256: str | None = None,
) -> dict:
    """The city's inspected households (``hgk_lib.risk.estimate.validate_results``' ``clean``: sheet, hh_id,
    conclusion, verified, needs_note) into the record; ``county_of_sheet`` maps the list's sheet names to county
    folders (default: the sheet name is the folder)."""
    from .spotcheck import record_spot_check

    c = clean.copy()
    c["county"] = c["sheet"].map(county_of_sheet) if county_of_sheet else c["sheet"]
    con = open_record(record_path(out_root, year))
    try:
        return record_spot_check(con, c, as_of, params, year=year, input_sha256=input_sha256)
    finally:
        con.close()


def write_report_files(
    out_root,
    year: int,
    as_of,
    params: dict,
    *,
    facts: dict | None = None,
    estimates: pd.DataFrame | None = None,
    registry_incomes: pd.DataFrame | None = None,
    city: str = "",
) -> dict[str, Path]:
    """``<out_root>/<year>/市汇总/回头看总结报告_<year>.docx`` and ``省系统更正清单_<year>.xlsx`` from the record."""
    from .report import CORRECTIONS_NAME, REPORT_NAME, correction_list, write_correction_list, write_report_docx

    d = Path(out_root) / str(year) / "市汇总"
    d.mkdir(parents=True, exist_ok=True)
    con = open_record(record_path(out_root, year))
    try:
        docx = write_report_docx(d / REPORT_NAME.format(year=year), con, year, as_of, params, facts, estimates, city)
        xlsx = write_correction_list(
            d / CORRECTIONS_NAME.format(year=year), correction_list(con, registry_incomes), year
        )
    finally:
        con.close()
    return {"report": docx, "corrections": xlsx}
