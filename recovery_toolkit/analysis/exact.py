"""Sums of floating-point numbers that add up over parts without rounding (DESIGN §2).

A float sum depends on the order of its terms in the last bits, so sums taken part by part
and then added would differ from the one-part sum of the in-memory path. Here each value is
split exactly into a 53-bit integer mantissa and a power of two; the mantissas are added as
whole numbers per key and power (in two 26/27-bit halves, added in chunks small enough that
every partial sum is exact, so ``int64`` never overflows below 2**36 terms) and the total is
rounded to a float once, on the driver. The result is the
correctly rounded sum of all the terms, whatever the split and order of the parts.

Examples
--------
>>> values = [1e16, 1.0, -1e16]
>>> sum(values), float(exact_totals([exact_sums(np.zeros(3, int), np.array(values))], 1)[0])
(0.0, 1.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["exact_sums", "exact_totals", "exact_totals_by"]

_LOW_BITS = 26
_MANTISSA_BITS = 53
_CHUNK = 1 << 25  # terms per float bincount: sums stay below 2**52, so exact


def exact_sums(keys: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """The exact sums of ``values`` per integer key (``keys >= 0``), as whole numbers that
    add up over parts: columns ``key``, ``exponent``, ``high``, ``low`` (all ``int64``).

    Examples
    --------
    >>> sums = exact_sums(np.array([0, 0, 1]), np.array([0.5, 0.75, 3.0]))
    >>> sums.values.tolist()  # key 0: (0.5 + 0.75) * 2**53 = 167772160 * 2**26
    [[0, 0, 167772160, 0], [1, 2, 100663296, 0]]
    """
    keys = np.asarray(keys, dtype=np.int64).ravel()
    values = np.asarray(values, dtype=float).ravel()
    if not np.isfinite(values).all():
        raise ValueError("exact_sums: values must be finite")
    shown = values != 0
    keys = keys[shown]
    fraction, exponent = np.frexp(values[shown])
    columns = ["key", "exponent", "high", "low"]
    if not len(keys):
        return pd.DataFrame({c: np.zeros(0, dtype=np.int64) for c in columns})
    mantissa = np.ldexp(fraction, _MANTISSA_BITS).astype(np.int64)  # exact: |m| < 2**53
    lowest = int(exponent.min())
    span = int(exponent.max()) - lowest + 1
    cells = keys * span + (exponent - lowest)
    size = int(cells.max()) + 1
    high = np.zeros(size, dtype=np.int64)
    low = np.zeros(size, dtype=np.int64)
    for start in range(0, len(cells), _CHUNK):  # float sums of < 2**26 halves stay exact
        part = slice(start, start + _CHUNK)
        high += _bincount(cells[part], mantissa[part] >> _LOW_BITS, size)
        low += _bincount(cells[part], mantissa[part] & ((1 << _LOW_BITS) - 1), size)
    found = np.flatnonzero((high != 0) | (low != 0))  # a cell that sums to 0 adds nothing
    return pd.DataFrame(
        {
            "key": found // span,
            "exponent": found % span + lowest,
            "high": high[found],
            "low": low[found],
        }
    ).astype("int64")


def _bincount(cells: np.ndarray, halves: np.ndarray, size: int) -> np.ndarray:
    """Per cell, the sum of ``halves`` (integers below 2**27 in size, fewer than 2**25 of
    them: their float sum is exact)."""
    return np.bincount(cells, weights=halves.astype(float), minlength=size).astype(np.int64)


def exact_totals(parts: list[pd.DataFrame], size: int) -> np.ndarray:
    """The correctly rounded totals of keys ``0..size-1`` from the :func:`exact_sums` of
    any number of parts (0.0 for a key no part has).

    Examples
    --------
    >>> part = exact_sums(np.array([2]), np.array([0.1]))
    >>> exact_totals([part, part, part], 3).tolist()  # 0.1 + 0.1 + 0.1 rounded once
    [0.0, 0.0, 0.30000000000000004]
    """
    return exact_totals_by(parts, size, by=None)[None]


def exact_totals_by(
    parts: list[pd.DataFrame], size: int, *, by: str | None
) -> dict[object, np.ndarray]:
    """:func:`exact_totals` per value of the column ``by`` of the parts' sums (all of them
    under ``None`` when ``by`` is ``None``).

    Examples
    --------
    >>> a = exact_sums(np.array([0]), np.array([1.5])).assign(g="x")
    >>> b = exact_sums(np.array([1]), np.array([2.0])).assign(g="y")
    >>> {g: t.tolist() for g, t in exact_totals_by([a, b, a], 2, by="g").items()}
    {'x': [3.0, 0.0], 'y': [0.0, 2.0]}
    """
    frames = [p for p in parts if len(p)]
    if not frames:
        return {} if by is not None else {None: np.zeros(size)}
    keys = ["key", "exponent"] if by is None else [by, "key", "exponent"]
    whole = pd.concat(frames, ignore_index=True).groupby(keys, sort=True)[["high", "low"]].sum()
    groups = [None] * len(whole) if by is None else whole.index.get_level_values(by).tolist()
    key = whole.index.get_level_values("key").to_numpy(dtype=np.int64).tolist()
    exponent = whole.index.get_level_values("exponent").to_numpy(dtype=np.int64).tolist()
    high = whole["high"].to_numpy(dtype=np.int64).tolist()
    low = whole["low"].to_numpy(dtype=np.int64).tolist()
    found: dict[tuple[object, int], list[tuple[int, int]]] = {}
    for g, k, e, h, lo in zip(groups, key, exponent, high, low, strict=True):
        found.setdefault((g, k), []).append((e, (h << _LOW_BITS) + lo))
    totals: dict[object, np.ndarray] = {g: np.zeros(size) for g in dict.fromkeys(groups)}
    for (g, k), terms in found.items():
        lowest = min(e for e, _ in terms)
        whole_number = sum(m << (e - lowest) for e, m in terms)
        totals[g][k] = _scaled(whole_number, lowest - _MANTISSA_BITS)
    return totals


def _scaled(whole: int, power: int) -> float:
    """``whole * 2**power`` rounded once to the nearest float."""
    if power >= 0:
        return float(whole << power)
    return whole / (1 << -power)  # int / int is correctly rounded in Python
