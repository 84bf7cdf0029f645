"""Mergeable counts (DESIGN §2): each table built from the counts of any split of the episodes
by patient is the in-memory table, exactly (issue 13, first tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recovery_toolkit import analysis, generate_logs
from recovery_toolkit.analysis.adherence import adherence_counts, adherence_from_counts
from recovery_toolkit.analysis.followup import escalation_counts, escalation_from_counts
from recovery_toolkit.analysis.spc import p_chart_from_counts, spc_counts


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
