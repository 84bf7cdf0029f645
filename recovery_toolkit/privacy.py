"""Privacy-safe sharing: small-cell suppression, complementary suppression and pseudonyms.

Rules (DESIGN §6) for anything that leaves the clinic (``--share``):

* every count from 1 to ``min_cell - 1`` (default 1–10) is shown as ``<11``;
* complementary suppression: where a count and its complement add up to a shown total (with
  the flag / without it, resolved / censored, lost / followed up, escalated / not), both are
  hidden when either is small, and a row of counts that sums to a shown overall cell never has
  exactly one hidden cell — the next smallest is hidden too — so no hidden count can be
  recovered by subtraction;
* means, proportions, percentiles and intervals computed from fewer than ``min_cell``
  episodes or logs, or that would reveal a hidden count (a proportion times a shown
  denominator), are hidden (``suppressed``);
* no notes, no dates finer than a month, and no patient IDs — or HMAC-SHA256 pseudonyms under a
  key the user supplies (pseudonymising without a key is refused).

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"treatment_type": ["pt"], "episodes": [40], "lost_to_follow_up": [3],
...                       "lost_share": [0.075]})
>>> shared = suppress_pairs(table, [("lost_to_follow_up", "episodes")], ["lost_share"])
>>> shared.iloc[0].tolist()
['pt', 40, '<11', 'suppressed']
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import OptionError

__all__ = [
    "MIN_CELL",
    "SUPPRESSED",
    "is_small",
    "suppress_pairs",
    "suppress_row_totals",
    "suppress_within_groups",
    "suppress_singletons",
    "load_key",
    "pseudonymise",
]

MIN_CELL = 11
SUPPRESSED = "suppressed"
_MIN_KEY_BYTES = 16


def is_small(values: pd.Series | np.ndarray, min_cell: int = MIN_CELL) -> np.ndarray:
    """True for counts from 1 to ``min_cell - 1``.

    Examples
    --------
    >>> is_small(np.array([0, 1, 10, 11])).tolist()
    [False, True, True, False]
    """
    numbers = pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce").to_numpy(dtype=float)
    return (numbers >= 1) & (numbers < min_cell)


def _label(min_cell: int) -> str:
    return f"<{min_cell}"


def suppress_pairs(
    table: pd.DataFrame,
    pairs: list[tuple[str, str]],
    derived: list[str],
    *,
    min_cell: int = MIN_CELL,
    denominators: list[str] | None = None,
    statistics: list[str] | None = None,
    numeric: bool = False,
) -> pd.DataFrame:
    """Hide small counts of ``(part, whole)`` pairs and everything derived from them.

    A part is hidden when it, or ``whole - part``, is between 1 and ``min_cell - 1``; a whole
    that is itself small hides its row's parts, the ``derived`` columns and itself. Derived
    columns (proportions, rates, intervals, means) of a row with a hidden cell are hidden too.
    ``denominators`` are extra count columns that only need the small-count rule, and
    ``statistics`` (means, medians, percentiles) are hidden only where they come from fewer
    than ``min_cell`` episodes or logs (a small whole or denominator). With ``numeric=True``
    hidden cells become NaN (for chart data) instead of ``<11``/``suppressed``.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [30, 30], "k": [25, 12], "p": [0.83, 0.4]})
    >>> suppress_pairs(t, [("k", "n")], ["p"]).values.tolist()
    [[30, '<11', 'suppressed'], [30, 12, 0.4]]
    """
    counts = {part for pair in pairs for part in pair} | set(denominators or [])
    touched = counts | set(derived) | set(statistics or [])
    if numeric:
        out = table.astype({c: float for c in touched})
        label, gone = np.nan, np.nan
    else:
        out = table.astype({c: object for c in touched})
        label, gone = _label(min_cell), SUPPRESSED
    hide_row = np.zeros(len(table), dtype=bool)
    few = np.zeros(len(table), dtype=bool)
    for part, whole in pairs:
        k = table[part].to_numpy(dtype=float)
        n = table[whole].to_numpy(dtype=float)
        small_whole = is_small(n, min_cell)
        small_part = is_small(k, min_cell) | is_small(n - k, min_cell) | small_whole
        out.loc[small_part, part] = label
        out.loc[small_whole, whole] = label
        hide_row |= small_part
        few |= small_whole
    for column in denominators or []:
        small = is_small(table[column], min_cell)
        out.loc[small, column] = label
        hide_row |= small
        few |= small
    for column in derived:
        out.loc[hide_row, column] = gone
    for column in statistics or []:
        out.loc[few, column] = gone
    return out


def suppress_row_totals(
    table: pd.DataFrame, parts: list[str], total: str | None, *, min_cell: int = MIN_CELL
) -> pd.DataFrame:
    """Hide small counts in each row of ``parts`` (which add up to ``total``), with
    complementary suppression: never exactly one hidden part while the total is shown.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [40], "b": [5], "c": [30], "all": [75]})
    >>> suppress_row_totals(t, ["a", "b", "c"], "all").iloc[0].tolist()
    [40, '<11', '<11', 75]
    """
    out = table.astype({c: object for c in table.columns})
    for i in range(len(table)):
        values = pd.to_numeric(table.iloc[i][parts], errors="coerce").to_numpy(dtype=float)
        hidden = is_small(values, min_cell)
        if hidden.sum() == 1 and total is not None:
            shown = np.where(~hidden & (values > 0), values, np.inf)
            if np.isfinite(shown).any():
                hidden[int(np.argmin(shown))] = True
            else:
                out.iloc[i, out.columns.get_loc(total)] = _label(min_cell)
        for j, column in enumerate(parts):
            if hidden[j]:
                out.iloc[i, out.columns.get_loc(column)] = _label(min_cell)
        if total is not None and is_small(np.array([table.iloc[i][total]]), min_cell)[0]:
            out.iloc[i, out.columns.get_loc(total)] = _label(min_cell)
    return out


def suppress_within_groups(
    table: pd.DataFrame,
    *,
    group: str,
    member: str,
    total: str,
    count: str,
    derived: list[str],
    min_cell: int = MIN_CELL,
) -> pd.DataFrame:
    """Complementary suppression across rows: in each ``group`` (e.g. a month), the ``total``
    member's ``count`` (e.g. ``all``) is the sum or the union of the others, so a group never
    keeps exactly one hidden member count next to a shown total; the next smallest shown count
    (or the total) is hidden as well, with its ``derived`` values.

    Works on a table whose small counts are already shown as ``<min_cell``.

    Examples
    --------
    >>> t = pd.DataFrame({"month": ["m"] * 3, "type": ["all", "a", "b"],
    ...                   "events": [20, "<11", 15], "p": [0.2, "suppressed", 0.3]})
    >>> suppress_within_groups(t, group="month", member="type", total="all", count="events",
    ...                        derived=["p"])["events"].tolist()
    [20, '<11', '<11']
    """
    out = table.copy()
    label = _label(min_cell)
    for _, rows in out.groupby(group, sort=False):
        members = rows.loc[rows[member] != total]
        totals = rows.loc[rows[member] == total]
        hidden = members[count].astype(str) == label
        if hidden.sum() != 1 or totals.empty or (totals[count].astype(str) == label).all():
            continue
        shown = pd.to_numeric(members.loc[~hidden, count], errors="coerce")
        shown = shown[shown > 0]
        target = shown.idxmin() if len(shown) else totals.index[0]
        out.loc[target, count] = label
        out.loc[target, derived] = SUPPRESSED
    return out


def suppress_singletons(
    table: pd.DataFrame,
    *,
    count: str,
    derived: list[str],
    by: str | None = None,
    min_cell: int = MIN_CELL,
) -> pd.DataFrame:
    """Never leave exactly one hidden count in a set whose total may be shown elsewhere.

    Within each ``by`` group (or the whole table), when exactly one ``count`` is hidden, the
    smallest shown count (a zero included) is hidden too, with its ``derived`` values. Works on
    a table whose small counts are already shown as ``<min_cell``.

    Examples
    --------
    >>> t = pd.DataFrame({"type": ["a", "b", "c"], "k": ["<11", 40, 0], "p": ["x", 0.4, 0.0]})
    >>> suppress_singletons(t, count="k", derived=["p"])["k"].tolist()
    ['<11', 40, '<11']
    """
    out = table.copy()
    label = _label(min_cell)
    groups = [out] if by is None else [rows for _, rows in out.groupby(by, sort=False)]
    for rows in groups:
        hidden = rows[count].astype(str) == label
        if hidden.sum() != 1 or hidden.all():
            continue
        shown = pd.to_numeric(rows.loc[~hidden, count], errors="coerce").dropna()
        if shown.empty:
            continue
        target = shown.idxmin()
        out.loc[target, count] = label
        out.loc[target, derived] = SUPPRESSED
    return out


def load_key(path: str | Path) -> bytes:
    """Read a pseudonymisation key file (at least 16 bytes of secret, kept by the clinic).

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("wb", delete=False) as f:
    ...     _ = f.write(b"a clinic secret that is long enough")
    >>> len(load_key(f.name)); os.unlink(f.name)
    35
    """
    path = Path(path)
    if not path.is_file():
        raise OptionError(
            "--pseudonym-key-file",
            str(path),
            "no such file",
            "create a file holding a long random secret, e.g. "
            'python -c "import secrets; print(secrets.token_hex(32))" > key.txt',
        )
    key = path.read_bytes().strip()
    if len(key) < _MIN_KEY_BYTES:
        raise OptionError(
            "--pseudonym-key-file",
            str(path),
            f"holds fewer than {_MIN_KEY_BYTES} bytes",
            "use a long random secret (e.g. 64 hex characters)",
        )
    return key


def pseudonymise(ids: pd.Series, key: bytes | None) -> pd.Series:
    """HMAC-SHA256 pseudonyms (``ps-`` and 16 hex digits): stable under one key, unrelated
    across keys, and not reversible without the key. Refused without a key.

    Examples
    --------
    >>> a = pseudonymise(pd.Series(["P1", "P1", "P2"]), b"k" * 16)
    >>> a.iloc[0] == a.iloc[1], a.iloc[0] != a.iloc[2], a.iloc[0][:3]
    (True, True, 'ps-')
    """
    if not key:
        raise OptionError(
            "pseudonymisation",
            "without a key",
            "is refused (pseudonyms without a secret key "
            "can be reversed by hashing every possible ID)",
            "pass --pseudonym-key-file with a secret only the clinic holds",
        )
    codes, uniques = pd.factorize(ids.astype("str"))
    names = np.array(
        [
            "ps-" + hmac.new(key, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:16]
            for u in uniques
        ],
        dtype=object,
    )
    return pd.Series(names[codes], index=ids.index, dtype="str")
