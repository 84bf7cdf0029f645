"""The HTML report: every section, escaped text, offline, atomic and never overwritten."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from recovery_toolkit import load_logs
from recovery_toolkit.cli import main
from recovery_toolkit.io.writers import OutputExistsError, atomic_write
from recovery_toolkit.render.report import build_report, write_report
from recovery_toolkit.samples import sample_path

from .conftest import HEADER, TODAY

SECTIONS = [
    "Data and validation",
    "Cohort",
    "Recovery curves",
    "Time to resolution",
    "Red-flag incidence",
    "Home-care adherence",
    "Follow-up and escalation",
    "Control chart",
    "Funnel plots",
    "Alerts",
    "Methods and parameters",
]


@pytest.fixture(scope="module")
def sample_report():
    return build_report(load_logs(sample_path(), today=TODAY), generated_at=dt.datetime(2026, 1, 2))


def test_every_section_with_charts(sample_report):
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in sample_report
    # curves x2, KM, incidence x2, adherence heatmap, logging, SPC, funnel by site and clinician
    assert sample_report.count("<svg") == 10
    assert "Adherence before day 3 and recovery after it" in sample_report
    assert "Log-rank test across adherence groups" not in sample_report  # whole-window: gone
    assert "Every row passed every check." in sample_report
    assert "1dcb319a" in sample_report  # the input's SHA-256 is in the methods


def test_report_needs_no_network(sample_report):
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", sample_report)
    assert "<script" not in sample_report


def test_same_input_same_report_but_the_timestamp():
    result = load_logs(sample_path(), today=TODAY)
    first = build_report(result, generated_at=dt.datetime(2026, 1, 2, 3, 4))
    second = build_report(result, generated_at=dt.datetime(2027, 5, 6, 7, 8))
    differ = [
        (a, b) for a, b in zip(first.splitlines(), second.splitlines(), strict=True) if a != b
    ]
    assert len(first) == len(second) and first != second
    assert all("Generated" in a for a, _ in differ)


def test_text_from_the_data_is_escaped(write):
    hostile = "<script>alert(1)</script>"
    text = HEADER + ",site,notes,flag_neuro_deficit\n"
    text += f'"{hostile}",PT,2025-03-01,2025-03-01,5,"<b>site</b>","=HYPERLINK(""x"")",no\n'
    text += f'"{hostile}",PT,2025-03-01,2025-03-02,9,"<b>site</b>",,yes\n'
    report = build_report(load_logs(write("h.csv", text), today=TODAY))
    assert hostile not in report and "<b>site</b>" not in report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report  # the patient id in the alerts
    assert "HYPERLINK" not in report  # notes never appear in a report


def test_cli_report_defaults_to_the_sample(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["report"]) == 0
    report = (tmp_path / "report.html").read_text()
    assert "soreness_logs.csv" in report and "400 episodes" in report
    assert main(["report"]) == 2
    assert "already exists" in capsys.readouterr().err
    before = (tmp_path / "report.html").stat().st_mtime_ns
    time.sleep(0.01)
    assert main(["report", "--force", "--window", "7"]) == 0
    assert (tmp_path / "report.html").stat().st_mtime_ns != before
    assert "window days 0–7" in (tmp_path / "report.html").read_text()


def test_report_never_overwrites_its_input(tmp_path, capsys):
    source = tmp_path / "logs.csv"
    source.write_bytes(sample_path().read_bytes())
    assert main(["report", str(source), "-o", str(source), "--force"]) == 2
    assert source.read_bytes() == sample_path().read_bytes()


def test_write_report_refuses_to_overwrite(tmp_path):
    result = load_logs(sample_path(), today=TODAY)
    path = write_report(result, tmp_path / "r.html")
    with pytest.raises(OutputExistsError):
        write_report(result, path)
    assert write_report(result, path, overwrite=True) == path


def test_a_failed_write_leaves_no_file(tmp_path):
    target = tmp_path / "report.html"
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write("<html>half")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_killing_the_process_mid_write_leaves_no_partial_report(tmp_path):
    target = tmp_path / "report.html"
    script = (
        "import sys, time\n"
        "from recovery_toolkit.io.writers import atomic_write\n"
        f"with atomic_write({str(target)!r}) as handle:\n"
        "    handle.write('<html>' * 1000); handle.flush()\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "writing"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not target.exists()  # only a hidden temporary file may remain
    assert all(p.name.startswith(".report.html.") for p in tmp_path.iterdir())


def test_the_summary_opens_the_report_with_linked_figures_from_its_tables():
    import re

    import recovery_toolkit as rt
    from recovery_toolkit.render.report import render_report

    results = rt.compute(rt.load_logs(rt.sample_path()))
    report = render_report(results)
    summary = report[report.index('<section id="summary">') : report.index('<section id="data">')]
    links = set(re.findall(r'<a class="kpi" href="#(\w+)">', summary))
    assert links == {"cohort", "resolution", "flags", "alerts", "followup"}
    assert all(f'<section id="{key}">' in report for key in links)
    ttr = results.tables["time_to_resolution"]
    no_reaction = ttr["no_reaction"].sum() / (ttr["episodes"] - ttr["baseline_missing"]).sum()
    assert f"<b>{no_reaction:.0%}</b>no reaction" in summary
    alerts = results.tables["alerts"]
    urgent = alerts.loc[alerts["severity"] == "urgent"]
    missing = int((urgent["contact_within_1_day"].astype("str") != "True").sum())
    assert f"<b>{missing} of {len(urgent)}</b>urgent flags without documented contact" in summary
    shared = rt.render_report(rt.share(results))
    assert "alerts are left out of a shared report" in shared


def test_displayed_tables_speak_words_and_round_to_three_decimals(sample_report):
    """What a quality lead reads: headers in words, codes by their labels (treatment types,
    reference types, items and the score, funnel measures and unit types), numbers to at most
    three decimals; the CSV files keep the codes and full precision."""
    tables = re.findall(r'<table class="rt-table">.*?</table>', sample_report, flags=re.S)
    assert len(tables) >= 14
    cells = [
        html_text
        for table in tables
        for html_text in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", table, flags=re.S)
    ]
    snake = [c for c in cells if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", c)]
    assert snake == []
    assert not {"score", "chiropractic", "site", "clinician"} & set(cells)
    assert {"Adherence score", "Any red flag", "Resolved by day 7", "Site"} <= set(cells)
    long_decimals = [c for c in cells if re.fullmatch(r"-?[\d,]*\.\d{4,}", c)]
    assert long_decimals == []


def test_models_fitted_on_a_sample_say_so_where_their_numbers_are():
    """A researcher reading the hazard ratios or the landmark table sees, right there, that
    the Cox models were fitted on a seeded sample and of how many episodes; and a log-rank p
    too small to print reads '< 0.001' as in the tables, never 'p = 0'."""
    import re

    from recovery_toolkit import compute
    from recovery_toolkit.errors import RecoveryToolkitWarning

    with pytest.warns(RecoveryToolkitWarning, match="seeded random sample"):
        results = compute(load_logs(sample_path(), today=TODAY), model_max_episodes=100)
    text = re.sub(r"\s+", " ", build_report(results, generated_at=dt.datetime(2026, 1, 2)))
    assert "Fitted on a seeded random sample of 100 of the 374 sore episodes" in text
    assert "Fitted on a seeded random sample of 100 of the 207 episodes at the landmark" in text
    plain = re.sub(r"\s+", " ", build_report(load_logs(sample_path(), today=TODAY)))
    assert "Fitted on a seeded random sample" not in plain
    logrank = r"Log-rank test across treatment types: χ² = [\d.]+ on 3 df, p < 0\.001"
    assert re.search(logrank, plain)
