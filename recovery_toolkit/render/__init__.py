"""Drawing what analysis computed: HTML pieces, charts, the report, the CSV export and the
explorers. Nothing here computes a statistic, and nothing here imports upward (no CLI, no
engines); each submodule is imported when needed, so the package import stays light.

* :mod:`.html` — escaped tables and download links (report and explorers);
* :mod:`.theme`, :mod:`.charts`, :mod:`.quality_charts` — Altair charts, offline;
* :mod:`.report` — the self-contained HTML report;
* :mod:`.export` — summary tables as CSV or one workbook, with ``manifest.json``;
* :mod:`.widgets` — ipywidgets explorers for notebooks and Voila.

Examples
--------
>>> from recovery_toolkit.render.html import table_html
>>> "<th>A</th>" in table_html(__import__("pandas").DataFrame({"a": [1]}))
True
"""
