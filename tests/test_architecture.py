"""The layers of docs/architecture.md hold: light imports, one-way imports, one share step."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import recovery_toolkit as rt
from recovery_toolkit.privacy import SUPPRESSED

PACKAGE = Path(rt.__file__).resolve().parent
HEAVY = ("altair", "ipywidgets", "anywidget", "duckdb", "vl_convert", "jupyter")

#: Layer of each top-level module or subpackage: a module imports only from its own layer or
#: lower ones (docs/architecture.md).
LAYERS = {
    "vocab": 0,
    "errors": 0,
    "schemas": 1,
    "io": 2,
    "synth": 2,
    "samples": 2,
    "scenarios": 2,
    "analysis": 3,
    "privacy": 4,
    "render": 5,
    "engines": 6,
    "cli": 7,
}


def _loaded_after(code: str) -> list[str]:
    script = f"import sys\n{code}\nprint(__import__('json').dumps(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    modules = json.loads(run.stdout.strip().splitlines()[-1])
    return [m for m in modules if m.split(".")[0].startswith(HEAVY)]


def test_importing_the_package_loads_no_chart_widget_or_database_library():
    assert _loaded_after("import recovery_toolkit") == []


def test_validate_loads_no_chart_widget_or_database_library():
    code = "from recovery_toolkit.cli import main\nassert main(['validate', '--json']) == 0"
    assert _loaded_after(code) == []


_WITHOUT_PYSPARK = """
import sys, warnings

class NoPyspark:  # as if the [spark] extra were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("pyspark", "py4j"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoPyspark())
warnings.simplefilter("error")  # any warning fails
import recovery_toolkit as rt
from recovery_toolkit.engines.parquet import summarise_dataset
from recovery_toolkit.engines.spark import summarise_spark
from recovery_toolkit.errors import EngineError
from recovery_toolkit.samples import sample_parquet_folder

rt.compute(rt.load_logs(rt.sample_path()))
summarise_dataset(sample_parquet_folder())
assert not [m for m in sys.modules if m.startswith(("pyspark", "py4j"))]
try:
    summarise_spark(sample_parquet_folder())
except EngineError as exc:
    print(exc)
"""


def test_without_pyspark_nothing_changes_and_spark_says_how_to_install_it():
    run = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PYSPARK], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert run.stdout.strip() == (
        'spark: pyspark is not installed; install it with: pip install "recovery-toolkit[spark]"'
    )


def test_the_public_api_is_curated_and_loads_on_use():
    assert "Mapping" not in rt.__all__  # no clash with collections.abc.Mapping
    for name in rt.__all__:
        assert getattr(rt, name) is not None, name
    assert rt.PatientExplorer.__module__.startswith("recovery_toolkit.render.widgets")


def _imports(path: Path) -> list[str]:
    """Package-internal imports of a module, as top-level names (``analysis``, ``io``...)."""
    tree = ast.parse(path.read_text())
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            if any(
                isinstance(parent, ast.If) and "TYPE_CHECKING" in ast.unparse(parent.test)
                for parent in ast.walk(tree)
                if node in ast.walk(parent) and parent is not node
            ):
                continue  # type-only imports
            base = list(parts[: len(parts) - node.level])
            target = [*base, *(node.module.split(".") if node.module else [])]
            if target:
                found.append(target[0])
            else:
                found.extend(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize(
    "path",
    sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_imports_go_one_way_down_the_layers(path):
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    for target in _imports(path):
        if target in LAYERS:
            assert LAYERS[target] <= LAYERS[own], f"{own} imports {target}"


def test_a_table_without_a_sharing_rule_comes_out_suppressed():
    """A new table (here a dummy, patient-level one) is safe to share before anyone writes its
    rule: one row, every cell suppressed; no index, row count or key value survives."""
    from dataclasses import replace
    from types import MappingProxyType

    results = rt.compute(rt.load_logs(rt.sample_path()))
    episodes = results.episodes
    dummy = pd.DataFrame(
        {
            "treatment_type": episodes["treatment_type"],
            "day": episodes["last_day"],
            "patients": 1,
        }
    ).set_index(episodes["patient_id"])
    with_dummy = replace(results, tables=MappingProxyType({**results.tables, "dummy": dummy}))
    shared = rt.share(with_dummy)
    table = shared.tables["dummy"]
    assert table.shape == (1, 3) and list(table.columns) == ["treatment_type", "day", "patients"]
    assert (table == SUPPRESSED).all().all()
    assert not table.index.astype(str).str.startswith("P").any()
    assert shared.episodes is None and shared.logs is None and shared.notes == ()


def test_shared_results_hold_no_path_and_refuse_weak_keys(tmp_path):
    folder = tmp_path / "clinic_of_dr_smith"
    folder.mkdir()
    data = folder / "export.csv"
    data.write_bytes(rt.sample_path().read_bytes())
    shared = rt.share(rt.compute(rt.load_logs(data)))
    assert shared.provenance.source == "export.csv"
    with pytest.raises(rt.OptionError, match="at least 16"):
        rt.share(rt.compute(rt.load_logs(data)), pseudonym_key=b"k")
    with pytest.raises(rt.OptionError, match="shared already"):
        rt.share(shared)


def test_shared_results_select_rows_by_key_not_by_label():
    """Rewording Table 1's labels changes nothing that hides."""
    results = rt.compute(rt.generate_logs(60, rng=3, notes=False))
    counts = results.tables["table_one_counts"]
    reworded = counts.assign(characteristic=[f"label {i}" for i in range(len(counts))])
    from dataclasses import replace
    from types import MappingProxyType

    other = replace(
        results, tables=MappingProxyType({**results.tables, "table_one_counts": reworded})
    )
    a = rt.share(results).tables["table_one"].drop(columns="characteristic")
    b = rt.share(other).tables["table_one"].drop(columns="characteristic")
    pd.testing.assert_frame_equal(a, b)


def test_render_computes_nothing_it_was_not_given():
    """The report of shared results is the report built with share=True."""
    import datetime as dt

    from recovery_toolkit.render.report import build_report, render_report

    when = dt.datetime(2026, 1, 1)
    result = rt.load_logs(rt.sample_path())
    shared = rt.share(rt.compute(result))

    def same(html: str) -> str:  # vl-convert numbers gradients per process
        return re.sub(r"gradient_\d+", "gradient", html)

    assert same(render_report(shared, generated_at=when)) == same(
        build_report(result, share=True, generated_at=when)
    )


@pytest.mark.parametrize("definition", ["default", "pace"])
def test_the_episode_table_keeps_its_contract(definition):
    """The waist has a schema: every episode table the toolkit builds validates against it."""
    from recovery_toolkit.analysis import episode_table
    from recovery_toolkit.schemas import EpisodeTable

    for seed in (1, 2):
        table = episode_table(rt.generate_logs(300, rng=seed), definition=definition)
        EpisodeTable.validate(table)
    sample = episode_table(rt.load_logs(rt.sample_path()).logs, definition=definition)
    assert len(EpisodeTable.validate(sample)) == 400
    with pytest.raises(Exception, match="first_any_flag"):
        EpisodeTable.validate(sample.assign(first_any_flag=-1.0))
