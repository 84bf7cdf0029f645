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
    "RecoveryToolkitWarning",
]


class RecoveryToolkitError(Exception):
    """Base class of every error the toolkit raises on purpose."""


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
        super().__init__(f"{self.path}: {problem}; {fix}")


class OptionError(RecoveryToolkitError):
    """An option (argument or mapping setting) has a value that cannot work.

    Examples
    --------
    >>> str(OptionError("--date-format", "%Q", "'Q' is not a date directive", "use e.g. %d/%m/%Y"))
    "--date-format '%Q': 'Q' is not a date directive; use e.g. %d/%m/%Y"
    """

    def __init__(self, option: str, value: object, problem: str, fix: str) -> None:
        super().__init__(f"{option} {value!r}: {problem}; {fix}")


class MappingError(InputFileError):
    """A mapping file is missing, malformed, or names things that do not exist."""


class RecoveryToolkitWarning(UserWarning):
    """A result is empty or undefined for a reason the user should know (e.g. one episode)."""
