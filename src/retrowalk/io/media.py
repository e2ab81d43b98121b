"""Trainers' own exercise media: photos re-encoded, short videos checked, a poster frame made.

Independent of storage and web: give it the uploaded bytes (photo) or a temporary file (video)
and it returns what is safe to store and serve, or raises InputError naming the field. Photos are
decoded and re-encoded by Pillow (metadata such as GPS EXIF dropped, orientation applied,
downscaled), so what is served is never the uploaded file itself. Videos must be a container and
codec every phone browser plays (MP4/MOV with H.264/HEVC/AV1, or WebM with VP8/VP9/AV1), short
and small; OpenCV (the ``video`` extra) reads the codec and duration and grabs a poster frame.
An MP4/MOV keeps its streams as recorded, but its metadata boxes (where phones write the place a
video was taken) are blanked in place (:func:`blank_mp4_metadata`).
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from retrowalk.errors import InputError

#: Photo formats accepted on upload (Pillow format names).
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_SIDE_IN = 12_000  # refuse decompression bombs before decoding
MAX_IMAGE_SIDE_OUT = 1600  # what is stored: big enough for a phone, small enough to load fast
JPEG_QUALITY = 85
MAX_VIDEO_BYTES = 60 * 1024 * 1024
MAX_VIDEO_SECONDS = 120.0
#: Codecs phone browsers play, by the FourCC OpenCV reports (lower case).
VIDEO_CODECS: dict[str, str] = {
    "avc1": "h264",
    "h264": "h264",
    "x264": "h264",
    "hvc1": "hevc",
    "hev1": "hevc",
    "hevc": "hevc",
    "av01": "av1",
    "vp80": "vp8",
    "vp90": "vp9",
}
#: Containers by their magic bytes, with the codecs each may carry.
CONTAINER_CODECS: dict[str, frozenset[str]] = {
    "mp4": frozenset({"h264", "hevc", "av1"}),
    "webm": frozenset({"vp8", "vp9", "av1"}),
}


@dataclass(frozen=True)
class StoredImage:
    data: bytes
    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class CheckedVideo:
    container: str
    codec: str
    duration_s: float
    width: int
    height: int
    fps: float
    poster: StoredImage


def reencode_image(
    data: bytes,
    *,
    field: str = "photo",
    max_bytes: int = MAX_IMAGE_BYTES,
    max_side_in: int = MAX_IMAGE_SIDE_IN,
    max_side_out: int = MAX_IMAGE_SIDE_OUT,
) -> StoredImage:
    """Decode an uploaded photo and re-encode it (JPEG, or PNG when it has transparency)."""
    if not data:
        raise InputError(field, "the file is empty", hint="choose a photo (JPEG, PNG or WebP)")
    if len(data) > max_bytes:
        raise InputError(
            field, f"the photo is {len(data) / 1e6:.1f} MB", hint=f"at most {max_bytes // 10**6} MB"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Any = Image.open(io.BytesIO(data))
            fmt = img.format
            if fmt not in IMAGE_FORMATS:
                raise InputError(
                    field, f"{fmt or 'this'} images are not accepted", hint="upload JPEG, PNG or WebP"
                )
            if max(img.size) > max_side_in:
                raise InputError(
                    field, f"the photo is {img.size[0]}×{img.size[1]} pixels", hint="upload a smaller photo"
                )
            img.load()
    except InputError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise InputError(field, "not a readable photo", hint="upload JPEG, PNG or WebP") from exc
    img = ImageOps.exif_transpose(img)
    img.thumbnail((max_side_out, max_side_out))
    has_alpha = img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info)
    out = io.BytesIO()
    if has_alpha:
        img = img.convert("RGBA")
        img.save(out, format="PNG", optimize=True)
        mime = "image/png"
    else:
        img = img.convert("RGB")
        img.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        mime = "image/jpeg"
    return StoredImage(out.getvalue(), mime, img.size[0], img.size[1])


def container_of(head: bytes) -> str | None:
    """'mp4' (ISO BMFF, also .mov), 'webm' (Matroska/WebM), or None, from the first bytes."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return None


#: ISO BMFF boxes that hold metadata (``udta``: ©xyz location, ``meta``: Apple's keyed
#: location), and the boxes they sit in.
_METADATA_BOXES = frozenset({b"udta", b"meta"})
_PARENT_BOXES = frozenset({b"moov", b"trak"})


_ZEROS = 64 * 1024


def blank_mp4_metadata(path: Path | str) -> int:
    """Turn an MP4/MOV's metadata boxes into zero-filled ``free`` boxes of the same size: nothing
    of them is left to read and no sample offset moves (the streams are not touched). Returns
    how many boxes were blanked; a malformed box ends the walk of its parent (the codec check
    then decides whether the file plays)."""
    blanked = 0
    with open(path, "r+b") as fh:

        def walk(start: int, end: int, depth: int) -> None:
            nonlocal blanked
            pos = start
            while pos + 8 <= end:
                fh.seek(pos)
                size, kind = struct.unpack(">I4s", fh.read(8))
                header = 8
                if size == 1:
                    if pos + 16 > end:
                        return
                    (size,) = struct.unpack(">Q", fh.read(8))
                    header = 16
                elif size == 0:
                    size = end - pos
                if size < header or pos + size > end:
                    return
                if kind in _METADATA_BOXES:
                    fh.seek(pos + 4)
                    fh.write(b"free")
                    fh.seek(pos + header)
                    for left in range(size - header, 0, -_ZEROS):
                        fh.write(bytes(min(left, _ZEROS)))  # the payload too: no coordinates left
                    blanked += 1
                elif kind in _PARENT_BOXES and depth < 3:
                    walk(pos + header, pos + size, depth + 1)
                pos += size

        walk(0, os.fstat(fh.fileno()).st_size, 0)
    return blanked


def _cv2() -> Any:
    try:
        import cv2
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise InputError("video", "video checks need OpenCV", hint="pip install 'retrowalk[video]'") from exc
    return cv2


def check_video(
    path: Path | str,
    *,
    field: str = "video",
    max_bytes: int = MAX_VIDEO_BYTES,
    max_seconds: float = MAX_VIDEO_SECONDS,
) -> CheckedVideo:
    """Check an uploaded video file (container, codec, size, length) and make its poster frame."""
    p = Path(path)
    size = p.stat().st_size
    if size == 0:
        raise InputError(field, "the file is empty", hint="choose a short MP4 or WebM video")
    if size > max_bytes:
        raise InputError(field, f"the video is {size / 1e6:.0f} MB", hint=f"at most {max_bytes // 10**6} MB")
    with p.open("rb") as fh:
        container = container_of(fh.read(64))
    if container is None:
        raise InputError(
            field, "not an MP4, MOV or WebM video", hint="record or export as MP4 (H.264) or WebM"
        )
    cv2 = _cv2()
    cap = cv2.VideoCapture(str(p))
    try:
        if not cap.isOpened():
            raise InputError(field, "the video cannot be decoded", hint="export it again as MP4 (H.264)")
        fourcc = (int(cap.get(cv2.CAP_PROP_FOURCC)) & 0xFFFFFFFF).to_bytes(4, "little")
        tag = fourcc.decode("latin-1").strip("\x00 ").lower()
        codec = VIDEO_CODECS.get(tag)
        if codec is None or codec not in CONTAINER_CODECS[container]:
            raise InputError(
                field,
                f"the {container} video uses codec {tag or 'unknown'!r}, which phones may not play",
                hint="export as MP4 with H.264, or WebM with VP9",
            )
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        frames = float(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0)
        if fps <= 0 or frames <= 0:
            raise InputError(field, "the video has no frames", hint="record a few seconds of the exercise")
        duration = frames / fps
        if duration > max_seconds:
            raise InputError(
                field, f"the video is {duration:.0f} s long", hint=f"keep it under {max_seconds:.0f} s"
            )
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        cap.set(cv2.CAP_PROP_POS_FRAMES, min(frames - 1, round(fps)))  # about one second in
        ok, frame = cap.read()
        if not ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = cap.read()
        if not ok:
            raise InputError(field, "no frame of the video could be read", hint="export it again")
    finally:
        cap.release()
    rgb = Image.fromarray(frame[:, :, ::-1].copy())
    out = io.BytesIO()
    rgb.save(out, format="PNG")
    poster = reencode_image(out.getvalue(), field=field, max_bytes=10**9)
    return CheckedVideo(container, codec, duration, width, height, fps, poster)
