"""load_logs on awkward inputs: each case with its expected outcome.

A case ends either in a clear refusal (InputFileError naming the file and the fix) or in
quarantined rows with the right reason code, and never loses a row.
"""

from __future__ import annotations

import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest

from recovery_toolkit import InputFileError, SorenessLog, load_logs
from recovery_toolkit.io.readers import read_raw
from recovery_toolkit.samples import sample_path
from recovery_toolkit.schemas import EPISODE_ATTRIBUTES, inconsistent_episode_rows

from .conftest import HEADER, TODAY, codes_by_row

GOOD = "P1,chiropractic,2025-03-01,2025-03-01,5"


def load(path, **kwargs):
    result = load_logs(path, today=TODAY, **kwargs)
    assert result.rows_read == result.rows_valid + result.rows_quarantined + result.rows_merged
    return result


def refused(path, *words, **kwargs) -> str:
    with pytest.raises(InputFileError) as info:
        load_logs(path, today=TODAY, **kwargs)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message
    for word in words:
        assert word in message, message
    return message


# ----------------------------------------------------------------------- refusals


def test_missing_file(tmp_path):
    refused(tmp_path / "nope.csv", "no such file")


def test_empty_file(write):
    refused(write("empty.csv", ""), "empty")


def test_header_only(write):
    refused(write("header.csv", HEADER + "\n"), "no data rows")


def test_required_column_missing(write):
    message = refused(
        write("x.csv", "patient_id,treatment_type,log_date\nP1,chiropractic,2025-03-01\n"),
        "treatment_date",
        "soreness",
        "mapping=",
    )
    assert "found: patient_id" in message


def test_duplicate_column_names(csv_rows):
    path = csv_rows(GOOD + ",4", header=HEADER + ",soreness")
    refused(path, "'soreness'", "more than once")


def test_columns_equal_after_folding_case(csv_rows):
    path = csv_rows(GOOD + ",4", header=HEADER + ",Soreness")
    refused(path, "soreness", "differ only in case")


def test_latin1_without_encoding_is_refused_with_hint(write):
    text = HEADER + ",notes\n" + GOOD + ",José\n"
    refused(write("l1.csv", text, encoding="latin-1"), "not UTF-8", 'encoding="latin-1"')


def test_latin1_with_encoding_loads(write):
    text = HEADER + ",notes\n" + GOOD + ",José\n"
    result = load(write("l1.csv", text, encoding="latin-1"), encoding="latin-1")
    assert result.logs["notes"].tolist() == ["José"]


def test_unknown_encoding(write):
    refused(write("x.csv", HEADER + "\n" + GOOD + "\n"), "unknown encoding", encoding="klingon")


def test_file_not_what_its_extension_says(tmp_path):
    path = tmp_path / "logs.csv"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    refused(path, ".csv", "Parquet", "rename")


def test_binary_content_is_not_a_table(write):
    refused(write("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "not a table")


@pytest.mark.parametrize("name", ["logs.pkl", "logs.csv"])
def test_pickle_is_refused(write, name):
    data = pickle.dumps(pd.DataFrame({"patient_id": ["P1"]}))
    refused(write(name, data), "pickle")


def test_xlsm_is_refused(write):
    refused(write("logs.xlsm", b"PK\x03\x04 not really"), "macro")


def test_xlsx_with_macros_inside_is_refused(tmp_path):
    path = tmp_path / "logs.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/vbaProject.bin", b"\x00macro")
    refused(path, "macros")


def test_unclosed_quote(write):
    text = HEADER + ",notes\n" + GOOD + ',"fine"\n' + GOOD.replace("P1", "P2") + ',"oops\n'
    refused(write("q.csv", text), "never closed", "quote")


def test_ambiguous_slash_dates_refused_without_format(csv_rows):
    path = csv_rows("P1,chiropractic,03/04/2024,03/04/2024,5", "P1,PT,03/04/2024,05/04/2024,4")
    message = refused(path, "03/04/2024", 'date_format="%d/%m/%Y"')
    assert "--" not in message  # the library names parameters, not command-line flags


def test_slash_dates_with_named_format(csv_rows):
    path = csv_rows("P1,chiropractic,03/04/2024,05/04/2024,5")
    result = load(path, date_format="%d/%m/%Y")
    assert result.logs["treatment_date"].iloc[0] == pd.Timestamp("2024-04-03")
    assert result.logs["day"].tolist() == [2]


def test_pathless_or_directory(tmp_path):
    refused(tmp_path, "not a file")


# ----------------------------------------------------------------------- quarantine


def test_utf8_bom(write):
    result = load(write("bom.csv", "\ufeff" + HEADER + "\n" + GOOD + "\n"))
    assert result.rows_valid == 1
    assert result.logs.columns[0] == "patient_id"


def test_semicolon_with_decimal_commas(write):
    text = HEADER.replace(",", ";") + "\n" + GOOD.replace(",", ";").replace(";5", ";7,0") + "\n"
    text += "P2;PT;2025-03-01;2025-03-02;7,5\n"
    result = load(write("semi.csv", text))
    assert result.logs["soreness"].tolist() == [7]
    assert codes_by_row(result) == {2: {"not_an_integer"}}


def test_row_with_too_many_fields(csv_rows):
    path = csv_rows(GOOD, "P2,PT,2025-03-01,2025-03-02,4,extra", "P3,PT,2025-03-01,2025-03-02,3")
    result = load(path)
    assert result.rows_read == 3
    assert result.logs["patient_id"].tolist() == ["P1", "P3"]
    assert codes_by_row(result) == {2: {"bad_field_count"}}
    assert result.quarantine["raw_text"].iloc[0] == "P2,PT,2025-03-01,2025-03-02,4,extra"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("11", "out_of_range"),
        ("-1", "out_of_range"),
        ("7.5", "not_an_integer"),
        ("seven", "not_a_number"),
        ("", "missing_required"),
    ],
)
def test_bad_soreness(csv_rows, value, code):
    result = load(csv_rows(GOOD, f"P2,PT,2025-03-01,2025-03-02,{value}"))
    assert codes_by_row(result) == {2: {code}}
    row = result.problems.iloc[0]
    assert row["column"] == "soreness"
    assert result.quarantine["soreness"].iloc[0] == (value or None) or value == ""
    assert result.logs["patient_id"].tolist() == ["P1"]


def test_integer_valued_decimal_is_accepted(csv_rows):
    assert load(csv_rows("P1,PT,2025-03-01,2025-03-02,7.0")).logs["soreness"].tolist() == [7]


def test_log_before_treatment(csv_rows):
    result = load(csv_rows(GOOD, "P2,PT,2025-03-05,2025-03-02,3"))
    assert codes_by_row(result) == {2: {"log_before_treatment"}}


def test_future_date(csv_rows):
    result = load(csv_rows(GOOD, "P2,PT,2026-11-20,2026-11-30,3"))
    assert codes_by_row(result) == {2: {"future_date"}}


def test_one_slash_date_among_iso_dates_is_quarantined(csv_rows):
    result = load(csv_rows(GOOD, "P2,PT,2025-03-01,03/04/2025,3", "P3,PT,2025-03-01,2025-03-02,3"))
    assert codes_by_row(result) == {2: {"ambiguous_date"}}


def test_invalid_date(csv_rows):
    result = load(csv_rows(GOOD, "P2,PT,2025-02-30,2025-03-02,3"))
    assert codes_by_row(result) == {2: {"invalid_date"}}


def test_exact_and_conflicting_duplicates(csv_rows):
    path = csv_rows(
        GOOD,
        GOOD,  # exact duplicate: first stays
        "P2,PT,2025-03-01,2025-03-02,3",
        "P2,PT,2025-03-01,2025-03-02,6",  # conflict: both go
    )
    result = load(path)
    assert codes_by_row(result) == {
        2: {"duplicate_row"},
        3: {"conflicting_rows"},
        4: {"conflicting_rows"},
    }
    assert result.logs["patient_id"].tolist() == ["P1"]


def test_episode_with_two_treatment_types_is_quarantined_whole(csv_rows):
    header = "episode_id," + HEADER
    path = csv_rows(
        "E1,P1,chiropractic,2025-03-01,2025-03-01,5",
        "E1,P1,chiropractic,2025-03-01,2025-03-02,4",
        "E1,P1,injection,2025-03-01,2025-03-03,3",
        "E2,P2,injection,2025-03-01,2025-03-03,3",
        header=header,
    )
    result = load(path)
    assert codes_by_row(result) == {r: {"inconsistent_episode"} for r in (1, 2, 3)}
    assert result.logs["episode_id"].tolist() == ["E2"]


def test_booleans(write):
    text = (
        HEADER
        + ",clinic_contact\n"
        + "\n".join(
            f"P{i},PT,2025-03-01,2025-03-0{i},3,{v}"
            for i, v in enumerate(["Y", "TRUE", "1", "no", "Unchecked", "", "maybe"], start=1)
        )
    )
    result = load(write("b.csv", text + "\n"))
    assert result.logs["clinic_contact"].tolist() == [True, True, True, False, False, pd.NA]
    assert codes_by_row(result) == {7: {"invalid_boolean"}}


def test_ids_stay_text(csv_rows):
    result = load(csv_rows("00123,PT,2025-03-01,2025-03-01,3", " 123 ,PT,2025-03-01,2025-03-01,2"))
    assert result.logs["patient_id"].tolist() == ["00123", "123"]
    assert result.logs["episode_id"].nunique() == 2


def test_hostile_notes_are_kept_verbatim(write):
    notes = ["<script>alert(1)</script>", '=HYPERLINK("http://x","y")']
    text = (
        HEADER
        + ",notes\n"
        + "\n".join(
            f'P{i},PT,2025-03-01,2025-03-01,3,"{n.replace(chr(34), chr(34) * 2)}"'
            for i, n in enumerate(notes, start=1)
        )
    )
    result = load(write("n.csv", text + "\n"))
    assert result.logs["notes"].tolist() == notes


def test_unknown_treatment_and_synonyms(csv_rows):
    result = load(
        csv_rows(
            "P1,Chiropractic Adjustment,2025-03-01,2025-03-01,3",
            "P2,physio,2025-03-01,2025-03-01,3",
            "P3,Epidural-Steroid-Injection,2025-03-01,2025-03-01,3",
            "P4,minor surgery,2025-03-01,2025-03-01,3",
            "P5,yoga,2025-03-01,2025-03-01,3",
        )
    )
    assert result.logs["treatment_type"].astype(str).tolist() == [
        "chiropractic",
        "physical_therapy",
        "injection",
        "minor_procedure",
    ]
    assert codes_by_row(result) == {5: {"unknown_treatment_type"}}


def test_blank_lines_are_skipped_but_row_numbers_follow_the_file(csv_rows):
    result = load(csv_rows(GOOD, "", "P2,PT,2025-03-01,2025-03-02,seven"))
    assert result.blank_rows == 1
    assert codes_by_row(result) == {3: {"not_a_number"}}


def test_day_only_input_derives_log_date(write):
    text = "patient_id,treatment_type,treatment_date,day,soreness\nP1,PT,2025-03-01,3,4\n"
    logs = load(write("d.csv", text)).logs
    assert logs["log_date"].iloc[0] == pd.Timestamp("2025-03-04")


def test_day_disagreeing_with_log_date(write):
    text = HEADER + ",day\n" + GOOD + ",0\n" + "P2,PT,2025-03-01,2025-03-03,4,1\n"
    assert codes_by_row(load(write("d.csv", text))) == {2: {"day_mismatch"}}


def test_several_problems_in_one_row_are_all_reported(csv_rows):
    result = load(csv_rows("P1,yoga,2025-03-01,2025-03-01,eleven"))
    assert codes_by_row(result) == {1: {"unknown_treatment_type", "not_a_number"}}
    assert result.quarantine["reasons"].iloc[0].count(":") == 2


def test_headers_are_matched_ignoring_case_and_spaces(write):
    text = "Patient ID,Treatment-Type,TREATMENT DATE,log date,Soreness,Extra\n"
    result = load(write("h.csv", text + "P1,PT,2025-03-01,2025-03-02,4,x\n"))
    assert result.rows_valid == 1
    assert result.ignored_columns == ("Extra",)


# ----------------------------------------------------------------------- formats


@pytest.fixture(scope="module")
def sample_result():
    return load_logs(sample_path(), today=TODAY)


def test_sample_is_valid_against_schema(sample_result):
    SorenessLog.validate(sample_result.logs)
    assert sample_result.rows_quarantined == 0
    assert sample_result.episodes == 400


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".tsv"])
def test_other_formats_give_the_same_frame(tmp_path, sample_result, suffix):
    raw = pd.read_csv(sample_path(), dtype=str, keep_default_na=False)
    path = tmp_path / f"logs{suffix}"
    if suffix == ".xlsx":
        raw.head(300).to_excel(path, index=False)
        expected = sample_result.logs.head(300)
    elif suffix == ".parquet":
        raw.to_parquet(path)
        expected = sample_result.logs
    else:
        raw.to_csv(path, sep="\t", index=False)
        expected = sample_result.logs
    got = load_logs(path, today=TODAY).logs
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True))


def test_typed_parquet(tmp_path, sample_result):
    path = tmp_path / "typed.parquet"
    sample_result.logs.to_parquet(path)
    pd.testing.assert_frame_equal(load_logs(path, today=TODAY).logs, sample_result.logs)


def test_loader_never_modifies_its_input(tmp_path):
    source = sample_path("messy_export.csv")
    copy = tmp_path / "messy.csv"
    copy.write_bytes(source.read_bytes())
    before = (copy.read_bytes(), copy.stat().st_mtime_ns)
    load_logs(copy, mapping=sample_path("messy_mapping.yaml"), today=TODAY)
    assert (copy.read_bytes(), copy.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messy.csv"]


def test_multi_line_values_keep_row_numbers(write):
    text = (
        HEADER
        + ",notes\n"
        + GOOD
        + ',"first line\nsecond line"\n'
        + "P2,PT,2025-03-01,2025-03-02,seven,\n"
    )
    result = load(write("m.csv", text))
    assert result.logs["notes"].tolist() == ["first line\nsecond line"]
    assert codes_by_row(result) == {2: {"not_a_number"}}


def test_crlf_line_endings(write):
    text = HEADER + "\r\n" + GOOD + "\r\n" + "P2,PT,2025-03-01,2025-03-02,eleven\r\n"
    result = load(write("crlf.csv", text))
    assert result.logs["soreness"].tolist() == [5]
    assert codes_by_row(result) == {2: {"not_a_number"}}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_episode_consistency_agrees_with_a_groupby_reference(seed):
    """The integer-code check equals "more than one value per episode" counted by pandas,
    missing values included (a missing attribute next to a present one is a disagreement;
    rows without an episode ID are never flagged)."""
    rng = np.random.default_rng(seed)
    n = 2_000

    def pick(choices):
        values = pd.Series(rng.choice(choices, n), dtype="str")
        return values.mask(rng.random(n) < 0.01)

    frame = pd.DataFrame(
        {
            "episode_id": pick([f"E{i}" for i in range(300)]),
            "patient_id": pick(["P1", "P2", "P3"] + ["P1"] * 60),
            "treatment_type": pick(["pt"] * 40 + ["injection"]),
            "treatment_date": pd.to_datetime(pick(["2025-01-01"] * 50 + ["2025-01-02"])),
        }
    )
    attributes = frame[list(EPISODE_ATTRIBUTES)]
    distinct = attributes.groupby(frame["episode_id"]).nunique(dropna=False)
    flagged = distinct.index[(distinct > 1).any(axis=1)]
    expected = frame["episode_id"].isin(flagged).to_numpy()
    assert 0 < expected.sum() < n  # both kinds of episode are present
    assert inconsistent_episode_rows(frame).tolist() == expected.tolist()


def test_fast_reader_and_exact_reader_give_the_same_result(write):
    """The Arrow reader (dictionary-encoded columns) and the row-exact reader (plain text,
    used when a file has blank lines) agree cell for cell: typed logs, quarantined originals
    (blanks stay blank), problems."""
    header = HEADER + ",flag_neuro_deficit,care_cold,site,clinician,notes,episode_id"
    rows = [
        GOOD + ',Yes, no ," Harbor ",H-1,"a, b",E1',
        "P1,chiropractic,2025-03-01,2025-03-02,4,NO,maybe,Harbor,,,E1",
        'P2,PT,2025-03-01,2025-03-01,11,,1,"",H-2,,E2',
        "P2,PT,2025-03-01,2025-03-02,3,n,checked,Harbor,H-2, keep spaces ,E2",
        "P3,yoga,2025-03-05,2025-03-05,2,true,False,North,H-3,,E3",
    ]
    text = header + "\n" + "\n".join(rows) + "\n"
    fast_path, exact_path = write("fast.csv", text), write("exact.csv", text + "\n")
    assert isinstance(read_raw(fast_path).frame["care_cold"].dtype, pd.CategoricalDtype)
    assert read_raw(exact_path).frame["care_cold"].dtype == "str"  # blank line: exact reader
    fast, exact = load(fast_path), load(exact_path)
    assert exact.blank_rows == 1 and fast.blank_rows == 0
    pd.testing.assert_frame_equal(fast.logs, exact.logs)
    pd.testing.assert_frame_equal(fast.quarantine, exact.quarantine)
    pd.testing.assert_frame_equal(fast.problems, exact.problems)
    assert codes_by_row(fast) == {
        2: {"invalid_boolean"},
        3: {"out_of_range"},
        5: {"unknown_treatment_type"},
    }
    assert fast.logs["site"].tolist() == ["Harbor", "Harbor"]
    assert fast.logs["notes"].tolist() == ["a, b", " keep spaces "]
    assert fast.quarantine["care_cold"].tolist() == ["maybe", "1", "False"]
    assert fast.quarantine["notes"].isna().all() and pd.isna(fast.quarantine["site"].iloc[1])


def test_lone_carriage_return_and_blank_line_keep_row_numbers(write):
    """Regression (found in review): a line ended by a lone CR plus a blank line left the LF
    count equal to the fast reader's rows, so row numbers were off by one."""
    text = HEADER + "\n" + GOOD + "\r" + GOOD.replace("03-01,5", "03-02,4") + "\n\n"
    text += "P1,chiropractic,2025-03-01,2025-03-03,99\n"
    result = load(write("cr.csv", text))
    assert result.blank_rows == 1
    assert codes_by_row(result) == {4: {"out_of_range"}}
    assert result.rows_valid == 2
