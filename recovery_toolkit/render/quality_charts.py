"""Charts of the quality review: logging by day, the completeness grid, the control chart, the
funnel plots.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit import analysis
>>> table = analysis.logging_by_day(rt.load_logs(rt.sample_path()).logs)
>>> logging_chart(table).to_dict()["layer"][0]["mark"]["type"]
'line'
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..analysis.funnel import funnel_limits
from .theme import (
    SEVERITY_COLORS,
    TYPE_LABELS,
    type_color,
    with_labels,
)

__all__ = ["NO_LOG_COLOR", "logging_chart", "completeness_grid", "spc_chart", "funnel_chart"]


def logging_chart(logging: pd.DataFrame) -> alt.LayerChart:
    """Share of episodes with a log on each day, per treatment type (follow-up completeness).

    ``logging`` is :func:`recovery_toolkit.analysis.logging_by_day`'s table.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> table = analysis.logging_by_day(rt.load_logs(rt.sample_path()).logs)
    >>> logging_chart(table).to_dict()["layer"][0]["encoding"]["y"]["field"]
    'share'
    """
    data = with_labels(logging)
    base = alt.Chart(data).encode(
        x=alt.X("day:Q", title="Days since treatment", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y(
            "share:Q",
            title="Episodes with a log",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=type_color(present=data["treatment_type"]),
    )
    tooltip = [
        alt.Tooltip("type_label:N", title="Treatment"),
        alt.Tooltip("day:Q", title="Day"),
        alt.Tooltip("logged:Q", title="Episodes logging"),
        alt.Tooltip("share:Q", title="Share", format=".0%"),
    ]
    return (base.mark_line() + base.mark_point().encode(tooltip=tooltip)).properties(
        title="Follow-up: daily logging"
    )


#: A day without a log in the completeness grid: darker than any soreness shade.
NO_LOG_COLOR = "#8a8a8a"


def completeness_grid(grid: pd.DataFrame) -> alt.LayerChart:
    """Episode × day view of follow-up: logged days shaded by soreness, gaps left empty.

    ``grid`` is :func:`recovery_toolkit.analysis.logging_grid`'s table (a bounded number of
    episodes, for a quality review).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> grid = analysis.logging_grid(rt.load_logs(rt.sample_path()).logs, max_episodes=10)
    >>> completeness_grid(grid).to_dict()["layer"][0]["mark"]["color"]
    '#8a8a8a'
    """
    base = alt.Chart(grid).encode(
        x=alt.X("day:O", title="Days since treatment", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("episode_id:N", title=None, sort=None),
        tooltip=[
            alt.Tooltip("episode_id:N", title="Episode"),
            alt.Tooltip("day:O", title="Day"),
            alt.Tooltip("logged:N", title="Logged"),
            alt.Tooltip("soreness:Q", title="Soreness"),
        ],
    )
    # every cell first in the no-log grey, then the logged days over it by soreness (a null
    # soreness would otherwise be dropped and the gap drawn as white, like a pale low score)
    gaps = base.mark_rect(stroke="white", strokeWidth=1, color=NO_LOG_COLOR)
    logged = (
        base.transform_filter("datum.logged")
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            color=alt.Color(
                "soreness:Q",
                title="Soreness",
                # soreness 0 is a visible pale orange, never the grey of a missing log
                scale=alt.Scale(
                    scheme=alt.SchemeParams("oranges", extent=[0.12, 1]), domain=[0, 10]
                ),
            )
        )
    )
    return (gaps + logged).properties(
        title="Follow-up by episode and day (dark grey: no log)", height=alt.Step(12)
    )


def spc_chart(
    spc: pd.DataFrame, *, series: str = "all", label: str | None = None
) -> alt.LayerChart:
    """p-chart of monthly red-flag incidence with centre line, exact binomial limits and
    signals; months without complete follow-up drawn hollow (they never signal). ``label``
    names the episodes in the title (default: the series' treatment type, or all types).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> len(spc_chart(analysis.p_chart(eps)).to_dict()["layer"])
    5
    """
    data = spc.loc[spc["treatment_type"].astype("str") == series].copy()
    data["month"] = pd.to_datetime(data["month"] + "-01")
    if "complete" not in data.columns:
        data["complete"] = True
    complete = data["complete"].astype("str") == "True"
    signal = data["signal"].astype("str") == "True"
    data["status"] = np.where(
        ~complete, "follow-up incomplete", np.where(signal, "signal", "in control")
    )
    # the line is solid through complete months and dashed into the incomplete ones (from
    # the last complete month on, so the two join)
    last_complete = data.loc[complete, "month"].max() if complete.any() else data["month"].min()
    data["solid"] = complete.to_numpy()
    data["dashed"] = (~complete | (data["month"] == last_complete)).to_numpy()
    if "rule" not in data.columns:
        data["rule"] = ""
    x = alt.X("yearmonth(month):T", title="Treatment month", scale=alt.Scale(padding=14))
    base = alt.Chart(data).encode(x=x)
    y = alt.Y("p:Q", title="Episodes with any red flag", axis=alt.Axis(format="%"))
    names = {"center": "Centre line", "ucl": "Upper limit", "lcl": "Lower limit"}
    limits = (
        base.transform_fold(list(names), as_=["which", "value"])
        .transform_calculate(
            limit="datum.which == 'center' ? 'Centre line' : "
            "datum.which == 'ucl' ? 'Upper limit' : 'Lower limit'"
        )
        .mark_line(interpolate="step", strokeWidth=1.3)
        .encode(
            y="value:Q",
            detail="which:N",
            color=alt.Color(
                "limit:N",
                title=None,
                scale=alt.Scale(
                    domain=list(names.values()), range=["#555555", "#999999", "#999999"]
                ),
                legend=alt.Legend(orient="right"),
            ),
            strokeDash=alt.condition(
                "datum.which == 'center'", alt.value([6, 4]), alt.value([1, 0])
            ),
        )
    )
    line = base.transform_filter("datum.solid").mark_line(color="#0072B2").encode(y=y)
    tail = (
        base.transform_filter("datum.dashed")
        .mark_line(color="#777777", strokeDash=[4, 3])
        .encode(y=y)
    )
    tooltip = [
        alt.Tooltip("yearmonth(month):T", title="Month"),
        alt.Tooltip("n:Q", title="Episodes"),
        alt.Tooltip("events:Q", title="With a red flag"),
        alt.Tooltip("p:Q", title="Share", format=".1%"),
        alt.Tooltip("lcl:Q", title="Lower limit", format=".1%"),
        alt.Tooltip("ucl:Q", title="Upper limit", format=".1%"),
        alt.Tooltip("status:N", title="Status"),
        alt.Tooltip("rule:N", title="Rule"),
    ]

    def status(shown: list[str]) -> alt.Color:  # one scale; each layer's legend its own
        return alt.Color(
            "status:N",
            title=None,
            scale=alt.Scale(
                domain=["in control", "signal", "follow-up incomplete"],
                range=["#0072B2", SEVERITY_COLORS["urgent"], "#777777"],
            ),
            legend=alt.Legend(values=shown),
        )

    filled = (
        base.transform_filter("datum.solid")
        .mark_point(size=70, filled=True, opacity=1)
        .encode(y="p:Q", color=status(["in control", "signal"]), tooltip=tooltip)
    )
    hollow = (  # incomplete months: an open ring, never a signal
        base.transform_filter("!datum.solid")
        .mark_point(size=70, filled=False, strokeWidth=2, fill="white", opacity=1)
        .encode(y="p:Q", color=status(["follow-up incomplete"]), tooltip=tooltip)
    )
    if label is None:
        label = "all treatment types" if series == "all" else TYPE_LABELS.get(series, series)
    return (
        (limits + line + tail + filled + hollow)
        .resolve_scale(color="independent")
        .properties(title=f"Monthly red-flag incidence, {label} (p-chart, exact binomial limits)")
    )


#: Funnel plot measures: panel titles.
_MEASURE_TITLES = {"any_flag": "Any red flag", "lost_to_follow_up": "Lost to follow-up"}
_OUTSIDE = {"": "within the limits", "95": "outside 95 %", "99.8": "outside 99.8 %"}


def _measure_title(measure: str) -> str:
    if measure.startswith("resolved_by_day_"):
        return f"Resolved by day {measure.removeprefix('resolved_by_day_')}"
    return _MEASURE_TITLES.get(measure, measure)


def _limit_lines(expected: pd.Series) -> pd.DataFrame:
    """The two funnels over a grid of expected counts (drawn, not read off the table)."""
    top = float(expected.max()) * 1.1
    grid = np.linspace(max(float(expected.min()) * 0.8, 0.5), max(top, 1.0), 120)
    limits = funnel_limits(grid)
    parts = []
    for level, label in (("95", "95 %"), ("998", "99.8 %")):
        for side in ("low", "high"):
            parts.append(
                pd.DataFrame(
                    {
                        "expected": grid,
                        "limit": limits[f"{side}_{level}"].to_numpy(),
                        "level": label,
                        "line": f"{side} {label}",
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def funnel_chart(funnel: pd.DataFrame, *, unit_type: str = "site") -> alt.HConcatChart:
    """Funnel plots: the ratio observed / expected of each unit against its expected count,
    one panel per measure, with the 95 % and 99.8 % exact Poisson limits as step lines
    (computed over a grid of expected counts by
    :func:`recovery_toolkit.analysis.funnel_limits`); units outside are coloured.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> len(funnel_chart(analysis.funnel_table(eps)).to_dict()["hconcat"])
    3
    """
    data = funnel.loc[funnel["unit_type"].astype("str") == unit_type].copy()
    for column in ("episodes", "observed", "expected", "ratio"):
        data[column] = pd.to_numeric(data[column], errors="coerce")
    data = data.loc[data["ratio"].notna() & data["expected"].notna()]
    data["status"] = data["outside"].astype("str").map(_OUTSIDE).fillna(_OUTSIDE[""])
    panels = []
    for measure in dict.fromkeys(funnel["measure"].astype("str")):
        rows = data.loc[data["measure"].astype("str") == measure]
        if rows.empty:
            continue
        lines = (
            alt.Chart(_limit_lines(rows["expected"]))
            .mark_line(interpolate="step-after", strokeWidth=1.1)
            .encode(
                x=alt.X("expected:Q", title="Expected count"),
                y=alt.Y("limit:Q", title="Observed / expected"),
                detail="line:N",
                strokeDash=alt.StrokeDash(
                    "level:N",
                    title="Limits",
                    scale=alt.Scale(domain=["95 %", "99.8 %"], range=[[4, 3], [1, 0]]),
                ),
                color=alt.value("#999999"),
            )
        )
        one = alt.Chart(pd.DataFrame({"one": [1.0]})).mark_rule(color="#555555").encode(y="one:Q")
        points = (
            alt.Chart(rows)
            .mark_circle(size=70, opacity=0.9)
            .encode(
                x="expected:Q",
                y="ratio:Q",
                color=alt.Color(
                    "status:N",
                    title=None,
                    scale=alt.Scale(
                        domain=list(_OUTSIDE.values()),
                        range=["#0072B2", "#E69F00", SEVERITY_COLORS["urgent"]],
                    ),
                ),
                tooltip=[
                    alt.Tooltip("unit:N", title=unit_type.capitalize()),
                    alt.Tooltip("episodes:Q", title="Episodes"),
                    alt.Tooltip("observed:Q", title="Observed"),
                    alt.Tooltip("expected:Q", title="Expected", format=".1f"),
                    alt.Tooltip("ratio:Q", title="Observed / expected", format=".2f"),
                    alt.Tooltip("status:N", title="Status"),
                ],
            )
        )
        panels.append(
            (lines + one + points).properties(title=_measure_title(measure), width=220, height=220)
        )
    if not panels:
        empty = alt.Chart(pd.DataFrame({"x": []})).mark_point()
        panels.append(empty.properties(title=f"No {unit_type} to draw", width=220, height=220))
    return alt.hconcat(*panels).properties(
        title=f"Funnel plots by {unit_type} (indirectly standardised by treatment type)"
    )
