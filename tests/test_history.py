"""A checkpoint's history (/q/<code>/history): every check and repair, newest first, paged;
teachers see dates and results, not notes."""
import uuid
from datetime import timedelta

import pytest

from inspect_app.extensions import db
from inspect_app.models import Checkpoint, User, utcnow
from inspect_app.operations import log_check
from inspect_app.repairs_ops import report_repair


@pytest.fixture
def extinguisher(app, school):
    """灭火器 01 with 25 checks a day apart (the latest with a fault and a note) and a repair."""
    with app.app_context():
        cp = db.session.scalar(db.select(Checkpoint).where(Checkpoint.name == "灭火器 01"))
        staff = db.session.scalar(db.select(User).where(User.username == "staff"))
        teacher = db.session.scalar(db.select(User).where(User.username == "teacher"))
        now = utcnow()
        for i in range(25, 0, -1):
            fault = i == 1
            log_check(staff, cp, check_id=uuid.uuid4(), observed_at=now - timedelta(days=i),
                      items={"gauge": "fault" if fault else "ok"},
                      item_notes={"gauge": "指针在红区"} if fault else {},
                      note="秘密备注" if fault else "")
        report_repair(cp, severity="hazard", description="瓶体锈蚀严重", reporter=teacher)
        db.session.commit()
        return cp.code


def test_guard_sees_everything_newest_first(as_role, extinguisher):
    guard = as_role("guard")
    page = guard.get(f"/q/{extinguisher}/history", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "25 checks, 2 repairs" in html  # the fault of the latest check opened a repair
    first_repair, first_fault = html.index("瓶体锈蚀严重"), html.index("指针在红区")
    assert first_repair < first_fault  # the repair (today) before the check of yesterday
    assert "秘密备注" in html
    assert html.count('<li><p class="title">') == 20
    assert 'page=2' in html and 'rel="next"' in html
    second = guard.get(f"/q/{extinguisher}/history?page=2").get_data(as_text=True)
    assert second.count('<li><p class="title">') == 7 and 'rel="next"' not in second
    assert 'rel="prev"' in second


def test_teacher_sees_dates_and_results_not_notes(as_role, extinguisher):
    html = as_role("teacher").get(f"/q/{extinguisher}/history").get_data(as_text=True)
    assert "秘密备注" not in html and "指针在红区" not in html
    assert "1 fault(s)" in html or "fault" in html  # the result is there
    assert "/repairs/" in html  # the teacher reported that repair: a link to it


def test_anonymous_signs_in_first_and_bad_input(client, as_role, extinguisher):
    response = client.get(f"/q/{extinguisher}/history")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    guard = as_role("guard")
    assert guard.get("/q/ZZZ-ZZZZ/history", follow_redirects=True).status_code == 404
    for bad in ("0", "-1", "abc", "99999"):
        assert guard.get(f"/q/{extinguisher}/history?page={bad}").status_code == 303
    assert guard.get(f"/q/{extinguisher}/history?page=40").status_code == 303  # past the end
    lower = guard.get(f"/q/{extinguisher.lower()}/history")
    assert lower.status_code == 301


def test_checkpoint_page_links_to_the_history(client, as_role, extinguisher):
    link = f'href="/q/{extinguisher}/history"'
    assert link in as_role("teacher").get(f"/q/{extinguisher}").get_data(as_text=True)
    assert link not in client.get(f"/q/{extinguisher}").get_data(as_text=True)


def test_htmx_gets_the_list_alone(as_role, extinguisher):
    response = as_role("staff").get(f"/q/{extinguisher}/history?page=2",
                                    headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="history"' in html
