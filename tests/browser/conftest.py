"""Browser tests: Playwright drives Debian's Chromium in a phone viewport against a live
server (werkzeug in a thread) with a fresh SQLite database per test.

In CI (CI=true) a missing /usr/bin/chromium fails loudly; elsewhere these tests are skipped."""
import os
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ..conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
PIXEL_7 = dict(
    viewport={"width": 412, "height": 915}, device_scale_factor=2.625, is_mobile=True,
    has_touch=True,
    user_agent=("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/126.0.0.0 Mobile Safari/537.36"))
TIMEOUT = 15_000  # ms; a 2-core CI machine is slow to start Chromium


@pytest.fixture(scope="module")
def playwright():
    """Playwright, once Debian's Chromium is known to be there. Per module, so its event loop
    is gone before tests elsewhere start a Playwright of their own."""
    if not Path(CHROMIUM).exists():
        message = (f"{CHROMIUM} is missing: install Debian's chromium "
                   "(python3 dev.py test does so as root)")
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("the playwright package is not installed (pip install -e .[test])")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    """One Chromium per test module."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    yield chromium
    chromium.close()


class LiveServer:
    """The app served on 127.0.0.1 on a free port; stop() and start() cut and bring back the
    signal (the port stays the same, so the phone's origin and service worker stay too)."""

    def __init__(self, app):
        self.app = app
        self.port = 0
        self.start()

    def start(self):
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def live_server(app, school):
    """The app with the `school` checkpoints, served for real."""
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    server = LiveServer(app)
    server.school = school
    yield server
    server.stop()


@pytest.fixture
def phone(browser):
    """A new browser context shaped like a Pixel 7, in English; yields a page."""
    context = browser.new_context(locale="en-US", **PIXEL_7)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, base, username, password=PASSWORD, next_path="/"):
    """Sign in through the form, as a person does."""
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form button.primary")
    page.wait_for_url(f"{base}{next_path}")


def wait_for_worker(page):
    """Until the service worker controls the page (first visit: after it claims it)."""
    try:
        poll(page, "() => !!navigator.serviceWorker.controller", "no service worker")
    except AssertionError:
        state = page.evaluate("""() => navigator.serviceWorker.getRegistration().then(r => r ?
            JSON.stringify({installing: !!r.installing, waiting: !!r.waiting, active: !!r.active})
            : 'not registered')""")
        raise AssertionError(f"no service worker controls {page.url}: {state}") from None


def poll(page, script, message, arg=None, seconds=30):
    """Until `script` (awaited in the page) is truthy. page.wait_for_function would need eval,
    which the app's Content-Security-Policy forbids."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, message
        page.wait_for_timeout(100)
