"""Charts of the quality review: logging by day, the completeness grid, the control chart.

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
import pandas as pd

from .theme import (
    SEVERITY_COLORS,
    TYPE_LABELS,
    type_color,
    with_labels,
)

__all__ = ["logging_chart", "completeness_grid", "spc_chart"]


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
        color=type_color(),
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


def completeness_grid(grid: pd.DataFrame) -> alt.Chart:
    """Episode × day view of follow-up: logged days shaded by soreness, gaps left empty.

    ``grid`` is :func:`recovery_toolkit.analysis.logging_grid`'s table (a bounded number of
    episodes, for a quality review).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> grid = analysis.logging_grid(rt.load_logs(rt.sample_path()).logs, max_episodes=10)
    >>> completeness_grid(grid).to_dict()["encoding"]["y"]["field"]
    'episode_id'
    """
    return (
        alt.Chart(grid)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("day:O", title="Days since treatment", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("episode_id:N", title=None, sort=None),
            color=alt.condition(
                "datum.logged",
                alt.Color(
                    "soreness:Q",
                    title="Soreness",
                    scale=alt.Scale(scheme="oranges", domain=[0, 10]),
                ),
                alt.value("#f0f0f0"),
            ),
            tooltip=["episode_id:N", "day:O", "logged:N", "soreness:Q"],
        )
        .properties(title="Follow-up by episode and day (grey: no log)", height=alt.Step(12))
    )


def spc_chart(spc: pd.DataFrame, *, series: str = "all") -> alt.LayerChart:
    """p-chart of monthly red-flag incidence with centre line, 3-sigma limits and signals.

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
    data["status"] = data["signal"].map({True: "signal", False: "in control"})
    base = alt.Chart(data).encode(x=alt.X("yearmonth(month):T", title="Treatment month"))
    y = alt.Y("p:Q", title="Episodes with any red flag", axis=alt.Axis(format="%"))
    centre = base.mark_line(color="#555555", strokeDash=[6, 4], strokeWidth=1.5).encode(
        y="center:Q"
    )
    ucl = base.mark_line(color="#999999", interpolate="step", strokeWidth=1.2).encode(y="ucl:Q")
    lcl = base.mark_line(color="#999999", interpolate="step", strokeWidth=1.2).encode(y="lcl:Q")
    line = base.mark_line(color="#0072B2").encode(y=y)
    tooltip = [
        alt.Tooltip("yearmonth(month):T", title="Month"),
        alt.Tooltip("n:Q", title="Episodes"),
        alt.Tooltip("events:Q", title="With a red flag"),
        alt.Tooltip("p:Q", title="Share", format=".1%"),
        alt.Tooltip("ucl:Q", title="Upper limit", format=".1%"),
        alt.Tooltip("status:N", title="Status"),
    ]
    points = base.mark_point(size=70).encode(
        y="p:Q",
        color=alt.Color(
            "status:N",
            title=None,
            scale=alt.Scale(
                domain=["in control", "signal"], range=["#0072B2", SEVERITY_COLORS["urgent"]]
            ),
        ),
        tooltip=tooltip,
    )
    label = "all treatment types" if series == "all" else TYPE_LABELS.get(series, series)
    return (centre + ucl + lcl + line + points).properties(
        title=f"Monthly red-flag incidence, {label} (p-chart)"
    )
