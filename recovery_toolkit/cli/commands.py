"""What each command does: ``validate``, ``report``, ``summary`` and ``sample``.

Each imports the layers it needs when it runs, so the command line starts fast and
``validate`` never loads charts, widgets or DuckDB.

Examples
--------
>>> from recovery_toolkit.cli.parser import build_parser
>>> args = build_parser().parse_args(["summary", "--out", "o", "--window", "21"])
>>> settings_of(args).window_days
21
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from .. import vocab
from ..errors import InputFileError, OptionError, RecoveryToolkitWarning
from ..vocab import MIN_CELL

if TYPE_CHECKING:  # the heavy layers are imported by the command that needs them
    import pandas as pd

    from ..analysis import Results, Settings
    from ..io.load import LoadResult

__all__ = ["PROG", "run_validate", "run_report", "run_summary", "run_sample", "settings_of"]

PROG = "recovery-toolkit"
_SHOWN_PROBLEMS = 20


def _share_key(args: argparse.Namespace) -> bytes | None:
    """Check the share options (``args.min_cell`` gets its default); return the key if any."""
    if args.min_cell is not None and not args.share:
        raise OptionError(
            "--min-cell", str(args.min_cell), "only applies with --share", "add --share"
        )
    if args.min_cell is not None and args.min_cell < 2:
        raise OptionError(
            "--min-cell",
            str(args.min_cell),
            "must be at least 2 (1 would hide nothing)",
            f"use the default {MIN_CELL} or your data-sharing agreement's threshold",
        )
    args.min_cell = MIN_CELL if args.min_cell is None else args.min_cell
    if args.pseudonym_key_file is None:
        return None
    if not args.share:
        raise OptionError(
            "--pseudonym-key-file",
            str(args.pseudonym_key_file),
            "only applies with --share",
            "add --share, or leave the key out",
        )
    from ..privacy import load_key

    try:
        return load_key(args.pseudonym_key_file)
    except OptionError as exc:  # the library names its parameter; here it is this flag
        raise exc.for_option("--pseudonym-key-file") from None


def _sample_path() -> Path:
    from ..samples import sample_path

    return sample_path()


def settings_of(args: argparse.Namespace) -> Settings:
    """The method settings the command-line options ask for."""
    from ..analysis import Settings

    return Settings(
        window_days=args.window,
        resolved_at=args.resolved_at,
        definition=args.definition,
        stratify_by=args.stratify_by,
        model_curve=args.model_curve,
        min_cell=MIN_CELL if args.min_cell is None else args.min_cell,
    )


def run_summary(args: argparse.Namespace) -> int:
    if args.out.exists() and not args.out.is_dir():
        raise OptionError("--out", str(args.out), "is a file", "name a folder for the tables")
    key = _share_key(args)
    engine = _engine(args)
    if args.quarantine is not None:
        if args.share:
            raise OptionError(
                "--quarantine",
                str(args.quarantine),
                "holds patients' raw rows and cannot go with --share",
                "write it in a separate, internal run without --share",
            )
        if engine != "spark":  # Spark writes a Parquet folder, where the cluster can
            quarantine_csv = _local("--quarantine", args.quarantine)
            _output_path(quarantine_csv, "--quarantine", [_input(args), args.mapping])
            if quarantine_csv.exists() and not args.force:
                raise OptionError(
                    "--quarantine", str(quarantine_csv), "already exists", "pass --force"
                )
    if args.alerts is not None and engine != "spark":
        raise OptionError("--alerts", str(args.alerts), "only applies with --engine spark", _SPARK)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecoveryToolkitWarning)
        internal, quarantine = _results(args, engine)
    results = internal
    if args.share:
        from ..privacy import share

        results = share(internal, min_cell=args.min_cell, pseudonym_key=key)
    from ..render.export import write_tables

    paths: list[Path | str] = list(
        write_tables(results, args.out, overwrite=args.force, file_format=args.format)
    )
    if args.quarantine is not None and quarantine is not None:  # Spark wrote its own
        from ..io import write_csv

        paths.append(write_csv(quarantine, args.quarantine))
    paths.extend(_written_by_spark(internal))
    for warning in caught:
        print(f"{PROG}: note: {warning.message}", file=sys.stderr)
    if key is not None:
        print(f"{PROG}: note: {_RECORD_LEVEL}", file=sys.stderr)
    _print_counts(internal)  # on the clinic's own screen
    for path in paths:
        print(f"  wrote {path}")
    return 0


_SPARK = "add --engine spark, or leave it out"


def _input(args: argparse.Namespace) -> Path:
    return _sample_path() if args.path is None else _local("PATH", args.path)


def _local(option: str, value: Path | str) -> Path:
    """A local path; a URI or ``table:`` only makes sense to Spark."""
    if isinstance(value, str):
        raise OptionError(option, value, "is a URI or table, which only Spark reads", _SPARK)
    return value


def _engine(args: argparse.Namespace) -> str:
    """The engine the options ask for: ``memory``, ``duckdb`` or ``spark``."""
    engine = getattr(args, "engine", "auto")
    if engine != "spark":
        spark_flags = ("--spark-master", "spark_master"), ("--spark-remote", "spark_remote")
        for flag, value in ((f, getattr(args, name, None)) for f, name in spark_flags):
            if value is not None:
                raise OptionError(flag, value, "only applies with --engine spark", _SPARK)
        if engine == "auto":
            path = _input(args)
            engine = "duckdb" if path.is_dir() else "memory"
        elif engine == "duckdb" and not _input(args).is_dir():
            raise OptionError(
                "--engine", engine, "reads a folder of Parquet files", "name a folder as PATH"
            )
    elif args.path is None:
        raise OptionError("--engine", engine, "needs PATH", "name a Parquet folder, URI or table")
    return str(engine)


def _results(args: argparse.Namespace, engine: str) -> tuple[Results, pd.DataFrame | None]:
    """The results of PATH with ``engine``, and its quarantined rows to write as CSV (``None``
    with Spark, which writes them itself)."""
    settings = settings_of(args)
    if engine == "spark":
        return _spark_results(args, settings), None
    if engine == "duckdb":
        from ..engines.parquet import summarise_dataset

        path = _input(args)
        try:
            results = summarise_dataset(
                path,
                settings,
                mapping=args.mapping,
                date_format=args.date_format,
                rows_per_part=getattr(args, "rows_per_part", None) or 1_000_000,
            )
        except InputFileError as exc:
            if not exc.problem.startswith("has no valid rows"):
                raise
            raise InputFileError(
                path,
                exc.problem,
                "see why with: recovery-toolkit validate FILE.parquet --quarantine fix_me.csv "
                "(one file of the folder at a time)",
            ) from None
        return results, results.quarantine
    from ..analysis import compute

    result = _load(args)
    _require_valid_rows(result, args.path)
    if result.rows_read > 100_000:
        print(f"{PROG}: {result.rows_read:,} rows loaded; computing...", file=sys.stderr)
    return compute(result, settings), result.quarantine


#: The library's parameter -> the flag that sets it, for Spark's refusals.
_SPARK_FLAGS = {
    "master=": "--spark-master",
    "remote=": "--spark-remote",
    "quarantine_path=": "--quarantine",
    "alerts_path=": "--alerts",
    "rows_per_part=": "--rows-per-part",
}


def _spark_results(args: argparse.Namespace, settings: Settings) -> Results:
    from ..engines.spark import summarise_spark

    out = getattr(args, "out", None)
    alerts = getattr(args, "alerts", None)
    if alerts is not None and args.share:
        raise OptionError(
            "--alerts",
            str(alerts),
            "lists patients and cannot go with --share",
            "write it in a separate, internal run without --share",
        )
    if alerts is None and out is not None and not args.share:  # shared: no patient list
        alerts = out / "alerts"
    quarantine = getattr(args, "quarantine", None)
    print(
        f"{PROG}: starting Spark ({args.spark_remote or args.spark_master or 'local[2]'})...",
        file=sys.stderr,
    )
    try:
        return summarise_spark(
            str(args.path),
            settings,
            master=args.spark_master,
            remote=args.spark_remote,
            quarantine_path=None if quarantine is None else str(quarantine),
            alerts_path=None if alerts is None else str(alerts),
            mapping=args.mapping,
            date_format=args.date_format,
            overwrite=bool(getattr(args, "force", False)),
            **({} if args.rows_per_part is None else {"rows_per_part": args.rows_per_part}),
        )
    except OptionError as exc:
        if exc.option in _SPARK_FLAGS:
            raise exc.for_option(_SPARK_FLAGS[exc.option]) from None
        raise


def _written_by_spark(results: Results) -> list[str]:
    """The Parquet folders Spark wrote (quarantine, alerts), to list with the files."""
    return [
        f"{path} (Parquet, written by Spark)"
        for path in (
            getattr(results, "quarantine_path", None),
            getattr(results, "alerts_path", None),
        )
        if path is not None
    ]


def _print_counts(results: Results) -> None:
    p = results.provenance
    print(
        f"{Path(p.source).name}: {p.rows['valid']:,} valid rows, {p.episodes:,} "
        f"episodes ({p.rows['quarantined']:,} rows quarantined)"
    )


_RECORD_LEVEL = (
    "the alerts are listed one patient per row under pseudonyms: their counts are not "
    "suppressed; share them only with people allowed to see pseudonymised records"
)


def run_report(args: argparse.Namespace) -> int:
    output = _output_path(args.output, "--output", [args.path or _sample_path(), args.mapping])
    if output.exists() and not args.force:
        raise OptionError("--output", str(output), "already exists", "pass --force to overwrite it")
    key = _share_key(args)
    with warnings.catch_warnings():  # the report lists them in its methods section
        warnings.simplefilter("ignore", RecoveryToolkitWarning)
        results, _ = _results(args, _engine(args))
    from ..render.report import write_report

    write_report(
        results,
        output,
        overwrite=True,
        share=args.share,
        min_cell=args.min_cell,
        pseudonym_key=key,
    )
    if key is not None:
        print(f"{PROG}: note: {_RECORD_LEVEL}", file=sys.stderr)
    _print_counts(results)
    print(f"  wrote {output}")
    return 0


def _require_valid_rows(result: LoadResult, path: Path | None) -> None:
    """Summaries and reports need valid rows: say so in one line, and how to see why."""
    if result.rows_valid == 0:
        shown = path or _sample_path()
        raise InputFileError(
            shown,
            f"has no valid rows (all {result.rows_read:,} rows were quarantined)",
            f"see why with: recovery-toolkit validate {shown} --quarantine fix_me.csv",
        )


def _load(args: argparse.Namespace) -> LoadResult:
    from ..io import load_logs

    sheet = int(args.sheet) if str(args.sheet).isdigit() else args.sheet
    return load_logs(
        args.path or _sample_path(),
        mapping=args.mapping,
        encoding=args.encoding,
        date_format=args.date_format,
        delimiter=args.delimiter,
        sheet=sheet,
    )


def _output_path(path: Path, option: str, inputs: list[Path | None]) -> Path:
    """Refuse an output that is a folder or one of the inputs (inputs are never modified)."""
    if path.is_dir():
        raise OptionError(option, str(path), "is a folder", "name a file, e.g. fix_me.csv")
    for source in inputs:
        if source is not None and path.resolve() == Path(source).resolve():
            raise OptionError(
                option,
                str(path),
                "is an input file, which is never overwritten",
                "name another file",
            )
    return path


def run_validate(args: argparse.Namespace) -> int:
    if args.quarantine is not None:
        _output_path(args.quarantine, "--quarantine", [args.path or _sample_path(), args.mapping])
    result = _load(args)
    if args.quarantine is not None:
        from ..io import write_csv

        write_csv(result.quarantine, args.quarantine, sep=result.options["delimiter"] or ",")
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(str(result))
    problems = result.problems
    if len(problems):
        print(f"\nfirst {min(len(problems), _SHOWN_PROBLEMS)} of {len(problems):,} problems:")
        for p in problems.head(_SHOWN_PROBLEMS).itertuples(index=False):
            value = repr(p.value) if isinstance(p.value, str) else "(blank)"  # None or NaN
            print(f"  row {p.row:>6}  {p.column:<22} {p.code:<24} {value}")
        print("\nfixes:")
        for code in result.problem_counts():
            print(f"  {code}: {vocab.REASONS[code].fix}")
        if args.quarantine is None:
            print("\nwrite the quarantined rows with --quarantine OUT.csv to correct them")
    if args.quarantine is not None:
        print(f"\nquarantined rows written to {args.quarantine}")
    return 0


def run_sample(args: argparse.Namespace) -> int:
    from ..samples import write_samples

    for path in write_samples(args.out, episodes=args.episodes, rng=args.seed):
        print(path)
    return 0
