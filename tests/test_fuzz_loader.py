"""A short, deterministic run of the loader fuzzer (tests/fuzz_loader.py): mutated real
exports and odd Parquet/Excel files never let another exception escape, refusals are one
line, rows are conserved and quarantine row numbers never repeat. The long run is
``python scripts/fuzz.py --seconds N``."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings

from .fuzz_loader import cases, check

_COUNTER = itertools.count()


@settings(
    max_examples=300,
    derandomize=True,  # the same cases on every run and machine
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(case=cases)
def test_the_loader_keeps_its_promise_on_mutated_inputs(tmp_path_factory, case):
    check(case, tmp_path_factory.getbasetemp() / "fuzz" / str(next(_COUNTER)))
