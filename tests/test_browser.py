"""The patient explorer as a Voila dashboard, in a real headless Chromium, offline.

Serves ``notebooks/05_patient_explorer.ipynb`` with Voila on 127.0.0.1, waits for the chart to
render, picks another patient, and checks that the page changed and that no request left the
machine. The screenshot is kept in ``tests/artifacts/`` for a person to look at.

Needs Debian's ``chromium`` (installed by ``.ci/run``); outside CI the test is skipped when it is
missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(
            "chromium is missing: .ci/run must install it (apt-get install chromium)"
        )
    pytest.skip("Debian chromium is not installed", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    port = _free_port()
    log = (tmp_path_factory.mktemp("voila") / "voila.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            str(ROOT / "notebooks" / "05_patient_explorer.ipynb"),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--ServerApp.disable_check_xsrf=True",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}/"
    wait_until_serving(url, server, seconds=60)
    yield url
    server.terminate()
    server.wait(timeout=20)
    log.close()


def wait_until_serving(url: str, server: subprocess.Popen, *, seconds: float) -> None:
    """Wait until a Jupyter server answers at ``url`` (or has exited, or time is up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url + "api", timeout=2):
                return
        except OSError:
            time.sleep(0.5)


def test_patient_explorer_in_voila(voila_url):
    ARTIFACTS.mkdir(exist_ok=True)
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1250})
        page.on("request", lambda request: requests.append(request.url))
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(voila_url, timeout=180_000)
        page.wait_for_selector(".vega-embed svg, .vega-embed canvas", timeout=180_000)
        header = page.locator("h3").first
        before = header.inner_text()
        assert before.startswith("Patient ")
        chart = page.locator(".vega-embed").first
        first_chart = chart.inner_html()

        combo = page.locator("input[list]").first
        combo.fill("P000073")
        combo.press("Enter")
        page.wait_for_function(
            "() => document.querySelector('h3') && document.querySelector('h3')"
            ".innerText.includes('P000073')",
            timeout=60_000,
        )
        page.wait_for_timeout(1500)  # let the chart redraw
        after = header.inner_text()
        assert "P000073" in after and after != before
        body = page.inner_text("body")
        assert "URGENT" in body  # this synthetic patient reported a new neurological deficit
        redrawn = chart.inner_html()
        assert redrawn != first_chart and "P000073" in redrawn  # the chart title names the patient
        page.screenshot(path=str(ARTIFACTS / "patient_explorer.png"), full_page=True)
        browser.close()
    # Vega warned "Infinite extent for field day" on every redraw before the day axis had a
    # fixed domain (issue 12)
    assert not [m for m in console if "Infinite extent" in m], console
    outside = [u for u in requests if urlparse(u).hostname not in (None, "127.0.0.1")]
    assert not outside, f"requests left the machine: {outside}"
    assert (ARTIFACTS / "patient_explorer.png").stat().st_size > 20_000


def test_report_in_a_browser_with_the_network_off(tmp_path):
    from recovery_toolkit import load_logs
    from recovery_toolkit.render.report import write_report
    from recovery_toolkit.samples import sample_path

    ARTIFACTS.mkdir(exist_ok=True)
    report = write_report(load_logs(sample_path()), tmp_path / "report.html")
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True, viewport={"width": 1200, "height": 1400})
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.goto(report.as_uri())
        headings = page.locator("h2").all_inner_texts()
        assert headings == [
            "Summary",
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
        sections = ("curves", "resolution", "flags", "adherence", "followup", "spc", "funnel")
        for section in sections:
            box = page.locator(f"#{section} svg").first.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 150, section
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        browser.close()
    assert all(url.startswith("file:") for url in requests), requests
