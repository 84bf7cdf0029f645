"""The charts' look: one Altair theme, colour-blind-safe colours, labels, offline rendering.

The ``recovery_toolkit`` theme is registered on import and used only when asked:
:func:`enable_offline` (notebooks, explorers) and :func:`enable_theme` turn it on, the report
and :func:`save_chart` use it for their own block (``with alt.theme.enable(THEME):``).
:func:`enable_offline` switches Altair to its ``jupyter`` renderer with the Vega libraries
inlined from the installed ``vl-convert`` package, never fetched from a CDN.

Examples
--------
>>> enable_offline()
>>> alt.theme.active
'recovery_toolkit'
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import altair as alt
import pandas as pd

from .. import vocab

__all__ = [
    "THEME",
    "TYPE_COLORS",
    "SEVERITY_COLORS",
    "TYPE_LABELS",
    "ITEM_LABELS",
    "FLAG_LABELS",
    "SORENESS_SCALE",
    "enable_theme",
    "enable_offline",
    "save_chart",
    "with_labels",
    "type_color",
]

THEME = "recovery_toolkit"
#: Okabe–Ito colours, distinguishable with the common forms of colour blindness.
TYPE_COLORS = {
    "chiropractic": "#0072B2",
    "physical_therapy": "#E69F00",
    "injection": "#009E73",
    "minor_procedure": "#CC79A7",
}
SEVERITY_COLORS = {"urgent": "#D55E00", "prompt": "#E69F00", "review": "#56B4E9"}
TYPE_LABELS = {code: term.label for code, term in vocab.TREATMENT_TYPES.items()}
ITEM_LABELS = dict(vocab.ITEM_LABELS)
FLAG_LABELS = {
    **{
        c.removeprefix("flag_"): t.label
        for c, t in {**vocab.RED_FLAGS, **vocab.DERIVED_FLAGS}.items()
    },
    "any": "Any red flag",
}
SORENESS_SCALE = alt.Scale(domain=[0, 10])


@alt.theme.register(THEME, enable=False)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "view": {"continuousWidth": 420, "continuousHeight": 260, "stroke": None},
            "font": "Helvetica, Arial, sans-serif",
            "title": {"fontSize": 15, "anchor": "start", "fontWeight": 600},
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "grid": True, "gridOpacity": 0.4},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "range": {"category": list(TYPE_COLORS.values())},
            "line": {"strokeWidth": 2.5},
            "point": {"size": 45, "filled": True},
        }
    }


def enable_theme() -> None:
    """Use the toolkit's theme for every chart from now on (also done by
    :func:`enable_offline`); ``with alt.theme.enable(THEME):`` uses it for a block only.

    Examples
    --------
    >>> enable_theme()
    >>> alt.theme.active
    'recovery_toolkit'
    """
    alt.theme.enable(THEME)


def enable_offline() -> None:
    """Render charts in Jupyter without internet (Vega libraries inlined, no CDN), in the
    toolkit's theme.

    Examples
    --------
    >>> enable_offline()
    >>> alt.renderers.active
    'jupyter'
    """
    enable_theme()
    alt.renderers.enable("jupyter", offline=True)
    alt.JupyterChart.enable_offline(offline=True)


def save_chart(chart: alt.TopLevelMixin, path: str | Path) -> Path:
    """Save a chart as PNG, SVG or HTML without network access (vl-convert).

    Examples
    --------
    >>> import tempfile
    >>> chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     save_chart(chart, Path(tmp) / "c.svg").read_text()[:4]
    '<svg'
    """
    path = Path(path)
    with alt.theme.enable(THEME):
        if path.suffix.lower() == ".html":
            chart.save(str(path), inline=True)
        else:
            chart.save(str(path), scale_factor=2 if path.suffix.lower() == ".png" else 1)
    return path


def with_labels(frame: pd.DataFrame, column: str = "treatment_type") -> pd.DataFrame:
    """A copy with ``type_label``, the treatment type's label, beside ``column``."""
    out = frame.copy()
    out[column] = out[column].astype("str")
    out["type_label"] = out[column].map(TYPE_LABELS).fillna(out[column])
    return out


def type_color(legend: bool = True, present: Iterable[object] | None = None) -> alt.Color:
    """The colour encoding of treatment types (Okabe–Ito, vocabulary order).

    With ``present`` (the drawn rows' treatment types) the legend lists only those, each in
    its usual colour; legend swatches are opaque even when the marks are pale bands.

    Examples
    --------
    >>> type_color(present=["injection"]).to_dict()["scale"]["domain"]
    ['Injection']
    """
    shown = None if present is None else {str(t) for t in present}
    codes = [t for t in TYPE_COLORS if shown is None or t in shown]
    return alt.Color(
        "type_label:N",
        title="Treatment",
        scale=alt.Scale(
            domain=[TYPE_LABELS[t] for t in codes], range=[TYPE_COLORS[t] for t in codes]
        ),
        legend=alt.Legend(symbolOpacity=1) if legend else None,
    )
