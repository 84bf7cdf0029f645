"""The seeded samples of the models that cannot be added up from parts (DESIGN §2).

The landmark and treatment-type Cox models and the model-based curve are fitted on at most
``Settings.model_max_episodes`` episodes of their population. The sample is the episodes
whose seeded hash of ``episode_id`` is smallest, so it is the same episodes however the rows
are split: each part offers its own smallest (:func:`smallest_keys`, at most that many per
model; :func:`~recovery_toolkit.analysis.results.part_samples`), and the driver keeps the
smallest of all (:func:`model_sample`), in episode order.

Examples
--------
>>> eps = pd.DataFrame({"episode_id": [f"e{i}" for i in range(6)]})
>>> whole = model_sample(eps, 3)
>>> halves = pd.concat([model_sample(eps.iloc[:3], 3), model_sample(eps.iloc[3:], 3)])
>>> model_sample(halves, 3).equals(whole)
True
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import RecoveryToolkitWarning
from .settings import Settings

__all__ = [
    "MODELS",
    "smallest_keys",
    "model_sample",
    "sample_for_model",
    "sample_keys",
]

#: The models fitted on a sample, and what each is called in a warning.
MODELS: Mapping[str, str] = {
    "hazard_ratios": "the Cox model of treatment types",
    "adherence_landmark": "the landmark Cox models",
    "recovery_curve_model": "the model-based recovery curve",
}


def sample_keys(ids: pd.Series, seed: int = 0) -> np.ndarray:
    """A seeded 64-bit hash of each id (SipHash with a key made from ``seed``).

    Examples
    --------
    >>> keys = sample_keys(pd.Series(["a", "b"]))
    >>> keys.dtype, bool((keys == sample_keys(pd.Series(["a", "b"]))).all())
    (dtype('uint64'), True)
    """
    key = f"{seed % 10**16:016d}"
    values = ids.astype("str").to_numpy(dtype=object)
    return pd.util.hash_array(values, hash_key=key, categorize=False)


def model_sample(
    episodes: pd.DataFrame,
    max_episodes: int,
    seed: int = 0,
    *,
    keys: np.ndarray | None = None,
) -> pd.DataFrame:
    """At most ``max_episodes`` episodes, those with the smallest :func:`sample_keys` of
    their ``episode_id`` (all when fewer), in ``episode_id`` order. ``keys``: their
    :func:`sample_keys`, when already made.

    Examples
    --------
    >>> eps = pd.DataFrame({"episode_id": list("fedcba")})
    >>> model_sample(eps, 6)["episode_id"].tolist()
    ['a', 'b', 'c', 'd', 'e', 'f']
    """
    if "episode_id" not in episodes.columns:  # a hand-made frame: nothing to order by
        return episodes.head(max_episodes)
    if len(episodes) > max_episodes:
        if keys is None:
            keys = sample_keys(episodes["episode_id"], seed)
        episodes = episodes.iloc[np.sort(np.argsort(keys, kind="stable")[:max_episodes])]
    ids = episodes["episode_id"].astype("str")
    if ids.is_monotonic_increasing:
        return episodes
    return episodes.iloc[np.argsort(ids.to_numpy(dtype=object), kind="stable")]


def sample_for_model(
    frame: pd.DataFrame,
    settings: Settings,
    what: str,
    seed: int = 0,
    *,
    population: int | None = None,
) -> pd.DataFrame:
    """``frame`` (episodes of a model's population) for a model that cannot be added up
    from parts: all of it, or the sample of :func:`model_sample` of
    ``settings.model_max_episodes`` with a warning naming ``what``. ``population`` is the
    size of the whole population when ``frame`` holds only the parts' candidates.

    Examples
    --------
    >>> len(sample_for_model(pd.DataFrame({"x": range(5)}), Settings(), "a model"))
    5
    """
    total = len(frame) if population is None else population
    limit = settings.model_max_episodes
    if total > limit:
        warnings.warn(
            f"{what} fitted on a seeded random sample of {limit:,} of {total:,} episodes "
            f"(the limit: model_max_episodes={limit})",
            RecoveryToolkitWarning,
            stacklevel=3,
        )
    return model_sample(frame, limit, seed)


def smallest_keys(positions: np.ndarray, keys: np.ndarray | None, limit: int) -> np.ndarray:
    """Of ``positions`` (sorted), the ``limit`` whose ``keys`` are smallest, sorted; all of
    them when there are no more than ``limit`` (or no ``keys``).

    Examples
    --------
    >>> smallest_keys(np.array([0, 2, 3, 5]), np.array([9, 0, 4, 1, 0, 2], dtype=np.uint64), 2)
    array([3, 5])
    """
    if keys is None or len(positions) <= limit:
        return positions
    own = keys[positions]
    chosen = np.argpartition(own, limit - 1)[:limit]
    return np.sort(positions[chosen])
