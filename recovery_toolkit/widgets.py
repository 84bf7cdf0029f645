"""Interactive explorers for notebooks and Voila: thin views over analysis and charts.

Each explorer wires ipywidgets controls to package functions and holds no statistics of its
own. Every explorer works on the bundled sample or on the user's own data::

    from recovery_toolkit import load_logs
    from recovery_toolkit.widgets import PatientExplorer
    PatientExplorer(load_logs("my_export.csv"))

Charts are ``altair.JupyterChart`` widgets with the Vega libraries inlined (offline; see
:func:`recovery_toolkit.charts.enable_offline`). Controls are ordinary widgets, so an explorer
is testable without a browser: set a control's ``.value`` and read the explorer's attributes.

Examples
--------
>>> import recovery_toolkit as rt
>>> explorer = PatientExplorer(rt.load_logs(rt.sample_path()))
>>> explorer.patient.value = "P000002"
>>> explorer.episode_id
'E0000002'
"""

from __future__ import annotations

import base64
import html
import warnings
from dataclasses import dataclass

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd

from . import analysis, charts, vocab
from .errors import RecoveryToolkitWarning
from .io.load import LoadResult
from .io.writers import neutralise_formulas
from .schemas import TREATMENT_DTYPE

__all__ = ["PatientExplorer", "CohortExplorer", "AdherenceExplorer", "table_html"]

_TYPE_LABELS = {code: term.label for code, term in vocab.TREATMENT_TYPES.items()}
_SEVERITY_STYLE = {
    "urgent": "background:#fde0d6;border-left:6px solid #D55E00",
    "prompt": "background:#fff1d6;border-left:6px solid #E69F00",
    "review": "background:#e3f2fb;border-left:6px solid #56B4E9",
}


def _logs_of(data: LoadResult | pd.DataFrame) -> pd.DataFrame:
    return data.logs if isinstance(data, LoadResult) else data


def table_html(frame: pd.DataFrame, *, max_rows: int = 50, digits: int = 3) -> str:
    """An HTML table with every cell escaped (safe for notes and IDs), numbers right-aligned
    (``td.num``) and floats to ``digits`` decimals without trailing zeros.

    Examples
    --------
    >>> "<td>&lt;script&gt;</td>" in table_html(pd.DataFrame({"note": ["<script>"]}))
    True
    >>> table_html(pd.DataFrame({"p": [0.25]})).count('<td class="num">0.25</td>')
    1
    """

    def cell(value: object) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            return ""
        if isinstance(value, float):
            return f"{value:,.{digits}f}".rstrip("0").rstrip(".")
        return html.escape(str(value))

    def td(value: object) -> str:
        number = isinstance(value, (int, float, np.integer, np.floating))
        if number and not isinstance(value, (bool, np.bool_)):
            return f'<td class="num">{cell(value)}</td>'
        return f"<td>{cell(value)}</td>"

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(td(v) for v in row) + "</tr>"
        for row in frame.head(max_rows).itertuples(index=False)
    )
    more = (
        f"<caption>first {max_rows:,} of {len(frame):,} rows</caption>"
        if len(frame) > max_rows
        else ""
    )
    return (
        f'<table class="rt-table">{more}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def _download_link(frame: pd.DataFrame, name: str) -> str:
    text = neutralise_formulas(frame).to_csv(index=False, lineterminator="\n")
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a download="{html.escape(name)}" href="data:text/csv;base64,{payload}">'
        f"Download {html.escape(name)} ({len(frame):,} rows)</a>"
    )


def _chart_widget(chart: alt.TopLevelMixin) -> alt.JupyterChart:
    charts.enable_offline()
    return alt.JupyterChart(chart)


def _with_data(template: alt.TopLevelMixin, data: pd.DataFrame, title: str) -> alt.TopLevelMixin:
    """The template chart with other data and title: no rebuild, no re-validation."""
    chart = template.copy(deep=False)
    chart.data = data
    chart.title = title
    return chart


@dataclass(frozen=True)
class _EpisodeIndex:
    """Logs sorted by episode, so one episode's rows are a slice found by binary search."""

    logs: pd.DataFrame
    ids: np.ndarray
    starts: np.ndarray

    @classmethod
    def build(cls, logs: pd.DataFrame) -> _EpisodeIndex:
        ordered = logs.sort_values(["episode_id", "day"], kind="stable", ignore_index=True)
        codes, ids = pd.factorize(ordered["episode_id"], sort=True)
        starts = np.searchsorted(codes, np.arange(len(ids) + 1))
        return cls(ordered, np.asarray(ids, dtype=object), starts)

    def rows(self, episode_id: str) -> pd.DataFrame:
        i = int(np.searchsorted(self.ids, episode_id))
        if i >= len(self.ids) or self.ids[i] != episode_id:
            raise KeyError(f"no logs for episode {episode_id!r}")
        return self.logs.iloc[self.starts[i] : self.starts[i + 1]]


class PatientExplorer:
    """Pick a patient and an episode; see their soreness against patients after the same
    treatment, their alerts with explanations, the checklist by day and their follow-up.

    Parameters
    ----------
    data : LoadResult or DataFrame
        Canonical logs (e.g. ``load_logs("my_export.csv")``).
    window_days : int, default 14
        Days of the window shown and used for the reference bands.

    Attributes
    ----------
    patient, episode : ipywidgets.Combobox, ipywidgets.Dropdown
        The controls.
    episode_id : str
        The episode shown.
    trajectory : DataFrame
        The shown episode's trajectory with the reference band.
    chart : altair.LayerChart
        The shown trajectory chart.
    widget : ipywidgets.VBox
        The whole explorer (displayed when the explorer is the last expression of a cell).
    """

    def __init__(self, data: LoadResult | pd.DataFrame, *, window_days: int = 14) -> None:
        logs = _logs_of(data)
        self.window_days = window_days
        self._index = _EpisodeIndex.build(logs)
        self.episodes = analysis.episode_table(logs, window_days=window_days)
        self._curve = analysis.recovery_curve(logs, window_days=window_days)
        self._alerts = analysis.alerts(
            logs, self.episodes, curve=self._curve, window_days=window_days
        )
        self._alert_groups = self._alerts.groupby("episode_id", sort=False).indices
        self._by_patient = self.episodes.groupby("patient_id", sort=True).indices
        patients = list(self._by_patient)
        self.patient = widgets.Combobox(
            options=patients,
            value=patients[0],
            ensure_option=True,
            placeholder="Type a patient ID",
            description="Patient",
        )
        self.episode = widgets.Dropdown(description="Episode")
        self.header = widgets.HTML()
        self.alerts_view = widgets.HTML()
        self.follow_up = widgets.HTML()
        self.episode_id = ""
        self._choosing = False
        self._set_episode_options(patients[0])
        first = self.episode.value
        rows = self._index.rows(first)
        self._trajectory_template = charts.trajectory_chart(
            analysis.episode_trajectory(rows, first, curve=self._curve, window_days=window_days)
        )
        self._checklist_template = charts.checklist_grid(analysis.episode_checklist(rows, first))
        self._show(first)
        self.trajectory_view = _chart_widget(self.chart)
        self.checklist_view = _chart_widget(self._checklist_chart)
        self.patient.observe(self._on_patient, names="value")
        self.episode.observe(self._on_episode, names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.patient, self.episode]),
                self.header,
                widgets.HBox([self.trajectory_view, self.alerts_view]),
                self.checklist_view,
                self.follow_up,
            ]
        )

    def _ipython_display_(self) -> None:  # pragma: no cover - needs a front end
        from IPython.display import display

        display(self.widget)

    def _set_episode_options(self, patient_id: str) -> None:
        rows = self.episodes.iloc[self._by_patient[patient_id]]
        options = [
            (
                f"{r.episode_id} · {_TYPE_LABELS.get(str(r.treatment_type))} · "
                f"{pd.Timestamp(r.treatment_date):%Y-%m-%d}",
                r.episode_id,
            )
            for r in rows.itertuples(index=False)
        ]
        self._choosing = True  # one redraw per patient, not one per option change
        try:
            self.episode.options = options
            self.episode.value = options[-1][1]  # the most recent episode
        finally:
            self._choosing = False

    def _on_patient(self, change: dict) -> None:
        if change["new"] in self._by_patient:
            self._set_episode_options(change["new"])
            self._redraw(self.episode.value)

    def _on_episode(self, change: dict) -> None:
        if change["new"] and not self._choosing:
            self._redraw(change["new"])

    def _redraw(self, episode_id: str) -> None:
        self._show(episode_id)
        # the templates were validated once; send the specs without validating them again
        self.trajectory_view.spec = self.chart.to_dict(validate=False)
        self.checklist_view.spec = self._checklist_chart.to_dict(validate=False)

    def _show(self, episode_id: str) -> None:
        rows = self._index.rows(episode_id)
        self.episode_id = episode_id
        self.trajectory = analysis.episode_trajectory(
            rows, episode_id, curve=self._curve, window_days=self.window_days
        )
        facts = self.episodes.iloc[int(np.searchsorted(self.episodes["episode_id"], episode_id))]
        kind = _TYPE_LABELS.get(str(facts["treatment_type"]), str(facts["treatment_type"]))
        title = f"{facts['patient_id']} · {kind} · episode {episode_id}"
        self.chart = _with_data(self._trajectory_template, self.trajectory, title)
        self._checklist_chart = _with_data(
            self._checklist_template,
            charts.checklist_frame(analysis.episode_checklist(rows, episode_id)),
            "Home-care checklist by day",
        )
        status = (
            f"resolved on day {int(facts['time'])}"
            if facts["resolved"]
            else f"not resolved (last log on day {int(facts['last_day'])})"
        )
        self.header.value = (
            f"<h3 style='margin:4px 0'>Patient {html.escape(str(facts['patient_id']))}</h3>"
            f"<div>{html.escape(kind)} on {pd.Timestamp(facts['treatment_date']):%d %b %Y} · "
            f"baseline soreness {int(facts['baseline_soreness'])}/10 · {status}</div>"
        )
        self.alerts_view.value = self._alerts_html(episode_id)
        self.follow_up.value = (
            f"<b>Follow-up</b>: {int(facts['days_logged'])} of {self.window_days + 1} days logged "
            f"({facts['completeness']:.0%}), last log on day {int(facts['last_day'])}"
            + (" · <b>lost to follow-up</b>" if facts["lost_to_follow_up"] else "")
        )

    def _alerts_html(self, episode_id: str) -> str:
        positions = self._alert_groups.get(episode_id)
        if positions is None:
            return "<div style='padding:8px'><b>Alerts</b><br>No alerts for this episode.</div>"
        items = "".join(
            f"<div style='{_SEVERITY_STYLE[a.severity]};padding:6px;margin:4px 0'>"
            f"<b>{html.escape(a.severity.upper())}</b> · day {int(a.day)}<br>"
            f"{html.escape(a.explanation)}</div>"
            for a in self._alerts.iloc[positions].itertuples(index=False)
        )
        return f"<div style='max-width:420px'><b>Alerts</b>{items}</div>"


class CohortExplorer:
    """Filter the cohort and see recovery curves, time to resolution, red flags and SPC.

    Filters: treatment types, sites, treatment date range, window and resolution threshold.
    The *Table* tab shows the table behind the active chart with a CSV download.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> explorer = CohortExplorer(rt.load_logs(rt.sample_path()))
    >>> explorer.types.value = ("injection",)
    >>> sorted(explorer.tables["recovery_curve"]["treatment_type"].astype(str).unique())
    ['injection']
    """

    _TABS = ("recovery_curve", "time_to_resolution", "red_flag_incidence", "spc")
    _TITLES = ("Recovery curves", "Time to resolution", "Red flags", "Control chart", "Table")

    def __init__(self, data: LoadResult | pd.DataFrame) -> None:
        self.logs = _logs_of(data)
        present = [
            t for t in TREATMENT_DTYPE.categories if (self.logs["treatment_type"] == t).any()
        ]
        sites = sorted(self.logs["site"].dropna().unique().tolist())
        first, last = self.logs["treatment_date"].min(), self.logs["treatment_date"].max()
        self.types = widgets.SelectMultiple(
            options=[(_TYPE_LABELS[t], t) for t in present],
            value=tuple(present),
            description="Treatment",
            rows=4,
        )
        self.sites = widgets.SelectMultiple(
            options=sites, value=tuple(sites), description="Site", rows=4
        )
        self.start = widgets.DatePicker(description="From", value=first.date())
        self.end = widgets.DatePicker(description="To", value=last.date())
        self.window = widgets.IntSlider(value=14, min=7, max=28, description="Window (days)")
        self.resolved_at = widgets.IntSlider(value=2, min=0, max=5, description="Resolved ≤")
        self.summary = widgets.HTML()
        self.tables: dict[str, pd.DataFrame] = {}
        self.charts: dict[str, alt.TopLevelMixin] = {}
        self._refresh()
        self.views = {name: _chart_widget(self.charts[name]) for name in self._TABS}
        self.table_view = widgets.HTML()
        self.table_choice = widgets.Dropdown(
            options=[(t, n) for t, n in zip(self._TITLES, self._TABS, strict=False)],
            description="Table",
        )
        self.tabs = widgets.Tab(
            children=[*self.views.values(), widgets.VBox([self.table_choice, self.table_view])],
            titles=self._TITLES,
        )
        self._show_table()
        for control in (
            self.types,
            self.sites,
            self.start,
            self.end,
            self.window,
            self.resolved_at,
        ):
            control.observe(self._on_filter, names="value")
        self.table_choice.observe(lambda _: self._show_table(), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.types, self.sites]),
                widgets.HBox([self.start, self.end]),
                widgets.HBox([self.window, self.resolved_at]),
                self.summary,
                self.tabs,
            ]
        )

    def _ipython_display_(self) -> None:  # pragma: no cover - needs a front end
        from IPython.display import display

        display(self.widget)

    def selection(self) -> pd.DataFrame:
        """The logs that pass the current filters."""
        logs = self.logs
        keep = logs["treatment_type"].isin(self.types.value) & logs["site"].isin(self.sites.value)
        if self.start.value is not None:
            keep &= logs["treatment_date"] >= pd.Timestamp(self.start.value)
        if self.end.value is not None:
            keep &= logs["treatment_date"] <= pd.Timestamp(self.end.value)
        return logs.loc[keep]

    def _refresh(self) -> None:
        logs = self.selection()
        window = self.window.value
        if logs.empty:
            self.summary.value = "<b>No episodes match the filters.</b>"
            return
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RecoveryToolkitWarning)
            self._compute(logs, window)
        notes = "".join(f"<li>{html.escape(str(w.message))}</li>" for w in caught)
        self.summary.value += f"<ul style='color:#666;margin:2px 0'>{notes}</ul>" if notes else ""

    def _compute(self, logs: pd.DataFrame, window: int) -> None:
        episodes = analysis.episode_table(
            logs, window_days=window, resolved_at=self.resolved_at.value
        )
        curve = analysis.recovery_curve(logs, window_days=window)
        self.tables = {
            "recovery_curve": curve,
            "time_to_resolution": analysis.time_to_resolution(episodes),
            "red_flag_incidence": analysis.red_flag_incidence(episodes),
            "spc": analysis.p_chart(episodes),
        }
        self.charts = {
            "recovery_curve": charts.recovery_curve_chart(curve),
            "time_to_resolution": charts.km_chart(analysis.km_curve(episodes, window_days=window)),
            "red_flag_incidence": charts.incidence_chart(self.tables["red_flag_incidence"]),
            "spc": charts.spc_chart(self.tables["spc"]),
        }
        self.summary.value = (
            f"<b>{len(episodes):,}</b> episodes of <b>{episodes['patient_id'].nunique():,}</b> "
            f"patients · {len(logs):,} logs"
        )

    def _on_filter(self, change: dict) -> None:
        self._refresh()
        for name, view in self.views.items():
            if name in self.charts:
                view.chart = self.charts[name]
        self._show_table()

    def _show_table(self) -> None:
        name = self.table_choice.value
        table = self.tables.get(name, pd.DataFrame())
        self.table_view.value = _download_link(table, f"{name}.csv") + table_html(table)


class AdherenceExplorer:
    """Does following the home-care checklist go with faster recovery? (Association only.)

    Pick checklist items and adherence groups; see adherence by item and treatment type, time
    to resolution by adherence group with a log-rank test, and drill into the episodes behind
    one item × treatment type cell.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> explorer = AdherenceExplorer(rt.load_logs(rt.sample_path()))
    >>> explorer.drill_item.value = "care_sleep"
    >>> explorer.drill_type.value = "injection"
    >>> set(explorer.drilled["treatment_type"].astype(str))
    {'injection'}
    """

    def __init__(self, data: LoadResult | pd.DataFrame) -> None:
        self.logs = _logs_of(data)
        self.episodes = analysis.episode_table(self.logs)
        self.adherence = analysis.adherence_table(self.episodes)
        items = list(analysis.ADHERENCE_ITEMS)
        labels = {
            **{c: t.label for c, t in vocab.CARE_ITEMS.items()},
            "cold_then_heat": "Cold first, then heat",
        }
        self.items = widgets.SelectMultiple(
            options=[(labels[i], i) for i in items], value=tuple(items), description="Items", rows=8
        )
        self.groups = widgets.SelectMultiple(
            options=["high", "partial", "low"],
            value=("high", "partial", "low"),
            description="Groups",
            rows=3,
        )
        self.drill_item = widgets.Dropdown(
            options=[(labels[i], i) for i in items], description="Item"
        )
        types = [
            t for t in TREATMENT_DTYPE.categories if (self.episodes["treatment_type"] == t).any()
        ]
        self.drill_type = widgets.Dropdown(
            options=[(_TYPE_LABELS[t], t) for t in types], description="Treatment"
        )
        self.test_view = widgets.HTML()
        self.drill_view = widgets.HTML()
        self._update_charts()
        self.heatmap_view = _chart_widget(self.heatmap)
        self.km_view = _chart_widget(self.km)
        self._drill()
        self.items.observe(self._on_change, names="value")
        self.groups.observe(self._on_change, names="value")
        self.drill_item.observe(lambda _: self._drill(), names="value")
        self.drill_type.observe(lambda _: self._drill(), names="value")
        caution = widgets.HTML(f"<p style='color:#8a4b00'><b>Caution.</b> {analysis.CAUTION}</p>")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.items, self.groups]),
                caution,
                widgets.HBox([self.heatmap_view, self.km_view]),
                self.test_view,
                widgets.HBox([self.drill_item, self.drill_type]),
                self.drill_view,
            ]
        )

    def _ipython_display_(self) -> None:  # pragma: no cover - needs a front end
        from IPython.display import display

        display(self.widget)

    def _update_charts(self) -> None:
        chosen = self.adherence.loc[self.adherence["item"].isin(self.items.value)]
        self.heatmap = charts.adherence_heatmap(chosen)
        scored = self.episodes.loc[self.episodes["adherence_group"].isin(self.groups.value)]
        scored = scored.assign(adherence_group=scored["adherence_group"].astype("str"))
        km = analysis.km_curve(scored, by="adherence_group")
        self.km = charts.km_chart(km, by="adherence_group").properties(
            title="Time to resolution by adherence group"
        )
        if scored["adherence_group"].nunique() >= 2:
            self.test = analysis.logrank(scored, by="adherence_group", caution=analysis.CAUTION)
            self.test_view.value = self.test._repr_html_()
        else:
            self.test = None
            self.test_view.value = "<p>Pick two groups or more for the log-rank test.</p>"

    def _on_change(self, change: dict) -> None:
        self._update_charts()
        self.heatmap_view.chart = self.heatmap
        self.km_view.chart = self.km

    def _drill(self) -> None:
        item, kind = self.drill_item.value, self.drill_type.value
        episodes = self.episodes.loc[self.episodes["treatment_type"] == kind]
        answered = episodes[f"answered_{item}"]
        table = pd.DataFrame(
            {
                "episode_id": episodes["episode_id"],
                "patient_id": episodes["patient_id"],
                "treatment_type": episodes["treatment_type"],
                "days_answered": answered,
                "days_adherent": episodes[f"adherent_{item}"],
                "proportion": episodes[f"adherent_{item}"] / answered.where(answered > 0),
                "resolved": episodes["resolved"],
                "days_to_resolution": episodes["time"].where(episodes["resolved"]),
            }
        ).sort_values("proportion", na_position="last")
        self.drilled = table.reset_index(drop=True)
        self.drill_view.value = table_html(self.drilled, max_rows=30, digits=2)
