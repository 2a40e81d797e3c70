"""End to end: an explorer in real JupyterLab, driven from headless Chromium; and nothing under papermill.

JupyterLab is started the way ``uem lab`` starts it (:func:`uem_helpers.widgets.lab.lab_command`)
on a loopback port with a token, its config, data, runtime and settings folders in a temporary
directory, so the machine's own Jupyter set-up plays no part. Chromium is the Debian package
(``make test`` installs it) driven by Playwright without a browser download, with the network
features that would reach out switched off. A screenshot is left in ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest

from uem_helpers.widgets.lab import lab_command, lab_environment

from ..conftest import CONFIG_PATH, ROOT

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
SETUP = f"""\
from uem_helpers import widgets
from uem_helpers.core import load_config
from uem_helpers.data import load
from uem_helpers.present import plots, privacy

config = load_config({str(CONFIG_PATH)!r})
privacy.use(config.privacy);
data = load(config, tables=["events", "users"])"""
# The onboarding notebook's "Explore" cell, with its parameters written in.
EXPLORE = """\
widgets.explore("funnel", config, data, funnel="account_opening", window="", segment_by="",
                period_start="2026-05-01", period_end="2026-10-31")"""


def _notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Explore"), nbformat.v4.new_code_cell(SETUP),
                nbformat.v4.new_code_cell(EXPLORE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (uem)", "language": "python"}
    path = folder / "explore.ipynb"
    nbformat.write(nb, path)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and every process it started (kernels run in sessions of their own)."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a loopback port serving a temporary folder with one notebook."""
    work = tmp_path / "work"
    work.mkdir()
    _notebook(work)
    port, token = _free_port(), secrets.token_hex(16)
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    extra = [f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True",
             f"--LabApp.user_settings_dir={tmp_path / 'settings'}", f"--LabApp.workspaces_dir={tmp_path / 'ws'}"]
    if os.geteuid() == 0:  # CI containers run as root
        extra.append("--allow-root")
    env = lab_environment()
    env.pop("MPLBACKEND", None)  # the kernel uses the notebook backend, as for a user
    for name in ("CONFIG", "DATA", "RUNTIME"):
        env[f"JUPYTER_{name}_DIR"] = str(tmp_path / name.lower())
    log = tmp_path / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(lab_command(work, port=port, ip="127.0.0.1", open_browser=False, extra=extra),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    try:
        _wait_for_server(f"http://127.0.0.1:{port}/api/status?token={token}", proc, log)
        yield f"http://127.0.0.1:{port}/lab/tree/explore.ipynb?token={token}"
    finally:
        _stop(proc)


def _kernel_idle(page) -> None:
    page.wait_for_function(
        """() => {
            const app = window.jupyterapp;
            const panel = app && app.shell.currentWidget;
            const kernel = panel && panel.sessionContext && panel.sessionContext.session
                && panel.sessionContext.session.kernel;
            return kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
        }""",
        timeout=120_000,
    )


def test_explorer_in_jupyterlab_updates_when_a_widget_changes(lab, tmp_path):
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs it (Debian package chromium)"
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 1100},
        )
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.goto(lab, wait_until="domcontentloaded", timeout=120_000)
            _kernel_idle(page)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            explorer = page.locator(".uem-explorer")
            table = explorer.locator(".widget-output table")
            try:
                table.wait_for(timeout=float(os.environ.get("UEM_E2E_TIMEOUT", 180)) * 1000)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "lab_explorer_failed.png"), full_page=True)
                outputs = page.locator(".jp-OutputArea").all_inner_texts()
                raise AssertionError(f"no explorer table; notebook outputs: {outputs}") from None
            assert explorer.locator(".widget-output img").count() == 1
            before = table.inner_text()
            assert "open_success" in before and "1,063" in before  # the sample's planted completers

            explorer.locator(".widget-dropdown:has(label:text-is('Mode')) select").select_option("strict")
            page.wait_for_function(
                "([el, old]) => el.innerText !== old",
                arg=[table.element_handle(), before], timeout=120_000,
            )
            after = table.inner_text()
            assert after != before and "1,126" in after  # strict: fewer reach id_verified
            page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
            explorer.screenshot(path=str(ARTIFACTS / "lab_explorer.png"))
        finally:
            browser.close()


def test_the_explore_cell_shows_nothing_under_papermill(tmp_path, monkeypatch):
    """The real signal, not a mock: papermill runs cells without stdin, so explore() returns None."""
    import papermill

    from uem_helpers.pipeline.kernel import UEMKernelManager

    source = _notebook(tmp_path)
    out = tmp_path / "out.ipynb"
    monkeypatch.delenv("UEM_HEADLESS", raising=False)  # the kernel inherits the environment: no override
    papermill.execute_notebook(str(source), str(out), kernel_name="uem", kernel_manager_class=UEMKernelManager,
                               progress_bar=False, cwd=str(tmp_path))
    cells = nbformat.read(out, as_version=4).cells
    explore = next(c for c in cells if c.source.startswith("widgets.explore("))
    assert explore.outputs == []
