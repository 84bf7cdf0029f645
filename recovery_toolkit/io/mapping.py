"""Mapping files: how a clinic's own export becomes the canonical table.

A mapping file (YAML or TOML) renames columns, translates values, unpacks REDCap checkbox
columns (``field___code``), reads ``day`` from ``redcap_event_name`` and carries episode fields
from a baseline event row to the diary rows of the same record. The format is documented in
``docs/mapping.md``.

Examples
--------
>>> from recovery_toolkit.io.mapping import Mapping
>>> m = Mapping.from_dict({"columns": {"Pain": "soreness"}})
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

__all__ = ["Mapping", "RedcapLayout", "load_mapping", "apply_mapping"]

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
class Mapping:
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
    def from_dict(cls, data: dict[str, Any], *, source: str = "<mapping>") -> Mapping:
        """Build a mapping from the parsed content of a mapping file.

        Examples
        --------
        >>> Mapping.from_dict({"values": {"treatment_type": {"1": "chiropractic"}}}).values
        {'treatment_type': {'1': 'chiropractic'}}
        """
        if not isinstance(data, dict):
            raise MappingError(source, "is not a mapping of keys to values", _SEE_DOCS)
        _refuse_unknown(source, "key", set(data) - _TOP_KEYS, _TOP_KEYS)
        columns = {str(k): str(v) for k, v in (data.get("columns") or {}).items()}
        values = {
            str(col): {str(k): str(v) for k, v in (table or {}).items()}
            for col, table in (data.get("values") or {}).items()
        }
        checkboxes = {
            str(f): {str(k): str(v) for k, v in (codes or {}).items()}
            for f, codes in (data.get("checkboxes") or {}).items()
        }
        targets = [
            *columns.values(),
            *values,
            *(c for t in checkboxes.values() for c in t.values()),
        ]
        _refuse_unknown(source, "target column", set(targets) - _TARGETS, _TARGETS)
        redcap = None
        if "redcap" in data:
            spec = dict(data["redcap"] or {})
            _refuse_unknown(source, "redcap key", set(spec) - _REDCAP_KEYS, _REDCAP_KEYS)
            if "carry" in spec:
                spec["carry"] = tuple(spec["carry"])
                _refuse_unknown(source, "carry column", set(spec["carry"]) - _TARGETS, _TARGETS)
            redcap = RedcapLayout(**spec)
            try:
                if re.compile(redcap.day_pattern).groups != 1:
                    raise re.error("needs exactly one (group) that captures the day")
            except re.error as exc:
                raise MappingError(source, f"bad redcap.day_pattern ({exc})", _SEE_DOCS) from None
        return cls(
            columns=columns,
            values=values,
            checkboxes=checkboxes,
            redcap=redcap,
            date_format=data.get("date_format"),
            encoding=data.get("encoding"),
            delimiter=data.get("delimiter"),
            decimal=data.get("decimal"),
            ignore=tuple(str(c) for c in data.get("ignore") or ()),
            source=source,
        )


_SEE_DOCS = "see docs/mapping.md for the format"


def _refuse_unknown(source: str, what: str, unknown: set[str], allowed: Any) -> None:
    if unknown:
        raise MappingError(
            source,
            f"unknown {what}(s) {', '.join(sorted(map(repr, unknown)))}",
            f"use one of: {', '.join(sorted(allowed))}",
        )


def load_mapping(path: str | Path) -> Mapping:
    """Read a YAML (``.yaml``/``.yml``) or TOML (``.toml``) mapping file.

    Examples
    --------
    >>> from recovery_toolkit.samples import sample_path
    >>> load_mapping(sample_path("messy_mapping.yaml")).date_format
    '%d/%m/%Y'
    """
    path = Path(path)
    if not path.is_file():
        raise MappingError(path, "mapping file not found", "check the --mapping path")
    text = path.read_text(encoding="utf-8-sig")
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
    return Mapping.from_dict(data or {}, source=str(path))


def apply_mapping(frame: pd.DataFrame, mapping: Mapping) -> tuple[pd.DataFrame, np.ndarray]:
    """Apply ``mapping`` to a raw frame.

    Returns the mapped frame (same index, so every row still points to its source row) and a
    boolean mask of rows merged into others (REDCap baseline rows that hold no diary answers).

    Examples
    --------
    >>> raw = pd.DataFrame({"Pain": ["3"], "PT": ["yes"]})
    >>> m = Mapping.from_dict({"columns": {"Pain": "soreness", "PT": "clinic_contact"}})
    >>> apply_mapping(raw, m)[0].columns.tolist()
    ['soreness', 'clinic_contact']
    """
    renames = dict(mapping.columns)
    for field_name, codes in mapping.checkboxes.items():
        for code, target in codes.items():
            renames[f"{field_name}___{code}"] = target
    missing = [c for c in renames if c not in frame.columns]
    if missing:
        raise MappingError(
            mapping.source,
            f"names column(s) {', '.join(map(repr, missing))} that the file does not have",
            f"the file's columns are {', '.join(map(repr, frame.columns))}",
        )
    out = frame.drop(columns=[c for c in mapping.ignore if c in frame.columns])
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
    values = np.where(codes >= 0, replaced[np.maximum(codes, 0)] if len(replaced) else None, None)
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
    return out.drop(columns=[layout.record, layout.event]), merged
