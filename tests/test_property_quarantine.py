"""Property: every input row ends up exactly once in valid or quarantine; corrupted rows are
quarantined and nothing else is."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_toolkit import generate_logs, load_logs

from .conftest import TODAY

# column -> values that must each send a row to quarantine
CORRUPTIONS = {
    "patient_id": ["", "   "],
    "treatment_type": ["yoga", "massage", "??"],
    "treatment_date": ["2025-13-01", "yesterday", "2031-01-01"],
    "log_date": ["2024-02-30", "not a date", "2030-05-05"],
    "soreness": ["11", "-1", "7.5", "seven", "", "1e9"],
    "flag_neuro_deficit": ["maybe", "2", "unsure"],
    "care_cold": ["sometimes", "-"],
    "clinic_contact": ["perhaps"],
}


@st.composite
def corrupted_export(draw):
    seed = draw(st.integers(0, 10_000))
    episodes = draw(st.integers(1, 12))
    logs = generate_logs(episodes, rng=seed, notes=False)
    text = (
        logs.assign(
            treatment_date=logs["treatment_date"].dt.strftime("%Y-%m-%d"),
            log_date=logs["log_date"].dt.strftime("%Y-%m-%d"),
        )
        .astype("str")
        .replace({"nan": "", "<NA>": ""})
    )
    n = len(text)
    rows = draw(st.sets(st.integers(0, n - 1), max_size=min(n, 8)))
    for row in rows:
        column = draw(st.sampled_from(sorted(CORRUPTIONS)))
        text.loc[row, column] = draw(st.sampled_from(CORRUPTIONS[column]))
    return text, {r + 1 for r in rows}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted_export())
def test_every_row_ends_up_exactly_once(tmp_path_factory, case):
    text, corrupted = case
    path = tmp_path_factory.mktemp("prop") / "logs.csv"
    text.to_csv(path, index=False)
    result = load_logs(path, today=TODAY)
    assert result.rows_read == len(text)
    assert result.rows_valid + result.rows_quarantined == len(text)
    quarantined = result.quarantine["source_row"].tolist()
    assert len(quarantined) == len(set(quarantined))
    assert set(quarantined) == corrupted
    valid_keys = set(zip(result.logs["episode_id"], result.logs["day"], strict=True))
    all_rows = set(range(1, len(text) + 1))
    kept = all_rows - corrupted
    expected_keys = {(text.loc[r - 1, "episode_id"], int(text.loc[r - 1, "day"])) for r in kept}
    assert valid_keys == expected_keys
    assert np.all(result.logs["soreness"].between(0, 10))
