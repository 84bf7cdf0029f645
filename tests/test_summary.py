"""recovery-toolkit summary: the DESIGN §5 files, byte-stable, with a manifest."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from recovery_toolkit import analysis, load_logs
from recovery_toolkit.cli import main
from recovery_toolkit.samples import sample_path
from recovery_toolkit.schemas import OUTPUT_SCHEMAS
from recovery_toolkit.schemas.outputs import schema_columns

EXPECTED_COLUMNS = {
    "recovery_curve": "treatment_type,day,n,n_at_risk,mean,ci_low,ci_high,p10,p25,median,p75,p90",
    "time_to_resolution": "treatment_type,episodes,baseline_missing,no_reaction,"
    "no_reaction_share,sore_episodes,resolved,censored,median_days,median_ci_low,"
    "median_ci_high,resolved_by_day_3,resolved_by_day_7,resolved_by_day_14",
    "resolution_milestones": "treatment_type,day,method,resolved,ci_low,ci_high",
    "hazard_ratios": "treatment_type,reference,hr,ci_low,ci_high,p_value",
    "red_flag_incidence": "treatment_type,flag,episodes,episodes_with_flag,proportion,ci_low,"
    "ci_high,cumulative_incidence,cumulative_ci_low,cumulative_ci_high,rate_per_100_days,"
    "rate_ci_low,rate_ci_high",
    "adherence": "treatment_type,item,days_answered,days_adherent,proportion",
    "adherence_landmark": "landmark_day,item,episodes,events,hr,ci_low,ci_high,p_value,q_value",
    "completeness": "treatment_type,episodes,mean_completeness,lost_to_follow_up,lost_share",
    "spc": "treatment_type,month,n,events,p,center,lcl,ucl,complete,signal,rule",
    "funnel": "unit_type,unit,measure,episodes,observed,expected,ratio,low_95,high_95,low_998,"
    "high_998,outside",
    "alerts": "episode_id,patient_id,treatment_type,severity,reason,day,contact_within_1_day",
}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("summary")
    assert main(["summary", "--out", str(out / "a")]) == 0
    assert main(["summary", "--out", str(out / "b")]) == 0
    return out


def test_writes_every_design_file_with_exact_columns(written):
    names = sorted(p.name for p in (written / "a").iterdir())
    assert names == sorted([f"{n}.csv" for n in EXPECTED_COLUMNS] + ["manifest.json"])
    for name, header in EXPECTED_COLUMNS.items():
        text = (written / "a" / f"{name}.csv").read_text()
        assert text.splitlines()[0] == header
        frame = pd.read_csv(written / "a" / f"{name}.csv")
        assert len(frame) > 0, name


def test_two_runs_are_byte_identical(written):
    for path in (written / "a").iterdir():
        assert path.read_bytes() == (written / "b" / path.name).read_bytes(), path.name


def test_floats_have_a_fixed_format(written):
    line = (written / "a" / "recovery_curve.csv").read_text().splitlines()[1]
    assert all(len(cell.split(".")[1]) == 6 for cell in line.split(",")[4:])  # after n_at_risk


def test_manifest(written):
    manifest = json.loads((written / "a" / "manifest.json").read_text())
    assert manifest["input"]["file"] == "soreness_logs.csv"
    assert len(manifest["input"]["sha256"]) == 64
    rows = manifest["rows"]
    assert rows["read"] == rows["valid"] + rows["quarantined"] + rows["merged"] == 5204
    from recovery_toolkit import Settings

    assert manifest["parameters"] == {**Settings().as_dict(), "milestone_days": [3, 7, 14]}
    assert {"pandas", "statsmodels", "recovery-toolkit"} <= set(manifest["package_versions"])


def test_tables_agree_with_the_analysis_functions(written):
    logs = load_logs(sample_path()).logs
    episodes = analysis.episode_table(logs)
    ttr = pd.read_csv(written / "a" / "time_to_resolution.csv")
    direct = analysis.time_to_resolution(episodes)
    assert ttr["median_days"].tolist() == direct["median_days"].tolist()
    curve = pd.read_csv(written / "a" / "recovery_curve.csv")
    assert curve["n"].sum() == len(analysis.in_window(logs))


def test_options_change_the_results(tmp_path):
    assert (
        main(
            [
                "summary",
                "--out",
                str(tmp_path / "w"),
                "--window",
                "7",
                "--resolved-at",
                "1",
                "--definition",
                "pace",
            ]
        )
        == 0
    )
    curve = pd.read_csv(tmp_path / "w" / "recovery_curve.csv")
    assert curve["day"].max() == 7
    manifest = json.loads((tmp_path / "w" / "manifest.json").read_text())
    parameters = manifest["parameters"]
    assert (parameters["window_days"], parameters["resolved_at"]) == (7, 1)
    assert parameters["definition"] == "pace"


def test_messy_export_through_its_mapping(tmp_path):
    code = main(
        [
            "summary",
            str(sample_path("messy_export.csv")),
            "--mapping",
            str(sample_path("messy_mapping.yaml")),
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["rows"]["quarantined"] == 10
    assert manifest["loader_options"]["mapping"] == "messy_mapping.yaml"


def test_output_tables_follow_their_schemas(written):
    for name in EXPECTED_COLUMNS:  # the model-based curve only with --model-curve
        schema = OUTPUT_SCHEMAS[name]
        frame = pd.read_csv(written / "a" / f"{name}.csv", keep_default_na=True)
        frame = frame.astype({c: "str" for c in frame.columns if frame[c].dtype == object})
        assert schema_columns(schema, frame.columns) == list(frame.columns)


def test_milestone_days_are_a_setting(tmp_path):
    """Other milestone days give other columns, still validated and still shared safely."""
    from recovery_toolkit import compute, load_logs, share
    from recovery_toolkit.samples import sample_path

    results = compute(load_logs(sample_path()), milestone_days=(2, 5))
    table = results.summary_tables()["time_to_resolution"]
    assert [c for c in table.columns if c.startswith("resolved_by")] == [
        "resolved_by_day_2",
        "resolved_by_day_5",
    ]
    shared = share(results).summary_tables()["time_to_resolution"]
    assert set(shared["resolved_by_day_5"].astype(str)) <= {"suppressed"} | {
        str(v) for v in table["resolved_by_day_5"].round(2)
    }


@pytest.mark.parametrize(
    "spec",
    [
        {"id": "late", "soreness": [5], "days": [30]},  # no logs in the window
        {"id": "one", "soreness": [5, 1]},  # one episode, two logs
        {"id": "flat", "soreness": [5] * 15},  # never resolves
    ],
)
def test_degenerate_inputs_give_tables_and_warnings_not_exceptions(spec):
    from recovery_toolkit import compute
    from recovery_toolkit.errors import RecoveryToolkitWarning

    from .conftest import make_logs

    with pytest.warns(RecoveryToolkitWarning):
        tables = compute(make_logs(spec)).summary_tables()
    for name, table in tables.items():
        OUTPUT_SCHEMAS[name].validate(table)


@pytest.fixture(scope="module")
def computed():
    return analysis.compute(load_logs(sample_path()))


def _defects(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One broken copy of ``table`` per kind of defect a schema catches."""
    numeric = next(c for c in table.columns if table[c].dtype.kind in "if")
    text = next(c for c in table.columns if table[c].dtype == "str")
    broken = {
        "a negative count or share": table.assign(**{numeric: -1 * table[numeric].abs() - 1}),
        "a column missing": table.drop(columns=table.columns[-1]),
        "columns out of order": table[list(reversed(table.columns))],
        "an extra column": table.assign(extra=1),
        "a number stored as text": table.assign(**{numeric: table[numeric].astype("str")}),
        "a null in a required column": table.assign(**{text: None}).astype({text: "str"}),
    }
    return broken


@pytest.mark.parametrize("name", sorted(set(EXPECTED_COLUMNS) - {"alerts"}))
def test_the_quick_schema_pass_agrees_with_pandera(computed, name):
    """conform's quick test passes exactly the tables pandera passes (here: every computed
    table, and none of their broken copies), so skipping pandera on a pass changes nothing."""
    from pandera.errors import SchemaError, SchemaErrors

    from recovery_toolkit.schemas.outputs import holds

    schema = OUTPUT_SCHEMAS[name]
    table = computed.tables[name]
    assert holds(schema, table)
    OUTPUT_SCHEMAS[name].validate(table)
    rejected = []
    for defect, broken in _defects(table).items():
        try:
            schema.validate(broken)
        except (SchemaError, SchemaErrors):
            rejected.append(defect)
            assert not holds(schema, broken), defect
    # a column declared by pattern may go missing unnoticed (resolved_by_day_<d>); nothing else
    assert len(rejected) >= 5, rejected
