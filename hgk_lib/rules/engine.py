"""The rule engine: the only loop over rules. A rule is data (``params/rules.yaml``) plus one small function.

Contract for a rule implementation (one module per catalogue category, e.g. ``hgk_lib/rules/identity.py``)::

    @rule("R05")
    def r05(ctx: RuleContext, p: dict) -> pd.DataFrame | Parts:
        ...

* ``ctx`` gives the county's canonical tables (``ctx.table("member")``, ``ctx.has("member", "birth_date")``) and
  cached derived columns (``ctx.members`` = member table + ``id18``, ``birth``, ``age``, ``school_age``,
  ``active``; ``ctx.households`` = household table + ``A``), plus ``ctx.others`` (the other counties of the run, for
  R09).
* ``p`` is the rule's parameters from rules.yaml merged over the year's parameters (``reference_date``,
  ``audit_year`` ...).
* It returns the offending units as a DataFrame with any of the columns of :data:`FINDING_FIELDS` that apply
  (at least ``message``); the engine adds rule id, name, level, department, county and the household's 脱贫状态.
* A lettered rule returns ``Parts({"a": df_or_None, "b": ...})``: ``None`` for a part whose columns are absent
  (reported "not run" for that part). Any rule may return ``Parts({"": df}, evaluated=n, not_evaluated=m)`` to
  report its unit counts for the per-rule summary.
* A rule raises :class:`NotRun` (with the missing table/column in Chinese) when it cannot run at all.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

#: Columns of the findings table, in order (English keys; the workbook maps them to Chinese headers).
FINDING_FIELDS = [
    "county", "rule_id", "rule_name", "level", "department", "unit", "part", "hh_id", "person_id", "project_id",
    "year", "source_row", "category", "columns", "values", "message", "exit_status",
]
SUMMARY_FIELDS = ["rule_id", "rule_name", "level", "department", "status", "missing", "evaluated",
                  "not_evaluated", "findings", "households", "seconds"]

RULES: dict[str, Callable] = {}


class NotRun(Exception):
    """Raised by a rule that cannot run: its table or column is absent. The message names what is missing."""


@dataclass
class Parts:
    """Findings of a lettered rule, per part; ``None`` marks a part that could not run (no data)."""

    parts: dict[str, pd.DataFrame | None]
    evaluated: int | None = None  # units in scope that the rule judged (None: engine counts the scope as unknown)
    not_evaluated: int = 0  # units in scope the rule could not judge (unknown age, duplicated key ...)


def rule(rule_id: str):
    """Register a rule implementation under its catalogue id."""

    def deco(fn):
        if rule_id in RULES:
            raise ValueError(f"duplicate implementation for {rule_id}")
        RULES[rule_id] = fn
        fn.rule_id = rule_id
        return fn

    return deco
