"""The causes a loader fuzzer found (issue 14), one regression test each: a raw exception
escaped, or a refusal ran over many lines. Each now quarantines the cell with a reason code
or refuses the file in one line that names the column or option and the fix."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recovery_toolkit import load_logs
from recovery_toolkit.errors import RecoveryToolkitError
from recovery_toolkit.samples import sample_path

from .conftest import TODAY, codes_by_row

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("column", ["soreness", "day"])
def test_a_number_of_400_digits_is_out_of_range_not_an_overflow(csv_rows, column):
    huge = "9" * 400
    if column == "soreness":
        path = csv_rows(f"P1,PT,2025-03-01,2025-03-01,{huge}", "P1,PT,2025-03-01,2025-03-02,4")
    else:
        header = "patient_id,treatment_type,treatment_date,day,soreness"
        path = csv_rows(f"P1,PT,2025-03-01,{huge},5", "P1,PT,2025-03-01,1,4", header=header)
    result = load_logs(path, today=TODAY)
    assert codes_by_row(result) == {1: {"out_of_range"}}
    assert result.rows_valid == 1


def _refused_in_one_line(call, *words: str) -> str:
    """The package's own error, on one line, naming what it should."""
    with pytest.raises(RecoveryToolkitError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, (word, message)
    return message


def test_utf16_asked_for_a_file_without_a_utf16_bom_is_refused_in_one_line():
    _refused_in_one_line(lambda: load_logs(sample_path(), encoding="utf-16"), "encoding")


def test_a_mapping_file_that_is_not_utf8_is_refused_in_one_line(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_bytes("columns:\n  Schmerzstärke: soreness\n".encode("cp1252"))
    _refused_in_one_line(lambda: load_logs(sample_path(), mapping=mapping), "UTF-8")


def test_a_redcap_record_renamed_to_patient_id_reads_the_export(tmp_path):
    text = (ROOT / "sample_data" / "redcap_mapping.toml").read_text()
    text = text.replace('record = "record_id"', 'record = "patient_id"')
    text = text.replace('mrn = "patient_id"', 'record_id = "patient_id"')
    text = text.replace(
        'ignore = ["redcap_repeat_instrument"', 'ignore = ["mrn", "redcap_repeat_instrument"'
    )
    mapping = tmp_path / "redcap.toml"
    mapping.write_text(text)
    result = load_logs(ROOT / "sample_data" / "redcap_export.csv", mapping=mapping, today=TODAY)
    assert result.rows_valid > 0
    assert set(result.logs["patient_id"]) <= set(result.logs["episode_id"])  # record = patient


def test_a_corrected_quarantine_file_with_a_row_of_extra_fields_reimports(tmp_path):
    messy = load_logs(
        ROOT / "sample_data" / "messy_export.csv",
        mapping=ROOT / "sample_data" / "messy_mapping.yaml",
        today=TODAY,
    )
    mapping = ROOT / "sample_data" / "messy_mapping.yaml"
    rounds = [messy]
    for _ in range(2):  # fix-and-re-import twice: the file then holds input_reasons too
        path = tmp_path / f"quarantine_{len(rounds)}.csv"
        rounds[-1].quarantine.to_csv(path, index=False, sep=";")
        lines = path.read_text().splitlines()
        lines[1] += ";an extra field"
        path.write_text("\n".join(lines) + "\n")
        rounds.append(load_logs(path, mapping=mapping, today=TODAY))
        assert rounds[-1].rows_read == len(rounds[-2].quarantine)
        assert "bad_field_count" in codes_by_row(rounds[-1])[1]
    assert "input_input_reasons" in rounds[-1].quarantine.columns


def _parquet(tmp_path, table: pa.Table):
    path = tmp_path / "logs.parquet"
    pq.write_table(table, path)
    return path


def _canonical(**columns) -> dict:
    base = {
        "patient_id": ["P1", "P1"],
        "treatment_type": ["chiropractic", "chiropractic"],
        "treatment_date": ["2025-03-01", "2025-03-01"],
        "log_date": ["2025-03-01", "2025-03-02"],
        "soreness": [5, 4],
    }
    base.update(columns)
    return base


def test_parquet_names_that_collide_once_trimmed_are_refused_in_one_line(tmp_path):
    table = pa.table(_canonical(**{"soreness ": [3, 2]}))
    path = _parquet(tmp_path, table)
    _refused_in_one_line(lambda: load_logs(path, today=TODAY), "soreness")


@pytest.mark.parametrize(
    "values",
    [
        pa.array([{"a": 1}, {"a": 2}]),
        pa.array([[1, 2], [3]]),
    ],
    ids=["struct", "list"],
)
def test_a_nested_parquet_column_in_a_canonical_column_quarantines_its_cells(tmp_path, values):
    columns = _canonical()
    del columns["soreness"]
    table = pa.table({**columns, "soreness": values})
    result = load_logs(_parquet(tmp_path, table), today=TODAY)
    assert codes_by_row(result) == {1: {"not_a_number"}, 2: {"not_a_number"}}
    assert result.quarantine["soreness"].tolist()[0].startswith(("{", "["))  # as it was


def test_a_parquet_binary_column_with_invalid_utf8_is_read_or_refused_cleanly(tmp_path):
    table = pa.table({**_canonical(), "site": pa.array([b"North\xff", b"South"], pa.binary())})
    path = _parquet(tmp_path, table)
    try:
        result = load_logs(path, today=TODAY)
    except RecoveryToolkitError as exc:
        assert "\n" not in str(exc) and "site" in str(exc)
    else:
        assert result.rows_read == 2 and result.rows_valid + result.rows_quarantined == 2


def test_a_parquet_float_patient_id_of_1e308_is_text_not_a_crash(tmp_path):
    table = pa.table(_canonical(patient_id=pa.array([1e308, 2.0])))
    result = load_logs(_parquet(tmp_path, table), today=TODAY)
    assert result.rows_read == 2 and result.rows_valid + result.rows_quarantined == 2


def test_a_parquet_timestamp_far_outside_pandas_range_is_an_invalid_date(tmp_path):
    far = pa.array([-10_000_000_000_000, 1_740_787_200], pa.timestamp("s"))  # year -314918
    table = pa.table(_canonical(log_date=far))
    result = load_logs(_parquet(tmp_path, table), today=TODAY)
    assert codes_by_row(result)[1] == {"invalid_date"}


def test_a_parquet_file_with_two_fields_of_one_name_is_refused_in_one_line(tmp_path):
    columns = _canonical()
    table = pa.Table.from_arrays(
        [pa.array(v) for v in columns.values()] + [pa.array([1, 2])],
        names=[*columns, "soreness"],
    )
    path = tmp_path / "twice.parquet"
    pq.write_table(table, path)
    _refused_in_one_line(lambda: load_logs(path, today=TODAY), "soreness")


def test_a_header_with_a_newline_in_a_name_gives_a_one_line_refusal(write):
    header = '"pa\ntient",treatment_type,treatment_date,log_date,soreness'
    path = write("odd.csv", header + "\nP1,PT,2025-03-01,2025-03-01,5\n")
    message = _refused_in_one_line(lambda: load_logs(path, today=TODAY), "patient_id")
    assert "pa\\ntient" in message  # the name as written, its line break shown


def test_a_week_number_date_format_quarantines_dates_it_cannot_read(csv_rows):
    path = csv_rows("P1,PT,2025-03-01,2025-03-01,5", "P1,PT,01/03/2025,02/03/2025,4")
    try:
        result = load_logs(path, date_format="%U %Y %d %m", today=TODAY)
    except RecoveryToolkitError as exc:
        assert "\n" not in str(exc) and "date_format" in str(exc)
    else:
        assert result.rows_read == 2


def test_a_file_of_two_byte_order_marks_is_refused_in_one_line(write):
    path = write("boms.csv", "\ufeff\ufeff".encode("utf-8"))
    _refused_in_one_line(lambda: load_logs(path, today=TODAY), "boms.csv")


def test_a_nul_delimiter_is_refused_in_one_line(csv_rows):
    path = csv_rows("P1,PT,2025-03-01,2025-03-01,5")
    _refused_in_one_line(lambda: load_logs(path, delimiter="\x00", today=TODAY), "delimiter")


def test_a_header_name_with_a_line_break_is_not_read_as_a_data_row(write):
    header = '"patient\nid",treatment_type,treatment_date,log_date,soreness'
    path = write("odd.csv", header + "\nP1,PT,2025-03-01,2025-03-01,5\n")
    result = load_logs(path, today=TODAY)
    assert (result.rows_read, result.rows_valid, result.rows_quarantined) == (1, 1, 0)
