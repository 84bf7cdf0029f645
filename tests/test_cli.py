"""The recovery-toolkit command: validate and sample, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from recovery_toolkit.cli import main
from recovery_toolkit.samples import SAMPLE_FILES, sample_path

BUNDLED = [
    ("soreness_logs.csv", None),
    ("messy_export.csv", "messy_mapping.yaml"),
    ("redcap_export.csv", "redcap_mapping.toml"),
]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run the installed console script in a subprocess, as a user would."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "recovery_toolkit.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(("data", "mapping"), BUNDLED)
def test_validate_json_counts_add_up(capsys, data, mapping):
    args = ["validate", str(sample_path(data)), "--json"]
    if mapping:
        args += ["--mapping", str(sample_path(mapping))]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_read"] == report["rows_valid"] + report["rows_quarantined"]
    assert report["rows_valid"] > 0
    assert report["episodes"] == {"soreness_logs.csv": 400, "messy_export.csv": 60}.get(data, 40)
    assert (
        len(report["problems"])
        == report["rows_quarantined"]
        == (10 if mapping and "messy" in mapping else 0)
    )
    for problem in report["problems"]:
        assert set(problem) == {"row", "column", "code", "value"}


def test_validate_without_path_uses_the_bundled_sample(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "soreness_logs.csv" in out and "5,204" in out


def test_validate_readable_report_lists_problems_and_fixes(capsys, tmp_path):
    out_csv = tmp_path / "fix_me.csv"
    code = main(
        [
            "validate",
            str(sample_path("messy_export.csv")),
            "--mapping",
            str(sample_path("messy_mapping.yaml")),
            "--quarantine",
            str(out_csv),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "row    704  soreness" in out and "out_of_range" in out
    assert "round to a whole number" in out
    lines = out_csv.read_text().splitlines()
    assert len(lines) == 11  # header + 10 quarantined rows
    assert lines[0].startswith("source_row;Patient ID;") and lines[0].endswith(";reasons")


def test_unusable_file_gives_one_line_and_exit_2(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    done = run_cli("validate", str(empty))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().count("\n") == 0
    assert done.stderr.startswith(f"recovery-toolkit: error: {empty}: the file is empty;")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x80\x04\x95", "pickle"),
        (b'a,b\n1,"2\n', "never closed"),
        (b"patient_id,soreness\nP1,3\n", "required column"),
        (b"\x00\x01\x02binary", "not a table"),
    ],
)
def test_bad_inputs_never_show_a_traceback(tmp_path, content, words):
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    done = run_cli("validate", str(path))
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr


def test_bad_mapping_file_is_one_line(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("colums:\n  a: soreness\n")
    done = run_cli("validate", "--mapping", str(mapping))
    assert done.returncode == 2
    assert "unknown key(s) 'colums'" in done.stderr and "columns" in done.stderr


def test_mapping_naming_absent_columns(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\n"Pain score" = "soreness"\n')
    done = run_cli("validate", "--mapping", str(mapping))
    assert done.returncode == 2
    assert "'Pain score'" in done.stderr and "does not have" in done.stderr


def test_sample_command_reproduces_the_bundled_files(tmp_path, capsys):
    assert main(["sample", "--out", str(tmp_path)]) == 0
    for name in SAMPLE_FILES:
        assert (tmp_path / name).read_bytes() == sample_path(name).read_bytes(), name


def test_sample_command_size_and_seed(tmp_path):
    assert main(["sample", "--out", str(tmp_path), "--episodes", "120", "--seed", "5"]) == 0
    assert main(["validate", str(tmp_path / "soreness_logs.csv"), "--json"]) == 0


def test_console_script_is_installed():
    done = subprocess.run(
        ["recovery-toolkit", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.startswith("recovery-toolkit ")
