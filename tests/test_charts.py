"""Charts through to_dict(): marks, encodings, layers, theme, and data that stays small."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import pytest

from recovery_toolkit import analysis, generate_logs
from recovery_toolkit.render import charts


def _data_rows(spec: dict) -> int:
    return sum(len(rows) for rows in spec.get("datasets", {}).values())


@pytest.fixture(scope="module")
def small():
    logs = generate_logs(400, rng=3)
    return logs, analysis.episode_table(logs)


@pytest.fixture(scope="module")
def large():
    logs = generate_logs(40_000, rng=4)
    return logs, analysis.episode_table(logs)


def _builders(logs, episodes):
    incidence = analysis.red_flag_incidence(episodes)
    return {
        "curve": charts.recovery_curve_chart(analysis.recovery_curve(logs)),
        "km": charts.km_chart(analysis.km_curve(episodes)),
        "incidence": charts.incidence_chart(incidence),
        "rate": charts.incidence_chart(incidence, view="rate"),
        "adherence": charts.adherence_heatmap(analysis.adherence_table(episodes)),
        "logging": charts.logging_chart(analysis.logging_by_day(logs)),
        "spc": charts.spc_chart(analysis.p_chart(episodes)),
    }


def test_embedded_data_does_not_grow_with_the_number_of_logs(small, large):
    specs_small = {k: c.to_dict() for k, c in _builders(*small).items()}
    specs_large = {k: c.to_dict() for k, c in _builders(*large).items()}
    for name in specs_small:
        rows_small, rows_large = _data_rows(specs_small[name]), _data_rows(specs_large[name])
        assert rows_small > 0
        if name != "spc":  # months differ only if treatment dates span other months
            assert rows_small == rows_large, name
    assert _data_rows(specs_large["spc"]) <= 5 * 15


def test_theme_is_registered_and_enabled_only_when_asked(small):
    import subprocess
    import sys

    code = "import altair as alt; import recovery_toolkit.render.charts; print(alt.theme.active)"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert imported.stdout.strip() == "default"  # importing changes no global setting
    assert charts.THEME in alt.theme.names()
    with alt.theme.enable(charts.THEME):
        spec = charts.recovery_curve_chart(analysis.recovery_curve(small[0])).to_dict()
    assert spec["config"]["range"]["category"] == list(charts.TYPE_COLORS.values())
    charts.enable_offline()  # what notebooks and explorers call
    assert alt.theme.active == charts.THEME


def test_recovery_curve_layers_and_encodings(small):
    spec = charts.recovery_curve_chart(analysis.recovery_curve(small[0])).to_dict()
    band, line, points = spec["layer"]
    assert band["mark"]["type"] == "area"
    assert (band["encoding"]["y"]["field"], band["encoding"]["y2"]["field"]) == (
        "ci_low",
        "ci_high",
    )
    assert line["encoding"]["y"]["field"] == "mean"
    assert line["encoding"]["x"]["field"] == "day"
    color = line["encoding"]["color"]["scale"]
    assert color["range"] == list(charts.TYPE_COLORS.values())
    assert {t["field"] for t in points["encoding"]["tooltip"]} >= {"n", "mean", "day"}


def test_trajectory_marks_red_flag_days(small):
    logs, episodes = small
    flagged = episodes.loc[episodes["first_reported_flag"].notna(), "episode_id"].iloc[0]
    traj = analysis.episode_trajectory(logs, flagged)
    spec = charts.trajectory_chart(traj).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["area", "area", "line", "line", "rule", "point"]
    # a flag day: a rule across the chart and a marker on the day, coloured by severity
    assert spec["layer"][5]["mark"]["shape"] == "diamond"
    assert "flag_severity" in str(spec["layer"][4]["transform"])
    assert _data_rows(spec) == 15
    assert traj["any_flag"].any()
    assert set(traj.loc[traj["any_flag"], "flag_severity"]) <= {"urgent", "prompt"}


@pytest.mark.parametrize("severity", ["urgent", "prompt", None])
def test_trajectory_legend_lists_only_the_flags_drawn(small, severity):
    """The legend names the line, the median and the bands, and only the severities drawn."""
    logs, _ = small
    traj = analysis.episode_trajectory(logs, logs["episode_id"].iloc[0])
    traj = traj.assign(any_flag=False, flag_severity="")
    if severity is not None:
        traj.loc[traj.index[4], ["any_flag", "flag_severity"]] = [True, severity]
    color = charts.trajectory_chart(traj).to_dict()["layer"][0]["encoding"]["color"]
    drawn = [] if severity is None else [f"{severity.capitalize()} red flag"]
    assert color["legend"]["values"] == list(charts.TRAJECTORY_SERIES)[:4] + drawn
    # the colours never depend on the data: a flag is coloured by severity in any chart
    colours = dict(zip(color["scale"]["domain"], color["scale"]["range"], strict=True))
    assert colours["Urgent red flag"] == charts.SEVERITY_COLORS["urgent"]
    assert colours["Prompt red flag"] == charts.SEVERITY_COLORS["prompt"]


def test_trajectory_line_breaks_at_days_without_a_log(small):
    """The patient's line is drawn per run of logged days (a gap is not a measurement)."""
    logs, _ = small
    traj = analysis.episode_trajectory(logs, logs["episode_id"].iloc[0])
    spec = charts.trajectory_chart(traj).to_dict()
    line = spec["layer"][3]
    assert line["encoding"]["detail"]["field"] == "run"
    window = next(t for t in line["transform"] if "window" in t)
    assert window["window"][0]["field"] == "gap" and window["sort"] == [{"field": "day"}]


def test_km_is_a_step_curve(small):
    spec = charts.km_chart(analysis.km_curve(small[1])).to_dict()
    assert spec["layer"][0]["mark"]["interpolate"] == "step-after"
    assert spec["layer"][0]["encoding"]["y"]["field"] == "resolved_share"


def test_incidence_error_bars(small):
    spec = charts.incidence_chart(analysis.red_flag_incidence(small[1])).to_dict()
    rule = spec["layer"][0]
    assert rule["mark"]["type"] == "rule"
    assert (rule["encoding"]["x"]["field"], rule["encoding"]["x2"]["field"]) == (
        "ci_low",
        "ci_high",
    )
    with pytest.raises(ValueError):
        charts.incidence_chart(analysis.red_flag_incidence(small[1]), view="odds")


def test_spc_highlights_signals(small):
    spec = charts.spc_chart(analysis.p_chart(small[1])).to_dict()
    fields = [layer["encoding"].get("y", {}).get("field") for layer in spec["layer"]]
    assert fields == ["value", "p", "p", "p", "p"]
    # centre and limits are one folded layer with its own legend: the lines are labelled
    limits = spec["layer"][0]
    assert limits["transform"][0]["fold"] == ["center", "ucl", "lcl"]
    assert limits["encoding"]["color"]["scale"]["domain"] == [
        "Centre line",
        "Upper limit",
        "Lower limit",
    ]
    domain = spec["layer"][3]["encoding"]["color"]["scale"]["domain"]
    assert domain == ["in control", "signal", "follow-up incomplete"]


def test_spc_draws_months_with_incomplete_follow_up_as_visible_open_rings(small):
    """The last, partial month is not a spike of the solid line: the line turns dashed into
    it and its point is an open ring (stroked, so it shows), away from the chart's edge."""
    episodes = small[1]
    last = pd.Period(episodes["treatment_month"].max(), freq="M").to_timestamp()
    spc = analysis.p_chart(episodes, data_end=last + pd.Timedelta(days=20))
    assert not spc["complete"].iloc[-1]
    spec = charts.spc_chart(spc).to_dict()
    _, line, tail, filled, hollow = spec["layer"]
    assert line["transform"] == [{"filter": "datum.solid"}]
    assert tail["mark"]["strokeDash"] and tail["transform"] == [{"filter": "datum.dashed"}]
    assert filled["mark"]["filled"] is True and filled["transform"] == [{"filter": "datum.solid"}]
    assert hollow["mark"]["filled"] is False and hollow["mark"]["strokeWidth"] >= 2
    assert hollow["transform"] == [{"filter": "!datum.solid"}]
    assert line["encoding"]["x"]["scale"]["padding"] > 0  # edge months are not cut in half
    rows = next(iter(spec["datasets"].values()))
    tails = [row["month"] for row in rows if row["dashed"]]
    solid = [row["month"] for row in rows if row["solid"]]
    assert tails[0] == solid[-1]  # the dashed tail starts where the solid line ends


def test_checklist_grid_for_one_episode(small):
    logs, episodes = small
    grid = analysis.episode_checklist(logs, episodes["episode_id"].iloc[0])
    spec = charts.checklist_grid(grid).to_dict()
    assert spec["mark"]["type"] == "rect"
    assert set(grid["item"]) == set(analysis.ADHERENCE_ITEMS)
    assert _data_rows(spec) == len(grid) <= 15 * len(analysis.ADHERENCE_ITEMS)


def test_charts_compose(small):
    logs, episodes = small
    combined = charts.recovery_curve_chart(analysis.recovery_curve(logs)) | charts.km_chart(
        analysis.km_curve(episodes)
    )
    assert "hconcat" in combined.to_dict()


@pytest.mark.parametrize("suffix", [".svg", ".png", ".html"])
def test_export_works_offline(small, tmp_path, suffix):
    chart = charts.km_chart(analysis.km_curve(small[1]))
    path = charts.save_chart(chart, tmp_path / f"km{suffix}")
    data = path.read_bytes()
    assert len(data) > 1000
    if suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    if suffix == ".html":  # the Vega libraries are inlined, never loaded from a server
        assert not re.search(rb"<script[^>]+src=", data)


def test_completeness_grid_is_bounded(small):
    logs, _ = small
    grid = analysis.logging_grid(logs, max_episodes=25)
    spec = charts.completeness_grid(grid).to_dict()
    assert _data_rows(spec) == 25 * 15
    gaps, logged = spec["layer"]
    assert gaps["mark"]["type"] == logged["mark"]["type"] == "rect"
    # a day without a log is drawn in its own grey, never left white like a pale low score
    assert gaps["mark"]["color"] == charts.NO_LOG_COLOR
    assert logged["transform"] == [{"filter": "datum.logged"}]
    chosen = grid["episode_id"].unique()[:3].tolist()
    assert analysis.logging_grid(logs, chosen)["episode_id"].nunique() == 3
