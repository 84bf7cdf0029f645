"""Safe writing: atomic files and spreadsheet-formula neutralisation.

Every file the toolkit writes goes through :func:`atomic_write`: the content lands in a
temporary file in the target folder, which is then renamed over the target, so a run that
fails or is killed never leaves a partial file. Text cells that a spreadsheet would run as a
formula (starting with ``= + - @``, tab, CR or NUL) get a leading ``'``.

Examples
--------
>>> import pandas as pd
>>> neutralise_formulas(pd.DataFrame({"note": ["=HYPERLINK(1)", "ok"]}))["note"].tolist()
["'=HYPERLINK(1)", 'ok']
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO, cast

import pandas as pd

from ..errors import RecoveryToolkitError

__all__ = [
    "atomic_write",
    "write_text",
    "write_csv",
    "write_xlsx",
    "neutralise_formulas",
    "OutputExistsError",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


class OutputExistsError(RecoveryToolkitError):
    """The output file exists and overwriting was not allowed."""


@contextmanager
def atomic_write(path: str | Path, *, mode: str = "w", overwrite: bool = True) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it to ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = pathlib.Path(tmp) / "a.txt"
    ...     with atomic_write(target) as handle:
    ...         _ = handle.write("hello")
    ...     target.read_text()
    'hello'
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists; pass overwrite=True to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding, newline="" if "b" not in mode else None) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(text: str, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write ``text`` atomically as UTF-8 and return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_text("x", pathlib.Path(tmp) / "x.txt").name
    'x.txt'
    """
    with atomic_write(path, overwrite=overwrite) as handle:
        handle.write(text)
    return Path(path)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to text cells that a spreadsheet would run as a formula.

    Only text columns are touched; numbers stay numbers. Returns a new frame.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"a": ["+1", "@x"], "b": [-1, 2]}))["a"].tolist()
    ["'+1", "'@x"]
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            text = values.astype("str")
            risky = text.str.startswith(_FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                out[column] = text.where(~risky, "'" + text)
    return out


def write_csv(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    sep: str = ",",
    overwrite: bool = True,
    float_format: str | None = None,
) -> Path:
    """Write ``frame`` as UTF-8 CSV atomically, with formulas neutralised; return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = write_csv(pd.DataFrame({"a": ["=1"]}), pathlib.Path(tmp) / "a.csv")
    ...     p.read_text().splitlines()
    ['a', "'=1"]
    """
    safe = neutralise_formulas(frame)
    with atomic_write(path, overwrite=overwrite) as handle:
        safe.to_csv(handle, sep=sep, index=False, lineterminator="\n", float_format=float_format)
    return Path(path)


def write_xlsx(
    sheets: dict[str, pd.DataFrame], path: str | Path, *, overwrite: bool = True
) -> Path:
    """Write one workbook with a sheet per table, atomically, with formulas neutralised.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = write_xlsx({"t": pd.DataFrame({"a": ["=1"]})}, pathlib.Path(tmp) / "a.xlsx")
    ...     openpyxl.load_workbook(p)["t"]["A2"].value
    "'=1"
    """
    with (
        atomic_write(path, mode="wb", overwrite=overwrite) as handle,
        pd.ExcelWriter(cast(BinaryIO, handle), engine="openpyxl") as book,  # opened "wb"
    ):
        for name, table in sheets.items():
            neutralise_formulas(table).to_excel(book, sheet_name=name[:31], index=False)
    return Path(path)
