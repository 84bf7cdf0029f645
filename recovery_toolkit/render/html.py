"""HTML pieces shared by the report and the explorers: escaped tables, download links.

Examples
--------
>>> table_html(pd.DataFrame({"a": [1.5]})).startswith('<table class="rt-table">')
True
"""

from __future__ import annotations

import base64
import html

import numpy as np
import pandas as pd

from ..io.writers import neutralise_formulas

__all__ = ["table_html", "download_link"]


def table_html(frame: pd.DataFrame, *, max_rows: int = 50, digits: int = 3) -> str:
    """An HTML table with every cell escaped (safe for notes and IDs), numbers right-aligned
    (``td.num``) and floats to ``digits`` decimals without trailing zeros (a positive float
    that would round to 0 reads ``< 0.001``).

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

    def td(value: object) -> str:
        number = isinstance(value, (int, float, np.integer, np.floating))
        if number and not isinstance(value, (bool, np.bool_)):
            return f'<td class="num">{cell(value)}</td>'
        return f"<td>{cell(value)}</td>"

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(td(v) for v in row) + "</tr>"
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
    >>> download_link(pd.DataFrame({"a": [1]}), "t.csv").startswith('<a download="t.csv"')
    True
    """
    text = neutralise_formulas(frame).to_csv(index=False, lineterminator="\n")
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a download="{html.escape(name)}" href="data:text/csv;base64,{payload}">'
        f"Download {html.escape(name)} ({len(frame):,} rows)</a>"
    )
