"""The Cox fit behind hazard ratios and the landmark analysis: Efron score residuals worked
out by hand, against statsmodels where the two must agree, and a jackknife where they need not."""

from __future__ import annotations

import numpy as np
from statsmodels.duration.hazard_regression import PHReg

from recovery_toolkit.analysis.cox import efron_score_residuals, fit_cox


def test_efron_residuals_worked_by_hand():
    # beta = 0, so every risk weight is 1. Day 1: two tied events among five at risk, so the
    # two Efron terms have denominators 5 and 4 and means 3/5 and 2.5/4; a tied subject weighs
    # 1 in the first and 1/2 in the second. Day 2: one event among three (mean 2/3); day 3: one
    # among one. Subject 0 (x = 0, event day 1): 0 - (0.6 + 0.625)/2 + (0.6/5 + 0.5 * 0.625/4).
    time = np.array([1.0, 1, 2, 2, 3])
    status = np.array([1, 1, 1, 0, 1])
    x = np.array([[0.0], [1], [0], [1], [1]])
    residuals = efron_score_residuals(time, status, x, np.zeros(5), np.zeros(1)).ravel()
    by_hand = [
        -0.6125 + 0.198125,
        0.3875 - (0.325 - 0.198125),
        -2 / 3 + (0.27625 + 2 / 9),
        -((0.45 + 1 / 3) - (0.27625 + 2 / 9)),
        -((0.45 + 1 / 3 + 1) - (0.27625 + 2 / 9 + 1)),
    ]
    np.testing.assert_allclose(residuals, by_hand, rtol=1e-12)


def _tied_data(seed: int, n: int = 600):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    strata = rng.integers(0, 3, n)
    continuous = rng.exponential(np.exp(-x @ np.array([0.5, -0.3])))
    status = (rng.random(n) < 0.8).astype(float)
    return x, strata, continuous, status


def test_estimates_and_model_errors_are_statsmodels_efron_with_ties_and_strata():
    x, strata, continuous, status = _tied_data(4)
    time = np.ceil(continuous)
    reference = PHReg(time, x, status=status, strata=strata, ties="efron").fit()
    fit = fit_cox(time, status, x, strata, np.arange(len(time)))
    assert fit is not None
    np.testing.assert_allclose(fit.params, reference.params, rtol=1e-8)
    np.testing.assert_allclose(fit.model_standard_errors, reference.bse, rtol=1e-7)


def test_residuals_add_up_to_efrons_score_with_ties_and_strata():
    x, strata, continuous, status = _tied_data(1)
    time = np.ceil(2 * continuous)  # whole "days": many ties
    model = PHReg(time, x, status=status, strata=strata, ties="efron")
    for params in (np.zeros(2), np.array([0.3, 0.1]), model.fit().params):
        total = efron_score_residuals(time, status, x, strata, params).sum(axis=0)
        np.testing.assert_allclose(total, model.score(params), atol=1e-9)


def test_without_ties_the_robust_variance_is_statsmodels():
    # with no ties Efron and Breslow coincide, and so must the two sandwiches
    x, strata, time, status = _tied_data(2)
    clusters = np.arange(len(time)) // 3
    # statsmodels' robust variance is NaN with rows censored before their stratum's first event
    first = {k: time[(strata == k) & (status > 0)].min() for k in np.unique(strata)}
    keep = time >= np.array([first[k] for k in strata])
    reference = PHReg(time[keep], x[keep], status=status[keep], strata=strata[keep]).fit(
        groups=clusters[keep]
    )
    fit = fit_cox(time, status, x, strata, clusters)
    assert fit is not None
    np.testing.assert_allclose(fit.params, reference.params, rtol=1e-8)
    np.testing.assert_allclose(fit.standard_errors, reference.bse, rtol=1e-8)


def test_with_ties_the_robust_error_agrees_with_a_patient_jackknife():
    # a delete-one-group jackknife over patients (independent of the score residuals) and the
    # Efron sandwich estimate the same variance; statsmodels' Breslow sandwich falls short
    x, strata, continuous, status = _tied_data(3, n=900)
    time = np.ceil(continuous)
    patients = np.arange(len(time)) // 3
    fit = fit_cox(time, status, x, strata, patients)
    assert fit is not None
    groups = patients % 60
    estimates = np.array(
        [
            PHReg(time[g], x[g], status=status[g], strata=strata[g], ties="efron").fit().params
            for g in (groups != j for j in range(60))
        ]
    )
    jackknife = np.sqrt(59 / 60 * ((estimates - estimates.mean(axis=0)) ** 2).sum(axis=0))
    np.testing.assert_allclose(fit.standard_errors, jackknife, rtol=0.15)
    breslow = PHReg(time, x, status=status, strata=strata, ties="efron").fit(groups=patients)
    assert (breslow.bse < fit.standard_errors).all()
