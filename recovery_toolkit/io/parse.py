"""Turn raw cells into typed canonical values, one column at a time.

Each parser returns a :class:`Parsed`: the typed values (missing where a cell could not be
read) and, per row, the reason code of a failed cell (``None`` when the cell is fine). Parsing
works on a column's distinct values and maps the results back, so a 1.5-million-row column with
a few hundred distinct values costs little more than one pass to factorise it.

Examples
--------
>>> import pandas as pd
>>> from recovery_toolkit.io.parse import parse_integer
>>> p = parse_integer(pd.Series(["3", "7,5", "seven", None]), low=0, high=10, decimal=",")
>>> p.values.tolist(), p.codes.tolist()
([3, <NA>, <NA>, <NA>], [None, 'not_an_integer', 'not_a_number', 'missing_required'])
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import vocab
from ..schemas import TREATMENT_DTYPE

__all__ = [
    "Parsed",
    "parse_text",
    "parse_integer",
    "parse_boolean",
    "parse_date",
    "parse_treatment_type",
    "looks_day_first_or_month_first",
]

_SLASH_DATE = re.compile(r"^\s*\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\s*$")
_ISO_DATETIME = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$")


@dataclass(frozen=True)
class Parsed:
    """Typed values of one column and the reason code of each failed cell."""

    values: pd.Series
    codes: np.ndarray  # object array: reason code or None, one per row


def _blank(values: pd.Series) -> np.ndarray:
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        text = values.astype("str")
        return (text.isna() | (text.str.strip() == "")).to_numpy(dtype=bool)
    return values.isna().to_numpy(dtype=bool)


def _by_uniques(
    values: pd.Series, parse_one: Callable[[object], tuple[object, str | None]]
) -> tuple[np.ndarray, np.ndarray]:
    """Parse each distinct non-missing value once, then broadcast to rows."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = [parse_one(u) for u in uniques]
    out_values = np.array([p[0] for p in parsed] + [None], dtype=object)
    out_codes = np.array([p[1] for p in parsed] + [None], dtype=object)
    return out_values[codes], out_codes[codes]  # -1 picks the trailing None


def _required(codes: np.ndarray, blank: np.ndarray, required: bool) -> np.ndarray:
    if required:
        codes = codes.copy()
        codes[blank] = "missing_required"
    return codes


def parse_text(values: pd.Series, *, strip: bool = True, required: bool = False) -> Parsed:
    """Keep text as text: never cast to a number (``"00123"`` stays ``"00123"``).

    Examples
    --------
    >>> parse_text(pd.Series([" 123 ", "00123"])).values.tolist()
    ['123', '00123']
    """
    text = values.astype("str")
    if strip:
        text = text.str.strip()
    blank = _blank(text)
    text = text.where(~blank)
    return Parsed(text, _required(np.full(len(text), None, dtype=object), blank, required))


def parse_integer(
    values: pd.Series, *, low: int, high: int | None, decimal: str = ".", required: bool = True
) -> Parsed:
    """Parse whole numbers in ``[low, high]``; ``7.0`` is 7, ``7.5`` is refused.

    Examples
    --------
    >>> parse_integer(pd.Series(["11", "-1"]), low=0, high=10).codes.tolist()
    ['out_of_range', 'out_of_range']
    """

    def one(raw: object) -> tuple[object, str | None]:
        text = str(raw).strip()
        if text == "":
            return None, None
        if decimal == ",":
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None, "not_a_number"
        if not np.isfinite(number):
            return None, "not_a_number"
        if number != int(number):
            return None, "not_an_integer"
        if number < low or (high is not None and number > high):
            return None, "out_of_range"
        return int(number), None

    parsed, codes = _by_uniques(values, one)
    blank = pd.isna(parsed) & (codes == None)  # noqa: E711 - elementwise on object array
    typed = pd.array(parsed, dtype="Int64")
    return Parsed(pd.Series(typed, index=values.index), _required(codes, blank, required))


def parse_boolean(values: pd.Series) -> Parsed:
    """Read yes/no/y/n/true/false/1/0/checked/unchecked in any case; blank is missing.

    Examples
    --------
    >>> p = parse_boolean(pd.Series(["Y", "TRUE", "1", "maybe", None]))
    >>> p.values.tolist(), p.codes.tolist()
    ([True, True, True, <NA>, <NA>], [None, None, None, 'invalid_boolean', None])
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return Parsed(values.astype("boolean"), np.full(len(values), None, dtype=object))

    def one(raw: object) -> tuple[object, str | None]:
        word = str(raw).strip().lower()
        if word == "":
            return None, None
        if word in vocab.TRUE_WORDS:
            return True, None
        if word in vocab.FALSE_WORDS:
            return False, None
        return None, "invalid_boolean"

    parsed, codes = _by_uniques(values, one)
    return Parsed(pd.Series(pd.array(parsed, dtype="boolean"), index=values.index), codes)


def parse_treatment_type(values: pd.Series) -> Parsed:
    """Normalise treatment types (case, spaces, hyphens, synonyms) to the four codes.

    Examples
    --------
    >>> parse_treatment_type(pd.Series(["PT", "ESI", "yoga"])).codes.tolist()
    [None, None, 'unknown_treatment_type']
    """

    def one(raw: object) -> tuple[object, str | None]:
        if str(raw).strip() == "":
            return None, None
        code = vocab.normalise_treatment_type(str(raw))
        return code, (None if code else "unknown_treatment_type")

    parsed, codes = _by_uniques(values, one)
    blank = pd.isna(parsed) & (codes == None)  # noqa: E711
    typed = pd.Series(pd.Categorical(parsed, dtype=TREATMENT_DTYPE), index=values.index)
    return Parsed(typed, _required(codes, blank, True))


def parse_date(
    values: pd.Series, *, date_format: str | None = None, required: bool = True
) -> Parsed:
    """Parse calendar dates: ISO ``YYYY-MM-DD`` (a time part is ignored), or ``date_format``.

    A slash date such as ``03/04/2024`` is never guessed: without a named format it fails with
    the code ``ambiguous_date``.

    Examples
    --------
    >>> parse_date(pd.Series(["2024-03-04", "03/04/2024"])).codes.tolist()
    [None, 'ambiguous_date']
    >>> parse_date(pd.Series(["03/04/2024"]), date_format="%d/%m/%Y").values.dt.month.tolist()
    [4]
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_localize(None)
        typed = values.dt.normalize().astype("datetime64[us]")
        blank = typed.isna().to_numpy()
        return Parsed(typed, _required(np.full(len(typed), None, dtype=object), blank, required))

    def one(raw: object) -> tuple[object, str | None]:
        text = str(raw).strip()
        if text == "":
            return None, None
        if date_format is not None:
            stamp = pd.to_datetime(text, format=date_format, errors="coerce")
        else:
            match = _ISO_DATETIME.match(text)
            stamp = pd.to_datetime(match.group(1), errors="coerce") if match else pd.NaT
            if match is None and _SLASH_DATE.match(text):
                return None, "ambiguous_date"
        if pd.isna(stamp):
            return None, "invalid_date"
        return stamp.normalize().to_datetime64(), None

    parsed, codes = _by_uniques(values, one)
    blank = pd.isna(parsed) & (codes == None)  # noqa: E711
    typed = pd.Series(pd.to_datetime(parsed).astype("datetime64[us]"), index=values.index)
    return Parsed(typed, _required(codes, blank, required))


def looks_day_first_or_month_first(values: pd.Series) -> bool:
    """True when most filled cells are slash dates like ``03/04/2024`` (D/M/Y or M/D/Y).

    Examples
    --------
    >>> looks_day_first_or_month_first(pd.Series(["03/04/2024", "12/04/2024", None]))
    True
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return False
    uniques = pd.unique(values.dropna().astype("str"))
    if len(uniques) == 0:
        return False
    slash = sum(bool(_SLASH_DATE.match(u)) for u in uniques)
    return slash * 2 > len(uniques)
