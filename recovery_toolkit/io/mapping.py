"""Mapping files: how a clinic's own export becomes the canonical table.

A mapping file (YAML or TOML) renames columns, translates values, unpacks REDCap checkbox
columns (``field___code``), reads ``day`` from ``redcap_event_name`` and carries episode fields
from a baseline event row to the diary rows of the same record. The format is documented in
``docs/mapping.md``.

Examples
--------
>>> from recovery_toolkit.io.mapping import ColumnMapping
>>> m = ColumnMapping.from_dict({"columns": {"Pain": "soreness"}})
>>> m.columns
{'Pain': 'soreness'}
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..errors import MappingError
from ..schemas import CANONICAL_COLUMNS
from .raw import repeated

__all__ = ["ColumnMapping", "RedcapLayout", "load_mapping", "apply_mapping"]

_TOP_KEYS = {
    "columns",
    "values",
    "checkboxes",
    "redcap",
    "date_format",
    "encoding",
    "delimiter",
    "decimal",
    "ignore",
}
_REDCAP_KEYS = {"record", "event", "day_pattern", "baseline_event", "baseline_day", "carry"}
_TARGETS = frozenset(CANONICAL_COLUMNS)
_DIARY = [c for c in CANONICAL_COLUMNS if c.startswith(("flag_", "care_"))] + [
    "soreness",
    "clinic_contact",
]


@dataclass(frozen=True)
class RedcapLayout:
    """Where a REDCap longitudinal export keeps records, events and episode fields.

    Parameters
    ----------
    record : str
        Record column; each record is one treatment episode (becomes ``episode_id``, and
        ``patient_id`` too when no column maps to it).
    event : str
        Event column.
    day_pattern : str
        Regular expression with one group that captures the day from an event name.
    baseline_event : str, optional
        Event whose row holds the episode fields (treatment type and date, site, ...).
    baseline_day : int, optional
        Day the baseline row's diary answers belong to (e.g. 0). A baseline row with no diary
        answers at all is merged into the record's diary rows (counted, never lost).
    carry : tuple of str
        Canonical columns copied from the baseline row to the diary rows where they are blank.
    """

    record: str = "record_id"
    event: str = "redcap_event_name"
    day_pattern: str = r"day_(\d+)"
    baseline_event: str | None = None
    baseline_day: int | None = None
    carry: tuple[str, ...] = ("patient_id", "treatment_type", "treatment_date", "site", "clinician")


@dataclass(frozen=True)
class ColumnMapping:
    """A parsed mapping file. Build it with :func:`load_mapping` or :meth:`from_dict`."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    checkboxes: dict[str, dict[str, str]] = field(default_factory=dict)
    redcap: RedcapLayout | None = None
    date_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    ignore: tuple[str, ...] = ()
    source: str = "<mapping>"

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "<mapping>") -> ColumnMapping:
        """Build a mapping from the parsed content of a mapping file.

        Examples
        --------
        >>> ColumnMapping.from_dict({"values": {"treatment_type": {"1": "chiropractic"}}}).values
        {'treatment_type': {'1': 'chiropractic'}}
        """
        if not isinstance(data, dict):
            raise MappingError(source, "is not a mapping of keys to values", _SEE_DOCS)
        _refuse_unknown(source, "key", set(data) - _TOP_KEYS, _TOP_KEYS)
        columns = _table(source, data, "columns")
        values = {
            col: _table(source, data["values"], col) for col in _table(source, data, "values")
        }
        checkboxes = {
            name: _table(source, data["checkboxes"], name)
            for name in _table(source, data, "checkboxes")
        }
        targets = [*columns.values(), *(c for t in checkboxes.values() for c in t.values())]
        _refuse_unknown(source, "target column", set(targets) - _TARGETS, _TARGETS)
        _refuse_unknown(source, "values column", set(values) - _TARGETS, _TARGETS)
        twice = repeated(targets)
        if twice:
            raise MappingError(
                source,
                f"several source columns map to {', '.join(map(repr, twice))}",
                "map one source column to each canonical column",
            )
        redcap = None
        if "redcap" in data:
            spec = data["redcap"] if data["redcap"] is not None else {}
            if not isinstance(spec, dict):
                raise MappingError(source, "redcap must be a table of settings", _SEE_DOCS)
            spec = dict(spec)
            _refuse_unknown(source, "redcap key", set(spec) - _REDCAP_KEYS, _REDCAP_KEYS)
            for key in ("record", "event", "day_pattern", "baseline_event"):
                if key in spec and not isinstance(spec[key], str):
                    raise MappingError(source, f"redcap.{key} must be text", _SEE_DOCS)
            if "baseline_day" in spec and not isinstance(spec["baseline_day"], int):
                raise MappingError(source, "redcap.baseline_day must be a whole number", _SEE_DOCS)
            if "carry" in spec:
                spec["carry"] = _names(source, spec["carry"], "redcap.carry")
                _refuse_unknown(source, "carry column", set(spec["carry"]) - _TARGETS, _TARGETS)
            redcap = RedcapLayout(**spec)
            try:
                if re.compile(redcap.day_pattern).groups != 1:
                    raise re.error("needs exactly one (group) that captures the day")
            except re.error as exc:
                raise MappingError(source, f"bad redcap.day_pattern ({exc})", _SEE_DOCS) from None
        texts = {}
        for key in ("date_format", "encoding", "delimiter", "decimal"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise MappingError(source, f"{key} must be text, not {value!r}", _SEE_DOCS)
            texts[key] = value
        return cls(
            columns=columns,
            values=values,
            checkboxes=checkboxes,
            redcap=redcap,
            ignore=_names(source, data.get("ignore"), "ignore"),
            source=source,
            **texts,
        )


def _table(source: str, data: dict[str, Any], key: str) -> dict[str, str]:
    """``data[key]`` as a {text: text} table (absent or empty: {})."""
    table = data.get(key)
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise MappingError(source, f"{key} must be a table of names, not {table!r}", _SEE_DOCS)
    for name, value in table.items():
        if isinstance(value, (dict, list)) and key not in ("values", "checkboxes"):
            raise MappingError(source, f"{key}.{name} must be text, not {value!r}", _SEE_DOCS)
    if key in ("values", "checkboxes"):
        return table
    return {str(k): _text(v) for k, v in table.items()}


def _text(value: object) -> str:
    if isinstance(value, bool):  # YAML reads yes/no as booleans
        return "yes" if value else "no"
    return str(value)


def _names(source: str, value: object, key: str) -> tuple[str, ...]:
    """A list of names; a single name is a one-item list."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise MappingError(source, f"{key} must be a list of column names", _SEE_DOCS)
    return tuple(str(v) for v in value)


_SEE_DOCS = "see docs/mapping.md for the format"


def _refuse_unknown(source: str, what: str, unknown: set[str], allowed: Any) -> None:
    if unknown:
        raise MappingError(
            source,
            f"unknown {what}(s) {', '.join(sorted(map(repr, unknown)))}",
            f"use one of: {', '.join(sorted(allowed))}",
        )


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a YAML (``.yaml``/``.yml``) or TOML (``.toml``) mapping file.

    Examples
    --------
    >>> from recovery_toolkit.samples import sample_path
    >>> load_mapping(sample_path("messy_mapping.yaml")).date_format
    '%d/%m/%Y'
    """
    path = Path(path)
    if not path.is_file():
        raise MappingError(path, "mapping file not found", "check the mapping= path")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MappingError(
            path,
            f"is not UTF-8 text (byte 0x{exc.object[exc.start : exc.start + 1].hex()})",
            "save the mapping file as UTF-8 (most editors: Save as, encoding UTF-8)",
        ) from None
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        elif path.suffix.lower() in {".yaml", ".yml"}:
            data = yaml.safe_load(text)
        else:
            raise MappingError(path, "mapping files end in .yaml, .yml or .toml", _SEE_DOCS)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        problem = " ".join(str(exc).split())
        raise MappingError(path, f"cannot be parsed ({problem})", "fix the syntax") from None
    return ColumnMapping.from_dict(data or {}, source=str(path))


def apply_mapping(frame: pd.DataFrame, mapping: ColumnMapping) -> tuple[pd.DataFrame, np.ndarray]:
    """Apply ``mapping`` to a raw frame.

    Returns the mapped frame (same index, so every row still points to its source row) and a
    boolean mask of rows merged into others (REDCap baseline rows that hold no diary answers).

    Examples
    --------
    >>> raw = pd.DataFrame({"Pain": ["3"], "PT": ["yes"]})
    >>> m = ColumnMapping.from_dict({"columns": {"Pain": "soreness", "PT": "clinic_contact"}})
    >>> apply_mapping(raw, m)[0].columns.tolist()
    ['soreness', 'clinic_contact']
    """
    renames = dict(mapping.columns)
    for field_name, codes in mapping.checkboxes.items():
        for code, target in codes.items():
            renames[f"{field_name}___{code}"] = target
    missing = [c for c in [*renames, *mapping.ignore] if c not in frame.columns]
    if missing:
        raise MappingError(
            mapping.source,
            f"names column(s) {', '.join(map(repr, missing))} that the file does not have",
            f"the file's columns are {', '.join(map(repr, frame.columns))}",
        )
    clash = sorted(set(renames.values()) & (set(frame.columns) - set(renames)))
    if clash:
        raise MappingError(
            mapping.source,
            f"maps a column to {', '.join(map(repr, clash))}, which the file already has",
            "map only one column to each canonical name, or ignore the other",
        )
    out = frame.drop(columns=list(mapping.ignore))
    # mapping works on text: dictionary-encoded columns (the fast CSV reader, categorical
    # Parquet) go back to text first, or look-ups keyed by category codes could mix records
    encoded = [c for c in out.columns if isinstance(out[c].dtype, pd.CategoricalDtype)]
    if encoded:
        out = out.astype(dict.fromkeys(encoded, "str"))
    out = out.rename(columns=renames)
    for column, table in mapping.values.items():
        if column in out.columns:
            out[column] = _translate(out[column], table)
    merged = np.zeros(len(out), dtype=bool)
    if mapping.redcap is not None:
        out, merged = _apply_redcap(out, mapping.redcap, mapping.source)
    return out, merged


def _translate(column: pd.Series, table: dict[str, str]) -> pd.Series:
    folded = {k.strip().casefold(): v for k, v in table.items()}
    text = column.astype("str").str.strip()
    codes, uniques = pd.factorize(text)
    replaced = np.array([folded.get(str(u).casefold(), u) for u in uniques], dtype=object)
    # a copy (fancy indexing); every cell blank: no uniques, an all-None array
    values = replaced[np.maximum(codes, 0)] if len(replaced) else np.empty(len(codes), object)
    values[codes < 0] = None
    result = pd.Series(values, index=column.index, dtype="str")
    return result.where(column.notna())


def _apply_redcap(
    frame: pd.DataFrame, layout: RedcapLayout, source: str
) -> tuple[pd.DataFrame, np.ndarray]:
    for col in (layout.record, layout.event):
        if col not in frame.columns:
            raise MappingError(source, f"redcap column {col!r} is not in the file", _SEE_DOCS)
    out = frame.copy()
    record = out[layout.record].astype("str").str.strip()
    event = out[layout.event].astype("str").str.strip()
    out["episode_id"] = record
    if "patient_id" not in out.columns:
        out["patient_id"] = record
    day = event.str.extract(layout.day_pattern, expand=False)
    is_base = (event == layout.baseline_event).to_numpy()
    if layout.baseline_day is not None:
        day = day.where(~is_base, str(layout.baseline_day))
    out["day"] = day.where(day.notna(), event)  # unmatched events fail as non-numeric days
    for col in layout.carry:
        if col == layout.record:  # the record is on every row: nothing to carry
            continue
        if col not in out.columns:
            out[col] = pd.Series(pd.NA, index=out.index, dtype="str")
        base_values = out.loc[is_base, [layout.record, col]].dropna().drop_duplicates(layout.record)
        lookup = base_values.set_index(layout.record)[col]
        carried = out[layout.record].map(lookup).astype("str")
        out[col] = out[col].astype("str").fillna(carried)
    merged = np.zeros(len(out), dtype=bool)
    if layout.baseline_event is not None:
        diary = [c for c in _DIARY if c in out.columns]
        merged = is_base & out[diary].isna().all(axis=1).to_numpy()
    # the record and event columns have been read; a record named as a canonical column
    # (``record = "patient_id"``) stays
    spent = [c for c in (layout.record, layout.event) if c not in ("patient_id", "episode_id")]
    return out.drop(columns=spent), merged
