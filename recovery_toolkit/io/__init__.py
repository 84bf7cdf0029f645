"""Reading clinic exports into the canonical table, and writing outputs safely.

Examples
--------
>>> from recovery_toolkit.io import load_logs
>>> from recovery_toolkit.samples import sample_path
>>> load_logs(sample_path()).rows_quarantined
0
"""

from .load import LoadResult, file_sha256, load_logs
from .mapping import ColumnMapping, RedcapLayout, apply_mapping, load_mapping
from .readers import RawTable, read_raw
from .writers import atomic_write, neutralise_formulas, write_csv, write_text

__all__ = [
    "LoadResult",
    "ColumnMapping",
    "RawTable",
    "RedcapLayout",
    "apply_mapping",
    "atomic_write",
    "file_sha256",
    "load_logs",
    "load_mapping",
    "neutralise_formulas",
    "read_raw",
    "write_csv",
    "write_text",
]
