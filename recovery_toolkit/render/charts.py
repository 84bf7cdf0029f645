"""Altair charts: aggregated frame in, ``alt.Chart`` out, one theme.

Every builder takes a table the analysis layer already aggregated (a recovery curve, a
Kaplan–Meier curve, an incidence table, ...), so the data embedded in a chart never grows with
the number of log rows, and no patient-level rows leave the machine inside a chart unless a
builder is explicitly about one episode. Charts compose with ``+``, ``|`` and ``&``.

The look (:mod:`.theme`): the ``recovery_toolkit`` theme, registered on import and used once
enabled, has readable defaults and the Okabe–Ito colour-blind-safe palette for the four
treatment types. Call :func:`enable_offline` in a notebook so charts render without internet
access (JupyterLab, Notebook 7 and Voila) in that theme. :func:`save_chart` writes PNG, SVG or
HTML offline too. The quality-review charts are in :mod:`.quality_charts`.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit import analysis
>>> from recovery_toolkit.render import charts
>>> curve = analysis.recovery_curve(rt.load_logs(rt.sample_path()).logs)
>>> spec = charts.recovery_curve_chart(curve).to_dict()
>>> sorted(layer["mark"]["type"] for layer in spec["layer"])
['area', 'line', 'point']
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import vocab
from .quality_charts import NO_LOG_COLOR, completeness_grid, funnel_chart, logging_chart, spc_chart
from .theme import (
    FLAG_LABELS,
    ITEM_LABELS,
    SEVERITY_COLORS,
    SORENESS_SCALE,
    THEME,
    TYPE_COLORS,
    TYPE_LABELS,
    enable_offline,
    enable_theme,
    save_chart,
    type_color,
    with_labels,
)

__all__ = [
    "THEME",
    "TYPE_COLORS",
    "SEVERITY_COLORS",
    "enable_theme",
    "enable_offline",
    "save_chart",
    "recovery_curve_chart",
    "TRAJECTORY_SERIES",
    "model_curve_chart",
    "trajectory_chart",
    "trajectory_series",
    "km_chart",
    "incidence_chart",
    "adherence_heatmap",
    "checklist_grid",
    "checklist_frame",
    "logging_chart",
    "completeness_grid",
    "NO_LOG_COLOR",
    "spc_chart",
    "funnel_chart",
]


def recovery_curve_chart(curve: pd.DataFrame, *, statistic: str = "mean") -> alt.LayerChart:
    """Soreness by day per treatment type: the mean (or median) with its 95 % band.

    ``curve`` is :func:`recovery_toolkit.analysis.recovery_curve`'s table. With
    ``statistic="median"`` the band is the interquartile range.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> curve = analysis.recovery_curve(rt.load_logs(rt.sample_path()).logs)
    >>> spec = recovery_curve_chart(curve, statistic="median").to_dict()
    >>> spec["layer"][0]["encoding"]["y"]["field"]
    'p25'
    """
    low, high = ("ci_low", "ci_high") if statistic == "mean" else ("p25", "p75")
    data = with_labels(curve)
    base = alt.Chart(data).encode(
        x=alt.X("day:Q", title="Days since treatment", axis=alt.Axis(tickMinStep=1)),
        color=type_color(present=data["treatment_type"]),
    )
    band = base.mark_area(opacity=0.18).encode(
        y=alt.Y(f"{low}:Q", title="Soreness (0–10)", scale=SORENESS_SCALE), y2=f"{high}:Q"
    )
    tooltip = [
        alt.Tooltip("type_label:N", title="Treatment"),
        alt.Tooltip("day:Q", title="Day"),
        alt.Tooltip("n:Q", title="Logs"),
        alt.Tooltip("mean:Q", title="Mean", format=".2f"),
        alt.Tooltip("median:Q", title="Median"),
        alt.Tooltip(f"{low}:Q", title="Band low", format=".2f"),
        alt.Tooltip(f"{high}:Q", title="Band high", format=".2f"),
    ]
    line = base.mark_line().encode(y=alt.Y(f"{statistic}:Q", scale=SORENESS_SCALE))
    points = base.mark_point().encode(y=alt.Y(f"{statistic}:Q"), tooltip=tooltip)
    title = (
        "Soreness after treatment (mean, 95 % CI)"
        if statistic == "mean"
        else ("Soreness after treatment (median, IQR)")
    )
    return (band + line + points).properties(title=title)


def model_curve_chart(model: pd.DataFrame) -> alt.LayerChart:
    """The model-based mean soreness by day per treatment type with its 95 % band.

    ``model`` is :func:`recovery_toolkit.analysis.model_curve.recovery_curve_model`'s table.

    Examples
    --------
    >>> model = pd.DataFrame({"treatment_type": ["injection"] * 2, "day": [0, 1],
    ...                       "mean": [5.0, 4.0], "ci_low": [4.5, 3.6], "ci_high": [5.5, 4.4],
    ...                       "episodes_used": [80, 80]})
    >>> model_curve_chart(model).to_dict()["layer"][1]["encoding"]["y"]["field"]
    'mean'
    """
    base = alt.Chart(with_labels(model)).encode(
        x=alt.X("day:Q", title="Days since treatment", axis=alt.Axis(tickMinStep=1)),
        color=type_color(present=model["treatment_type"]),
    )
    band = base.mark_area(opacity=0.18).encode(
        y=alt.Y("ci_low:Q", title="Soreness (0–10)", scale=SORENESS_SCALE), y2="ci_high:Q"
    )
    tooltip = [
        alt.Tooltip("type_label:N", title="Treatment"),
        alt.Tooltip("day:Q", title="Day"),
        alt.Tooltip("mean:Q", title="Model mean", format=".2f"),
        alt.Tooltip("ci_low:Q", title="95 % CI low", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95 % CI high", format=".2f"),
        alt.Tooltip("episodes_used:Q", title="Episodes in the model"),
    ]
    line = base.mark_line(strokeDash=[6, 3]).encode(
        y=alt.Y("mean:Q", scale=SORENESS_SCALE), tooltip=tooltip
    )
    return (band + line).properties(
        title="Soreness after treatment, model-based (mixed model, 95 % CI)"
    )


#: The trajectory chart's series, in legend order, and their colours.
TRAJECTORY_SERIES = {
    "This patient": "#222222",
    "Median after the same treatment": "#3182bd",
    "Middle half of those patients (p25–p75)": "#6baed6",
    "80 % of those patients (p10–p90)": "#c6dbef",
    "Urgent red flag": SEVERITY_COLORS["urgent"],
    "Prompt red flag": SEVERITY_COLORS["prompt"],
}


def _series(shown: list[str]) -> alt.Color:
    """The colour of every series (each layer names its ``series``; the colours never depend on
    the data), one legend for all that lists only the series ``shown``."""
    return alt.Color(
        "series:N",
        scale=alt.Scale(domain=list(TRAJECTORY_SERIES), range=list(TRAJECTORY_SERIES.values())),
        legend=alt.Legend(
            title=None, orient="bottom", direction="vertical", labelLimit=320, values=shown
        ),
    )


def trajectory_series(trajectory: pd.DataFrame) -> tuple[str, ...]:
    """The series :func:`trajectory_chart` draws for ``trajectory``, in legend order: the line,
    the median and the bands, then the red-flag severities present.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> traj = analysis.episode_trajectory(rt.load_logs(rt.sample_path()).logs, "E0000073")
    >>> trajectory_series(traj)[-1]
    'Urgent red flag'
    """
    named = list(TRAJECTORY_SERIES)
    severities = set(trajectory.loc[trajectory["any_flag"].fillna(False), "flag_severity"])
    flags = [name for name in named[4:] if name.split()[0].lower() in severities]
    return tuple(named[:4] + flags)


def trajectory_chart(trajectory: pd.DataFrame, *, title: str = "") -> alt.LayerChart:
    """One episode's soreness over the p10–p90 and p25–p75 bands of its treatment type.

    ``trajectory`` is :func:`recovery_toolkit.analysis.episode_trajectory`'s table (at most one
    row per day of the window). The patient's line breaks where a day was not logged (a gap is
    not a measurement); a red-flag day gets a rule across the chart and a marker on the day,
    coloured by severity (urgent, prompt). One legend names the line, the median and the bands.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> traj = analysis.episode_trajectory(rt.load_logs(rt.sample_path()).logs, "E0000001")
    >>> len(trajectory_chart(traj).to_dict()["layer"])
    6
    """
    x = alt.X(
        "day:Q",
        title="Days since treatment",
        axis=alt.Axis(tickMinStep=1),
        scale=alt.Scale(domain=[0, max(int(trajectory["day"].max()), 1)], nice=False),
    )
    base = alt.Chart(trajectory).encode(x=x)
    named, color = list(TRAJECTORY_SERIES), _series(list(trajectory_series(trajectory)))
    outer = (
        base.transform_calculate(series=f"'{named[3]}'")
        .mark_area(opacity=0.6)
        .encode(
            y=alt.Y("p10:Q", title="Soreness (0–10)", scale=SORENESS_SCALE),
            y2="p90:Q",
            color=color,
        )
    )
    inner = (
        base.transform_calculate(series=f"'{named[2]}'")
        .mark_area(opacity=0.6)
        .encode(y="p25:Q", y2="p75:Q", color=color)
    )
    median = (
        base.transform_calculate(series=f"'{named[1]}'")
        .mark_line(strokeDash=[5, 3], strokeWidth=1.5)
        .encode(y="median:Q", color=color)
    )
    tooltip = [
        alt.Tooltip("day:Q", title="Day"),
        alt.Tooltip("soreness:Q", title="Soreness"),
        alt.Tooltip("median:Q", title="Median of others"),
        alt.Tooltip("p90:Q", title="90th percentile"),
        alt.Tooltip("flags:N", title="Red flags"),
    ]
    # runs of consecutive logged days: the line is drawn within a run, never across a gap
    own = (
        base.transform_calculate(series=f"'{named[0]}'", gap="isValid(datum.soreness) ? 0 : 1")
        .transform_window(run="sum(gap)", sort=[alt.SortField("day")], frame=[None, 0])
        .transform_filter("isValid(datum.soreness)")
    )
    line = own.mark_line(point=alt.OverlayMarkDef(size=60, filled=True)).encode(
        y="soreness:Q", detail="run:N", color=color, tooltip=tooltip
    )
    flagged = base.transform_filter("datum.any_flag").transform_calculate(
        series=f"datum.flag_severity == 'urgent' ? '{named[4]}' : '{named[5]}'"
    )
    rules = flagged.mark_rule(strokeWidth=3, opacity=0.55).encode(color=color, tooltip=tooltip)
    markers = flagged.mark_point(
        shape="diamond", size=320, filled=True, stroke="white", strokeWidth=1.5, opacity=1
    ).encode(y="soreness:Q", color=color, tooltip=tooltip)
    return (outer + inner + median + line + rules + markers).properties(
        title=title or "Soreness compared with patients after the same treatment", width=520
    )


def km_chart(
    km: pd.DataFrame, *, by: str = "treatment_type", window_days: int | None = None
) -> alt.LayerChart:
    """Kaplan–Meier step curves: share of episodes resolved by each day.

    ``km`` is :func:`recovery_toolkit.analysis.km_curve`'s table, or its shared version
    (:func:`recovery_toolkit.share.coarsen_km`, without counts). The x axis runs from day 0 to
    ``window_days`` (default: the last day in ``km``).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> km_chart(analysis.km_curve(eps)).to_dict()["layer"][0]["mark"]["interpolate"]
    'step-after'
    """
    if by == "treatment_type":
        data, color = with_labels(km), type_color(present=km["treatment_type"])
    else:
        data = km.assign(**{by: km[by].astype("str")})
        color = alt.Color(f"{by}:N", title=by.replace("_", " ").capitalize())
    last = window_days if window_days is not None else int(km["day"].max() if len(km) else 0)
    base = alt.Chart(data).encode(
        x=alt.X(
            "day:Q",
            title="Days since treatment",
            axis=alt.Axis(tickMinStep=1),
            scale=alt.Scale(domain=[0, last], nice=False),
        ),
        y=alt.Y(
            "resolved_share:Q",
            title="Resolved",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=color,
    )
    tooltip = [
        alt.Tooltip("day:Q", title="Day"),
        alt.Tooltip("resolved_share:Q", title="Resolved", format=".0%"),
    ]
    if "at_risk" in km.columns:  # a shared (coarsened) curve carries no counts
        tooltip += [
            alt.Tooltip("at_risk:Q", title="Still sore (at risk)"),
            alt.Tooltip("events:Q", title="Resolved that day"),
        ]
    step = base.mark_line(interpolate="step-after")
    points = base.mark_point(size=25, opacity=0.7).encode(tooltip=tooltip)
    return (step + points).properties(title="Time to resolution (Kaplan–Meier)")


def incidence_chart(incidence: pd.DataFrame, *, view: str = "proportion") -> alt.LayerChart:
    """Red-flag incidence per flag and treatment type with 95 % error bars.

    ``view="proportion"`` shows episodes with the flag (Wilson CI); ``view="rate"`` shows first
    flags per 100 episode-days (exact Poisson CI).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> spec = incidence_chart(analysis.red_flag_incidence(eps), view="rate").to_dict()
    >>> spec["layer"][1]["encoding"]["x"]["field"]
    'rate_per_100_days'
    """
    if view == "proportion":
        value, low, high, title, fmt = (
            "proportion",
            "ci_low",
            "ci_high",
            "Episodes with the flag",
            "%",
        )
    elif view == "rate":
        value, low, high = "rate_per_100_days", "rate_ci_low", "rate_ci_high"
        title, fmt = "First flags per 100 episode-days", ".2f"
    else:
        raise ValueError("view must be 'proportion' or 'rate'")
    data = with_labels(incidence)
    data["flag_label"] = data["flag"].map(FLAG_LABELS).fillna(data["flag"])
    order = [FLAG_LABELS[f] for f in FLAG_LABELS if f in set(data["flag"])]
    base = alt.Chart(data).encode(
        y=alt.Y("flag_label:N", title=None, sort=order, axis=alt.Axis(labelLimit=240)),
        yOffset=alt.YOffset("type_label:N", sort=[TYPE_LABELS[t] for t in TYPE_COLORS]),
        color=type_color(present=data["treatment_type"]),
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X(f"{low}:Q", title=title, axis=alt.Axis(format=fmt)), x2=f"{high}:Q"
    )
    tooltip = [
        alt.Tooltip("type_label:N", title="Treatment"),
        alt.Tooltip("flag_label:N", title="Flag"),
        alt.Tooltip("episodes:Q", title="Episodes"),
        alt.Tooltip("episodes_with_flag:Q", title="With the flag"),
        alt.Tooltip(f"{value}:Q", title="Estimate", format=".3f"),
        alt.Tooltip(f"{low}:Q", title="95 % CI low", format=".3f"),
        alt.Tooltip(f"{high}:Q", title="95 % CI high", format=".3f"),
    ]
    points = base.mark_point(size=60).encode(x=f"{value}:Q", tooltip=tooltip)
    title = (
        "Episodes with each red flag (share, 95 % CI)"
        if view == "proportion"
        else "First red flag per 100 episode-days (rate, 95 % CI)"
    )
    return (bars + points).properties(title=title, height=alt.Step(9))


def adherence_heatmap(adherence: pd.DataFrame, *, column: str = "treatment_type") -> alt.LayerChart:
    """Home-care adherence by item (rows) and treatment type (columns), shaded and labelled.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> adherence_heatmap(analysis.adherence_table(eps)).to_dict()["layer"][0]["mark"]["type"]
    'rect'
    """
    data = with_labels(adherence, column) if column == "treatment_type" else adherence.copy()
    x_field = "type_label" if column == "treatment_type" else column
    data["item_label"] = data["item"].map(ITEM_LABELS).fillna(data["item"])
    columns = list(TYPE_LABELS.values()) if column == "treatment_type" else "ascending"
    base = alt.Chart(data).encode(
        x=alt.X(
            f"{x_field}:N",
            title=None,
            sort=columns,
            axis=alt.Axis(labelAngle=0, labelLimit=120, orient="top", grid=False, ticks=False),
        ),
        y=alt.Y(
            "item_label:N",
            title=None,
            sort=list(ITEM_LABELS.values()),
            axis=alt.Axis(grid=False, ticks=False),
        ),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "proportion:Q",
            title="Adherent days",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=alt.Legend(format="%"),
        ),
        tooltip=[
            alt.Tooltip("item_label:N", title="Item"),
            alt.Tooltip(f"{x_field}:N", title="Group"),
            alt.Tooltip("days_answered:Q", title="Days answered"),
            alt.Tooltip("days_adherent:Q", title="Days adherent"),
            alt.Tooltip("proportion:Q", title="Adherent", format=".0%"),
        ],
    )
    text = (
        base.mark_text(fontSize=12)
        .encode(
            text=alt.Text("proportion:Q", format=".0%"),
            color=alt.condition("datum.proportion > 0.5", alt.value("white"), alt.value("#222")),
        )
        .transform_filter("isValid(datum.proportion)")
    )
    return (cells + text).properties(
        title="Home-care checklist adherence", width=alt.Step(125), height=alt.Step(26)
    )


def checklist_frame(checklist: pd.DataFrame) -> pd.DataFrame:
    """The data :func:`checklist_grid` plots: the checklist with readable item labels.

    Examples
    --------
    >>> frame = pd.DataFrame({"day": [0], "item": ["care_sleep"], "status": ["followed"]})
    >>> checklist_frame(frame)["item_label"].tolist()
    ['Restful sleep']
    """
    return checklist.assign(item_label=checklist["item"].map(ITEM_LABELS).fillna(checklist["item"]))


def checklist_grid(checklist: pd.DataFrame, *, window_days: int | None = None) -> alt.Chart:
    """One episode's checklist by day: followed, not followed, not answered.

    ``checklist`` is :func:`recovery_toolkit.analysis.episode_checklist`'s table. The day axis
    runs over the whole window (``window_days``, default 14) whatever was logged, so its
    columns line up with the soreness chart's days; a day without a log stays empty.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> grid = analysis.episode_checklist(rt.load_logs(rt.sample_path()).logs, "E0000001")
    >>> checklist_grid(grid).to_dict()["mark"]["type"]
    'rect'
    """
    data = checklist.assign(item_label=checklist["item"].map(ITEM_LABELS).fillna(checklist["item"]))
    states = ["followed", "not followed", "not answered", "not scored"]
    days = list(range((vocab.WINDOW_DAYS if window_days is None else window_days) + 1))
    return (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(
                "day:O",
                title="Days since treatment (empty: no log)",
                axis=alt.Axis(labelAngle=0),
                scale=alt.Scale(domain=days),
            ),
            y=alt.Y("item_label:N", title=None),
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(domain=states, range=["#009E73", "#D55E00", "#dddddd", "#f4f4f4"]),
            ),
            tooltip=[alt.Tooltip("item_label:N", title="Item"), "day:O", "status:N"],
        )
        .properties(title="Home-care checklist by day", height=alt.Step(18), width=520)
    )
