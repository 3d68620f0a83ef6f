"""入户核查计划 (campaign.md §1): one visit per household for everything of the desk audit that needs someone at the
door, the printable household forms and the 2016-to-now 脱贫路径.

Entry points::

    plan = build_visit_plan(findings=..., audit=..., tables=..., params=..., catalogue=..., county=...)
    write_visit_plan(path, plan, county_name=..., year=..., provenance=...)   # the workbook
    write_county_visit_plan(run, out_dir)                                     # both, for a county run

Everything here is a pure function of DataFrames passed in (the audit's tables); no file is read.
"""

from __future__ import annotations

from .items import ITEM_COLUMNS, PLAIN_KEPT, rule_item_ids, visit_items, visit_rules
from .path import PATH_COLUMNS, exit_path, path_coverage, path_summary
from .plan import department_summary, order_items, trips_saved, village_summary, visit_households
from .build import VisitPlan, build_visit_plan, plan_file_name, write_county_visit_plan
from .report import path_coverage_for_run, plan_headline, plan_tables

__all__ = [
    "ITEM_COLUMNS",
    "PATH_COLUMNS",
    "PLAIN_KEPT",
    "VisitPlan",
    "build_visit_plan",
    "department_summary",
    "exit_path",
    "order_items",
    "path_coverage",
    "path_summary",
    "plan_file_name",
    "plan_headline",
    "path_coverage_for_run",
    "plan_tables",
    "rule_item_ids",
    "trips_saved",
    "village_summary",
    "visit_households",
    "visit_items",
    "visit_rules",
    "write_county_visit_plan",
]
