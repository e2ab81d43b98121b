"""Exercise illustrations: every library exercise is drawn, accessibly, within joint limits."""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.core._data import load_yaml
from retrowalk.core.exercises import load_library
from retrowalk.core.illustration import (
    LIMB_JOINTS,
    book_from_data,
    check_library_illustrated,
    cues_per_pose,
    load_illustrations,
    pose_problems,
)
from retrowalk.errors import DataFileError
from retrowalk.illustrations.svg import animated_svg, pose_svgs, scene, strip_svg
from retrowalk.illustrations.walker import stride_frames, walker_pose

SVG = "{http://www.w3.org/2000/svg}"
LIBRARY = load_library()
IDS = sorted(LIBRARY.exercises)


def _raw() -> dict[str, Any]:
    return copy.deepcopy(load_yaml("illustrations.yaml"))


def _accessible(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and (title.text or "").strip()
    assert desc is not None and len((desc.text or "").strip()) > 20
    return root


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_renders_accessibly_within_joint_limits(exercise_id: str) -> None:
    ex = LIBRARY.exercises[exercise_id]
    book = load_illustrations()
    sc = scene(exercise_id)
    # Every drawn frame (interpolated or from the walker) respects the joint limits.
    assert len(sc.keys) == len(sc.ill.poses)
    anim = animated_svg(exercise_id, ex.name, ex.cues)
    root = _accessible(anim)
    assert (
        root.get("aria-labelledby")
        == f"rwfig-{exercise_id.replace('_', '-')}-t rwfig-{exercise_id.replace('_', '-')}-d"
    )
    style = root.find(f"{SVG}style")
    assert style is not None and style.text is not None
    assert "prefers-reduced-motion" in style.text
    frames = [g for g in root.iter(f"{SVG}g") if "fr" in (g.get("class") or "").split()]
    assert len(frames) == len(sc.frames)
    assert sum("still" in (g.get("class") or "") for g in frames) == 1
    assert len(re.findall(r"@keyframes", style.text)) == len(frames)
    strip = _accessible(strip_svg(exercise_id, ex.name, ex.cues))
    texts = " ".join(t.text or "" for t in strip.iter(f"{SVG}text"))
    for cue in ex.cues:  # every cue is printed beside some pose (word-wrapped)
        assert cue.split()[0] in texts
    for one in pose_svgs(exercise_id, ex.name, ex.cues):
        _accessible(one)
    if sc.ill.walker is None:
        for pose in sc.ill.poses:
            assert pose_problems(book, sc.ill.view, pose) == []


def test_walker_frames_stay_within_limits() -> None:
    book = load_illustrations()
    for ex_id in IDS:
        ill = book.illustrations[ex_id]
        if ill.walker is None:
            continue
        for i in range(40):
            assert pose_problems(book, "sagittal", walker_pose(ill.walker, i)) == [], (ex_id, i)


def _key(exercise_id: str, label_start: str) -> dict[str, tuple[float, float]]:
    sc = scene(exercise_id)
    i = next(k for k, p in enumerate(sc.ill.poses) if p.label.startswith(label_start))
    return sc.keys[i]


@pytest.mark.parametrize("stage", ["retro_walk_1", "retro_walk_2", "retro_walk_3", "retro_walk_4"])
def test_retro_walking_shows_toe_first_contact_and_straight_stance_knee(stage: str) -> None:
    landing = _key(stage, "Toes land")
    assert landing["left_toe"][1] < landing["left_heel"][1]  # toes touch first
    assert landing["left_ankle"][0] < landing["pelvis"][0]  # the foot has reached back
    stance = _key(stage, "Roll to the heel")
    ill = scene(stage).ill
    assert ill.walker is not None
    pose = walker_pose(ill.walker, round(0.3 * stride_frames(ill.walker)))
    assert pose.left.knee < 12  # knee straightening in stance
    assert abs(pose.trunk) < 2  # upright trunk
    assert abs(stance["left_toe"][1] - stance["left_heel"][1]) < 0.02  # foot flat on the belt
    reach = _key(stage, "Reach back")
    assert reach["left_knee"][0] > reach["left_ankle"][0]  # bent knee, foot behind it


def test_forward_walking_lands_on_the_heel() -> None:
    landing = _key("forward_walk", "Heel lands")
    assert landing["left_heel"][1] < landing["left_toe"][1]
    assert landing["left_ankle"][0] > landing["pelvis"][0]


def test_stages_draw_handrails_hands_and_incline() -> None:
    for stage in ("retro_walk_1", "retro_walk_2"):
        sc = scene(stage)
        hands = [k["left_hand"][1] for k in sc.keys]
        assert max(hands) - min(hands) < 0.03  # hands stay on the rail
    ex = LIBRARY.exercises
    flat = animated_svg("retro_walk_3", ex["retro_walk_3"].name, ex["retro_walk_3"].cues)
    incline = animated_svg("retro_walk_4", ex["retro_walk_4"].name, ex["retro_walk_4"].cues)
    assert "rotate(" not in flat and "rotate(" in incline
    assert "2 % incline" in incline


def test_cues_go_to_their_pose_and_unclaimed_ones_to_the_first() -> None:
    ill = load_illustrations().illustrations["retro_walk_1"]
    cues = LIBRARY.exercises["retro_walk_1"].cues
    per_pose = cues_per_pose(ill, cues)
    assert per_pose[1] == [cues[2]]
    assert sorted(c for p in per_pose for c in p) == sorted(cues)
    ill2 = load_illustrations().illustrations["retro_walk_2"]
    assert cues_per_pose(ill2, [*LIBRARY.exercises["retro_walk_2"].cues, "new cue"])[0][0] == "new cue"


def test_loader_refuses_a_library_exercise_without_an_illustration() -> None:
    cues = {e.id: e.cues for e in LIBRARY.exercises.values()}
    cues["moon_walk"] = ["Glide"]
    with pytest.raises(DataFileError, match="moon_walk"):
        check_library_illustrated(cues)


def test_loader_refuses_a_cue_index_the_exercise_lacks() -> None:
    raw = _raw()
    raw["illustrations"]["heel_slides"]["poses"][1]["cues"] = [0, 5]
    book = book_from_data(raw)
    with pytest.raises(DataFileError, match=r"heel_slides.*cue"):
        check_library_illustrated({e.id: e.cues for e in LIBRARY.exercises.values()}, book)


def test_unknown_keys_and_uncited_limits_are_refused() -> None:
    raw = _raw()
    raw["illustrations"]["glute_bridge"]["poses"][0]["elbw"] = 10
    with pytest.raises(DataFileError, match="glute_bridge"):
        book_from_data(raw)
    raw = _raw()
    raw["limits"]["sagittal"]["knee"]["source"] = "somebody said so"
    with pytest.raises(DataFileError, match="certainty"):
        book_from_data(raw)


def test_a_contact_that_does_not_touch_is_refused() -> None:
    raw = _raw()
    raw["illustrations"]["glute_bridge"]["poses"][0]["both"]["knee"] = 20
    book = book_from_data(raw)
    with pytest.raises(DataFileError, match=r"glute_bridge.*should rest"):
        scene("glute_bridge", book)


_EXPLICIT = [i for i in IDS if load_illustrations().illustrations[i].walker is None]
#: Any joint of either side of an explicitly posed figure: what the limit checks are tried on.
_A_LIMB_JOINT = {
    "exercise_id": st.sampled_from(_EXPLICIT),
    "side": st.sampled_from(["left", "right"]),
    "joint": st.sampled_from(LIMB_JOINTS),
}


@settings(max_examples=60, deadline=None)
@given(
    **_A_LIMB_JOINT,
    beyond=st.floats(min_value=0.5, max_value=200),
    above=st.booleans(),
    data=st.data(),
)
def test_poses_outside_the_joint_limits_are_refused(
    exercise_id: str, side: str, joint: str, beyond: float, above: bool, data: st.DataObject
) -> None:
    raw = _raw()
    ill = raw["illustrations"][exercise_id]
    view = ill["view"]
    lim = raw["limits"][view][joint]
    value = lim["max"] + beyond if above else lim["min"] - beyond
    k = data.draw(st.integers(0, len(ill["poses"]) - 1))
    pose = ill["poses"][k]
    pose.setdefault(side, {})[joint] = value  # a side's own value overrides ``both``
    with pytest.raises(DataFileError) as err:
        book_from_data(raw)
    assert exercise_id in str(err.value) and f"{side} {joint}" in str(err.value)


@settings(max_examples=40, deadline=None)
@given(**_A_LIMB_JOINT, w=st.floats(min_value=0, max_value=1))
def test_poses_inside_the_limits_pass_the_limit_check(
    exercise_id: str, side: str, joint: str, w: float
) -> None:
    book = load_illustrations()
    ill = book.illustrations[exercise_id]
    lim = book.limit(ill.view, joint)
    pose = ill.poses[0]
    limb = getattr(pose, side).model_copy(update={joint: lim.min + w * (lim.max - lim.min)})
    assert pose_problems(book, ill.view, pose.model_copy(update={side: limb})) == []
