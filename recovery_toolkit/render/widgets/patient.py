"""``PatientExplorer``: one patient's recovery against patients after the same treatment.

Examples
--------
>>> import recovery_toolkit as rt
>>> explorer = PatientExplorer(rt.load_logs(rt.sample_path()))
>>> explorer.patient.value = "P000002"
>>> explorer.episode_id
'E0000002'
"""

from __future__ import annotations

import html
from typing import cast

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd

from ... import analysis
from .. import charts
from .common import SEVERITY_STYLE, TYPE_LABELS, EpisodeIndex, Explorer, chart_widget, with_data

__all__ = ["PatientExplorer"]


class PatientExplorer(Explorer):
    """Pick a patient and an episode; see their soreness against patients after the same
    treatment, their alerts with explanations, the checklist by day and their follow-up.

    Parameters
    ----------
    data : LoadResult, Results or DataFrame
        Canonical logs (e.g. ``load_logs("my_export.csv")``).
    settings : Settings, optional
        The notebook's settings: window shown and used for the reference bands, resolution
        and alert thresholds.
    window_days : int, optional
        One-off override of ``settings.window_days``.

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

    def _build(self) -> None:
        logs = self.logs
        self.window_days = self.settings.window_days
        self._index = EpisodeIndex.build(logs)
        self.episodes = analysis.episode_table(logs, self.settings)
        self._curve = analysis.recovery_curve(logs, self.settings)
        self._alerts = analysis.alerts(logs, self.episodes, self.settings, curve=self._curve)
        self._alert_groups = self._alerts.groupby("episode_id", sort=False).indices
        self._by_patient = self.episodes.groupby("patient_id", sort=True).indices
        patients = cast(list[str], list(self._by_patient))  # patient_id is a str column
        self.patient = widgets.Combobox(
            options=patients,
            value=patients[0],
            ensure_option=True,
            placeholder="Type a patient ID",
            description="Patient",
        )
        self.episode = widgets.Dropdown(
            description="Episode",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto", min_width="380px"),  # the whole label shows
        )
        self.message = widgets.HTML()
        self.header = widgets.HTML()
        self.alerts_view = widgets.HTML()
        self.follow_up = widgets.HTML()
        self.episode_id = ""
        self._choosing = False
        self._set_episode_options(patients[0])
        first = self.episode.value
        rows = self._index.rows(first)
        # one validated template per set of series drawn (the legend names only those)
        self._trajectory_templates: dict[tuple[str, ...], alt.TopLevelSpec] = {}
        self._checklist_template = charts.checklist_grid(
            analysis.episode_checklist(rows, first, self.settings),
            window_days=self.settings.window_days,
        )
        self._show(first)
        self.trajectory_view = chart_widget(self.chart)
        self.checklist_view = chart_widget(self._checklist_chart)
        self.patient.observe(self._on_patient, names="value")
        self.episode.observe(self._on_episode, names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.patient, self.episode]),
                self.message,
                self.header,
                widgets.HBox([self.trajectory_view, self.alerts_view]),
                self.checklist_view,
                self.follow_up,
            ]
        )

    def _set_episode_options(self, patient_id: str) -> None:
        rows = self.episodes.iloc[self._by_patient[patient_id]]
        options = [
            (
                f"{episode_id} · {TYPE_LABELS.get(str(kind))} · {pd.Timestamp(date):%Y-%m-%d}",
                episode_id,
            )
            for episode_id, kind, date in zip(
                rows["episode_id"].tolist(),
                rows["treatment_type"].tolist(),
                rows["treatment_date"].tolist(),
                strict=True,
            )
        ]
        self._choosing = True  # one redraw per patient, not one per option change
        try:
            self.episode.options = options
            self.episode.value = options[-1][1]  # the most recent episode
        finally:
            self._choosing = False

    def _on_patient(self, change: dict) -> None:
        typed = str(change["new"] or "").strip()
        if typed in self._by_patient:
            self.message.value = ""
            self._set_episode_options(typed)
            self._redraw(self.episode.value)
        elif typed:  # say so instead of silently keeping the previous patient on screen
            self.message.value = (
                f"<div style='color:#8a4b00;padding:2px 0'>No patient {html.escape(typed)} "
                f"in these logs; still showing {html.escape(self._shown_patient())}. Pick an "
                "ID from the list as you type.</div>"
            )

    def _shown_patient(self) -> str:
        at = int(np.searchsorted(self.episodes["episode_id"], self.episode_id))
        return str(self.episodes.iloc[at]["patient_id"])

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
            rows, episode_id, self.settings, curve=self._curve
        )
        facts = self.episodes.iloc[int(np.searchsorted(self.episodes["episode_id"], episode_id))]
        kind = TYPE_LABELS.get(str(facts["treatment_type"]), str(facts["treatment_type"]))
        title = f"{facts['patient_id']} · {kind} · episode {episode_id}"
        self.chart = with_data(self._trajectory_template(self.trajectory), self.trajectory, title)
        self._checklist_chart = with_data(
            self._checklist_template,
            charts.checklist_frame(analysis.episode_checklist(rows, episode_id, self.settings)),
            "Home-care checklist by day",
        )
        status = _status(facts, self.settings.resolved_at)
        self.header.value = (
            f"<h3 style='margin:4px 0'>Patient {html.escape(str(facts['patient_id']))}</h3>"
            f"{self._most_pressing(episode_id)}"
            f"<div>{html.escape(kind)} on {pd.Timestamp(facts['treatment_date']):%d %b %Y} · "
            f"{_baseline(facts)} · soreness {status}</div>"
        )
        self.alerts_view.value = self._alerts_html(episode_id)
        self.follow_up.value = (
            f"<b>Follow-up</b>: {int(facts['days_logged'])} of {self.window_days + 1} days logged "
            f"({facts['completeness']:.0%}), last log on day {int(facts['last_day'])}"
            + (" · <b>lost to follow-up</b>" if facts["lost_to_follow_up"] else "")
        )

    def _trajectory_template(self, trajectory: pd.DataFrame) -> alt.TopLevelSpec:
        shown = charts.trajectory_series(trajectory)
        if shown not in self._trajectory_templates:
            self._trajectory_templates[shown] = charts.trajectory_chart(trajectory)
        return self._trajectory_templates[shown]

    def _most_pressing(self, episode_id: str) -> str:
        """A banner above the soreness summary for an urgent or prompt alert: a red flag
        matters more than how soon soreness settled."""
        positions = self._alert_groups.get(episode_id)
        if positions is None:
            return ""
        shown = self._alerts.iloc[positions]
        pressing = shown.loc[shown["severity"].isin(["urgent", "prompt"])]
        if pressing.empty:
            return ""
        first = pressing.iloc[0]  # alerts are sorted most severe first
        severity = str(first["severity"])
        more = f" (+{len(pressing) - 1} more)" if len(pressing) > 1 else ""
        return (
            f"<div style='{SEVERITY_STYLE[severity]};padding:4px 8px;margin:4px 0'>"
            f"<b>{html.escape(severity.upper())}</b> · day {int(first['day'])} · "
            f"{html.escape(str(first['explanation']))}{more}</div>"
        )

    def _alerts_html(self, episode_id: str) -> str:
        positions = self._alert_groups.get(episode_id)
        if positions is None:
            return "<div style='padding:8px'><b>Alerts</b><br>No alerts for this episode.</div>"
        shown = self._alerts.iloc[positions]
        items = "".join(
            f"<div style='{SEVERITY_STYLE[severity]};padding:6px;margin:4px 0'>"
            f"<b>{html.escape(severity.upper())}</b> · day {int(day)}<br>"
            f"{html.escape(explanation)}</div>"
            for severity, day, explanation in zip(
                shown["severity"].tolist(),
                shown["day"].tolist(),
                shown["explanation"].tolist(),
                strict=True,
            )
        )
        return f"<div style='max-width:420px'><b>Alerts</b>{items}</div>"


def _baseline(facts: pd.Series) -> str:
    if pd.isna(facts["baseline_soreness"]):
        return "no baseline (first log after day 1)"
    return f"baseline soreness {int(facts['baseline_soreness'])}/10"


def _status(facts: pd.Series, resolved_at: int) -> str:
    """How the episode went, in the words of the methods (docs/methods.md)."""
    if facts["population"] == "no_reaction":
        return f"no post-treatment reaction (baseline at or below {resolved_at})"
    if facts["resolved"]:
        return f"resolved on day {int(facts['time'])}"
    return f"not resolved (last log on day {int(facts['last_day'])})"
