"""requirements.lock covers pyproject.toml: every dependency, extra and group has a pin that fits.

A dependency added or re-bounded without ``./scripts/lock`` fails here, naming the package,
before a fresh machine installs versions that CI never tested.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _declared() -> list[Requirement]:
    project = PYPROJECT["project"]
    texts = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        texts += extra
    for group in PYPROJECT.get("dependency-groups", {}).values():
        texts += [t for t in group if isinstance(t, str)]  # {include-group = ...} entries hold no pin
    return [Requirement(t) for t in texts]


def _pins() -> dict[str, list[Version]]:
    """Locked versions per package that apply to this interpreter (a universal lock forks by marker)."""
    pins: dict[str, list[Version]] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if not line or line[0] in "# " or line.startswith("-"):
            continue
        requirement, _, marker = line.partition(";")
        name, _, version = requirement.strip().partition("==")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        pins.setdefault(canonicalize_name(name), []).append(Version(version.strip()))
    return pins


@pytest.mark.parametrize("requirement", _declared(), ids=str)
def test_lock_pins_a_version_that_fits(requirement: Requirement) -> None:
    if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
        pytest.skip(f"{requirement} does not apply to this platform")
    pins = _pins().get(canonicalize_name(requirement.name))
    assert pins, f"{requirement.name} is not in requirements.lock: run ./scripts/lock"
    assert all(requirement.specifier.contains(v, prereleases=True) for v in pins), (
        f"requirements.lock pins {requirement.name} {[str(v) for v in pins]}, "
        f"outside {requirement.specifier}: run ./scripts/lock"
    )
