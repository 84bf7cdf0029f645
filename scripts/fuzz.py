"""Fuzz the loader for a while (issue 14): ``python scripts/fuzz.py --seconds 1800``.

Runs the mutations of ``tests/fuzz_loader.py`` (bundled samples and real exports mutated at
byte and structure level, odd Parquet and Excel files) in rounds of fresh random seeds until
the time is up, and checks the loader's promise on each case: only the package's own errors
escape, refusals are one line, rows are conserved, quarantine row numbers never repeat.
Hypothesis shrinks each failure; the smallest input seen for each distinct failure is saved
under ``--out`` (the file, its mapping, the options and the error), and the run exits 1.

    python scripts/fuzz.py --seconds 60 --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzz_loader import Case, cases, check  # noqa: E402


def _key(exc: BaseException) -> str:
    """A failure's identity: its type and the innermost frame of the toolkit it came from."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if "recovery_toolkit" in f.filename
    ]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__} at {where}"


def _save(out: Path, key: str, case: Case, exc: BaseException) -> None:
    folder = out / key.replace(" ", "_").replace(":", "_")
    shutil.rmtree(folder, ignore_errors=True)
    case.write(folder)
    (folder / "case.json").write_text(
        json.dumps({"file": case.name, "options": case.options, "error": repr(exc)}, indent=2)
    )


def fuzz_round(round_seed: int, examples: int, work: Path, failures: dict) -> int:
    """One round of ``examples`` cases; returns how many ran."""
    ran, failed = [0], [False]

    @seed(round_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def probe(case: Case) -> None:
        ran[0] += 1
        folder = Path(tempfile.mkdtemp(dir=work))
        try:
            check(case, folder)
        except Exception as exc:
            failed[0] = True
            key = _key(exc)
            smallest = failures.get(key)
            if smallest is None or len(case.data) < len(smallest[0].data):
                failures[key] = (case, exc)
            raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    try:
        probe()
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        if not failed[0]:  # not a failure of the loader: a fault of the fuzzer itself
            raise
    return ran[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--seed", type=int, default=None, help="first round's seed (default: random)"
    )
    parser.add_argument("--examples", type=int, default=500, help="cases per round")
    parser.add_argument("--out", type=Path, default=ROOT / "fuzz-failures")
    args = parser.parse_args()
    first = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    failures: dict = {}
    total, rounds, start = 0, 0, time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rt-fuzz-") as work:
        while time.monotonic() - start < args.seconds:
            total += fuzz_round(first + rounds, args.examples, Path(work), failures)
            rounds += 1
            print(f"{time.monotonic() - start:7.0f} s  {total:7,} cases  {len(failures)} failures")
    for key, (case, exc) in failures.items():
        _save(args.out, key, case, exc)
        print(f"FAILURE {key}: {exc!r} (saved under {args.out})")
    print(
        f"{total:,} cases in {rounds} rounds (seeds {first}..{first + rounds - 1}), "
        f"{len(failures)} distinct failures"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
