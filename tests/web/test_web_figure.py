"""The client's exercise figure partial: markup, and in Chromium pause, enlarge and reduced motion."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, PackageLoader, select_autoescape
from web_helpers import chromium

from retrowalk.core.exercises import load_library
from retrowalk.web.figures import exercise_figure

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def _render(exercise_id: str, dose: str = "") -> str:
    env = Environment(
        loader=PackageLoader("retrowalk.web", "templates"), autoescape=select_autoescape(["html"])
    )
    template = env.from_string(
        '{% from "_exercise_figure.html" import exercise_figure %}{{ exercise_figure(fig, dose) }}'
    )
    return template.render(fig=exercise_figure(exercise_id), dose=dose)


def _page(body: str) -> str:
    static = resources.files("retrowalk.web") / "static"
    css = (static / "figure.css").read_text(encoding="utf-8")
    js = (static / "figure.js").read_text(encoding="utf-8")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>body{{font-family:sans-serif;margin:12px}}{css}</style></head>"
        f"<body><main>{body}</main><script>{js}</script></body></html>"
    )


class _Tags(HTMLParser):
    """Start tags with their attributes, and the text inside <li> items."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.items: list[str] = []
        self._li = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "li":
            self._li += 1
            self.items.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self._li -= 1

    def handle_data(self, data: str) -> None:
        if self._li:
            self.items[-1] += data


def test_partial_shows_figure_controls_steps_and_print_strip() -> None:
    html = _render("retro_walk_1", dose="5 minutes at 2 km/h")
    parsed = _Tags()
    parsed.feed(html)
    svgs = [a for t, a in parsed.tags if t == "svg"]
    assert len(svgs) == 2  # the animation and the print strip
    assert "rw-figure" in (svgs[0].get("class") or "") and svgs[0].get("role") == "img"
    controls = next(a for t, a in parsed.tags if "data-rw-controls" in a)
    assert "hidden" in controls  # shown only by JavaScript
    buttons = [a for t, a in parsed.tags if t == "button"]
    assert {b.get("type") for b in buttons} == {"button"} and len(buttons) == 2
    cues = load_library().exercises["retro_walk_1"].cues
    assert all(any(c in item for item in parsed.items) for c in cues)
    assert "5 minutes at 2 km/h" in html


def test_two_figures_on_one_page_have_unique_ids() -> None:
    a = exercise_figure("glute_bridge")
    b = exercise_figure("glute_bridge", suffix="2")
    assert a["dom_id"] != b["dom_id"]
    assert 'id="rwfig-glute-bridge"' in a["svg"] and 'id="rwfig-glute-bridge-2"' in b["svg"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


FRAME_STATE = """() => [...document.querySelectorAll('svg.rw-figure .fr')].map(g => {
  const s = getComputedStyle(g); return [s.animationName, s.animationPlayState, s.visibility]; })"""


@pytest.mark.browser
@pytest.mark.slow
def test_phone_figure_animates_pauses_and_enlarges(browser: Any) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = ctx.new_page()
    page.set_content(_page(_render("retro_walk_1", dose="5 minutes, at 2 km/h, holding both rails")))
    stage = page.locator("[data-rw-stage]")
    first = stage.screenshot()
    page.wait_for_timeout(450)
    assert stage.screenshot() != first  # it moves
    states = page.evaluate(FRAME_STATE)
    assert all(name != "none" and play == "running" for name, play, _ in states)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "figure-phone-retro-walk-1.png"), full_page=True)

    page.get_by_role("button", name="Pause").click()
    assert page.evaluate(FRAME_STATE)[0][1] == "paused"
    paused = stage.screenshot()
    page.wait_for_timeout(450)
    assert stage.screenshot() == paused
    page.get_by_role("button", name="Play").click()
    assert page.evaluate(FRAME_STATE)[0][1] == "running"

    page.get_by_role("button", name="Enlarge").click()
    box = page.locator("[data-rw-figure]").bounding_box()
    assert box is not None and box["width"] >= 380 and box["height"] >= 800
    page.keyboard.press("Escape")
    assert page.get_by_role("button", name="Enlarge").get_attribute("aria-expanded") == "false"
    ctx.close()


@pytest.mark.browser
@pytest.mark.slow
def test_reduced_motion_keeps_the_first_key_pose_still(browser: Any) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, reduced_motion="reduce")
    page = ctx.new_page()
    page.set_content(_page(_render("decline_squat_45")))
    states = page.evaluate(FRAME_STATE)
    assert all(name == "none" for name, _, _ in states)
    assert sum(vis == "visible" for _, _, vis in states) == 1
    stage = page.locator("[data-rw-stage]")
    shot = stage.screenshot()
    page.wait_for_timeout(400)
    assert stage.screenshot() == shot
    assert not page.locator("[data-rw-pause]").is_visible()
    ctx.close()


@pytest.mark.browser
@pytest.mark.slow
def test_key_pose_strip_prints_pictures_with_their_cues(browser: Any) -> None:
    from retrowalk.illustrations.svg import strip_svg

    ex = load_library().exercises["decline_squat_45"]
    page = browser.new_page(viewport={"width": 900, "height": 600})
    svg = strip_svg(ex.id, ex.name, ex.cues).replace("<svg ", '<svg style="width:720px;height:auto" ', 1)
    page.set_content(f'<body style="margin:8px;background:#fff">{svg}</body>')
    strip = page.locator("svg.rw-strip")
    text = page.evaluate("() => document.querySelector('svg.rw-strip').textContent")
    assert all(cue.split(",")[0] in text for cue in ex.cues)
    ARTIFACTS.mkdir(exist_ok=True)
    strip.screenshot(path=str(ARTIFACTS / "strip-decline-squat-45.png"))
    page.close()
