"""HTML pieces shared by the report and the explorers: escaped tables, download links.

Examples
--------
>>> table_html(pd.DataFrame({"a": [1.5]})).startswith('<table class="rt-table">')
True
>>> "<th>95 % CI low</th>" in table_html(pd.DataFrame({"ci_low": [0.1]}))
True
"""

from __future__ import annotations

import base64
import html
import re

import numpy as np
import pandas as pd

from .. import vocab
from ..io.writers import neutralise_formulas

__all__ = [
    "COLUMN_LABELS",
    "TABLE_STYLE",
    "column_label",
    "table_html",
    "download_link",
    "show",
    "value_label",
]

#: Styles of displayed tables and download links where no page stylesheet applies (the
#: explorers' HTML widgets, notebook outputs): text left- and numbers right-aligned, a
#: download link that looks clickable. ``table.rt-table.rt-table`` outranks JupyterLab's
#: ``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`` (which right-aligns every cell).
TABLE_STYLE = (
    "<style>"
    ".rt-table{border-collapse:collapse;font-size:13px}"
    "table.rt-table.rt-table th{background:#f3f6f9;text-align:left;padding:4px 8px;"
    "vertical-align:bottom}"
    "table.rt-table.rt-table td,table.rt-table.rt-table th{max-width:none}"
    "table.rt-table.rt-table td{padding:3px 8px;border-bottom:1px solid #e5e5e5;"
    "text-align:left}"
    "table.rt-table.rt-table td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "a.rt-download{display:inline-block;margin:4px 0 8px;padding:4px 12px;border:1px solid "
    "#0072B2;border-radius:4px;color:#0072B2;text-decoration:none;font-size:13px}"
    "a.rt-download:hover{background:#e8f1f8}"
    "</style>"
)

#: How a column is headed in a displayed table (CSV files and frames keep their names).
COLUMN_LABELS = {
    "treatment_type": "Treatment",
    "baseline_missing": "No baseline",
    "no_reaction_share": "No reaction (share)",
    "median_days": "Median days",
    "median_ci_low": "Median 95 % CI low",
    "median_ci_high": "Median 95 % CI high",
    "ci_low": "95 % CI low",
    "ci_high": "95 % CI high",
    "p_value": "p",
    "q_value": "q",
    "p": "p",
    "hr": "HR",
    "n": "n",
    "n_at_risk": "At risk",
    "chi2": "χ²",
    "dof": "df",
    "km": "Kaplan–Meier",
    "ipcw": "IPCW (drop-out weighted)",
    "cumulative_ci_low": "Cumulative 95 % CI low",
    "cumulative_ci_high": "Cumulative 95 % CI high",
    "rate_ci_low": "Rate 95 % CI low",
    "rate_ci_high": "Rate 95 % CI high",
    "lost_to_follow_up": "Lost to follow-up",
    "lost_share": "Lost (share)",
    "lcl": "Lower limit",
    "ucl": "Upper limit",
    "center": "Centre",
    "low_95": "95 % low",
    "high_95": "95 % high",
    "low_998": "99.8 % low",
    "high_998": "99.8 % high",
    "episode_id": "Episode",
    "patient_id": "Patient",
    "contact_within_1_day": "Contact within 1 day",
    "stratified_by": "Stratified by",
    "p10": "P10",
    "p25": "P25",
    "p75": "P75",
    "p90": "P90",
}
_DAY = re.compile(r"^(.*)_day_(\d+)$")
#: Cell values shown by their label (treatment types, checklist items, red flags).
_VALUE_LABELS = {
    **{code: term.label for code, term in vocab.TREATMENT_TYPES.items()},
    **vocab.ITEM_LABELS,
    **{code.removeprefix("flag_"): term.label for code, term in vocab.RED_FLAGS.items()},
    **{code.removeprefix("flag_"): term.label for code, term in vocab.DERIVED_FLAGS.items()},
    **{code: term.label for code, term in {**vocab.RED_FLAGS, **vocab.DERIVED_FLAGS}.items()},
    "any": "Any red flag",
    # review alerts
    "above_p90": "Sorer than 9 in 10 similar patients",
    "unresolved_at_window_end": "Unresolved at the window's end",
    "stopped_logging": "Stopped logging while unresolved",
    "low_adherence": "Low home-care adherence",
    # the adherence score beside the items; funnel measures and units
    "score": "Adherence score",
    "any_flag": "Any red flag",
    "lost_to_follow_up": "Lost to follow-up",
    "site": "Site",
    "clinician": "Clinician",
}


#: Columns whose values are codes shown by their labels (never IDs, notes or sites).
_CODED_COLUMNS = frozenset(
    {"treatment_type", "reference", "item", "flag", "reason", "measure", "unit_type"}
)


def column_label(name: object) -> str:
    """A column's heading in a displayed table: a known label, else the name in words.

    Examples
    --------
    >>> column_label("ci_low"), column_label("resolved_by_day_7"), column_label("days_answered")
    ('95 % CI low', 'Resolved by day 7', 'Days answered')
    """
    text = str(name)
    if text in COLUMN_LABELS:
        return COLUMN_LABELS[text]
    day = _DAY.match(text)
    if day is not None:
        return f"{column_label(day.group(1))} day {day.group(2)}"
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def value_label(value: object) -> object:
    """A coded cell value (treatment type, checklist item, red flag) by its label.

    Examples
    --------
    >>> value_label("physical_therapy"), value_label("resolved_by_day_7"), value_label(3)
    ('Physical therapy', 'Resolved by day 7', 3)
    """
    if not isinstance(value, str):
        return value
    if value in _VALUE_LABELS:
        return _VALUE_LABELS[value]
    return column_label(value) if _DAY.match(value) else value


def table_html(
    frame: pd.DataFrame, *, max_rows: int = 50, digits: int = 3, labels: bool = True
) -> str:
    """An HTML table with every cell escaped (safe for notes and IDs), numbers right-aligned
    (``td.num``) and floats to ``digits`` decimals without trailing zeros (a positive float
    that would round to 0 reads ``< 0.001``). With ``labels`` (the default) columns are
    headed in words (:func:`column_label`) and coded values (treatment types, checklist
    items, flags, funnel measures in the ``treatment_type``, ``reference``, ``item``,
    ``flag``, ``reason``, ``measure`` and ``unit_type`` columns) read as their labels; the
    frame itself is not changed.

    Examples
    --------
    >>> "<td>&lt;script&gt;</td>" in table_html(pd.DataFrame({"note": ["<script>"]}))
    True
    >>> table_html(pd.DataFrame({"p": [0.25]})).count('<td class="num">0.25</td>')
    1
    >>> '<td class="num">&lt; 0.001</td>' in table_html(pd.DataFrame({"p": [4.7e-25]}))
    True
    """

    def cell(value: object) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            return ""
        if isinstance(value, float):
            if 0 < value < 0.5 * 10**-digits:  # a small p-value is not 0
                return f"&lt; {10**-digits:.{digits}f}"
            return f"{value:,.{digits}f}".rstrip("0").rstrip(".")
        return html.escape(str(value))

    def td(value: object, coded: bool = False) -> str:
        value = value_label(value) if coded else value
        number = isinstance(value, (int, float, np.integer, np.floating))
        if number and not isinstance(value, (bool, np.bool_)):
            return f'<td class="num">{cell(value)}</td>'
        return f"<td>{cell(value)}</td>"

    name = column_label if labels else str
    head = "".join(f"<th>{html.escape(name(c))}</th>" for c in frame.columns)
    coded = [labels and str(c) in _CODED_COLUMNS for c in frame.columns]
    body = "".join(
        "<tr>" + "".join(td(v, k) for v, k in zip(row, coded, strict=True)) + "</tr>"
        for row in frame.head(max_rows).itertuples(index=False)
    )
    more = (
        f"<caption>first {max_rows:,} of {len(frame):,} rows</caption>"
        if len(frame) > max_rows
        else ""
    )
    return (
        f'<table class="rt-table">{more}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def download_link(frame: pd.DataFrame, name: str) -> str:
    """A link that downloads ``frame`` as a formula-safe CSV file (data URL; no server).

    Examples
    --------
    >>> download_link(pd.DataFrame({"a": [1]}), "t.csv").startswith('<a class="rt-download"')
    True
    """
    text = neutralise_formulas(frame).to_csv(index=False, lineterminator="\n")
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a class="rt-download" download="{html.escape(name)}" '
        f'href="data:text/csv;base64,{payload}">'
        f"⬇ Download {html.escape(name)} ({len(frame):,} rows)</a>"
    )


class _Shown:
    """A table as a notebook displays it (see :func:`show`)."""

    def __init__(self, frame: pd.DataFrame, max_rows: int, digits: int) -> None:
        self.frame, self.max_rows, self.digits = frame, max_rows, digits

    def _repr_html_(self) -> str:
        return TABLE_STYLE + table_html(self.frame, max_rows=self.max_rows, digits=self.digits)

    def __repr__(self) -> str:
        return repr(self.frame)


def show(frame: pd.DataFrame, *, max_rows: int = 50, digits: int = 3) -> _Shown:
    """A table for a notebook, as the report shows tables: columns in words, coded values by
    their labels, numbers right-aligned to ``digits`` decimals, text never cut short (pandas
    cuts cells at 50 characters). The frame is not changed.

    Examples
    --------
    >>> "<th>95 % CI low</th>" in show(pd.DataFrame({"ci_low": [0.123456]}))._repr_html_()
    True
    """
    return _Shown(frame, max_rows, digits)
