"""Library messages in command-line words: parameters become the flags that set them.

Examples
--------
>>> from recovery_toolkit.errors import OptionError
>>> error_message(OptionError("date_format=", "%Q", "bad directive", 'use date_format="%d/%m/%Y"'))
"--date-format '%Q': bad directive; use --date-format %d/%m/%Y"
"""

from __future__ import annotations

import re
import shlex

from ..errors import InputFileError, OptionError, RecoveryToolkitError

__all__ = ["FLAGS", "as_flags", "error_message"]


#: Library parameters and the flags that set them: the library names parameters in its
#: messages (``date_format="%d/%m/%Y"``), the command line shows flags (``--date-format``).
FLAGS = {
    "date_format": "--date-format",
    "delimiter": "--delimiter",
    "encoding": "--encoding",
    "mapping": "--mapping",
    "sheet": "--sheet",
    "window_days": "--window",
    "resolved_at": "--resolved-at",
    "definition": "--definition",
    "stratify_by": "--stratify-by",
    "model_curve": "--model-curve",
    "min_cell": "--min-cell",
}
#: Whole phrases of library messages and what the command line says instead.
PHRASES = {
    "overwrite=True": "--force",
    "summarise_dataset(folder)": "'recovery-toolkit summary FOLDER --out DIR'",
}


def as_flags(text: str) -> str:
    """A library message in command-line words: ``date_format="%d/%m/%Y"`` becomes
    ``--date-format %d/%m/%Y`` and a bare ``mapping=`` becomes ``--mapping``.

    Examples
    --------
    >>> as_flags('name it, e.g. date_format="%d/%m/%Y"; see mapping=; pass overwrite=True')
    'name it, e.g. --date-format %d/%m/%Y; see --mapping; pass --force'
    """
    for phrase, words in PHRASES.items():
        text = text.replace(phrase, words)
    names = "|".join(FLAGS)

    def flag(match: re.Match[str]) -> str:
        value = match[2]
        return FLAGS[match[1]] + ("" if value is None else " " + shlex.quote(value))

    return re.sub(rf'\b({names})=(?:"([^"]*)")?', flag, text)


def error_message(exc: RecoveryToolkitError) -> str:
    """The one line the command line shows for an error: flags where the library named
    parameters."""
    if isinstance(exc, OptionError):
        option = FLAGS.get(exc.parameter or "", exc.option)
        return str(OptionError(option, exc.value, as_flags(exc.problem), as_flags(exc.fix)))
    if isinstance(exc, InputFileError):
        return str(type(exc)(exc.path, as_flags(exc.problem), as_flags(exc.fix)))
    return as_flags(str(exc))
