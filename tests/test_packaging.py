"""Packaging: environment.yml and pyproject.toml name the same dependencies and bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(spec: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    assert match, spec
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(
        _normalise(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"]
    )
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    for spec in env["dependencies"]:
        if isinstance(spec, str):
            name, bound = _normalise(spec)
            if name not in ("python", "pip"):
                conda[CONDA_NAMES.get(name, name)] = bound
    assert conda == wanted


#: conda-forge names that differ from PyPI's
CONDA_NAMES = {"python-duckdb": "duckdb"}


def test_required_layout_exists():
    for name in [
        "notebooks",
        "recovery_toolkit",
        "sample_data",
        "tests",
        "environment.yml",
        "pyproject.toml",
        "README.md",
        ".ci/run",
    ]:
        assert (ROOT / name).exists(), name


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    block = re.match(r"```(?:bash)?\n(.*?)\n```", text, re.S)
    assert block, "README must open with a fenced code block"
    lines = block.group(1).splitlines()
    assert len(lines) == 2
    assert "recovery-toolkit" in lines[0] and "pytest" in lines[1]
    assert "pytest" in (ROOT / ".ci/run").read_text()


def test_no_lifelines():
    assert "lifelines" not in (ROOT / "pyproject.toml").read_text()
