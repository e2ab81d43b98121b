"""Start-up cost of the CLI: wall time and peak memory of whole `retrowalk` processes (not a test).

Each command runs as a fresh ``python -m retrowalk ...`` process, as a user would start it; the
wall time is the parent's monotonic clock around start and exit; CPU time (user + system) and the
peak memory (maximum resident set size) are the child's own, from ``wait4``. CPU time moves less
than wall time when the machine is shared. Prints a markdown table of median (min-max).

Each child gets its own ``XDG_CACHE_HOME`` (a temporary folder), so the parsed-catalogue cache
(``retrowalk.cli._cache``) is filled by the warm-up run and the figures do not depend on this
user's cache; ``--cold`` gives every run an empty one (a first start after an upgrade).
``--bytecode`` gives the children a private bytecode cache (``PYTHONPYCACHEPREFIX``, warmed up
too) even where ``PYTHONDONTWRITEBYTECODE`` is set, as an installed wheel has one: without it
every run compiles retrowalk's modules again (about 25 ms of ``assess``).

    python benchmarks/cli_startup.py --runs 7
    python benchmarks/cli_startup.py --runs 7 --bytecode
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
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
    "retrowalk assess --format json": ["assess", "examples/intake.yaml", "--format", "json"],
    "retrowalk next --format json": ["next", "examples/sessions.yaml", "--format", "json"],
}


def run_once(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one ``python -m retrowalk ARGS`` process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "retrowalk", *args],
        cwd=ROOT,
        env=env,
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
    parser.add_argument("--cold", action="store_true", help="an empty catalogue cache for every run")
    parser.add_argument("--bytecode", action="store_true", help="children keep compiled bytecode")
    opts = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="cli-startup-"))
    env = dict(os.environ, XDG_CACHE_HOME=str(scratch / "cache"))
    if opts.bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    bytecode = "kept" if opts.bytecode or not sys.flags.dont_write_bytecode else "not written"
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {opts.runs} runs per command, "
        f"bytecode {bytecode}, catalogue cache {'cold' if opts.cold else 'warm'}\n"
    )
    print("| command | wall s, median (min–max) | CPU s | peak MiB |")
    print("|---|---:|---:|---:|")
    try:
        for label, args in COMMANDS.items():
            if not (ROOT / IMU).exists() and IMU in args:
                print(f"| `{label}` | skipped: {IMU} absent | | |")
                continue
            for _ in range(opts.warmup):
                run_once(args, env)
            runs = []
            for _ in range(opts.runs):
                cold = dict(env, XDG_CACHE_HOME=tempfile.mkdtemp(dir=scratch, prefix="cold-"))
                runs.append(run_once(args, cold if opts.cold else env))
            walls, cpus, peaks = zip(*runs, strict=True)
            print(
                f"| `{label}` | {_range(list(walls), '.3f')} | {statistics.median(cpus):.3f} "
                f"| {statistics.median(peaks):.1f} |"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
