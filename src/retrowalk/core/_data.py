"""Read packaged YAML data through importlib.resources (the only 'I/O' the core may do)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from retrowalk.errors import DataFileError

_PACKAGE = "retrowalk.core.data"
#: libyaml's parser when PyYAML was built with it: the catalogues parse ~10x faster (CLI start-up).
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load_yaml(name: str) -> Any:
    """Parse a packaged data file once; broken or missing files fail loudly."""
    try:
        text = resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise DataFileError(f"packaged data file {name!r} is missing") from exc
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise DataFileError(f"packaged data file {name!r} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DataFileError(f"packaged data file {name!r} must contain a mapping at the top level")
    return data


def require(mapping: Any, key: str, where: str) -> Any:
    """Fetch a required key from raw data, naming the file location when it is absent."""
    if not isinstance(mapping, dict) or key not in mapping:
        raise DataFileError(f"{where}: missing required key {key!r}")
    return mapping[key]
