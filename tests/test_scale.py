"""The Parquet-folder path gives exactly the tables of the in-memory path on the same rows."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from recovery_toolkit import Settings, compute, load_logs
from recovery_toolkit.cli import main
from recovery_toolkit.engines.parquet import summarise_dataset
from recovery_toolkit.errors import InputFileError


@pytest.mark.parametrize("settings", [Settings(), Settings(model_max_episodes=200)])
def test_folder_and_memory_give_identical_tables(registry, settings):
    """Every table, bit for bit; with a model limit below the registry's size the Cox models
    are fitted on the same seeded sample whichever part each episode is in."""
    whole, folder, _ = registry
    in_memory = load_logs(whole)
    expected = compute(in_memory, settings)
    results = summarise_dataset(folder, settings, rows_per_part=2_500)  # several parts
    assert results.provenance.options["parts"] >= 3 and results.logs is None
    for name, table in expected.tables.items():  # every table, the report's included
        pd.testing.assert_frame_equal(results.tables[name], table, check_exact=True)
    rows = results.provenance.rows
    assert (rows["read"], rows["valid"], rows["quarantined"]) == (
        in_memory.rows_read,
        in_memory.rows_valid,
        in_memory.rows_quarantined,
    )
    assert rows["quarantined"] >= 3


def test_a_quarantined_row_points_to_its_file_and_row(registry):
    _, folder, files = registry
    summary = summarise_dataset(folder, rows_per_part=2_500)
    quarantine = summary.quarantine
    bad = quarantine.loc[quarantine["soreness"] == "12"].iloc[0]
    source = pd.read_parquet(folder / bad["source_file"])
    original = source.iloc[int(bad["source_row"]) - 1]
    assert original["soreness"] == "12"
    assert original["patient_id"] == bad["patient_id"]
    assert {"out_of_range", "unknown_treatment_type", "duplicate_row"} <= set(
        summary.provenance.problems["code"]
    )


def test_cli_summary_of_a_folder_matches_the_file(registry, tmp_path):
    whole, folder, files = registry
    assert (
        main(["summary", str(folder), "--out", str(tmp_path / "f"), "--rows-per-part", "3000"]) == 0
    )
    assert main(["summary", str(whole), "--out", str(tmp_path / "w")]) == 0
    for name in ("recovery_curve", "time_to_resolution", "spc", "alerts"):
        assert (tmp_path / "f" / f"{name}.csv").read_bytes() == (
            tmp_path / "w" / f"{name}.csv"
        ).read_bytes(), name
    manifest = json.loads((tmp_path / "f" / "manifest.json").read_text())
    assert manifest["input"]["file"] == folder.name and len(manifest["input"]["sha256"]) == 64
    assert manifest["loader_options"]["files"] == len(files)


def test_a_shared_summary_of_a_folder_works_too(registry, tmp_path):
    _, folder, _ = registry
    assert main(["summary", str(folder), "--share", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "red_flag_incidence.csv", dtype=str)
    assert (table["episodes_with_flag"] == "suppressed").any()


def test_folders_that_cannot_be_summarised_get_one_line(tmp_path, capsys):
    with pytest.raises(InputFileError, match="holds no .parquet files"):
        summarise_dataset(tmp_path)
    assert main(["summary", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "holds no .parquet files" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "-o", str(tmp_path / "r.html")]) == 2
    assert "holds no .parquet files" in capsys.readouterr().err


def test_a_report_of_a_folder_has_the_numbers_of_the_file(registry, tmp_path):
    whole, folder, _ = registry
    assert main(["report", str(folder), "-o", str(tmp_path / "folder.html")]) == 0
    assert main(["report", str(whole), "-o", str(tmp_path / "file.html")]) == 0
    texts = [(tmp_path / f"{name}.html").read_text() for name in ("folder", "file")]
    kpis = [re.findall(r'class="kpi"[^>]*><b>([^<]*)</b>([^<]*)', text) for text in texts]
    assert kpis[0] == kpis[1] and len(kpis[0]) >= 5  # the summary's key figures
    assert "Urgent and prompt alerts" in texts[0]  # DuckDB lists the alerts, as in memory


def test_no_valid_rows_at_all_is_one_clear_line(tmp_path, capsys):
    bad = pd.DataFrame(
        {
            "patient_id": ["P1", "P2"],
            "treatment_type": ["PT", "PT"],
            "treatment_date": ["2025-01-01"] * 2,
            "log_date": ["2025-01-02"] * 2,
            "soreness": ["12", "13"],  # out of range: both rows quarantined
        }
    )
    folder = tmp_path / "folder"
    folder.mkdir()
    bad.to_parquet(folder / "a.parquet")
    bad.to_csv(tmp_path / "bad.csv", index=False)
    for command in (
        ["summary", str(folder), "--out", str(tmp_path / "o1")],
        ["summary", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "o2")],
        ["report", str(tmp_path / "bad.csv"), "-o", str(tmp_path / "r.html")],
    ):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "has no valid rows (all 2 rows were quarantined)" in err
        assert "recovery-toolkit validate" in err and "Traceback" not in err


def test_summary_of_a_folder_writes_its_quarantine_to_correct(registry, tmp_path, capsys):
    _, folder, _ = registry
    fix_me = tmp_path / "fix_me.csv"
    out = tmp_path / "o"
    assert main(["summary", str(folder), "--out", str(out), "--quarantine", str(fix_me)]) == 0
    table = pd.read_csv(fix_me, dtype=str, keep_default_na=False)
    assert len(table) == 5 and table["source_file"].nunique() == 3  # first, middle, last file
    codes = set(table["reasons"].str.split(":").str[1])
    assert codes == {
        "out_of_range",
        "unknown_treatment_type",
        "duplicate_row",
        "not_a_number",
        "invalid_date",
    }
    again = ["summary", str(folder), "--out", str(out), "--force", "--quarantine", str(fix_me)]
    assert main([*again, "--share"]) == 2
    assert "cannot go with --share" in capsys.readouterr().err
    assert main(again[:-3] + ["--quarantine", str(fix_me)]) == 2  # exists, no --force
    assert "already exists" in capsys.readouterr().err


def test_a_folder_whose_patient_column_is_named_by_a_mapping(tmp_path):
    """The parts are split by the column the mapping names as the patient id."""
    from recovery_toolkit.io.mapping import ColumnMapping
    from recovery_toolkit.samples import sample_path

    rows = pd.read_csv(sample_path(), dtype=str, keep_default_na=False).replace("", None)
    rows = rows.rename(columns={"patient_id": "MRN"})
    folder = tmp_path / "by_site"
    folder.mkdir()
    for site, part in rows.groupby("site"):
        part.to_parquet(folder / f"{site}.parquet", index=False)
    mapping = ColumnMapping.from_dict({"columns": {"MRN": "patient_id"}})
    rows.to_parquet(tmp_path / "whole.parquet", index=False)
    expected = compute(load_logs(tmp_path / "whole.parquet", mapping=mapping))
    results = summarise_dataset(folder, mapping=mapping, rows_per_part=1_500)
    assert results.provenance.options["parts"] >= 3
    for name in ("time_to_resolution", "red_flag_incidence", "table_one"):
        pd.testing.assert_frame_equal(results.tables[name], expected.tables[name])


def _registry_with_spaced_ids(root):
    """A patient's id with a non-breaking space and a tab in one file, plain in the other:
    the loader reads one patient, so an engine must keep their rows in one part."""
    from recovery_toolkit import generate_logs

    rows = generate_logs(60, rng=4, notes=False, months=2).astype(str)
    month = rows["log_date"].str[:7]
    first, second = sorted(month.unique())[:2]
    spaced = rows["patient_id"].where(month != first, rows["patient_id"] + "\u00a0\t")
    rows = rows.assign(patient_id=spaced)
    folder = root / "spaced"
    folder.mkdir()
    for name, part in rows.groupby(month):
        part.to_parquet(folder / f"{name}.parquet", index=False)
    rows.to_parquet(root / "spaced_whole.parquet", index=False)
    return root / "spaced_whole.parquet", folder


def test_ids_with_unicode_spaces_keep_a_patient_in_one_part(tmp_path):
    whole, folder = _registry_with_spaced_ids(tmp_path)
    expected = compute(load_logs(whole))
    results = summarise_dataset(folder, rows_per_part=100)  # many parts
    assert results.provenance.options["parts"] >= 5
    for name in ("time_to_resolution", "table_one", "red_flag_incidence"):
        pd.testing.assert_frame_equal(results.tables[name], expected.tables[name])


def split_episode_folder(root):
    """Episode E-split: its first days under patient P-a in one file, the rest under P-b in
    another (the loader quarantines such an episode; an engine splitting by patient would
    see two whole episodes), beside ordinary episodes."""
    from recovery_toolkit import generate_logs

    rows = generate_logs(30, rng=2, notes=False).astype(str)
    split = rows.iloc[:6].assign(episode_id="E-split", treatment_date="2025-02-03")
    split = split.assign(log_date=[f"2025-02-0{3 + d}" for d in range(6)], day=None)
    split = split.drop(columns="day").assign(patient_id=["P-a"] * 3 + ["P-b"] * 3)
    folder = root / "split"
    folder.mkdir()
    rows.to_parquet(folder / "a.parquet", index=False)
    split.iloc[:3].to_parquet(folder / "b.parquet", index=False)
    split.iloc[3:].to_parquet(folder / "c.parquet", index=False)
    return folder


def test_an_episode_under_two_patients_is_refused_in_one_line(tmp_path, capsys):
    folder = split_episode_folder(tmp_path)
    with pytest.raises(InputFileError, match="episode 'E-split' has rows under different patient"):
        summarise_dataset(folder, rows_per_part=40)
    out = str(tmp_path / "out")
    assert main(["summary", str(folder), "--out", out, "--rows-per-part", "40"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "one patient id" in err


def test_a_row_without_a_patient_is_quarantined_not_refused(tmp_path):
    """A blank patient id is the loader's to quarantine, one row; the episode it belongs to
    is not 'under two patients', however many parts the rows are split into."""
    from recovery_toolkit import generate_logs

    rows = generate_logs(40, rng=6, notes=False).astype(str)
    rows.loc[rows.index[1], "patient_id"] = None
    folder = tmp_path / "blank"
    folder.mkdir()
    rows.iloc[:300].to_parquet(folder / "a.parquet", index=False)
    rows.iloc[300:].to_parquet(folder / "b.parquet", index=False)
    rows.to_parquet(tmp_path / "whole.parquet", index=False)
    expected = load_logs(tmp_path / "whole.parquet")
    for rows_per_part in (1_000_000, 50):
        results = summarise_dataset(folder, rows_per_part=rows_per_part)
        assert results.provenance.rows["quarantined"] == expected.rows_quarantined == 1
