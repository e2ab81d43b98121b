"""The shared ``retrowalk gait`` command group (IMU and pose commands attach to it)."""

from __future__ import annotations

import typer

gait_app = typer.Typer(help="Measure gait from phone/wearable IMU or video keypoints.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(gait_app, name="gait")
