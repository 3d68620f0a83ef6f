"""Build one county's visit plan from the audit's tables, and write it for a county run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .items import visit_items
from .path import exit_path
from .plan import check_items, order_items, trips_saved, village_summary, visit_households

DEFAULT_FIRST_YEAR = 2016


@dataclass
class VisitPlan:
    """One county's visit plan: items (核查事项), households (走访清单), villages (按村汇总), the households'
    脱贫路径 and members (for the forms) and the trips figure."""

    items: pd.DataFrame
    households: pd.DataFrame
    villages: pd.DataFrame
    path: pd.DataFrame
    members: pd.DataFrame
    trips: dict = field(default_factory=dict)
    county: str = ""
    year: int = 0


def _frame(audit, name: str) -> pd.DataFrame | None:
    if audit is None:
        return None
    return audit.get(name) if isinstance(audit, dict) else getattr(audit, name, None)


def build_visit_plan(
    *,
    findings: pd.DataFrame | None,
    audit,
    tables: dict,
    params: dict,
    catalogue: dict,
    county: str,
    integrity: pd.DataFrame | None = None,
) -> VisitPlan:
    """The visit plan of one county.

    ``audit``: the AuditResult (or a dict of its frames: verdicts, needs, dynamic, classes, income);
    ``tables``: the canonical tables (household, member, measure, income); ``integrity``: optional
    (hh_id, indicator, text) of flagged integrity units."""
    year = int(params["year"]["audit_year"])
    items = visit_items(
        findings=findings,
        catalogue=catalogue,
        params=params,
        verdicts=_frame(audit, "verdicts"),
        needs=_frame(audit, "needs"),
        dynamic=_frame(audit, "dynamic"),
        classes=_frame(audit, "classes"),
        integrity=integrity,
        county=county,
    )
    check_items(items)
    hh = tables.get("household")
    plan = visit_households(items, hh)
    items = order_items(items, plan)
    first = int((params.get("measures") or {}).get("first_year", DEFAULT_FIRST_YEAR))
    hh_frame = hh if hh is not None else pd.DataFrame({"hh_id": plan["hh_id"]})
    path = exit_path(
        hh_frame,
        tables.get("measure"),
        tables.get("income"),
        first_year=first,
        audit_year=year,
        checked=_frame(audit, "income"),
        hh_ids=plan["hh_id"],
    )
    members = tables.get("member")
    if members is not None and "hh_id" in members:
        from ..items import key_text

        members = members[key_text(members["hh_id"]).isin(set(plan["hh_id"]))]
    else:
        members = pd.DataFrame(columns=["hh_id"])
    return VisitPlan(
        items=items,
        households=plan,
        villages=village_summary(plan),
        path=path,
        members=members,
        trips=trips_saved(items),
        county=county,
        year=year,
    )


def plan_file_name(county_name: str, year: int) -> str:
    return f"入户核查计划_{county_name}_{int(year)}.xlsx"


def with_campaign(
    plan: VisitPlan,
    states: pd.DataFrame | None = None,
    households: pd.DataFrame | None = None,
    checks: pd.DataFrame | None = None,
) -> VisitPlan:
    """The plan as regenerated during the campaign: each item's state in the record (``states``: item_id · state),
    and what the county wrote in its last visit plan and ``hgk collect`` read back, so a regenerated plan keeps it
    (``households``: hh_id · conclusion · income_pc · visitor · visit_date; ``checks``: item_id · value (核实结果) ·
    note (说明)). Pure: returns a new plan."""
    from ..items import key_text

    items, hh = plan.items.copy(), plan.households.copy()
    if states is not None and len(states):
        items["state"] = items["item_id"].map(states.drop_duplicates("item_id").set_index("item_id")["state"])
    if checks is not None and len(checks):
        c = checks.drop_duplicates("item_id", keep="last").set_index("item_id")
        items["result"] = items["item_id"].map(c["value"]).where(lambda x: x.notna(), items["result"])
        items["note"] = items["item_id"].map(c["note"]).where(lambda x: x.notna(), items["note"])
    if households is not None and len(households) and len(hh):
        v = households.assign(hh_id=key_text(households["hh_id"])).drop_duplicates("hh_id", keep="last")
        v = v.set_index("hh_id")
        for col, src in (
            ("conclusion", "conclusion"),
            ("verified_income", "income_pc"),
            ("visitor", "visitor"),
            ("visit_date", "visit_date"),
        ):
            got = hh["hh_id"].map(v[src])
            hh[col] = got.where(got.notna(), hh[col]).astype(object)
        hh["visit_date"] = pd.to_datetime(hh["visit_date"], errors="coerce")
    return VisitPlan(
        items=items,
        households=hh,
        villages=plan.villages,
        path=plan.path,
        members=plan.members,
        trips=plan.trips,
        county=plan.county,
        year=plan.year,
    )


def write_county_visit_plan(
    run,
    out_dir,
    integrity: pd.DataFrame | None = None,
    states: pd.DataFrame | None = None,
    entries: tuple | None = None,
) -> Path:
    """Build and write ``入户核查计划_<县名>_<year>.xlsx`` for a county run (:class:`hgk_lib.orchestrate.county.CountyRun`)
    into ``out_dir``; returns the path. ``states`` / ``entries``: the campaign record's item states and the visit
    results last read back (households, items), see :func:`with_campaign`."""
    from ..io.safe import safe_output_path
    from ..rules import load_catalogue
    from .workbook import write_visit_plan

    plan = build_visit_plan(
        findings=run.findings,
        audit=run.audit,
        tables=run.data.tables,
        params=run.params,
        catalogue=load_catalogue(),
        county=run.county,
        integrity=integrity,
    )
    if states is not None or entries is not None:
        hh, checks = entries if entries is not None else (None, None)
        plan = with_campaign(plan, states, hh, checks)
    path = Path(safe_output_path(Path(out_dir), plan_file_name(run.name, run.year)))
    write_visit_plan(
        path,
        plan,
        county_name=run.name,
        county_folder=run.county,
        params=run.params,
        provenance=run.provenance,
        reference_date=run.params["year"]["reference_date"],
    )
    return path
