"""Fixtures for the trial tests."""

from __future__ import annotations

import pytest
from tests.api.conftest import app, database, db_url, postgres_database, world  # noqa: F401  (API fixtures)
from trial_helpers import small_definition

from retrowalk.trial.definition import TrialDefinition


@pytest.fixture
def definition() -> TrialDefinition:
    return small_definition()
