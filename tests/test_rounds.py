"""Rounds: the manager defines one, a guard starts it, scans points in any order, finishes;
the run records start, end, duration, the points visited (in order or not) and missed."""
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from inspect_app import models as models_pkg
from inspect_app.extensions import db
from inspect_app.importer import import_checkpoints
from inspect_app.models import Checkpoint, Round, RoundRun, RoundVisit
from inspect_app.operations import add_token

from .conftest import csrf_token

SH = ZoneInfo("Asia/Shanghai")
POINTS = [("东侧围墙", "南校区/围墙"), ("西侧围墙", "南校区/围墙"), ("自行车棚", "南校区/自行车棚"),
          ("南门", "南校区/南门")]


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=SH).astimezone(timezone.utc)


@pytest.fixture
def clock(monkeypatch):
    state = {}
    monkeypatch.setattr(models_pkg, "utcnow", lambda: state["now"])

    def set_to(text):
        state["now"] = at(text)
        return state["now"]
    set_to("2026-11-20 17:00")
    return set_to


@pytest.fixture
def patrol(app, clock):
    rows = [{"name": n, "kind": "patrol_point", "location": p} for n, p in POINTS]
    with app.app_context():
        assert import_checkpoints(rows).ok
        db.session.commit()
        return {cp.name: cp.code for cp in db.session.scalars(db.select(Checkpoint))}


def new_round(admin, codes, **extra):
    data = {"csrf_token": csrf_token(admin, "/admin/rounds/new"), "name": "南校区晚间巡查",
            "window_start": "17:30", "window_end": "19:00", "weekdays": [str(d) for d in range(7)],
            "runs_on_closure_days": "1",
            "stops": "\n".join(f"{codes[n]}  {n}" for n, _ in POINTS)}
    data.update(extra)
    return admin.post("/admin/rounds/new", data=data)


def post_check(client, headers, code, when):
    body = {"id": str(uuid.uuid4()), "checkpoint": code, "observed_at": at(when).isoformat(),
            "items": {"lighting": "ok"}}
    response = client.post("/api/v1/checks", json=body, headers=headers)
    assert response.status_code == 201, response.json


def token(app, username):
    with app.app_context():
        from inspect_app.models import User
        user = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
        value = add_token(user)
        db.session.commit()
        return {"Authorization": f"Bearer {value}"}


def test_manager_defines_a_round_and_bad_input_is_refused(app, as_role, patrol):
    admin = as_role("admin")
    bad = new_round(admin, patrol, name="", window_end="", weekdays=[], stops="ZZZZZZZ")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "ZZZZZZZ" in html and html.count('class="error"') >= 4
    assert new_round(admin, patrol).status_code == 303
    with app.app_context():
        rnd = db.session.execute(db.select(Round)).scalar_one()
        assert [s.checkpoint.name for s in rnd.stops] == [n for n, _ in POINTS]
        assert rnd.weekdays == list(range(7)) and rnd.window_start.hour == 17
    page = admin.get(f"/admin/rounds/{rnd.id}/edit").get_data(as_text=True)
    assert patrol["自行车棚"] in page


def test_guard_walks_a_round_out_of_order_and_misses_one(app, as_role, client, patrol, clock):
    admin, guard = as_role("admin"), as_role("guard")
    assert new_round(admin, patrol).status_code == 303
    with app.app_context():
        round_id = db.session.execute(db.select(Round.id)).scalar_one()
    clock("2026-11-20 17:35")
    token_path = f"/rounds/{round_id}"
    started = guard.post(f"/rounds/{round_id}/start",
                         data={"csrf_token": csrf_token(guard, token_path)})
    assert started.status_code == 303
    page = guard.get(token_path).get_data(as_text=True)
    assert "0 / 4" in page and "东侧围墙" in page and "data-scanner" in page
    headers = token(app, "guard")
    post_check(client, headers, patrol["自行车棚"], "2026-11-20 17:40")  # skips two: out of order
    post_check(client, headers, patrol["东侧围墙"], "2026-11-20 17:45")
    post_check(client, headers, patrol["南门"], "2026-11-20 19:05")  # after the window
    post_check(client, headers, patrol["西侧围墙"], "2026-11-20 17:20")  # before the run: not counted
    clock("2026-11-20 19:10")
    page = guard.get(token_path).get_data(as_text=True)
    assert "3 / 4" in page and "西侧围墙" in page
    with app.app_context():
        run_id = db.session.execute(db.select(RoundRun.id)).scalar_one()
    staff = as_role("staff")
    refused = staff.post(f"/runs/{run_id}/finish", data={"csrf_token": csrf_token(staff)})
    assert refused.status_code == 403
    done = guard.post(f"/runs/{run_id}/finish", data={"csrf_token": csrf_token(guard)})
    assert done.status_code == 303 and done.headers["Location"] == f"/runs/{run_id}"
    with app.app_context():
        run = db.session.get(RoundRun, run_id)
        assert run.started_at == at("2026-11-20 17:35") and run.finished_at == at("2026-11-20 19:10")
        # in order = the first point not yet visited; 南门 comes while 西侧围墙 is still open
        assert (run.visited_count, run.missed_count, run.out_of_order_count) == (3, 1, 2)
        visits = db.session.scalars(db.select(RoundVisit).order_by(RoundVisit.sequence)).all()
        assert [(v.checkpoint.name, v.in_order, v.in_window) for v in visits] == [
            ("自行车棚", False, True), ("东侧围墙", True, True), ("南门", False, False)]
    api = client.get(f"/api/v1/runs/{run_id}", headers=headers).json
    assert api["duration_seconds"] == 95 * 60
    assert [s["state"] for s in api["stops"]] == ["visited", "missed", "visited", "visited"]
    runs = client.get(f"/api/v1/rounds/{round_id}/runs", headers=headers).json["runs"]
    assert [(r["visited"], r["missed"]) for r in runs] == [(3, 1)]
    again = guard.post(f"/runs/{run_id}/finish", data={"csrf_token": csrf_token(guard)})
    assert again.status_code == 303  # finishing twice changes nothing
    with app.app_context():
        assert db.session.get(RoundRun, run_id).finished_at == at("2026-11-20 19:10")


def test_api_start_finish_and_refusals(app, as_role, client, patrol, clock):
    admin = as_role("admin")
    assert new_round(admin, patrol).status_code == 303
    assert new_round(admin, patrol, name="第二条", stops=patrol["南门"]).status_code == 303
    with app.app_context():
        first, second = db.session.scalars(db.select(Round.id).order_by(Round.id)).all()
    guard, staff, teacher = token(app, "guard"), token(app, "staff"), token(app, "teacher")
    listed = client.get("/api/v1/rounds", headers=guard).json["rounds"]
    assert {r["name"] for r in listed} == {"南校区晚间巡查", "第二条"}
    detail = client.get(f"/api/v1/rounds/{first}", headers=guard).json
    assert [s["name"] for s in detail["stops"]] == [n for n, _ in POINTS]
    started = client.post(f"/api/v1/rounds/{first}/runs", headers=guard, json={})
    assert started.status_code == 201 and started.json["run_date"] == "2026-11-20"
    assert client.post(f"/api/v1/rounds/{first}/runs", headers=guard, json={}).status_code == 200
    assert client.post(f"/api/v1/rounds/{second}/runs", headers=guard, json={}).status_code == 409
    assert client.post(f"/api/v1/rounds/{first}/runs", headers=teacher, json={}).status_code == 403
    assert client.get("/api/v1/rounds/999", headers=guard).status_code == 404
    assert client.get(f"/api/v1/rounds/{first}/runs?limit=0", headers=guard).status_code == 422
    run_id = started.json["id"]
    assert client.post(f"/api/v1/runs/{run_id}/finish", headers=staff, json={}).status_code == 403
    finished = client.post(f"/api/v1/runs/{run_id}/finish", headers=guard, json={})
    assert finished.status_code == 200 and finished.json["missed"] == 4
    assert client.post("/api/v1/runs/999/finish", headers=guard, json={}).status_code == 404


def test_assigned_rounds_and_whose_work(app, as_role, patrol, clock):
    from inspect_app.models import User

    admin = as_role("admin")
    with app.app_context():
        staff_id = db.session.execute(db.select(User.id).where(User.username == "staff")).scalar_one()
    assert new_round(admin, patrol, guards=[str(staff_id)]).status_code == 303
    staff = as_role("staff")
    html = staff.get("/work").get_data(as_text=True)
    assert "南校区晚间巡查" in html and "自行车棚" in html  # the round assigned to staff
    guard = as_role("guard")
    with app.app_context():
        round_id = db.session.execute(db.select(Round.id)).scalar_one()
    start = guard.post(f"/rounds/{round_id}/start", data={"csrf_token": csrf_token(guard)})
    assert start.status_code == 303
    refused = guard.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert "这条巡查路线已指派给其他保安" in refused
    listing = guard.get("/rounds").get_data(as_text=True)
    assert "南校区晚间巡查" in listing


def test_work_states_have_their_own_chinese_words(app, as_role, client, patrol, clock):
    """A checked point says 已完成, a point to do says 待检: not the repair words 维修完成
    (a repair done) and 整改期限 (a repair's deadline), which share the English."""
    post_check(client, token(app, "guard"), patrol["南门"], "2026-11-20 16:00")
    guard = as_role("guard")
    for lang, done, due, wrong in (("zh_Hans", "已完成", "待检", ("维修完成", "整改期限")),
                                   ("zh_Hant", "已完成", "待檢", ("維修完成", "整改期限")),
                                   ("en", ">Done<", ">Due<", ())):
        guard.set_cookie("lang", lang)
        page = guard.get("/work").get_data(as_text=True)
        assert done in page and due in page, lang
        assert not any(word in page for word in wrong), lang
