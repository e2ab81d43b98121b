"""Start-up cost of the CLI: wall time and peak memory of whole `retrowalk` processes (not a test).

Each command runs as a fresh ``python -m retrowalk ...`` process, as a user would start it; the
wall time is the parent's monotonic clock around start and exit; CPU time (user + system) and the
peak memory (maximum resident set size) are the child's own, from ``wait4``. CPU time moves less
than wall time when the machine is shared. Prints a markdown table of median (min-max).

    python benchmarks/cli_startup.py --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMU = "tests/data/mobilised/HA_001_TimeMeasure1_Test5_Trial1.csv.gz"
COMMANDS: dict[str, list[str]] = {
    "retrowalk --help": ["--help"],
    "retrowalk score koos": ["score", "koos", "examples/koos_answers.json"],
    "retrowalk assess": ["assess", "examples/intake.yaml"],
    "retrowalk next": ["next", "examples/sessions.yaml"],
    "retrowalk gait imu": [
        "gait",
        "imu",
        IMU,
        "--placement",
        "waist",
        "--acc-unit",
        "g",
        "--gyr-unit",
        "deg/s",
    ],
}


def run_once(args: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one ``python -m retrowalk ARGS`` process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "retrowalk", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"retrowalk {' '.join(args)} exited {proc.returncode}: {err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux reports KiB


def _range(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (file cache)")
    opts = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {opts.runs} runs per command\n")
    print("| command | wall s, median (min–max) | CPU s | peak MiB |")
    print("|---|---:|---:|---:|")
    for label, args in COMMANDS.items():
        if not (ROOT / IMU).exists() and IMU in args:
            print(f"| `{label}` | skipped: {IMU} absent | | |")
            continue
        for _ in range(opts.warmup):
            run_once(args)
        walls, cpus, peaks = zip(*(run_once(args) for _ in range(opts.runs)), strict=True)
        print(
            f"| `{label}` | {_range(list(walls), '.3f')} | {statistics.median(cpus):.3f} "
            f"| {statistics.median(peaks):.1f} |"
        )


if __name__ == "__main__":
    main()
