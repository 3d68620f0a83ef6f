"""Shared fixtures of the test suite. Builders and helpers live in ``tests/helpers/`` (a package: test modules import
from it, never from each other); the committed inputs are ``tests/fixtures/export/2019`` (+ ``_truth``) and the
spec text in ``tests/spec/`` — a missing one fails, nothing is skipped for it."""

from __future__ import annotations

import pytest

from helpers.e2e import E2E, shared_e2e


@pytest.fixture(scope="session")
def e2e(tmp_path_factory) -> E2E:
    """The planted copy of the fixture export and the ``hgk audit`` runs on it, made once per session."""
    return shared_e2e(tmp_path_factory)
