"""What a rule sees: one county's canonical tables, its parameters, and cached derived columns."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from .. import derive as D
from .engine import NotRun


@dataclass
class RuleContext:
    """One county's tables for the rules.

    ``tables``: canonical tables by name (absent optional tables are simply missing).
    ``params``: year parameters flattened for the rules: at least ``reference_date`` (Timestamp) and ``audit_year``.
    ``county``: the county folder name, e.g. ``441881_英德市``.
    ``others``: for R09, the other counties of the run: ``{county_folder: member_table}``.
    ``quarantined_hh``: household ids with rows in quarantine (findings on them say so).
    """

    tables: dict[str, pd.DataFrame]
    params: dict
    county: str = ""
    others: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantined_hh: set = field(default_factory=set)

    # -- access -------------------------------------------------------------------------------------------------
    def has(self, table: str, *columns: str) -> bool:
        t = self.tables.get(table)
        return t is not None and all(c in t.columns for c in columns)

    def table(self, name: str, *columns: str) -> pd.DataFrame:
        """The table, or :class:`NotRun` naming the missing table/columns."""
        t = self.tables.get(name)
        if t is None:
            raise NotRun(f"缺少数据表：{name}")
        missing = [c for c in columns if c not in t.columns]
        if missing:
            raise NotRun(f"{name} 缺少列：{'、'.join(missing)}")
        return t

    @property
    def reference_date(self) -> pd.Timestamp:
        return pd.Timestamp(self.params["reference_date"])

    @property
    def audit_year(self) -> int:
        return int(self.params["audit_year"])

    # -- derived, cached ----------------------------------------------------------------------------------------
    @cached_property
    def members(self) -> pd.DataFrame:
        """Member table + ``id_ok`` (passes R01), ``id18``, ``birth``, ``age``, ``school_age``, ``active``."""
        m = self.table("member", "hh_id", "id_no", "member_status")
        id_type = m["id_type"] if "id_type" in m else None
        birth = D.birth_dates(m, self.reference_date, int(self.params.get("age_max", 110)))
        cutoff = D.school_cutoff(self.audit_year, str(self.params.get("school_cutoff", "08-31")))
        return m.assign(
            id_ok=D.id_form_ok(m["id_no"], id_type),
            id18=D.id18(m["id_no"], id_type),
            birth=birth,
            age=D.age_on(birth, self.reference_date),
            school_age=D.age_on(birth, cutoff),
            active=D.is_active(m),
        )

    @cached_property
    def households(self) -> pd.DataFrame:
        """Household table + ``A`` (active members, rows of unknown households excluded by construction)."""
        h = self.table("household", "hh_id")
        m = self.members
        return h.assign(A=D.active_counts(m, h["hh_id"], m["active"]))

    @cached_property
    def active_members(self) -> pd.DataFrame:
        m = self.members
        return m[m["active"]]
