"""The weekly summary printed for the notice board: the demo school's last complete week,
printed by Chromium to an A4 PDF, fits on at most two pages and carries no buttons or
navigation. Skipped where /usr/bin/chromium or playwright is missing (fails in CI)."""
import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from inspect_app.demo import load_demo
from inspect_app.extensions import db
from inspect_app.models import Checkpoint, User, utcnow
from inspect_app.repairs_ops import report_repair

from .browser.conftest import CHROMIUM, LAUNCH_ARGS, LiveServer, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(app):
    """The demo school, its checkpoints in place since before its 28 days of checks (the demo
    creates them today, which would leave nothing planned in past weeks), a few repairs."""
    with app.app_context():
        load_demo()
        db.session.execute(db.update(Checkpoint).values(created_at=utcnow() - timedelta(days=60)))
        teacher = db.session.scalar(db.select(User).where(User.username == "teacher"))
        for i, cp in enumerate(db.session.scalars(db.select(Checkpoint).limit(6))):
            report_repair(cp, severity=("hazard", "major", "minor")[i % 3],
                          description="窗户玻璃裂了，有碎片掉落", reporter=teacher)
        db.session.commit()
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    server = LiveServer(app)
    yield server
    server.stop()


def _browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing")
    return pytest.importorskip("playwright.sync_api")


def _pages(pdf):
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
        return int(re.search(rb"Pages:\s+(\d+)", out)[1])
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_printed_weekly_summary_fits_two_a4_pages(demo_server, tmp_path):
    sync_api = _browser()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 412, "height": 915}, locale="zh-CN")
            sign_in(page, demo_server.url, "admin")
            page.goto(f"{demo_server.url}/summary/weekly")
            assert page.locator(".sum-kpis").count() == 1
            # The notice board reads 报修情况 here, not the board's title 报修管理.
            assert page.locator("h2", has_text="报修情况").count() == 1
            page.emulate_media(media="print")
            for selector in (".bar", ".tabs", ".week-nav", ".foot", ".no-print"):
                assert not page.locator(selector).first.is_visible(), selector
            pdf = page.pdf(format="A4")
        finally:
            browser.close()
    (tmp_path / "weekly.pdf").write_bytes(pdf)
    assert 1 <= _pages(pdf) <= 2
