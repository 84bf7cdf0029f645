"""Mapping files: renames, value maps, REDCap layout, and their errors."""

from __future__ import annotations

import pandas as pd
import pytest

from recovery_toolkit import MappingError, load_logs, load_mapping
from recovery_toolkit.io.mapping import ColumnMapping
from recovery_toolkit.samples import sample_path

from .conftest import TODAY, codes_by_row


@pytest.fixture(scope="module")
def canonical():
    return load_logs(sample_path(), today=TODAY).logs


def test_messy_export_matches_the_canonical_rows_it_came_from(canonical):
    result = load_logs(
        sample_path("messy_export.csv"), mapping=sample_path("messy_mapping.yaml"), today=TODAY
    )
    assert (result.rows_read, result.rows_valid, result.rows_quarantined) == (774, 764, 10)
    assert result.problem_counts() == {
        "conflicting_rows": 2,
        "duplicate_row": 1,
        "invalid_boolean": 1,
        "log_before_treatment": 1,
        "missing_required": 1,
        "not_a_number": 1,
        "not_an_integer": 1,
        "out_of_range": 1,
        "unknown_treatment_type": 1,
    }
    # every valid messy row equals its canonical original (apart from the derived episode id)
    key = ["patient_id", "treatment_date", "day"]
    merged = result.logs.merge(canonical, on=key, suffixes=("", "_canon"), validate="1:1")
    assert len(merged) == result.rows_valid
    for column in [
        "soreness",
        "treatment_type",
        "flag_worsening_pain",
        "care_cold",
        "site",
        "notes",
    ]:
        pd.testing.assert_series_equal(merged[column], merged[f"{column}_canon"], check_names=False)


def test_redcap_export_round_trips(canonical):
    result = load_logs(
        sample_path("redcap_export.csv"), mapping=sample_path("redcap_mapping.toml"), today=TODAY
    )
    assert result.rows_quarantined == 0 and result.rows_merged == 0
    assert result.episodes == 40
    merged = result.logs.merge(
        canonical, on=["patient_id", "treatment_date", "day"], suffixes=("", "_canon")
    )
    assert len(merged) == result.rows_valid
    for column in [
        "soreness",
        "treatment_type",
        "site",
        "clinician",
        "clinic_contact",
        *[c for c in canonical if c.startswith(("flag_", "care_"))],
    ]:
        pd.testing.assert_series_equal(merged[column], merged[f"{column}_canon"], check_names=False)


REDCAP = """record_id,redcap_event_name,mrn,tx,tx_date,pain,rf___1,rf___2
7,baseline_arm_1,00042,ESI,2025-05-01,,,
7,day_0_arm_1,,,,6,0,0
7,day_1_arm_1,,,,5,Checked,Unchecked
7,day_2_arm_1,,,,4,1,0
8,baseline_arm_1,00043,PT,2025-05-02,,,
8,day_0_arm_1,,,,3,0,0
8,follow_up_arm_1,,,,2,0,0
"""
REDCAP_MAP = {
    "columns": {
        "mrn": "patient_id",
        "tx": "treatment_type",
        "tx_date": "treatment_date",
        "pain": "soreness",
    },
    "checkboxes": {"rf": {"1": "flag_worsening_pain", "2": "flag_neuro_deficit"}},
    "redcap": {"baseline_event": "baseline_arm_1", "day_pattern": r"day_(\d+)_arm"},
}


def test_redcap_baseline_only_rows_are_merged_not_lost(write):
    result = load_logs(
        write("r.csv", REDCAP), mapping=ColumnMapping.from_dict(REDCAP_MAP), today=TODAY
    )
    assert (result.rows_read, result.rows_valid, result.rows_quarantined, result.rows_merged) == (
        7,
        4,
        1,
        2,
    )
    logs = result.logs
    assert logs["patient_id"].tolist() == ["00042"] * 3 + ["00043"]
    assert logs["episode_id"].tolist() == ["7", "7", "7", "8"]
    assert logs["day"].tolist() == [0, 1, 2, 0]
    assert logs["flag_worsening_pain"].tolist() == [False, True, True, False]
    assert logs["treatment_type"].astype(str).tolist() == ["injection"] * 3 + ["physical_therapy"]
    assert codes_by_row(result) == {7: {"not_a_number"}}  # follow_up_arm_1 has no day


def test_value_maps_are_case_insensitive_and_pass_others_through(write):
    text = (
        "pid,kind,date,logged,pain\n"
        "A,Manip.,2025-01-01,2025-01-02,3\n"
        "B,MANIP.,2025-01-01,2025-01-02,3\n"
        "C,yoga,2025-01-01,2025-01-02,3\n"
    )
    mapping = ColumnMapping.from_dict(
        {
            "columns": {
                "pid": "patient_id",
                "kind": "treatment_type",
                "date": "treatment_date",
                "logged": "log_date",
                "pain": "soreness",
            },
            "values": {"treatment_type": {"manip.": "chiropractic"}},
        }
    )
    result = load_logs(write("v.csv", text), mapping=mapping, today=TODAY)
    assert result.logs["treatment_type"].astype(str).tolist() == ["chiropractic"] * 2
    assert codes_by_row(result) == {3: {"unknown_treatment_type"}}


@pytest.mark.parametrize(
    ("content", "suffix", "words"),
    [
        ("columns: [a, b", ".yaml", "cannot be parsed"),
        ("columns = ", ".toml", "cannot be parsed"),
        ("colums:\n  a: soreness\n", ".yaml", "unknown key(s) 'colums'"),
        ("columns:\n  a: pain\n", ".yaml", "unknown target column(s) 'pain'"),
        ("redcap:\n  day_pattern: 'day_\\d+'\n", ".yaml", "one (group)"),
        ("redcap:\n  arm: 1\n", ".yaml", "unknown redcap key(s) 'arm'"),
        ("columns: {}", ".json", ".yaml, .yml or .toml"),
        ("- a\n- b\n", ".yml", "not a mapping"),
    ],
)
def test_bad_mapping_files(tmp_path, content, suffix, words):
    path = tmp_path / f"m{suffix}"
    path.write_text(content)
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    assert words in str(info.value)
    assert str(info.value).startswith(str(path))


def test_missing_mapping_file(tmp_path):
    with pytest.raises(MappingError, match="not found"):
        load_mapping(tmp_path / "absent.yaml")


def test_command_line_options_win_over_the_mapping(write):
    text = "patient_id;treatment_type;treatment_date;log_date;soreness\n"
    text += "P1;PT;2025-03-01;2025-03-02;4\n"
    mapping = ColumnMapping.from_dict({"delimiter": ";", "date_format": "%d/%m/%Y"})
    result = load_logs(write("o.csv", text), mapping=mapping, date_format="%Y-%m-%d", today=TODAY)
    assert result.rows_valid == 1


def test_redcap_carried_values_follow_their_record_whatever_the_reader(write):
    """Regression (found in review): the fast reader's dictionary-encoded columns made the
    carried clinician of records 2 and 3 come from another record. A diary row's own value
    ("Dr Z") stays its own; the others carry their record's baseline value; adding a blank
    line (the row-exact reader) changes nothing."""
    text = (
        "record_id,redcap_event_name,mrn,tx,tx_date,clinic_site,provider,pain\n"
        "1,treatment_arm_1,P1,PT,2025-03-10,North,Dr A,5\n"
        "1,day_1_arm_1,,,,,Dr Z,4\n"
        "2,treatment_arm_1,P2,PT,2025-03-11,North,Dr B,5\n"
        "2,day_1_arm_1,,,,,,4\n"
        "3,treatment_arm_1,P3,PT,2025-03-12,North,Dr C,5\n"
        "3,day_1_arm_1,,,,,,4\n"
    )
    mapping = ColumnMapping.from_dict(
        {
            "columns": {
                "mrn": "patient_id",
                "tx": "treatment_type",
                "tx_date": "treatment_date",
                "clinic_site": "site",
                "provider": "clinician",
                "pain": "soreness",
            },
            "redcap": {
                "baseline_event": "treatment_arm_1",
                "baseline_day": 0,
                "day_pattern": r"day_(\d+)_arm",
                "carry": ["patient_id", "treatment_type", "treatment_date", "site", "clinician"],
            },
        }
    )
    fast = load_logs(write("fast.csv", text), mapping=mapping, today=TODAY)
    exact = load_logs(write("exact.csv", text + "\n"), mapping=mapping, today=TODAY)
    assert fast.rows_quarantined == 0
    diary = fast.logs[fast.logs["day"] == 1]
    assert diary["clinician"].tolist() == ["Dr Z", "Dr B", "Dr C"]
    assert diary["patient_id"].tolist() == ["P1", "P2", "P3"]
    pd.testing.assert_frame_equal(fast.logs, exact.logs)
