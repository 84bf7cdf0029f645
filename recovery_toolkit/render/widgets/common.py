"""What the explorers share: their base class, chart widgets, an episode index.

Examples
--------
>>> import recovery_toolkit as rt
>>> index = EpisodeIndex.build(rt.load_logs(rt.sample_path()).logs)
>>> len(index.rows("E0000001")) > 0
True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd

from ... import vocab
from ...analysis.results import Results
from ...analysis.settings import Settings, resolve
from ...io.load import LoadResult
from ...schemas import TREATMENT_DTYPE
from ..theme import enable_offline

__all__ = [
    "TYPE_LABELS",
    "SEVERITY_STYLE",
    "Explorer",
    "logs_of",
    "present_types",
    "chart_widget",
    "with_data",
    "EpisodeIndex",
]

TYPE_LABELS = {code: term.label for code, term in vocab.TREATMENT_TYPES.items()}
SEVERITY_STYLE = {
    "urgent": "background:#fde0d6;border-left:6px solid #D55E00",
    "prompt": "background:#fff1d6;border-left:6px solid #E69F00",
    "review": "background:#e3f2fb;border-left:6px solid #56B4E9",
}


def logs_of(data: LoadResult | Results | pd.DataFrame) -> pd.DataFrame:
    """The validated logs of whatever the user has at hand."""
    logs = data.logs if isinstance(data, (LoadResult, Results)) else data
    if logs is None:
        raise ValueError(
            "data= holds no logs (results of a Parquet folder): pass load_logs(...) of a file"
        )
    return logs


def present_types(treatment_type: pd.Series) -> list[str]:
    """The treatment types that occur in ``treatment_type``, in the canonical order.

    Examples
    --------
    >>> present_types(pd.Series(["injection", "chiropractic", "injection"]))
    ['chiropractic', 'injection']
    """
    return [t for t in TREATMENT_DTYPE.categories if (treatment_type == t).any()]


class Explorer(ABC):
    """What every explorer does first: take the logs and the settings, then build its widgets.

    Parameters
    ----------
    data : LoadResult, Results or DataFrame
        Canonical logs (e.g. ``load_logs("my_export.csv")``).
    settings : Settings, optional
        The notebook's settings (window, resolution and alert thresholds); by default those of
        ``data`` when it is :class:`~recovery_toolkit.analysis.Results`.
    window_days : int, optional
        One-off override of ``settings.window_days``.

    A subclass builds its controls in ``_build`` and sets ``widget``, which the notebook
    displays when the explorer is the last expression of a cell.
    """

    widget: widgets.Box

    def __init__(
        self,
        data: LoadResult | Results | pd.DataFrame,
        settings: Settings | None = None,
        *,
        window_days: int | None = None,
    ) -> None:
        self.logs = logs_of(data)
        if settings is None and isinstance(data, Results):
            settings = data.settings  # results bring the settings they were computed with
        self.settings = resolve(settings, window_days=window_days)
        self._build()

    @abstractmethod
    def _build(self) -> None:
        """Build the controls and set :attr:`widget`."""

    def _ipython_display_(self) -> None:  # pragma: no cover - needs a front end
        from IPython.display import display

        display(self.widget)


def chart_widget(chart: alt.TopLevelSpec) -> alt.JupyterChart:
    """A chart as a widget, offline and in the toolkit's theme (an explorer turns both on for
    the notebook, as :func:`~recovery_toolkit.render.theme.enable_offline` does: its charts
    are redrawn as its controls change)."""
    enable_offline()
    return alt.JupyterChart(chart)


def with_data(template: alt.TopLevelSpec, data: pd.DataFrame, title: str) -> alt.TopLevelSpec:
    """The template chart with other data and title: no rebuild, no re-validation."""
    chart = template.copy(deep=False)
    chart.data = data
    chart.title = title
    return chart


@dataclass(frozen=True)
class EpisodeIndex:
    """Logs sorted by episode, so one episode's rows are a slice found by binary search."""

    logs: pd.DataFrame
    ids: np.ndarray
    starts: np.ndarray

    @classmethod
    def build(cls, logs: pd.DataFrame) -> EpisodeIndex:
        ordered = logs.sort_values(["episode_id", "day"], kind="stable", ignore_index=True)
        codes, ids = pd.factorize(ordered["episode_id"], sort=True)
        starts = np.searchsorted(codes, np.arange(len(ids) + 1))
        return cls(ordered, np.asarray(ids, dtype=object), starts)

    def rows(self, episode_id: str) -> pd.DataFrame:
        i = int(np.searchsorted(self.ids, episode_id))
        if i >= len(self.ids) or self.ids[i] != episode_id:
            raise KeyError(f"no logs for episode {episode_id!r}")
        return self.logs.iloc[self.starts[i] : self.starts[i + 1]]
