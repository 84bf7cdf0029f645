"""Recovery curves, resolution and Kaplan–Meier, checked against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from recovery_toolkit import Settings, analysis, load_logs
from recovery_toolkit.errors import RecoveryToolkitWarning
from recovery_toolkit.samples import sample_path

from .conftest import constant, make_logs


def test_curve_percentiles_mean_and_t_interval():
    # five episodes, one log each on day 1: soreness 1, 2, 3, 4, 10
    logs = make_logs(
        *({"id": f"e{i}", "soreness": [None, s]} for i, s in enumerate([1, 2, 3, 4, 10]))
    )
    row = analysis.recovery_curve(logs).iloc[0]
    # linear interpolation at (n-1)p: p10 -> 0.4 between 1 and 2, p90 -> 3.6 between 4 and 10
    assert row["day"] == 1 and row["n"] == 5
    assert row["p10"] == pytest.approx(1.4)
    assert row["p25"] == pytest.approx(2.0)
    assert row["median"] == pytest.approx(3.0)
    assert row["p75"] == pytest.approx(4.0)
    assert row["p90"] == pytest.approx(7.6)
    assert row["mean"] == pytest.approx(4.0)
    sd = math.sqrt((9 + 4 + 1 + 0 + 36) / 4)
    half = 2.7764451 * sd / math.sqrt(5)  # t(0.975, 4) from the table
    assert row["ci_low"] == pytest.approx(4 - half, abs=1e-6)
    assert row["ci_high"] == pytest.approx(4 + half, abs=1e-6)


def test_curve_interval_is_empty_for_a_single_log():
    row = analysis.recovery_curve(make_logs({"id": "a", "soreness": [6]})).iloc[0]
    assert row["n"] == 1 and np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])


def test_curve_leaves_out_logs_after_the_window():
    logs = make_logs({"id": "a", "soreness": [5, 4], "days": [0, 21]})
    assert analysis.recovery_curve(logs)["day"].tolist() == [0]


def _episode(logs, **kwargs):
    return analysis.episode_table(logs, **kwargs).set_index("episode_id")


def test_dip_to_two_then_rise_is_not_resolution():
    logs = make_logs(
        {"id": "dip", "soreness": [5, 2, 4, 1, 1]},
        {"id": "dip-open", "soreness": [5, 2, 4]},
    )
    episodes = _episode(logs)
    assert bool(episodes.loc["dip", "resolved"]) and episodes.loc["dip", "time"] == 3
    assert not episodes.loc["dip-open", "resolved"] and episodes.loc["dip-open", "time"] == 2


def test_censoring_at_the_last_log_in_the_window():
    logs = make_logs(
        {"id": "short", "soreness": [6, 5, 4]},
        {"id": "gap", "soreness": [6, None, 5, None, 3]},
        {"id": "late", "soreness": [6, 5, 1], "days": [0, 5, 20]},  # day 20 is outside
    )
    episodes = _episode(logs)
    assert episodes.loc["short", "time"] == 2
    assert episodes.loc["gap", "time"] == 4
    assert episodes.loc["late", "time"] == 5 and not episodes.loc["late", "resolved"]
    assert not episodes["resolved"].any()


def test_resolved_at_threshold_is_a_parameter():
    logs = make_logs({"id": "a", "soreness": [6, 4, 3, 3]})
    assert not _episode(logs).loc["a", "resolved"]
    assert _episode(logs, resolved_at=3).loc["a", "time"] == 2


def test_single_log_episodes_and_populations():
    episodes = _episode(
        make_logs(
            {"id": "late-first", "soreness": [None, None, 1]},  # first log on day 2
            {"id": "day-one", "soreness": [None, 5, 4]},  # baseline from day 1
            {"id": "one-sore", "soreness": [5]},
            {"id": "no-reaction", "soreness": [2, 1, 0]},
        )
    )
    late = episodes.loc["late-first"]
    assert late["population"] == "baseline_missing" and pd.isna(late["baseline_soreness"])
    assert not late["resolved"] and np.isnan(late["time"]) and late["days_logged"] == 1
    assert episodes.loc["day-one", "baseline_soreness"] == 5
    assert episodes.loc["day-one", "population"] == "sore"
    one = episodes.loc["one-sore"]  # sore, and censored on the day of its only log
    assert one["population"] == "sore" and not one["resolved"] and one["time"] == 0
    quiet = episodes.loc["no-reaction"]  # baseline 2 <= resolved_at: not in time to resolution
    assert quiet["population"] == "no_reaction" and np.isnan(quiet["time"])
    assert quiet["recovered"] and not quiet["resolved"]


def test_resolution_needs_confirmation_by_the_next_log():
    episodes = _episode(
        make_logs(
            {"id": "confirmed", "soreness": [6, 4, 2, 1]},  # low on day 2, confirmed on day 3
            {"id": "last-low", "soreness": [6, 4, 2]},  # low only on its last log: censored
            # the day before it (day 2's status waits on a log that never came)
            {"id": "gap", "soreness": [6, 2, None, None, 1]},  # the next log confirms it
            {"id": "rebound", "soreness": [6, 2, 2, 5, 2, 2]},  # resolved after the rebound
        )
    )
    assert episodes.loc["confirmed", "resolved"] and episodes.loc["confirmed", "time"] == 2
    last = episodes.loc["last-low"]
    assert not last["resolved"] and last["time"] == 1 and not last["recovered"]
    assert episodes.loc["gap", "resolved"] and episodes.loc["gap", "time"] == 1
    assert episodes.loc["rebound", "resolved"] and episodes.loc["rebound", "time"] == 4


def test_time_to_resolution_counts_who_enters():
    logs = make_logs(
        {"id": "a", "soreness": [6, 2, 1]},  # sore, resolved day 1
        {"id": "b", "soreness": [5, 4]},  # sore, censored day 1
        {"id": "c", "soreness": [1, 0]},  # no reaction
        {"id": "d", "soreness": [None, None, 6, 6]},  # no baseline
    )
    row = analysis.time_to_resolution(analysis.episode_table(logs)).iloc[0]
    assert (row["episodes"], row["baseline_missing"], row["no_reaction"]) == (4, 1, 1)
    assert row["no_reaction_share"] == pytest.approx(1 / 3)  # of the 3 with a baseline
    assert (row["sore_episodes"], row["resolved"], row["censored"]) == (2, 1, 1)
    assert row["resolved_by_day_3"] == pytest.approx(0.5)  # b censored at 1 after a's event


def test_pace_needs_seven_consecutive_days_at_zero_or_one():
    logs = make_logs(
        {"id": "pace", "soreness": [5, 3, 1, 1, 0, 1, 1, 0, 1, 2]},  # days 2..8 low
        {"id": "broken", "soreness": [5, 1, 1, 1, None, 1, 1, 1, 1, 1]},  # gap on day 4
        {"id": "late-run", "soreness": [5, 1, 1, 1, None, 1, 1, 1, 1, 1, 1, 1]},  # 5..11
    )
    episodes = _episode(logs, definition="pace")
    assert episodes.loc["pace", "resolved"] and episodes.loc["pace", "time"] == 2
    # no run of 7: censored at its last log (day 9) but not after day 14 - 6 = 8
    assert not episodes.loc["broken", "resolved"] and episodes.loc["broken", "time"] == 8
    assert episodes.loc["late-run", "time"] == 5


def test_pace_milestones_after_window_less_six_are_blank_with_a_warning():
    logs = make_logs({"id": "a", "soreness": [5] + [0] * 14}, {"id": "b", "soreness": [6] * 15})
    settings = Settings(definition="pace")
    with pytest.warns(RecoveryToolkitWarning, match="resolved by day 14 left empty"):
        row = analysis.time_to_resolution(analysis.episode_table(logs, settings), settings)
    row = row.iloc[0]
    assert row["resolved_by_day_7"] == pytest.approx(0.5) and np.isnan(row["resolved_by_day_14"])


def _km_cohort():
    """Six episodes: events on days 1, 2, 3 and 5; censored on days 2 and 4."""
    specs = []
    for name, time, event in [
        ("a", 1, True),
        ("b", 2, True),
        ("c", 2, False),
        ("d", 3, True),
        ("e", 4, False),
        ("f", 5, True),
    ]:
        soreness = constant(5, time) + ([1, 1] if event else [5])  # a low day, confirmed
        specs.append({"id": name, "type": "injection", "soreness": soreness})
    return analysis.episode_table(make_logs(*specs))


def test_kaplan_meier_matches_the_product_limit_table():
    episodes = _km_cohort()
    assert episodes["time"].tolist() == [1, 2, 2, 3, 4, 5]
    # t=1: 6 at risk, 1 event -> 5/6; t=2: 5 at risk, 1 event -> 5/6*4/5 = 2/3
    # t=3: 3 at risk, 1 event -> 2/3*2/3 = 4/9 (first S <= 0.5: median 3); t=5: 1 at risk -> 0
    curve = analysis.km_curve(episodes, window_days=5).set_index("day")
    assert curve["survival"].tolist() == pytest.approx([1, 5 / 6, 2 / 3, 4 / 9, 4 / 9, 0])
    assert curve["at_risk"].tolist() == [6, 6, 5, 3, 2, 1]
    row = analysis.time_to_resolution(episodes).iloc[0]
    assert row["median_days"] == 3
    assert row["resolved_by_day_3"] == pytest.approx(5 / 9)
    assert row["resolved_by_day_7"] == pytest.approx(1.0)
    assert (row["episodes"], row["resolved"], row["censored"]) == (6, 4, 2)


def test_median_interval_from_the_log_log_band():
    episodes = _km_cohort()
    fit = analysis.kaplan_meier(episodes["time"], episodes["resolved"])
    # Greenwood at t=3: S=4/9, var = S^2 (1/(6*5) + 1/(5*4) + 1/(3*2))
    s = 4 / 9
    se = s * math.sqrt(1 / 30 + 1 / 20 + 1 / 6)
    theta = math.log(-math.log(s))
    se_theta = se / (s * abs(math.log(s)))
    low = math.exp(-math.exp(theta + 1.959964 * se_theta))
    high = math.exp(-math.exp(theta - 1.959964 * se_theta))
    band_low, band_high = analysis.resolution.survival_band(fit)
    assert band_low[2] == pytest.approx(low, abs=1e-5)
    assert band_high[2] == pytest.approx(high, abs=1e-5)


def test_median_not_reached_and_one_episode_warn_instead_of_failing():
    slow = make_logs(
        {"id": "x", "type": "minor_procedure", "soreness": constant(6, 15)},
        {"id": "w", "type": "minor_procedure", "soreness": constant(6, 15)},
        {"id": "y", "type": "minor_procedure", "soreness": constant(6, 14) + [1]},
        {"id": "z", "type": "chiropractic", "soreness": [4, 1, 1]},
    )
    with pytest.warns(RecoveryToolkitWarning) as caught:
        table = analysis.time_to_resolution(analysis.episode_table(slow)).set_index(
            "treatment_type"
        )
    messages = " ".join(str(w.message) for w in caught)
    assert "only one episode" in messages and "not reached" in messages
    assert np.isnan(table.loc["minor_procedure", "median_days"])
    assert np.isnan(table.loc["chiropractic", "median_ci_low"])
    assert table.loc["chiropractic", "median_days"] == 1


def test_logrank_against_the_hand_computed_statistic():
    episodes = pd.DataFrame(
        {"g": ["a", "a", "b", "b"], "time": [1, 2, 8, 9], "resolved": [True] * 4}
    )
    # O-E for a: 2 - (2/4 + 1/3) = 7/6; V = 1/4 + 2/9; chi2 = (7/6)^2 / V
    expected = (7 / 6) ** 2 / (1 / 4 + 2 / 9)
    result = analysis.logrank(episodes, by="g")
    assert result.statistic == pytest.approx(expected)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(expected / 2)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logrank_matches_statsmodels_survdiff(seed):
    from statsmodels.duration.survfunc import survdiff

    rng = np.random.default_rng(seed)
    n = 500
    episodes = pd.DataFrame(
        {
            "g": rng.choice(["a", "b", "c", "d"], size=n),
            "time": rng.integers(0, 15, size=n),  # many ties, as days are
            "resolved": rng.random(n) < 0.7,  # the rest censored
        }
    )
    expected, _ = survdiff(
        episodes["time"].to_numpy(dtype=float),
        episodes["resolved"].to_numpy(dtype=float),
        episodes["g"].to_numpy(),
    )
    assert analysis.logrank(episodes, by="g").statistic == pytest.approx(expected, rel=1e-10)


def test_no_logs_in_the_window_gives_empty_tables_with_a_warning():
    logs = make_logs({"id": "late", "soreness": [5], "days": [30]})
    with pytest.warns(RecoveryToolkitWarning, match="no logs"):
        episodes = analysis.episode_table(logs)
    assert episodes.empty and "time" in episodes
    with pytest.warns(RecoveryToolkitWarning):
        assert analysis.recovery_curve(logs).empty
    with pytest.warns(RecoveryToolkitWarning):
        assert analysis.time_to_resolution(episodes).empty


def test_sample_results_are_plausible():
    import recovery_toolkit as rt

    episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    table = analysis.time_to_resolution(episodes).set_index("treatment_type")["median_days"]
    assert table["chiropractic"] <= table["injection"] < table["minor_procedure"]
    assert 1 <= table["chiropractic"] <= 3 and table["minor_procedure"] <= 14


@pytest.mark.parametrize("definition", ["default", "pace"])
def test_episode_table_does_not_depend_on_row_order(definition):
    """Rows in file order (sorted by episode and day) and the same rows shuffled, with logs
    after the window mixed in, give the same episode table to the last bit."""
    sample_logs = load_logs(sample_path()).logs
    rng = np.random.default_rng(7)
    late = sample_logs.head(40).assign(
        day=30, log_date=lambda f: f["log_date"] + pd.Timedelta(days=30)
    )
    in_order = analysis.episode_table(sample_logs, definition=definition)
    mixed = pd.concat([sample_logs, late], ignore_index=True)
    shuffled = mixed.iloc[rng.permutation(len(mixed))].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        analysis.episode_table(shuffled, definition=definition), in_order, check_exact=True
    )
    # sorted again, the late logs among them and one episode logged only after the window:
    # the ids are numbered where they change (no hashing), with the same table
    only_late = late.head(2).assign(episode_id="zz-only-late", patient_id="zz")
    resorted = pd.concat([mixed, only_late], ignore_index=True).sort_values(
        ["episode_id", "day"], ignore_index=True
    )
    pd.testing.assert_frame_equal(
        analysis.episode_table(resorted, definition=definition), in_order, check_exact=True
    )


def test_curve_counts_episodes_still_in_follow_up():
    logs = make_logs(
        {"id": "a", "soreness": [6, 5, 4, 3]},  # follow-up to day 3
        {"id": "b", "soreness": [6, None, None, None, None, 5]},  # day 0 then day 5
        {"id": "c", "soreness": [6, 5]},
    )
    curve = analysis.recovery_curve(logs).set_index("day")
    # day 1: a and c logged (n 2), a, b and c still in follow-up; day 3: only a logged, a and b
    assert curve.loc[1, ["n", "n_at_risk"]].tolist() == [2, 3]
    assert curve.loc[3, ["n", "n_at_risk"]].tolist() == [1, 2]
    assert curve.loc[5, ["n", "n_at_risk"]].tolist() == [1, 1]


def test_review_alerts_leave_out_episodes_without_a_reaction():
    logs = make_logs(
        {"id": "quiet", "soreness": [1, 1]},  # no reaction, stops logging on day 1
        {"id": "sore", "soreness": [6, 6]},  # sore, stops logging on day 1
    )
    alerts = analysis.alerts(logs)
    stopped = alerts.loc[alerts["reason"] == "stopped_logging", "episode_id"].tolist()
    assert stopped == ["sore"]


def test_episode_table_names_a_soreness_that_is_no_score():
    """Logs that never went through load_logs: a soreness of 200 is an error that says where
    it is checked, never a wrapped-around number."""
    logs = make_logs({"id": "a", "soreness": [6, 5]})
    logs.loc[1, "soreness"] = 200  # after the contract's check
    with pytest.raises(ValueError, match="soreness must be a score from 0 to 10.*load_logs"):
        analysis.episode_table(logs)
