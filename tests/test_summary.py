"""The weekly summary's figures against a hand count: a school built from CSV, checks and
repairs posted through the API at known times, the clock frozen; then every figure of
/api/v1/summary/weekly is compared with what we counted ourselves."""
import csv
import io
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import inspect_app.models as models_module
from inspect_app.extensions import db
from inspect_app.models import Checkpoint, Round, RoundRun, User
from inspect_app.operations import add_token

from .conftest import csrf_token
from .test_api import validate

TZ = ZoneInfo("Asia/Shanghai")
CSV = """name,kind,location,schedule,responsible
南门,gate,南校区/南门,,guard
东侧围墙,patrol_point,南校区/围墙,,guard
食品留样柜,food_sample,南校区/食堂,,staff
单杠,sports_apparatus,北校区/操场,,
配电间,electrical_room,北校区/配电间,,staff
灭火器 01,fire_extinguisher,北校区/知行楼/1F,,staff
灭火器 02,fire_extinguisher,北校区/知行楼/1F,,staff
"""
ITEMS = {"gate": "gate_intact", "patrol_point": "lighting", "food_sample": "kept_24h",
         "sports_apparatus": "firm", "electrical_room": "panels",
         "fire_extinguisher": "gauge"}


def local(day, hour, minute=0):
    """2026-11-<day> hour:minute in the school's zone."""
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock(local(25, 10))
    monkeypatch.setattr(models_module, "utcnow", c)  # every module reads the clock through it
    return c


@pytest.fixture
def tokens(app):
    out = {}
    with app.app_context():
        for user in db.session.scalars(db.select(User)):
            out[user.username] = {"Authorization": f"Bearer {add_token(user, 'test')}"}
        db.session.commit()
    return out


@pytest.fixture
def week_school(app, client, runner, clock, tokens, tmp_path):
    """The school of the module docstring, with the week 2026-W47 (Nov 16-22) played out."""
    path = tmp_path / "school.csv"
    path.write_text(CSV, encoding="utf-8")
    result = runner.invoke(args=["checkpoints", "import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.execute(db.update(Checkpoint).values(created_at=local(1, 0) - timedelta(days=61)))
        db.session.commit()
        cps = {cp.name: (cp.code, cp.kind.key) for cp in db.session.scalars(db.select(Checkpoint))}

    def check(name, when, who, fault=None):
        code, kind = cps[name]
        clock.now = when + timedelta(minutes=1)
        items = {ITEMS[kind]: "fault" if fault else "ok"}
        body = {"id": str(uuid.uuid4()), "checkpoint": code, "observed_at": when.isoformat(),
                "items": items}
        if fault:
            body["item_notes"] = {ITEMS[kind]: fault}
        response = client.post("/api/v1/checks", json=body, headers=tokens[who])
        assert response.status_code == 201, response.json

    for day in (16, 17, 18, 19, 20):
        check("南门", local(day, 18), "guard")
    check("南门", local(22, 9), "staff")  # Saturday 21 missed
    check("东侧围墙", local(16, 19), "guard")
    check("东侧围墙", local(17, 19), "guard", fault="路灯不亮")  # opens a repair by itself
    check("东侧围墙", local(18, 19), "guard")
    check("东侧围墙", local(21, 19), "guard")  # Thursday, Friday and Sunday missed
    for day in (16, 17, 19):
        check("食品留样柜", local(day, 12), "staff")  # Wednesday and Friday missed
    check("食品留样柜", local(21, 12), "staff")  # a Saturday: not planned, still a check
    check("单杠", local(18, 10), "staff")  # weekly:mon, done on Wednesday: late
    check("配电间", local(19, 10), "staff")
    check("灭火器 01", local(18, 11), "staff")  # monthly: November, one of two
    check("南门", local(23, 9), "guard")  # next week: not in W47

    def repair(name, when, who, severity, category, description):
        clock.now = when
        response = client.post("/api/v1/repairs", headers=tokens[who], json={
            "id": str(uuid.uuid4()), "checkpoint": cps[name][0], "severity": severity,
            "category": category, "description": description})
        assert response.status_code == 201, response.json
        return response.json["id"]

    def step(number, when, who, **body):
        clock.now = when
        response = client.post(f"/api/v1/repairs/{number}/events", headers=tokens[who], json=body)
        assert response.status_code in (200, 201), response.json

    r1 = repair("单杠", local(10, 9), "teacher", "minor", "sports", "单杠松动")
    step(r1, local(10, 10), "admin", action="accept")  # due Nov 13: overdue by the week's end
    r2 = repair("南门", local(17, 10), "guard", "hazard", "doors_windows", "大门铰链断裂")
    step(r2, local(17, 11), "admin", action="accept", assignee="staff")
    step(r2, local(17, 15), "staff", action="done", note="换铰链",
         parts=[{"name": "灯管", "quantity": 2, "unit": "根"}])
    step(r2, local(18, 10), "guard", action="sign_off", rating=5)  # 24 h
    r3 = repair("配电间", local(18, 9), "staff", "major", "lighting_electrical", "配电柜异响")
    step(r3, local(18, 9, 30), "admin", action="accept", assignee="staff")
    step(r3, local(19, 9), "staff", action="done", note="紧固",
         parts=[{"name": "灯管", "quantity": 3, "unit": "根"},
                {"name": "水龙头", "quantity": 1, "unit": "个"}])
    step(r3, local(20, 9), "staff", action="sign_off", rating=3)  # 48 h
    repair("东侧围墙", local(19, 8), "guard", "hazard", "other", "围墙砖块松动")  # stays open
    r5 = repair("食品留样柜", local(20, 12), "teacher", "minor", "other", "冰箱门关不严")
    step(r5, local(21, 9), "admin", action="decline", note="不属于后勤")
    repair("配电间", local(23, 9), "staff", "minor", "other", "下周的")  # next week
    with app.app_context():
        guard = db.session.scalar(db.select(User).where(User.username == "guard"))
        rnd = Round(name="晚间巡查", window_start=local(1, 17, 30).timetz().replace(tzinfo=None),
                    window_end=local(1, 19).timetz().replace(tzinfo=None))
        db.session.add(rnd)
        db.session.flush()
        for day, start, end, missed in ((17, (17, 35), (18, 20), 0), (18, (18, 30), (19, 30), 1),
                                        (19, (17, 40), None, None)):
            db.session.add(RoundRun(round_id=rnd.id, user_id=guard.id,
                                    run_date=local(day, 0).date(), started_at=local(day, *start),
                                    finished_at=local(day, *end) if end else None,
                                    stop_count=2, missed_count=missed))
        db.session.commit()
    clock.now = local(25, 10)
    return cps


def counts(planned, done, late, missed, open_=0):
    decided = planned - open_
    return {"planned": planned, "done": done, "late": late, "missed": missed, "open": open_,
            "completion_rate": round((done + late) / decided, 4) if decided else None,
            "on_time_rate": round(done / decided, 4) if decided else None}


def test_weekly_json_matches_the_hand_count(client, week_school, tokens):
    response = client.get("/api/v1/summary/weekly?week=2026-W47", headers=tokens["admin"])
    assert response.status_code == 200, response.json
    validate(response, "WeeklySummary")
    s = response.json
    assert (s["week"], s["first_date"], s["last_date"], s["complete"]) == \
        ("2026-W47", "2026-11-16", "2026-11-22", True)
    c = s["checks"]
    assert c["overall"] == counts(21, 14, 1, 6)
    assert c["by_frequency"] == {"daily": counts(19, 13, 0, 6), "weekly": counts(2, 1, 1, 0)}
    by_kind = {k["kind"]: {n: k[n] for n in ("planned", "done", "late", "missed")}
               for k in c["by_kind"]}
    assert by_kind == {
        "gate": dict(planned=7, done=6, late=0, missed=1),
        "patrol_point": dict(planned=7, done=4, late=0, missed=3),
        "food_sample": dict(planned=5, done=3, late=0, missed=2),
        "sports_apparatus": dict(planned=1, done=0, late=1, missed=0),
        "electrical_room": dict(planned=1, done=1, late=0, missed=0)}
    by_area = {(a["campus"], a["building"]): a["planned"] for a in c["by_area"]}
    assert by_area == {("南校区", "南门"): 7, ("南校区", "围墙"): 7, ("南校区", "食堂"): 5,
                       ("北校区", "操场"): 1, ("北校区", "配电间"): 1}
    people = {p["user"]: {k: p[k] for k in ("planned", "missed", "open", "done", "late")}
              for p in c["by_person"]}
    assert people == {"guard": dict(planned=14, missed=4, open=0, done=9, late=0),
                      "staff": dict(planned=6, missed=2, open=0, done=5, late=1),
                      None: dict(planned=1, missed=0, open=0, done=0, late=0)}
    assert c["checks_logged"] == 17  # the 16 of the plan's checkpoints and one extinguisher
    assert sorted((m["name"], m["period"], m["responsible"]) for m in s["missed"]) == [
        ("东侧围墙", "2026-11-19", "guard"), ("东侧围墙", "2026-11-20", "guard"),
        ("东侧围墙", "2026-11-22", "guard"), ("南门", "2026-11-21", "guard"),
        ("食品留样柜", "2026-11-18", "staff"), ("食品留样柜", "2026-11-20", "staff")]
    [month] = s["monthly"]
    assert month == dict(month="2026-11", first_date="2026-11-01", last_date="2026-11-30",
                         final=False, days_left=6, **counts(2, 1, 0, 0, 1))
    assert s["rounds"] == {"runs": 3, "finished": 2, "completed_in_window": 1,
                           "points_missed": 1, "median_minutes": 52.5}
    assert s["faults"]["findings"] == 1 and s["faults"]["checks_with_faults"] == 1
    assert [(f["name"], f["item"], f["note"]) for f in s["faults"]["items"]] == \
        [("东侧围墙", "lighting", "路灯不亮")]
    assert sorted(h["description"] for h in s["faults"]["hazards"]) == ["围墙砖块松动", "大门铰链断裂"]
    r = s["repairs"]
    assert {k: r[k] for k in ("opened", "closed", "declined", "merged", "median_hours_to_close",
                              "open_at_end", "overdue_at_end", "hazards_open_at_end")} == {
        "opened": 5, "closed": 2, "declined": 1, "merged": 0, "median_hours_to_close": 36.0,
        "open_at_end": 3, "overdue_at_end": 1, "hazards_open_at_end": 1}
    assert r["open"][0]["severity"] == "hazard"  # hazards on top
    assert [o["description"] for o in r["open"]][1] == "单杠松动"  # then the overdue one
    assert r["open"][1]["overdue"] and r["open"][1]["age_days"] == 12.6  # Nov 10 09:00 -> 23 00:00
    assert s["satisfaction"] == {"ratings": 2, "average": 4.0, "good": 1, "good_share": 0.5,
                                 "target": 0.9, "met": False}
    trend = s["trend"]
    assert [w["week"] for w in trend] == [f"2026-W{n}" for n in range(40, 48)]
    assert trend[-1]["open_repairs"] == 3 and trend[-2]["open_repairs"] == 1
    assert trend[-1]["completion_rate"] == round(15 / 21, 4)
    assert trend[-2]["planned"] == 21 and trend[-2]["completion_rate"] == 0.0


def test_default_week_and_the_running_week(client, week_school, tokens):
    default = client.get("/api/v1/summary/weekly", headers=tokens["admin"]).json
    assert default["week"] == "2026-W47"  # the last complete week on Wednesday Nov 25
    running = client.get("/api/v1/summary/weekly?week=2026-W48", headers=tokens["admin"]).json
    assert running["complete"] is False
    # Wednesday 10:00: Monday and Tuesday are over; the rest of the week is still open.
    assert running["checks"]["overall"] == counts(21, 1, 0, 5, 15)


@pytest.mark.parametrize("week", ["2026-47", "2026-W54", "week", "2026-W60", "2027-W10"])
def test_bad_or_future_week_is_refused(client, week_school, tokens, week):
    api = client.get(f"/api/v1/summary/weekly?week={week}", headers=tokens["admin"])
    assert api.status_code == 422 and "week" in api.json["fields"]
    validate(api, "Error")


def test_api_access(client, week_school, tokens, app):
    assert client.get("/api/v1/summary/weekly").status_code == 401
    assert client.get("/api/v1/summary/weekly", headers=tokens["guard"]).status_code == 403
    assert client.get("/api/v1/summary/term", headers=tokens["staff"]).status_code == 403
    assert client.get("/api/v1/summary/weekly?share=nope").status_code == 401


def test_csv_rows_behind_the_figures(as_role, week_school):
    admin = as_role("admin")
    response = admin.get("/summary/weekly.csv?week=2026-W47")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    week = [r for r in rows if r["section"] == "week"]
    assert len(week) == 21 and len(rows) == 23  # and the two extinguishers' November
    outcomes = {}
    for r in week:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    assert outcomes == {"done": 14, "late": 1, "missed": 6}
    late = next(r for r in week if r["outcome"] == "late")
    assert (late["name"], late["period"], late["checked_by"], late["responsible"],
            late["checked_at"]) == ("单杠", "2026-W47", "staff", "", "2026-11-18T10:00+08:00")
    assert list(rows[0]) == ["code", "name", "kind", "location", "frequency", "period",
                             "outcome", "checked_at", "checked_by", "responsible", "section"]
    assert admin.get("/summary/weekly.csv?week=nope").status_code == 422
    assert as_role("guard").get("/summary/weekly.csv").status_code == 403


def test_weekly_page_on_screen(as_role, week_school):
    admin = as_role("admin")
    page = admin.get("/summary/weekly?week=2026-W47")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2026-W47" in html and "单杠" not in html.split("Missed checks")[0][-10:]
    assert "<svg" in html and "<title" in html and "style=" not in html
    assert "围墙砖块松动" in html and "食品留样柜" in html
    assert 'href="/summary/weekly?week=2026-W46"' in html
    assert "week=2026-W48" in html  # the running week is reachable
    bad = admin.get("/summary/weekly?week=2026-W99")
    assert bad.status_code == 422 and "2026-W99" in bad.get_data(as_text=True)
    fragment = admin.get("/summary/weekly?week=2026-W46", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def test_share_link_lifecycle(app, as_role, client, week_school):
    admin = as_role("admin")
    token = csrf_token(admin, "/summary/links")
    assert admin.post("/summary/links", data={"csrf_token": token, "name": ""}).status_code == 422
    made = admin.post("/summary/links", data={"csrf_token": token, "name": "校长室"})
    assert made.status_code == 303
    page = admin.get("/summary/links").get_data(as_text=True)
    url = page.split('class="share-url" readonly value="')[1].split('"')[0]
    assert "/s/" in url and "校长室" in page
    assert url not in admin.get("/summary/links").get_data(as_text=True)  # shown once
    link = url.split("school.example")[-1] if "school.example" in url else url[url.index("/s/"):]
    shared = client.get(link + "?week=2026-W47")
    html = shared.get_data(as_text=True)
    assert shared.status_code == 200 and "2026-W47" in html
    assert "/summary/links" not in html and "revoke" not in html.lower()
    assert shared.headers["Cache-Control"] == "private, no-store"
    share_token = link.rsplit("/", 1)[1]
    api = client.get(f"/api/v1/summary/weekly?week=2026-W47&share={share_token}")
    assert api.status_code == 200 and api.json["checks"]["overall"]["planned"] == 21
    assert client.get(f"/api/v1/summary/term?share={share_token}").status_code == 401
    assert client.get(link + "/weekly.csv?week=2026-W47").status_code == 200
    with app.app_context():
        from inspect_app.models import SummaryShare
        share = db.session.scalar(db.select(SummaryShare))
        assert share.token_hash != share_token and share.last_used_at is not None
        share_id = share.id
    revoked = admin.post(f"/summary/links/{share_id}/revoke",
                         data={"csrf_token": csrf_token(admin, "/summary/links")})
    assert revoked.status_code == 303
    assert client.get(link).status_code == 404
    assert client.get(f"/api/v1/summary/weekly?share={share_token}").status_code == 401
    assert client.get("/s/" + "x" * 43).status_code == 404


def test_term_statistics(client, week_school, tokens, as_role):
    response = client.get("/api/v1/summary/term?from=2026-11-01&to=2026-11-30",
                          headers=tokens["admin"])
    validate(response, "TermSummary")
    t = response.json
    repairs = t["repairs"]
    assert repairs["reported"] == 7  # five in W47, one before, one after, and the check's fault
    assert repairs["closed"] == 2 and repairs["median_hours_to_close"] == 36.0
    assert {c["category"]: c["reported"] for c in repairs["by_category"]} == {
        "sports": 1, "doors_windows": 1, "lighting_electrical": 1, "other": 4}
    assert {c["severity"]: c["reported"] for c in repairs["by_severity"]} == {
        "hazard": 2, "major": 1, "minor": 4}
    assert t["parts"] == [{"name": "灯管", "unit": "根", "quantity": 5},
                          {"name": "水龙头", "unit": "个", "quantity": 1}]
    assert t["checks"]["total"] == 18 and t["checks"]["with_faults"] == 1
    assert {k["kind"]: k["checks"] for k in t["checks"]["by_kind"]} == {
        "gate": 7, "patrol_point": 4, "food_sample": 4, "sports_apparatus": 1,
        "electrical_room": 1, "fire_extinguisher": 1}
    assert t["satisfaction"]["good_share"] == 0.5 and t["satisfaction"]["target"] == 0.9
    default = client.get("/api/v1/summary/term", headers=tokens["admin"]).json
    assert default["to"] == "2026-11-25" and default["from"] == "2026-07-29"  # 120 days
    for query in ("from=2026-13-01", "from=2026-12-01&to=2026-11-01", "from=2020-01-01&to=2026-01-01"):
        bad = client.get(f"/api/v1/summary/term?{query}", headers=tokens["admin"])
        assert bad.status_code == 422, query
    page = as_role("admin").get("/summary/term?from=2026-11-01&to=2026-11-30")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "灯管" in html and "50%" in html
    assert as_role("admin").get("/summary/term?from=x").status_code == 422


def test_trend_sees_a_check_sent_late_for_an_earlier_week(client, week_school, tokens, clock):
    first = client.get("/api/v1/summary/weekly?week=2026-W47", headers=tokens["admin"]).json
    assert first["trend"][-2]["done"] == 0
    clock.now = local(25, 11)  # a phone that was offline sends last week's check now
    body = {"id": str(uuid.uuid4()), "checkpoint": week_school["南门"][0],
            "observed_at": local(12, 18).isoformat(), "items": {"gate_intact": "ok"}}
    assert client.post("/api/v1/checks", json=body, headers=tokens["guard"]).status_code == 201
    again = client.get("/api/v1/summary/weekly?week=2026-W47", headers=tokens["admin"]).json
    assert again["trend"][-2]["done"] == 1 and again["trend"][-2]["missed"] == 20


def test_trend_weeks_read_together_equal_each_week_alone(app, client, week_school, tokens, clock):
    """The trend's earlier weeks are judged in one pass over their checks; each must match
    what judging that week on its own gives."""
    from inspect_app import due, stats
    from inspect_app.summary_cache import _PAST

    for day in (3, 4, 10, 11):  # checks in earlier weeks, one of them late in its window
        body = {"id": str(uuid.uuid4()), "checkpoint": week_school["南门"][0],
                "observed_at": local(day, 18 + day % 2).isoformat(), "items": {"gate_intact": "ok"}}
        assert client.post("/api/v1/checks", json=body, headers=tokens["guard"]).status_code == 201
    _PAST.clear()
    trend = client.get("/api/v1/summary/weekly?week=2026-W47", headers=tokens["admin"]).json["trend"]
    with app.test_request_context():
        at = due.now()
        mondays = stats.trend_mondays(local(16, 0).date())
        alone = [stats.week_counts(due.outcomes(m, m + timedelta(days=6), at), m)
                 for m in mondays[:-1]]
    for week, figures in zip(trend[:-1], alone):
        assert {k: week[k] for k in figures} == figures, week["week"]
    assert sum(w["done"] + w["late"] for w in trend[:-1]) >= 4
