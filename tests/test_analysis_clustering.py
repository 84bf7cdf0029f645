"""Intervals for patients with several episodes, hazard ratios and the stratified log-rank test
(issue 11, item 5). Expectations are worked out by hand or from an independent fit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight

import recovery_toolkit as rt
from recovery_toolkit import analysis
from recovery_toolkit.analysis.clustering import (
    INDEPENDENT,
    ROBUST,
    clustered_wilson,
    day_grid,
    km_band,
    loglog_interval,
    patient_clusters,
    product_limit,
)
from recovery_toolkit.analysis.intervals import wilson_interval
from recovery_toolkit.analysis.resolution import survival_band
from recovery_toolkit.errors import OptionError


def _times(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 15, n), rng.random(n) < 0.7


@pytest.mark.parametrize("seed", [1, 2])
def test_one_episode_per_patient_gives_greenwood_exactly(seed):
    time, event = _times(seed)
    fit = SurvfuncRight(time.astype(float), event.astype(float))
    at_risk, events = day_grid(time, event, 14)
    survival, se = product_limit(at_risk, events)
    low, high = loglog_interval(survival, se)
    steps = fit.surv_times.astype(int)
    greenwood_low, greenwood_high = survival_band(fit)
    np.testing.assert_allclose(survival[steps], fit.surv_prob, atol=1e-12)
    np.testing.assert_allclose(low[steps], greenwood_low, atol=1e-12)
    np.testing.assert_allclose(high[steps], greenwood_high, atol=1e-12)


def test_two_identical_episodes_of_one_patient_count_as_one():
    # Each patient's second episode copies the first: the robust interval must equal the
    # Greenwood interval of the patients alone (the copies add no information), not be
    # narrower by sqrt(2) as it would if the copies were independent.
    time, event = _times(3, 150)
    doubled_time, doubled_event = np.repeat(time, 2), np.repeat(event, 2)
    patients = np.repeat(np.arange(150), 2)
    survival, low, high = km_band(doubled_time, doubled_event, patients, 14)
    alone, alone_low, alone_high = km_band(time, event, None, 14)
    np.testing.assert_allclose(survival, alone, atol=1e-12)
    np.testing.assert_allclose(low, alone_low, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(high, alone_high, atol=1e-12, equal_nan=True)
    _, naive_low, _ = km_band(doubled_time, doubled_event, None, 14)
    inner = np.isfinite(naive_low) & (alone > 0) & (alone < 1)
    assert (naive_low[inner] > alone_low[inner]).all()  # the naive one is too narrow


def test_a_proportion_of_copied_episodes_has_the_patients_wilson_interval():
    outcome = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0])
    low, high = clustered_wilson(np.repeat(outcome, 2), np.repeat(np.arange(10), 2))
    expected = wilson_interval(3, 10)
    assert (low, high) == pytest.approx((float(expected[0]), float(expected[1])), abs=1e-12)
    # independent episodes: the plain Wilson interval
    assert clustered_wilson(outcome, None) == pytest.approx(
        (float(expected[0]), float(expected[1]))
    )


def test_a_design_effect_below_one_never_narrows_the_interval():
    # one event in each patient's pair: within-patient outcomes differ, the robust variance is
    # below the binomial one, and the interval stays Wilson's
    outcome = np.array([1, 0] * 10)
    low, high = clustered_wilson(outcome, np.repeat(np.arange(10), 2))
    expected = wilson_interval(10, 20)
    assert (low, high) == pytest.approx((float(expected[0]), float(expected[1])))


def test_clusters_only_where_a_patient_repeats():
    assert patient_clusters(pd.DataFrame({"patient_id": ["a", "b", "c"]})) is None
    codes = patient_clusters(pd.DataFrame({"patient_id": ["a", " a", "b"]}))
    assert codes.tolist() == [0, 0, 1]  # ids compared trimmed, as the loader does


def _unique_patients(logs: pd.DataFrame) -> pd.DataFrame:
    return logs.assign(patient_id=logs["episode_id"].astype("str"))


@pytest.fixture(scope="module")
def sample_logs():
    return rt.load_logs(rt.sample_path()).logs


def test_the_sample_has_repeat_patients_and_says_so(sample_logs, tmp_path):
    results = rt.compute(sample_logs)
    assert results.tables["intervals"]["method"].iloc[0] == ROBUST
    written = rt.write_tables(results, tmp_path)
    manifest = json.loads(next(p for p in written if p.name == "manifest.json").read_text())
    assert manifest["interval_method"] == ROBUST
    alone = rt.compute(_unique_patients(sample_logs))
    assert alone.tables["intervals"]["method"].iloc[0] == INDEPENDENT


def test_repeat_patients_widen_intervals_but_not_estimates(sample_logs):
    clustered = rt.compute(sample_logs).tables
    alone = rt.compute(_unique_patients(sample_logs)).tables
    estimates = (("resolution_milestones", "resolved"), ("red_flag_incidence", "proportion"))
    for name, value in estimates:
        pd.testing.assert_series_equal(clustered[name][value], alone[name][value])
    a, b = clustered["resolution_milestones"], alone["resolution_milestones"]
    width_a = (a["ci_high"] - a["ci_low"]).dropna()
    width_b = (b["ci_high"] - b["ci_low"]).loc[width_a.index]
    assert (width_a >= width_b - 0.02).all()  # never much narrower, on average wider
    assert width_a.mean() > width_b.mean()


def test_ipcw_has_an_interval_around_its_estimate(sample_logs):
    table = rt.compute(sample_logs).tables["resolution_milestones"]
    ipcw = table.loc[table["method"] == "ipcw"].dropna(subset=["ci_low"])
    assert len(ipcw) > 0
    assert ((ipcw["ci_low"] <= ipcw["resolved"]) & (ipcw["resolved"] <= ipcw["ci_high"])).all()


def test_hazard_ratios_match_an_independent_cox_fit(sample_logs):
    episodes = analysis.episode_table(sample_logs)
    table = analysis.hazard_ratios(episodes).set_index("treatment_type")
    sore = episodes.loc[episodes["population"].astype("str") == "sore"]
    types = sore["treatment_type"].astype("str")
    others = ["physical_therapy", "injection", "minor_procedure"]
    exog = pd.DataFrame({t: (types == t).astype(float) for t in others})
    model = PHReg(
        sore["time"].to_numpy(float),
        exog.to_numpy(),
        status=sore["resolved"].to_numpy(float),
        ties="efron",
    )
    fit = model.fit()
    assert table.loc["chiropractic", "hr"] == 1.0
    np.testing.assert_allclose(table.loc[others, "hr"], np.exp(fit.params), rtol=1e-10)
    # the robust error by patient against a delete-a-group jackknife over patients
    se = (np.log(table.loc[others, "ci_high"]) - np.log(table.loc[others, "hr"])) / 1.959963985
    patients = pd.factorize(sore["patient_id"].astype("str"))[0] % 40
    estimates = np.array(
        [
            PHReg(
                sore["time"].to_numpy(float)[keep],
                exog.to_numpy()[keep],
                status=sore["resolved"].to_numpy(float)[keep],
                ties="efron",
            )
            .fit()
            .params
            for keep in (patients != j for j in range(40))
        ]
    )
    jackknife = np.sqrt(39 / 40 * ((estimates - estimates.mean(axis=0)) ** 2).sum(axis=0))
    np.testing.assert_allclose(se.to_numpy(), jackknife, rtol=0.2)
    # minor procedures resolve more slowly than chiropractic in the sample (KM medians)
    assert table.loc["minor_procedure", "ci_high"] < 1


def test_hazard_ratio_of_a_known_effect():
    # exponential times, hazard 2 in injection against 1 in chiropractic: HR about 2
    rng = np.random.default_rng(4)
    n = 4000
    injection = rng.random(n) < 0.5
    time = np.ceil(rng.exponential(np.where(injection, 1.5, 3.0)))
    episodes = pd.DataFrame(
        {
            "treatment_type": np.where(injection, "injection", "chiropractic"),
            "patient_id": [f"P{i}" for i in range(n)],
            "time": np.minimum(time, 14),
            "resolved": time <= 14,
        }
    )
    row = analysis.hazard_ratios(episodes).set_index("treatment_type").loc["injection"]
    assert row["ci_low"] < 2.2 and row["ci_high"] > 1.8  # grouped days: Efron ties
    assert 1.7 < row["hr"] < 2.3


def test_stratified_logrank_adds_strata():
    time, event = _times(5, 200)
    one = pd.DataFrame(
        {
            "g": np.where(np.arange(200) % 2, "a", "b"),
            "time": time + (np.arange(200) % 2),
            "resolved": event,
            "site": "north",
        }
    )
    plain = analysis.logrank(one, by="g")
    same = analysis.logrank(one, by="g", strata="site")
    assert same.statistic == pytest.approx(plain.statistic)
    twice = pd.concat([one, one.assign(site="south")], ignore_index=True)
    # two identical strata double both the observed-minus-expected and its variance
    assert analysis.logrank(twice, by="g", strata="site").statistic == pytest.approx(
        2 * plain.statistic
    )


def test_stratify_by_reaches_the_outputs(sample_logs):
    results = rt.compute(sample_logs, stratify_by="site")
    assert results.tables["logrank"]["stratified_by"].iloc[0] == "site"
    with pytest.raises(OptionError, match="stratify_by="):
        rt.Settings(stratify_by="clinic")


def test_shared_hazard_ratios_hide_types_with_few_resolutions(sample_logs):
    results = rt.compute(sample_logs)
    shared = rt.share(results).tables["hazard_ratios"].set_index("treatment_type")
    # every type of the sample has more than 11 sore episodes and resolutions
    assert shared["hr"].tolist() == results.tables["hazard_ratios"]["hr"].tolist()
    few = results.tables["time_to_resolution"].assign(
        resolved=lambda t: np.where(t["treatment_type"] == "chiropractic", 5, t["resolved"])
    )
    plan = rt.privacy.SharePlan.from_tables(results.tables)
    hidden = rt.privacy.report_tables.share_hazard_ratios(
        plan, results.tables["hazard_ratios"], few
    )
    assert (hidden["hr"] == "suppressed").all()  # the reference hides, so every ratio does


def test_kaplan_meier_band_from_counts_equals_the_episode_day_grid():
    # km_band works from counts per day (and per patient); product_limit_band from the
    # episode x day grid, the definition. Random cohorts, with and without repeat patients.
    rng = np.random.default_rng(11)
    for case in range(120):
        n = int(rng.integers(1, 200))
        time = rng.integers(0, 18, n).astype(float)
        event = rng.random(n) < rng.random()
        clusters = None if case % 2 else rng.integers(0, max(1, n // 2), n)
        days = int(rng.integers(0, 16)) if case % 3 else int(time.max())
        fast = analysis.clustering.km_band(time, event, clusters, days)
        at_risk, events = analysis.clustering.day_grid(time, event, days)
        codes = None if clusters is None else pd.factorize(clusters)[0]
        grid = analysis.clustering.product_limit_band(at_risk, events, codes)
        for a, b in zip(fast, grid, strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
