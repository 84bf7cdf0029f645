"""The seeded samples of the models that cannot be added up from parts (DESIGN §2).

The landmark and treatment-type Cox models and the model-based curve are fitted on at most
``Settings.model_max_episodes`` (k) episodes of their population. The sample is the k
episodes whose seeded hash of ``episode_id`` (:func:`sample_keys`) is smallest, so it is the
same episodes however the rows are split. Each part keeps its own k smallest, with their keys,
where it lives (:func:`~recovery_toolkit.analysis.results.part_samples`); the driver, which
knows the population's size N from the parts' counts, asks every part for its candidates with
a key below the value that about 1.5 k + 50 of N uniform keys fall under (:func:`rows_below`),
and keeps the k smallest of what comes back (:func:`sample_from_parts`; asking again with a
doubled bound in the rare case fewer than k came). So the driver receives about 1.5 k rows
whatever the number of parts.

Examples
--------
>>> eps = pd.DataFrame({"episode_id": [f"e{i}" for i in range(6)]})
>>> whole = model_sample(eps, 3)
>>> halves = pd.concat([model_sample(eps.iloc[:3], 3), model_sample(eps.iloc[3:], 3)])
>>> model_sample(halves, 3).equals(whole)
True
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from ..errors import RecoveryToolkitWarning
from .partials import concat_parts
from .settings import Settings

__all__ = [
    "MODELS",
    "SAMPLE_KEY",
    "rows_below",
    "sample_from_parts",
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


#: The column of a part's candidates that holds their :func:`sample_keys`.
SAMPLE_KEY = "sample_key"
_ALL = (1 << 64) - 1  # the largest key


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


def model_sample(episodes: pd.DataFrame, max_episodes: int, seed: int = 0) -> pd.DataFrame:
    """At most ``max_episodes`` episodes, those with the smallest :func:`sample_keys` of
    their ``episode_id`` (all when fewer; :func:`smallest_keys`), in ``episode_id`` order.

    Examples
    --------
    >>> eps = pd.DataFrame({"episode_id": list("fedcba")})
    >>> model_sample(eps, 6)["episode_id"].tolist()
    ['a', 'b', 'c', 'd', 'e', 'f']
    """
    if "episode_id" not in episodes.columns:  # a hand-made frame: nothing to order by
        return episodes.head(max_episodes)
    if len(episodes) > max_episodes:
        keys = sample_keys(episodes["episode_id"], seed)
        episodes = episodes.iloc[smallest_keys(np.arange(len(episodes)), keys, max_episodes)]
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


def rows_below(candidates: pd.DataFrame, *, limit: int) -> pd.DataFrame:
    """A part's candidates whose :data:`SAMPLE_KEY` is at most ``limit`` (run where the
    part lives).

    Examples
    --------
    >>> rows = pd.DataFrame({SAMPLE_KEY: np.array([5, 2**63, 7], dtype=np.uint64)})
    >>> rows_below(rows, limit=6)[SAMPLE_KEY].tolist()
    [5]
    """
    if SAMPLE_KEY not in candidates.columns:  # a part without episode ids: all of them
        return candidates
    keys = candidates[SAMPLE_KEY].to_numpy(dtype=np.uint64)
    return candidates.loc[keys <= np.uint64(limit)]


def sample_from_parts(
    passes: Callable[[Callable[[pd.DataFrame], pd.DataFrame], str], list[pd.DataFrame]],
    model: str,
    population: int,
    settings: Settings,
) -> pd.DataFrame:
    """The episodes ``model`` is fitted on, from the parts' kept candidates (kind
    ``sample/<model>``): the ``model_max_episodes`` with the smallest keys of all, in
    ``episode_id`` order, without their key; with a warning when that is fewer than the
    ``population``.

    Examples
    --------
    >>> eps = pd.DataFrame({"episode_id": [f"e{i:02d}" for i in range(30)]})
    >>> eps[SAMPLE_KEY] = sample_keys(eps["episode_id"])
    >>> parts = [eps.iloc[15:], eps.iloc[:15]]
    >>> passes = lambda run, kind: [run(part) for part in parts]
    >>> drawn = sample_from_parts(passes, "hazard_ratios", 30, Settings(model_max_episodes=30))
    >>> drawn["episode_id"].tolist() == eps["episode_id"].tolist()  # all 30, in id order
    True
    """
    limit = settings.model_max_episodes
    wanted = min(limit, population)
    bound = _ALL if population <= limit else _bound(limit, population)
    while True:
        found = passes(functools.partial(rows_below, limit=bound), f"sample/{model}")
        rows = concat_parts(found)  # categorical columns stay categorical
        if len(rows) >= wanted or bound == _ALL:
            break
        bound = min(_ALL, bound * 2)  # fewer than k keys under the bound: rare, ask again
    if SAMPLE_KEY in rows.columns:
        keys = rows[SAMPLE_KEY].to_numpy(dtype=np.uint64)
        rows = rows.drop(columns=SAMPLE_KEY)
        rows = rows.iloc[smallest_keys(np.arange(len(rows)), keys, limit)]
    return sample_for_model(rows, settings, MODELS[model], population=population)


def _bound(limit: int, population: int) -> int:
    """The key about 1.5 × ``limit`` + 50 of ``population`` uniform 64-bit keys fall under
    (fewer than ``limit`` fall under it about once in 10**14 draws or more rarely, Poisson's
    tail; the caller then asks again with twice the bound)."""
    share = min(1.0, (1.5 * limit + 50) / population)
    return min(_ALL, int(share * (1 << 64)))
