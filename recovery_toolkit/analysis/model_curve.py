"""The model-based recovery curve: mean soreness by day and type from a linear mixed model.

The observed curve averages, each day, the patients who logged that day; when patients who
feel better stop logging, late days describe those still sore. A likelihood-based mixed model
uses every log of every episode and stays unbiased when drop-out depends only on what was
observed (missing at random; Laird & Ware 1982):

* soreness ~ treatment type × natural cubic spline of day (4 df; patsy ``cr``), with a random
  intercept and a random slope in day per episode (statsmodels ``MixedLM``, REML);
* the curve is the fixed-effects (marginal) mean per type and day, with a 95 % Wald interval
  from the fixed effects' covariance;
* with more than ``Settings.model_max_episodes`` episodes the model is fitted on a seeded
  random sample of that many (``episodes_used`` says how many of each type).

It is opt-in (``Settings(model_curve=True)``, ``--model-curve``): fitting takes tens of
seconds at a few thousand episodes (benchmarks/README.md).

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit import analysis
>>> episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
>>> curve = recovery_curve_model(episodes)  # doctest: +SKIP
>>> curve.columns.tolist()  # doctest: +SKIP
['treatment_type', 'day', 'mean', 'ci_low', 'ci_high', 'episodes_used']
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import patsy
import statsmodels.formula.api as smf

from ..errors import RecoveryToolkitWarning
from ..schemas import TREATMENT_DTYPE, EpisodeTable
from .intervals import Z95
from .sampling import MODELS, sample_for_model
from .settings import Settings, resolve

__all__ = ["FORMULA", "recovery_curve_model"]

#: The fixed effects of the model (``t``: day / window, the random slope's scale).
FORMULA = "soreness ~ C(treatment_type) * cr(day, df=4, constraints='center')"
_COLUMNS = ["treatment_type", "day", "mean", "ci_low", "ci_high", "episodes_used"]


def _long(episodes: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """One row per logged day in the window: episode, type, day, soreness."""
    columns = [EpisodeTable.soreness_on(d) for d in range(window_days + 1)]
    grid = episodes[columns].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    e, d = np.nonzero(~np.isnan(grid))
    return pd.DataFrame(
        {
            "episode": e,
            "treatment_type": episodes["treatment_type"].astype("str").to_numpy()[e],
            "day": d.astype(float),
            "t": d / window_days,
            "soreness": grid[e, d],
        }
    )


def _fit(data: pd.DataFrame) -> Any:
    """The fitted mixed model, or ``None`` (with a warning) when it cannot be fitted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence chatter; checked below
        try:
            model = smf.mixedlm(FORMULA, data, groups=data["episode"], re_formula="~t")
            fit = model.fit(reml=True, method=["lbfgs"])
        except (ValueError, np.linalg.LinAlgError, patsy.PatsyError) as exc:
            warnings.warn(
                f"the model-based recovery curve could not be fitted ({exc}); it is empty",
                RecoveryToolkitWarning,
                stacklevel=3,
            )
            return None
    if not fit.converged:
        warnings.warn(
            "the mixed model of the model-based recovery curve did not fully converge: read "
            "its intervals with care",
            RecoveryToolkitWarning,
            stacklevel=3,
        )
    return fit


def recovery_curve_model(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    rng: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """Model-based mean soreness per treatment type and day with its 95 % interval.

    Parameters
    ----------
    episodes : DataFrame
        The episode table (its per-day soreness columns). Not modified.
    settings : Settings, optional
        The window and ``model_max_episodes``.
    rng : int or Generator, default 0
        Seed of the sample's hash (:func:`~recovery_toolkit.analysis.sampling.model_sample`)
        when there are more episodes than ``model_max_episodes``.

    Returns
    -------
    DataFrame
        ``treatment_type, day, mean, ci_low, ci_high, episodes_used`` in vocabulary order;
        empty (with a warning) when the model cannot be fitted.
    """
    s = resolve(settings)
    seed = int(rng) if isinstance(rng, (int, np.integer)) else int(rng.integers(2**62))
    used = sample_for_model(episodes, s, MODELS["recovery_curve_model"], seed)
    data = _long(used, s.window_days)
    present = [t for t in TREATMENT_DTYPE.categories if t in set(data["treatment_type"])]
    if len(data) == 0 or data["episode"].nunique() < 3:
        warnings.warn(
            "too few episodes for the model-based recovery curve: it is empty",
            RecoveryToolkitWarning,
            stacklevel=2,
        )
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in _COLUMNS})
    fit = _fit(data)
    if fit is None:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in _COLUMNS})
    days = np.arange(s.window_days + 1, dtype=float)
    grid = pd.DataFrame(
        {"treatment_type": np.repeat(present, len(days)), "day": np.tile(days, len(present))}
    )
    design = fit.model.data.model_spec  # the patsy design of the fixed effects
    x = np.asarray(patsy.build_design_matrices([design], grid)[0])
    names = fit.model.exog_names
    beta = fit.fe_params.loc[names].to_numpy()
    covariance = fit.cov_params().loc[names, names].to_numpy()
    mean = x @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", x, covariance, x))
    counts = used.groupby(used["treatment_type"].astype("str")).size()
    return pd.DataFrame(
        {
            "treatment_type": grid["treatment_type"],
            "day": grid["day"].astype("int64"),
            "mean": mean,
            "ci_low": mean - Z95 * se,
            "ci_high": mean + Z95 * se,
            "episodes_used": grid["treatment_type"].map(counts).astype("int64"),
        }
    )
