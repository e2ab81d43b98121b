"""`retrowalk gait ...`: gait measurement commands (phone IMU, video keypoints) share this sub-app."""

from __future__ import annotations

import typer

gait_app = typer.Typer(
    name="gait", help="Measure gait from phone IMU recordings or video keypoints.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(gait_app, name="gait")
