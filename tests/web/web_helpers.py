"""Helpers for the web tests: external tools are skipped locally but required in CI."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{name} is required in CI (install poppler-utils / chromium)")
        pytest.skip(f"{name} not installed")
    return path
