"""One vocabulary: a numeric bound for a dose or pain field is written only in core/vocab.py.

Why: ``speed_kmh`` once had six bound definitions that disagreed (web 30, API and core 20), so a
value one edge accepted broke every later read elsewhere. This scan fails when a ``ge=``/``le=``/
``gt=``/``lt=`` bound for a dose or pain field is written in Python outside the vocabulary, or a
template writes a literal ``min``/``max`` on a dose or pain input instead of ``field_bounds``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from retrowalk.core.vocab import FIELD_TYPES, field_bounds

SRC = Path(__file__).resolve().parents[1] / "src" / "retrowalk"
VOCAB = SRC / "core" / "vocab.py"
BOUND_KEYWORDS = {"ge", "le", "gt", "lt"}
#: Field names that carry a dose or a pain rating (the vocabulary's, plus the pain-rating spellings
#: of assessments and programmes).
DOSE_OR_PAIN = re.compile(rf"(^|\.)({'|'.join(FIELD_TYPES)})$|pain|nprs")


def _bounded(call: ast.AST) -> bool:
    return isinstance(call, ast.Call) and any(k.arg in BOUND_KEYWORDS for k in call.keywords)


def _annotation_bounded(annotation: ast.AST | None) -> bool:
    return annotation is not None and any(_bounded(n) for n in ast.walk(annotation))


def python_violations(path: Path, rel: str) -> list[str]:
    """Bounded dose/pain fields: ``x: float = Field(ge=..)``, ``x: Annotated[.., Field(le=..)]``,
    ``x = Form(gt=..)`` parameters, and ``Name = Annotated[.., Field(..)]`` aliases."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        targets: list[tuple[str, bool]] = []
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            value_bounded = node.value is not None and _bounded(node.value)
            targets.append((node.target.id, _annotation_bounded(node.annotation) or value_bounded))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Subscript | ast.Call):
            bounded = any(_bounded(n) for n in ast.walk(node.value))
            targets += [(t.id, bounded) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args.args + node.args.kwonlyargs
            defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + list(node.args.defaults)
            defaults += list(node.args.kw_defaults)
            for arg, default in zip(args, defaults, strict=True):
                bounded = _annotation_bounded(arg.annotation) or (default is not None and _bounded(default))
                targets.append((arg.arg, bounded))
        for name, bounded in targets:
            if bounded and DOSE_OR_PAIN.search(name.lower()):
                found.append(f"{rel}:{node.lineno} bounds {name}")
    return found


INPUT = re.compile(r"<input\b[^>]*>", re.S)
LITERAL_BOUND = re.compile(r"\b(min|max)=\"-?\d")


def template_violations(text: str, rel: str) -> list[str]:
    found = []
    for tag in INPUT.finditer(text):
        name = re.search(r'\bname="([^"]*)"', tag.group(0))
        if name and DOSE_OR_PAIN.search(name.group(1)) and LITERAL_BOUND.search(tag.group(0)):
            found.append(f"{rel}: literal bound on {name.group(1)}")
    return found


def _python_files() -> list[Path]:
    return [p for p in sorted(SRC.rglob("*.py")) if p != VOCAB and "migrations" not in p.parts]


def test_no_dose_or_pain_bound_outside_the_vocabulary() -> None:
    problems = [v for p in _python_files() for v in python_violations(p, str(p.relative_to(SRC)))]
    assert problems == []


def test_templates_take_bounds_from_the_vocabulary() -> None:
    problems = []
    for path in sorted(SRC.rglob("templates/*.html")):
        problems += template_violations(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))
    assert problems == []


def test_the_scan_catches_a_second_bound(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from pydantic import BaseModel, Field\n"
        "from typing import Annotated\n"
        "class Log(BaseModel):\n"
        "    speed_kmh: float = Field(le=30)\n"
        "    pain_after: Annotated[float, Field(ge=0, le=10)]\n"
        "    notes: str = Field(max_length=5)\n"
        "def route(minutes: float = Form(gt=0)) -> None: ...\n"
        "Speed = Annotated[float, Field(le=20)]\n",
        encoding="utf-8",
    )
    assert len(python_violations(bad, "bad.py")) == 3
    html = '<input name="ex0.speed_kmh" type="number" min="0" max="30"><input name="fps" min="1">'
    assert template_violations(html, "t.html") == ["t.html: literal bound on ex0.speed_kmh"]


@pytest.mark.parametrize("name", sorted(FIELD_TYPES))
def test_every_vocabulary_field_has_bounds_a_form_can_use(name: str) -> None:
    b = field_bounds(name)
    assert b.min is not None and b.max is not None and b.min < b.max
