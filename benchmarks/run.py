"""Benchmarks of recovery-toolkit on synthetic registries (run on demand, not in the tests).

Usage::

    python benchmarks/run.py                       # 10k and 100k episodes
    python benchmarks/run.py --sizes 10000 100000 1000000 --memory
    python benchmarks/run.py --sizes 100000 --only load   # the reads and load_logs only

For each size the package's own generator writes ``benchmarks/data/logs_<N>.csv`` and
``.parquet`` (15 rows per episode, cached between runs). Then, in one process and one run, each
stage is timed (best of ``--repeat`` runs): a bare ``pd.read_csv`` of the file that parses the
two date columns (the floor), the plain ``pd.read_csv`` (dates left as text), ``load_logs`` on
CSV and on Parquet, each analysis on the loaded frame, and all analyses together
(``compute``: every table of the summary and the report, plus rate ratios), and all analyses
again alternately with the read with dates (best of each; the paired ratio). With ``--memory``
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

from recovery_toolkit import analysis, compute, generate_logs, load_logs  # noqa: E402
from recovery_toolkit.analysis.model_curve import recovery_curve_model  # noqa: E402
from recovery_toolkit.engines.parquet import summarise_dataset  # noqa: E402
from recovery_toolkit.io.result import LoadResult  # noqa: E402
from recovery_toolkit.render.export import write_tables  # noqa: E402
from recovery_toolkit.render.report import build_report  # noqa: E402
from recovery_toolkit.samples import sample_path  # noqa: E402, F401 (bench.sample_path)


def data_files(episodes: int) -> tuple[Path, Path]:
    """Write (once) the CSV and Parquet files of a synthetic registry of ``episodes``, and a
    folder with one Parquet file per treatment month (for the out-of-core path)."""
    DATA.mkdir(exist_ok=True)
    csv, parquet = DATA / f"logs_{episodes}.csv", DATA / f"logs_{episodes}.parquet"
    folder = parquet_folder(episodes)
    if not csv.exists() or not parquet.exists() or not folder.exists():
        import pyarrow as pa
        import pyarrow.csv as pacsv

        logs = generate_logs(episodes, rng=2024)
        logs.to_parquet(parquet, index=False)
        table = pa.Table.from_pandas(
            logs.assign(
                treatment_date=logs["treatment_date"].dt.date,
                log_date=logs["log_date"].dt.date,
            ),
            preserve_index=False,
        )
        options = pacsv.WriteOptions(quoting_style="needed")
        pacsv.write_csv(table, csv, options)  # pandas' to_csv takes minutes at a million episodes
        folder.mkdir(exist_ok=True)
        month = logs["treatment_date"].dt.strftime("%Y-%m")
        for name, part in logs.groupby(month, sort=True):
            part.to_parquet(folder / f"treated_{name}.parquet", index=False)
    return csv, parquet


def parquet_folder(episodes: int) -> Path:
    return DATA / f"logs_{episodes}_by_month"


def all_analyses(result: LoadResult) -> None:
    """Every analysis of docs/methods.md on one loaded file: ``compute`` (the episode table
    once, every table of the summary and the report) and the rate ratios."""
    results = compute(result)
    analysis.rate_ratios(results.episodes)


def explorer_updates(logs: pd.DataFrame) -> dict[str, Callable[[], object]]:
    """One PatientExplorer update (another patient) and one CohortExplorer filter change."""
    from recovery_toolkit.render.widgets import CohortExplorer, PatientExplorer

    patient = PatientExplorer(logs)
    patients = itertools.cycle(patient.patient.options[1::97])
    cohort = CohortExplorer(logs)
    choices = itertools.cycle([("injection",), ("chiropractic", "physical_therapy")])

    def next_patient() -> None:
        patient.patient.value = next(patients)

    def next_filter() -> None:
        cohort.types.value = next(choices)

    return {"PatientExplorer update": next_patient, "CohortExplorer filter": next_filter}


#: The floor: the bare read of the same file, its two date columns parsed as dates (the
#: loader's output has them as dates too); the plain read (dates left as text) is a second
#: figure.
DATE_COLUMNS = ["treatment_date", "log_date"]
FLOOR = "read_csv, dates parsed (floor)"
PLAIN = "read_csv, plain"


def load_stages(csv: Path, parquet: Path) -> dict[str, Callable[[], object]]:
    """The bare reads and ``load_logs`` (``--only load``)."""
    return {
        FLOOR: lambda: pd.read_csv(csv, parse_dates=DATE_COLUMNS),
        PLAIN: lambda: pd.read_csv(csv),
        "load_logs csv": lambda: load_logs(csv),
        "load_logs parquet": lambda: load_logs(parquet),
    }


def stages(csv: Path, parquet: Path) -> dict[str, Callable[[], object]]:
    result = load_logs(csv)
    logs = result.logs
    episodes = analysis.episode_table(logs)
    return {
        **load_stages(csv, parquet),
        "episode_table": lambda: analysis.episode_table(logs),
        "recovery_curve": lambda: analysis.recovery_curve(logs),
        "time_to_resolution": lambda: analysis.time_to_resolution(episodes),
        "red_flag_incidence": lambda: analysis.red_flag_incidence(episodes),
        "adherence_table": lambda: analysis.adherence_table(episodes),
        "p_chart": lambda: analysis.p_chart(episodes),
        "alerts": lambda: analysis.alerts(logs, episodes),
        "resolution_milestones (KM, IPCW, bounds)": lambda: analysis.resolution_milestones(
            episodes
        ),
        "hazard_ratios": lambda: analysis.hazard_ratios(episodes),
        "all analyses": lambda: all_analyses(result),
        "model-based curve (opt-in; 5,000-episode sample)": lambda: recovery_curve_model(episodes),
        "summary (tables and files)": lambda: write_tables(
            compute(result), _scratch(), overwrite=True
        ),
        "summary of the Parquet folder (out of core)": lambda: summarise_folder(
            parquet.with_name(parquet.stem + "_by_month")
        ),
        "report (HTML)": lambda: build_report(result),
        **explorer_updates(logs),
    }


def _scratch() -> Path:
    out = DATA / "scratch"
    out.mkdir(exist_ok=True)
    return out


def summarise_folder(folder: Path) -> None:
    """The out-of-core path as ``recovery-toolkit summary FOLDER`` runs it."""
    write_tables(summarise_dataset(folder), _scratch(), overwrite=True)


def summarise_file(path: Path) -> None:
    """The in-memory path as ``recovery-toolkit summary FILE`` runs it."""
    write_tables(compute(load_logs(path)), _scratch(), overwrite=True)


#: Whole workflows from the file, each run in a fresh interpreter for its peak memory.
MEMORY_WORKFLOWS = {
    FLOOR: "bench.pd.read_csv(csv, parse_dates=bench.DATE_COLUMNS)",
    PLAIN: "bench.pd.read_csv(csv)",
    "load_logs csv": "bench.load_logs(csv)",
    "load_logs parquet": "bench.load_logs(parquet)",
    "summary of the CSV (in memory)": "bench.summarise_file(csv)",
    "summary of the Parquet file (in memory)": "bench.summarise_file(parquet)",
    "summary of the Parquet folder (out of core)": "bench.summarise_folder(folder)",
    "report (HTML)": "bench.build_report(bench.load_logs(csv))",
}


def best_time(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


#: All analyses timed again, alternating run by run with the read with dates: the two best
#: times then come from the same stretch of the machine's load, which moves a ratio between
#: a floor measured at the start and a stage measured minutes later by up to ±10 %.
PAIRED = "all analyses, alternating with the read with dates"


def paired_times(
    floor: Callable[[], object], stage: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """The best of ``repeat`` runs of ``floor`` and of ``stage``, run alternately."""
    floors, stages = [], []
    for _ in range(repeat):
        floors.append(best_time(floor, 1))
        stages.append(best_time(stage, 1))
    return min(floors), min(stages)


def median_time(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def high_water_mb() -> float:
    """Peak resident set size of this process so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


#: Workflows that read only ``csv``: they also run on the bundled sample, whose peak is the
#: fixed cost of the same command (imports, first calls) that the size-dependent part is above.
ON_SAMPLE = (FLOOR, PLAIN, "load_logs csv", "summary of the CSV (in memory)", "report (HTML)")


def peak_rss_mb(workflow: str, episodes: int | None) -> tuple[float, float]:
    """Run one workflow in a fresh interpreter (``episodes=None``: on the bundled sample);
    return its resident set size (MB) after the imports and at its peak."""
    # VmHWM of /proc/self/status: the peak of this process's own memory (ru_maxrss would
    # carry over the parent's peak on Linux)
    files = (
        "csv = bench.sample_path(); parquet = folder = None;"
        if episodes is None
        else f"n = {episodes}; csv, parquet = bench.data_files(n); "
        "folder = bench.parquet_folder(n);"
    )
    code = (
        "import sys, warnings; warnings.simplefilter('ignore');"
        f"sys.path.insert(0, {str(HERE)!r}); import run as bench;"
        f"{files}"
        "base = bench.high_water_mb();"
        f"{MEMORY_WORKFLOWS[workflow]};"
        "print(base, bench.high_water_mb())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    base, peak = map(float, done.stdout.strip().splitlines()[-1].split())
    return base, peak


def record(results: dict, stage: dict, seconds: float, **more: float) -> None:
    """Add one stage's time to ``results`` and print it."""
    entry = {
        **stage,
        "seconds": round(seconds, 4),
        "rows_per_second": round(stage["rows"] / seconds),
        **more,
    }
    results["runs"].append(entry)
    print(json.dumps(entry), flush=True)


def run(sizes: list[int], repeat: int, memory: bool, only: str = "all") -> dict:
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
        if memory:  # first, while this process holds no data of this size
            results.setdefault("memory", []).extend(memory_runs(csv, episodes, rows))
        times = repeat if rows < 5_000_000 else 1  # a million episodes: once is minutes
        functions = load_stages(csv, parquet) if only == "load" else stages(csv, parquet)
        for name, function in functions.items():
            if "Explorer" in name:  # interface latency: the median of many updates
                seconds = median_time(function, 9)
            else:
                seconds = best_time(function, times)
            record(results, {"episodes": episodes, "rows": rows, "stage": name}, seconds)
        if "all analyses" in functions:
            floor, seconds = paired_times(functions[FLOOR], functions["all analyses"], times)
            stage = {"episodes": episodes, "rows": rows, "stage": PAIRED}
            record(results, stage, seconds, floor_seconds=round(floor, 4))
        functions = None  # let this size's data go before the next size
        gc.collect()
    return results


def memory_runs(csv: Path, episodes: int, rows: int) -> list[dict]:
    frame_mb = load_logs(csv).logs.memory_usage(deep=True).sum() / 2**20
    gc.collect()
    entries = []
    for workflow in MEMORY_WORKFLOWS:
        base, peak = peak_rss_mb(workflow, episodes)
        sample_peak = peak_rss_mb(workflow, None)[1] if workflow in ON_SAMPLE else None
        entry = {
            "episodes": episodes,
            "rows": rows,
            "workflow": workflow,
            "peak_rss_mb": round(peak, 1),
            "above_imports_mb": round(peak - base, 1),
            "above_sample_mb": None if sample_peak is None else round(peak - sample_peak, 1),
            "validated_frame_mb": round(frame_mb, 1),
        }
        entries.append(entry)
        print(json.dumps(entry), flush=True)
    return entries


def markdown(results: dict) -> str:
    frame = pd.DataFrame(results["runs"])
    floor = frame[frame["stage"] == FLOOR].set_index("episodes")["seconds"]
    plain = frame[frame["stage"] == PLAIN].set_index("episodes")["seconds"]
    dated = frame["episodes"].map(floor)
    if "floor_seconds" in frame:  # the paired row: against the read timed beside it
        dated = frame["floor_seconds"].fillna(dated)
    frame["x read with dates"] = (frame["seconds"] / dated).round(2)
    frame["x plain read"] = (frame["seconds"] / frame["episodes"].map(plain)).round(2)
    columns = [
        "episodes",
        "rows",
        "stage",
        "seconds",
        "x read with dates",
        "x plain read",
        "rows_per_second",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in frame[columns].itertuples(index=False):
        cells = (f"{v:,}" if isinstance(v, int) else str(v) for v in row)
        lines.append("| " + " | ".join(cells) + " |")
    seconds = frame.set_index(["episodes", "stage"])["seconds"]
    sizes = sorted(frame["episodes"].unique())
    lines.append(
        "\n`x read with dates` divides by `pd.read_csv(path, parse_dates=[the two date "
        "columns])` (the floor), `x plain read` by the plain `pd.read_csv(path)`.\n\n"
        "Targets (issue 10 for `load_logs` against the read with dates; issue 6 against the "
        "plain read), as ratios measured in the same run:\n"
    )
    for episodes in sizes:
        dated, plain_read = seconds[(episodes, FLOOR)], seconds[(episodes, PLAIN)]
        load = seconds[(episodes, "load_logs csv")]
        line = (
            f"- {episodes:,} episodes: `load_logs` CSV {load / dated:.2f}x the read with dates "
            f"(target 1.7x at 100,000 episodes), {load / plain_read:.2f}x the plain read "
            "(target 1.5x)"
        )
        if (episodes, PAIRED) in seconds.index:
            pair = frame[(frame["episodes"] == episodes) & (frame["stage"] == PAIRED)].iloc[0]
            line += (
                f"; all analyses {seconds[(episodes, 'all analyses')] / dated:.2f}x the read "
                f"with dates timed at the start, {pair['x read with dates']:.2f}x timed "
                "alternately with it (target 1x, issue 11)"
            )
        if (episodes, "all analyses") in seconds.index:
            line += (
                f"; all analyses {seconds[(episodes, 'all analyses')] / plain_read:.2f}x the "
                f"plain read (target 1x); report "
                f"{seconds[(episodes, 'report (HTML)')] / load:.2f}x `load_logs` (target 3x)"
            )
        lines.append(line)
    for small, large in itertools.pairwise(sizes):
        growth = seconds.xs(large) / seconds.xs(small)
        worst = growth.idxmax()
        lines.append(
            f"- {small:,} → {large:,} episodes ({large / small:.0f}x the rows): every stage "
            f"takes at most {growth.max():.1f}x the time ({worst}; target 12x)"
        )
    if results.get("memory"):
        memory = pd.DataFrame(results["memory"])
        ratio = memory["above_imports_mb"] / memory["validated_frame_mb"]
        memory["x validated frame"] = ratio.round(2)
        if "above_sample_mb" not in memory:
            memory["above_sample_mb"] = None
        above = pd.to_numeric(memory["above_sample_mb"], errors="coerce")
        memory["x frame, above sample"] = (above / memory["validated_frame_mb"]).round(2)
        lines.append(
            "\nPeak resident memory of whole workflows from the file, each in a fresh "
            "interpreter (`--memory`); `above_imports_mb` leaves out the ~0.3 GB that importing "
            "the package and its libraries takes, and is what `x validated frame` divides; "
            "`above_sample_mb` leaves out the peak of the same workflow on the bundled sample "
            "(imports and the fixed cost of first calls), and is what `x frame, above sample` "
            "divides:\n"
        )
        columns = [
            "episodes",
            "workflow",
            "peak_rss_mb",
            "above_imports_mb",
            "above_sample_mb",
            "validated_frame_mb",
            "x validated frame",
            "x frame, above sample",
        ]
        lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for row in memory[columns].itertuples(index=False):
            cells = (f"{v:,}" if isinstance(v, int) else str(v) for v in row)
            lines.append("| " + " | ".join(cells) + " |")
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
    parser.add_argument(
        "--only",
        choices=("all", "load"),
        default="all",
        help="'load': time only the bare reads and load_logs (CSV and Parquet)",
    )
    args = parser.parse_args()
    results = run(args.sizes, args.repeat, args.memory, args.only)
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
