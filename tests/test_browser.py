"""The playground's widgets, driven in a real browser: JupyterLab + headless Chromium.

Starts JupyterLab on loopback with a random token, opens a copy of notebooks/10_playground.ipynb
(so autosave can never touch the committed notebook), runs every cell, then moves the temperature
slider, types a prompt, types into the next-character box and picks another attention layer,
and checks that each output changed accordingly. A screenshot goes to test-artifacts/.

Needs Debian's `chromium` (/usr/bin/chromium) and the `playwright` Python package; no browser is
downloaded. On a laptop without Chromium the test is skipped with the reason; where CI is set it
must run, and a browser that cannot start fails it with the reason.
"""

import base64
import io
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from helpers.course.testmode import shorten_notebook

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists() and os.environ.get("CI", "").lower() in ("", "0", "false", "no"):
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium) or point "
        "COURSE_CHROMIUM at one to drive the playground in a browser; CI always runs this test",
        allow_module_level=True,
    )
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback, isolated from the user's settings; yields (url, token)."""
    home = tmp_path_factory.mktemp("lab")
    work = home / "work"
    work.mkdir()
    # the copy is shortened as nbval shortens notebooks (its fallback training: seconds, not 60 s)
    playground = nbformat.read(ROOT / "notebooks" / "10_playground.ipynb", as_version=4)
    nbformat.write(shorten_notebook(playground, "10_playground"), work / "10_playground.ipynb")
    settings = home / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    ).write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ)
    for name, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "mpl"),
    ]:
        env[name] = str(home / sub)
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    port, token = free_port(), secrets.token_hex(16)
    log = open(home / "lab.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={work}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--LabApp.expose_app_in_browser=True",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    log.flush()
                    pytest.fail(
                        f"JupyterLab did not start:\n{(home / 'lab.log').read_text()[-3000:]}"
                    )
                time.sleep(0.5)
        yield url, token
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def png_ink(src):
    """Fraction of dark pixels in a data: PNG (a blank image has none)."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("L")
    pixels = image.tobytes()  # one byte per pixel in mode "L"
    return sum(p < 128 for p in pixels) / len(pixels)


def test_playground_widgets_respond_in_a_real_browser(lab):
    from playwright.sync_api import sync_playwright

    url, token = lab
    ARTIFACTS.mkdir(exist_ok=True)
    errors = []
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Exception as error:
            pytest.fail(
                f"Chromium could not start ({CHROMIUM}): {error}. Install it: apt-get install chromium"
            )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{url}/lab/tree/10_playground.ipynb?token={token}")
            page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=120_000)
            assert page.locator(".jp-Dialog").count() == 0, (
                "a dialog opened instead of the notebook"
            )
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_function(
                """() => {
                    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
                    return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
                }""",
                timeout=300_000,
            )
            assert "Error displaying widget" not in page.content(), (
                "the widgets front end is missing"
            )

            # 1. the temperature slider: two steps right, 0.8 -> 1.0, and the sample is redrawn
            sample = page.locator(".pg-sample-output")
            sample.get_by_text("temperature=0.8").wait_for()
            before = sample.inner_text()
            handle = page.locator(".pg-temperature .noUi-handle")
            handle.focus()
            handle.press("ArrowRight")
            handle.press("ArrowRight")
            assert page.locator(".pg-temperature .widget-readout").inner_text().strip() == "1.00"
            sample.get_by_text("temperature=1.0").wait_for()
            assert sample.inner_text() != before, (
                "moving the temperature slider did not change the sample"
            )

            # 2. a new prompt: the sample now starts with it
            box = page.locator(".pg-prompt input[type=text]")
            box.fill("JULIET:")
            box.press("Enter")
            sample.get_by_text("JULIET:").wait_for()

            # 3. typing into the next-character box redraws the bar chart (a real image, with ink)
            image = page.locator(".pg-next-output img")
            old_src = image.get_attribute("src")
            next_box = page.locator(".pg-next-prompt input[type=text]")
            next_box.click()
            next_box.press("End")
            next_box.type("e ")
            page.wait_for_function(
                "old => { const i = document.querySelector('.pg-next-output img'); return i && i.src !== old; }",
                arg=old_src,
            )
            assert png_ink(image.get_attribute("src")) > 0.02, "the next-character chart is blank"

            # 4. another attention layer redraws the heatmap (once the kernel has drawn every
            #    keystroke above: a choice made while it is busy is queued behind them)
            page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=120_000)
            heatmap = page.locator(".pg-attn-output img")
            old_heatmap = heatmap.get_attribute("src")
            page.locator(".pg-attn-layer select").select_option(index=1)
            page.wait_for_function(
                "old => { const i = document.querySelector('.pg-attn-output img'); return i && i.src !== old; }",
                arg=old_heatmap,
            )
            assert png_ink(heatmap.get_attribute("src")) > 0.02, "the attention heatmap is blank"
        finally:
            page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=True)
            browser.close()
    assert not errors, f"the page reported errors: {errors}"
