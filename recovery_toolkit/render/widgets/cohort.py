"""``CohortExplorer`` (filters, curves, time to resolution, red flags, control chart) and
``AdherenceExplorer`` (home-care checklist and recovery; association only).

Examples
--------
>>> import recovery_toolkit as rt
>>> explorer = CohortExplorer(rt.load_logs(rt.sample_path()), window_days=21)
>>> int(explorer.tables["recovery_curve"]["day"].max())
21
"""

from __future__ import annotations

import datetime as dt
import html
import warnings

import altair as alt
import ipywidgets as widgets
import pandas as pd

from ... import analysis, vocab
from ...analysis.landmark import CAUTION as LANDMARK_CAUTION
from ...analysis.settings import Settings
from ...errors import RecoveryToolkitWarning
from .. import charts
from ..html import TABLE_STYLE, download_link, table_html
from .common import TYPE_LABELS, Explorer, chart_widget, present_types

__all__ = ["CohortExplorer", "AdherenceExplorer"]

#: The window slider's range (days), widened to include the settings' window.
_WINDOWS = (7, 28)


class CohortExplorer(Explorer):
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

    def _build(self) -> None:
        present = present_types(self.logs["treatment_type"])
        sites = sorted(self.logs["site"].dropna().unique().tolist())
        first, last = self.logs["treatment_date"].min(), self.logs["treatment_date"].max()
        self.types = widgets.SelectMultiple(
            options=[(TYPE_LABELS[t], t) for t in present],
            value=tuple(present),
            description="Treatment",
            rows=4,
        )
        self.sites = widgets.SelectMultiple(
            options=sites, value=tuple(sites), description="Site", rows=4
        )
        # ISO dates as everywhere else in the toolkit (a date picker shows the browser's
        # locale, e.g. 01/07/2025); applied on Enter or leaving the box
        self.start = _date_box("From", first.date())
        self.end = _date_box("To", last.date())
        window, resolved_at = self.settings.window_days, self.settings.resolved_at
        self.window = widgets.IntSlider(
            value=window,
            min=min(_WINDOWS[0], window),
            max=max(_WINDOWS[1], window),
            description="Window (days)",
            style={"description_width": "initial"},  # the whole label, not "Window (…"
        )
        self.resolved_at = widgets.IntSlider(
            value=resolved_at, min=0, max=max(5, resolved_at), description="Resolved ≤"
        )
        self.summary = widgets.HTML()
        self.tables: dict[str, pd.DataFrame] = {}
        self.charts: dict[str, alt.TopLevelSpec] = {}
        self._refresh()
        self.views = {name: chart_widget(self.charts[name]) for name in self._TABS}
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

    def selection(self) -> pd.DataFrame:
        """The logs that pass the current filters."""
        logs = self.logs
        keep = logs["treatment_type"].isin(self.types.value) & logs["site"].isin(self.sites.value)
        start, end = _iso_date(self.start.value), _iso_date(self.end.value)
        if start is not None:
            keep &= logs["treatment_date"] >= pd.Timestamp(start)
        if end is not None:
            keep &= logs["treatment_date"] <= pd.Timestamp(end)
        return logs.loc[keep]

    def _refresh(self) -> None:
        for box in (self.start, self.end):
            text = str(box.value).strip()
            if text and _iso_date(text) is None:
                self.summary.value = (
                    f"<b>{html.escape(box.description)} {html.escape(text)} is not a date:</b> "
                    "write it as YYYY-MM-DD, e.g. 2025-03-31 (or leave it empty)."
                )
                return
        logs = self.selection()
        settings = self.settings.replace(
            window_days=self.window.value, resolved_at=self.resolved_at.value
        )
        if logs.empty:
            self.summary.value = "<b>No episodes match the filters.</b>"
            return
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RecoveryToolkitWarning)
            self._compute(logs, settings)
        notes = "".join(f"<li>{html.escape(str(w.message))}</li>" for w in caught)
        self.summary.value += f"<ul style='color:#666;margin:2px 0'>{notes}</ul>" if notes else ""

    def _compute(self, logs: pd.DataFrame, settings: Settings) -> None:
        episodes = analysis.episode_table(logs, settings)
        curve = analysis.recovery_curve(logs, settings)
        self.tables = {
            "recovery_curve": curve,
            "time_to_resolution": analysis.time_to_resolution(episodes, settings),
            "red_flag_incidence": analysis.red_flag_incidence(episodes),
            "spc": analysis.p_chart(episodes),
        }
        self.charts = {
            "recovery_curve": charts.recovery_curve_chart(curve),
            "time_to_resolution": charts.km_chart(
                analysis.km_curve(episodes, settings), window_days=settings.window_days
            ),
            "red_flag_incidence": charts.incidence_chart(self.tables["red_flag_incidence"]),
            "spc": charts.spc_chart(self.tables["spc"], label=self._chosen_types()),
        }
        self.summary.value = (
            f"<b>{len(episodes):,}</b> episodes of <b>{episodes['patient_id'].nunique():,}</b> "
            f"patients · {len(logs):,} logs"
        )

    def _chosen_types(self) -> str:
        """The treatment types the filter keeps, in words (for chart titles)."""
        chosen = list(self.types.value)
        if len(chosen) == len(self.types.options):
            return "all treatment types"
        return ", ".join(TYPE_LABELS.get(str(t), str(t)) for t in chosen)

    def _on_filter(self, change: dict) -> None:
        self._refresh()
        for name, view in self.views.items():
            if name in self.charts:
                view.chart = self.charts[name]
        self._show_table()

    def _show_table(self) -> None:
        name = self.table_choice.value
        table = self.tables.get(name, pd.DataFrame())
        self.table_view.value = (
            TABLE_STYLE + download_link(table, f"{name}.csv") + table_html(table)
        )


class AdherenceExplorer(Explorer):
    """Does following the home-care checklist go with faster recovery? (Association only.)

    Pick checklist items; see adherence by item and treatment type, the hazard ratios of
    resolution after the landmark day for adherence before it (adjusted, robust by patient; a
    comparison over the whole window would count days after resolution), and drill into the
    episodes behind one item × treatment type cell.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> explorer = AdherenceExplorer(rt.load_logs(rt.sample_path()))
    >>> explorer.drill_item.value = "care_sleep"
    >>> explorer.drill_type.value = "injection"
    >>> set(explorer.drilled["treatment_type"].astype(str))
    {'injection'}
    """

    def _build(self) -> None:
        self.episodes = analysis.episode_table(self.logs, self.settings)
        self.adherence = analysis.adherence_table(self.episodes)
        with warnings.catch_warnings():  # a model that cannot be fitted shows as an empty row
            warnings.simplefilter("ignore", RecoveryToolkitWarning)
            self.landmark = analysis.adherence_landmark(self.episodes, self.settings)
        items = list(analysis.ADHERENCE_ITEMS)
        labels = vocab.ITEM_LABELS
        self.items = widgets.SelectMultiple(
            options=[(labels[i], i) for i in items], value=tuple(items), description="Items", rows=8
        )
        self.drill_item = widgets.Dropdown(
            options=[(labels[i], i) for i in items], description="Item"
        )
        types = present_types(self.episodes["treatment_type"])
        self.drill_type = widgets.Dropdown(
            options=[(TYPE_LABELS[t], t) for t in types], description="Treatment"
        )
        self.landmark_view = widgets.HTML()
        self.drill_view = widgets.HTML()
        self._update_charts()
        self.heatmap_view = chart_widget(self.heatmap)
        self._drill()
        self.items.observe(self._on_change, names="value")
        self.drill_item.observe(lambda _: self._drill(), names="value")
        self.drill_type.observe(lambda _: self._drill(), names="value")
        caution = widgets.HTML(f"<p style='color:#8a4b00'><b>Caution.</b> {LANDMARK_CAUTION}</p>")
        self.widget = widgets.VBox(
            [
                self.items,
                self.heatmap_view,
                caution,
                self.landmark_view,
                widgets.HBox([self.drill_item, self.drill_type]),
                self.drill_view,
            ]
        )

    def _update_charts(self) -> None:
        chosen = self.adherence.loc[self.adherence["item"].isin(self.items.value)]
        self.heatmap = charts.adherence_heatmap(chosen)
        shown = self.landmark.loc[self.landmark["item"].isin([*self.items.value, "score"])]
        day = self.settings.landmark_day
        self.landmark_view.value = (
            f"<p><b>Adherence on days 0–{day - 1} and recovery after day {day}</b> (hazard "
            "ratio per 1.0 of adherent share; above 1: faster resolution)</p>"
            + TABLE_STYLE
            + table_html(shown, digits=3)
        )

    def _on_change(self, change: dict) -> None:
        self._update_charts()
        self.heatmap_view.chart = self.heatmap

    def _drill(self) -> None:
        item, kind = self.drill_item.value, self.drill_type.value
        table = analysis.item_episodes(self.episodes, item, treatment_type=kind)
        self.drilled = table.reset_index(drop=True)
        self.drill_view.value = TABLE_STYLE + table_html(self.drilled, max_rows=30, digits=2)


def _date_box(label: str, value: dt.date) -> widgets.Text:
    """A date filter written as ISO text (empty: no bound)."""
    return widgets.Text(
        value=value.isoformat(),
        description=label,
        placeholder="YYYY-MM-DD",
        continuous_update=False,
        layout=widgets.Layout(width="220px"),
    )


def _iso_date(text: object) -> dt.date | None:
    """The date an ISO ``YYYY-MM-DD`` text names; ``None`` when empty or not a date.

    Examples
    --------
    >>> _iso_date("2025-03-31"), _iso_date(""), _iso_date("31/03/2025")
    (datetime.date(2025, 3, 31), None, None)
    """
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        return None
