"""Red flags, adherence, follow-up, SPC and alerts on hand-built frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from recovery_toolkit import analysis
from recovery_toolkit.analysis.intervals import poisson_interval, rate_ratio_interval
from recovery_toolkit.errors import RecoveryToolkitWarning

from .conftest import constant, make_logs

Z = 1.959963984540054


def _episodes(*specs, **kwargs):
    return analysis.episode_table(make_logs(*specs), **kwargs).set_index("episode_id")


# ------------------------------------------------------------------------ worsening rule


@pytest.mark.parametrize(
    ("baseline", "flagged_at", "not_flagged_at"),
    [
        (0, 2, 1),  # s - b >= 2 and 10 s > 0
        (3, 5, 4),  # 4 is only 1 above; 5: 2 above and 50 > 39
        (5, 7, 6),  # 7: 70 > 65
        (8, None, 10),  # 10 is 2 above, but 100 > 104 fails: never flagged
    ],
)
def test_persistent_worsening_rule(baseline, flagged_at, not_flagged_at):
    """Two consecutive logged days meeting the rule, from day 3; flagged on the second."""
    b = baseline
    specs = [{"id": "no", "soreness": [b, b, b, not_flagged_at, not_flagged_at]}]
    if flagged_at is not None:
        specs.append({"id": "yes", "soreness": [b, b, b, flagged_at, flagged_at]})
        specs.append({"id": "once", "soreness": [b, b, b, flagged_at, b]})  # one day only
        specs.append({"id": "gap", "soreness": [b, b, b, flagged_at, None, flagged_at]})
    episodes = _episodes(*specs)
    assert np.isnan(episodes.loc["no", "first_persistent_worsening"])
    if flagged_at is not None:
        assert episodes.loc["yes", "first_persistent_worsening"] == 4
        assert np.isnan(episodes.loc["once", "first_persistent_worsening"])
        assert episodes.loc["gap", "first_persistent_worsening"] == 5  # consecutive logs


def test_worsening_before_day_three_does_not_count():
    episodes = _episodes(
        {"id": "early", "soreness": [2, 3, 9, 9, 1]},  # days 2 and 3: day 2 is too early
        {"id": "no-baseline", "soreness": [None, None, 2, 9, 9]},  # nothing to compare with
    )
    assert np.isnan(episodes.loc["early", "first_persistent_worsening"])
    assert np.isnan(episodes.loc["no-baseline", "first_persistent_worsening"])


# ------------------------------------------------------------------------ incidence


def _flag_cohort():
    specs = [{"id": f"e{i}", "type": "injection", "soreness": constant(3, 10)} for i in range(10)]
    specs[0]["cells"] = {"flag_infection_signs": {2: True}}
    specs[1]["cells"] = {"flag_infection_signs": {4: True, 5: True}}
    specs[2]["cells"] = {"flag_infection_signs": {6: False}, "flag_neuro_deficit": {1: True}}
    return _episodes(*specs).reset_index()


def test_incidence_proportion_with_wilson_interval():
    table = analysis.red_flag_incidence(_flag_cohort()).set_index("flag")
    row = table.loc["infection_signs"]
    assert (row["episodes"], row["episodes_with_flag"]) == (10, 2)
    p, n = 0.2, 10
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n)) / (1 + Z**2 / n)
    assert row["ci_low"] == pytest.approx(centre - half)
    assert row["ci_high"] == pytest.approx(centre + half)
    low, high = proportion_confint(2, 10, method="wilson")  # independent implementation
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert table.loc["any", "episodes_with_flag"] == 3


def test_incidence_rate_per_100_episode_days_with_exact_poisson_interval():
    row = analysis.red_flag_incidence(_flag_cohort()).set_index("flag").loc["infection_signs"]
    # at risk: day 0 .. first flag (2 -> 3 days, 4 -> 5 days), others day 0 .. 9 (10 days)
    days = 3 + 5 + 8 * 10
    assert row["rate_per_100_days"] == pytest.approx(100 * 2 / days)
    # Garwood interval for 2 events: chi2(0.025, 4)/2 = 0.2422, chi2(0.975, 6)/2 = 7.2247
    assert row["rate_ci_low"] == pytest.approx(100 * 0.24220 / days, rel=1e-4)
    assert row["rate_ci_high"] == pytest.approx(100 * 7.22470 / days, rel=1e-4)


def test_poisson_interval_for_zero_events():
    low, high = poisson_interval(np.array([0]))
    assert low[0] == 0 and high[0] == pytest.approx(-math.log(0.025))  # 3.6889


def test_rate_ratio_against_clopper_pearson():
    ratio, low, high = rate_ratio_interval(
        np.array([12]), np.array([400.0]), np.array([5]), np.array([500.0])
    )
    assert ratio[0] == pytest.approx((12 / 400) / (5 / 500))
    p_low, p_high = proportion_confint(12, 17, method="beta")
    assert low[0] == pytest.approx(p_low / (1 - p_low) * 500 / 400)
    assert high[0] == pytest.approx(p_high / (1 - p_high) * 500 / 400)


def test_rate_ratios_table_uses_the_reference():
    episodes = pd.concat(
        [
            _flag_cohort(),
            _episodes(
                {
                    "id": "c1",
                    "type": "chiropractic",
                    "soreness": [3] * 10,
                    "cells": {"flag_worsening_pain": {1: True}},
                }
            ).reset_index(),
        ]
    )
    table = analysis.rate_ratios(episodes, reference="chiropractic").set_index("treatment_type")
    assert table.loc["chiropractic", "rate_ratio"] == 1
    # injection: 3 first flags over 3 + 5 + 2 + 7 * 10 = 80 days; chiropractic: 1 over 2 days
    assert table.loc["injection", "rate_ratio"] == pytest.approx((3 / 80) / (1 / 2))
    with pytest.raises(ValueError, match="reference"):
        analysis.rate_ratios(episodes, reference="minor_procedure")


# ------------------------------------------------------------------------ adherence


def test_cold_then_heat_timing_rule():
    cold_heat = {
        # day 0: cold, no heat -> adherent; day 1: cold and heat -> scored, not adherent
        # day 2 at soreness 2 -> not scored; day 3 at soreness 5 with heat -> adherent
        "care_cold": {0: True, 1: True, 2: False, 3: False},
        "care_heat": {0: False, 1: True, 2: True, 3: True},
    }
    other = {
        # day 0: cold missing -> not scored; day 2 at soreness 5 without heat -> not adherent
        "care_cold": {1: False, 2: False},
        "care_heat": {0: False, 1: False, 2: False},
    }
    episodes = _episodes(
        {"id": "a", "soreness": [5, 5, 2, 5], "cells": cold_heat},
        {"id": "b", "soreness": [5, 5, 5], "cells": other},
    )
    assert episodes.loc["a", "answered_cold_then_heat"] == 3
    assert episodes.loc["a", "adherent_cold_then_heat"] == 2
    assert episodes.loc["b", "answered_cold_then_heat"] == 2  # day 1 (no cold: not adherent), 2
    assert episodes.loc["b", "adherent_cold_then_heat"] == 0


def test_adherence_items_scores_and_groups():
    answers = {
        "care_sleep": {0: True, 1: True, 2: False, 3: True},  # 3/4
        "care_posture": {0: True, 1: None, 2: None, 3: None},  # 1/1
    }
    episodes = _episodes(
        {"id": "a", "soreness": [3, 3, 3, 3], "cells": answers},
        {"id": "b", "soreness": [3, 3], "cells": {"care_sleep": {0: False, 1: False}}},
        {"id": "c", "soreness": [3]},
    )
    assert episodes.loc["a", "adherence_score"] == pytest.approx((0.75 + 1.0) / 2)
    assert episodes.loc["a", "adherence_group"] == "high"
    assert episodes.loc["b", "adherence_group"] == "low"
    assert episodes.loc["c", "adherence_group"] == "not_reported"
    table = analysis.adherence_table(episodes.reset_index()).set_index("item")
    assert table.loc["care_sleep", ["days_answered", "days_adherent"]].tolist() == [6, 3]
    assert table.loc["care_sleep", "proportion"] == pytest.approx(0.5)


def test_item_with_no_answers_warns_and_is_empty():
    episodes = _episodes({"id": "a", "soreness": [3, 3]})
    with pytest.warns(RecoveryToolkitWarning, match="no answers"):
        table = analysis.adherence_table(episodes.reset_index())
    assert table["proportion"].isna().all()


def test_resolution_by_adherence_carries_the_caution():
    import recovery_toolkit as rt

    episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    curves, test = analysis.resolution_by_adherence(episodes)
    assert "association, not effect" in test.caution.lower()
    assert test.dof == 2 and 0 <= test.p_value <= 1
    items = analysis.item_resolution(episodes)
    assert items.attrs["caution"] == analysis.CAUTION and "caution" not in items.columns
    assert (items["adherent_episodes"] + items["other_episodes"] <= len(episodes)).all()


# ------------------------------------------------------------------------ follow-up, escalation


def test_completeness_and_lost_to_follow_up():
    episodes = _episodes(
        {"id": "gone", "soreness": [6, 6, 5, 5]},  # last day 3 < 7, unresolved
        {"id": "healed", "soreness": [4, 1, 1]},  # resolved (confirmed): not lost
        {"id": "one-low", "soreness": [4, 1]},  # a low last score is not confirmed: lost
        {"id": "full", "soreness": constant(4, 15)},
    )
    assert episodes.loc["gone", "completeness"] == pytest.approx(4 / 15)
    assert episodes["lost_to_follow_up"].tolist() == [False, True, False, True]
    row = analysis.completeness(episodes.reset_index()).iloc[0]
    assert row["lost_to_follow_up"] == 2 and row["lost_share"] == pytest.approx(2 / 4)
    assert row["mean_completeness"] == pytest.approx((4 + 3 + 2 + 15) / 60)


def test_escalation_on_the_flag_day_or_the_next():
    flag = {"flag_worsening_pain": {2: True}}
    episodes = _episodes(
        {"id": "next-day", "soreness": [4] * 5, "cells": {**flag, "clinic_contact": {3: True}}},
        {"id": "too-late", "soreness": [4] * 5, "cells": {**flag, "clinic_contact": {4: True}}},
        {"id": "same-day", "soreness": [4] * 5, "cells": {**flag, "clinic_contact": {2: True}}},
        {"id": "no-flag", "soreness": [4] * 5},
    )
    assert episodes["escalated"].tolist() == [True, pd.NA, True, False]  # sorted by episode id
    table = analysis.escalation(episodes.reset_index()).set_index("treatment_type")
    row = table.loc["physical_therapy"]
    assert (row["episodes_with_flag"], row["escalated"]) == (3, 2)


# ------------------------------------------------------------------------ SPC


def _monthly(counts):
    """Episodes table with, per month, (n, events)."""
    rows = []
    for month, (n, events) in counts.items():
        for i in range(n):
            rows.append(
                {
                    "treatment_type": "injection",
                    "treatment_month": month,
                    "first_any_flag": 1.0 if i < events else np.nan,
                }
            )
    return pd.DataFrame(rows)


def test_p_chart_centre_and_limits():
    chart = analysis.p_chart(_monthly({"2025-01": (10, 1), "2025-02": (20, 2), "2025-03": (10, 4)}))
    overall = chart[chart["treatment_type"] == "all"].reset_index(drop=True)
    centre = 7 / 40
    assert overall["center"].unique().tolist() == pytest.approx([centre])
    # exact binomial limits: the 0.00135 and 0.99865 quantiles of Binomial(10, 7/40), over 10
    assert overall.loc[0, "ucl"] == stats.binom.ppf(0.99865, 10, centre) / 10
    assert overall.loc[0, "lcl"] == 0
    assert not overall["signal"].any()
    # centre 20/60; month 3 at 0.8 lies above binom.ppf(0.99865, 20, 1/3) / 20 = 0.65
    high = analysis.p_chart(_monthly({"2025-01": (20, 2), "2025-02": (20, 2), "2025-03": (20, 16)}))
    assert high.loc[high["treatment_type"] == "all", "signal"].tolist() == [False, False, True]


def test_p_chart_run_of_eight_on_one_side():
    months = {f"2025-{m:02d}": (20, 2) for m in range(1, 9)}  # eight months at p = 0.1
    months |= {"2025-09": (20, 8), "2025-10": (20, 8)}  # pull the centre above 0.1
    chart = analysis.p_chart(_monthly(months))
    overall = chart[chart["treatment_type"] == "all"]
    assert overall["signal"].tolist()[:8] == [True] * 8


def test_month_without_episodes_is_shown_empty_with_a_warning():
    with pytest.warns(RecoveryToolkitWarning, match="without episodes"):
        chart = analysis.p_chart(_monthly({"2025-01": (5, 1), "2025-03": (5, 1)}))
    gap = chart[(chart["treatment_type"] == "all") & (chart["month"] == "2025-02")].iloc[0]
    assert gap["n"] == 0 and np.isnan(gap["p"]) and not gap["signal"]


# ------------------------------------------------------------------------ alerts


def test_alerts_severity_day_and_explanation():
    logs = make_logs(
        {"id": "neuro", "soreness": [4, 3, 2, 1], "cells": {"flag_neuro_deficit": {2: True}}},
        {"id": "infect", "soreness": [4, 3, 2, 1], "cells": {"flag_infection_signs": {1: True}}},
        {"id": "stalled", "soreness": constant(6, 15)},
    )
    table = analysis.alerts(logs)
    first = table.iloc[0]
    assert (first["episode_id"], first["severity"], first["reason"], first["day"]) == (
        "neuro",
        "urgent",
        "flag_neuro_deficit",
        2,
    )
    assert "new numbness, tingling, or weakness in the legs" in first["explanation"].lower()
    prompt = table[table["severity"] == "prompt"].iloc[0]
    assert (prompt["episode_id"], prompt["day"]) == ("infect", 1)
    stalled = table[table["episode_id"] == "stalled"].set_index("reason")
    assert stalled.loc["unresolved_at_window_end", "day"] == 14
    assert table["severity"].tolist() == sorted(
        table["severity"], key=["urgent", "prompt", "review"].index
    )


def test_above_p90_needs_two_days_from_day_three():
    quiet = [{"id": f"q{i:02d}", "soreness": [5, 4, 3, 2, 2, 1, 1]} for i in range(20)]
    logs = make_logs(
        *quiet,
        {"id": "high", "soreness": [5, 4, 3, 6, 1, 6, 1]},  # above p90 on days 3 and 5
        {"id": "once", "soreness": [5, 9, 9, 6, 2, 1, 1]},  # only day 3 counts
    )
    table = analysis.alerts(logs)
    above = table[table["reason"] == "above_p90"]
    assert above["episode_id"].tolist() == ["high"] and above["day"].tolist() == [5]


# ------------------------------------------------------------------------ purity


def test_no_function_modifies_its_input():
    import recovery_toolkit as rt

    logs = rt.load_logs(rt.sample_path()).logs
    before = logs.copy(deep=True)
    episodes = analysis.episode_table(logs)
    episodes_before = episodes.copy(deep=True)
    analysis.recovery_curve(logs)
    analysis.episode_trajectory(logs, logs["episode_id"].iloc[0])
    analysis.alerts(logs, episodes)
    for function in (
        analysis.time_to_resolution,
        analysis.km_curve,
        analysis.red_flag_incidence,
        analysis.rate_ratios,
        analysis.adherence_table,
        analysis.adherence_scores,
        analysis.resolution_by_adherence,
        analysis.item_resolution,
        analysis.completeness,
        analysis.escalation,
        analysis.p_chart,
        analysis.funnel_table,
        analysis.table_one,
        analysis.adherence_group_shares,
    ):
        function(episodes)
    pd.testing.assert_frame_equal(logs, before)
    pd.testing.assert_frame_equal(episodes, episodes_before)


def test_cumulative_incidence_counts_flags_among_those_still_logging():
    """Four episodes: a flag on day 1, a drop-out on day 2, a flag on day 5, logged to day 14.
    The proportion is 2/4; Kaplan-Meier: S = (1 - 1/4)(1 - 1/2) = 3/8, so 1 - S = 0.625."""
    flagged = {"flag_infection_signs": {1: True}}
    episodes = analysis.episode_table(
        make_logs(
            {"id": "a", "soreness": [4, 4], "cells": flagged},
            {"id": "b", "soreness": [4, 4, 4]},
            {"id": "c", "soreness": [4] * 6, "cells": {"flag_infection_signs": {5: True}}},
            {"id": "d", "soreness": constant(4, 15)},
        )
    )
    row = analysis.red_flag_incidence(episodes).set_index("flag").loc["infection_signs"]
    assert row["proportion"] == pytest.approx(0.5)
    assert row["cumulative_incidence"] == pytest.approx(0.625)
    # Greenwood at day 5: var(S) = S^2 (1/(4*3) + 1/(2*1)); log-log band, as for resolution
    s = 3 / 8
    se = s * math.sqrt(1 / 12 + 1 / 2)
    theta, se_theta = math.log(-math.log(s)), se / (s * abs(math.log(s)))
    low_s = math.exp(-math.exp(theta + 1.959964 * se_theta))
    high_s = math.exp(-math.exp(theta - 1.959964 * se_theta))
    assert row["cumulative_ci_low"] == pytest.approx(1 - high_s, abs=1e-5)
    assert row["cumulative_ci_high"] == pytest.approx(1 - low_s, abs=1e-5)
    none = analysis.red_flag_incidence(episodes).set_index("flag").loc["bladder_bowel"]
    assert none["cumulative_incidence"] == 0 and np.isnan(none["cumulative_ci_high"])
