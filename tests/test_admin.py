"""The manager's plan pages: kind schedules, a checkpoint's override, the school calendar."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from inspect_app import due
from inspect_app.extensions import db
from inspect_app.models import CalendarDay, Checkpoint, Kind, Schedule, SchoolSetting, Term

from .conftest import csrf_token

SH = ZoneInfo("Asia/Shanghai")


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=SH).astimezone(timezone.utc)


def kind_id(app, key):
    with app.app_context():
        return db.session.execute(db.select(Kind.id).where(Kind.key == key)).scalar_one()


def test_kinds_page_lists_every_kind_with_its_schedule(as_role):
    html = as_role("admin").get("/admin/kinds", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Sports apparatus" in html and "Weekly, Mon" in html and "Monthly, day 1" in html
    assert html.count('class="schedule-form"') == 11


def test_set_a_kind_schedule_with_an_evening_window(app, as_role):
    admin = as_role("admin")
    kid = kind_id(app, "patrol_point")
    data = {"csrf_token": csrf_token(admin, "/admin/kinds"), "frequency": "daily",
            "window_start": "17:30", "window_end": "19:30", "runs_on_closure_days": "1"}
    response = admin.post(f"/admin/kinds/{kid}/schedule", data=data)
    assert response.status_code == 303
    with app.app_context():
        row = db.session.execute(db.select(Schedule).where(Schedule.kind_id == kid)).scalar_one()
        assert (row.frequency, row.window_start, row.window_end, row.runs_on_closure_days) == (
            "daily", time(17, 30), time(19, 30), True)


def test_bad_schedule_is_refused_next_to_its_field(app, as_role):
    admin = as_role("admin")
    kid = kind_id(app, "classroom")
    token = csrf_token(admin, "/admin/kinds")
    for data, field in [({"frequency": "hourly"}, "frequency"),
                        ({"frequency": "monthly", "monthday": "32"}, "monthday"),
                        ({"frequency": "weekly", "weekday": "9"}, "weekday"),
                        ({"frequency": "daily", "window_start": "17:30"}, "window_end"),
                        ({"frequency": "daily", "window_start": "25:00", "window_end": "19:00"}, "window_start"),
                        ({"frequency": "daily", "window_start": "19:00", "window_end": "19:00"}, "window_end")]:
        response = admin.post(f"/admin/kinds/{kid}/schedule", data={"csrf_token": token, **data})
        assert response.status_code == 422, data
        assert f'id="err-{field}"' in response.get_data(as_text=True), data
    with app.app_context():
        row = db.session.execute(db.select(Schedule).where(Schedule.kind_id == kid)).scalar_one()
        assert (row.frequency, row.monthday) == ("monthly", 1)  # unchanged


def test_checkpoint_override_and_back_to_the_kind(app, as_role, school):
    admin = as_role("admin")
    code = school["单杠"]
    found = admin.get("/admin/checkpoints?q=单杠").get_data(as_text=True)
    assert f"/admin/checkpoints/{code}/schedule" in found
    path = f"/admin/checkpoints/{code}/schedule"
    token = csrf_token(admin, path)
    response = admin.post(path, data={"csrf_token": token, "frequency": "weekly", "weekday": "4"})
    assert response.status_code == 303
    with app.app_context():
        cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.code == code)).scalar_one()
        assert cp.schedule_override.spelling == "weekly:fri" and cp.kind.schedule.spelling == "weekly:mon"
        item = next(i for i in due.load_due(at("2026-11-16 10:00")) if i.code == code)
        assert item.state == "upcoming" and item.status.due_date == date(2026, 11, 20)
    assert admin.post(path, data={"csrf_token": token, "clear": "1"}).status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(Schedule).where(
            Schedule.checkpoint_id == db.select(Checkpoint.id).where(Checkpoint.code == code)
            .scalar_subquery())).first() is None
    assert admin.get("/admin/checkpoints/ZZZZZZZ/schedule").status_code == 404


def test_calendar_terms_closures_and_make_up_days(app, as_role, school):
    admin = as_role("admin")
    token = csrf_token(admin, "/admin/calendar")
    ok = admin.post("/admin/calendar/terms", data={"csrf_token": token, "term_name": "秋季学期",
                                                    "first_date": "2026-09-01", "last_date": "2027-01-22"})
    assert ok.status_code == 303
    bad = admin.post("/admin/calendar/terms", data={"csrf_token": token, "term_name": "x",
                                                     "first_date": "2027-01-22", "last_date": "2026-09-01"})
    assert bad.status_code == 422 and 'id="err-last_date"' in bad.get_data(as_text=True)
    week = admin.post("/admin/calendar/days", data={"csrf_token": token, "kind": "closed", "day_name": "国庆节",
                                                     "day_first": "2026-10-01", "day_last": "2026-10-07"})
    assert week.status_code == 303
    makeup = admin.post("/admin/calendar/days", data={"csrf_token": token, "kind": "open",
                                                       "day_name": "调休", "day_first": "2026-10-10"})
    assert makeup.status_code == 303
    assert admin.post("/admin/calendar/days", data={"csrf_token": token, "kind": "closed",
                                                     "day_first": "soon"}).status_code == 422
    with app.app_context():
        cal = due.school_calendar()
        assert len(cal.closure_days) == 7 and cal.open_days == {date(2026, 10, 10)}
        assert cal.closed_weekdays == {5, 6} and cal.terms == ((date(2026, 9, 1), date(2027, 1, 22)),)
        items = {i.name: i for i in due.load_due(at("2026-10-03 10:00"))}
        assert items["南门"].state == "due"  # gates run on closure days
        # the fans check of 1 October moves to the first school day after the holiday
        assert (items["203教室"].state, items["203教室"].status.due_date) == ("upcoming", date(2026, 10, 8))
        term_id = db.session.execute(db.select(Term.id)).scalar_one()
        day_id = db.session.execute(db.select(CalendarDay.id).where(
            CalendarDay.day == date(2026, 10, 10))).scalar_one()
    page = admin.get("/admin/calendar").get_data(as_text=True)
    assert "国庆节" in page and "2026-10-07" in page
    assert admin.post(f"/admin/calendar/days/{day_id}/delete", data={"csrf_token": token}).status_code == 303
    assert admin.post(f"/admin/calendar/terms/{term_id}/delete", data={"csrf_token": token}).status_code == 303
    assert admin.post("/admin/calendar/weekdays", data={"csrf_token": token, "closed": ["5", "6", "x"]}).status_code == 303
    with app.app_context():
        assert db.session.get(SchoolSetting, "closed_weekdays").value == [5, 6]
        assert due.school_calendar().terms == ()


def test_not_for_guards(as_role):
    guard = as_role("guard")
    assert guard.get("/admin/kinds").status_code == 403
    assert guard.get("/admin/calendar").status_code == 403
