"""The small committed fixture export: tests/fixtures/export/2019 (连山 and 连南, ~60 households each)."""

from __future__ import annotations

from pathlib import Path

FIXTURE_COUNTIES = ["441825", "441826"]
FIXTURE_SEED = 20219
FIXTURE_HOUSEHOLDS = 120


def write_fixture_export(out: str | Path, truth: str | Path | None = None) -> dict:
    """Regenerate the fixture export at ``out`` (truth at ``<out>_truth``): a few defects of several kinds + mess."""
    from .generate import generate_demo_export

    out = Path(out)
    return generate_demo_export(
        out,
        seed=FIXTURE_SEED,
        counties=FIXTURE_COUNTIES,
        households=FIXTURE_HOUSEHOLDS,
        fmt="mixed",
        truth=truth,
        k=1,
        plant_share=0.22,
        integrity=False,
    )
