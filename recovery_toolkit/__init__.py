"""recovery-toolkit: understand how patients recover after spine-focused care.

Load daily soreness logs into a validated canonical frame, then analyse recovery by treatment
type, red flags, home-care adherence and follow-up.

Examples
--------
>>> import recovery_toolkit as rt
>>> result = rt.load_logs(rt.sample_path())
>>> result.rows_valid == len(result.logs)
True
"""

from importlib.metadata import PackageNotFoundError, version

from . import vocab
from .errors import InputFileError, MappingError, RecoveryToolkitError
from .io import LoadResult, Mapping, load_logs, load_mapping
from .samples import sample_path, write_samples
from .schemas import SorenessLog
from .synth import generate_logs

try:
    __version__ = version("recovery-toolkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "InputFileError",
    "LoadResult",
    "Mapping",
    "MappingError",
    "RecoveryToolkitError",
    "SorenessLog",
    "__version__",
    "generate_logs",
    "load_logs",
    "load_mapping",
    "sample_path",
    "vocab",
    "write_samples",
]
