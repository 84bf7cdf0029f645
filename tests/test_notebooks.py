"""Notebooks: committed without outputs, and executed top to bottom on the bundled sample."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_has_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executes_without_errors(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors
    text = "".join(
        out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
    if path.name == "01_getting_started.ipynb":
        assert "rows read" in text and "episodes" in text
    widgets_or_charts = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
    ]
    if path.name != "01_getting_started.ipynb":  # every analysis notebook shows charts
        assert widgets_or_charts, "no chart or explorer was displayed"


_EXPLORER_NOTEBOOKS = [p for p in NOTEBOOKS if p.name[:2] in ("02", "03", "05")]
_CHECK = """
import json
from recovery_toolkit.render.widgets import AdherenceExplorer, CohortExplorer, PatientExplorer
explorers = [v for v in list(globals().values())
             if isinstance(v, (AdherenceExplorer, CohortExplorer, PatientExplorer))]
print(json.dumps([{
    "kind": type(e).__name__,
    "window": e.settings.window_days,
    "curve_days": int(e.tables["recovery_curve"]["day"].max()) if hasattr(e, "tables") else None,
    "trajectory_days": len(e.trajectory) if hasattr(e, "trajectory") else None,
    "episode_days": e.episodes.filter(like="soreness_day_").shape[1] - 1
    if hasattr(e, "episodes") else None,
} for e in explorers]))
"""


@pytest.mark.parametrize("path", _EXPLORER_NOTEBOOKS, ids=lambda p: p.name)
def test_window_days_in_the_parameters_cell_reaches_every_explorer(path, tmp_path):
    """A notebook's window_days=21 changes what each of its explorers shows."""
    import json

    nb = nbformat.read(path, as_version=4)
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "window_days = 14" in parameters.source
    parameters.source = parameters.source.replace("window_days = 14", "window_days = 21")
    # the explorer is the last expression of its cell: keep it as a variable to inspect
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = re.sub(
                r"^rt\.(\w+Explorer)\(", r"explorer = rt.\1(", cell.source, flags=re.M
            )
    nb.cells.append(nbformat.v4.new_code_cell(_CHECK))
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    shown = json.loads("".join(o.get("text", "") for o in nb.cells[-1].outputs))
    assert len(shown) == 1, shown  # the notebook's explorer was found
    (explorer,) = shown
    assert explorer["window"] == 21
    if explorer["kind"] == "CohortExplorer":
        assert explorer["curve_days"] > 14  # the sample logs past day 14 for some episodes
    if explorer["kind"] == "PatientExplorer":
        assert explorer["trajectory_days"] == 22  # days 0..21
    if explorer["kind"] == "AdherenceExplorer":
        assert explorer["episode_days"] == 21  # its episode table covers days 0..21
