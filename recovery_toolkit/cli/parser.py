"""The ``recovery-toolkit`` argument parser: commands and their options.

Examples
--------
>>> build_parser().parse_args(["validate", "x.csv", "--json"]).json
True
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import __version__, vocab
from ..vocab import MIN_CELL, RESOLVED_AT, WINDOW_DAYS
from . import commands as run

__all__ = ["build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``recovery-toolkit`` command.

    Examples
    --------
    >>> build_parser().parse_args(["validate", "x.csv", "--json"]).json
    True
    """
    parser = argparse.ArgumentParser(
        prog=run.PROG,
        description="Soreness-log analysis after spine-focused care.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_validate, _add_report, _add_summary, _add_sample):
        add(commands)
    return parser


def _add_validate(commands: argparse._SubParsersAction) -> None:
    validate = commands.add_parser(
        "validate",
        help="check a soreness-log export and explain every problem",
        description="Load PATH (default: the bundled sample), validate it and report problems.",
    )
    _add_loader_options(validate)
    validate.add_argument("--json", action="store_true", help="print a JSON object instead")
    validate.add_argument(
        "--quarantine", metavar="OUT.csv", type=Path, help="write quarantined rows to this CSV"
    )
    validate.set_defaults(run=run.run_validate)


def _add_report(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report",
        help="write the HTML report (one self-contained file, readable offline)",
        description="Write a self-contained HTML report of PATH (default: the bundled sample). "
        "PATH may be a folder of Parquet files (summarised part by part with DuckDB) or, with "
        "--engine spark, a registry on a cluster (the alert list then stays on the cluster).",
    )
    _add_loader_options(report)
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("report.html"),
        metavar="FILE",
        help="report file (default: report.html)",
    )
    _add_engine_options(report)
    _add_output_options(report, force="overwrite an existing report")
    report.set_defaults(run=run.run_report)


def _add_summary(commands: argparse._SubParsersAction) -> None:
    summary = commands.add_parser(
        "summary",
        help="write the summary tables (CSV or Excel) and a manifest",
        description="Compute recovery curves, time to resolution, red-flag incidence, "
        "adherence, completeness, SPC and alerts, and write them as CSV files or one Excel "
        "workbook, with manifest.json. PATH may be a folder of Parquet files too large for "
        "memory: it is then split by patient (DuckDB) and summarised part by part.",
    )
    _add_loader_options(summary)
    summary.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    summary.add_argument(
        "--quarantine",
        metavar="OUT.csv",
        type=_source,
        help="also write the quarantined rows (original values, source file and row, reasons) "
        "to this CSV (with --engine spark: a Parquet folder Spark writes), to correct them; "
        "not with --share",
    )
    _add_engine_options(summary)
    summary.add_argument(
        "--alerts",
        metavar="URI",
        type=_source,
        help="with --engine spark: where Spark writes the alerts as Parquet (default OUT/alerts; "
        "on a cluster, a folder it can write)",
    )
    summary.add_argument(
        "--format",
        choices=("csv", "xlsx"),
        default="csv",
        help="CSV files, or one Excel workbook (summary.xlsx) with a sheet per table",
    )
    _add_output_options(summary, force="replace existing output files")
    summary.set_defaults(run=run.run_summary)


def _add_sample(commands: argparse._SubParsersAction) -> None:
    sample = commands.add_parser(
        "sample",
        help="write synthetic sample files (canonical, messy EHR, REDCap)",
        description="Write synthetic sample data and the mapping files that read it.",
    )
    sample.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    sample.add_argument("--episodes", type=_positive_int, default=400, metavar="N")
    sample.add_argument("--seed", type=int, default=20251106, metavar="S")
    sample.set_defaults(run=run.run_sample)


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=("auto", "memory", "duckdb", "spark"),
        default="auto",
        help="where the rows are processed: in memory (a file), DuckDB part by part (a Parquet "
        "folder) or Spark (a Parquet folder or URI, or table:catalog.db.name); auto picks "
        "memory for a file and duckdb for a folder",
    )
    parser.add_argument(
        "--rows-per-part",
        type=_positive_int,
        metavar="N",
        help="with --engine duckdb or spark: about how many rows one part holds (default "
        "1,000,000 for duckdb, 200,000 for spark; peak memory grows with it)",
    )
    parser.add_argument(
        "--spark-master",
        metavar="URL",
        help="with --engine spark: the master of a new session (default local[2])",
    )
    parser.add_argument(
        "--spark-remote",
        metavar="sc://HOST:PORT",
        help="with --engine spark: a Spark Connect server instead of a master",
    )


def _source(text: str) -> Path | str:
    """A path, or as written when it is a URI or a catalog table (which a Path would mangle).

    Examples
    --------
    >>> _source("s3://bucket/registry"), _source("logs.csv")
    ('s3://bucket/registry', PosixPath('logs.csv'))
    """
    if "://" in text or text.startswith(("table:", "dbfs:")):
        return text
    return Path(text)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _add_loader_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", type=_source, metavar="PATH", help="CSV/TSV/XLSX/Parquet"
    )
    parser.add_argument("--mapping", type=Path, metavar="F", help="mapping file (YAML or TOML)")
    parser.add_argument("--encoding", metavar="E", help="text encoding, e.g. latin-1")
    parser.add_argument(
        "--date-format", metavar="F", help="format of non-ISO dates, e.g. %%d/%%m/%%Y"
    )
    parser.add_argument("--delimiter", metavar="D", help="field delimiter (default: sniffed)")
    parser.add_argument("--sheet", default=0, metavar="S", help="Excel worksheet name or index")


def _add_output_options(parser: argparse.ArgumentParser, *, force: str) -> None:
    """What every command that computes results takes: --force, the methods, sharing."""
    parser.add_argument("--force", action="store_true", help=force)
    _add_method_options(parser)
    _add_share_options(parser)


def _add_method_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--window",
        type=_positive_int,
        default=WINDOW_DAYS,
        metavar="N",
        help=f"last day of the metrics window (default {WINDOW_DAYS})",
    )
    parser.add_argument(
        "--resolved-at",
        type=int,
        default=RESOLVED_AT,
        choices=range(0, 11),
        metavar="N",
        help=f"soreness at or below which a day counts as resolved (default {RESOLVED_AT})",
    )
    parser.add_argument(
        "--definition",
        choices=("default", "pace"),
        default="default",
        help="resolution definition: default, or PACE "
        f"(0-{vocab.PACE_LEVEL} on {vocab.PACE_DAYS} consecutive days)",
    )
    parser.add_argument(
        "--stratify-by",
        choices=vocab.STRATA,
        default=None,
        help="compare treatment types (log-rank test, hazard ratios) within each site",
    )
    parser.add_argument(
        "--model-curve",
        action="store_true",
        help="also fit the model-based recovery curve (a mixed model, valid when drop-out "
        "depends on what was observed; tens of seconds)",
    )


def _add_share_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--share",
        action="store_true",
        help="make the output safe to leave the clinic (small counts suppressed, no IDs)",
    )
    parser.add_argument(
        "--min-cell",
        type=int,
        default=None,
        metavar="N",
        help=f"with --share: smallest count shown (default {MIN_CELL})",
    )
    parser.add_argument(
        "--pseudonym-key-file",
        type=Path,
        metavar="F",
        help="with --share: secret key file for HMAC-SHA256 pseudonyms of patients",
    )
