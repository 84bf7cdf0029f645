"""Mergeable counts (DESIGN §2): each table built from the counts of any split of the episodes
by patient is the in-memory table, exactly (issue 13, first tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recovery_toolkit import analysis, generate_logs
from recovery_toolkit.analysis.adherence import adherence_counts, adherence_from_counts
from recovery_toolkit.analysis.comparison import logrank_counts, logrank_from_counts
from recovery_toolkit.analysis.followup import (
    completeness_counts,
    completeness_from_counts,
    escalation_counts,
    escalation_from_counts,
)
from recovery_toolkit.analysis.funnel import funnel_counts, funnel_from_counts, unit_mix_from_counts
from recovery_toolkit.analysis.red_flags import red_flag_counts, red_flag_from_counts
from recovery_toolkit.analysis.resolution import (
    km_curve_from_counts,
    resolution_counts,
    time_to_resolution_from_counts,
)
from recovery_toolkit.analysis.spc import p_chart_from_counts, spc_counts
from recovery_toolkit.analysis.table_one import (
    table_one_from_tallies,
    table_one_tallies,
    weighted_quantile,
)
from recovery_toolkit.scenarios import clustered_scenario


@pytest.fixture(scope="module")
def episodes():
    logs = generate_logs(600, rng=11, notes=False)
    eps = analysis.episode_table(logs)
    # a few episodes without a site: they count in "all" of a by-site chart only
    eps.loc[eps.index[:7], "site"] = None
    return eps


def _split_by_patient(episodes: pd.DataFrame, parts: int, seed: int) -> list[pd.DataFrame]:
    patients = episodes["patient_id"].unique()
    part_of = dict(
        zip(patients, np.random.default_rng(seed).integers(0, parts, len(patients)), strict=True)
    )
    labels = episodes["patient_id"].map(part_of).to_numpy()
    return [episodes.loc[labels == k] for k in range(parts)]


@pytest.mark.parametrize(("parts", "seed"), [(2, 0), (5, 1), (13, 2)])
@pytest.mark.parametrize("by", ["treatment_type", "site"])
def test_tables_from_the_counts_of_parts_are_the_in_memory_tables(episodes, parts, seed, by):
    split = _split_by_patient(episodes, parts, seed)
    pd.testing.assert_frame_equal(
        adherence_from_counts([adherence_counts(p, by=by) for p in split], by=by),
        analysis.adherence_table(episodes, by=by),
        check_exact=True,
    )
    pd.testing.assert_frame_equal(
        escalation_from_counts([escalation_counts(p, by=by) for p in split], by=by),
        analysis.escalation(episodes, by=by),
        check_exact=True,
    )
    pd.testing.assert_frame_equal(
        red_flag_from_counts([red_flag_counts(p, by=by) for p in split], by=by),
        analysis.red_flag_incidence(episodes, by=by),
        check_exact=True,
    )
    pd.testing.assert_frame_equal(
        completeness_from_counts([completeness_counts(p, by=by) for p in split], by=by),
        analysis.completeness(episodes, by=by),
        check_exact=True,
    )
    end = pd.Timestamp("2026-01-15")
    pd.testing.assert_frame_equal(
        p_chart_from_counts([spc_counts(p, by=by) for p in split], by=by, data_end=end),
        analysis.p_chart(episodes, by=by, data_end=end),
        check_exact=True,
    )


def test_the_p_chart_counts_an_episode_without_a_group_in_all_only(episodes):
    chart = analysis.p_chart(episodes, by="site")
    totals = chart.groupby(chart["site"] == "all")["n"].sum()
    assert totals[True] == len(episodes)
    assert totals[False] == episodes["site"].notna().sum()


def test_red_flags_of_patients_with_several_episodes_add_up_from_patterns():
    """Patients with several episodes (patient-robust intervals): any split gives the table,
    and the patterns are few (they repeat) while every episode is counted."""
    _, observed = clustered_scenario(300, rng=5)
    episodes = analysis.episode_table(observed)
    assert episodes["patient_id"].duplicated().any()
    whole = analysis.red_flag_incidence(episodes)
    for parts, seed in ((3, 0), (17, 4)):
        split = _split_by_patient(episodes, parts, seed)
        combined = red_flag_from_counts([red_flag_counts(p) for p in split])
        pd.testing.assert_frame_equal(combined, whole, check_exact=True)
    counts = red_flag_counts(episodes)
    any_flag = counts.loc[counts["flag"] == "any"]
    sizes = any_flag["pattern"].str.count(",") + 1
    assert int((sizes * any_flag["patients"]).sum()) == len(episodes)
    assert len(any_flag) < episodes["patient_id"].nunique()  # patterns repeat


@pytest.mark.parametrize(("parts", "seed"), [(2, 0), (7, 3)])
def test_the_funnel_and_its_unit_mix_from_the_counts_of_parts(episodes, parts, seed):
    split = _split_by_patient(episodes, parts, seed)
    counts = [funnel_counts(p) for p in split]
    pd.testing.assert_frame_equal(
        funnel_from_counts(counts), analysis.funnel_table(episodes), check_exact=True
    )
    pd.testing.assert_frame_equal(
        unit_mix_from_counts(counts), analysis.funnel.unit_mix(episodes), check_exact=True
    )


@pytest.mark.parametrize(("parts", "seed"), [(3, 5), (11, 6)])
@pytest.mark.parametrize("by", ["treatment_type", "site"])
def test_table_one_from_the_tallies_of_parts(episodes, parts, seed, by):
    """Exact medians and quartiles from value counts, patients counted once overall."""
    split = _split_by_patient(episodes, parts, seed)
    table, counts = table_one_from_tallies([table_one_tallies(p, by=by) for p in split])
    pd.testing.assert_frame_equal(table, analysis.table_one(episodes, by=by), check_exact=True)
    pd.testing.assert_frame_equal(
        counts, analysis.table_one_counts(episodes, by=by), check_exact=True
    )
    overall = int(counts.loc["patients", "overall"])
    assert overall == episodes["patient_id"].nunique() < int(counts.loc["episodes", "overall"])


def test_weighted_quantiles_are_numpys_on_the_repeated_values():
    rng = np.random.default_rng(7)
    for _ in range(200):
        values = rng.choice([0.0, 0.25, 1 / 3, 0.5, 0.8, 1.0, 4.0], size=rng.integers(1, 6))
        values = np.unique(values)
        counts = rng.integers(1, 9, size=len(values))
        q = float(rng.choice([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]))
        assert weighted_quantile(values, counts, q) == np.quantile(np.repeat(values, counts), q)


@pytest.mark.parametrize(("parts", "seed"), [(2, 8), (9, 9)])
def test_time_to_resolution_km_and_logrank_from_the_counts_of_parts(parts, seed):
    """Patients with several episodes (patient-robust median intervals), stratified log-rank."""
    _, observed = clustered_scenario(300, rng=5)
    episodes = analysis.episode_table(observed)
    episodes["site"] = np.where(np.arange(len(episodes)) % 3, "north", "south")
    episodes["treatment_type"] = episodes["treatment_type"].where(
        np.arange(len(episodes)) % 2 == 0, "physical_therapy"
    )
    split = _split_by_patient(episodes, parts, seed)
    counts = [resolution_counts(p) for p in split]
    pd.testing.assert_frame_equal(
        time_to_resolution_from_counts(counts),
        analysis.time_to_resolution(episodes),
        check_exact=True,
    )
    pd.testing.assert_frame_equal(
        km_curve_from_counts(counts), analysis.km_curve(episodes), check_exact=True
    )
    for strata in (None, "site"):
        whole = analysis.logrank(episodes, strata=strata)
        combined = logrank_from_counts(
            [logrank_counts(p, strata=strata) for p in split], strata=strata
        )
        assert (combined.statistic, combined.dof, combined.groups) == (
            whole.statistic,
            whole.dof,
            whole.groups,
        )


def test_completeness_and_table_one_use_the_window_of_the_episode_table():
    """An episode table built with a 21-day window: completeness over 22 days, settings or not."""
    logs = generate_logs(80, rng=12, notes=False)
    episodes = analysis.episode_table(logs, analysis.Settings(window_days=21))
    table = analysis.completeness(episodes)  # no settings given
    by_type = episodes.groupby("treatment_type", observed=True)["completeness"].mean()
    np.testing.assert_allclose(table["mean_completeness"], by_type.to_numpy(), rtol=1e-12)
    overall = analysis.table_one(episodes).loc["completeness", "overall"]
    assert overall.startswith(f"{episodes['completeness'].mean():.1f}")
