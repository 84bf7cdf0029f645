"""Drop-out sensitivity: bounds by hand, IPCW equal to Kaplan-Meier without drop-out, and
IPCW correcting the bias of Kaplan-Meier when sore patients stop logging (known truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recovery_toolkit import Settings, analysis, generate_logs
from recovery_toolkit.analysis.dropout import resolution_milestones
from recovery_toolkit.scenarios import dropout_scenario

from .conftest import constant, make_logs


def _table(episodes, **kwargs):
    return resolution_milestones(episodes, **kwargs).set_index(["day", "method"])["resolved"]


def test_best_and_worst_case_by_hand():
    episodes = analysis.episode_table(
        make_logs(
            {"id": "a", "soreness": [6, 2, *constant(1, 13)]},  # resolved on day 1, to the end
            {"id": "b", "soreness": [6, 6]},  # drops out on day 1: best case resolves on day 2
            {"id": "c", "soreness": [6] * 5},  # drops out on day 4: best case on day 5
            {"id": "d", "soreness": constant(6, 15)},  # followed to the end, never resolves
        )
    )
    table = _table(episodes)
    assert table[(3, "worst_case")] == pytest.approx(1 / 4)  # only a
    assert table[(3, "best_case")] == pytest.approx(2 / 4)  # a and b
    assert table[(7, "best_case")] == pytest.approx(3 / 4)  # a, b and c; never d
    assert table[(7, "km")] == pytest.approx(1 - (3 / 4))  # one event among 4 at risk


def test_without_drop_out_ipcw_is_kaplan_meier():
    full, _ = dropout_scenario(300, rng=2)
    table = _table(analysis.episode_table(full))
    for day in (3, 7, 14):
        assert table[(day, "ipcw")] == pytest.approx(table[(day, "km")])


def test_ipcw_corrects_the_bias_of_soreness_dependent_drop_out():
    """Sore patients stop logging (25 %/day when yesterday's soreness >= 5): naive KM says more
    have resolved by day 7 than truly have; IPCW, modelling drop-out on the last score, does
    not (docs/validation.md has the bias over many replicates)."""
    full, observed = dropout_scenario(2000, rng=0)
    truth = _table(analysis.episode_table(full))[(7, "km")]
    seen = _table(analysis.episode_table(observed))
    assert seen[(7, "km")] - truth > 0.04
    assert abs(seen[(7, "ipcw")] - truth) < 0.02
    assert seen[(7, "worst_case")] <= truth <= seen[(7, "best_case")]


def test_a_drop_out_model_that_cannot_be_fitted_warns_and_falls_back(monkeypatch):
    """A model that fails (here: made to) leaves weights 1, so IPCW is Kaplan-Meier, and the
    user is told; nothing to model (no drop-out) is no warning at all."""
    import statsmodels.api as sm

    from recovery_toolkit.errors import RecoveryToolkitWarning

    _, observed = dropout_scenario(300, rng=5)
    episodes = analysis.episode_table(observed)

    def fail(self, *args, **kwargs):
        raise np.linalg.LinAlgError("singular")

    monkeypatch.setattr(sm.GLM, "fit", fail)
    with pytest.warns(RecoveryToolkitWarning, match="did not converge"):
        table = _table(episodes)
    assert table[(7, "ipcw")] == pytest.approx(table[(7, "km")])


def test_landmark_adherence_finds_no_effect_where_there_is_none():
    """Gentle movement followed less on sore days, with no effect on recovery: the
    whole-window comparison shows a large 'benefit' (adherence is counted on days after
    resolution); the day-3 landmark hazard ratio, adjusted for soreness before the landmark,
    has an interval that holds 1."""
    from recovery_toolkit.analysis.landmark import adherence_landmark
    from recovery_toolkit.scenarios import null_adherence_scenario

    episodes = analysis.episode_table(null_adherence_scenario(1500, rng=2))
    whole = analysis.item_resolution(episodes).set_index("item")
    assert whole.loc["care_gentle_movement", "difference"] > 0.15  # the trap
    row = adherence_landmark(episodes).set_index("item").loc["care_gentle_movement"]
    assert row["ci_low"] < 1 < row["ci_high"]
    assert row["episodes"] > 500 and row["events"] > 300


def test_landmark_hand_checks_and_edge_cases():
    from recovery_toolkit.analysis.landmark import adherence_landmark, landmark_cohort
    from recovery_toolkit.errors import RecoveryToolkitWarning

    move = {"care_gentle_movement": {0: True, 1: False, 2: True}}
    episodes = analysis.episode_table(
        make_logs(
            {"id": "in", "soreness": [6, 5, 4, 4, 2, 2], "cells": move},  # resolves day 4
            {"id": "early", "soreness": [6, 2, 1, 1]},  # resolved on day 1: not in the cohort
            {"id": "gone", "soreness": [6, 6]},  # stopped logging before day 3: not in it
        )
    )
    cohort = landmark_cohort(episodes)
    assert len(cohort) == 1 and cohort["patient_id"].iloc[0] == "p-in"
    assert cohort["care_gentle_movement"].iloc[0] == pytest.approx(2 / 3)  # 2 of days 0-2
    assert cohort["time_from_landmark"].iloc[0] == 1  # day 4 - day 3
    assert cohort["mean_soreness_before"].iloc[0] == pytest.approx(5.0)
    assert cohort["last_soreness_before"].iloc[0] == 4
    with pytest.warns(RecoveryToolkitWarning, match="nobody is sore, unresolved and logging"):
        assert adherence_landmark(episodes.iloc[[0]]).empty  # "early" alone


def test_landmark_adherence_recovers_a_real_effect():
    """Adherence before day 3 multiplies the hazard of resolution after it by 1.5 per 1.0 of
    share: the landmark hazard ratio finds it, and its interval holds 1.5."""
    from recovery_toolkit.analysis.landmark import adherence_landmark
    from recovery_toolkit.scenarios import adherence_effect_scenario

    episodes = analysis.episode_table(adherence_effect_scenario(2000, hazard_ratio=1.5, rng=4))
    row = adherence_landmark(episodes).set_index("item").loc["care_gentle_movement"]
    assert row["ci_low"] < 1.5 < row["ci_high"]
    assert row["ci_low"] > 1  # found, not just allowed


def test_patients_with_several_episodes_widen_intervals_where_they_must():
    """A patient's episodes recover alike: the cluster-robust interval of resolved by day 7
    is wider than the independent one, and both are centred on the same estimate."""
    from recovery_toolkit.scenarios import clustered_scenario

    full, _ = clustered_scenario(400, rng=6)
    episodes = analysis.episode_table(full)
    robust = resolution_milestones(episodes).set_index(["day", "method"])
    alone = resolution_milestones(
        episodes.assign(patient_id=episodes["episode_id"].astype("str"))
    ).set_index(["day", "method"])
    key = (7, "km")
    assert robust.loc[key, "resolved"] == alone.loc[key, "resolved"]
    width = robust.loc[key, "ci_high"] - robust.loc[key, "ci_low"]
    assert width > 1.2 * (alone.loc[key, "ci_high"] - alone.loc[key, "ci_low"])


def test_dropout_counts_read_the_paths_as_they_are_now():
    """Only the IPCW passes share what they derive from a paths frame: counting a frame
    edited in place gives what counting a fresh copy gives."""
    from recovery_toolkit.analysis.dropout import dropout_counts, dropout_paths

    settings = Settings()
    eps = analysis.episode_table(generate_logs(300, rng=3), settings)
    paths = dropout_paths(eps, settings)
    before = dropout_counts(paths, settings)
    paths["s3"] = np.int8(0)
    after = dropout_counts(paths, settings)
    assert not after.equals(before)
    pd.testing.assert_frame_equal(after, dropout_counts(paths.copy(), settings))
