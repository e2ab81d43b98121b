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

gait_app = typer.Typer(
    help="Measure gait from phone/wearable IMU or video keypoints.",
    no_args_is_help=True,
    cls=lazy_group(SUBCOMMANDS),
)


def register(app: typer.Typer) -> None:
    app.add_typer(gait_app, name="gait")
