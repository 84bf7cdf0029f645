"""Exceptions raised by recovery-toolkit.

Every message names what is wrong and what to do, in one line, so the command line can show it
as it is (``recovery-toolkit: error: <message>``).

Examples
--------
>>> from recovery_toolkit.errors import InputFileError
>>> str(InputFileError("logs.csv", "the file is empty", "export the data again"))
'logs.csv: the file is empty; export the data again'
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "RecoveryToolkitError",
    "InputFileError",
    "MappingError",
    "OptionError",
    "EngineError",
    "RecoveryToolkitWarning",
]


class RecoveryToolkitError(Exception):
    """Base class of every error the toolkit raises on purpose."""


def one_line(text: str) -> str:
    r"""``text`` with line breaks and other control characters shown as escapes, so a
    refusal stays one line whatever a file's names or a library's message hold.

    Examples
    --------
    >>> one_line("found: pa\ntient, x")
    'found: pa\\ntient, x'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InputFileError(RecoveryToolkitError):
    """An input file cannot be used at all (missing, empty, not a table, unsafe, ...).

    Parameters
    ----------
    path : str or Path
        The file, as the user named it.
    problem : str
        What is wrong with it.
    fix : str
        What the user should do.
    """

    def __init__(self, path: str | Path, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(one_line(f"{self.path}: {problem}; {fix}"))


class OptionError(RecoveryToolkitError):
    """An option (a parameter, or a mapping-file setting) has a value that cannot work.

    The library names the parameter the way a caller writes it (``date_format=``); the
    command line shows its own flag instead (:meth:`for_option`).

    Parameters
    ----------
    option : str
        The parameter as written in a call, ending in ``=`` (``"date_format="``), or another
        name for the option (a command-line flag, ``"--out"``).
    value : object
        The value given.
    problem : str
        What is wrong with it.
    fix : str
        What the user should do.

    Examples
    --------
    >>> error = OptionError("date_format=", "%Q", "'Q' is not a date directive", "use %d/%m/%Y")
    >>> str(error)
    "date_format='%Q': 'Q' is not a date directive; use %d/%m/%Y"
    >>> error.parameter
    'date_format'
    >>> str(error.for_option("--date-format"))
    "--date-format '%Q': 'Q' is not a date directive; use %d/%m/%Y"
    """

    def __init__(self, option: str, value: object, problem: str, fix: str) -> None:
        self.option = option
        self.value = value
        self.problem = problem
        self.fix = fix
        separator = "" if option.endswith("=") else " "
        super().__init__(one_line(f"{option}{separator}{value!r}: {problem}; {fix}"))

    @property
    def parameter(self) -> str | None:
        """The parameter's name (``"date_format"``), or ``None`` when the option is no
        parameter (e.g. a command-line flag)."""
        return self.option.removesuffix("=") if self.option.endswith("=") else None

    def for_option(self, option: str, fix: str | None = None) -> OptionError:
        """The same error told about another option (e.g. the flag that set the parameter).

        Examples
        --------
        >>> str(OptionError("delimiter=", "||", "too long", "use ,").for_option("--delimiter"))
        "--delimiter '||': too long; use ,"
        """
        return OptionError(option, self.value, self.problem, self.fix if fix is None else fix)


class EngineError(RecoveryToolkitError):
    """The engine that runs the analysis failed (e.g. a Spark job on the cluster).

    Examples
    --------
    >>> str(EngineError("spark", "the workers cannot import recovery_toolkit", "install it"))
    'spark: the workers cannot import recovery_toolkit; install it'
    """

    def __init__(self, engine: str, problem: str, fix: str) -> None:
        self.engine, self.problem, self.fix = engine, problem, fix
        super().__init__(one_line(f"{engine}: {problem}; {fix}"))


class MappingError(InputFileError):
    """A mapping file is missing, malformed, or names things that do not exist."""


class RecoveryToolkitWarning(UserWarning):
    """A result is empty or undefined for a reason the user should know (e.g. one episode)."""
