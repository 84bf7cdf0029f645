"""Group labels as integer codes, so that counting and sorting work on numbers, not text.

Examples
--------
>>> codes, names = sorted_codes(pd.Series(["pt", "chiro", "pt"], dtype="category"))
>>> codes.tolist(), names.tolist()
([1, 0, 1], ['chiro', 'pt'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["is_sorted", "sorted_codes", "sorted_text"]


def sorted_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """The values present in ``column`` as text, sorted, and each row's position among them
    (−1 where missing): :func:`pandas.factorize` of the column as text with ``sort=True``,
    read from a categorical's codes without making a string per row.

    Examples
    --------
    >>> column = pd.Series(pd.Categorical(["b", None, "a"], categories=["c", "b", "a"]))
    >>> codes, names = sorted_codes(column)
    >>> codes.tolist(), names.tolist()
    ([1, -1, 0], ['a', 'b'])
    """
    dtype = column.dtype
    text = isinstance(dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(dtype.categories)
    if not text:  # other categories (dates, numbers) are written as text row by row
        codes, names = pd.factorize(column.astype("str"), sort=True)
        return codes.astype(np.int64), names
    categories = pd.Index(column.cat.categories.astype("str"))
    own = column.cat.codes.to_numpy(dtype=np.int64)
    used = np.zeros(len(categories), dtype=bool)
    used[own[own >= 0]] = True
    names = categories[used].sort_values()
    rank = np.full(len(categories) + 1, -1, dtype=np.int64)  # the last: missing (code −1)
    rank[np.flatnonzero(used)] = names.get_indexer(categories[used])
    return rank[own], names


def sorted_text(values: pd.Series) -> tuple[pa.Array, np.ndarray] | None:
    """Arrow-backed text sorted without missing values (in code-point order, as
    :func:`pandas.factorize` sorts) as one Arrow array, with the positions where the value
    changes; None for any other column (unsorted, with missing values, or not Arrow text).

    Examples
    --------
    >>> text, starts = sorted_text(pd.Series(["a", "a", "b"], dtype="str"))
    >>> starts.tolist(), sorted_text(pd.Series(["a", "b", "a"], dtype="str"))
    ([0, 2], None)
    """
    text = _arrow_text(values)
    if text is None or text.null_count or len(text) < 2:
        return None
    changed = pc.not_equal(text.slice(1), text.slice(0, len(text) - 1))
    starts = np.flatnonzero(np.r_[True, changed.to_numpy(zero_copy_only=False)])
    # sorted if and only if each run's value is above the one before: compared once per run
    firsts = text.take(pa.array(starts))
    if pc.any(pc.less(firsts.slice(1), firsts.slice(0, len(firsts) - 1))).as_py():
        return None
    return text, starts


def is_sorted(values: pd.Series) -> bool:
    """Whether ``values`` never decrease (Arrow text compared by Arrow, without a Python
    string per row; anything else as pandas compares it).

    Examples
    --------
    >>> is_sorted(pd.Series(["a", "b", "b"], dtype="str")), is_sorted(pd.Series([2, 1]))
    (True, False)
    """
    text = _arrow_text(values)
    if text is None or text.null_count:
        return bool(values.is_monotonic_increasing)
    return not pc.any(pc.less(text.slice(1), text.slice(0, max(len(text) - 1, 0)))).as_py()


def _arrow_text(values: pd.Series) -> pa.Array | None:
    """Arrow-backed text as one Arrow array (its chunks combined); None for other columns."""
    dtype = values.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return None
    text = pa.array(values.array)
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
