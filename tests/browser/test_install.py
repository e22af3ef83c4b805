"""Installing to the home screen: Chromium's own installability check, and the iPhone hint."""
import pytest

from .conftest import CHROMIUM, LAUNCH_ARGS, PIXEL_7, TIMEOUT, wait_for_worker

pytestmark = pytest.mark.browser

IPHONE = dict(PIXEL_7, viewport={"width": 390, "height": 844}, device_scale_factor=3,
              user_agent=("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"))


def test_chromium_finds_the_app_installable(live_server, playwright, tmp_path):
    # A profile on disk: Chromium never offers to install from an incognito context.
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=LAUNCH_ARGS, **PIXEL_7)
    context.set_default_timeout(TIMEOUT)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        cdp = context.new_cdp_session(page)
        page.goto(f"{live_server.url}/")
        wait_for_worker(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.webmanifest")
        assert not manifest["errors"], manifest["errors"]
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()


def test_the_home_screen_hint_shows_once_on_iphone_safari(live_server, browser):
    context = browser.new_context(locale="en-US", **IPHONE)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")
        page.wait_for_selector("#ios-hint:not([hidden])")
        assert "Add to Home Screen" in page.text_content("#ios-hint")
        page.click("#ios-hint button")
        assert page.is_hidden("#ios-hint")
        page.reload()
        page.wait_for_load_state("load")
        assert page.is_hidden("#ios-hint")
    finally:
        context.close()


def test_no_hint_on_android(live_server, phone):
    phone.goto(f"{live_server.url}/")
    phone.wait_for_load_state("load")
    assert phone.evaluate("typeof CIQueue") == "object"
    assert phone.is_hidden("#ios-hint")
