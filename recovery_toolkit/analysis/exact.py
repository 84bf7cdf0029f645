"""Sums of floating-point numbers that add up over parts without rounding (DESIGN §2).

A float sum depends on the order of its terms in the last bits, so sums taken part by part
and then added would differ from the one-part sum of the in-memory path. Here each value is
split exactly into a 53-bit integer mantissa and a power of two; the mantissas are added as
whole numbers per key and power (in two 26/27-bit halves, so ``int64`` never overflows below
2**36 terms) and the total is rounded to a float once, on the driver. The result is the
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

__all__ = ["exact_sums", "exact_totals"]

_LOW_BITS = 26
_MANTISSA_BITS = 53


def exact_sums(keys: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """The exact sums of ``values`` per integer key, as whole numbers that add up over parts:
    columns ``key``, ``exponent``, ``high``, ``low`` (all ``int64``).

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
    fraction, exponent = np.frexp(values[shown])
    mantissa = np.ldexp(fraction, _MANTISSA_BITS).astype(np.int64)  # exact: |m| < 2**53
    frame = pd.DataFrame(
        {
            "key": keys[shown],
            "exponent": exponent.astype(np.int64),
            "high": mantissa >> _LOW_BITS,  # floor: high * 2**26 + low == mantissa
            "low": mantissa & ((1 << _LOW_BITS) - 1),
        }
    )
    summed = frame.groupby(["key", "exponent"], sort=True)[["high", "low"]].sum()
    return summed.reset_index().astype("int64")


def exact_totals(parts: list[pd.DataFrame], size: int) -> np.ndarray:
    """The correctly rounded totals of keys ``0..size-1`` from the :func:`exact_sums` of
    any number of parts (0.0 for a key no part has).

    Examples
    --------
    >>> part = exact_sums(np.array([2]), np.array([0.1]))
    >>> exact_totals([part, part, part], 3).tolist()  # 0.1 + 0.1 + 0.1 rounded once
    [0.0, 0.0, 0.30000000000000004]
    """
    totals = np.zeros(size)
    frames = [p for p in parts if len(p)]
    if not frames:
        return totals
    whole = pd.concat(frames, ignore_index=True)
    whole = whole.groupby(["key", "exponent"], sort=True)[["high", "low"]].sum().reset_index()
    for _, rows in whole.groupby("key", sort=True):
        key = int(rows["key"].to_numpy(dtype=np.int64)[0])
        lowest = int(rows["exponent"].min())
        total = 0
        columns = (rows[c].to_numpy(dtype=np.int64).tolist() for c in ("exponent", "high", "low"))
        for exponent, high, low in zip(*columns, strict=True):
            total += ((high << _LOW_BITS) + low) << (exponent - lowest)
        totals[key] = _scaled(total, lowest - _MANTISSA_BITS)
    return totals


def _scaled(whole: int, power: int) -> float:
    """``whole * 2**power`` rounded once to the nearest float."""
    if power >= 0:
        return float(whole << power)
    return whole / (1 << -power)  # int / int is correctly rounded in Python
