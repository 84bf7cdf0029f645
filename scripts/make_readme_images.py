"""Render the README's pictures from the bundled sample, so they always show the current tool.

Usage (from the repository root, after ``pip install -e ".[dev]"``)::

    python scripts/make_readme_images.py

Writes ``docs/images/*.png``: the recovery curves, time to resolution, red-flag incidence,
adherence heatmap and control chart (rendered offline by vl-convert), and a screenshot of the
patient explorer served by Voila in headless Chromium (Debian's ``chromium``; skipped with a
message when it is not installed).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import recovery_toolkit as rt
from recovery_toolkit import analysis
from recovery_toolkit.render import charts

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"


def chart_images() -> list[Path]:
    logs = rt.load_logs(rt.sample_path()).logs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        episodes = analysis.episode_table(logs)
        pictures = {
            "recovery_curves.png": charts.recovery_curve_chart(analysis.recovery_curve(logs)),
            "time_to_resolution.png": charts.km_chart(analysis.km_curve(episodes)),
            "red_flags.png": charts.incidence_chart(analysis.red_flag_incidence(episodes)),
            "adherence.png": charts.adherence_heatmap(analysis.adherence_table(episodes)),
            "control_chart.png": charts.spc_chart(analysis.p_chart(episodes)),
        }
    return [charts.save_chart(chart, OUT / name) for name, chart in pictures.items()]


def explorer_screenshot() -> Path | None:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed: skipping the patient explorer screenshot")
        return None
    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    notebook = ROOT / "notebooks" / "05_patient_explorer.ipynb"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            str(notebook),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "api", timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(url, timeout=180_000)
            page.wait_for_selector(".vega-embed svg, .vega-embed canvas", timeout=180_000)
            combo = page.locator("input[list]").first
            combo.fill("P000073")
            combo.press("Enter")
            page.wait_for_function(
                "() => document.querySelector('h3').innerText.includes('P000073')",
                timeout=60_000,
            )
            page.wait_for_timeout(1500)
            path = OUT / "patient_explorer.png"
            page.locator("h3").first.scroll_into_view_if_needed()
            page.screenshot(
                path=str(path),
                full_page=False,
                clip={"x": 0, "y": 170, "width": 1100, "height": 720},
            )
            browser.close()
        return path
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for path in [*chart_images(), explorer_screenshot()]:
        if path is not None:
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
