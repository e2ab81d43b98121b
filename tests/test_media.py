"""Trainers' own media: photos are re-encoded, videos checked for container/codec, posters made."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from retrowalk.errors import InputError
from retrowalk.io.media import blank_mp4_metadata, check_video, container_of, reencode_image

cv2 = pytest.importorskip("cv2")


def _jpeg_with_gps_and_rotation() -> bytes:
    img = Image.new("RGB", (400, 200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° on display
    exif[0x8825] = {2: (52.0, 31.0, 0.0)}  # GPS latitude
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def test_photo_is_reencoded_rotated_and_stripped_of_metadata() -> None:
    raw = _jpeg_with_gps_and_rotation()
    out = reencode_image(raw)
    assert out.mime == "image/jpeg" and out.data != raw
    img = Image.open(io.BytesIO(out.data))
    assert img.size == (200, 400) == (out.width, out.height)  # orientation applied
    assert not img.getexif()  # GPS and everything else gone


def test_large_photo_is_downscaled_and_transparency_kept_as_png() -> None:
    img = Image.new("RGBA", (3000, 1500), (0, 0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    out = reencode_image(buf.getvalue(), max_side_out=800)
    assert out.mime == "image/png" and (out.width, out.height) == (800, 400)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a readable photo"),
        (b"GIF89a" + b"\x00" * 40, "not a readable photo"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "not a readable photo"),  # truncated JPEG
    ],
)
def test_what_is_not_a_photo_is_refused_naming_the_field(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        reencode_image(data, field="photo")
    assert err.value.field == "photo"


def test_gif_and_oversized_photos_are_refused() -> None:
    buf = io.BytesIO()
    Image.new("P", (10, 10)).save(buf, format="GIF")
    with pytest.raises(InputError, match="GIF images are not accepted"):
        reencode_image(buf.getvalue())
    buf = io.BytesIO()
    Image.new("L", (1200, 10)).save(buf, format="PNG")
    with pytest.raises(InputError, match="pixels"):
        reencode_image(buf.getvalue(), max_side_in=1000)
    with pytest.raises(InputError, match="MB"):
        reencode_image(buf.getvalue(), max_bytes=10)


def _video(path: Path, fourcc: str, frames: int = 30, fps: float = 10.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (96, 64))
    if not writer.isOpened():
        pytest.skip(f"this OpenCV cannot write {fourcc}")
    for i in range(frames):
        frame = np.zeros((64, 96, 3), np.uint8)
        frame[:, : 3 * i % 96] = (0, 0, 255)  # a red bar that grows
        writer.write(frame)
    writer.release()
    return path


@pytest.mark.parametrize(("fourcc", "codec"), [("VP80", "vp8"), ("VP90", "vp9")])
def test_webm_video_is_accepted_with_a_poster_frame(tmp_path: Path, fourcc: str, codec: str) -> None:
    checked = check_video(_video(tmp_path / "clip.webm", fourcc))
    assert (checked.container, checked.codec) == ("webm", codec)
    assert checked.duration_s == pytest.approx(3.0, abs=0.2)
    assert (checked.width, checked.height) == (96, 64)
    poster = Image.open(io.BytesIO(checked.poster.data))
    assert checked.poster.mime == "image/jpeg" and poster.size == (96, 64)
    r, g, b = poster.convert("RGB").getpixel((2, 32))
    assert r > 150 and g < 80 and b < 80  # the frame about one second in (red bar started)


def test_codec_browsers_do_not_play_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="codec 'fmp4'") as err:
        check_video(_video(tmp_path / "clip.mp4", "mp4v"))
    assert err.value.field == "video"


def test_wrong_container_empty_and_too_long_videos_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not an MP4, MOV or WebM"):
        check_video(_video(tmp_path / "clip.avi", "MJPG"))
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        check_video(empty)
    fake = tmp_path / "fake.webm"
    fake.write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 200)
    with pytest.raises(InputError, match=r"decoded|codec|frames"):
        check_video(fake)
    with pytest.raises(InputError, match="long"):
        check_video(_video(tmp_path / "long.webm", "VP80", frames=40), max_seconds=2)
    with pytest.raises(InputError, match="MB"):
        check_video(_video(tmp_path / "big.webm", "VP80"), max_bytes=100)


def test_container_magic() -> None:
    assert container_of(b"\x00\x00\x00\x1cftypisom") == "mp4"
    assert container_of(b"\x00\x00\x00\x14ftypqt  ") == "mp4"
    assert container_of(b"\x1a\x45\xdf\xa3\x9f") == "webm"
    assert container_of(b"RIFF\x00\x00\x00\x00AVI ") is None


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def test_mp4_metadata_such_as_the_location_is_blanked_in_place(tmp_path: Path) -> None:
    location = _box(b"\xa9xyz", b"\x00\x0c\x15\xc7+52.5200+013.4050/")
    apple = _box(b"meta", b"\x00" * 4 + _box(b"keys", b"com.apple.quicktime.location.ISO6709"))
    trak = _box(b"trak", _box(b"tkhd", b"\x00" * 84) + _box(b"udta", _box(b"name", b"phone")))
    moov = _box(b"moov", _box(b"mvhd", b"\x00" * 100) + _box(b"udta", location) + apple + trak)
    raw = _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2") + moov + _box(b"mdat", b"\x01" * 64)
    path = tmp_path / "clip.mp4"
    path.write_bytes(raw)
    assert blank_mp4_metadata(path) == 3
    out = path.read_bytes()
    assert len(out) == len(raw) and out.endswith(b"\x01" * 64)  # same offsets, samples untouched
    assert b"52.5200" not in out and b"ISO6709" not in out and b"udta" not in out and b"meta" not in out
    assert out[: out.index(b"moov") + 4] == raw[: raw.index(b"moov") + 4]


def test_blanking_keeps_a_real_video_playable(tmp_path: Path) -> None:
    path = _video(tmp_path / "clip.mp4", "mp4v")
    before = path.read_bytes()
    blank_mp4_metadata(path)
    assert len(path.read_bytes()) == len(before)
    cap = cv2.VideoCapture(str(path))
    try:
        assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 30
        ok, _frame = cap.read()
        assert ok
    finally:
        cap.release()


def test_a_malformed_box_stops_the_walk_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "bad.mp4"
    raw = _box(b"ftyp", b"isom\x00\x00\x02\x00") + b"\xff\xff\xff\xffudta" + b"\x00" * 8  # udta too long
    path.write_bytes(raw)
    assert blank_mp4_metadata(path) == 0 and path.read_bytes() == raw


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_blanking_any_bytes_never_fails_nor_moves_anything(tmp_path: Path, tail: bytes) -> None:
    path = tmp_path / "any.mp4"
    raw = _box(b"ftyp", b"isom") + tail
    path.write_bytes(raw)
    blank_mp4_metadata(path)
    out = path.read_bytes()
    assert len(out) == len(raw) and out[:12] == raw[:12]
