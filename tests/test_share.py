"""--share: no small count is visible, none can be recovered, no patient is named."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recovery_toolkit.cli import main
from recovery_toolkit.errors import OptionError
from recovery_toolkit.privacy import is_small, load_key, pseudonymise
from recovery_toolkit.render.html import column_label
from recovery_toolkit.samples import sample_path
from recovery_toolkit.schemas import OUTPUT_SCHEMAS

from .conftest import HEADER

COUNTS = {
    "recovery_curve": ["n"],
    "time_to_resolution": ["episodes", "resolved", "censored"],
    "red_flag_incidence": ["episodes", "episodes_with_flag"],
    "adherence": ["days_answered", "days_adherent"],
    "completeness": ["episodes", "lost_to_follow_up"],
    "spc": ["n", "events"],
    "funnel": ["episodes", "observed"],
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


HIDDEN = ("suppressed",)


def _is_hidden(values) -> pd.Series:
    return pd.Series(values).astype(str).isin(HIDDEN)


def test_no_small_count_is_visible(shared, internal):
    hidden_somewhere = 0
    for name, columns in COUNTS.items():
        table = _read(shared, name)
        for column in columns:
            values = pd.to_numeric(table[column], errors="coerce")
            assert not is_small(values).any(), (name, column)
            hidden_somewhere += int((table[column] == "suppressed").sum())
        original = _read(internal, name)
        if name == "funnel":  # clinicians are left out of shared outputs
            original = original[original["unit_type"] != "clinician"]
        assert len(original) == len(table)
    assert hidden_somewhere > 20  # the sample has many small cells: the rule was exercised


def test_every_hidden_count_reads_the_same_label(shared, internal):
    shared_t = _read(shared, "time_to_resolution").set_index("treatment_type")
    internal_t = _read(internal, "time_to_resolution").set_index("treatment_type")
    # chiropractic: 7 censored of 130 sore episodes, so the 123 resolved hide too; two labels
    # ("<11" and "suppressed") would tell a reader which one is small, and bounds like that
    # solve tables
    assert internal_t.loc["chiropractic", ["censored", "resolved"]].tolist() == ["7", "123"]
    assert shared_t.loc["chiropractic", ["censored", "resolved"]].tolist() == ["suppressed"] * 2


def test_what_a_hidden_count_would_reveal_is_hidden(shared):
    incidence = _read(shared, "red_flag_incidence")
    hidden = _is_hidden(incidence["episodes_with_flag"])
    assert (incidence.loc[hidden, "proportion"] == "suppressed").all()
    assert (incidence.loc[hidden, "rate_ci_high"] == "suppressed").all()
    ttr = _read(shared, "time_to_resolution")
    assert (_is_hidden(ttr["resolved"]) == _is_hidden(ttr["censored"])).all()
    assert (ttr.loc[_is_hidden(ttr["censored"]), "resolved_by_day_14"] == "suppressed").all()


def _cohort(seed: int, episodes: int) -> tuple:
    from recovery_toolkit import compute, generate_logs, share

    results = compute(generate_logs(episodes, rng=seed, notes=False, months=3))
    shared = share(results)
    tables = results.summary_tables()
    return tables, shared.summary_tables(), shared.tables["table_one"], results.tables["km"]


def _lone(cells: list, total_shown: bool) -> bool:
    """True when a set of cells adding up to a shown total has exactly one hidden cell."""
    return total_shown and int(_is_hidden(cells).sum()) == 1


def _assert_nothing_recoverable(shared: dict, table_one: pd.DataFrame) -> None:
    """Every linear relation a reader of the shared outputs knows leaves no hidden count alone."""
    ttr = shared["time_to_resolution"].set_index("treatment_type")
    for _, row in ttr.iterrows():
        # sore episodes = resolved + censored; episodes = sore + no reaction + no baseline
        assert not _lone(
            [row["resolved"], row["censored"]], not _is_hidden([row["sore_episodes"]])[0]
        )
        parts = [row["sore_episodes"], row["no_reaction"], row["baseline_missing"]]
        assert not _lone(parts, not _is_hidden([row["episodes"]])[0])
    for column in ("sore_episodes", "no_reaction", "baseline_missing"):  # totals in Table 1
        assert not _lone(ttr[column].tolist(), True), column
    t1 = table_one  # rows by key
    types = [c for c in t1.columns if c not in ("overall", "characteristic")]
    for name, row in t1.iterrows():  # the overall column is the sum of the types (not patients)
        if name != "patients":
            assert not _lone(row[types].tolist(), not _is_hidden([row["overall"]])[0]), name
    flags = shared["red_flag_incidence"]
    for flag, rows in flags.groupby("flag"):  # a flag's count over types: shown in Table 1
        assert not _lone(rows["episodes_with_flag"].tolist(), True), flag
    any_rows = flags[flags["flag"] == "any"].set_index("treatment_type")["episodes_with_flag"]
    # the same count hides in every table that shows it
    pairs = [
        (any_rows, t1.loc["any_flag", types]),
        (ttr["resolved"], t1.loc["resolved", types]),
        (ttr["no_reaction"], t1.loc["no_reaction", types]),
        (ttr["baseline_missing"], t1.loc["baseline_missing", types]),
        (
            shared["completeness"].set_index("treatment_type")["lost_to_follow_up"],
            t1.loc["lost_to_follow_up", types],
        ),
    ]
    for left, right in pairs:
        assert (_is_hidden(left.reindex(types)).to_numpy() == _is_hidden(right).to_numpy()).all()
    spc = shared["spc"]
    for column in ("n", "events"):  # a month's types add up to its "all" row
        for _, rows in spc.groupby("month"):
            total = rows[rows["treatment_type"] == "all"][column]
            members = rows[rows["treatment_type"] != "all"][column].tolist()
            assert not _lone(members, not _is_hidden(total).all())
        for _, rows in spc.groupby("treatment_type"):  # a series adds up to a shown total
            assert not _lone(rows[column].tolist(), True)
    centre = spc.drop_duplicates("treatment_type").set_index("treatment_type")["center"]
    for kind in any_rows.index:  # centre × episodes is the count of episodes with a flag
        if _is_hidden([any_rows[kind]])[0]:
            assert _is_hidden([centre[kind]])[0]
    for kind, rows in spc.groupby("treatment_type"):
        # with an incomplete month the centre (complete months only) splits the series' total
        partial = (rows["complete"].astype(str) == "False").any()
        some_hidden = _is_hidden(rows["n"]).any() or _is_hidden(rows["events"]).any()
        if partial and some_hidden:
            assert _is_hidden(rows["center"]).all(), kind


def test_no_hidden_count_can_be_recovered_in_the_sample(shared):
    from recovery_toolkit import compute, load_logs, share

    t1 = share(compute(load_logs(sample_path()))).tables["table_one"]
    files = {name: _read(shared, name) for name in COUNTS}
    _assert_nothing_recoverable(files, t1)


@pytest.mark.parametrize("seed, episodes", [(1, 40), (2, 90), (3, 150), (4, 25)])
def test_no_hidden_count_can_be_recovered_in_small_cohorts(seed, episodes):
    _, shared, table_one, _ = _cohort(seed, episodes)
    _assert_nothing_recoverable(shared, table_one)
    for name, columns in COUNTS.items():
        for column in columns:
            values = pd.to_numeric(shared[name][column].astype(str), errors="coerce")
            assert not is_small(values).any(), (seed, name, column)


@pytest.mark.parametrize("seed, episodes", [(5, 60), (6, 400)])
def test_shared_km_steps_hold_at_least_min_cell_resolutions(seed, episodes):
    from recovery_toolkit.privacy import coarsen_km

    tables, shared, _, km = _cohort(seed, episodes)
    coarse = coarsen_km(km)
    assert not {"at_risk", "events", "censored"} & set(coarse.columns)
    for kind, rows in km.groupby("treatment_type", observed=True):
        cumulative = rows.set_index("day")["events"].cumsum()
        group = coarse.loc[coarse["treatment_type"] == kind]
        assert group.empty or group["day"].iloc[0] == 0  # a drawn curve starts from day 0
        drawn = group.loc[group["resolved_share"] > 0, "day"].tolist()
        total = [int(rows["events"].sum())] if drawn else []  # the remainder after a step
        reached = [0, *cumulative.loc[drawn].tolist(), *total]
        steps = pd.Series(reached).diff().dropna()
        assert not is_small(steps).any(), (kind, reached)
        shown = shared["time_to_resolution"].set_index("treatment_type").loc[str(kind)]
        values = set(coarse.loc[coarse["treatment_type"] == kind, "resolved_share"].round(9))
        for day in (3, 7, 14):
            value = shown[f"resolved_by_day_{day}"]
            if value != "suppressed":  # a shown share is one the chart draws
                assert round(float(value), 9) in values, (kind, day)


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
    assert (table["episodes_with_flag"] == "suppressed").any()
    banner = _shared_report(min_cell=50)
    assert "Counts from 1 to 49" in banner


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


_COUNT_COLUMNS = {
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
#: The same columns as the report heads them (tables are displayed with human labels).
COUNT_HEADERS = {column_label(c) for c in _COUNT_COLUMNS}


def _shared_report(**kwargs):
    from recovery_toolkit import load_logs
    from recovery_toolkit.render.report import build_report

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
    assert "Shared version" in report and "Counts from 1 to 10" in report
    assert "P0000" not in report and "E0000" not in report and "ps-" not in report


def test_shared_report_cohort_table_leaves_no_lone_hidden_cell():
    parser = _Tables()
    parser.feed(_shared_report())
    header, rows = next(t for t in parser.tables if t[0][:1] == ["Characteristic"])
    for row in rows:
        if row[0] != "Patients":
            assert not _lone(row[1:-1], not _is_hidden([row[-1]])[0]), row


def test_shared_report_km_charts_hold_no_counts():
    report = _shared_report()
    assert "Still sore (at risk)" not in report and "Resolved that day" not in report
    assert "steps merged so that each holds at least 11 resolutions" in report


def test_shared_report_with_a_key_lists_alerts_under_pseudonyms():
    report = _shared_report(pseudonym_key=b"a long clinic secret for tests")
    assert "ps-" in report and "P0000" not in report
    assert "Record-level list." in report  # the reader is told its counts are not suppressed


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
    assert "Counts from 1 to 19" in text and "ps-" in text and "P0000" not in text
    assert "counts are not suppressed" in capsys.readouterr().err


def test_xlsx_workbook_has_a_sheet_per_table_and_neutralised_text(tmp_path, write):
    import openpyxl

    rows = [f'"=cmd|calc{i}",PT,2025-03-01,2025-03-{d:02d},8' for i in range(3) for d in (1, 16)]
    path = write("x.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    assert main(["summary", str(path), "--out", str(tmp_path / "o"), "--format", "xlsx"]) == 0
    book = openpyxl.load_workbook(tmp_path / "o" / "summary.xlsx")
    optional = {"recovery_curve_model"}  # only with --model-curve
    assert book.sheetnames == [n for n in OUTPUT_SCHEMAS if n not in optional]  # in order
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


@pytest.mark.parametrize(
    "args, message",
    [
        (["--min-cell", "5"], "only applies with --share"),
        (["--share", "--min-cell", "1"], "must be at least 2"),
    ],
)
def test_min_cell_is_checked(tmp_path, capsys, args, message):
    assert main(["report", *args, "-o", str(tmp_path / "r.html")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


# --- what an adversarial review recovered once, and must not again ---------------------------


def test_a_mean_hides_with_its_n(shared):
    """A mean of whole scores reveals its denominator (606 / 137 = 4.423358)."""
    curve = _read(shared, "recovery_curve")
    hidden_n = curve["n"] == "suppressed"
    assert hidden_n.sum() > 5
    for column in ("mean", "ci_low", "median", "p10", "p90"):
        assert (curve.loc[hidden_n, column] == "suppressed").all(), column


def test_the_days_of_a_type_never_leave_one_hidden_n(shared):
    """mean_completeness x episodes x 15 is a type's total logs: the sum of its days' n."""
    curve = _read(shared, "recovery_curve")
    for kind, rows in curve.groupby("treatment_type"):
        assert (rows["n"] == "suppressed").sum() != 1, kind


def test_a_flag_never_leaves_a_small_rest_of_any_flag(shared, internal):
    shown = _read(shared, "red_flag_incidence")
    for kind, rows in shown.groupby("treatment_type"):
        total = rows.loc[rows["flag"] == "any", "episodes_with_flag"].iloc[0]
        if total == "suppressed":
            continue
        for value in rows.loc[rows["flag"] != "any", "episodes_with_flag"]:
            if value != "suppressed":
                assert not is_small(np.array([int(total) - int(value)]))[0], (kind, value)


def test_checklist_items_hide_when_few_never_answered():
    """Per item, adherent + other + never answered = the sore episodes (shown elsewhere):
    when the never-answered are few, the pair hides."""
    from recovery_toolkit.privacy import SharePlan, share_item_resolution

    no = pd.Series({"a": False})
    plan = SharePlan(pd.Series({"a": 60}), no, pd.Series({"a": 0}), no, sore=pd.Series({"a": 40}))
    table = pd.DataFrame(
        {
            "item": ["ice", "sleep"],
            "adherent_episodes": [20, 20],
            "other_episodes": [17, 20],  # ice: 3 sore episodes never answered it
            "resolved_by_day_7_adherent": [0.5, 0.5],
            "resolved_by_day_7_other": [0.5, 0.5],
            "difference": [0.0, 0.0],
        }
    )
    shown = share_item_resolution(plan, table).set_index("item")
    assert shown.loc["ice", "adherent_episodes"] == "suppressed"
    assert shown.loc["ice", "other_episodes"] == "suppressed"
    assert shown.loc["sleep", "adherent_episodes"] == 20


@pytest.mark.parametrize("seed, episodes", [(0, 400), (2, 250), (7, 120)])
def test_shared_km_reveals_no_at_risk_or_censored_count(seed, episodes):
    """Between drawn steps and after each, censored and still-at-risk counts are 0 or >= 11,
    and the plotted shares are whole percent (no exact ratio to solve for a count)."""
    from recovery_toolkit.privacy import coarsen_km

    _, _, _, km = _cohort(seed, episodes)
    coarse = coarsen_km(km)
    assert (coarse["resolved_share"] == coarse["resolved_share"].round(2)).all()
    for kind, rows in km.groupby("treatment_type", observed=True):
        rows = rows.set_index("day")
        drawn = coarse.loc[
            (coarse["treatment_type"] == kind) & (coarse["resolved_share"] > 0), "day"
        ].tolist()
        previous = -1
        for day in drawn:
            censored = rows.loc[max(previous, 0) : day, "censored"].sum()
            left = rows.loc[day, "at_risk"] - rows.loc[day, "events"] - rows.loc[day, "censored"]
            assert not is_small(np.array([censored, left])).any(), (kind, day)
            previous = day


def test_a_shared_manifest_hides_small_row_counts(tmp_path, write):
    rows = [f"P{i},PT,2025-03-01,2025-03-{d:02d},4" for i in range(30) for d in (1, 2)]
    rows[0] = "P0,PT,2025-03-01,2025-03-01,12"  # one row quarantined
    path = write("x.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    assert main(["summary", str(path), "--share", "--out", str(tmp_path / "o")]) == 0
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["rows"]["quarantined"] == "suppressed"
    assert manifest["rows"]["valid"] == "suppressed"


# --- what a second adversarial review recovered -------------------------------------------


@pytest.fixture(scope="module")
def one_small_type(tmp_path_factory):
    """The sample with 7 minor-procedure episodes: minor hides, and injection with it."""
    logs = pd.read_csv(sample_path(), dtype=str, keep_default_na=False)
    minor = logs.loc[logs["treatment_type"] == "minor_procedure", "episode_id"].unique()
    logs = logs.loc[~logs["episode_id"].isin(minor[7:])]
    folder = tmp_path_factory.mktemp("small_type")
    path = folder / "cut.csv"
    logs.to_csv(path, index=False)
    assert main(["summary", str(path), "--share", "--out", str(folder / "s")]) == 0
    return folder / "s"


def test_statistics_hide_with_a_type_hidden_as_a_complement(one_small_type):
    """A mean's decimals bound its denominator (0.869020 = days / (15 x 85)), and a shown
    statistic beside a hidden count would say the count is not small."""
    ttr = _read(one_small_type, "time_to_resolution").set_index("treatment_type")
    completeness = _read(one_small_type, "completeness").set_index("treatment_type")
    adherence = _read(one_small_type, "adherence")
    hidden = ttr.index[ttr["episodes"] == "suppressed"].tolist()
    assert set(hidden) == {"injection", "minor_procedure"}
    for kind in hidden:
        assert (
            ttr.loc[kind, ["median_days", "median_ci_low", "resolved_by_day_7"]] == "suppressed"
        ).all()
        assert completeness.loc[kind, "mean_completeness"] == "suppressed"
        rows = adherence[adherence["treatment_type"] == kind]
        assert (rows[["days_answered", "days_adherent", "proportion"]] == "suppressed").all().all()


def test_a_shared_manifest_hides_a_small_episode_count(tmp_path, write):
    rows = [f"P{i},PT,2025-03-01,2025-03-{d:02d},4" for i in range(8) for d in (1, 2)]
    path = write("few.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    assert main(["summary", str(path), "--share", "--out", str(tmp_path / "o")]) == 0
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["episodes"] == "suppressed"


def test_a_shared_report_of_a_tiny_redcap_export_works(tmp_path):
    """Eight records, one treatment type missing from the escalation table."""
    source = pd.read_csv(sample_path("redcap_export.csv"), dtype=str, keep_default_na=False)
    first = source["record_id"].drop_duplicates().head(8)
    path = tmp_path / "rc8.csv"
    source[source["record_id"].isin(first)].to_csv(path, index=False)
    out = tmp_path / "r.html"
    args = ["report", str(path), "--mapping", str(sample_path("redcap_mapping.toml"))]
    assert main([*args, "--share", "-o", str(out)]) == 0
    assert "Shared version" in out.read_text()


def test_shared_cumulative_incidence_says_no_more_than_the_proportion():
    """A Kaplan-Meier value bounds the episodes that stopped logging (an adversarial review
    did it): shared, it shows in whole percent only where it equals the proportion so rounded,
    and never with its interval."""
    from recovery_toolkit import compute, load_logs, share

    results = compute(load_logs(sample_path()))
    internal = results.tables["red_flag_incidence"]
    shown = share(results).tables["red_flag_incidence"]
    assert (shown["cumulative_ci_low"] == "suppressed").all()
    visible = (shown["cumulative_incidence"] != "suppressed").to_numpy()
    same = internal["cumulative_incidence"].round(2) == internal["proportion"].round(2)
    assert not (visible & ~same.to_numpy()).any()
    for value, exact in zip(
        shown.loc[visible, "cumulative_incidence"],
        internal.loc[visible, "cumulative_incidence"],
        strict=True,
    ):
        assert value == round(exact, 2)


def _grid_cohort(spec: dict) -> pd.DataFrame:
    """Hand-made cohorts of an adversarial review: per type, episodes with no reaction,
    resolving on given days, or stopping logging on day 3 (one patient per episode)."""
    from recovery_toolkit.scenarios import logs_from_grid

    parts = []
    for kind, (no_reaction, resolve_days, stop) in spec.items():
        rows = [[1] * 15] * no_reaction
        rows += [[6 if d < day else 0 for d in range(15)] for day in resolve_days]
        rows += [[6] * 15] * stop
        seen = np.ones((len(rows), 15), dtype=bool)
        seen[len(rows) - stop :, 4:] = False
        logs = logs_from_grid(np.array(rows), seen, treatment_type=kind)
        parts.append(logs.assign(episode_id=kind + logs["episode_id"], patient_id=kind))
    return pd.concat(parts, ignore_index=True)


def _no_small_hidden_sum(cells: list, total) -> None:
    """The total minus the shown cells (the hidden cells' sum) is not from 1 to 10 (0 says the
    hidden cells are zeros; the partition rules keep the rest of their rows hidden then)."""
    if _is_hidden([total])[0] or not _is_hidden(cells).any():
        return
    hidden_sum = int(total) - sum(int(c) for c in cells if not _is_hidden([c])[0])
    assert not is_small(np.array([hidden_sum]))[0], hidden_sum  # 0 (all zeros) or >= 11


@pytest.mark.parametrize("episodes, seed", [(120, 2), (130, 1), (145, 1), (120, 3), (195, 0)])
def test_table_one_totals_do_not_give_away_the_censored(episodes, seed):
    """Episodes - no reaction - no baseline - resolved = censored, over all types (found by an
    adversarial review: the overall 'resolved' was tested against episodes, not sore ones)."""
    from recovery_toolkit import compute, generate_logs, share

    shared = share(compute(generate_logs(episodes, rng=seed, notes=False, months=3)))
    overall = shared.tables["table_one"]["overall"]
    keys = ["episodes", "no_reaction", "baseline_missing", "resolved"]
    if not _is_hidden(overall.loc[keys]).any():
        censored = int(overall["episodes"]) - sum(int(overall[k]) for k in keys[1:])
        assert not is_small(np.array([censored]))[0], censored
    t1 = shared.tables["table_one"]
    types = [c for c in t1.columns if c not in ("characteristic", "overall")]
    for key in ("no_reaction", "baseline_missing", "resolved", "any_flag", "high_adherence"):
        _no_small_hidden_sum(t1.loc[key, types].tolist(), t1.loc[key, "overall"])


def test_a_hidden_zero_does_not_solve_a_type_s_no_reaction_count():
    """Chiropractic has 5 episodes with no reaction; the other types 20, 0 and 15 and no
    episode lacks a baseline: no shown number gives the 5 away."""
    from recovery_toolkit import compute, share

    def days(n, first):
        return [first + i % 6 for i in range(n)]

    spec = {
        "chiropractic": (5, days(40, 2), 15),
        "physical_therapy": (20, days(25, 3), 15),
        "injection": (0, days(45, 4), 15),
        "minor_procedure": (15, days(30, 5), 15),
    }
    shared = share(compute(_grid_cohort(spec)))
    t1 = shared.tables["table_one"]
    types = [c for c in t1.columns if c not in ("characteristic", "overall")]
    _no_small_hidden_sum(t1.loc["no_reaction", types].tolist(), t1.loc["no_reaction", "overall"])
    ttr = shared.tables["time_to_resolution"].set_index("treatment_type")
    assert _is_hidden([ttr.loc["chiropractic", "no_reaction"]])[0]
    assert _is_hidden([t1.loc["no_reaction", "chiropractic"]])[0]


def test_milestone_bounds_hide_where_resolved_hides():
    """The worst case at the window's end is the resolved count: where the time-to-resolution
    table hides resolved, the bounds hide too."""
    from recovery_toolkit import compute, share

    def days(pairs):
        return [day for count, day in pairs for _ in range(count)]

    spec = {
        "chiropractic": (0, days([(55, 3)]), 5),
        "physical_therapy": (0, days([(15, 3), (15, 10)]), 15),
        "injection": (0, days([(20, 4), (20, 6)]), 20),
        "minor_procedure": (0, days([(25, 5), (20, 8)]), 25),
    }
    shared = share(compute(_grid_cohort(spec)))
    ttr = shared.tables["time_to_resolution"].set_index("treatment_type")
    milestones = shared.tables["resolution_milestones"]
    bounds = milestones["method"].isin(["best_case", "worst_case"])
    for kind in ttr.index:
        if _is_hidden([ttr.loc[kind, "resolved"]])[0]:
            rows = bounds & (milestones["treatment_type"] == kind)
            assert _is_hidden(milestones.loc[rows, "resolved"]).all(), kind
