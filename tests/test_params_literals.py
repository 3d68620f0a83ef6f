"""Policy numbers live in params: no literal in the audit, rules, report or risk code repeats a parameter.

Every number (and date) of ``params/2019.yaml`` and of the rule catalogue's ``params`` is a policy choice the city
may change; a copy of it in code would silently keep the old value. This test reads the source with :mod:`ast` and
fails on a literal equal to a parameter where policy numbers hide: comparisons, arithmetic, collections, call
arguments, defaults and module constants. Structural numbers (ID-number positions, counts, percentages, array
indices) are not policy; they are skipped by context (slices, ``str.slice``/``round``/``range`` arguments,
f-string formats) or by the small value allow-list below, each entry justified.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

from hgk_lib.resources import PARAMS_DIR

ROOT = Path(__file__).resolve().parent.parent
#: Where policy numbers are used. Not scanned: report/plots, xlsx, render, mask (layout: sizes, widths, ID masking
#: positions), risk/model, draw, estimate, simulate, card (statistical machinery, the 抽查名单 workbook layout and a
#: synthetic generator; the spot-check design and the fallback score's numbers reach them as arguments from
#: ``spot_check``: draw_sample has no defaults for them, and test_risk_model.py moves a fallback cut-off).
SCANNED = [
    "hgk_lib/audit",
    "hgk_lib/rules",
    "hgk_lib/report/ledger.py",
    "hgk_lib/report/summary.py",
    "hgk_lib/report/city.py",
    "hgk_lib/risk/features.py",
]

#: Values never taken for a parameter copy anywhere, with the reason.
STRUCTURAL_VALUES = {
    -1: "index of the last element / 'unknown' sort key",
    0: "empty, zero, first index",
    1: "one, unit step, second index",
    2: "pairs, halves, two decimals",
    12: "months in a year",
    100: "yuan <-> fen, per cent",
}

GB11643 = "GB 11643 ID-number structure (weights, lengths 15/18, 20/22 with a suffix), not policy"
RULE_RANGES = "rule-number ranges of the catalogue's nine categories (rules_catalog.md sections)"
#: file -> {value: reason}: an equal number that is a legitimate coincidence there.
ALLOWED: dict[str, dict[object, str]] = {
    "hgk_lib/rules/context.py": {6: GB11643, 17: GB11643, 18: GB11643, 20: GB11643, 22: GB11643},
    "hgk_lib/rules/identity.py": {17: GB11643, 18: GB11643},
    "hgk_lib/rules/departments.py": {18: GB11643},
    "hgk_lib/audit/common.py": {0.5: "round half up (floor(x + 0.5))", 20: "a note lists at most 20 households"},
    "hgk_lib/audit/income.py": {20: "a note lists at most 20 households"},
    "hgk_lib/audit/dynamic.py": {3: "sort order of four candidate kinds (0-3)"},
    "hgk_lib/report/ledger.py": {200: "a ledger over 200 MB is refused (file-size guard)"},
    "hgk_lib/report/summary.py": {10: RULE_RANGES, 18: RULE_RANGES, 88: RULE_RANGES},
    "hgk_lib/risk/features.py": {
        10: RULE_RANGES,
        18: RULE_RANGES,
        88: RULE_RANGES,
        20: "quantile clipping of weights needs >= 20 known weights",
        0.5: "the margin feature is capped to [-0.5, 1] for the model (scaling, not a rule)",
    },
}

#: Calls whose numeric arguments are positions, rounding or sizes, never policy.
STRUCTURAL_CALLS = {
    "slice",
    "round",
    "range",
    "head",
    "tail",
    "nlargest",
    "nsmallest",
    "zfill",
    "ljust",
    "rjust",
    "get_loc",
    "iloc",
    "quantile",
    "reshape",
    "format",
    "sample",
    "default_rng",
    "digest",
    "hexdigest",
    "seed",
    "RandomState",
    "set_column",
    "column_dimensions",
    "Font",
    "PatternFill",
    "figure",
    "subplots",
    "set_size_inches",
    "Alignment",
    "Border",
    "Side",
}
DATE = re.compile(r"^(\d{4}-)?\d{2}-\d{2}$")


def _leaves(obj, path: str, out: dict):
    if isinstance(obj, dict):
        for k, v in obj.items():
            _leaves(v, f"{path}.{k}", out)
    elif isinstance(obj, list):
        for v in obj:
            _leaves(v, path, out)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        out.setdefault(obj, set()).add(path)
    elif isinstance(obj, str) and DATE.match(obj):
        out.setdefault(obj, set()).add(path)


def parameter_leaves() -> dict[object, set[str]]:
    """Every number and date of the year files and the rule catalogue's params -> the keys holding it."""
    out: dict = {}
    for f in sorted(PARAMS_DIR.glob("*.yaml")):
        _leaves(yaml.safe_load(f.read_text(encoding="utf-8")), f.stem, out)
    for f in sorted((PARAMS_DIR / "rules").glob("*.yaml")):
        for r in yaml.safe_load(f.read_text(encoding="utf-8"))["rules"]:
            _leaves(r.get("params") or {}, str(r["id"]), out)
    return out


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _structural_nodes(tree: ast.AST) -> set[int]:
    """ids of constant nodes in structural positions: slices/indices, structural calls, f-string formats,
    docstrings, log/print messages."""
    skip: set[int] = set()

    def mark(n):
        for sub in ast.walk(n):
            skip.add(id(sub))

    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            mark(node.slice)
        elif isinstance(node, ast.Call) and _call_name(node) in STRUCTURAL_CALLS:
            for a in node.args:
                mark(a)
            for k in node.keywords:
                mark(k.value)
        elif isinstance(node, ast.JoinedStr):
            mark(node)
        elif isinstance(node, ast.keyword) and node.arg in {
            "axis",
            "decimals",
            "digits",
            "width",
            "height",
            "ndigits",
            "n_splits",
            "random_state",
            "level",
            "maxsplit",
            "n",
            "k",
            "dpi",
            "fontsize",
            "size",
            "widths",
        }:
            mark(node.value)
    return skip


def literal_copies(leaves: dict) -> list[str]:
    problems = []
    for d in SCANNED:
        for f in [ROOT / d] if d.endswith(".py") else sorted((ROOT / d).rglob("*.py")):
            rel = f.relative_to(ROOT).as_posix()
            tree = ast.parse(f.read_text(encoding="utf-8"))
            skip = _structural_nodes(tree)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Constant) or id(node) in skip or isinstance(node.value, bool):
                    continue
                v = node.value
                if isinstance(v, (int, float)):
                    if v in STRUCTURAL_VALUES or v in ALLOWED.get(rel, {}) or v not in leaves:
                        continue
                elif not (isinstance(v, str) and v in leaves):
                    continue
                problems.append(f"{rel}:{node.lineno}: {v!r} = 参数 {', '.join(sorted(leaves[v])[:4])}")
    return problems


def test_no_policy_number_is_copied_into_code():
    problems = literal_copies(parameter_leaves())
    assert not problems, "代码中的数字与参数相同（应从参数读取，或在 ALLOWED 中说明理由）：\n" + "\n".join(problems)


def test_the_scan_catches_a_copy(tmp_path, monkeypatch):
    """The scan is not vacuous: a module hard-coding the reference date and R03's age bound is caught."""
    pkg = tmp_path / "hgk_lib" / "rules"
    pkg.mkdir(parents=True)
    (pkg / "copy.py").write_text(
        'def f(x):\n    return fast_ids(x, None, None, "2019-09-30", 110)\nDAYS = {"错误": 30}\n', encoding="utf-8"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "SCANNED", ["hgk_lib/rules"])
    found = literal_copies(parameter_leaves())
    assert any("'2019-09-30'" in p for p in found) and any(": 110 " in p for p in found)
    assert any(": 30 " in p for p in found)


@pytest.mark.parametrize("key", [(f, v) for f, vals in ALLOWED.items() for v in vals], ids=str)
def test_every_allowance_is_still_needed(key):
    """An allow-list entry whose number no longer occurs in its file, or no longer equals a parameter, is stale."""
    rel, value = key
    assert value in parameter_leaves(), key
    tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
    assert any(
        isinstance(n, ast.Constant) and n.value == value and not isinstance(n.value, bool) for n in ast.walk(tree)
    ), key
