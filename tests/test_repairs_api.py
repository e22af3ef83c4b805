"""Repairs driven as a script would: the JSON API, faults from checks, deadlines, the
close-unverified command. 403 = not allowed, 409 = out of order, 422 = malformed."""
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inspect_app.extensions import db
from inspect_app.models import Repair, RepairEvent, RepairPart, utcnow

from .conftest import matches_schema


@pytest.fixture
def api(client, token):
    """api(role, method, path, json) -> response, with that role's bearer token."""
    headers = {role: {**token(role), "Accept-Language": "en"}
               for role in ("admin", "guard", "staff", "teacher")}

    def call(role, path, json=None):
        if json is None:
            return client.get(path, headers=headers[role])
        return client.post(path, json=json, headers=headers[role])
    return call


def valid(response, schema_name="Repair"):
    return matches_schema(response.json, schema_name)


def report(api, code, role="teacher", **extra):
    body = {"id": str(uuid.uuid4()), "checkpoint": code, "severity": "minor",
            "description": "灯管不亮", **extra}
    response = api(role, "/api/v1/repairs", body)
    assert response.status_code == 201, response.json
    return valid(response)


def step(api, role, number, action, status=200, **fields):
    response = api(role, f"/api/v1/repairs/{number}/events", {"action": action, **fields})
    assert response.status_code == status, (action, role, response.json)
    return valid(response, "Repair" if status == 200 else "Error")


def test_full_loop_with_every_illegal_step_refused(app, api, school):
    repair = report(api, school["203教室"], category="lighting_electrical")
    n = repair["number"]
    assert repair["status"] == "reported" and repair["reporter"] == "teacher"
    assert repair["due_at"] is None and repair["verified"] is None
    # The teacher may not triage, the staff member may not start before being assigned.
    assert "manager" in step(api, "teacher", n, "accept", 403)["message"]
    step(api, "staff", n, "start", 403)
    assert step(api, "teacher", n, "sign_off", 409)["error"] == "out_of_order"
    step(api, "admin", n, "done", 409, note="x")

    accepted = step(api, "admin", n, "accept")
    assert accepted["status"] == "accepted" and accepted["accepted_at"]
    step(api, "admin", n, "accept", 409)
    step(api, "admin", n, "assign", 422)  # nobody named
    step(api, "admin", n, "assign", 422, assignee="teacher")  # not repair staff
    assigned = step(api, "admin", n, "assign", assignee="staff")
    assert assigned["status"] == "assigned" and assigned["assignee"] == "staff"
    step(api, "guard", n, "start", 403)
    assert step(api, "staff", n, "start")["status"] == "in_progress"
    step(api, "staff", n, "done", 422)  # what was done is required
    step(api, "staff", n, "done", 422, note="换灯管", parts=[{"name": "", "quantity": 2}])
    step(api, "staff", n, "done", 422, note="换灯管", parts=[{"name": "灯管", "quantity": -1}])
    step(api, "staff", n, "done", 422, note="换灯管", cost="lots")
    done = step(api, "staff", n, "done", note="换灯管",
                parts=[{"name": "灯管", "quantity": 2, "unit": "根"}, {"name": "启辉器"}],
                cost="12.50")
    assert done["status"] == "done" and done["cost"] == "12.50"
    assert done["parts"] == [{"name": "灯管", "quantity": 2.0, "unit": "根"},
                             {"name": "启辉器", "quantity": 1.0, "unit": ""}]
    # Only the reporter checks the work.
    step(api, "staff", n, "sign_off", 403, rating=5)
    step(api, "admin", n, "sign_off", 403, rating=5)
    step(api, "teacher", n, "reject", 422)  # a reason is required
    rejected = step(api, "teacher", n, "reject", note="还是闪")
    assert rejected["status"] == "in_progress" and rejected["reopen_count"] == 1
    assert rejected["done_at"] is None
    again = step(api, "staff", n, "done", note="换了镇流器", parts=[{"name": "镇流器", "quantity": 1}],
                 cost=8)
    assert again["cost"] == "20.50" and len(again["parts"]) == 3
    step(api, "teacher", n, "sign_off", 422, rating=9)
    closed = step(api, "teacher", n, "sign_off", rating=4, note="好了，谢谢")
    assert closed["status"] == "closed" and closed["verified"] is True
    assert closed["rating"] == 4 and closed["rating_comment"] == "好了，谢谢" and closed["closed_at"]
    step(api, "teacher", n, "rate", 409, rating=5)  # already rated
    step(api, "staff", n, "start", 409)
    step(api, "teacher", n, "reject", 409, note="x")
    actions = [e["action"] for e in closed["events"]]
    assert actions == ["reported", "accept", "assign", "start", "done", "reject", "done",
                       "sign_off"]
    assert closed["events"][5]["note"] == "还是闪" and closed["events"][5]["actor"] == "teacher"
    with app.app_context():
        parts = db.session.execute(db.select(RepairPart.name, db.func.sum(RepairPart.quantity))
                                   .group_by(RepairPart.name).order_by(RepairPart.name)).all()
        assert dict(parts) == {"启辉器": 1.0, "灯管": 2.0, "镇流器": 1.0}


def test_creation_is_idempotent_by_client_id(app, api, school):
    body = {"id": str(uuid.uuid4()), "checkpoint": school["单杠"], "severity": "hazard",
            "description": "横杠开裂"}
    first = api("teacher", "/api/v1/repairs", body)
    assert first.status_code == 201 and first.json["category"] == "sports"
    again = api("teacher", "/api/v1/repairs", body)
    assert again.status_code == 200 and again.json["number"] == first.json["number"]
    assert api("teacher", "/api/v1/repairs", dict(body, description="别的")).status_code == 409
    by_uid = api("guard", f"/api/v1/repairs/{body['id']}")
    assert by_uid.status_code == 200 and by_uid.json["number"] == first.json["number"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Repair.id))) == 1


@pytest.mark.parametrize("change, field", [
    ({"id": "nope"}, "id"), ({"severity": "bad"}, "severity"), ({"description": ""}, "description"),
    ({"description": "x" * 501}, "description"), ({"category": "spaceship"}, "category"),
    ({"photos": ["not-a-uuid"]}, "photos"), ({"photos": "x"}, "photos"), ({"checkpoint": ""}, "checkpoint"),
    ({"description": 5}, "description"),
])
def test_bad_reports_name_the_field(api, school, change, field):
    body = {"id": str(uuid.uuid4()), "checkpoint": school["203教室"], "severity": "minor",
            "description": "灯不亮", **change}
    response = api("teacher", "/api/v1/repairs", body)
    assert response.status_code == 422 and field in valid(response, "Error")["fields"]


def test_unknown_checkpoint_and_repair(api):
    body = {"id": str(uuid.uuid4()), "checkpoint": "ZZZZZZZ", "severity": "minor",
            "description": "x"}
    assert api("teacher", "/api/v1/repairs", body).status_code == 404
    assert api("admin", "/api/v1/repairs/999").status_code == 404
    assert api("admin", "/api/v1/repairs/999/events", {"action": "accept"}).status_code == 404
    assert api("admin", "/api/v1/repairs/abc").status_code == 404


def test_someone_elses_photo_cannot_be_attached(client, api, token, school):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (10, 10), "green").save(buf, "PNG")
    uploaded = client.post("/api/v1/photos", data={"file": (io.BytesIO(buf.getvalue()), "a.png")},
                           headers=token("guard"))
    assert uploaded.status_code == 201
    body = {"id": str(uuid.uuid4()), "checkpoint": school["203教室"], "severity": "minor",
            "description": "x", "photos": [uploaded.json["id"]]}
    assert api("teacher", "/api/v1/repairs", body).status_code == 422
    assert api("guard", "/api/v1/repairs", body).status_code == 201


def test_me_too_follows_and_counts(api, school):
    n = report(api, school["203教室"], role="guard")["number"]
    assert api("teacher", f"/api/v1/repairs/{n}").status_code == 403
    followed = step(api, "teacher", n, "me_too")
    assert followed["me_too_count"] == 1 and followed["followers"] == ["teacher"]
    assert "already" in step(api, "teacher", n, "me_too", 409)["message"]
    step(api, "guard", n, "me_too", 409)  # the reporter
    assert api("teacher", f"/api/v1/repairs/{n}").status_code == 200
    step(api, "teacher", n, "sign_off", 403)  # following is not reporting
    step(api, "teacher", n, "comment", note="下午有课，请尽快")


def test_decline_and_merge_need_a_reason(api, school):
    a = report(api, school["203教室"])["number"]
    b = report(api, school["203教室"], role="guard", description="灯管坏了")["number"]
    step(api, "staff", a, "decline", 403, note="x")
    step(api, "admin", a, "decline", 422)
    step(api, "admin", b, "merge", 422, note="重复")  # into what?
    step(api, "admin", b, "merge", 422, note="重复", into=b)
    merged = step(api, "admin", b, "merge", note="重复", into=a)
    assert merged["status"] == "merged" and merged["merged_into"] == a
    assert merged["verified"] is False and merged["closed_at"]
    target = valid(api("admin", f"/api/v1/repairs/{a}"))
    assert target["me_too_count"] == 1 and target["followers"] == ["guard"]
    assert target["events"][-1]["action"] == "merged_in"
    declined = step(api, "admin", a, "decline", note="不属于后勤维修范围")
    assert declined["status"] == "declined" and declined["verified"] is False
    step(api, "admin", a, "accept", 409)
    step(api, "admin", b, "merge", 409, note="again", into=a)


def test_replayed_step_is_stored_once(app, api, school):
    n = report(api, school["203教室"])["number"]
    step_id = str(uuid.uuid4())
    step(api, "admin", n, "accept", id=step_id)
    again = step(api, "admin", n, "accept", id=step_id)  # a replay, not an out-of-order accept
    assert [e["action"] for e in again["events"]] == ["reported", "accept"]
    step(api, "admin", n, "assign", 409, id=step_id, assignee="staff")


def _local(iso, app):
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(app.config["TIMEZONE"]))


def test_deadline_follows_severity_in_the_school_time_zone(app, api, school):
    hazard = report(api, school["单杠"], severity="hazard")
    minor = report(api, school["203教室"])
    today = datetime.now(ZoneInfo(app.config["TIMEZONE"])).date()
    due = _local(step(api, "admin", hazard["number"], "accept", assignee="staff")["due_at"], app)
    assert (due.date(), due.hour, due.minute) == (today, 23, 59)
    due = _local(step(api, "admin", minor["number"], "assign", assignee="staff")["due_at"], app)
    assert due.date() == today + timedelta(days=3)
    other = report(api, school["203教室"], description="窗户坏了")
    due = _local(step(api, "admin", other["number"], "accept", due="2030-01-02")["due_at"], app)
    assert (due.date(), due.hour) == (datetime(2030, 1, 2).date(), 23)
    step(api, "admin", other["number"], "assign", 422, assignee="staff", due="someday")


def test_faults_found_on_checks_become_repairs_once(app, api, school):
    code = school["灭火器 01"]

    def check(items, note=""):
        body = {"id": str(uuid.uuid4()), "checkpoint": code, "observed_at": utcnow().isoformat(),
                "items": items, "item_notes": {"gauge": note} if note else {}}
        assert api("guard", "/api/v1/checks", body).status_code == 201

    check({"gauge": "fault", "pin_seal": "ok"}, "指针在红区")
    check({"gauge": "fault", "pin_seal": "fault"})
    check({"gauge": "ok"})
    with app.app_context():
        repairs = db.session.scalars(db.select(Repair).order_by(Repair.id)).all()
        assert [(r.item_key, r.severity, r.category, r.source, r.reporter.username)
                for r in repairs] == [("gauge", "major", "fire_safety", "check", "guard"),
                                      ("pin_seal", "major", "fire_safety", "check", "guard")]
        assert repairs[0].description == "指针在红区" and repairs[0].first_check_id
        assert [e.action for e in repairs[0].events] == ["reported", "seen_again"]
        number = repairs[0].id
    # Once closed, the same fault seen again is a new repair.
    step(api, "admin", number, "decline", note="已更换灭火器")
    check({"gauge": "fault"})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Repair.id))
                                 .where(Repair.item_key == "gauge")) == 2


def test_done_but_never_checked_closes_as_not_verified(app, api, runner, school):
    n = report(api, school["203教室"])["number"]
    step(api, "admin", n, "assign", assignee="staff")
    step(api, "staff", n, "done", note="修好了")
    result = runner.invoke(args=["repairs", "close-unverified"])
    assert result.exit_code == 0 and "closed 0" in result.output
    with app.app_context():
        db.session.get(Repair, n).done_at = utcnow() - timedelta(days=8)
        db.session.commit()
    result = runner.invoke(args=["repairs", "close-unverified"])
    assert "closed 1" in result.output
    closed = valid(api("teacher", f"/api/v1/repairs/{n}"))
    assert closed["status"] == "closed" and closed["verified"] is False and closed["rating"] is None
    assert closed["events"][-1]["action"] == "closed_unverified"
    step(api, "teacher", n, "sign_off", 409, rating=5)
    # Applied lazily too: a page load closes what is overdue for sign-off.
    m = report(api, school["203教室"], description="门把手松了")["number"]
    step(api, "admin", m, "assign", assignee="staff")
    step(api, "staff", m, "done", note="紧固")
    with app.app_context():
        db.session.get(Repair, m).done_at = utcnow() - timedelta(days=7, minutes=1)
        db.session.commit()
    assert valid(api("staff", f"/api/v1/repairs/{m}"))["verified"] is False


def test_timeline_is_append_only(app, api, school):
    from inspect_app.models import ImmutableRecordError

    report(api, school["203教室"])
    with app.app_context():
        event = db.session.scalars(db.select(RepairEvent)).first()
        event.note = "changed"
        with pytest.raises(ImmutableRecordError):
            db.session.commit()
