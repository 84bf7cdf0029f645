"""The three engines side by side: in memory, DuckDB (Parquet folder) and Spark (local mode).

Usage::

    pip install -e ".[dev,spark]"            # and a Java 17 runtime for Spark
    python benchmarks/engines.py                            # 100k episodes
    python benchmarks/engines.py --sizes 100000 1000000     # and a million (~20 minutes)

For each size (the registries of ``run.py``, cached in ``benchmarks/data/``) the same summary
(every table, written as CSV) runs once per engine, each in a fresh process, one after the
other in the same run:

* ``memory``: ``load_logs`` of the Parquet file, then ``compute`` (``summary FILE``);
* ``duckdb``: ``summarise_dataset`` of the folder of monthly Parquet files (``summary FOLDER``);
* ``spark``: ``summarise_spark`` of the same folder on ``local[2]`` with a 2 GB driver heap,
  its session started inside the timing (``summary FOLDER --engine spark``).

While each runs, this script samples the resident memory of the whole process tree every
0.2 s: the Python driver, the JVM (Spark) and Spark's Python workers, and their sum. The wall
time is the process's, imports and JVM start included. Results go to
``benchmarks/engines.json`` and to the table between the markers in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import data_files, parquet_folder  # noqa: E402

RUNS = {
    "memory": "from recovery_toolkit import compute, load_logs\n"
    "results = compute(load_logs(PARQUET))",
    "duckdb": "from recovery_toolkit.engines.parquet import summarise_dataset\n"
    "results = summarise_dataset(FOLDER)",
    "spark": "import os\n"
    "from pyspark.sql import SparkSession\n"
    "from recovery_toolkit.engines.spark import summarise_spark\n"
    "spark = (SparkSession.builder.master('local[2]').config('spark.ui.enabled', 'false')"
    ".config('spark.driver.memory', '2g').config('spark.ui.showConsoleProgress', 'false')"
    ".config('spark.driver.bindAddress', '127.0.0.1').config('spark.driver.host', '127.0.0.1')"
    ".getOrCreate())\n"
    "spark.sparkContext.setLogLevel('ERROR')\n"
    "results = summarise_spark(FOLDER, spark=spark)",
}

_WRITE = (
    "\nfrom recovery_toolkit.render.export import write_tables\n"
    "write_tables(results, OUT, overwrite=True)\n"
    "print(results.provenance.episodes)\n"
)

MARKERS = ("<!-- engines:start -->", "<!-- engines:end -->")


def _tree(root: int) -> dict[int, tuple[int, str]]:
    """Every process under ``root`` (included): pid -> (parent pid, command name)."""
    found: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)
            name = fields[0].split("(", 1)[1]
            found[int(entry.name)] = (int(fields[1].split()[1]), name)
        except (OSError, IndexError, ValueError):
            continue
    members = {root}
    grew = True
    while grew:
        grew = False
        for pid, (parent, _) in found.items():
            if parent in members and pid not in members:
                members.add(pid)
                grew = True
    return {pid: found[pid] for pid in members if pid in found}


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure(engine: str, episodes: int, out: Path) -> dict:
    """Run one engine's summary in a fresh process; its wall time and peak memory by part."""
    csv, parquet = data_files(episodes)
    code = (
        f"PARQUET, FOLDER, OUT = {str(parquet)!r}, {str(parquet_folder(episodes))!r}, "
        f"{str(out)!r}\nimport warnings\nwarnings.simplefilter('ignore')\n" + RUNS[engine] + _WRITE
    )
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peaks = {"driver": 0.0, "jvm": 0.0, "workers": 0.0, "total": 0.0}
    while process.poll() is None:
        parts = {"driver": 0.0, "jvm": 0.0, "workers": 0.0}
        for pid, (_, name) in _tree(process.pid).items():
            part = "driver" if pid == process.pid else "jvm" if name == "java" else "workers"
            parts[part] += _rss_mb(pid)
        for part, mb in parts.items():
            peaks[part] = max(peaks[part], mb)
        peaks["total"] = max(peaks["total"], sum(parts.values()))
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{engine} failed:\n{stderr[-3000:]}")
    return {
        "episodes": episodes,
        "engine": engine,
        "seconds": round(seconds, 1),
        "episodes_summarised": int(stdout.strip().splitlines()[-1]),
        **{f"peak_{part}_mb": round(mb) for part, mb in peaks.items()},
    }


def markdown(entries: list[dict]) -> str:
    lines = [
        "| episodes | engine | wall s | x in memory | peak total MB | driver MB | JVM MB "
        "| Python workers MB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    memory = {e["episodes"]: e["seconds"] for e in entries if e["engine"] == "memory"}
    for e in entries:
        ratio = e["seconds"] / memory[e["episodes"]] if e["episodes"] in memory else float("nan")
        lines.append(
            f"| {e['episodes']:,} | {e['engine']} | {e['seconds']:.1f} | {ratio:.2f} "
            f"| {e['peak_total_mb']:,} | {e['peak_driver_mb']:,} | {e['peak_jvm_mb']:,} "
            f"| {e['peak_workers_mb']:,} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--engines", nargs="+", default=list(RUNS), choices=list(RUNS))
    args = parser.parse_args()
    out = HERE / "data" / "scratch_engines"
    entries = []
    for episodes in args.sizes:
        data_files(episodes)  # generated once, outside the timings
        for engine in args.engines:
            entry = measure(engine, episodes, out)
            entries.append(entry)
            print(json.dumps(entry), flush=True)
    result = {"machine": {"python": platform.python_version(), "platform": platform.platform()}}
    (HERE / "engines.json").write_text(json.dumps(result | {"runs": entries}, indent=2) + "\n")
    readme = HERE / "README.md"
    text = readme.read_text()
    if MARKERS[0] in text:
        head, rest = text.split(MARKERS[0], 1)
        tail = rest.split(MARKERS[1], 1)[1]
        readme.write_text(f"{head}{MARKERS[0]}\n{markdown(entries)}\n{MARKERS[1]}{tail}")
    print(markdown(entries))


if __name__ == "__main__":
    main()
