"""The Spark engine gives, bit for bit, the tables of the in-memory and DuckDB paths.

Spark runs here in local mode, started by the tests (a JVM: about 10 s). Without pyspark (the
``[spark]`` extra) or Java the module is skipped, except in CI, which installs both.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from recovery_toolkit import Settings, compute, load_logs
from recovery_toolkit.cli import main
from recovery_toolkit.engines.parquet import summarise_dataset
from recovery_toolkit.errors import InputFileError, OptionError, RecoveryToolkitWarning
from recovery_toolkit.samples import sample_parquet_folder, sample_path

if not os.environ.get("CI"):  # CI must run these: there a missing pyspark or Java fails
    pytest.importorskip("pyspark", reason="the [spark] extra is not installed")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime", allow_module_level=True)

from recovery_toolkit.engines.spark import summarise_spark


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("recovery-toolkit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("warehouse")))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def three_engines(registry, spark, tmp_path_factory):
    """The registry summarised in memory (one file), by DuckDB and by Spark (its folder), with
    a model limit below its size (the Cox models then fit on the seeded sample)."""
    whole, folder, _ = registry
    out = tmp_path_factory.mktemp("spark")
    settings = Settings(model_max_episodes=200)
    with pytest.warns(RecoveryToolkitWarning, match="seeded random sample of 200"):
        memory = compute(load_logs(whole), settings)
    duckdb = summarise_dataset(folder, settings, rows_per_part=2_500)
    on_spark = summarise_spark(
        folder,
        settings,
        spark=spark,
        rows_per_part=2_500,  # four buckets
        quarantine_path=str(out / "quarantine"),
        alerts_path=str(out / "alerts"),
    )
    return memory, duckdb, on_spark


def _shared_tables(results):
    """The tables every engine gives (Spark adds its count of urgent alerts by contact)."""
    return [(name, table) for name, table in results.tables.items() if name != "urgent_contact"]


def test_spark_duckdb_and_memory_give_identical_tables(three_engines):
    memory, duckdb, on_spark = three_engines
    assert on_spark.provenance.options["parts"] == 4 and on_spark.logs is None
    # the alert list stays on Spark: its counts come back, the urgent ones by contact too
    assert set(on_spark.tables) == set(memory.tables) - {"alerts"} | {"urgent_contact"}
    for name, table in _shared_tables(on_spark):  # every table, the report's included
        pd.testing.assert_frame_equal(table, memory.tables[name], check_exact=True)
        pd.testing.assert_frame_equal(table, duckdb.tables[name], check_exact=True)
    urgent = memory.tables["alerts"].query("severity == 'urgent'")
    assert on_spark.tables["urgent_contact"].iloc[0].tolist() == [
        len(urgent),
        int((urgent["contact_within_1_day"].astype("str") != "True").sum()),  # missing: none
    ]
    assert on_spark.provenance.rows == duckdb.provenance.rows
    assert on_spark.provenance.rows["quarantined"] == 5
    assert on_spark.provenance.sha256 == duckdb.provenance.sha256  # hashed on the workers
    pd.testing.assert_frame_equal(on_spark.provenance.problems, duckdb.provenance.problems)


def test_spark_writes_the_alerts_of_the_in_memory_path(three_engines):
    memory, _, on_spark = three_engines
    expected = memory.summary_tables()["alerts"]
    written = pd.read_parquet(on_spark.alerts_path)
    written = written.astype({c: expected[c].dtype for c in expected.columns})
    key = ["episode_id", "reason", "day"]
    pd.testing.assert_frame_equal(
        written.sort_values(key, ignore_index=True), expected.sort_values(key, ignore_index=True)
    )
    assert len(written) > 100


def test_quarantined_rows_point_to_their_file_and_row(three_engines, registry):
    _, duckdb, on_spark = three_engines
    _, folder, _ = registry
    written = pd.read_parquet(on_spark.quarantine_path)
    key = ["source_file", "source_row"]
    expected = duckdb.quarantine.sort_values(key, ignore_index=True)
    written = written.sort_values(key, ignore_index=True)[expected.columns]
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    assert written["source_file"].nunique() == 3  # bad rows in the first, a middle, the last
    for row in written.itertuples(index=False):  # each points at its original row
        original = pd.read_parquet(folder / row.source_file).iloc[row.source_row - 1]
        assert original["patient_id"] == row.patient_id
        assert original["soreness"] == row.soreness and original["log_date"] == row.log_date


def test_typed_parquet_columns_give_the_tables_of_the_file(spark):
    """Booleans with and without missing values, timestamps, integers: as Parquet types."""
    memory = compute(load_logs(sample_path()))
    on_spark = summarise_spark(sample_parquet_folder(by="site"), spark=spark, rows_per_part=2_000)
    for name, table in _shared_tables(on_spark):
        pd.testing.assert_frame_equal(table, memory.tables[name], check_exact=True)


def test_a_catalog_table_gives_the_tables_of_the_file(registry, spark, tmp_path):
    whole, folder, _ = registry
    spark.read.parquet(str(folder)).write.saveAsTable("registry")
    memory = compute(load_logs(whole))
    quarantine = tmp_path / "quarantine"
    on_spark = summarise_spark(
        "table:default.registry", spark=spark, quarantine_path=str(quarantine)
    )
    for name, table in _shared_tables(on_spark):
        pd.testing.assert_frame_equal(table, memory.tables[name], check_exact=True)
    written = pd.read_parquet(quarantine)
    assert len(written) == 5 and written["source_file"].str.contains("registry").all()
    assert len(on_spark.provenance.sha256) == 64


def test_cli_summary_with_spark_writes_the_in_memory_csvs(registry, spark, tmp_path):
    whole, folder, _ = registry
    assert main(["summary", str(whole), "--out", str(tmp_path / "memory")]) == 0
    command = ["summary", str(folder), "--engine", "spark", "--out", str(tmp_path / "spark")]
    assert main([*command, "--quarantine", str(tmp_path / "q"), "--rows-per-part", "3000"]) == 0
    written = sorted(p.name for p in (tmp_path / "spark").glob("*.csv"))
    assert written == sorted(
        p.name for p in (tmp_path / "memory").glob("*.csv") if p.stem != "alerts"
    )
    for name in written:
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes()
    alerts = pd.read_parquet(tmp_path / "spark" / "alerts")  # written by Spark under --out
    assert len(alerts) == len(pd.read_csv(tmp_path / "memory" / "alerts.csv"))
    assert len(pd.read_parquet(tmp_path / "q")) == 5
    manifest = (tmp_path / "spark" / "manifest.json").read_text()
    assert '"engine": "spark"' in manifest and '"pyspark"' in manifest


def test_sources_spark_cannot_use_get_one_line(spark, tmp_path, capsys):
    with pytest.raises(InputFileError, match="could not be read by Spark"):
        summarise_spark(tmp_path / "missing", spark=spark)
    incomplete = load_logs(sample_path()).logs.drop(columns=["soreness"]).head(50)
    (tmp_path / "folder").mkdir()
    incomplete.to_parquet(tmp_path / "folder" / "a.parquet")
    with pytest.raises(InputFileError, match=r"required column\(s\) soreness not found"):
        summarise_spark(tmp_path / "folder", spark=spark)
    with pytest.raises(OptionError, match="does not answer"):  # nobody listens on port 9
        summarise_spark(tmp_path / "folder", master="spark://127.0.0.1:9")
    command = ["summary", str(tmp_path / "missing"), "--engine", "spark", "--out", str(tmp_path)]
    assert main(command) == 2
    err = capsys.readouterr().err
    assert "could not be read by Spark" in err and "Traceback" not in err
    assert main(["summary", "s3://bucket/registry", "--out", str(tmp_path / "o")]) == 2
    assert "only Spark reads; add --engine spark" in capsys.readouterr().err


_NO_TOOLKIT = """
    import sys

    class NoToolkit:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "recovery_toolkit":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    sys.meta_path.insert(0, NoToolkit())
"""


def test_workers_without_the_toolkit_and_a_bad_master_get_one_line(tmp_path):
    """End to end in a fresh process (a new Spark, whose workers lack the toolkit)."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(textwrap.dedent(_NO_TOOLKIT))
    worker = tmp_path / "python-without-toolkit"
    worker.write_text(f'#!/bin/sh\nPYTHONPATH={blocker} exec "{sys.executable}" "$@"\n')
    worker.chmod(0o755)
    folder = sample_parquet_folder()
    cli = [sys.executable, "-m", "recovery_toolkit.cli", "summary", str(folder)]
    cli += ["--engine", "spark", "--out", str(tmp_path / "out")]
    env = {**os.environ, "PYSPARK_PYTHON": str(worker)}
    run = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=300)
    errors = [line for line in run.stderr.splitlines() if "error" in line.lower()]
    assert run.returncode == 2, run.stderr
    assert errors == [  # only the toolkit speaks
        "recovery-toolkit: error: spark: the workers cannot import recovery_toolkit; install "
        "the toolkit on the cluster (docs/spark.md: cluster library, job environment or Spark "
        "Connect addArtifacts)"
    ]
    assert "Traceback" not in run.stderr
    bad = subprocess.run(
        [*cli, "--spark-master", "nonsense"], capture_output=True, text=True, timeout=300
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "--spark-master 'nonsense': could not start Spark" in bad.stderr


def test_a_report_from_spark_has_the_numbers_of_the_file_and_says_where_the_alerts_are(
    registry, spark, tmp_path
):
    whole, folder, _ = registry
    assert main(["report", str(whole), "-o", str(tmp_path / "file.html")]) == 0
    command = ["report", str(folder), "--engine", "spark", "-o", str(tmp_path / "spark.html")]
    assert main(command) == 0
    texts = [(tmp_path / f"{name}.html").read_text() for name in ("file", "spark")]
    kpis = [re.findall(r'class="kpi"[^>]*><b>([^<]*)</b>([^<]*)', text) for text in texts]
    assert kpis[0] == kpis[1]  # urgent flags without contact included: counted by Spark
    assert any("urgent flags without documented contact" in label for _, label in kpis[1])
    assert "Urgent and prompt alerts" not in texts[1]
    assert "they list single patients, so Spark keeps them on the cluster" in texts[1]
    shared = ["report", str(folder), "--engine", "spark", "--share", "-o", str(tmp_path / "s.html")]
    assert main(shared) == 0
    assert "a shared report leaves them out" in (tmp_path / "s.html").read_text()


def test_spark_keeps_spaced_ids_together_and_a_shared_summary_writes_no_alerts(spark, tmp_path):
    from tests.test_scale import _registry_with_spaced_ids

    whole, folder = _registry_with_spaced_ids(tmp_path)
    expected = compute(load_logs(whole))
    on_spark = summarise_spark(folder, spark=spark, rows_per_part=100)
    for name in ("time_to_resolution", "table_one", "red_flag_incidence"):
        pd.testing.assert_frame_equal(on_spark.tables[name], expected.tables[name])
    out = tmp_path / "shared"
    assert main(["summary", str(folder), "--engine", "spark", "--share", "--out", str(out)]) == 0
    assert not (out / "alerts").exists()  # alerts list patients: never in a shared folder
    command = ["summary", str(folder), "--engine", "spark", "--share", "--out", str(out)]
    assert main([*command, "--force", "--alerts", str(tmp_path / "a")]) == 2


def test_every_row_bad_still_writes_the_quarantine_that_says_why(spark, tmp_path):
    rows = load_logs(sample_path()).logs.head(40).astype(str).assign(soreness="12")
    (tmp_path / "bad").mkdir()
    rows.to_parquet(tmp_path / "bad" / "a.parquet", index=False)
    quarantine = tmp_path / "q"
    with pytest.raises(InputFileError, match="has no valid rows"):
        summarise_spark(tmp_path / "bad", spark=spark, quarantine_path=str(quarantine))
    assert len(pd.read_parquet(quarantine)) == 40


def test_an_episode_under_two_patients_is_refused_in_one_line(spark, tmp_path):
    """Its rows are in two buckets: Spark would count it twice where the loader quarantines
    it, so the run stops and names it."""
    from .test_scale import split_episode_folder

    folder = split_episode_folder(tmp_path)
    with pytest.raises(InputFileError, match="episode 'E-split' has rows under different patient"):
        summarise_spark(folder, spark=spark, rows_per_part=40)
