"""Benchmarks of recovery-toolkit on synthetic registries (run on demand, not in the tests).

Usage::

    python benchmarks/run.py                       # 10k and 100k episodes
    python benchmarks/run.py --sizes 10000 100000 1000000 --memory

For each size the package's own generator writes ``benchmarks/data/logs_<N>.csv`` and
``.parquet`` (15 rows per episode, cached between runs). Then, in one process and one run, each
stage is timed (best of ``--repeat`` runs): a bare ``pd.read_csv`` of the file (the floor),
``load_logs`` on CSV and on Parquet, each analysis on the loaded frame, and all analyses together
(``summary_tables`` plus Table 1, rate ratios and the adherence comparisons). With ``--memory``
every stage also runs once in a fresh interpreter to read its peak resident set size.

Results go to ``benchmarks/results.json`` and to the table between the markers in
``benchmarks/README.md``. Ratios against the bare read are the figures that count: this machine
is shared and noisy.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE.parent))

from recovery_toolkit import analysis, generate_logs, load_logs  # noqa: E402
from recovery_toolkit.report import build_report  # noqa: E402
from recovery_toolkit.summary import summary_tables  # noqa: E402


def data_files(episodes: int) -> tuple[Path, Path]:
    """Write (once) the CSV and Parquet files of a synthetic registry of ``episodes``."""
    DATA.mkdir(exist_ok=True)
    csv, parquet = DATA / f"logs_{episodes}.csv", DATA / f"logs_{episodes}.parquet"
    if not csv.exists() or not parquet.exists():
        logs = generate_logs(episodes, rng=2024)
        logs.to_parquet(parquet, index=False)
        text = logs.assign(
            treatment_date=logs["treatment_date"].dt.strftime("%Y-%m-%d"),
            log_date=logs["log_date"].dt.strftime("%Y-%m-%d"),
        )
        text.to_csv(csv, index=False)
    return csv, parquet


def all_analyses(logs: pd.DataFrame) -> None:
    """Every analysis of DESIGN §4 on one frame, sharing the episode table and the curve."""
    episodes = analysis.episode_table(logs)
    curve = analysis.recovery_curve(logs)
    summary_tables(logs, episodes=episodes, curve=curve)
    analysis.table_one(episodes)
    analysis.logrank(episodes)
    analysis.rate_ratios(episodes)
    analysis.resolution_by_adherence(episodes)
    analysis.item_resolution(episodes)
    analysis.completeness(episodes, by="site")
    analysis.escalation(episodes)


def explorer_updates(logs: pd.DataFrame) -> dict[str, Callable[[], object]]:
    """One PatientExplorer update (another patient) and one CohortExplorer filter change."""
    from recovery_toolkit.widgets import CohortExplorer, PatientExplorer

    patient = PatientExplorer(logs)
    patients = itertools.cycle(patient.patient.options[1::97])
    cohort = CohortExplorer(logs)
    choices = itertools.cycle([("injection",), ("chiropractic", "physical_therapy")])

    def next_patient() -> None:
        patient.patient.value = next(patients)

    def next_filter() -> None:
        cohort.types.value = next(choices)

    return {"PatientExplorer update": next_patient, "CohortExplorer filter": next_filter}


def stages(csv: Path, parquet: Path) -> dict[str, Callable[[], object]]:
    result = load_logs(csv)
    logs = result.logs
    episodes = analysis.episode_table(logs)
    return {
        "read_csv (floor)": lambda: pd.read_csv(csv),
        "load_logs csv": lambda: load_logs(csv),
        "load_logs parquet": lambda: load_logs(parquet),
        "episode_table": lambda: analysis.episode_table(logs),
        "recovery_curve": lambda: analysis.recovery_curve(logs),
        "time_to_resolution": lambda: analysis.time_to_resolution(episodes),
        "red_flag_incidence": lambda: analysis.red_flag_incidence(episodes),
        "adherence_table": lambda: analysis.adherence_table(episodes),
        "p_chart": lambda: analysis.p_chart(episodes),
        "alerts": lambda: analysis.alerts(logs, episodes),
        "all analyses": lambda: all_analyses(logs),
        "report (HTML)": lambda: build_report(result),
        **explorer_updates(logs),
    }


def best_time(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def median_time(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_rss_mb(stage: str, episodes: int) -> float:
    """Run one stage in a fresh interpreter and return its peak resident set size (MB)."""
    code = (
        "import resource, sys, warnings; warnings.simplefilter('ignore');"
        f"sys.path.insert(0, {str(HERE)!r}); import run;"
        f"csv, pq = run.data_files({episodes}); fns = run.stages(csv, pq);"
        "import gc; base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        f"fns[{stage!r}]();"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def run(sizes: list[int], repeat: int, memory: bool) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    results = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "pandas": pd.__version__,
        },
        "runs": [],
    }
    for episodes in sizes:
        csv, parquet = data_files(episodes)
        rows = sum(1 for _ in csv.open()) - 1
        for name, function in stages(csv, parquet).items():
            if "Explorer" in name:  # interface latency: the median of many updates
                seconds = median_time(function, 9)
            else:
                seconds = best_time(function, repeat)
            entry = {
                "episodes": episodes,
                "rows": rows,
                "stage": name,
                "seconds": round(seconds, 4),
                "rows_per_second": round(rows / seconds),
            }
            if memory:
                entry["peak_rss_mb"] = round(peak_rss_mb(name, episodes), 1)
            results["runs"].append(entry)
            print(json.dumps(entry), flush=True)
    return results


def markdown(results: dict) -> str:
    frame = pd.DataFrame(results["runs"])
    floor = frame[frame["stage"] == "read_csv (floor)"].set_index("episodes")["seconds"]
    frame["x read_csv"] = (frame["seconds"] / frame["episodes"].map(floor)).round(2)
    columns = ["episodes", "rows", "stage", "seconds", "x read_csv", "rows_per_second"]
    if "peak_rss_mb" in frame:
        columns.append("peak_rss_mb")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in frame[columns].itertuples(index=False):
        cells = (f"{v:,}" if isinstance(v, int) else str(v) for v in row)
        lines.append("| " + " | ".join(cells) + " |")
    seconds = frame.set_index(["episodes", "stage"])["seconds"]
    for episodes in sorted(frame["episodes"].unique()):
        load = seconds[(episodes, "load_logs csv")]
        lines.append(
            f"\nAt {episodes:,} episodes all analyses together take "
            f"{seconds[(episodes, 'all analyses')] / load:.2f}x and the HTML report "
            f"{seconds[(episodes, 'report (HTML)')] / load:.2f}x the time of `load_logs` on "
            "the CSV."
        )
    machine = results["machine"]
    lines.append(
        f"\nMachine: {machine['platform']}, {machine['cpus']} CPUs, Python {machine['python']}, "
        f"pandas {machine['pandas']}."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="also measure peak RSS per stage")
    args = parser.parse_args()
    results = run(args.sizes, args.repeat, args.memory)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    readme = HERE / "README.md"
    text = readme.read_text()
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    head, rest = text.split(start)
    _, tail = rest.split(end)
    readme.write_text(f"{head}{start}\n{markdown(results)}\n{end}{tail}")
    print(markdown(results))


if __name__ == "__main__":
    main()
