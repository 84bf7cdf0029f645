"""A fuzzer of the loader (issue 14): real inputs mutated at byte and structure level, and
generated Parquet and Excel files with odd types, against the loader's promise:

- only the package's own errors escape (:class:`~recovery_toolkit.errors.RecoveryToolkitError`),
- a refusal is one line,
- every data row ends up in ``logs``, ``quarantine`` or merged (rows are conserved),
- no quarantine row number repeats.

Hypothesis draws the mutations, so a failure shrinks to a small input. The test suite runs a
short deterministic pass (``tests/test_fuzz_loader.py``); ``python scripts/fuzz.py --seconds N``
runs a long one and saves the minimised failing inputs.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st

from recovery_toolkit import load_logs
from recovery_toolkit.errors import RecoveryToolkitError, RecoveryToolkitWarning

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_data"
TODAY = dt.date(2026, 6, 1)
LINES = 40  # header and 39 rows of each sample: small inputs, fast cases


def _head(name: str) -> bytes:
    data = (SAMPLES / name).read_bytes()
    return b"\n".join(data.split(b"\n")[:LINES]) + b"\n"


@dataclass(frozen=True)
class Seed:
    """A real input the mutations start from, with its mapping file (if it needs one)."""

    name: str
    data: bytes
    mapping: bytes | None = None
    mapping_suffix: str = ".yaml"


SEEDS = (
    Seed("soreness_logs.csv", _head("soreness_logs.csv")),
    Seed(
        "messy_export.csv", _head("messy_export.csv"), (SAMPLES / "messy_mapping.yaml").read_bytes()
    ),
    Seed(
        "redcap_export.csv",
        _head("redcap_export.csv"),
        (SAMPLES / "redcap_mapping.toml").read_bytes(),
        ".toml",
    ),
)

#: What a byte-level mutation inserts: quotes, delimiters, NULs, BOMs, line ends, huge fields,
#: invalid UTF-8, extreme numbers and dates.
PAYLOADS = (
    b'"',
    b'""',
    b",",
    b";",
    b"\t",
    b"\x00",
    "\ufeff".encode(),
    b"\r",
    b"\r\n",
    b"\n",
    b"\n\n",
    b"9" * 400,
    b"x" * 5000,
    b"\xff\xfe",
    b"\xc3",
    b"\xe2\x80",
    b"1e308",
    b"-1",
    b"7.5",
    b"NaN",
    b"inf",
    b"0001-01-01",
    b"9999-12-31",
    b"2024-02-30",
    b"2024-03-04T10:00:00Z",
    b"2024-03-30 17:30:00+01:00",
    b"-0500",
    b"=cmd|' /C calc'!A0",
    "Ω≈ç√∫".encode(),
    b"\x1b[31m",
)

OPERATIONS = ("flip", "insert", "delete", "truncate", "replace_line_ends", "duplicate_line")


def _mutate(data: bytes, operation: str, where: float, payload: bytes, length: int) -> bytes:
    if not data:
        return payload
    at = min(int(where * len(data)), len(data) - 1)
    if operation == "flip":
        return data[:at] + bytes([data[at] ^ (1 << (length % 8))]) + data[at + 1 :]
    if operation == "insert":
        return data[:at] + payload + data[at:]
    if operation == "delete":
        return data[:at] + data[at + length :]
    if operation == "truncate":
        return data[:at]
    if operation == "replace_line_ends":
        return data.replace(b"\n", payload if payload in (b"\r", b"\r\n", b"\n\n") else b"\r\n")
    lines = data.split(b"\n")  # duplicate_line
    line = min(int(where * len(lines)), len(lines) - 1)
    return b"\n".join(lines[: line + 1] + [lines[line]] + lines[line + 1 :])


STRUCTURES = ("reverse_columns", "duplicate_header", "blank_header", "spaced_header", "swap_rows")


def _restructure(data: bytes, how: str, delimiter: bytes) -> bytes:
    lines = data.split(b"\n")
    header = lines[0].split(delimiter)
    if how == "reverse_columns":
        rows = [line.split(delimiter)[::-1] for line in lines if line]
        return b"\n".join(delimiter.join(r) for r in rows) + b"\n"
    if how == "duplicate_header":
        header[-1] = header[0]
    elif how == "blank_header":
        header[len(header) // 2] = b""
    elif how == "spaced_header":
        header = [b"  " + name + b" \t" for name in header]
    else:  # swap_rows
        if len(lines) > 3:
            lines[1], lines[2] = lines[2], lines[1]
        return b"\n".join(lines)
    return b"\n".join([delimiter.join(header), *lines[1:]])


MAPPING_MUTATIONS = ("keep", "cp1252", "wrong_type", "garbage", "nul_delimiter", "empty")


def _mutate_mapping(text: bytes, how: str) -> bytes:
    if how == "cp1252":
        return text.decode("utf-8").replace("Pain", "Schmerzstärke").encode("cp1252")
    if how == "wrong_type":
        return text.replace(b"columns:", b"columns: [1, 2]\nx:", 1).replace(
            b"[columns]", b"columns = 3\n[x]", 1
        )
    if how == "garbage":
        return text[: len(text) // 2] + b"\x00{[}: ::\n"
    if how == "nul_delimiter":
        return text + b'\ndelimiter: "\\0"\n' if not text.lstrip().startswith(b"#") else text
    if how == "empty":
        return b""
    return text


@dataclass
class Case:
    """One input: a file (name and bytes), its mapping (optional) and loader options."""

    name: str
    data: bytes
    mapping: bytes | None = None
    mapping_suffix: str = ".yaml"
    options: dict[str, str] = field(default_factory=dict)

    def write(self, folder: Path) -> tuple[Path, Path | None]:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / self.name
        path.write_bytes(self.data)
        mapping = None
        if self.mapping is not None:
            mapping = folder / f"mapping{self.mapping_suffix}"
            mapping.write_bytes(self.mapping)
        return path, mapping


OPTIONS = {
    "encoding": (None, "utf-8", "latin-1", "cp1252", "utf-16", "ascii"),
    "delimiter": (None, ",", ";", "\t", "|", "\x00", "ab"),
    "date_format": (None, "%d/%m/%Y", "%m/%d/%Y", "%U %Y %d %m", "%Y-%m-%d %H:%M:%S%z", "%d"),
}


@st.composite
def options(draw) -> dict[str, str]:
    chosen = {}
    for name, values in OPTIONS.items():
        if draw(st.integers(0, 5)) == 0:  # each option named now and then
            value = draw(st.sampled_from(values))
            if value is not None:
                chosen[name] = value
    return chosen


@st.composite
def text_cases(draw) -> Case:
    """A bundled sample or real export, restructured and mutated at byte level."""
    seed = draw(st.sampled_from(SEEDS))
    data = seed.data
    if draw(st.booleans()):
        delimiter = b";" if seed.name.startswith("messy") else b","
        data = _restructure(data, draw(st.sampled_from(STRUCTURES)), delimiter)
    for _ in range(draw(st.integers(0, 4))):
        data = _mutate(
            data,
            draw(st.sampled_from(OPERATIONS)),
            draw(st.floats(0, 1)),
            draw(st.sampled_from(PAYLOADS) | st.binary(min_size=1, max_size=6)),
            draw(st.integers(1, 64)),
        )
    mapping = seed.mapping
    if mapping is not None:
        mapping = _mutate_mapping(mapping, draw(st.sampled_from(MAPPING_MUTATIONS)))
    return Case(seed.name, data, mapping, seed.mapping_suffix, draw(options()))


#: Odd column types for generated Parquet and Excel files.
def _odd_column(kind: str, n: int) -> pa.Array:
    if kind == "all_null":
        return pa.nulls(n, pa.string())
    if kind == "nested":
        return pa.array([{"a": i} for i in range(n)])
    if kind == "list":
        return pa.array([[i, i] for i in range(n)])
    if kind == "binary":
        return pa.array([b"ok", b"\xff\xfe"] * (n // 2) + [b"x"] * (n % 2), pa.binary())
    if kind == "zoned":
        stamps = pd.date_range("2025-03-01 23:30", periods=n, freq="D", tz="America/New_York")
        return pa.array(stamps)
    if kind == "far_timestamp":
        return pa.array([-10_000_000_000_000] * n, pa.timestamp("s"))
    if kind == "int_extreme":
        return pa.array([2**63 - 1, -(2**63)] * (n // 2) + [0] * (n % 2), pa.int64())
    if kind == "float_extreme":
        return pa.array([1e308, float("nan"), float("inf"), -0.0][:n] + [1.0] * max(n - 4, 0))
    if kind == "bool":
        return pa.array([True, False] * (n // 2) + [None] * (n % 2), pa.bool_())
    return pa.array([f" {i} " for i in range(n)])  # spaced text


ODD_KINDS = (
    "all_null",
    "nested",
    "list",
    "binary",
    "zoned",
    "far_timestamp",
    "int_extreme",
    "float_extreme",
    "bool",
    "text",
)


def _base_table(n: int) -> dict[str, pa.Array]:
    return {
        "patient_id": pa.array([f"P{i // 3}" for i in range(n)]),
        "treatment_type": pa.array(["chiropractic"] * n),
        "treatment_date": pa.array([dt.date(2025, 3, 1)] * n),
        "log_date": pa.array([dt.date(2025, 3, 1) + dt.timedelta(days=i % 3) for i in range(n)]),
        "soreness": pa.array([i % 11 for i in range(n)], pa.int64()),
    }


def _excel_values(column: pa.ChunkedArray) -> pd.Series:
    """A column as Excel can hold it: zones, nesting, bytes and timestamps beyond pandas'
    range (year -314918) written as their text."""
    if pa.types.is_timestamp(column.type) and column.type.tz is None:
        seconds = column.cast(pa.int64()).to_pylist()
        if any(v is not None and abs(v) > 10**11 for v in seconds):
            return pd.Series([None if v is None else f"@{v}" for v in seconds], dtype="object")
    values = column.to_pandas()
    if isinstance(values.dtype, pd.DatetimeTZDtype) or values.dtype == object:
        values = values.map(lambda v: v if v is None else str(v))
    return values


@st.composite
def table_cases(draw) -> Case:
    """A generated Parquet or Excel file whose columns (canonical or extra) have odd types."""
    n = draw(st.integers(1, 8))
    columns = _base_table(n)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from([*columns, "site", "notes", "soreness ", "day"]))
        columns[name] = _odd_column(draw(st.sampled_from(ODD_KINDS)), n)
    table = pa.table(columns)
    if draw(st.booleans()):
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return Case("logs.parquet", buffer.getvalue(), options=draw(options()))
    frame = pd.DataFrame({name: _excel_values(table[name]) for name in table.column_names})
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame.to_excel(buffer, index=False)
    return Case("logs.xlsx", buffer.getvalue(), options=draw(options()))


cases = st.one_of(text_cases(), text_cases(), table_cases())


def check(case: Case, folder: Path) -> None:
    """Load ``case`` and assert the loader's promise (raises AssertionError otherwise; any
    exception that is not the package's own propagates)."""
    path, mapping = case.write(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RecoveryToolkitWarning)
        try:
            result = load_logs(path, mapping=mapping, today=TODAY, **case.options)
        except RecoveryToolkitError as exc:
            message = str(exc)
            assert "\n" not in message and "\r" not in message, (
                f"refusal on many lines: {message!r}"
            )
            return
    accounted = result.rows_valid + result.rows_quarantined + result.rows_merged
    assert accounted == result.rows_read, (
        f"rows not conserved: {result.rows_read} read, {result.rows_valid} valid, "
        f"{result.rows_quarantined} quarantined, {result.rows_merged} merged"
    )
    rows = result.quarantine["source_row"]
    assert rows.is_unique, f"quarantine row numbers repeat: {rows[rows.duplicated()].tolist()}"
    assert np.all(rows.to_numpy() >= 1)
