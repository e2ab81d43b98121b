"""The ``retrowalk gait`` command group; its IMU and pose commands are imported on first use."""

from __future__ import annotations

import typer

from retrowalk.cli._lazy import lazy_group

#: ``gait`` subcommand -> the module whose ``register(app)`` adds it.
SUBCOMMANDS: dict[str, str] = {
    "imu": "gait_imu",
    "batch": "gait_imu",
    "pose": "gait_pose",
    "video": "gait_pose",
}

#: Each subcommand's line in ``retrowalk gait --help``, so the list imports none of them (the
#: pose modules alone took over a second); ``tests/test_cli_startup.py`` checks the wording.
SUBCOMMAND_HELP: dict[str, str] = {
    "imu": "Steps, cadence, variability, walking bouts and direction from one IMU recording.",
    "batch": "Analyse every recording in a folder, in parallel, into one table (one row per file).",
    "pose": "Knee extension, trunk lean, toe-first contact and step symmetry from side-view keypoints.",
    "video": "Extract keypoints with MediaPipe Pose (offline, bundled model), then run `gait pose`.",
}

gait_app = typer.Typer(
    help="Measure gait from phone/wearable IMU or video keypoints.",
    no_args_is_help=True,
    cls=lazy_group(SUBCOMMANDS, SUBCOMMAND_HELP),
)


def register(app: typer.Typer) -> None:
    app.add_typer(gait_app, name="gait")
