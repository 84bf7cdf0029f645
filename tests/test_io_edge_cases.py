"""Edge cases of loading: each once crashed, lost data or misled a user."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recovery_toolkit import InputFileError, MappingError, load_logs
from recovery_toolkit.cli import main
from recovery_toolkit.errors import OptionError
from recovery_toolkit.io.mapping import ColumnMapping

from .conftest import HEADER, TODAY, codes_by_row

GOOD = "P1,chiropractic,2025-03-01,2025-03-01,5"


def test_first_row_with_an_extra_field_is_quarantined(csv_rows):
    result = load_logs(csv_rows(GOOD + ",extra", "P2,PT,2025-03-01,2025-03-02,4"), today=TODAY)
    assert codes_by_row(result) == {1: {"bad_field_count"}}
    assert result.logs["patient_id"].tolist() == ["P2"]
    assert result.blank_rows == 0


def test_every_row_with_a_leading_row_number_is_quarantined(write):
    text = HEADER + "\n1," + GOOD + "\n2,P2,PT,2025-03-01,2025-03-02,4\n"
    result = load_logs(write("n.csv", text), today=TODAY)
    assert codes_by_row(result) == {1: {"bad_field_count"}, 2: {"bad_field_count"}}


def test_empty_trailing_fields_lose_nothing_and_are_accepted(write):
    text = HEADER + "\n" + GOOD + ",\nP2,PT,2025-03-01,2025-03-02,4,\n"
    assert load_logs(write("t.csv", text), today=TODAY).rows_valid == 2


def test_quarantine_output_never_overwrites_the_input(tmp_path, capsys):
    source = tmp_path / "victim.csv"
    source.write_text(HEADER + "\n" + GOOD + "\nP2,PT,2025-03-01,2025-03-02,eleven\n")
    before = source.read_bytes()
    assert main(["validate", str(source), "--quarantine", str(source)]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert source.read_bytes() == before
    assert main(["validate", str(source), "--quarantine", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_json_has_null_for_blank_values(csv_rows, capsys):
    path = csv_rows("P2,PT,2025-03-01,2025-03-02,")
    assert main(["validate", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out
    assert json.loads(out)["problems"][0]["value"] is None


def test_iso_dates_are_read_even_when_a_format_is_named(csv_rows):
    result = load_logs(
        csv_rows("P1,PT,2025-02-01,03/02/2025,4"), date_format="%d/%m/%Y", today=TODAY
    )
    assert result.logs["day"].tolist() == [2]


def test_inconsistent_episode_is_whole_even_when_one_row_also_fails(csv_rows):
    path = csv_rows(
        "E1,P1,chiropractic,2025-03-01,2025-03-01,5",
        "E1,P1,chiropractic,2025-03-01,2025-03-02,4",
        "E1,P1,injection,2025-03-01,2025-03-03,11",
        header="episode_id," + HEADER,
    )
    result = load_logs(path, today=TODAY)
    assert result.rows_valid == 0
    assert codes_by_row(result)[3] == {"inconsistent_episode", "out_of_range"}


@pytest.mark.parametrize("day", ["99999999999999999999", "1e15", "300000", "-5000"])
def test_absurd_days_are_quarantined(write, day):
    text = "patient_id,treatment_type,treatment_date,day,soreness\nP1,PT,2025-01-01," + day + ",3\n"
    result = load_logs(write("d.csv", text), today=TODAY)
    assert result.rows_quarantined == 1 and result.problems["column"].tolist() == ["day"]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"date_format": "%Q"}, "date_format='%Q'"),
        ({"date_format": "%d/%m"}, "a day, a month and a year"),
        ({"delimiter": "||"}, "one ASCII character"),
        ({"delimiter": "€"}, "one ASCII character"),  # was a raw ValueError from the reader
    ],
)
def test_unusable_options_are_refused(csv_rows, options, words):
    with pytest.raises(OptionError, match=words):
        load_logs(csv_rows(GOOD), **options)


REDCAP = """record_id,redcap_event_name,mrn,tx,tx_date,pain
108,baseline_arm_1,P8,chiro,2025-01-01,
108,day_1_arm_1,,PT,2025-01-03,4
109,baseline_arm_1,P9,PT,2025-01-01,
109,baseline_arm_1,P9,ESI,2025-01-01,
109,day_1_arm_1,,,,3
110,baseline_arm_1,P10,PT,2025-01-01,
111,baseline_arm_1,P11,PT,2025-01-01,
111,day_1_arm_1,,,,3
"""
REDCAP_MAP = {
    "columns": {
        "mrn": "patient_id",
        "tx": "treatment_type",
        "tx_date": "treatment_date",
        "pain": "soreness",
    },
    "redcap": {"baseline_event": "baseline_arm_1", "day_pattern": r"day_(\d+)_arm"},
}


def test_redcap_baseline_rows_are_checked_not_silently_merged(write):
    result = load_logs(
        write("r.csv", REDCAP), mapping=ColumnMapping.from_dict(REDCAP_MAP), today=TODAY
    )
    codes = codes_by_row(result)
    assert codes[1] == codes[2] == {"inconsistent_episode"}  # diary disagrees with baseline
    assert codes[3] == codes[4] == codes[5] == {"inconsistent_episode"}  # two baselines
    assert codes[6] == {"episode_without_logs"}
    assert (result.rows_valid, result.rows_merged) == (1, 1)  # record 111
    assert result.rows_read == result.rows_valid + result.rows_quarantined + result.rows_merged


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ({"columns": ["a", "b"]}, "columns must be a table"),
        ({"redcap": "yes"}, "redcap must be a table"),
        ({"date_format": 5}, "date_format must be text"),
        ({"columns": {"a": "soreness", "b": "soreness"}}, "several source columns"),
        ({"redcap": {"carry": 5}}, "list of column names"),
    ],
)
def test_mapping_values_of_the_wrong_type(content, words):
    with pytest.raises(MappingError, match=words):
        ColumnMapping.from_dict(content)


def test_single_names_are_one_item_lists():
    mapping = ColumnMapping.from_dict({"ignore": "Notes", "redcap": {"carry": "patient_id"}})
    assert mapping.ignore == ("Notes",) and mapping.redcap.carry == ("patient_id",)


def test_mapping_to_a_column_the_file_already_has(write):
    path = write("c.csv", HEADER + ",Pain\n" + GOOD + ",4\n")
    with pytest.raises(MappingError, match="already has"):
        load_logs(path, mapping=ColumnMapping.from_dict({"columns": {"Pain": "soreness"}}))


def test_unmapped_headers_are_still_matched_by_name(write):
    text = "Patient ID,Treatment-Type,treatment_date,log date,Pain\nP1,PT,2025-03-01,2025-03-02,4\n"
    result = load_logs(
        write("p.csv", text), mapping=ColumnMapping.from_dict({"columns": {"Pain": "soreness"}})
    )
    assert result.rows_valid == 1


def test_parquet_integer_ids_with_gaps_stay_integers(tmp_path):
    table = pa.table(
        {
            "patient_id": pa.array([123, None, 7], type=pa.int64()),
            "treatment_type": ["PT", "PT", "PT"],
            "treatment_date": ["2025-01-01"] * 3,
            "day": [0, 1, 2],
            "soreness": [3, 2, 1],
        }
    )
    pq.write_table(table, tmp_path / "ids.parquet")
    frame = pd.read_parquet(tmp_path / "ids.parquet")
    assert frame["patient_id"].dtype == "float64"  # what pandas gives for ints with nulls
    result = load_logs(tmp_path / "ids.parquet", today=TODAY)
    assert result.logs["patient_id"].tolist() == ["123", "7"]


def test_today_argument_decides_what_is_in_the_future(csv_rows):
    result = load_logs(csv_rows("P1,PT,2099-01-01,2099-01-02,3"), today=dt.date(2100, 1, 1))
    assert result.rows_valid == 1


def test_utf16_gets_the_right_hint(write):
    path = write("u.csv", (HEADER + "\n" + GOOD + "\n").encode("utf-16"))
    with pytest.raises(InputFileError, match='encoding="utf-16"'):
        load_logs(path)
    assert load_logs(path, encoding="utf-16", today=TODAY).rows_valid == 1


def test_utf8_named_still_strips_the_byte_order_mark(write):
    path = write("b.csv", "\ufeff" + HEADER + "\n" + GOOD + "\n")
    assert load_logs(path, encoding="utf-8", today=TODAY).rows_valid == 1


def test_excel_with_leading_blank_rows_and_unnamed_columns(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append([])
    sheet.append([*HEADER.split(","), None, None])
    sheet.append(["P1", "PT", dt.datetime(2025, 3, 1), dt.datetime(2025, 3, 2), 4, "x", None])
    book.save(tmp_path / "w.xlsx")
    result = load_logs(tmp_path / "w.xlsx", today=TODAY)
    assert result.rows_valid == 1
    assert result.ignored_columns == ("unnamed_6",)  # holds data; the empty one is dropped


@pytest.mark.parametrize("value", ["1e1", "1_0", "٣", "３", "0x3", "inf"])
def test_only_plain_decimal_numbers_are_scores(csv_rows, value):
    result = load_logs(csv_rows(f"P1,PT,2025-03-01,2025-03-02,{value}"), today=TODAY)
    assert codes_by_row(result) == {1: {"not_a_number"}}


def test_reloading_a_quarantine_file_keeps_its_columns_apart(tmp_path):
    fix_me = tmp_path / "q.csv"
    fix_me.write_text(
        "source_row,patient_id,treatment_type,treatment_date,log_date,soreness,reasons\n"
        "4,P1,PT,2025-03-01,2025-03-02,eleven,soreness:not_a_number\n"
    )
    result = load_logs(fix_me, today=TODAY)
    assert result.quarantine.columns[0] == "source_row"
    assert {"input_source_row", "input_reasons", "reasons"} <= set(result.quarantine.columns)
