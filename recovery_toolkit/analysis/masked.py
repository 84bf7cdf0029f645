"""Reading nullable columns (pandas' ``boolean``, ``Int8`` ...) as plain numpy arrays.

pandas keeps a nullable column as two numpy arrays, its values and a mask of the missing
ones (the public constructor ``pd.arrays.BooleanArray(values, mask)`` takes them so). The
generic ``to_numpy(dtype=..., na_value=...)`` copies and converts the whole column, which at a
million log rows costs several milliseconds per column, and the episode table reads about
twenty of them; reading the two arrays costs a fraction of that. Other columns (a frame
built by hand with numpy or object columns) take the generic path, so the results are the
same whatever the dtype (``tests/test_analysis_masked.py``).

Examples
--------
>>> yes_no_codes(pd.Series([True, None, False], dtype="boolean")).tolist()
[1, -1, 0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["values_and_mask", "yes_no_codes", "yes", "as_float"]

_MASKED = (pd.arrays.BooleanArray, pd.arrays.IntegerArray, pd.arrays.FloatingArray)


def values_and_mask(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """A nullable column's values and its mask of missing entries (read, not copied: do not
    write to them), or ``None`` when the column is not a nullable one.

    Examples
    --------
    >>> data, mask = values_and_mask(pd.Series([3, None], dtype="Int8"))
    >>> data.dtype.name, mask.tolist()
    ('int8', [False, True])
    >>> values_and_mask(pd.Series([1.0, 2.0])) is None
    True
    """
    array = values.array
    if not isinstance(array, _MASKED):
        return None
    masked: Any = array  # the two arrays are not in pandas' type stubs
    return masked._data, masked._mask


def yes_no_codes(values: pd.Series) -> np.ndarray:
    """A yes/no column as ``int8``: 1 yes, 0 no, -1 missing.

    Examples
    --------
    >>> yes_no_codes(pd.Series([False, True])).tolist()
    [0, 1]
    """
    parts = values_and_mask(values) if isinstance(values.dtype, pd.BooleanDtype) else None
    if parts is None:
        return values.astype("boolean").to_numpy(dtype=np.int8, na_value=-1)
    data, mask = parts
    # -1 is all bits set: or-ing it in marks a missing entry whatever its stored value
    return np.bitwise_or(data.view(np.int8), np.negative(mask.view(np.int8)))


def yes(values: pd.Series) -> np.ndarray:
    """A yes/no column as ``bool``, missing counted as no.

    Examples
    --------
    >>> yes(pd.Series([True, None, False], dtype="boolean")).tolist()
    [True, False, False]
    """
    parts = values_and_mask(values) if isinstance(values.dtype, pd.BooleanDtype) else None
    if parts is None:
        return values.to_numpy(dtype=bool, na_value=False)
    data, mask = parts
    return data & ~mask


def as_float(values: pd.Series) -> np.ndarray:
    """A numeric column as ``float64``, NaN where missing.

    Examples
    --------
    >>> as_float(pd.Series([2, None], dtype="Int8")).tolist()
    [2.0, nan]
    """
    parts = values_and_mask(values)
    if parts is None:
        return values.to_numpy(dtype=float, na_value=np.nan)
    data, mask = parts
    out = data.astype(float)
    out[mask] = np.nan
    return out
