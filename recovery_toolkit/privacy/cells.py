"""Privacy primitives: the small-count rule and HMAC-SHA256 pseudonyms.

DESIGN §6 for anything that leaves the clinic (``--share``): every count from 1 to
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
    "is_small",
    "load_key",
    "pseudonymise",
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
    codes, uniques = pd.factorize(ids.astype("str"))
    names = np.array(
        [
            "ps-" + hmac.new(key, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:16]
            for u in uniques
        ],
        dtype=object,
    )
    return pd.Series(names[codes], index=ids.index, dtype="str")
