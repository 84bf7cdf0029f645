"""The report's opening summary: the handful of numbers a quality lead reads first, each
linked to the section that explains it.

Every figure is read off a table the report already shows (so a shared report shows what its
tables show: a part that is ``suppressed`` there reads ``suppressed`` here too).

Examples
--------
>>> import recovery_toolkit as rt
>>> view = ReportView(rt.compute(rt.load_logs(rt.sample_path())))
>>> "urgent flags without documented contact" in summary_section(view)
True
"""

from __future__ import annotations

import html

import pandas as pd

from .report_sections import ReportView, _section, count
from .theme import TYPE_LABELS

__all__ = ["summary_section"]

_HIDDEN = "suppressed"


def _numbers(values: pd.Series) -> pd.Series | None:
    """The column as numbers, or ``None`` when any cell is hidden (a total would reveal it)."""
    if values.astype("str").eq(_HIDDEN).any():
        return None
    return pd.to_numeric(values, errors="coerce")


def _share(part: pd.Series, whole: pd.Series) -> str:
    top, bottom = _numbers(part), _numbers(whole)
    if top is None or bottom is None or bottom.sum() == 0:
        return _HIDDEN if top is None or bottom is None else "–"
    return f"{top.sum() / bottom.sum():.0%}"


def _kpi(label: str, value: str, key: str, detail: str = "") -> str:
    extra = f"<small>{html.escape(detail)}</small>" if detail else ""
    return (
        f'<a class="kpi" href="#{key}"><b>{html.escape(value)}</b>{html.escape(label)}{extra}</a>'
    )


def _medians(view: ReportView) -> str:
    ttr = view.tables["time_to_resolution"]
    parts = []
    for code, value in zip(ttr["treatment_type"], ttr["median_days"], strict=True):
        label = TYPE_LABELS.get(str(code), str(code))
        if isinstance(value, str):  # suppressed
            shown = value
        else:
            number = float(value)
            shown = "not reached" if number != number else f"{number:g}"
        parts.append(f"{label} {shown}")
    return "; ".join(parts)


def _flag_trend(view: ReportView) -> str:
    """The last complete month's any-flag share against the centre line, and signals."""
    spc = view.tables["spc"]
    series = spc.loc[spc["treatment_type"].astype("str") == "all"]
    complete = series.loc[series["complete"].astype("str") == "True"]
    if complete.empty:
        return "no complete month yet"
    last = complete.iloc[-1]
    if isinstance(last["p"], str) or isinstance(last["center"], str):
        trend = f"last complete month {last['month']}: {_HIDDEN}"
    else:
        trend = (
            f"last complete month {last['month']}: {last['p']:.0%} (centre {last['center']:.0%})"
        )
    flags = series["signal"].astype("str")
    if flags.eq(_HIDDEN).any():  # a hidden month could be a signal
        return f"{trend}; control-chart signals {_HIDDEN}"
    signals = int(flags.eq("True").sum())
    return f"{trend}; {signals} signal{'s' if signals != 1 else ''} on the control chart"


def _uncontacted(view: ReportView) -> tuple[str, str]:
    alerts = view.tables.get("alerts")
    if alerts is None and view.share:
        return "not shown", "alerts are left out of a shared report"
    if alerts is None:  # counted where the alerts are (e.g. by Spark), not listed here
        counted = view.tables.get("urgent_contact")
        if counted is None:
            return "not shown", view.results.absent.get("alerts", "no alert list")
        flagged, uncontacted = (int(counted[c].iloc[0]) for c in ("urgent", "without_contact"))
        return f"{uncontacted} of {flagged}", "no clinic contact on the flag day or the next"
    urgent = alerts.loc[alerts["severity"].astype("str") == "urgent"]
    missing = urgent["contact_within_1_day"].astype("str") != "True"
    return f"{int(missing.sum())} of {len(urgent)}", "no clinic contact on the flag day or the next"


def summary_section(view: ReportView) -> str:
    """The summary at the top of the report (episodes, no reaction, median days to resolution,
    any-flag incidence and its trend, urgent flags without contact, follow-up)."""
    ttr = view.tables["time_to_resolution"]
    flags = view.tables["red_flag_incidence"]
    any_flag = flags.loc[flags["flag"].astype("str") == "any"]
    completeness = view.tables["completeness"]
    with_baseline = _numbers(ttr["episodes"])
    missing = _numbers(ttr["baseline_missing"])
    base = None if with_baseline is None or missing is None else with_baseline - missing
    no_reaction = _HIDDEN if base is None else _share(ttr["no_reaction"], base)
    uncontacted, why = _uncontacted(view)
    kpis = [
        _kpi("episodes", count(view.results.provenance.episodes), "cohort"),
        _kpi("no reaction", no_reaction, "resolution", "baseline at or below the threshold"),
        _kpi("median days to resolution", _medians(view), "resolution"),
        _kpi(
            "episodes with any red flag",
            _share(any_flag["episodes_with_flag"], any_flag["episodes"]),
            "flags",
            _flag_trend(view),
        ),
        _kpi("urgent flags without documented contact", uncontacted, "alerts", why),
        _kpi(
            "lost to follow-up",
            _share(completeness["lost_to_follow_up"], completeness["episodes"]),
            "followup",
            "last log before day 7 without a confirmed recovery",
        ),
    ]
    return _section("summary", "Summary", f'<div class="kpis summary">{"".join(kpis)}</div>')
