"""Where the rows live. Every engine yields the same :class:`~recovery_toolkit.analysis.Results`.

* in memory (pandas): :func:`recovery_toolkit.compute` on a loaded file;
* a folder of Parquet files larger than memory (DuckDB): :mod:`.parquet`.

Examples
--------
>>> from recovery_toolkit.engines import parquet
>>> parquet.summarise_dataset.__name__
'summarise_dataset'
"""
