"""The synthetic generator: deterministic, valid, and realistic in the ways the tools rely on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recovery_toolkit import SorenessLog, generate_logs


@pytest.fixture(scope="module")
def logs():
    return generate_logs(4000, rng=11)


def test_same_seed_same_frame():
    pd.testing.assert_frame_equal(generate_logs(30, rng=4), generate_logs(30, rng=4))
    assert not generate_logs(30, rng=4).equals(generate_logs(30, rng=5))


def test_generated_frame_satisfies_the_schema(logs):
    SorenessLog.validate(logs)


def _days_to_two(logs: pd.DataFrame) -> pd.Series:
    """Per episode, first day with soreness <= 2 (NaN if never)."""
    low = logs[(logs["soreness"] <= 2) & (logs["day"] <= 14)]
    first = low.groupby("episode_id")["day"].min()
    types = logs.groupby("episode_id")["treatment_type"].first()
    return first.reindex(types.index).groupby(types, observed=True).median()


def test_recovery_is_fastest_after_chiropractic_and_slowest_after_procedures(logs):
    median = _days_to_two(logs)
    assert median["chiropractic"] <= 3
    assert median["chiropractic"] < median["injection"] < median["minor_procedure"]
    assert median["physical_therapy"] <= median["injection"]


def test_red_flag_rates_are_plausible(logs):
    episodes = logs.groupby("episode_id").agg(
        type=("treatment_type", "first"),
        worse=("flag_worsening_pain", "any"),
        bladder=("flag_bladder_bowel", "any"),
        infection=("flag_infection_signs", "any"),
    )
    assert 0.05 < episodes["worse"].mean() < 0.25
    assert episodes["bladder"].mean() < 0.01
    by_type = episodes.groupby("type", observed=True)["infection"].mean()
    assert by_type["minor_procedure"] > by_type["chiropractic"]


def test_adherent_patients_recover_faster(logs):
    care = [c for c in logs if c.startswith("care_") and c not in ("care_cold", "care_heat")]
    score = logs[care].astype("float").mean(axis=1).groupby(logs["episode_id"]).mean()
    low = logs[(logs["soreness"] <= 2) & (logs["day"] <= 14)]
    first_low = low.groupby("episode_id")["day"].min().reindex(score.index).fillna(15)
    third = pd.qcut(score, 3, labels=["low", "mid", "high"])
    by_group = first_low.groupby(third, observed=True).mean()
    assert by_group["high"] < by_group["mid"] < by_group["low"]
    assert score.corr(first_low, method="spearman") < -0.1


def test_skipped_days_dropouts_and_sites(logs):
    per_episode = logs[logs["day"] <= 14].groupby("episode_id")["day"].count()
    assert per_episode.min() >= 1 and (per_episode < 15).mean() > 0.3
    assert logs["site"].nunique() == 4 and logs["clinician"].nunique() >= 8
    assert logs["patient_id"].nunique() < logs["episode_id"].nunique()
    assert (logs["day"] > 14).any()  # late follow-up logs exist
    months = logs["treatment_date"].dt.to_period("M").nunique()
    assert months >= 12


def test_notes_are_optional(logs):
    assert logs["notes"].notna().any()
    assert generate_logs(50, rng=1, notes=False)["notes"].isna().all()


def test_missing_answers_are_missing_not_false(logs):
    assert logs["care_sleep"].isna().mean() == pytest.approx(0.08, abs=0.02)
    assert np.isin(logs["soreness"].unique(), np.arange(11)).all()
