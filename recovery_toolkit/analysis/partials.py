"""Mergeable counts (DESIGN §2): a table that is a sum over episodes is computed as
``<table>_from_counts([<table>_counts(part) for part in parts])``. The in-memory path is the
same call with one part, so every engine that splits the episodes (by patient) gives the same
table by construction; only whole numbers are added, so the order of the parts never changes
a digit.

Examples
--------
>>> a = pd.DataFrame({"g": ["x", "y"], "n": [1, 2]})
>>> b = pd.DataFrame({"g": ["y"], "n": [5]})
>>> add_counts([a, b], ["g"]).values.tolist()
[['x', 1], ['y', 7]]
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = ["add_counts", "concat_parts"]


def add_counts(parts: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """The counts of ``parts`` added up per ``keys`` (sorted as the keys sort: categories in
    their order, text alphabetically); every other column is a whole-number count.

    Examples
    --------
    >>> one = pd.DataFrame({"g": ["x"], "k": ["a"], "n": [2]})
    >>> add_counts([one, one], ["g", "k"])["n"].tolist()
    [4]
    """
    if len(parts) == 1:  # the in-memory path: already one row per key
        return parts[0].sort_values(keys, kind="stable", ignore_index=True)
    whole = pd.concat(parts, ignore_index=True)
    counts = [c for c in whole.columns if c not in keys]
    summed = whole.groupby(keys, observed=True, sort=True)[counts].sum().reset_index()
    return summed.astype({c: "int64" for c in counts})


def concat_parts(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate the parts' frames, keeping categorical columns categorical (their
    categories unified, in the first part's order, then as met).

    Examples
    --------
    >>> a = pd.DataFrame({"t": pd.Categorical(["x"], categories=["x", "y"])})
    >>> b = pd.DataFrame({"t": pd.Categorical(["z"])})
    >>> concat_parts([a, b])["t"].cat.categories.tolist()
    ['x', 'y', 'z']
    """
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    categorical = [
        c for c, dtype in frames[0].dtypes.items() if isinstance(dtype, pd.CategoricalDtype)
    ]
    out = pd.concat(frames, ignore_index=True)
    for column in categorical:
        categories = frames[0][column].cat.categories
        for frame in frames[1:]:
            categories = categories.union(frame[column].cat.categories, sort=False)
        ordered = frames[0][column].cat.ordered
        out[column] = pd.Categorical(
            out[column].astype(object), categories=categories, ordered=ordered
        )
    return out
