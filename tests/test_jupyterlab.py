"""The notebooks as a user opens them: JupyterLab and Notebook 7 in a real headless
Chromium, offline.

Starts JupyterLab (then Notebook 7) on 127.0.0.1 with a temporary root holding copies of the
notebooks, with every cell rendered (no windowing, so every output can be checked), opens
each one, runs all cells from the Run menu and checks what a user would see: no error output,
charts drawn as SVG or canvas, widgets rendered (no "Error displaying widget"), and no request
leaving the machine. It then drives the patient explorer (another patient) and the cohort
explorer (another treatment filter) and checks that the view changed. Screenshots are kept in
``tests/artifacts/`` for a person to look at.

Needs Debian's ``chromium`` (installed by ``.ci/run``); outside CI the test is skipped when it
is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from .test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    _free_port,
    wait_until_serving,
)

playwright = pytest.importorskip("playwright.sync_api")

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module", params=["lab", "notebook"])
def lab(request, tmp_path_factory):
    """The URL of a running JupyterLab or Notebook 7 (``request.param``) and its name."""
    root = tmp_path_factory.mktemp(request.param)
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, root / name)
    home = tmp_path_factory.mktemp("jupyter_home")
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)  # render every cell, so every output is in the page
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
    }
    port = _free_port()
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            request.param,
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={root}",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            "--LabApp.news_url=",
            "--LabApp.extension_manager=readonly",  # no PyPI queries from the server
            "--allow-root",  # CI runs as root
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/"
    wait_until_serving(url, server, seconds=90)
    yield url, request.param
    server.terminate()
    server.wait(timeout=30)
    log.close()


#: The prompts of the code cells of the notebook on screen.
_PROMPTS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')]
    .map(p => p.textContent.trim())"""


def _kernel_idle(url: str, name: str) -> bool:
    """The notebook ``name``'s kernel is up and idle (the server's sessions)."""
    with urllib.request.urlopen(f"{url}api/sessions", timeout=10) as response:
        sessions = [s for s in json.load(response) if s["path"].endswith(name)]
    return bool(sessions) and all(s["kernel"]["execution_state"] == "idle" for s in sessions)


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def _finished(page, url: str, name: str) -> bool:
    """Every code cell on screen has run (a number in its prompt) and the kernel is idle."""
    prompts = page.evaluate(_PROMPTS)
    ran = bool(prompts) and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts)
    return ran and _kernel_idle(url, name)


def _run_all(page, url: str, app: str, name: str) -> None:
    path = f"lab/tree/{name}?reset" if app == "lab" else f"notebooks/{name}"
    page.goto(f"{url}{path}", timeout=120_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    assert _wait(lambda: _kernel_idle(url, name), 120), f"no kernel for {name} in {app}"
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_timeout(1000)  # the first cells are queued
    if not _wait(lambda: _finished(page, url, name), 180):  # say what the notebook looked like
        page.screenshot(path=str(ARTIFACTS / f"{app}_{Path(name).stem}_stuck.png"))
        prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
        raise AssertionError(f"{name} did not finish running in {app}: {prompts}") from None
    page.wait_for_timeout(1500)  # widgets and charts draw after the last reply
    news = page.get_by_role("button", name="No", exact=True)  # JupyterLab's news question
    if news.count():
        news.first.click()


def _problems(page) -> list[str]:
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    found = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    body = page.inner_text(".jp-Notebook")
    if "Error displaying widget" in body:
        found.append("Error displaying widget")
    if "Traceback (most recent call last)" in body:
        found.append("a traceback")
    return found


def test_every_notebook_runs_and_the_explorers_respond(lab):
    url, app = lab
    ARTIFACTS.mkdir(exist_ok=True)
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("request", lambda request: requests.append(request.url))
        for name in NOTEBOOKS:
            _run_all(page, url, app, name)
            assert not _problems(page), (app, name, _problems(page))
            charts = page.locator(".jp-Notebook .vega-embed svg, .jp-Notebook .vega-embed canvas")
            if name != "01_getting_started.ipynb":  # 01 shows tables, not charts
                assert charts.count() > 0, (app, name)
            # the toolkit's tables keep text left- and numbers right-aligned in the notebook
            # (JupyterLab right-aligns every output cell unless outranked)
            aligned = page.evaluate(
                "() => [...document.querySelectorAll('.jp-Notebook table.rt-table td')]"
                ".slice(0, 40).map(td => [td.classList.contains('num'), "
                "getComputedStyle(td).textAlign])"
            )
            assert all(a == ("right" if num else "left") for num, a in aligned), (app, name)
            _show_last_output(page)
            page.screenshot(path=str(ARTIFACTS / f"{app}_{Path(name).stem}.png"))
            if name.startswith("05"):
                _drive_patient_explorer(page, app)
            if name.startswith("02"):
                _drive_cohort_explorer(page, app)
        browser.close()
    outside = [u for u in requests if urlparse(u).hostname not in (None, "127.0.0.1")]
    assert not outside, f"requests left the machine: {outside}"


def _show_last_output(page) -> None:
    """Scroll the notebook to its last widget or chart (what the user reaches at the end)."""
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    if cells.count():
        cells.last.evaluate("cell => cell.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)


def _drive_patient_explorer(page, app: str) -> None:
    header = page.locator(".jp-Notebook h3", has_text="Patient ").first
    before = header.inner_text()
    combo = page.locator(".jp-Notebook input[list]").first
    combo.fill("P000073")
    combo.press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-Notebook h3')]"
        ".some(h => h.innerText.includes('P000073'))",
        timeout=60_000,
    )
    assert header.inner_text() != before
    assert "URGENT" in page.inner_text(".jp-Notebook")
    # the urgent flag is drawn in its colour and named in the legend after the switch
    page.locator(".jp-Notebook svg text", has_text="Urgent red flag").first.wait_for()
    header.evaluate("h => h.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / f"{app}_patient_explorer_driven.png"))


def _drive_cohort_explorer(page, app: str) -> None:
    select = page.locator(".jp-Notebook select[multiple]").first
    summary = page.locator(".jp-Notebook .widget-html", has_text="episodes of").first
    before = summary.inner_text()
    select.select_option(index=0)  # one treatment type only
    page.wait_for_function(
        "(before) => [...document.querySelectorAll('.jp-Notebook .widget-html')]"
        ".some(h => h.innerText.includes('episodes of') && h.innerText !== before)",
        arg=before,
        timeout=60_000,
    )
    select.evaluate("s => s.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / f"{app}_cohort_explorer_driven.png"))
