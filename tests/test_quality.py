"""Quality views: the control chart's exact limits and complete months, funnel plots by
indirect standardisation with exact Poisson limits, contact on alerts — each checked by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recovery_toolkit import analysis
from recovery_toolkit.analysis import Settings
from recovery_toolkit.errors import OptionError, RecoveryToolkitWarning
from recovery_toolkit.privacy import SUPPRESSED, SharePlan, share_funnel


def _episodes(months: list[str], flags: list[bool], kind: str = "pt") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "treatment_type": kind,
            "treatment_month": months,
            "first_any_flag": [1.0 if f else np.nan for f in flags],
        }
    )


def _months(counts: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Episodes from {month: (n, events)}."""
    months, flags = [], []
    for month, (n, events) in counts.items():
        months += [month] * n
        flags += [True] * events + [False] * (n - events)
    return _episodes(months, flags)


# --- control chart -----------------------------------------------------------------------


def test_exact_binomial_limits_by_hand():
    chart = analysis.p_chart(_months({"2025-01": (10, 1), "2025-02": (30, 5)}))
    rows = chart[chart["treatment_type"] == "all"].reset_index(drop=True)
    p = 6 / 40  # centre: sum events / sum n
    assert rows["center"].tolist() == [p, p]
    for i, n in enumerate([10, 30]):
        assert rows.loc[i, "lcl"] == stats.binom.ppf(0.00135, n, p) / n
        assert rows.loc[i, "ucl"] == stats.binom.ppf(0.99865, n, p) / n
    # by hand for n = 10, p = 0.15: P(X <= 5) = 0.99861 < 0.99865 <= P(X <= 6) = 0.99987
    assert stats.binom.cdf(5, 10, p) < 0.99865 <= stats.binom.cdf(6, 10, p)
    assert rows.loc[0, "ucl"] == 0.6 and rows.loc[0, "lcl"] == 0.0
    assert not rows["signal"].any() and (rows["rule"] == "").all()


def test_a_month_outside_its_limits_signals_and_names_the_rule():
    counts = {f"2025-{m:02d}": (20, 1) for m in range(1, 7)}
    counts["2025-07"] = (20, 12)
    rows = analysis.p_chart(_months(counts)).query("treatment_type == 'all'")
    last = rows.iloc[-1]
    assert last["p"] > last["ucl"] and last["signal"] and last["rule"] == "outside_limits"
    assert (rows["rule"].iloc[:-1] == "").all()


def test_the_run_rule_is_named_with_its_length():
    counts = {f"2025-{m:02d}": (10, 0) for m in range(1, 9)}
    counts.update({f"2026-{m:02d}": (10, 3) for m in range(1, 9)})
    episodes = _months(counts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RecoveryToolkitWarning)  # empty months between
        chart = analysis.p_chart(episodes).query("treatment_type == 'all' and n > 0")
        longer = analysis.p_chart(episodes, run_length=9).query("treatment_type == 'all'")
    assert chart["signal"].all() and (chart["rule"] == "run_of_8").all()
    # a month without episodes breaks a run; no run reaches 9
    assert not longer["signal"].any() and (longer["rule"] == "").all()


def test_incomplete_months_never_signal_and_leave_the_centre():
    counts = {f"2025-{m:02d}": (20, 2) for m in range(1, 7)}
    counts["2025-07"] = (20, 15)  # far above any limit, but not complete
    episodes = _months(counts)
    # July is complete once 31 July + 14 days = 14 August is on or before the last log date
    late = analysis.p_chart(episodes, data_end=pd.Timestamp("2025-08-13"))
    rows = late.query("treatment_type == 'all'")
    assert rows["complete"].tolist() == [True] * 6 + [False]
    assert rows["center"].iloc[0] == 12 / 120  # July left out of the centre
    assert not rows["signal"].any() and (rows["rule"] == "").all()
    done = analysis.p_chart(episodes, data_end=pd.Timestamp("2025-08-14"))
    rows = done.query("treatment_type == 'all'")
    assert rows["complete"].all() and rows["center"].iloc[0] == 27 / 140
    assert rows["signal"].iloc[-1] and rows["rule"].iloc[-1] == "outside_limits"
    # without data_end every month is complete
    assert analysis.p_chart(episodes)["complete"].all()


def test_compute_passes_the_last_log_date():
    import recovery_toolkit as rt

    results = rt.compute(rt.load_logs(rt.sample_path()))
    spc = results.tables["spc"]
    end = results.logs["log_date"].max()
    month = pd.PeriodIndex(spc["month"], freq="M")
    expected = month.to_timestamp(how="end").normalize() + pd.Timedelta(days=14) <= end
    assert (spc["complete"].to_numpy() == np.asarray(expected)).all()
    assert not spc["complete"].all()  # the sample's last month is still in its window
    assert not spc.loc[~spc["complete"], "signal"].any()


def test_spc_tail_replaces_spc_sigma():
    assert Settings().spc_tail == 0.00135
    assert not hasattr(Settings(), "spc_sigma")
    with pytest.raises(OptionError, match="spc_tail"):
        Settings(spc_tail=0.6)


# --- funnel plots --------------------------------------------------------------------------


def _funnel_episodes() -> pd.DataFrame:
    """Two types, two sites. Site a: x x y; site b: x y y y. Flags: a-x, b-y, b-y.
    Rates: x 1/3, y 2/4. E(a) = 2/3 + 1/2 = 7/6, E(b) = 1/3 + 3/2 = 11/6."""
    return pd.DataFrame(
        {
            "site": ["a", "a", "a", "b", "b", "b", "b"],
            "clinician": ["k", "k", "l", "l", "l", "k", "k"],
            "treatment_type": ["x", "x", "y", "x", "y", "y", "y"],
            "first_any_flag": [2.0, np.nan, np.nan, np.nan, 1.0, 3.0, np.nan],
            "lost_to_follow_up": [True, False, False, False, False, False, True],
            "resolved": [True, True, False, True, True, False, True],
            "time": [3, 9, 14, 5, 7, 14, 2],
            "first_day": [0, 0, 0, 0, 0, 0, 2],
        }
    )


def test_indirect_standardisation_by_hand():
    table = analysis.funnel_table(_funnel_episodes())
    rows = table.query("unit_type == 'site' and measure == 'any_flag'").set_index("unit")
    assert rows["episodes"].tolist() == [3, 4]
    assert rows["observed"].tolist() == [1, 2]
    assert rows["expected"].tolist() == pytest.approx([7 / 6, 11 / 6])
    assert rows["ratio"].tolist() == pytest.approx([1 / (7 / 6), 2 / (11 / 6)])
    assert rows["expected"].sum() == pytest.approx(rows["observed"].sum())  # ΣO = ΣE
    # resolved by day 7, episodes with a baseline only (site b's last starts on day 2):
    # x: resolved 2 of 3 (days 3, 5; not day 9); y: 1 of 3 (day 7)
    # -> E(a) = 2 * 2/3 + 1/3 = 5/3, E(b) = 2/3 + 2 * 1/3 = 4/3
    resolved = table.query("unit_type == 'site' and measure == 'resolved_by_day_7'")
    assert resolved["episodes"].tolist() == [3, 3]
    assert resolved["observed"].tolist() == [1, 2]
    assert resolved["expected"].tolist() == pytest.approx([5 / 3, 4 / 3])


def test_clinicians_have_their_own_rows():
    table = analysis.funnel_table(_funnel_episodes())
    assert table["unit_type"].unique().tolist() == ["site", "clinician"]
    rows = table.query("unit_type == 'clinician' and measure == 'any_flag'").set_index("unit")
    # k: x x y y (flags x, y), l: y x y (flag y); rates x 1/3, y 1/2
    assert rows.loc["k", "expected"] == pytest.approx(2 / 3 + 1)
    assert rows.loc["l", "expected"] == pytest.approx(1 / 3 + 1)


def test_funnel_limits_are_poisson_quantiles():
    expected = np.array([0.7, 3.2, 12.0, 85.5])
    limits = analysis.funnel_limits(expected)
    for column, q in [
        ("low_95", 0.025),
        ("high_95", 0.975),
        ("low_998", 0.001),
        ("high_998", 0.999),
    ]:
        assert limits[column].tolist() == pytest.approx(stats.poisson.ppf(q, expected) / expected)
    # E = 12 by hand: P(O <= 5) = 0.0203 < 0.025 <= P(O <= 6) = 0.0458, so low_95 = 6/12
    assert stats.poisson.cdf(5, 12) < 0.025 <= stats.poisson.cdf(6, 12)
    assert limits["low_95"].iloc[2] == 0.5


def test_a_unit_far_above_is_outside_998():
    eps = pd.DataFrame(
        {
            "site": ["a"] * 40 + ["b"] * 400,
            "treatment_type": "x",
            "first_any_flag": [1.0] * 30 + [np.nan] * 10 + [1.0] * 20 + [np.nan] * 380,
            "lost_to_follow_up": False,
            "resolved": True,
            "time": 3,
            "first_day": 0,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RecoveryToolkitWarning)  # nobody lost: E = 0
        table = analysis.funnel_table(eps)
    flags = table.query("measure == 'any_flag'").set_index("unit")
    assert flags.loc["a", "outside"] == "99.8"
    assert flags.loc["b", "ratio"] < flags.loc["b", "low_95"]
    assert flags.loc["b", "outside"] in ("95", "99.8")


def test_a_unit_with_zero_expected_warns_and_has_no_ratio():
    eps = _funnel_episodes().assign(lost_to_follow_up=False)
    with pytest.warns(RecoveryToolkitWarning, match="expected count of 0"):
        table = analysis.funnel_table(eps)
    lost = table.query("measure == 'lost_to_follow_up'")
    assert (lost["expected"] == 0).all()
    assert lost[["ratio", "low_95", "high_95", "low_998", "high_998"]].isna().all().all()
    assert (lost["outside"] == "").all()


def test_funnel_resolved_day_is_a_setting():
    table = analysis.funnel_table(_funnel_episodes(), Settings(funnel_resolved_day=3))
    assert "resolved_by_day_3" in set(table["measure"])
    assert Settings(window_days=5).funnel_resolved_day == 5  # at most the window


def test_shared_funnel_hides_small_sites_and_names_no_clinician():
    plan = SharePlan(
        pd.Series({"x": 80}), pd.Series({"x": False}), pd.Series({"x": 30}), pd.Series({"x": False})
    )
    units = ["a", "b", "c", "d"]
    episodes = [30, 25, 20, 5]
    table = pd.DataFrame(
        {
            "unit_type": ["site"] * 4 + ["clinician"] * 2,
            "unit": units + ["Dr Who", "Dr No"],
            "measure": "any_flag",
            "episodes": episodes + [40, 40],
            "observed": [12, 3, 12, 3, 15, 15],
            "expected": [11.3, 9.4, 7.5, 1.9, 15.0, 15.0],
            "ratio": [1.06, 0.32, 1.6, 1.58, 1.0, 1.0],
            "low_95": 0.5,
            "high_95": 1.6,
            "low_998": 0.3,
            "high_998": 2.0,
            "outside": "",
        }
    )
    mix = pd.DataFrame(
        {
            "unit_type": "site",
            "unit": units,
            "treatment_type": "x",
            "episodes": episodes,
            "sore_episodes": episodes,
        }
    )
    shown = share_funnel(plan, table, mix).set_index("unit")
    assert set(shown.index) == set(units)  # no clinician row, so no clinician name
    # d (5 episodes) hides, and one more site with it (never one hidden site alone)
    assert (shown.loc["d"].drop(["unit_type", "measure"]) == SUPPRESSED).all()
    assert (shown["episodes"] == SUPPRESSED).sum() == 2
    # b: 3 observed is small: observed, ratio and outside hide, expected and limits stay
    assert shown.loc["b", ["observed", "ratio", "outside"]].tolist() == [SUPPRESSED] * 3
    assert shown.loc["b", "expected"] == 9.4


def test_shared_sample_funnel_has_no_small_count_and_no_clinician():
    import recovery_toolkit as rt

    results = rt.compute(rt.generate_logs(3000, rng=7, notes=False))
    shared = rt.share(results).tables["funnel"]
    assert set(shared["unit_type"]) == {"site"}
    for column in ("episodes", "observed"):
        values = pd.to_numeric(shared[column], errors="coerce")
        assert not ((values >= 1) & (values < 11)).any()
    assert (shared["episodes"] != SUPPRESSED).any()  # a large cohort shows sites
    names = set(results.tables["funnel"].query("unit_type == 'clinician'")["unit"])
    text = rt.render_report(rt.share(results))
    assert names and not any(name in text for name in names)


# --- alerts ---------------------------------------------------------------------------------


def test_alerts_carry_contact_within_one_day():
    import recovery_toolkit as rt

    logs = rt.load_logs(rt.sample_path()).logs
    alerts = analysis.alerts(logs)
    assert "contact_within_1_day" in alerts.columns
    review = alerts["severity"] == "review"
    assert alerts.loc[review, "contact_within_1_day"].isna().all()
    pressing = alerts.loc[~review]
    assert pressing["contact_within_1_day"].notna().all()
    contact = logs.loc[logs["clinic_contact"].fillna(False).astype(bool), ["episode_id", "day"]]
    days = contact.groupby("episode_id")["day"].apply(set).to_dict()
    for row in pressing.itertuples(index=False):  # by hand, alert by alert
        logged = days.get(row.episode_id, set())
        assert row.contact_within_1_day == bool({row.day, row.day + 1} & logged)
    assert pressing["contact_within_1_day"].any() and not pressing["contact_within_1_day"].all()
