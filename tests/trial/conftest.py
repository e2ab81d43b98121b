"""Fixtures for the trial tests."""

from __future__ import annotations

import pytest
from trial_helpers import small_definition

from retrowalk.trial.definition import TrialDefinition


@pytest.fixture
def definition() -> TrialDefinition:
    return small_definition()
