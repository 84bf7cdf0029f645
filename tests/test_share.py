"""--share: no small count is visible, none can be recovered, no patient is named."""

from __future__ import annotations

import pandas as pd
import pytest

from recovery_toolkit.cli import main
from recovery_toolkit.errors import OptionError
from recovery_toolkit.privacy import is_small, load_key, pseudonymise
from recovery_toolkit.samples import sample_path

from .conftest import HEADER

COUNTS = {
    "recovery_curve": ["n"],
    "time_to_resolution": ["episodes", "resolved", "censored"],
    "red_flag_incidence": ["episodes", "episodes_with_flag"],
    "adherence": ["days_answered", "days_adherent"],
    "completeness": ["episodes", "lost_to_follow_up"],
    "spc": ["n", "events"],
}


def _read(folder, name):
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    out = tmp_path_factory.mktemp("shared")
    assert main(["summary", "--share", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def internal(tmp_path_factory):
    out = tmp_path_factory.mktemp("internal")
    assert main(["summary", "--out", str(out)]) == 0
    return out


def test_no_small_count_is_visible(shared, internal):
    hidden_somewhere = 0
    for name, columns in COUNTS.items():
        table = _read(shared, name)
        for column in columns:
            values = pd.to_numeric(table[column], errors="coerce")
            assert not is_small(values).any(), (name, column)
            hidden_somewhere += int((table[column] == "<11").sum())
        original = _read(internal, name)
        assert len(original) == len(table)
    assert hidden_somewhere > 20  # the sample has many small cells: the rule was exercised


def test_what_a_hidden_count_would_reveal_is_hidden(shared):
    incidence = _read(shared, "red_flag_incidence")
    hidden = incidence["episodes_with_flag"] == "<11"
    assert (incidence.loc[hidden, "proportion"] == "suppressed").all()
    assert (incidence.loc[hidden, "rate_ci_high"] == "suppressed").all()
    ttr = _read(shared, "time_to_resolution")
    assert ((ttr["resolved"] == "<11") == (ttr["censored"] == "<11")).all()
    assert (ttr.loc[ttr["censored"] == "<11", "resolved_by_day_14"] == "suppressed").all()


def test_no_hidden_count_can_be_recovered_by_subtraction(shared):
    incidence = _read(shared, "red_flag_incidence")
    for _, rows in incidence.groupby("treatment_type"):
        flags = rows[rows["flag"] != "any"]
        any_row = rows[rows["flag"] == "any"].iloc[0]
        if any_row["episodes_with_flag"] != "<11":
            assert (flags["episodes_with_flag"] == "<11").sum() != 1
    spc = _read(shared, "spc")
    for _, rows in spc.groupby("month"):
        types = rows[rows["treatment_type"] != "all"]
        total = rows[rows["treatment_type"] == "all"].iloc[0]
        for column in ("events", "n"):
            if total[column] != "<11":
                assert (types[column] == "<11").sum() != 1, (rows["month"].iloc[0], column)
    for name, pairs in {"completeness": ("lost_to_follow_up", "episodes")}.items():
        table = _read(shared, name)
        part, whole = pairs
        shown = (table[part] != "<11") & (table[whole] != "<11")
        rest = table.loc[shown, whole].astype(int) - table.loc[shown, part].astype(int)
        assert not is_small(rest).any()


def test_alerts_are_left_out_without_a_key(shared):
    assert not (shared / "alerts.csv").exists()
    text = "".join(p.read_text() for p in shared.iterdir())
    assert "P0000" not in text and "E0000" not in text


def test_pseudonyms_are_stable_under_a_key_and_differ_across_keys(tmp_path):
    keys = []
    for name, secret in (("a", "first clinic secret 0123456789"), ("b", "other secret 9876543210")):
        key = tmp_path / f"{name}.key"
        key.write_text(secret)
        keys.append(key)
    outs = []
    for i, key in enumerate([keys[0], keys[0], keys[1]]):
        out = tmp_path / f"out{i}"
        assert (
            main(["summary", "--share", "--pseudonym-key-file", str(key), "--out", str(out)]) == 0
        )
        outs.append(_read(out, "alerts"))
    assert outs[0]["patient_id"].tolist() == outs[1]["patient_id"].tolist()
    assert set(outs[0]["patient_id"]).isdisjoint(outs[2]["patient_id"])
    assert outs[0]["patient_id"].str.match(r"^ps-[0-9a-f]{16}$").all()
    raw = pd.read_csv(sample_path(), dtype=str)["patient_id"]
    assert set(outs[0]["patient_id"]).isdisjoint(raw)


def test_pseudonymising_without_a_key_is_refused(tmp_path, capsys):
    with pytest.raises(OptionError, match="refused"):
        pseudonymise(pd.Series(["P1"]), None)
    short = tmp_path / "short.key"
    short.write_text("abc")
    with pytest.raises(OptionError, match="fewer than 16 bytes"):
        load_key(short)
    assert main(["summary", "--out", str(tmp_path / "x"), "--pseudonym-key-file", str(short)]) == 2
    assert "only applies with --share" in capsys.readouterr().err


def test_min_cell_is_an_option(tmp_path):
    assert main(["summary", "--share", "--min-cell", "50", "--out", str(tmp_path)]) == 0
    table = _read(tmp_path, "red_flag_incidence")
    values = pd.to_numeric(table["episodes_with_flag"], errors="coerce")
    assert not is_small(values, 50).any()
    assert (table["episodes_with_flag"] == "<50").any()


class _Tables(__import__("html.parser").parser.HTMLParser):
    """Collect every HTML table as (header, rows)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._row: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(([], []))
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "tr":
            self._row = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self.tables:
            header, rows = self.tables[-1]
            if not header:
                header.extend(self._row)
            else:
                rows.append(self._row)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


COUNT_HEADERS = {
    "n",
    "episodes",
    "patients",
    "resolved",
    "censored",
    "episodes_with_flag",
    "events",
    "lost_to_follow_up",
    "days_answered",
    "days_adherent",
    "rows",
    "escalated",
    "adherent_episodes",
    "other_episodes",
    "chiropractic",
    "physical_therapy",
    "injection",
    "minor_procedure",
    "overall",
}


def _shared_report(**kwargs):
    from recovery_toolkit import load_logs
    from recovery_toolkit.report import build_report

    return build_report(load_logs(sample_path()), share=True, **kwargs)


def test_shared_report_shows_no_small_count_and_no_patient():
    report = _shared_report()
    parser = _Tables()
    parser.feed(report)
    checked = 0
    for header, rows in parser.tables:
        for j, name in enumerate(header):
            if name in COUNT_HEADERS:
                values = pd.to_numeric(
                    pd.Series([r[j] for r in rows]).str.replace(",", ""), errors="coerce"
                )
                assert not is_small(values).any(), (name, header)
                checked += len(values)
    assert checked > 100
    assert "Shared version" in report and "&lt;11" in report
    assert "P0000" not in report and "E0000" not in report and "ps-" not in report


def test_shared_report_cohort_totals_hide_with_their_parts():
    parser = _Tables()
    parser.feed(_shared_report())
    header, rows = next(t for t in parser.tables if t[0][:1] == ["characteristic"])
    for row in rows:
        parts = row[1:-1]
        if any(cell == "<11" for cell in parts):
            assert row[-1] == "<11", row


def test_shared_report_with_a_key_lists_alerts_under_pseudonyms():
    report = _shared_report(pseudonym_key=b"a long clinic secret for tests")
    assert "ps-" in report and "P0000" not in report


def test_report_cli_share_options(tmp_path, capsys):
    key = tmp_path / "k.key"
    key.write_text("another long secret for the report")
    out = tmp_path / "shared.html"
    assert (
        main(
            [
                "report",
                "--share",
                "--min-cell",
                "20",
                "--pseudonym-key-file",
                str(key),
                "-o",
                str(out),
            ]
        )
        == 0
    )
    text = out.read_text()
    assert "&lt;20" in text and "ps-" in text and "P0000" not in text


def test_xlsx_workbook_has_a_sheet_per_table_and_neutralised_text(tmp_path, write):
    import openpyxl

    rows = [f'"=cmd|calc{i}",PT,2025-03-01,2025-03-{d:02d},8' for i in range(3) for d in (1, 16)]
    path = write("x.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    assert main(["summary", str(path), "--out", str(tmp_path / "o"), "--format", "xlsx"]) == 0
    book = openpyxl.load_workbook(tmp_path / "o" / "summary.xlsx")
    assert book.sheetnames == list(COUNTS) + ["alerts"]
    cells = [c.value for row in book["alerts"].iter_rows() for c in row]
    assert "'=cmd|calc0" in cells  # the patient ID, neutralised
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in cells)


def test_summary_refuses_to_overwrite_without_force(tmp_path, capsys):
    assert main(["summary", "--out", str(tmp_path)]) == 0
    before = (tmp_path / "spc.csv").read_bytes()
    assert main(["summary", "--out", str(tmp_path), "--window", "7"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "spc.csv").read_bytes() == before
    assert main(["summary", "--out", str(tmp_path), "--window", "7", "--force"]) == 0


def test_quarantine_can_be_corrected_and_loaded_again(tmp_path):
    from recovery_toolkit import load_logs

    fix_me = tmp_path / "fix_me.csv"
    assert (
        main(
            [
                "validate",
                str(sample_path("messy_export.csv")),
                "--mapping",
                str(sample_path("messy_mapping.yaml")),
                "--quarantine",
                str(fix_me),
            ]
        )
        == 0
    )
    table = pd.read_csv(fix_me, sep=";", dtype=str, keep_default_na=False)
    fixed = table.assign(
        **{
            "Pain (0-10)": "4",
            "Treatment": "PT",
            "Worse pain": "No",
            "Date": table["Treatment Date"],
        }
    )
    fixed = fixed.drop_duplicates(["Patient ID", "Treatment Date", "Date"])
    fixed.to_csv(tmp_path / "fixed.csv", sep=";", index=False)
    again = load_logs(tmp_path / "fixed.csv", mapping=sample_path("messy_mapping.yaml"))
    assert again.rows_quarantined == 0 and again.rows_valid == len(fixed)
    assert set(again.ignored_columns) == {"source_row", "reasons"}
