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
from recovery_toolkit.errors import RecoveryToolkitWarning
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


def test_exact_sums_are_the_correctly_rounded_sum_whatever_the_split_and_order():
    """Float sums taken part by part would differ in the last bits from the one-part sum;
    the exact sums give the correctly rounded total (fractions.Fraction) for any split."""
    from fractions import Fraction

    from recovery_toolkit.analysis.exact import exact_sums, exact_totals

    rng = np.random.default_rng(3)
    values = rng.lognormal(0, 3, 5_000) * rng.choice([-1, 1], 5_000)  # 1e-6 .. 1e6, signs
    keys = rng.integers(0, 4, 5_000)
    truth = [float(sum(Fraction(v) for v in values[keys == k])) for k in range(5)]
    whole = exact_totals([exact_sums(keys, values)], 5)
    assert whole.tolist() == truth  # key 4 has no values: 0.0
    for parts in (2, 7):
        order = rng.permutation(len(values))
        pieces = np.array_split(order, parts)
        split = exact_totals([exact_sums(keys[p], values[p]) for p in pieces], 5)
        assert split.tolist() == truth


def test_the_weight_cap_from_the_largest_weights_is_numpys_quantile():
    from recovery_toolkit.analysis.dropout import upper_quantile

    rng = np.random.default_rng(4)
    for n in (1, 2, 999, 1000, 2410, 4321, *rng.integers(3, 5000, 200)):
        values = rng.lognormal(0, 1, int(n))
        need = n - int(np.floor(0.999 * (n - 1))) + 1
        top = np.sort(values)[-need:]
        assert upper_quantile(top, int(n), 0.999) == np.quantile(values, 0.999)  # every bit


@pytest.mark.parametrize(("parts", "seed"), [(2, 0), (6, 1)])
@pytest.mark.parametrize("definition", ["default", "pace"])
def test_milestones_from_the_parts_are_the_in_memory_table_bit_for_bit(parts, seed, definition):
    """Kaplan-Meier and the bounds from patterns, IPCW from passes over each part's paths:
    any split of the patients gives the in-memory table exactly, drop-out model and weight
    cap included (clustered patients, soreness-dependent drop-out)."""
    from recovery_toolkit.analysis import dropout
    from recovery_toolkit.analysis.settings import Settings
    from recovery_toolkit.scenarios import dropout_scenario

    settings = Settings(definition=definition)
    _, observed = clustered_scenario(300, rng=5)
    _, dropped = dropout_scenario(300, rng=6)
    dropped = dropped.assign(episode_id="d" + dropped["episode_id"].astype("str"))
    eps = analysis.episode_table(pd.concat([observed, dropped], ignore_index=True), settings)
    whole = dropout.resolution_milestones(eps, settings)
    assert set(whole["method"]) == set(dropout.METHODS)
    split = _split_by_patient(eps, parts, seed)
    paths = [dropout.dropout_paths(p, settings) for p in split]
    calls = []

    def passes(run, kind):
        calls.append(kind)
        return [run(p) for p in paths]

    table = dropout.milestones_from_parts(
        [resolution_counts(p, settings) for p in split],
        [dropout.dropout_counts(p, settings) for p in paths],
        passes,
        settings,
    )
    pd.testing.assert_frame_equal(table, whole, check_exact=True)
    assert calls == ["paths"] * 3  # the cap, the weighted counts, the influences


def test_models_fitted_on_a_sample_get_the_same_sample_from_any_split(episodes):
    """Each part keeps its own smallest hashes; the driver asks them for the keys under a
    bound and keeps the smallest of all: the same episodes as sampling the whole table, so
    the Cox tables are identical, and it receives about 1.5 k rows however many parts."""
    from recovery_toolkit.analysis.results import CohortInputs, part_samples
    from recovery_toolkit.analysis.settings import Settings

    settings = Settings(model_max_episodes=150)
    whole = CohortInputs.of_episodes(episodes, settings)
    split = [part_samples(p, settings) for p in _split_by_patient(episodes, 13, 9)]
    received = []

    def passes(run, kind):
        found = [run(offer[kind.removeprefix("sample/")][0]) for offer in split]
        received.append(sum(len(f) for f in found))
        return found

    sizes = {name: sum(s[name][1] for s in split) for name in split[0]}
    merged = CohortInputs(counts=whole.counts, samples=sizes, passes=passes)
    assert sizes == dict(whole.samples)
    for name in ("hazard_ratios", "adherence_landmark"):
        with pytest.warns(RecoveryToolkitWarning, match="seeded random sample of 150"):
            one, many = whole.sample(name, settings), merged.sample(name, settings)
        assert len(one) == 150
        assert one["episode_id"].tolist() == many["episode_id"].tolist()
        assert 150 <= received[-1] < 13 * 150 / 3  # not every part's 150 candidates
    with pytest.warns(RecoveryToolkitWarning):
        pd.testing.assert_frame_equal(
            analysis.hazard_ratios(merged.sample("hazard_ratios", settings), settings),
            analysis.hazard_ratios(episodes, settings),
            check_exact=True,
        )


def test_ipcw_passes_never_reuse_the_weights_of_another_model():
    """The in-memory passes share one part's weights; the same paths under another drop-out
    model (other counts) must give what a fresh copy of the paths gives."""
    import gc

    from recovery_toolkit.analysis import dropout
    from recovery_toolkit.analysis.settings import Settings
    from recovery_toolkit.scenarios import dropout_scenario

    settings = Settings()
    _, observed = dropout_scenario(400, rng=8)
    eps = analysis.episode_table(observed)
    paths = dropout.dropout_paths(eps, settings)
    resolution = [resolution_counts(eps, settings)]
    counts = dropout.dropout_counts(paths, settings)
    other = counts.assign(dropouts=counts["dropouts"] // 2)  # another model

    def milestones(frame, dropouts):
        return dropout.milestones_from_parts(
            resolution, [dropouts], lambda run, kind: [run(frame)], settings
        ).query("method == 'ipcw'")

    first = milestones(paths, counts)
    second = milestones(paths, other)
    fresh = milestones(paths.copy(), other)
    pd.testing.assert_frame_equal(second, fresh, check_exact=True)
    assert not first["resolved"].equals(second["resolved"])
    del paths
    gc.collect()
    memo = dropout._LAST_PART  # a frame's derived values go with the frame
    assert (memo._paths is None and not memo._values) or memo._paths() is not None
