"""Integrity screen: signs of desk-made data across a village's or a 帮扶责任人's households (integrity.md).

Entry points: :func:`screen_integrity` (unit table and flags), :func:`flagged_households` (visit-plan items),
:func:`ledger_frame` / :func:`city_table` / :func:`plot_integrity` (outputs). See docs/integrity.md.
"""

from .screen import (
    INDICATOR_IDS,
    INDICATORS,
    STATUSES,
    UNIT_TABLE_COLUMNS,
    flagged_households,
    integrity_params,
    screen_integrity,
)
from .outputs import LEDGER_COLUMNS, SHEET_NAME, city_table, indicator_summary, ledger_frame, plot_integrity
from .units import HELPER, VILLAGE

__all__ = [
    "screen_integrity",
    "flagged_households",
    "integrity_params",
    "INDICATORS",
    "INDICATOR_IDS",
    "STATUSES",
    "UNIT_TABLE_COLUMNS",
    "HELPER",
    "VILLAGE",
    "ledger_frame",
    "city_table",
    "indicator_summary",
    "plot_integrity",
    "LEDGER_COLUMNS",
    "SHEET_NAME",
]
