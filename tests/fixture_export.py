"""Where the committed fixture export lives, for the pipeline and runner tests (no tests here)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# HGK_FIXTURE_EXPORT: run these tests on another small export (default: the committed fixture)
FIXTURE = Path(os.environ.get("HGK_FIXTURE_EXPORT", ROOT / "tests" / "fixtures" / "export" / "2019"))
PARAMS = ROOT / "params" / "2019.yaml"


def fixture_counties() -> list[str]:
    return sorted(p.name for p in FIXTURE.iterdir() if p.is_dir()) if FIXTURE.is_dir() else []


needs_fixture = pytest.mark.skipif(len(fixture_counties()) < 2, reason="fixture export not committed yet")
