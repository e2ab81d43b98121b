"""Uploaded gait recordings: format checks and dispatch to the gait engines (IMU or pose)."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any, Literal

from retrowalk.errors import InputError
from retrowalk.gait.imu import analyse as analyse_imu
from retrowalk.gait.pose import analyse as analyse_pose
from retrowalk.io.imu import read_imu
from retrowalk.io.pose import read_keypoints

Kind = Literal["imu", "pose"]

#: Accepted file types per kind (readers in retrowalk.io.imu / retrowalk.io.pose).
ALLOWED_SUFFIXES: dict[str, frozenset[str]] = {
    "imu": frozenset({".csv", ".txt", ".tsv"}),
    "pose": frozenset({".json", ".csv", ".npy", ".npz"}),
}
#: Text exports also accepted gzip-compressed (``.csv.gz``, as the Mobilise-D samples come).
GZIP_KINDS: dict[str, frozenset[str]] = {"imu": frozenset({".csv", ".txt", ".tsv"})}
GZIP_MAGIC = b"\x1f\x8b"
NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"


class UnsupportedFormat(InputError):
    """The file type is not one this kind of recording can be (HTTP 415)."""


def check_format(kind: str, filename: str, head: bytes) -> str:
    """Cheap content check on the first bytes of an upload; returns the normalised suffix.

    Raises UnsupportedFormat for a file type the kind never accepts, InputError for a file whose
    content does not match its declared type.
    """
    if kind not in ALLOWED_SUFFIXES:
        raise InputError("kind", f"unknown recording kind {kind!r}", hint="use imu or pose")
    suffix = Path(filename).suffix.lower()
    if suffix == ".gz" and kind in GZIP_KINDS:
        inner = Path(Path(filename).stem).suffix.lower()
        if inner not in GZIP_KINDS[kind]:
            allowed = ", ".join(f"{s}.gz" for s in sorted(GZIP_KINDS[kind]))
            raise UnsupportedFormat("file", f"{inner or 'no extension'}.gz is not accepted", hint=allowed)
        if not head.startswith(GZIP_MAGIC):
            raise InputError("file", "not a gzip file", hint="compress the CSV export with gzip")
        # the same text checks on the start of the compressed text
        try:
            unpacked = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 65536)
        except zlib.error as exc:
            raise InputError(
                "file", "not a valid gzip file", hint="compress the CSV export with gzip"
            ) from exc
        return check_format(kind, f"x{inner}", unpacked) + ".gz"
    if suffix not in ALLOWED_SUFFIXES[kind]:
        allowed = ", ".join(sorted(ALLOWED_SUFFIXES[kind]))
        raise UnsupportedFormat(
            "file",
            f"{suffix or 'no extension'} is not a {kind} recording format",
            hint=f"upload one of: {allowed}",
        )
    if suffix == ".npy":
        if not head.startswith(NPY_MAGIC):
            raise InputError("file", "not a NumPy .npy file", hint="export the keypoints with numpy.save")
        return suffix
    if suffix == ".npz":
        if not head.startswith(ZIP_MAGIC):
            raise InputError("file", "not a NumPy .npz archive", hint="export with numpy.savez")
        return suffix
    if not head.strip():
        raise InputError("file", "the file is empty", hint="upload the exported recording")
    if b"\x00" in head:
        raise InputError("file", f"binary content in a {suffix} file", hint="upload the text export")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The head may cut a multi-byte character: only fail if the error is not at the very end.
        if exc.start < len(head) - 4:
            raise InputError("file", "not UTF-8 text", hint="export the recording as UTF-8") from exc
        text = head[: exc.start].decode("utf-8-sig", errors="strict")
    if suffix == ".json":
        if text.lstrip()[:1] not in ("{", "["):
            raise InputError("file", "not a JSON document", hint="upload the JSON export")
    else:
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        if not any(sep in first for sep in (",", ";", "\t")):
            raise InputError(
                "file",
                "the first line is not a delimited header",
                hint="upload a CSV export with a header row",
            )
    return suffix


def analyse_file(path: Path | str, kind: str, **opts: Any) -> dict[str, Any]:
    """Read a recording and run the matching gait engine; JSON-ready metrics.

    ``opts`` go to the reader (e.g. ``fps`` for pose) except ``placement`` which goes to the IMU
    analysis. Raises InputError for unreadable data.
    """
    path = Path(path)
    if kind == "imu":
        placement = opts.pop("placement", "unknown")
        rec = read_imu(path, **opts)
        return dict(analyse_imu(rec, placement=placement).model_dump(mode="json"))
    if kind == "pose":
        kp = read_keypoints(path, **opts)
        return dict(analyse_pose(kp).model_dump(mode="json"))
    raise InputError("kind", f"unknown recording kind {kind!r}", hint="use imu or pose")


def check_readable(path: Path | str, kind: str, **opts: Any) -> None:
    """Read the recording as its job will (cheap next to the analysis); InputError when unreadable.

    The upload answers at once with 422 for a file no job could analyse.
    """
    path = Path(path)
    if kind == "imu":
        read_imu(path)
    elif kind == "pose":
        read_keypoints(path, **{k: v for k, v in opts.items() if k == "fps"})
    else:
        raise InputError("kind", f"unknown recording kind {kind!r}", hint="use imu or pose")


def analyse_with_quality(
    path: Path | str, kind: str, **opts: Any
) -> tuple[str, dict[str, Any] | None, dict[str, Any]]:
    """Quality flags first, then the engine: (status, engine result JSON or None, quality JSON).

    Weak data (a flag that withholds) gets no numbers: status "withheld", no engine result, and
    the quality says why.
    """
    from retrowalk.gait.quality import imu_quality, pose_quality
    from retrowalk.io.capture import raw_imu_timestamps

    path = Path(path)
    if kind == "imu":
        placement = opts.pop("placement", "unknown")
        rec = read_imu(path, **opts)
        report = imu_quality(
            rec.acc, rec.sampling_rate_hz, timestamps_s=raw_imu_timestamps(path), gyr=rec.gyr
        )
        run = lambda: analyse_imu(rec, placement=placement).model_dump(mode="json")  # noqa: E731
    elif kind == "pose":
        kp = read_keypoints(path, **{k: v for k, v in opts.items() if k == "fps"})
        report = pose_quality(kp)
        run = lambda: analyse_pose(kp).model_dump(mode="json")  # noqa: E731
    else:
        raise InputError("kind", f"unknown recording kind {kind!r}", hint="use imu or pose")
    quality = {**report.model_dump(mode="json"), "ok": report.ok, "reason": report.reason}
    if not report.ok:
        return "withheld", None, quality
    return "analysed", dict(run()), quality
