"""Explorers without a browser: change a control's value, check what is shown."""

from __future__ import annotations

import pandas as pd
import pytest

from recovery_toolkit import load_logs, vocab
from recovery_toolkit.render import charts
from recovery_toolkit.render.widgets import AdherenceExplorer, CohortExplorer, PatientExplorer
from recovery_toolkit.samples import sample_path

from .conftest import TODAY


def _rows(spec: dict) -> list[dict]:
    return [row for rows in spec["datasets"].values() for row in rows]


@pytest.fixture(scope="module")
def result():
    return load_logs(sample_path(), today=TODAY)


def test_patient_explorer_follows_the_chosen_patient(result):
    explorer = PatientExplorer(result)
    first_spec = explorer.trajectory_view.spec
    first_episode = explorer.episode_id
    patient = explorer.patient.options[10]
    explorer.patient.value = patient
    assert explorer.episode_id != first_episode
    assert explorer.episode_id in [value for _, value in explorer.episode.options]
    spec = explorer.trajectory_view.spec
    assert patient in str(spec["title"]) and spec != first_spec
    shown = [r["soreness"] for r in _rows(spec) if r["soreness"] is not None]
    own = result.logs.loc[result.logs["episode_id"] == explorer.episode_id]
    assert shown == own.loc[own["day"] <= 14, "soreness"].tolist()
    assert f"Patient {patient}" in explorer.header.value
    checklist = _rows(explorer.checklist_view.spec)
    assert {row["item_label"] for row in checklist} >= {"Restful sleep", "Cold first, then heat"}
    assert {row["day"] for row in checklist} <= set(range(15))


def test_patient_with_two_episodes_can_switch(result):
    explorer = PatientExplorer(result)
    counts = explorer.episodes.groupby("patient_id").size()
    patient = counts[counts > 1].index[0]
    explorer.patient.value = patient
    options = [value for _, value in explorer.episode.options]
    assert len(options) >= 2
    explorer.episode.value = options[0]
    assert explorer.episode_id == options[0]
    assert explorer.trajectory["day"].tolist() == list(range(15))


def test_alerts_are_shown_with_explanations_and_escaped(result):
    logs = result.logs.copy()
    logs["patient_id"] = logs["patient_id"].where(logs["patient_id"] != "P000073", "<b>x</b>")
    explorer = PatientExplorer(logs)
    explorer.patient.value = "<b>x</b>"
    assert (
        "&lt;b&gt;x&lt;/b&gt;" in explorer.header.value and "<b>x</b>" not in explorer.header.value
    )
    assert "URGENT" in explorer.alerts_view.value
    assert "tingling" in explorer.alerts_view.value


def test_patient_explorer_on_a_users_own_export():
    messy = load_logs(sample_path("messy_export.csv"), mapping=sample_path("messy_mapping.yaml"))
    explorer = PatientExplorer(messy)
    assert explorer.patient.options[0] == "P000001"
    assert "days logged" in explorer.follow_up.value


def test_cohort_explorer_filters_every_view(result):
    explorer = CohortExplorer(result)
    explorer.types.value = ("injection",)
    for name in ("recovery_curve", "time_to_resolution", "red_flag_incidence"):
        labels = {row["type_label"] for row in _rows(explorer.views[name].spec)}
        assert labels == {"Injection"}, name
    assert set(explorer.tables["time_to_resolution"]["treatment_type"].astype(str)) == {"injection"}
    explorer.sites.value = ("Harbor",)
    episodes = explorer.selection()["episode_id"].nunique()
    assert f"<b>{episodes:,}</b> episodes" in explorer.summary.value


def test_cohort_explorer_window_and_threshold(result):
    explorer = CohortExplorer(result)
    explorer.window.value = 7
    assert explorer.tables["recovery_curve"]["day"].max() == 7
    before = explorer.tables["time_to_resolution"]["resolved"].sum()
    explorer.resolved_at.value = 0
    assert explorer.tables["time_to_resolution"]["resolved"].sum() < before


def test_cohort_table_tab_offers_the_shown_table_as_csv(result):
    explorer = CohortExplorer(result)
    explorer.table_choice.value = "red_flag_incidence"
    assert 'download="red_flag_incidence.csv"' in explorer.table_view.value
    assert "data:text/csv;base64," in explorer.table_view.value
    assert "<th>Rate per 100 days</th>" in explorer.table_view.value  # headed in words


def test_cohort_explorer_with_nothing_selected(result):
    explorer = CohortExplorer(result)
    explorer.sites.value = ()
    assert "No episodes" in explorer.summary.value


def test_adherence_explorer_items_landmark_and_drill_down(result):
    explorer = AdherenceExplorer(result)
    explorer.items.value = ("care_sleep", "cold_then_heat")
    items = {row["item"] for row in _rows(explorer.heatmap_view.spec)}
    assert items == {"care_sleep", "cold_then_heat"}
    assert "Hazard ratio" in explorer.landmark_view.value or "hazard ratio" in (
        explorer.landmark_view.value
    )
    assert "care_posture" not in explorer.landmark_view.value  # only the chosen items and score
    assert vocab.ITEM_LABELS["care_sleep"] in explorer.landmark_view.value
    explorer.drill_item.value = "care_posture"
    explorer.drill_type.value = "minor_procedure"
    drilled = explorer.drilled
    assert set(drilled["treatment_type"].astype(str)) == {"minor_procedure"}
    episodes = explorer.episodes
    assert len(drilled) == (episodes["treatment_type"] == "minor_procedure").sum()
    assert pd.Series(drilled["proportion"].dropna()).is_monotonic_increasing


def test_explorers_follow_the_settings_of_results_they_are_given():
    import recovery_toolkit as rt

    results = rt.compute(load_logs(sample_path()), rt.Settings(window_days=21, resolved_at=1))
    cohort = CohortExplorer(results)
    assert (cohort.window.value, cohort.resolved_at.value) == (21, 1)
    assert int(cohort.tables["recovery_curve"]["day"].max()) > 14
    assert AdherenceExplorer(results).settings.window_days == 21
    assert len(PatientExplorer(results).trajectory) == 22
    assert PatientExplorer(results, window_days=10).settings.window_days == 10  # one-off


def test_patient_header_says_no_reaction_and_no_baseline():
    import recovery_toolkit as rt

    from .conftest import make_logs

    logs = make_logs(
        {"id": "quiet", "patient": "Q", "soreness": [1, 1, 0]},
        {"id": "late", "patient": "L", "soreness": [None, None, 6, 6, 2, 1]},
    )
    explorer = rt.PatientExplorer(logs)
    explorer.patient.value = "Q"
    assert "no post-treatment reaction" in explorer.header.value
    explorer.patient.value = "L"
    assert "no baseline" in explorer.header.value


def test_an_unknown_patient_id_is_said_not_ignored():
    from recovery_toolkit.render.widgets import PatientExplorer

    explorer = PatientExplorer(load_logs(sample_path()))
    before = explorer.header.value
    explorer.patient.value = "P99"
    assert "No patient P99" in explorer.message.value
    assert explorer.header.value == before  # the shown patient stays, and the user is told
    explorer.patient.value = "P000073"
    assert explorer.message.value == "" and "P000073" in explorer.header.value
    # an urgent flag is named above how soon soreness settled
    assert explorer.header.value.index("URGENT") < explorer.header.value.index("soreness")


def test_a_red_flag_keeps_its_colour_and_legend_after_switching_from_an_unflagged_episode():
    """The explorer opens on an episode without flags; the urgent flag of the next patient is
    still drawn in the urgent colour and named in the legend (the browser showed it white)."""
    from recovery_toolkit.render.widgets import PatientExplorer

    explorer = PatientExplorer(load_logs(sample_path()))
    assert not explorer.trajectory["any_flag"].any()
    explorer.patient.value = "P000073"
    color = explorer.trajectory_view.spec["layer"][0]["encoding"]["color"]
    assert color["legend"]["values"][-1] == "Urgent red flag"
    colours = dict(zip(color["scale"]["domain"], color["scale"]["range"], strict=True))
    assert colours["Urgent red flag"] == charts.SEVERITY_COLORS["urgent"]
    flagged = explorer.trajectory.loc[explorer.trajectory["any_flag"]]
    assert flagged["flag_severity"].tolist() == ["urgent"]


def test_the_control_chart_title_follows_the_treatment_filter():
    explorer = CohortExplorer(load_logs(sample_path()))
    assert "all treatment types" in explorer.charts["spc"].to_dict()["title"]
    explorer.types.value = ("injection",)
    title = explorer.charts["spc"].to_dict()["title"]
    assert "Injection" in title and "all treatment types" not in title


def test_date_filters_are_iso_text_and_a_bad_date_is_said():
    explorer = CohortExplorer(load_logs(sample_path()))
    assert explorer.start.value.count("-") == 2  # YYYY-MM-DD, as in every other output
    everyone = len(explorer.selection())
    explorer.start.value = "2025-09-01"
    assert 0 < len(explorer.selection()) < everyone
    explorer.end.value = "31/12/2025"
    assert "is not a date" in explorer.summary.value and "YYYY-MM-DD" in explorer.summary.value
