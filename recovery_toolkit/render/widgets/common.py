"""What the explorers share: where their logs come from, chart widgets, an episode index.

Examples
--------
>>> import recovery_toolkit as rt
>>> index = EpisodeIndex.build(rt.load_logs(rt.sample_path()).logs)
>>> len(index.rows("E0000001")) > 0
True
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from ... import vocab
from ...analysis.results import Results
from ...io.load import LoadResult
from ..theme import enable_offline

__all__ = ["TYPE_LABELS", "SEVERITY_STYLE", "logs_of", "chart_widget", "with_data", "EpisodeIndex"]

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


def chart_widget(chart: alt.TopLevelMixin) -> alt.JupyterChart:
    """A chart as a widget, offline and in the toolkit's theme."""
    enable_offline()
    return alt.JupyterChart(chart)


def with_data(template: alt.TopLevelMixin, data: pd.DataFrame, title: str) -> alt.TopLevelMixin:
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
