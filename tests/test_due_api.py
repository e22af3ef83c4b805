"""From outside, as a script would: load a school with `checkpoints import`, post checks with
chosen observed_at through POST /api/v1/checks with a token, and compare what /api/v1/due and
the work list say was done and missed with our own count."""
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from inspect_app import models as models_pkg

from .conftest import matches_schema

SH = ZoneInfo("Asia/Shanghai")
CSV = """code,name,kind,location,schedule,responsible
,南门,gate,南校区/南门,,
,北门,gate,北校区/北门,,
,203教室,classroom,北校区/启慧楼/2F/203,daily,
,单杠,sports_apparatus,北校区/操场,weekly:wed,
,灭火器 01,fire_extinguisher,南校区/启慧楼/1F,,
"""
ITEMS = {"gate": "gate_intact", "classroom": "lights", "sports_apparatus": "firm",
         "fire_extinguisher": "in_place"}
MONDAY = date(2026, 11, 9)
# (name, weekday offsets from Monday with a check, local time); Friday 13 November is "today"
VISITS = [("南门", [0, 1, 2, 3, 4], "08:10"), ("北门", [0, 2], "21:00"),
          ("203教室", [1, 3], "10:00"), ("单杠", [3], "09:00")]


def wall(day, hhmm):
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SH)


@pytest.fixture
def school_from_outside(app, runner, tmp_path, monkeypatch):
    clock = {"now": wall(MONDAY, "07:00").astimezone(timezone.utc)}
    monkeypatch.setattr(models_pkg, "utcnow", lambda: clock["now"])
    path = tmp_path / "school.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CSV.encode())
    result = runner.invoke(args=["checkpoints", "import", str(path)])
    assert result.exit_code == 0, result.output
    token = runner.invoke(args=["token", "add", "guard"]).output.strip().splitlines()[-1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    codes = {}
    for line in runner.invoke(args=["checkpoints", "export"]).output.lstrip("\ufeff").splitlines()[1:]:
        code, name, kind = line.split(",")[:3]
        codes[name] = (code, kind)
    for name, offsets, hhmm in VISITS:
        code, kind = codes[name]
        for offset in offsets:
            body = {"id": str(uuid.uuid4()), "checkpoint": code,
                    "observed_at": wall(MONDAY + timedelta(days=offset), hhmm).isoformat(),
                    "items": {ITEMS[kind]: "ok"}}
            response = client.post("/api/v1/checks", json=body, headers=headers)
            assert response.status_code == 201, response.json
    clock["now"] = wall(MONDAY + timedelta(days=4), "20:00").astimezone(timezone.utc)
    return client, headers


def validate(data, name):
    matches_schema(data, name)


def states(response):
    return {i["name"]: i["state"] for i in response.json["items"]}


def test_today_matches_our_own_count(school_from_outside):
    client, headers = school_from_outside
    response = client.get("/api/v1/due?all=1", headers=headers)
    assert response.status_code == 200
    validate(response.json, "DueList")
    assert response.json["date"] == "2026-11-13" and response.json["scope"] == "all"
    assert states(response) == {"南门": "done", "北门": "due", "203教室": "due",
                                "单杠": "late", "灭火器 01": "due"}
    assert (response.json["done"], response.json["total"]) == (2, 5)
    assert response.json["items"][0]["state"] == "due"  # nothing overdue: due ones first
    gate = next(i for i in response.json["items"] if i["name"] == "南门")
    assert gate["period"]["key"] == "2026-11-13" and gate["check"] == "2026-11-13T00:10:00+00:00"
    assert gate["schedule"] == "daily" and gate["runs_on_closure_days"] is True
    # the guard's own list: the daily checks, not the staff's weekly and monthly ones
    mine = client.get("/api/v1/due", headers=headers)
    assert mine.json["scope"] == "mine"
    assert set(states(mine)) == {"南门", "北门", "203教室"}


def test_each_past_day_matches_our_own_count(school_from_outside):
    client, headers = school_from_outside
    expected_done = expected_missed = 0
    for offset in range(4):  # Monday to Thursday
        day = MONDAY + timedelta(days=offset)
        checked = {name for name, offsets, _ in VISITS if offset in offsets}
        response = client.get(f"/api/v1/due?all=1&date={day}", headers=headers)
        got = states(response)
        for name in ("南门", "北门", "203教室"):
            assert got[name] == ("done" if name in checked else "missed"), (day, name)
        expected_done += sum(1 for n in ("南门", "北门", "203教室") if n in checked)
        expected_missed += sum(1 for n in ("南门", "北门", "203教室") if n not in checked)
        assert got["单杠"] == "late"  # the week is still running: checked Thursday, due Wednesday
        page = client.get(f"/work?all=1&date={day}")
        assert page.status_code == 302  # the page needs a session, the token is for the API
    assert (expected_done, expected_missed) == (8, 4)


def test_work_list_agrees_with_the_api(app, school_from_outside):
    from .conftest import login

    client, headers = school_from_outside
    browser = app.test_client()
    assert login(browser, "guard").status_code == 303
    for query in ("all=1", "all=1&date=2026-11-10", ""):
        api = client.get(f"/api/v1/due?{query}", headers=headers).json
        html = browser.get(f"/work?{query}").get_data(as_text=True)
        assert f"<strong>{api['done']} / {api['total']}</strong>" in html, query
        for entry in api["items"]:
            assert entry["name"] in html


def test_bad_date_and_roles(app, school_from_outside):
    client, headers = school_from_outside
    bad = client.get("/api/v1/due?date=13/11/2026", headers=headers)
    assert bad.status_code == 422 and "date" in bad.json["fields"]
    assert client.get("/api/v1/due").status_code == 401
