"""Phone-sized screenshots of the main pages as each role: SCREENSHOTS=1 writes PNGs into
screenshots/ (ignored by git) for a person to look at. Without it the test is skipped."""
import os
import re
from pathlib import Path

import pytest

from .conftest import PIXEL_7, sign_in
from .test_install import IPHONE

pytestmark = pytest.mark.browser
OUT = Path(__file__).resolve().parents[2] / "screenshots"
ROLES = ("guard", "staff", "teacher", "admin")


def shoot(page, name):
    page.wait_for_load_state("load")
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


@pytest.fixture
def enabled():
    if not os.environ.get("SCREENSHOTS"):
        pytest.skip("set SCREENSHOTS=1 to write phone-sized screenshots into screenshots/")
    OUT.mkdir(exist_ok=True)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_screenshots_of_the_main_pages(enabled, live_server, browser, locale):
    base, code = live_server.url, live_server.school["南门"]
    lang = locale[:2]
    for role in ("anonymous",) + ROLES:
        # The teacher uses an iPhone, so the home-screen hint is in the pictures too.
        context = browser.new_context(locale=locale, **(IPHONE if role == "teacher" else PIXEL_7))
        page = context.new_page()
        if role != "anonymous":
            sign_in(page, base, role)
        page.goto(f"{base}/")
        shoot(page, f"{lang}-{role}-home")
        links = page.eval_on_selector_all("nav.tabs a", "as => as.map(a => a.getAttribute('href'))")
        for href in links:
            if href != "/":
                page.goto(base + href)
                shoot(page, f"{lang}-{role}-{re.sub(r'[^a-z0-9]+', '_', href.strip('/'))}")
        page.goto(f"{base}/q/{code}")
        shoot(page, f"{lang}-{role}-checkpoint")
        if role in ("guard", "staff"):
            page.context.set_offline(True)
            page.click("button[name=all_ok]")
            page.wait_for_selector("section.queued")
            page.click("#queue-badge")
            shoot(page, f"{lang}-{role}-checkpoint-offline-queued")
            page.context.set_offline(False)
            page.wait_for_selector("#queue-badge", state="hidden")
        page.goto(f"{base}/offline")
        shoot(page, f"{lang}-{role}-offline")
        context.close()
