"""One stratified Cox model for the toolkit: Efron's partial likelihood maximised by
Newton–Raphson (the estimates of statsmodels ``PHReg`` with ``ties="efron"``, to which the
tests hold it), and a robust (sandwich) variance by patient built from Efron score residuals.

Daily logs give heavily tied times (every resolution falls on a whole day). statsmodels fits
Efron's partial likelihood, but its robust variance sums *Breslow* score residuals, which do
not add up to Efron's score and understate the variance of the Efron estimate (coverage 0.91
in the null-adherence simulation of docs/validation.md; 0.93–0.95 with the residuals here).
Here they are Efron's own (Therneau & Grambsch 2000, §3.3; as R's ``survival::coxph``
computes them): at an event time with ``d`` tied events, the ``l``-th of the ``d`` terms
(``l = 0..d-1``) has the risk set with a share ``l/d`` of the tied subjects' weight removed,
and a tied subject's share of that term's compensator is ``1 - l/d``. Residuals summed
within a patient give the meat, Efron's information the bread: ``V = I⁻¹ (Σ_c U_c U_cᵀ) I⁻¹``.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(300, 1))
>>> time = np.ceil(rng.exponential(np.exp(-0.5 * x[:, 0])))
>>> fit = fit_cox(time, np.ones(300), x, np.zeros(300), np.arange(300))
>>> bool(0.3 < fit.params[0] < 0.7), fit.standard_errors.shape
(True, (1,))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CoxFit", "efron_score_residuals", "fit_cox"]

_MAX_ITERATIONS = 50


@dataclass(frozen=True)
class CoxFit:
    """Coefficients of a Cox model with their robust (by cluster) and model-based errors."""

    params: np.ndarray
    standard_errors: np.ndarray
    model_standard_errors: np.ndarray


@dataclass(frozen=True)
class _Ties:
    """The tie structure of stratified, tied event times, fixed across Newton steps: rows
    sorted by stratum then time (latest first), so a risk set is a prefix of its stratum; one
    *group* per (stratum, event time); one Efron *term* per event (``d`` per group)."""

    order: np.ndarray  # row positions in (stratum, time descending) order
    start: np.ndarray  # per sorted row: position of its stratum's first sorted row
    risk_end: np.ndarray  # per group: last sorted position in its risk set
    group_of_event: np.ndarray  # per event row (in ``event_rows`` order): its group
    event_rows: np.ndarray  # positions of event rows, grouped by group
    group_start: np.ndarray  # per group: its first entry in ``event_rows`` and in the terms
    term_group: np.ndarray  # per term: its group
    term_share: np.ndarray  # per term: l/d
    row_last_group: np.ndarray  # per row: last group of its stratum at or before its time, -1
    group_first: np.ndarray  # per group: first group of its stratum


def _ties(time: np.ndarray, event: np.ndarray, strata: np.ndarray) -> _Ties:
    codes = pd.factorize(pd.Series(strata))[0]
    rank = np.unique(time, return_inverse=True)[1]
    order = np.lexsort((-rank, codes))
    sorted_codes = codes[order]
    first_of_stratum = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1]
    start = first_of_stratum[np.searchsorted(first_of_stratum, np.arange(len(order)), "right") - 1]
    key = codes.astype(np.int64) * (int(rank.max(initial=0)) + 1) + rank
    event_rows = np.flatnonzero(event)
    group_keys, group_of_event, per_group = np.unique(
        key[event_rows], return_inverse=True, return_counts=True
    )
    # a group's risk set ends at the last sorted row of its stratum with time >= its time
    sorted_key = key[order]
    group_code = group_keys // (int(rank.max(initial=0)) + 1)
    stratum_end = np.searchsorted(sorted_codes, group_code, "right")
    stratum_begin = np.searchsorted(sorted_codes, group_code, "left")
    risk_end = np.array(
        [
            b + int(np.searchsorted(-sorted_key[b:e], -k, "right")) - 1
            for b, e, k in zip(stratum_begin, stratum_end, group_keys, strict=True)
        ],
        dtype=np.int64,
    )
    by_group = np.argsort(group_of_event, kind="stable")
    event_rows, group_of_event = event_rows[by_group], group_of_event[by_group]
    group_start = np.cumsum(per_group) - per_group
    term_group = np.repeat(np.arange(len(group_keys)), per_group)
    term_share = np.arange(len(term_group)) - np.repeat(group_start, per_group)
    term_share = term_share / per_group[term_group]
    last = np.searchsorted(group_keys, key, "right") - 1
    row_last_group = np.where((last >= 0) & (group_code[np.maximum(last, 0)] == codes), last, -1)
    group_first = np.searchsorted(group_code, group_code, "left")
    return _Ties(
        order,
        start,
        risk_end,
        group_of_event,
        event_rows,
        group_start,
        term_group,
        term_share,
        row_last_group,
        group_first,
    )


def _within_stratum_prefix(values: np.ndarray, ties: _Ties) -> np.ndarray:
    """Per group: the sum of ``values`` (sorted rows) over its risk set."""
    total = np.cumsum(values, axis=0)
    before = np.concatenate([np.zeros_like(values[:1]), total])[ties.start]
    return (total - before)[ties.risk_end] if len(ties.risk_end) else total[:0]


@dataclass(frozen=True)
class _Terms:
    """Per group (stratum, event time), what Efron's ``d`` terms add up to: the risk-set
    sums ``s0, s1`` and the tied events' ``d0, d1``, and over the terms ``l = 0..d-1``
    (``a = l/d``, ``den = s0 − a·d0``) the sums ``w1 = Σ 1/den``, ``wa = Σ a/den``,
    ``q1 = Σ 1/den²``, ``qa = Σ a/den²``, ``qaa = Σ a²/den²``; with each row's risk weight."""

    risk: np.ndarray
    s1: np.ndarray
    d1: np.ndarray
    w1: np.ndarray
    wa: np.ndarray
    q1: np.ndarray
    qa: np.ndarray
    qaa: np.ndarray
    events: np.ndarray


def _efron_terms(
    x: np.ndarray, beta: np.ndarray, ties: _Ties
) -> tuple[float, np.ndarray, np.ndarray, _Terms]:
    """Efron's log partial likelihood, its gradient and Hessian at ``beta``, and the group
    sums the residuals need. Every sum over a group's ``d`` terms is written with the five
    scalar sums of :class:`_Terms` (e.g. ``Σ_l mean_l = s1·w1 − d1·wa``), so the work per
    Newton step grows with the rows and the groups, not with rows × covariates² per event."""
    eta = x @ beta
    shift = eta.max(initial=0.0)
    risk = np.exp(eta - shift)
    xs = x[ties.order]
    rs = risk[ties.order]
    s0 = _within_stratum_prefix(rs, ties)
    s1 = _within_stratum_prefix(rs[:, None] * xs, ties)
    ev, starts = ties.event_rows, ties.group_start
    xe, re = x[ev], risk[ev]
    d0 = np.add.reduceat(re, starts)
    d1 = np.add.reduceat(re[:, None] * xe, starts)
    g, a = ties.term_group, ties.term_share
    den = s0[g] - a * d0[g]
    inverse, inverse2 = 1 / den, 1 / den**2
    terms = _Terms(
        risk=risk,
        s1=s1,
        d1=d1,
        w1=np.add.reduceat(inverse, starts),
        wa=np.add.reduceat(a * inverse, starts),
        q1=np.add.reduceat(inverse2, starts),
        qa=np.add.reduceat(a * inverse2, starts),
        qaa=np.add.reduceat(a * a * inverse2, starts),
        events=np.diff(np.r_[starts, len(a)]),
    )
    loglik = float(eta[ev].sum() - (np.log(den) + shift).sum())
    w1, wa = terms.w1[:, None], terms.wa[:, None]
    gradient = xe.sum(axis=0) - (s1 * w1 - d1 * wa).sum(axis=0)

    def outer(u: np.ndarray, v: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return np.einsum("gi,gj,g->ij", u, v, weight)

    # Σ_g (w1·S2 − wa·D2) without a k×k matrix per row: a row's x xᵀ enters S2 of every group
    # whose risk set holds it (weight: w1 accumulated over those groups) and D2 of its own group
    held = risk * _accumulated(terms.w1, ties)
    own = re * terms.wa[ties.group_of_event]
    second = (x * held[:, None]).T @ x - (xe * own[:, None]).T @ xe
    means = (
        outer(s1, s1, terms.q1)
        - outer(s1, d1, terms.qa)
        - outer(d1, s1, terms.qa)
        + outer(d1, d1, terms.qaa)
    )
    return loglik, gradient, -(second - means), terms


def _accumulated(per_group: np.ndarray, ties: _Ties) -> np.ndarray:
    """Per row: the sum of ``per_group`` over the groups whose risk set holds the row (the
    groups of its stratum at or before its time)."""
    total = np.cumsum(per_group, axis=0)
    before = np.concatenate([np.zeros_like(per_group[:1]), total])[ties.group_first]
    within = np.concatenate([np.zeros_like(per_group[:1]), total - before])
    return within[ties.row_last_group + 1]


def _residuals(x: np.ndarray, ties: _Ties, terms: _Terms) -> np.ndarray:
    """Efron score residuals from the group sums of :func:`_efron_terms` (see the module
    text): per row, its events' ``x − mean`` less ``risk · (x·A − B)``, where ``A`` and ``B``
    add ``Σ c/den`` and ``Σ c·mean/den`` over the groups whose risk set holds the row (``c``
    is 1, or ``1 − l/d`` in an event's own group)."""
    t = terms
    h1 = t.w1
    k1 = t.w1 - t.wa
    h2 = t.s1 * t.q1[:, None] - t.d1 * t.qa[:, None]
    k2 = t.s1 * (t.q1 - t.qa)[:, None] - t.d1 * (t.qa - t.qaa)[:, None]
    m_bar = (t.s1 * t.w1[:, None] - t.d1 * t.wa[:, None]) / t.events[:, None]

    a = _accumulated(h1, ties)
    b = _accumulated(h2, ties)
    ev, own = ties.event_rows, ties.group_of_event
    a[ev] -= h1[own] - k1[own]  # an event's own group: its weight (1 - l/d) in each term
    b[ev] -= h2[own] - k2[own]
    residuals = -t.risk[:, None] * (x * a[:, None] - b)
    residuals[ev] += x[ev] - m_bar[own]
    return residuals


def efron_score_residuals(
    time: np.ndarray,
    status: np.ndarray,
    exog: np.ndarray,
    strata: np.ndarray,
    params: np.ndarray,
) -> np.ndarray:
    """Per-row score residuals of a stratified Cox model with Efron's ties at ``params``: they
    sum to the gradient of Efron's log partial likelihood (zero at its maximum).

    Examples
    --------
    >>> time = np.array([1.0, 1, 2, 2, 3])
    >>> x = np.array([[0.0], [1], [0], [1], [1]])
    >>> r = efron_score_residuals(time, np.array([1, 1, 1, 0, 1]), x, np.zeros(5), np.zeros(1))
    >>> r.ravel().round(4).tolist()
    [-0.4144, 0.2606, -0.1682, -0.2849, -0.2849]
    """
    x = np.asarray(exog, dtype=float)
    ties = _ties(np.asarray(time, dtype=float), np.asarray(status) > 0, np.asarray(strata))
    terms = _efron_terms(x, np.asarray(params, dtype=float), ties)[3]
    return _residuals(x, ties, terms)


def _newton(x: np.ndarray, ties: _Ties) -> tuple[np.ndarray, np.ndarray, _Terms] | None:
    """Maximise Efron's log partial likelihood by Newton–Raphson with step halving: the
    estimate, with the Hessian and group sums there."""
    beta = np.zeros(x.shape[1])
    loglik, gradient, hessian, terms = _efron_terms(x, beta, ties)
    for _ in range(_MAX_ITERATIONS):
        try:
            step = np.linalg.solve(-hessian, gradient)
        except np.linalg.LinAlgError:
            return None
        for _ in range(30):
            candidate = _efron_terms(x, beta + step, ties)
            if np.isfinite(candidate[0]) and candidate[0] >= loglik - 1e-12:
                break
            step = step / 2
        else:
            return None
        beta = beta + step
        change = candidate[0] - loglik
        loglik, gradient, hessian, terms = candidate
        if abs(change) < 1e-10 * (1 + abs(loglik)) and np.abs(step).max() < 1e-6:
            return beta, hessian, terms
    return None


def fit_cox(
    time: np.ndarray,
    status: np.ndarray,
    exog: np.ndarray,
    strata: np.ndarray,
    clusters: np.ndarray,
) -> CoxFit | None:
    """Fit the stratified Cox model with Efron's ties (Newton–Raphson; the tests check it
    against statsmodels ``PHReg``) and return its coefficients with robust standard errors by
    ``clusters`` (Efron score residuals) and model-based ones; ``None`` when it cannot be
    fitted or does not converge.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(400, 1))
    >>> time = np.ceil(rng.exponential(np.exp(-x[:, 0])))
    >>> fit = fit_cox(time, np.ones(400), x, np.zeros(400), np.arange(400) // 2)
    >>> bool(abs(fit.params[0] - 1) < 0.3)
    True
    """
    x = np.asarray(exog, dtype=float)
    event = np.asarray(status) > 0
    if not event.any() or not np.isfinite(x).all():
        return None
    x = x - x.mean(axis=0)  # the partial likelihood does not change; its arithmetic is safer
    ties = _ties(np.asarray(time, dtype=float), event, np.asarray(strata))
    with np.errstate(all="ignore"):
        fitted = _newton(x, ties)
        if fitted is None:
            return None
        params, hessian, terms = fitted
        try:
            bread = np.linalg.inv(-hessian)
        except np.linalg.LinAlgError:
            return None
        residuals = _residuals(x, ties, terms)
    codes, names = pd.factorize(np.asarray(clusters), use_na_sentinel=False)
    by_cluster = np.column_stack(
        [np.bincount(codes, weights=column, minlength=len(names)) for column in residuals.T]
    )
    meat = by_cluster.T @ by_cluster
    robust = np.sqrt(np.diag(bread @ meat @ bread))
    model_based = np.sqrt(np.diag(bread))
    if not (np.isfinite(params).all() and np.isfinite(robust).all() and (model_based > 0).all()):
        return None
    return CoxFit(params=params, standard_errors=robust, model_standard_errors=model_based)
