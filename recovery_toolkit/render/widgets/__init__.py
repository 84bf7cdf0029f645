"""Interactive explorers for notebooks and Voila: thin views over analysis and charts.

Each explorer wires ipywidgets controls to package functions and holds no statistics of its
own. Every explorer takes the notebook's :class:`~recovery_toolkit.Settings` (window,
thresholds) and works on the bundled sample or on the user's own data::

    import recovery_toolkit as rt
    settings = rt.Settings(window_days=21)
    rt.PatientExplorer(rt.load_logs("my_export.csv"), settings)

Charts are ``altair.JupyterChart`` widgets with the Vega libraries inlined (offline; see
:func:`recovery_toolkit.render.theme.enable_offline`). Controls are ordinary widgets, so an
explorer is testable without a browser: set a control's ``.value`` and read its attributes.

Examples
--------
>>> import recovery_toolkit as rt
>>> explorer = AdherenceExplorer(rt.load_logs(rt.sample_path()), window_days=10)
>>> explorer.settings.window_days
10
"""

from .cohort import AdherenceExplorer, CohortExplorer
from .patient import PatientExplorer

__all__ = ["PatientExplorer", "CohortExplorer", "AdherenceExplorer"]
