"""The fast check path (fast_checks.py): it answers the everyday POST /api/v1/checks exactly
as the app would, and hands everything else to the app with its body."""
import json
import logging
import uuid

import pytest

from inspect_app import fast_checks
from inspect_app.extensions import db
from inspect_app.models import ApiToken, Check, Repair, User, utcnow

from .conftest import ALL_OK, check_body, login


def served(app):
    return app.extensions["fast_checks"].served


def count_checks(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Check))


@pytest.fixture
def guard_headers(token):
    return token("guard")


@pytest.fixture
def extinguisher(school):
    return school["灭火器 01"]


def test_answers_exactly_as_the_app_does(app, client, extinguisher, guard_headers):
    fast = client.post("/api/v1/checks", headers=guard_headers,
                       json=check_body(extinguisher, note=" fine ", source="script"))
    assert served(app) == 1
    app.config["FAST_CHECK_PATH"] = False
    slow = client.post("/api/v1/checks", headers=guard_headers,
                       json=check_body(extinguisher, note=" fine ", source="script"))
    assert served(app) == 1 and count_checks(app) == 2
    assert fast.status == slow.status == "201 CREATED"

    def headers(response):
        return sorted((k, v) for k, v in response.headers if k != "Content-Length")

    assert headers(fast) == headers(slow)
    assert fast.headers["Content-Security-Policy"] and fast.headers["Vary"] == "HX-Request"
    assert "Set-Cookie" not in fast.headers
    first, second = fast.get_json(), slow.get_json()
    for answer in (first, second):
        del answer["id"], answer["received_at"]
    assert first == second
    assert first["note"] == "fine" and first["source"] == "script" and first["user"] == "guard"
    assert first["observed_at"] == "2026-11-20T00:30:00+00:00" and first["result"] == "ok"


def test_the_stored_check_reads_back_as_answered(app, client, extinguisher, guard_headers):
    data = check_body(extinguisher)
    answer = client.post("/api/v1/checks", headers=guard_headers, json=data)
    assert answer.status_code == 201 and served(app) == 1
    fetched = client.get(f"/api/v1/checks/{data['id']}", headers=guard_headers)
    assert fetched.status_code == 200 and fetched.json == answer.json


def test_replay_and_conflict_are_answered_by_the_app(app, client, extinguisher, guard_headers):
    data = check_body(extinguisher)
    first = client.post("/api/v1/checks", headers=guard_headers, json=data)
    again = client.post("/api/v1/checks", headers=guard_headers, json=data)
    assert again.status_code == 200 and again.json == first.json
    conflict = client.post("/api/v1/checks", headers=guard_headers, json=dict(data, note="x"))
    assert conflict.status_code == 409
    assert served(app) == 1 and count_checks(app) == 1


def test_faults_go_to_the_app_and_open_a_repair(app, client, extinguisher, guard_headers):
    data = check_body(extinguisher, items=dict(ALL_OK, gauge="fault"))
    answer = client.post("/api/v1/checks", headers=guard_headers, json=data)
    assert answer.status_code == 201 and answer.json["result"] == "fault"
    assert served(app) == 0
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Repair)) == 1


@pytest.mark.parametrize("overrides, field", [
    ({"items": {"in_place": "ok", "nonsense": "ok"}}, "items"),
    ({"items": {"in_place": "maybe"}}, "items"),
    ({"observed_at": "2026-11-20T08:30:00"}, "observed_at"),
    ({"id": "not-a-uuid"}, "id"),
    ({"note": 5}, "note"),
    ({"note": "x" * 70_000}, "note"),  # longer than the fast path reads
    ({"corrects": "not-a-uuid"}, "corrects"),
    ({"corrects": str(uuid.uuid4())}, "corrects"),
    ({"photos": {"gauge": str(uuid.uuid4())}}, "photos.gauge"),
    ({"source": ["offline"]}, "source"),
    ({"source": "x" * 17}, "source"),
])
def test_bad_fields_are_answered_by_the_app_in_the_users_language(
        app, client, extinguisher, guard_headers, overrides, field):
    headers = dict(guard_headers, **{"Accept-Language": "en"})
    answer = client.post("/api/v1/checks", headers=headers,
                         json=check_body(extinguisher, **overrides))
    assert answer.status_code == 422, answer.json
    assert field in answer.json["fields"] and answer.json["message"] == "Some fields are wrong."
    assert served(app) == 0 and count_checks(app) == 0


def test_unknown_code_and_other_bodies_are_answered_by_the_app(app, client, guard_headers):
    missing = client.post("/api/v1/checks", headers=guard_headers,
                          json=check_body("ZZZZZZZZ"))
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
    as_text = client.post("/api/v1/checks", headers=guard_headers, data="{}",
                          content_type="text/plain")
    assert as_text.status_code == 422 and "body" in as_text.json["fields"]
    broken = client.post("/api/v1/checks", headers=guard_headers, data="{not json",
                         content_type="application/json")
    assert broken.status_code == 422 and "body" in broken.json["fields"]
    assert served(app) == 0


def test_who_may_not_log_checks_is_answered_by_the_app(app, client, extinguisher, token):
    teacher = client.post("/api/v1/checks", headers=token("teacher"),
                          json=check_body(extinguisher))
    assert teacher.status_code == 403
    wrong = client.post("/api/v1/checks", headers={"Authorization": "Bearer ci_wrong"},
                        json=check_body(extinguisher))
    assert wrong.status_code == 401
    revoked, inactive = token("guard"), token("staff")
    with app.app_context():
        db.session.execute(db.update(ApiToken).where(ApiToken.user_id == db.select(User.id)
                           .where(User.username == "guard").scalar_subquery())
                           .values(revoked_at=utcnow()))
        db.session.execute(db.update(User).where(User.username == "staff").values(active=False))
        db.session.commit()
    for headers in (revoked, inactive):
        answer = client.post("/api/v1/checks", headers=headers, json=check_body(extinguisher))
        assert answer.status_code == 401
    assert served(app) == 0 and count_checks(app) == 0


def test_browser_sessions_go_to_the_app(app, extinguisher, as_role):
    guard = as_role("guard")
    csrf = guard.get("/api/v1/me").json["csrf_token"]
    without = guard.post("/api/v1/checks", json=check_body(extinguisher))
    assert without.status_code == 400 and without.json["error"] == "csrf_failed"
    answer = guard.post("/api/v1/checks", json=check_body(extinguisher),
                        headers={"X-CSRFToken": csrf})
    assert answer.status_code == 201 and served(app) == 0


def test_without_group_commit_the_app_answers(app, client, extinguisher, guard_headers):
    app.config["GROUP_COMMIT"] = False  # as on PostgreSQL
    answer = client.post("/api/v1/checks", headers=guard_headers, json=check_body(extinguisher))
    assert answer.status_code == 201 and served(app) == 0 and count_checks(app) == 1


def test_a_failure_on_the_fast_path_is_logged_and_the_app_answers(
        app, client, extinguisher, guard_headers, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(fast_checks, "check_values", broken)
    with caplog.at_level(logging.ERROR):
        answer = client.post("/api/v1/checks", headers=guard_headers,
                             json=check_body(extinguisher))
    assert answer.status_code == 201 and served(app) == 0 and count_checks(app) == 1
    assert "fast check path failed" in caplog.text and "disk on fire" in caplog.text


def test_bodies_werkzeug_would_not_read_are_answered_by_the_app(
        app, client, extinguisher, guard_headers):
    data = json.dumps(check_body(extinguisher)).encode()
    signed = client.post("/api/v1/checks", headers=guard_headers, data=data,
                         content_type="application/json",
                         environ_overrides={"CONTENT_LENGTH": f"+{len(data)}"})
    assert signed.status_code == 422 and "body" in signed.json["fields"]
    cut_short = client.post("/api/v1/checks", headers=guard_headers, data=data,
                            content_type="application/json",
                            environ_overrides={"CONTENT_LENGTH": str(len(data) + 10)})
    assert cut_short.status_code == 400
    deep = client.post("/api/v1/checks", headers=guard_headers, data="[" * 100_000,
                       content_type="application/json")
    assert deep.status_code == 422 and "body" in deep.json["fields"]
    app.config["MAX_CONTENT_LENGTH"] = 100
    too_big = client.post("/api/v1/checks", headers=guard_headers, data=data,
                          content_type="application/json")
    assert too_big.status_code == 413
    assert served(app) == 0 and count_checks(app) == 0


@pytest.mark.parametrize("fast", [True, False])
def test_a_token_wins_over_a_remember_me_cookie(app, extinguisher, guard_headers, fast):
    """A browser's remember-me cookie sent along with a token does not decide who it is."""
    app.config["FAST_CHECK_PATH"] = fast
    browser = app.test_client()
    assert login(browser, "teacher", remember=True).status_code == 303
    remember = browser.get_cookie("remember_token")
    script = app.test_client()
    script.set_cookie("remember_token", remember.value)
    answer = script.post("/api/v1/checks", headers=guard_headers, json=check_body(extinguisher))
    assert answer.status_code == 201 and answer.json["user"] == "guard"
    assert "Set-Cookie" not in answer.headers
    wrong = script.post("/api/v1/checks", headers={"Authorization": "Bearer ci_wrong"},
                        json=check_body(extinguisher))
    assert wrong.status_code == 401 and "Set-Cookie" not in wrong.headers
    assert served(app) == (1 if fast else 0) and count_checks(app) == 1
