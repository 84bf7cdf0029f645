"""How fast the command line starts: ``recovery-toolkit --help`` and ``validate --help``.

Run on demand: ``python benchmarks/startup.py``. Each figure is the best of five runs of a
fresh interpreter (wall time and peak resident memory), beside a bare ``python -c pass`` of the
same run, the floor on this machine.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "recovery-toolkit --help": [sys.executable, "-m", "recovery_toolkit.cli", "--help"],
    "recovery-toolkit validate --help": [
        sys.executable,
        "-m",
        "recovery_toolkit.cli",
        "validate",
        "--help",
    ],
}


def best_of(command: list[str], runs: int = 5) -> float:
    """Best wall time of ``runs`` fresh processes, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    figures = {}
    for name, command in COMMANDS.items():
        seconds = best_of(command)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        figures[name] = {"seconds": round(seconds, 3), "peak_mb_so_far": round(peak_mb, 1)}
        print(f"{name:36} {seconds:6.3f} s")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
