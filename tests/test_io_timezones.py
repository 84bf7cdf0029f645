"""Timestamps with a zone (issue 12): what REST APIs, EHR extracts and pandas' ``to_csv`` of
zone-aware times write. Each is read as the calendar date in the zone as written."""

from __future__ import annotations

import pandas as pd
import pytest

from recovery_toolkit import load_logs
from recovery_toolkit.errors import OptionError
from recovery_toolkit.samples import sample_path

from .conftest import TODAY


@pytest.fixture(scope="module")
def sample():
    return pd.read_csv(sample_path(), dtype=str, keep_default_na=False)


def _with_times(sample, tmp_path, name, stamp) -> tuple[pd.DataFrame, object]:
    """The sample with both date columns rewritten by ``stamp(date_text, row_number)``."""
    frame = sample.copy()
    for column in ("treatment_date", "log_date"):
        frame[column] = [stamp(d, i) for i, d in enumerate(frame[column])]
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return frame, path


def _same_as_sample(result):
    plain = load_logs(sample_path(), today=TODAY)
    assert result.rows_quarantined == 0, result.quarantine["reasons"].value_counts().to_dict()
    assert result.rows_valid == plain.rows_valid
    pd.testing.assert_series_equal(result.logs["log_date"], plain.logs["log_date"])
    pd.testing.assert_series_equal(result.logs["day"], plain.logs["day"])


@pytest.mark.parametrize(
    ("name", "stamp"),
    [
        ("utc_z.csv", lambda d, i: f"{d}T10:00:00Z"),  # REST APIs
        ("offset_colon.csv", lambda d, i: f"{d} 17:30:00+01:00"),  # pandas to_csv
        ("offset_compact.csv", lambda d, i: f"{d}T23:30:00-0500"),  # late evening, west
        ("fraction_z.csv", lambda d, i: f"{d}T08:15:30.250Z"),
        # one column, several zones (a multi-site export): +14:00 and -12:00 both keep the day
        ("mixed.csv", lambda d, i: f"{d}T{i % 24:02d}:05:00{['+14:00', '-12:00', 'Z'][i % 3]}"),
    ],
)
def test_zone_aware_timestamps_give_the_date_as_written(sample, tmp_path, name, stamp):
    _, path = _with_times(sample, tmp_path, name, stamp)
    _same_as_sample(load_logs(path, today=TODAY))


def test_a_percent_z_format_is_accepted_and_read(sample, tmp_path):
    def stamp(d, i):
        year, month, day = d.split("-")
        return f"{day}/{month}/{year} 23:45 {'+0100' if i % 2 else '-0800'}"

    _, path = _with_times(sample, tmp_path, "dmy_zone.csv", stamp)
    result = load_logs(path, today=TODAY, date_format="%d/%m/%Y %H:%M %z")
    _same_as_sample(result)
    # the format the issue found refused is accepted as an option too
    load_logs(sample_path(), today=TODAY, date_format="%Y-%m-%d %H:%M:%S%z")


def test_an_impossible_zone_is_still_an_invalid_date(sample, tmp_path):
    frame, path = _with_times(
        sample, tmp_path, "bad.csv", lambda d, i: f"{d}T10:00:00+25:99" if i == 3 else d
    )
    result = load_logs(path, today=TODAY)
    assert result.rows_quarantined >= 1
    assert "invalid_date" in "".join(result.quarantine["reasons"].astype(str))


def test_a_format_without_a_date_is_still_refused():
    with pytest.raises(OptionError, match="date_format="):
        load_logs(sample_path(), today=TODAY, date_format="%H:%M %z")
