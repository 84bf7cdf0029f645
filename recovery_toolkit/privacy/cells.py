"""Privacy primitives: the small-count rule and HMAC-SHA256 pseudonyms.

docs/privacy.md for anything that leaves the clinic (``--share``): every count from 1 to
``min_cell - 1`` (default 1–10) is hidden, and so is what would reveal such a count
(:mod:`recovery_toolkit.privacy.plan` applies the rules to every table and chart); no notes, no
dates finer than a month, and no patient IDs — or HMAC-SHA256 pseudonyms under a key the user
supplies (pseudonymising without a key is refused).

Examples
--------
>>> is_small(np.array([0, 3, 11])).tolist()
[False, True, False]
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import numpy as np
import pandas as pd

from .. import vocab
from ..errors import OptionError

__all__ = [
    "MIN_CELL",
    "SUPPRESSED",
    "complete",
    "hide",
    "is_small",
    "label",
    "partition_hidden",
    "POPULATION_COLUMNS",
    "load_key",
    "pseudonymise",
    "pseudonymise_alerts",
    "row_counts",
]

MIN_CELL = vocab.MIN_CELL
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
            "path=",
            str(path),
            "no such key file",
            "create a file holding a long random secret, e.g. "
            'python -c "import secrets; print(secrets.token_hex(32))" > key.txt',
        )
    key = path.read_bytes().strip()
    if len(key) < _MIN_KEY_BYTES:
        raise OptionError(
            "path=",
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
            "key=",
            key,
            "pseudonymisation without a key is refused (pseudonyms without a secret key "
            "can be reversed by hashing every possible ID)",
            "pass a secret only the clinic holds (load_key reads one from a file)",
        )
    if not isinstance(key, bytes) or len(key) < _MIN_KEY_BYTES:
        raise OptionError(
            "key=",
            "<secret>",
            f"must be bytes, at least {_MIN_KEY_BYTES} of them (a short key can be guessed)",
            "use a long random secret, e.g. load_key(path) of a file of 64 hex characters",
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


def complete(values: np.ndarray, mask: np.ndarray, min_cell: int = MIN_CELL) -> np.ndarray:
    """In a set whose total is shown, the total minus the shown counts is the sum of the hidden
    ones: never let that be one hidden count, nor a sum from 0 to ``min_cell - 1`` (a sum of 0
    gives every hidden count away, a small sum is a small count). Hide the smallest shown count
    (a zero included) until neither holds, or everything is hidden.

    Examples
    --------
    >>> complete(np.array([40, 5, 30, 0]), np.array([False, True, False, False])).tolist()
    [False, True, True, True]
    >>> complete(np.array([40, 25, 30, 12]), np.array([False, True, False, True])).tolist()
    [False, True, False, True]
    """
    values = np.asarray(values, dtype=float)
    mask = np.asarray(mask, dtype=bool).copy()
    while mask.any() and not mask.all():
        hidden_sum = values[mask].sum()
        if mask.sum() >= 2 and not hidden_sum < min_cell:
            break
        shown = np.where(mask, np.inf, values)
        mask[int(np.argmin(shown))] = True
    return mask


def pseudonymise_alerts(alerts: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """The alert list with patient and episode IDs replaced by HMAC-SHA256 pseudonyms
    (record-level: one patient per row, its counts not suppressed).

    Examples
    --------
    >>> t = pd.DataFrame({"episode_id": ["E1"], "patient_id": ["P1"], "reason": ["x"]})
    >>> pseudonymise_alerts(t, b"k" * 16)["patient_id"].str.startswith("ps-").tolist()
    [True]
    """
    return alerts.assign(
        episode_id=pseudonymise(alerts["episode_id"], key),
        patient_id=pseudonymise(alerts["patient_id"], key),
    )


def row_counts(
    *, read: int, valid: int, quarantined: int, merged: int, min_cell: int = MIN_CELL
) -> dict[str, int | str]:
    """Rows read, valid, quarantined and merged as a shared output shows them: valid,
    quarantined and merged hide together when one is small (read minus the others gives it);
    read hides when small.

    Examples
    --------
    >>> row_counts(read=400, valid=395, quarantined=5, merged=0)
    {'read': 400, 'valid': 'suppressed', 'quarantined': 'suppressed', 'merged': 'suppressed'}
    """
    rows: dict[str, int | str] = {
        "read": read,
        "valid": valid,
        "quarantined": quarantined,
        "merged": merged,
    }
    if is_small(np.array([valid, quarantined, merged]), min_cell).any():
        rows.update(valid=SUPPRESSED, quarantined=SUPPRESSED, merged=SUPPRESSED)
    if is_small(np.array([read]), min_cell)[0]:
        rows["read"] = SUPPRESSED
    return rows


def label(values: pd.Series, mask: np.ndarray) -> pd.Series:
    """The values with ``suppressed`` where ``mask`` holds: one label for every hidden
    count, small or hidden as a complement alike (two labels would tell a reader which hidden
    counts are 1 to ``min_cell - 1`` and which are 0 or at least ``min_cell``, and such
    bounds can solve a table).

    Examples
    --------
    >>> label(pd.Series([3, 0]), np.array([True, True])).tolist()
    ['suppressed', 'suppressed']
    """
    out = values.astype(object).copy()
    out[np.asarray(mask, dtype=bool)] = SUPPRESSED
    return out


def hide(
    table: pd.DataFrame, column: str, mask: np.ndarray, derived: tuple[str, ...] = ()
) -> pd.DataFrame:
    """``column`` labelled :func:`label` where ``mask`` holds, and the ``derived`` columns
    (shares, intervals) ``suppressed`` on the same rows.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [3, 40], "share": [0.1, 0.9]})
    >>> hide(t, "n", np.array([True, False]), ("share",)).values.tolist()
    [['suppressed', 'suppressed'], [40, 0.9]]
    """
    mask = np.asarray(mask, dtype=bool)
    out = table.astype({column: object, **{c: object for c in derived}})
    out[column] = label(table[column], mask)
    for name in derived:
        out.loc[mask, name] = SUPPRESSED
    return out


#: The time-to-resolution populations, which add up to a type's episodes.
POPULATION_COLUMNS: tuple[str, ...] = ("sore_episodes", "no_reaction", "baseline_missing")


def partition_hidden(
    cells: pd.DataFrame, whole_hidden: pd.Series, min_cell: int = MIN_CELL
) -> pd.DataFrame:
    """Which cells of a partition hide (rows: types; columns: parts adding up to the row's
    shown whole): small cells; within a row never exactly one, and never hidden cells whose
    sum is small (the whole minus the shown cells gives it); within a column never exactly
    one (its total is shown elsewhere); every cell of a hidden whole.

    Examples
    --------
    >>> cells = pd.DataFrame({"sore": [130, 115], "none": [11, 12], "missing": [1, 0]},
    ...                      index=["a", "b"])
    >>> partition_hidden(cells, pd.Series({"a": False, "b": False})).values.tolist()
    [[False, True, True], [False, True, True]]
    """
    values = cells.to_numpy(dtype=float)
    mask = np.asarray(is_small(values.ravel(), min_cell)).reshape(values.shape)
    mask |= whole_hidden.reindex(cells.index).fillna(True).to_numpy(dtype=bool)[:, None]
    while True:
        before = mask.copy()
        for i in range(len(values)):  # complete() also keeps the hidden sum from being small
            mask[i] = complete(values[i], mask[i], min_cell)
        for j in range(values.shape[1]):
            mask[:, j] = complete(values[:, j], mask[:, j], min_cell)
        if (mask == before).all():
            return pd.DataFrame(mask, index=cells.index, columns=cells.columns)
