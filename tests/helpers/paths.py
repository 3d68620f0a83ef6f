"""Where the committed test inputs live: the fixture export (and its ground truth), the year parameters, and the
spec text the tests check (``tests/spec/``, copied from the project's specs). A missing one fails the test that
needs it; nothing is skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
YEAR = 2019
# HGK_FIXTURE_EXPORT: run these tests on another small export (default: the committed fixture)
FIXTURE = Path(os.environ.get("HGK_FIXTURE_EXPORT", ROOT / "tests" / "fixtures" / "export" / str(YEAR)))
TRUTH = FIXTURE.parent / f"{FIXTURE.name}_truth"
PARAMS = ROOT / "params" / f"{YEAR}.yaml"
SPEC_DIR = ROOT / "tests" / "spec"


def fixture_counties() -> list[str]:
    """County folders of the fixture export; fails (never skips) when the committed export is missing."""
    counties = sorted(p.name for p in FIXTURE.iterdir() if p.is_dir()) if FIXTURE.is_dir() else []
    if len(counties) < 2:
        pytest.fail(f"测试用导出数据缺失或不完整（至少 2 个县）：{FIXTURE}", pytrace=False)
    return counties


def spec_text(name: str) -> str:
    """A spec file copied into ``tests/spec/`` (fails when it is missing)."""
    path = SPEC_DIR / name
    if not path.is_file():
        pytest.fail(f"测试所需的规范文本缺失：{path}（从 /work/shared/spec/ 复制）", pytrace=False)
    return path.read_text(encoding="utf-8")


def ledger_sheets() -> dict[str, list[str] | None]:
    """outputs.md, "Sheets of 回头看台账": sheet -> its listed columns in order (None: no column list)."""
    import re

    text = spec_text("outputs.md")
    section = text.split("### Sheets of 回头看台账", 1)[1].split("\nLedger conventions", 1)[0]
    sheets: dict[str, list[str] | None] = {}
    for m in re.finditer(r"^\d+\. \*\*(.+?)\*\* — (.+?)(?=^\d+\. \*\*|\Z)", section, flags=re.M | re.S):
        name, body = m.group(1), " ".join(m.group(2).split())
        if "·" not in body:
            sheets[name] = None
            continue
        cols = body.split(": ", 1)[1].split(". ", 1)[0].rstrip(".")
        sheets[name] = [re.sub(r"\s*\(.*?\)", "", c).strip() for c in cols.split("·")]
    return sheets


def added_ledger_sheets() -> list[str]:
    """outputs.md, "Added by the campaign": the ledger sheets that follow the listed ones, in order."""
    import re

    text = spec_text("outputs.md")
    section = " ".join(text.split("## Added by the campaign", 1)[1].split())
    m = re.search(r"ledger sheets (.+?) after the listed ones", section)
    return [s.strip() for s in m.group(1).split(" and ")] if m else []


def integrity_sheet_columns() -> list[str]:
    """integrity.md, "Outputs": the columns of the ledger sheet 数据真实性筛查, in order."""
    import re

    text = " ".join(spec_text("integrity.md").split())
    m = re.search(r"\*\*数据真实性筛查\*\* in the county ledger: one row per flagged unit: (.+?)\. Households of", text)
    body = re.sub(r"\s*\([^()]*\)", "", m.group(1)) if m else ""
    return [c.strip() for c in body.split(" · ")] if body else []
