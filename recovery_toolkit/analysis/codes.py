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

__all__ = ["sorted_codes"]


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
    if not isinstance(column.dtype, pd.CategoricalDtype):
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
