"""Synthetic Qingyuan export (8 counties) with planted defects and ground truth, for demos, notebooks and tests.

Nothing in the audit path imports this package.
"""

from .generate import build_demo, generate_demo_export, write_demo  # noqa: F401
from .fixture import write_fixture_export  # noqa: F401
