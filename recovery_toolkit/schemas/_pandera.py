"""pandera's first import, without side effects on a machine that also has pyspark.

When pyspark is installed, pandera tries to import ``pyspark.pandas`` (for its Spark backend,
which the toolkit never uses): on import, and again each time it builds a model in a new
thread. Under pandas 3 that import fails (pyspark 4.x needs pandas < 3 there), after warning
"PySpark does not yet fully support pandas >= 3.0.0" — a ``FutureWarning`` on every attempt.
pandera also sets ``SPARK_LOCAL_IP=127.0.0.1``, and a driver bound to 127.0.0.1 cannot be
reached by the executors of a real cluster.

So this module tries that import once, quietly; if it fails, later attempts fail at once, as
they would have, without the warning (``sys.modules["pyspark.pandas"] = None``). It then
imports pandera and puts ``SPARK_LOCAL_IP`` back as it was. Without pyspark it is a plain
``import pandera.pandas``.

Examples
--------
>>> from recovery_toolkit.schemas import _pandera
>>> "pandera.pandas" in __import__("sys").modules
True
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings

_BEFORE = os.environ.get("SPARK_LOCAL_IP")


def _quiet_pyspark_pandas() -> None:
    """Import ``pyspark.pandas`` once without its pandas-3 warning; block it if it fails."""
    try:
        if "pyspark.pandas" in sys.modules or importlib.util.find_spec("pyspark") is None:
            return
    except ImportError:  # pyspark cannot even be looked up: pandera will not import it either
        return
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        try:
            import pyspark.pandas  # noqa: F401
        except ImportError:  # pandas 3: it cannot be imported, so say so at once from now on
            sys.modules["pyspark.pandas"] = None  # type: ignore[assignment]


_quiet_pyspark_pandas()
import pandera.pandas  # noqa: E402, F401

if _BEFORE is None:
    os.environ.pop("SPARK_LOCAL_IP", None)
else:
    os.environ["SPARK_LOCAL_IP"] = _BEFORE
