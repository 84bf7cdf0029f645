"""The ``recovery-toolkit`` command.

``validate`` checks an export and explains every problem; ``sample`` writes synthetic sample
files. With no PATH, commands use the bundled sample. A file that cannot be used at all gives
one line on stderr (``recovery-toolkit: error: <file>: <problem>; <fix>``) and exit status 2;
no traceback reaches the user.

Examples
--------
>>> main(["validate", "--json"])  # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, vocab
from .errors import InputFileError, OptionError, RecoveryToolkitError, RecoveryToolkitWarning
from .vocab import MIN_CELL, RESOLVED_AT, WINDOW_DAYS

if TYPE_CHECKING:  # the heavy layers are imported by the command that needs them
    import pandas as pd

    from .analysis import Results, Settings
    from .io.load import LoadResult

__all__ = ["main", "build_parser"]

_PROG = "recovery-toolkit"
_SHOWN_PROBLEMS = 20


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``recovery-toolkit`` command.

    Examples
    --------
    >>> build_parser().parse_args(["validate", "x.csv", "--json"]).json
    True
    """
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="Soreness-log analysis after spine-focused care.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    validate.set_defaults(run=_run_validate)

    report = commands.add_parser(
        "report",
        help="write the HTML report (one self-contained file, readable offline)",
        description="Write a self-contained HTML report of PATH (default: the bundled sample).",
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
    report.add_argument("--force", action="store_true", help="overwrite an existing report")
    _add_method_options(report)
    _add_share_options(report)
    report.set_defaults(run=_run_report)

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
        type=Path,
        help="also write the quarantined rows (original values, source file and row, reasons) "
        "to this CSV, to correct them; not with --share",
    )
    summary.add_argument(
        "--rows-per-part",
        type=_positive_int,
        default=1_000_000,
        metavar="N",
        help="when PATH is a folder of Parquet files: rows held in memory at once "
        "(default 1,000,000)",
    )
    summary.add_argument(
        "--format",
        choices=("csv", "xlsx"),
        default="csv",
        help="CSV files, or one Excel workbook (summary.xlsx) with a sheet per table",
    )
    summary.add_argument("--force", action="store_true", help="replace existing output files")
    _add_method_options(summary)
    _add_share_options(summary)
    summary.set_defaults(run=_run_summary)

    sample = commands.add_parser(
        "sample",
        help="write synthetic sample files (canonical, messy EHR, REDCap)",
        description="Write synthetic sample data and the mapping files that read it.",
    )
    sample.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    sample.add_argument("--episodes", type=_positive_int, default=400, metavar="N")
    sample.add_argument("--seed", type=int, default=20251106, metavar="S")
    sample.set_defaults(run=_run_sample)
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _add_loader_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", type=Path, metavar="PATH", help="CSV/TSV/XLSX/Parquet")
    parser.add_argument("--mapping", type=Path, metavar="F", help="mapping file (YAML or TOML)")
    parser.add_argument("--encoding", metavar="E", help="text encoding, e.g. latin-1")
    parser.add_argument(
        "--date-format", metavar="F", help="format of non-ISO dates, e.g. %%d/%%m/%%Y"
    )
    parser.add_argument("--delimiter", metavar="D", help="field delimiter (default: sniffed)")
    parser.add_argument("--sheet", default=0, metavar="S", help="Excel worksheet name or index")


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
        help="resolution definition: default, or PACE (0-1 on 7 consecutive days)",
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
    from .privacy import load_key

    try:
        return load_key(args.pseudonym_key_file)
    except OptionError as exc:  # the library names its parameter; here it is this flag
        raise exc.for_option("--pseudonym-key-file") from None


def _sample_path() -> Path:
    from .samples import sample_path

    return sample_path()


def _settings(args: argparse.Namespace) -> Settings:
    from .analysis import Settings

    return Settings(
        window_days=args.window,
        resolved_at=args.resolved_at,
        definition=args.definition,
        min_cell=args.min_cell,
    )


def _run_summary(args: argparse.Namespace) -> int:
    if args.out.exists() and not args.out.is_dir():
        raise OptionError("--out", str(args.out), "is a file", "name a folder for the tables")
    key = _share_key(args)
    if args.quarantine is not None:
        if args.share:
            raise OptionError(
                "--quarantine",
                str(args.quarantine),
                "holds patients' raw rows and cannot go with --share",
                "write it in a separate, internal run without --share",
            )
        _output_path(args.quarantine, "--quarantine", [args.path or _sample_path(), args.mapping])
        if args.quarantine.exists() and not args.force:
            raise OptionError(
                "--quarantine", str(args.quarantine), "already exists", "pass --force to replace it"
            )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecoveryToolkitWarning)
        internal, quarantine = _results(args, folders=True)
    results = internal
    if args.share:
        from .privacy import share

        results = share(internal, min_cell=args.min_cell, pseudonym_key=key)
    from .io.writers import OutputExistsError
    from .render.export import write_tables

    try:
        paths = write_tables(results, args.out, overwrite=args.force, file_format=args.format)
    except OutputExistsError as exc:
        raise OptionError(
            "--out", str(args.out), str(exc).split(": ", 1)[-1].split(";")[0], "pass --force"
        ) from None
    if args.quarantine is not None:
        from .io import write_csv

        paths.append(write_csv(quarantine, args.quarantine))
    for warning in caught:
        print(f"{_PROG}: note: {warning.message}", file=sys.stderr)
    if key is not None:
        print(f"{_PROG}: note: {_RECORD_LEVEL}", file=sys.stderr)
    _print_counts(internal)  # on the clinic's own screen
    for path in paths:
        print(f"  wrote {path}")
    return 0


def _results(args: argparse.Namespace, *, folders: bool) -> tuple[Results, pd.DataFrame]:
    """The results of PATH (a file in memory or, with ``folders``, a folder of Parquet files
    part by part) and its quarantined rows."""
    settings = _settings(args)
    if folders and args.path is not None and args.path.is_dir():
        from .engines.parquet import summarise_dataset

        try:
            results = summarise_dataset(
                args.path,
                settings,
                mapping=args.mapping,
                date_format=args.date_format,
                rows_per_part=args.rows_per_part,
            )
        except InputFileError as exc:
            if not exc.problem.startswith("has no valid rows"):
                raise
            raise InputFileError(
                args.path,
                exc.problem,
                "see why with: recovery-toolkit validate FILE.parquet --quarantine fix_me.csv "
                "(one file of the folder at a time)",
            ) from None
        return results, results.quarantine
    from .analysis import compute

    result = _load(args)
    _require_valid_rows(result, args.path)
    if result.rows_read > 100_000:
        print(f"{_PROG}: {result.rows_read:,} rows loaded; computing...", file=sys.stderr)
    return compute(result, settings), result.quarantine


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


def _run_report(args: argparse.Namespace) -> int:
    output = _output_path(args.output, "--output", [args.path or _sample_path(), args.mapping])
    if output.exists() and not args.force:
        raise OptionError("--output", str(output), "already exists", "pass --force to overwrite it")
    key = _share_key(args)
    with warnings.catch_warnings():  # the report lists them in its methods section
        warnings.simplefilter("ignore", RecoveryToolkitWarning)
        results, _ = _results(args, folders=False)
    from .render.report import write_report

    write_report(
        results,
        output,
        overwrite=True,
        share=args.share,
        min_cell=args.min_cell,
        pseudonym_key=key,
    )
    if key is not None:
        print(f"{_PROG}: note: {_RECORD_LEVEL}", file=sys.stderr)
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
    from .io import load_logs

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


def _run_validate(args: argparse.Namespace) -> int:
    if args.quarantine is not None:
        _output_path(args.quarantine, "--quarantine", [args.path or _sample_path(), args.mapping])
    result = _load(args)
    if args.quarantine is not None:
        from .io import write_csv

        write_csv(result.quarantine, args.quarantine, sep=result.options["delimiter"] or ",")
    if args.json:
        print(json.dumps(result.summary(), indent=2, ensure_ascii=False))
        return 0
    print(str(result))
    problems = result.problems
    if len(problems):
        print(f"\nfirst {min(len(problems), _SHOWN_PROBLEMS)} of {len(problems):,} problems:")
        for p in problems.head(_SHOWN_PROBLEMS).itertuples(index=False):
            value = "(blank)" if p.value is None or p.value != p.value else repr(p.value)
            print(f"  row {p.row:>6}  {p.column:<22} {p.code:<24} {value}")
        print("\nfixes:")
        for code in result.problem_counts():
            print(f"  {code}: {vocab.REASONS[code].fix}")
        if args.quarantine is None:
            print("\nwrite the quarantined rows with --quarantine OUT.csv to correct them")
    if args.quarantine is not None:
        print(f"\nquarantined rows written to {args.quarantine}")
    return 0


def _run_sample(args: argparse.Namespace) -> int:
    from .samples import write_samples

    for path in write_samples(args.out, episodes=args.episodes, rng=args.seed):
        print(path)
    return 0


#: Library parameters and the flags that set them: the library names parameters in its
#: messages (``date_format="%d/%m/%Y"``), the command line shows flags (``--date-format``).
_FLAGS = {
    "date_format": "--date-format",
    "delimiter": "--delimiter",
    "encoding": "--encoding",
    "mapping": "--mapping",
    "sheet": "--sheet",
    "window_days": "--window",
    "resolved_at": "--resolved-at",
    "definition": "--definition",
    "min_cell": "--min-cell",
}
#: Whole phrases of library messages and what the command line says instead.
_PHRASES = {
    "overwrite=True": "--force",
    "summarise_dataset(folder)": "'recovery-toolkit summary FOLDER --out DIR'",
}


def _as_flags(text: str) -> str:
    """A library message in command-line words: ``date_format="%d/%m/%Y"`` becomes
    ``--date-format %d/%m/%Y`` and a bare ``mapping=`` becomes ``--mapping``.

    Examples
    --------
    >>> _as_flags('name it, e.g. date_format="%d/%m/%Y"; see mapping=; pass overwrite=True')
    'name it, e.g. --date-format %d/%m/%Y; see --mapping; pass --force'
    """
    import re
    import shlex

    for phrase, words in _PHRASES.items():
        text = text.replace(phrase, words)
    names = "|".join(_FLAGS)

    def flag(match: re.Match[str]) -> str:
        value = match[2]
        return _FLAGS[match[1]] + ("" if value is None else " " + shlex.quote(value))

    return re.sub(rf'\b({names})=(?:"([^"]*)")?', flag, text)


def _error_message(exc: RecoveryToolkitError) -> str:
    """The one line the command line shows for an error: flags where the library named
    parameters."""
    if isinstance(exc, OptionError):
        option = _FLAGS.get(exc.parameter or "", exc.option)
        return str(OptionError(option, exc.value, _as_flags(exc.problem), _as_flags(exc.fix)))
    if isinstance(exc, InputFileError):
        return str(type(exc)(exc.path, _as_flags(exc.problem), _as_flags(exc.fix)))
    return _as_flags(str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Examples
    --------
    >>> main(["--version"])  # doctest: +SKIP
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except RecoveryToolkitError as exc:
        print(f"{_PROG}: error: {_error_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{_PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # never show a traceback to a clinic user
        if os.environ.get("RECOVERY_TOOLKIT_DEBUG"):
            raise
        print(
            f"{_PROG}: error: unexpected {type(exc).__name__}: {exc}; "
            "rerun with RECOVERY_TOOLKIT_DEBUG=1 and report the output",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
