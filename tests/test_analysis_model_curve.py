"""The model-based recovery curve (issue 11, item 6): unbiased where the observed curve is not,
seeded sampling, opt-in through settings and the command line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import recovery_toolkit as rt
from recovery_toolkit import analysis
from recovery_toolkit.analysis.model_curve import recovery_curve_model
from recovery_toolkit.analysis.sampling import model_sample
from recovery_toolkit.cli import main
from recovery_toolkit.scenarios import dropout_scenario


def test_the_model_recovers_the_full_data_curve_when_sore_patients_stop_logging():
    full, observed = dropout_scenario(1500, rng=3)
    truth = full.groupby("day")["soreness"].mean()
    seen = observed.groupby("day")["soreness"].mean()  # the observed, complete-case curve
    model = recovery_curve_model(analysis.episode_table(observed)).set_index("day")
    for day in (7, 10, 14):
        assert abs(model.loc[day, "mean"] - truth[day]) < 0.08
        assert seen[day] < truth[day] - 0.15  # the observed curve flatters recovery
        assert model.loc[day, "ci_low"] < truth[day] < model.loc[day, "ci_high"]


@pytest.fixture(scope="module")
def sample_episodes():
    return analysis.episode_table(rt.load_logs(rt.sample_path()).logs)


def test_a_large_cohort_is_sampled_with_a_fixed_seed(sample_episodes):
    settings = rt.Settings(model_max_episodes=120)
    first = recovery_curve_model(sample_episodes, settings)
    again = recovery_curve_model(sample_episodes, settings)
    pd.testing.assert_frame_equal(first, again)
    assert first.groupby("treatment_type")["episodes_used"].first().sum() == 120
    assert len(model_sample(sample_episodes, 120)) == 120
    assert len(model_sample(sample_episodes, 10_000)) == len(sample_episodes)


def test_the_model_curve_covers_every_type_and_day(sample_episodes):
    model = recovery_curve_model(sample_episodes)
    assert set(model["treatment_type"]) == {
        "chiropractic",
        "physical_therapy",
        "injection",
        "minor_procedure",
    }
    assert sorted(model["day"].unique()) == list(range(15))
    assert (model["ci_low"] < model["mean"]).all() and (model["mean"] < model["ci_high"]).all()
    # minor procedures are sorer than chiropractic on every day of the sample
    wide = model.pivot(index="day", columns="treatment_type", values="mean")
    assert (wide["minor_procedure"] > wide["chiropractic"]).all()


def test_too_few_episodes_warn_and_give_an_empty_table(sample_episodes):
    with pytest.warns(rt.errors.RecoveryToolkitWarning, match="too few episodes"):
        assert recovery_curve_model(sample_episodes.head(2)).empty


def test_model_curve_is_opt_in_on_the_command_line(tmp_path):
    assert main(["summary", "--out", str(tmp_path / "plain")]) == 0
    assert not (tmp_path / "plain" / "recovery_curve_model.csv").exists()
    assert main(["summary", "--out", str(tmp_path / "m"), "--model-curve"]) == 0
    table = pd.read_csv(tmp_path / "m" / "recovery_curve_model.csv")
    assert table.columns.tolist() == [
        "treatment_type",
        "day",
        "mean",
        "ci_low",
        "ci_high",
        "episodes_used",
    ]
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["parameters"]["model_curve"] is True
    assert manifest["sampled_models"]["recovery_curve_model"]["episodes_used"] == 400
    shared = rt.share(rt.compute(rt.load_logs(rt.sample_path()), model_curve=True))
    assert np.isfinite(pd.to_numeric(shared.tables["recovery_curve_model"]["mean"])).all()


def test_cox_models_use_a_seeded_sample_of_a_large_cohort(sample_episodes):
    settings = rt.Settings(model_max_episodes=150)
    with pytest.warns(rt.errors.RecoveryToolkitWarning, match="random sample of 150 of"):
        first = analysis.hazard_ratios(sample_episodes, settings)
    with pytest.warns(rt.errors.RecoveryToolkitWarning, match="landmark Cox models"):
        landmark = analysis.adherence_landmark(sample_episodes, settings)
    assert landmark["episodes"].max() <= 150
    with pytest.warns(rt.errors.RecoveryToolkitWarning):
        again = analysis.hazard_ratios(sample_episodes, settings)
    pd.testing.assert_frame_equal(first, again)  # the same sample every time


def test_the_manifest_says_how_many_episodes_each_sampled_model_used(tmp_path):
    """The Cox models cannot be added up from parts: above model_max_episodes they fit on the
    seeded sample, and manifest.json records the population and the sample's size."""
    with pytest.warns(rt.errors.RecoveryToolkitWarning, match="random sample of 150 of 374"):
        results = rt.compute(rt.load_logs(rt.sample_path()), model_max_episodes=150)
    rt.write_tables(results, tmp_path)
    sampled = json.loads((tmp_path / "manifest.json").read_text())["sampled_models"]
    assert sampled["hazard_ratios"] | {"chosen_by": ""} == {
        "population": 374,  # sore episodes
        "episodes_used": 150,
        "at_most": 150,
        "chosen_by": "",
    }
    assert sampled["adherence_landmark"]["population"] == 207  # sore and logging on day 3
    assert "episode_id" in sampled["hazard_ratios"]["chosen_by"]
