"""The city's 95 rules (R01–R95): catalogue in ``params/rules/*.yaml``, one module per category, one engine.

Public API::

    from hgk_lib.rules import load_catalogue, make_context, run_rules
    ctx = make_context(tables, year_params, "441881_英德市", others={...}, quarantined_hh={...})
    result = run_rules(ctx)          # result.findings (FINDING_FIELDS), result.summary (SUMMARY_FIELDS)
"""

from .catalogue import load_catalogue
from .context import RuleContext
from .engine import (
    FINDING_FIELDS,
    RULES,
    SUMMARY_FIELDS,
    NotRun,
    Parts,
    RuleResult,
    import_rule_modules,
    make_context,
    rule,
    run_rules,
)

__all__ = [
    "load_catalogue",
    "make_context",
    "run_rules",
    "RuleContext",
    "RuleResult",
    "NotRun",
    "Parts",
    "rule",
    "RULES",
    "FINDING_FIELDS",
    "SUMMARY_FIELDS",
    "import_rule_modules",
]
