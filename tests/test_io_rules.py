"""The row rules live in one table (io.rules.RULES); the library names parameters, the command
line names flags; the date that counts as "today" is an argument, never global state."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

import recovery_toolkit.schemas as schemas
from recovery_toolkit import load_logs, vocab
from recovery_toolkit.cli import main
from recovery_toolkit.errors import OptionError
from recovery_toolkit.io import parse, rules
from recovery_toolkit.io.mapping import ColumnMapping

from .conftest import HEADER, TODAY, codes_by_row

GOOD = "P1,chiropractic,2025-03-01,2025-03-02,5"
WITH_DAY = HEADER + ",day"

#: For every reason code: a header and data lines whose loading emits it.
EXAMPLES: dict[str, tuple[str, list[str]]] = {
    "missing_required": (HEADER, [",chiropractic,2025-03-01,2025-03-02,5"]),
    "not_a_number": (HEADER, ["P1,chiropractic,2025-03-01,2025-03-02,five"]),
    "not_an_integer": (HEADER, ["P1,chiropractic,2025-03-01,2025-03-02,5.5"]),
    "out_of_range": (HEADER, ["P1,chiropractic,2025-03-01,2025-03-02,11"]),
    "invalid_date": (HEADER, ["P1,chiropractic,2025-02-30,2025-03-02,5"]),
    "ambiguous_date": (HEADER, [GOOD, "P2,chiropractic,2025-03-01,03/04/2025,5"]),
    "future_date": (HEADER, ["P1,chiropractic,2025-03-01,2099-03-02,5"]),
    "log_before_treatment": (HEADER, ["P1,chiropractic,2025-03-01,2025-02-27,5"]),
    "day_mismatch": (WITH_DAY, [GOOD + ",4"]),
    "invalid_boolean": (HEADER + ",clinic_contact", [GOOD + ",maybe"]),
    "unknown_treatment_type": (HEADER, ["P1,yoga,2025-03-01,2025-03-02,5"]),
    "bad_field_count": (HEADER, [GOOD, GOOD.replace("P1", "P2") + ",extra"]),
    "duplicate_row": (HEADER, [GOOD, GOOD]),
    "conflicting_rows": (HEADER, [GOOD, GOOD[:-1] + "6"]),
    "inconsistent_episode": (
        HEADER + ",episode_id",
        [GOOD + ",E1", "P1,injection,2025-03-01,2025-03-03,4,E1"],
    ),
    "episode_without_logs": ("", []),  # a REDCap export, below
}

REDCAP = """record_id,redcap_event_name,mrn,tx,tx_date,pain
9,baseline_arm_1,00042,ESI,2025-05-01,
9,day_0_arm_1,,,,six
"""
REDCAP_MAP = {
    "columns": {"mrn": "patient_id", "tx": "treatment_type", "tx_date": "treatment_date"}
    | {"pain": "soreness"},
    "redcap": {"baseline_event": "baseline_arm_1", "day_pattern": r"day_(\d+)_arm"},
}


def _load_example(code: str, write) -> pd.DataFrame:
    if code == "episode_without_logs":
        path = write("r.csv", REDCAP)
        return load_logs(path, mapping=ColumnMapping.from_dict(REDCAP_MAP), today=TODAY).problems
    header, lines = EXAMPLES[code]
    return load_logs(write("x.csv", "\n".join([header, *lines]) + "\n"), today=TODAY).problems


# ---------------------------------------------------------------- (a) one table, every code


def test_the_table_has_one_rule_per_reason_code():
    assert list(rules.RULES) == [r.code for r in rules.RULES.values()]
    assert set(rules.RULES) == set(vocab.REASONS)
    assert set(rules.RULES) == {c for c in parse.REASON_CODES if c}  # what the loader can name
    assert set(EXAMPLES) == set(vocab.REASONS)  # a new code needs an example below
    for rule in rules.RULES.values():
        assert rule.level in ("file", "cell", "row", "rows") and callable(rule.check)


@pytest.mark.parametrize("code", sorted(vocab.REASONS))
def test_every_reason_code_is_emitted_by_the_loader(code, write):
    problems = _load_example(code, write)
    assert code in set(problems["code"]), problems


@pytest.mark.parametrize(
    ("code", "values", "options"),
    [
        ("missing_required", [""], {"low": 0, "high": 10}),
        ("not_a_number", ["five"], {"low": 0, "high": 10}),
        ("not_an_integer", ["5.5"], {"low": 0, "high": 10}),
        ("out_of_range", ["11"], {"low": 0, "high": 10}),
        ("invalid_date", ["2025-02-30"], {}),
        ("ambiguous_date", ["03/04/2025"], {}),
        ("invalid_boolean", ["maybe"], {}),
        ("unknown_treatment_type", ["yoga"], {}),
    ],
)
def test_cell_rules_name_the_parser_that_emits_them(code, values, options):
    rule = rules.RULES[code]
    assert rule.level == "cell"
    parser = parse.parse_integer if rule.check is parse.missing_required else rule.check
    assert parser(pd.Series(values, dtype="str"), **options).reasons().tolist() == [code]


def test_the_loader_runs_row_and_cross_row_rules_from_the_table(csv_rows, monkeypatch):
    path = csv_rows("P1,chiropractic,2025-03-01,2099-03-02,5", GOOD, GOOD)
    before = load_logs(path, today=TODAY)
    assert codes_by_row(before) == {1: {"future_date"}, 3: {"duplicate_row"}}

    def never(level: str):
        return (lambda rows: {}) if level == "row" else (lambda rows: np.zeros(3, dtype=bool))

    table = {
        code: rules.Rule(code, rule.level, never(rule.level))
        if code in ("future_date", "duplicate_row")
        else rule
        for code, rule in rules.RULES.items()
    }
    monkeypatch.setattr(rules, "RULES", MappingProxyType(table))
    after = load_logs(path, today=TODAY)
    # no future-date rule; with no duplicate rule, the next rule in the table (conflicts)
    # claims both copies
    assert codes_by_row(after) == {2: {"conflicting_rows"}, 3: {"conflicting_rows"}}


def test_the_contract_does_not_re_check_the_row_rules():
    schema = schemas.SorenessLog.to_schema()
    assert schema.checks == [] and not schema.unique
    assert {"day", "soreness"} <= {c for c, col in schema.columns.items() if col.checks}


def test_episode_attributes_are_defined_once():
    assert schemas.EPISODE_ATTRIBUTES == ("patient_id", "treatment_type", "treatment_date")
    assert not hasattr(rules, "_EPISODE_KEYS")
    from recovery_toolkit.io import load

    assert not hasattr(load, "_EPISODE_KEYS")


# ------------------------------------------------------ (b) parameters in the library, flags


@pytest.mark.parametrize(
    ("option", "value", "parameter", "flag"),
    [
        ("date_format", "%Q", "date_format='%Q'", "--date-format '%Q'"),
        ("delimiter", "||", "delimiter='||'", "--delimiter '||'"),
    ],
)
def test_library_names_the_parameter_and_the_cli_the_flag(
    csv_rows, capsys, option, value, parameter, flag
):
    path = csv_rows(GOOD)
    with pytest.raises(OptionError) as info:
        load_logs(path, **{option: value})
    assert str(info.value).startswith(parameter) and "--" not in str(info.value)
    assert info.value.parameter == option
    assert main(["validate", str(path), f"--{option.replace('_', '-')}", value]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"recovery-toolkit: error: {flag}: ") and "=" not in err


def test_fixes_name_the_parameter_in_the_library_and_the_flag_in_the_cli(csv_rows, capsys):
    path = csv_rows("P1,chiropractic,03/04/2024,05/04/2024,5")
    with pytest.raises(Exception, match='date_format="%d/%m/%Y"'):
        load_logs(path)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "--date-format %d/%m/%Y" in err and "date_format=" not in err


def test_reason_fixes_name_no_flag():
    assert not [r.code for r in vocab.REASONS.values() if "--" in r.fix]


# --------------------------------------------------------------- (c) "today" is an argument


def test_as_of_is_gone():
    assert not hasattr(schemas, "as_of")
    assert "as_of" not in schemas.__all__


def test_loads_with_different_today_in_threads_do_not_interfere(csv_rows):
    path = csv_rows("P1,chiropractic,2030-01-01,2030-01-02,5")
    days = [dt.date(2029, 12, 31), dt.date(2030, 1, 5)] * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        valid = list(pool.map(lambda day: load_logs(path, today=day).rows_valid, days))
    assert valid == [0, 1] * 4
