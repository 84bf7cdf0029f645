"""Home-care checklist days per episode: which days each item was scored and followed.

The timing-aware ``cold_then_heat`` rule lives here once (:func:`cold_then_heat`); the
episode table (:func:`~recovery_toolkit.analysis.episodes.episode_table`) and one episode's
checklist (:func:`~recovery_toolkit.analysis.adherence.episode_checklist`) both use it.

Examples
--------
>>> applies, answered, followed = cold_then_heat(
...     np.array([0, 2]), np.array([6, 5]), np.array([1, -1]), np.array([0, 1]))
>>> followed.tolist()
[True, True]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import vocab
from ..schemas import EpisodeTable
from ..schemas.episodes import ADHERENCE_GROUPS
from .masked import yes_no_codes

__all__ = ["ADHERENCE_ITEMS", "adherence_columns", "cold_then_heat"]

#: The adherence items: the checklist items other than cold and heat, and cold_then_heat.
ADHERENCE_ITEMS: tuple[str, ...] = (
    *(c for c in vocab.CARE_ITEMS if c not in ("care_cold", "care_heat")),
    vocab.COLD_THEN_HEAT.code,
)


def adherence_columns(
    logs: pd.DataFrame,
    rows: np.ndarray | slice,
    day: np.ndarray,
    sore: np.ndarray,
    starts: np.ndarray,
    high: float,
    low: float,
    landmark_day: int = vocab.LANDMARK_DAY,
) -> dict[str, Any]:
    """Per item: days answered and followed, over the window and before ``landmark_day``;
    the adherence score and group (columns of the episode table, by name)."""
    out: dict[str, Any] = {}
    proportions = []
    early = np.flatnonzero(day < landmark_day)  # the few rows before the landmark
    lengths = np.diff(np.r_[starts, len(day)])
    owner = np.repeat(np.arange(len(starts)), lengths)[early]
    # both counts of an item in one sum: answered + base × followed, base above any count
    base = int(lengths.max(initial=0)) + 1
    for item in ADHERENCE_ITEMS:
        scored, adherent = _item_days(logs, rows, item, day, sore)
        both = np.multiply(scored & adherent, base, dtype=np.int32)
        both += scored
        # at most longest × (base + 1): int32 holds it for any window below 46,000 days
        sums = (np.add.reduceat(both, starts) if len(both) else both).astype(np.int64)
        before = np.bincount(owner, weights=both[early], minlength=len(starts)).astype(np.int64)
        answered, done = sums % base, sums // base
        out[EpisodeTable.answered(item)] = answered
        out[EpisodeTable.adherent(item)] = done
        out[EpisodeTable.answered_before(item)] = before % base
        out[EpisodeTable.adherent_before(item)] = before // base
        with np.errstate(invalid="ignore", divide="ignore"):
            proportions.append(np.where(answered > 0, done / np.maximum(answered, 1), np.nan))
    stacked = np.vstack(proportions)
    counted = np.isfinite(stacked).sum(axis=0)
    score = np.where(counted > 0, np.nansum(stacked, axis=0) / np.maximum(counted, 1), np.nan)
    out["adherence_score"] = score
    code = list(ADHERENCE_GROUPS).index
    group = np.select(
        [score >= high, score >= low, score < low],
        [code("high"), code("partial"), code("low")],
        code("not_reported"),
    )
    out["adherence_group"] = pd.Categorical.from_codes(
        group, dtype=pd.CategoricalDtype(list(ADHERENCE_GROUPS))
    )
    return out


def _item_days(
    logs: pd.DataFrame, rows: np.ndarray | slice, item: str, day: np.ndarray, sore: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: is the item scored that day (applies and answered), and was it followed?"""
    if item != vocab.COLD_THEN_HEAT.code:
        coded = _nullable(logs, item, rows)
        return coded >= 0, coded == 1
    cold = _nullable(logs, "care_cold", rows)
    heat = _nullable(logs, "care_heat", rows)
    applies, answered, adherent = cold_then_heat(day, sore, cold, heat)
    return applies & answered, adherent


def cold_then_heat(
    day: np.ndarray, sore: np.ndarray, cold: np.ndarray, heat: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The timing-aware cold-then-heat rule, per logged day: does it apply, is it answered,
    was it followed? ``cold`` and ``heat`` are coded 1 yes, 0 no, -1 missing.

    Cold and not heat on days ``0..COLD_LAST_DAY``; later, heat on days with soreness at least
    ``HEAT_FROM_SORENESS`` (other days are not scored). Constants in :mod:`recovery_toolkit.vocab`.

    Examples
    --------
    >>> applies, answered, followed = cold_then_heat(
    ...     np.array([0, 2, 3]), np.array([6, 2, 5]), np.array([1, -1, 0]), np.array([0, 1, 1]))
    >>> applies.tolist(), answered.tolist(), followed.tolist()
    ([True, False, True], [True, True, True], [True, True, True])
    """
    early = day <= vocab.COLD_LAST_DAY
    applies = early | (sore >= vocab.HEAT_FROM_SORENESS)
    answered = np.where(early, (cold >= 0) & (heat >= 0), heat >= 0)
    adherent = np.where(early, (cold == 1) & (heat == 0), heat == 1)
    return applies, answered, adherent


def _nullable(logs: pd.DataFrame, column: str, rows: np.ndarray | slice) -> np.ndarray:
    """A yes/no column at ``rows`` as int8: 1 yes, 0 no, -1 missing."""
    if column not in logs.columns:
        return np.full(len(logs), -1, dtype=np.int8)[rows]
    return yes_no_codes(logs[column])[rows]
