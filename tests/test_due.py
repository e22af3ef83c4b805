"""What is due, at the service (inspect_app.due) and view level, with a frozen clock.

schedule.py has its own pure tests; these check the database side agrees with it: schedules of
kinds and overrides, the school calendar, creation times, corrections, whose work it is, and the
pages and API that show it."""
import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from inspect_app import due
from inspect_app import models as models_pkg
from inspect_app.extensions import db
from inspect_app.importer import import_checkpoints
from inspect_app.models import CalendarDay, Checkpoint, Schedule, Term, User
from inspect_app.operations import log_check

SH = ZoneInfo("Asia/Shanghai")
BER = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def at(text, tz=SH, fold=0):
    return datetime.fromisoformat(text).replace(tzinfo=tz, fold=fold).astimezone(UTC)


@pytest.fixture
def clock(monkeypatch):
    """clock('2026-11-20 18:00') freezes the app's clock at a Shanghai wall time."""
    def freeze(text, tz=SH):
        instant = at(text, tz)
        monkeypatch.setattr(models_pkg, "utcnow", lambda: instant)
        return instant
    return freeze


def make(app, rows, schedules=None):
    """Import checkpoints (created long ago); schedules: {name: dict of Schedule columns}."""
    with app.app_context():
        report = import_checkpoints(rows)
        assert report.ok, report.errors
        db.session.flush()
        for cp in db.session.scalars(db.select(Checkpoint)):
            cp.created_at = LONG_AGO
        for name, values in (schedules or {}).items():
            cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.name == name)).scalar_one()
            row = db.session.execute(db.select(Schedule).where(
                Schedule.checkpoint_id == cp.id)).scalar_one_or_none() or Schedule(checkpoint_id=cp.id)
            values = {"weekday": None, "monthday": None, "window_start": None, "window_end": None,
                      "runs_on_closure_days": False, **values}
            for key, value in values.items():
                setattr(row, key, value)
            db.session.add(row)
        db.session.commit()
        return {cp.name: cp.code for cp in db.session.scalars(db.select(Checkpoint))}


def check(app, name, when, user="guard", corrects=None):
    """Log a check of the named checkpoint observed at `when` (a UTC instant)."""
    with app.app_context():
        cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.name == name)).scalar_one()
        person = db.session.execute(db.select(User).where(User.username == user)).scalar_one()
        item = cp.kind.active_items[0].key
        made, _ = log_check(person, cp, check_id=uuid.uuid4(), observed_at=when, items={item: "ok"},
                            received_at=when, corrects_id=corrects)
        db.session.commit()
        return made.id


def states(app, now, **kwargs):
    with app.app_context():
        return {i.name: i.state for i in due.load_due(now, **kwargs)}


def item(app, now, name, **kwargs):
    with app.app_context():
        return next(i for i in due.load_due(now, **kwargs) if i.name == name)


GATE = {"name": "南门", "kind": "gate", "location": "南校区/南门"}
EVENING = {"name": "东侧围墙", "kind": "patrol_point", "location": "南校区/围墙"}
ROOM = {"name": "203教室", "kind": "classroom", "location": "北校区/启慧楼/2F/203"}
BAR = {"name": "单杠", "kind": "sports_apparatus", "location": "北校区/操场"}
EXT = {"name": "灭火器 01", "kind": "fire_extinguisher", "location": "南校区/启慧楼/1F"}
EVENING_WINDOW = {"frequency": "daily", "window_start": time(17, 30), "window_end": time(19, 30),
                  "runs_on_closure_days": True}


# --- daily, windows --------------------------------------------------------------------------------

def test_evening_patrol_done_due_overdue_and_yesterday_missed(app):
    make(app, [EVENING, GATE], {"东侧围墙": EVENING_WINDOW})
    assert states(app, at("2026-11-20 10:00")) == {"东侧围墙": "due", "南门": "due"}
    check(app, "南门", at("2026-11-20 08:00"))
    assert states(app, at("2026-11-20 19:30")) == {"东侧围墙": "overdue", "南门": "done"}
    check(app, "东侧围墙", at("2026-11-20 19:45"))
    assert states(app, at("2026-11-20 20:00"))["东侧围墙"] == "late"
    check(app, "东侧围墙", at("2026-11-21 18:00"))
    x = item(app, at("2026-11-21 18:30"), "东侧围墙")
    assert (x.state, x.previous_outcome, x.status.period.key) == ("done", "late", "2026-11-21")
    x = item(app, at("2026-11-23 09:00"), "东侧围墙")
    assert (x.state, x.previous_outcome) == ("due", "missed")


def test_night_window_crossing_midnight_and_the_year_end(app):
    make(app, [EVENING], {"东侧围墙": {"frequency": "daily", "window_start": time(22),
                                      "window_end": time(2), "runs_on_closure_days": True}})
    check(app, "东侧围墙", at("2027-01-01 01:30"))  # the night of New Year's Eve
    x = item(app, at("2027-01-01 01:45"), "东侧围墙")
    assert (x.status.period.key, x.state) == ("2026-12-31", "done")
    x = item(app, at("2027-01-01 12:00"), "东侧围墙")
    assert (x.status.period.key, x.state, x.previous_outcome) == ("2027-01-01", "due", "done")
    x = item(app, at("2027-01-02 03:00"), "东侧围墙")
    assert (x.status.period.key, x.previous_outcome) == ("2027-01-02", "missed")


# --- weeks, months, leap days ----------------------------------------------------------------------

def test_weekly_monday_across_the_year_end(app):
    make(app, [BAR])  # sports apparatus: weekly:mon, not on closure days
    check(app, "单杠", at("2026-12-28 09:00"), user="staff")
    x = item(app, at("2027-01-03 23:59"), "单杠")
    assert (x.status.period.key, x.state) == ("2026-W53", "done")
    x = item(app, at("2027-01-04 08:00"), "单杠")
    assert (x.status.period.key, x.state, x.previous_outcome) == ("2027-W01", "due", "done")
    assert item(app, at("2027-01-05 08:00"), "单杠").state == "overdue"
    x = item(app, at("2027-01-12 08:00"), "单杠")
    assert x.previous_outcome == "missed"


def test_monthly_29_on_the_leap_day(app):
    make(app, [EXT], {"灭火器 01": {"frequency": "monthly", "monthday": 29}})
    x = item(app, at("2028-02-29 12:00"), "灭火器 01")
    assert (x.status.period.key, x.state, x.status.due_date) == ("2028-02", "due", date(2028, 2, 29))
    assert item(app, at("2028-02-28 12:00"), "灭火器 01").state == "upcoming"
    check(app, "灭火器 01", at("2028-02-29 23:59"), user="staff")
    assert item(app, at("2028-03-01 00:00"), "灭火器 01").previous_outcome == "done"
    # no 29 February in 2027: the 28th, a Sunday at a school closed at weekends: Friday the 26th
    x = item(app, at("2027-03-01 00:00"), "灭火器 01")
    assert (x.previous_outcome, x.status.previous.due_date) == ("missed", date(2027, 2, 26))


def test_month_start_fans_check_moves_past_the_weekend(app):
    make(app, [ROOM])  # classroom: monthly:1, not on closure days; weekends are closed
    x = item(app, at("2026-11-01 10:00"), "203教室")  # Sunday 1 November
    assert (x.state, x.status.due_date) == ("upcoming", date(2026, 11, 2))
    assert item(app, at("2026-11-03 10:00"), "203教室").state == "overdue"


# --- the school calendar ---------------------------------------------------------------------------

def test_closure_days_gates_run_classrooms_do_not(app):
    make(app, [GATE, ROOM], {"203教室": {"frequency": "daily"}})
    with app.app_context():
        db.session.add(CalendarDay(day=date(2026, 10, 1), kind="closed", name="国庆节"))
        db.session.add(CalendarDay(day=date(2026, 10, 10), kind="open", name="调休"))
        db.session.commit()
    assert states(app, at("2026-10-01 10:00")) == {"南门": "due"}
    assert states(app, at("2026-10-03 10:00")) == {"南门": "due"}  # Saturday
    assert states(app, at("2026-10-10 10:00")) == {"南门": "due", "203教室": "due"}  # make-up day
    # nothing is missed on a day it was not planned
    x = item(app, at("2026-10-02 10:00"), "203教室")
    assert (x.state, x.previous_outcome) == ("due", "not_planned")
    x = item(app, at("2026-10-05 10:00"), "203教室")  # Monday after the weekend
    assert x.previous_outcome == "not_planned"


def test_terms_and_the_closed_weekdays_setting(app, as_role):
    make(app, [ROOM], {"203教室": {"frequency": "daily"}})
    with app.app_context():
        db.session.add(Term(name="秋季学期", first_date=date(2026, 9, 1), last_date=date(2027, 1, 22)))
        db.session.commit()
    assert states(app, at("2026-08-31 10:00")) == {}  # summer vacation
    assert states(app, at("2026-09-01 10:00")) == {"203教室": "due"}
    assert states(app, at("2026-09-05 10:00")) == {}  # Saturday
    admin = as_role("admin")
    from .conftest import csrf_token
    token = csrf_token(admin, "/admin/calendar")
    assert admin.post("/admin/calendar/weekdays", data={"csrf_token": token, "closed": ["6"]}).status_code == 303
    assert states(app, at("2026-09-05 10:00")) == {"203教室": "due"}  # Saturdays are school days now
    assert states(app, at("2026-09-06 10:00")) == {}


# --- Europe/Berlin daylight saving -----------------------------------------------------------------

def test_berlin_evening_patrol_on_the_clock_change_days(app):
    app.config["TIMEZONE"] = "Europe/Berlin"
    make(app, [EVENING], {"东侧围墙": EVENING_WINDOW})
    check(app, "东侧围墙", at("2026-03-29 18:00", BER))
    x = item(app, at("2026-03-29 19:00", BER), "东侧围墙")
    assert (x.status.period.key, x.state) == ("2026-03-29", "done")
    assert x.status.period.end - x.status.period.start == timedelta(hours=23)
    x = item(app, at("2026-10-25 19:31", BER), "东侧围墙")
    assert (x.state, x.status.deadline) == ("overdue", at("2026-10-25 19:30", BER))
    assert x.status.period.end - x.status.period.start == timedelta(hours=25)


def test_berlin_night_window_in_the_spring_gap(app):
    app.config["TIMEZONE"] = "Europe/Berlin"
    make(app, [EVENING], {"东侧围墙": {"frequency": "daily", "window_start": time(2, 30),
                                      "window_end": time(3, 30), "runs_on_closure_days": True}})
    check(app, "东侧围墙", at("2026-03-29 01:45", BER))  # the window widens back to 01:30
    assert item(app, at("2026-03-29 12:00", BER), "东侧围墙").state == "done"


# --- creation, status, corrections -----------------------------------------------------------------

def test_new_checkpoint_is_not_missed_before_it_existed(app, clock):
    make(app, [EVENING], {"东侧围墙": EVENING_WINDOW})
    clock("2026-11-20 20:00")
    with app.app_context():  # created after today's window closed, by the frozen clock
        assert import_checkpoints([dict(GATE, name="北门", location="北校区/北门")]).ok
        db.session.commit()
        cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.name == "北门")).scalar_one()
        assert cp.created_at == at("2026-11-20 20:00")
        sched_row = Schedule(checkpoint_id=cp.id, **EVENING_WINDOW)
        db.session.add(sched_row)
        db.session.commit()
    assert states(app, at("2026-11-20 20:00")) == {"东侧围墙": "overdue"}
    x = item(app, at("2026-11-21 09:00"), "北门")
    assert (x.state, x.previous_outcome) == ("due", "not_planned")
    check(app, "北门", at("2026-11-21 18:00"))
    assert item(app, at("2026-11-22 09:00"), "北门").previous_outcome == "done"


def test_out_of_service_is_not_due(app):
    make(app, [GATE, EXT])
    with app.app_context():
        cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.name == "南门")).scalar_one()
        cp.status = "out_of_service"
        db.session.commit()
    assert set(states(app, at("2026-11-20 10:00"))) == {"灭火器 01"}


def test_a_correction_is_not_a_second_visit(app):
    make(app, [GATE])
    first = check(app, "南门", at("2026-11-19 10:00"))
    check(app, "南门", at("2026-11-20 10:00"), corrects=first)  # fixes yesterday's answers
    x = item(app, at("2026-11-20 12:00"), "南门")
    assert (x.state, x.previous_outcome) == ("due", "done")


def test_asking_for_a_past_date(app):
    make(app, [GATE, BAR])
    check(app, "南门", at("2026-11-18 10:00"))
    got = states(app, at("2026-11-20 12:00"), on=date(2026, 11, 18))
    assert got == {"南门": "done", "单杠": "overdue"}  # this week is still running
    got = states(app, at("2026-11-20 12:00"), on=date(2026, 11, 17))
    assert got == {"南门": "missed", "单杠": "overdue"}
    got = states(app, at("2026-11-20 12:00"), on=date(2026, 11, 10))
    assert got == {"南门": "missed", "单杠": "missed"}
    assert states(app, at("2026-11-20 12:00"), on=date(2026, 11, 25))["南门"] == "due"


# --- whose work ------------------------------------------------------------------------------------

def test_whose_work(app):
    rows = [dict(GATE, responsible="guard"), dict(GATE, name="北门", location="北校区/北门"),
            dict(EVENING, name="后门", location="北校区/后门"), EXT, ROOM, BAR]
    make(app, rows)
    with app.app_context():
        other = User(username="guard2", role="guard", password_hash="x")
        db.session.add(other)
        db.session.flush()
        cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.name == "后门")).scalar_one()
        cp.responsible_id = other.id
        db.session.commit()
        now = at("2026-11-16 10:00")
        users = {u.username: u for u in db.session.scalars(db.select(User))}
        mine = {name: {i.name for i in due.work_for(users[name], now).items}
                for name in ("guard", "guard2", "staff", "teacher", "admin")}
        everything = {i.name for i in due.work_for(users["guard"], now, everything=True).items}
    assert mine["guard"] == {"南门", "北门"}  # daily, but not another guard's 后门
    assert mine["guard2"] == {"北门", "后门"}
    assert mine["staff"] == {"灭火器 01", "203教室", "单杠"}
    assert mine["teacher"] == set()
    assert mine["admin"] == everything == {"南门", "北门", "后门", "灭火器 01", "203教室", "单杠"}


# --- the pages -------------------------------------------------------------------------------------

def test_guard_lands_on_the_work_list_overdue_first(app, client, clock):
    from .conftest import login

    make(app, [dict(GATE, responsible="guard"), dict(EVENING, responsible="guard")],
         {"东侧围墙": EVENING_WINDOW})
    check(app, "南门", at("2026-11-20 08:00"))
    clock("2026-11-20 20:00")
    response = login(client, "guard")
    assert response.status_code == 303 and response.headers["Location"] == "/work"
    html = client.get("/work").get_data(as_text=True)
    assert "1 / 2" in html
    assert html.index("东侧围墙") < html.index("南门")  # the overdue one first
    assert 'data-barcode-js="/static/vendor/barcode-detector/barcode-detector-3.2.2.iife.js' in html
    assert 'data-wasm-url="/static/vendor/barcode-detector/zxing_reader-3.1.3.wasm' in html
    assert "scan.js" in html and "/q/" in html
    clock("2026-11-21 09:00")
    html = client.get("/work").get_data(as_text=True)
    assert "0 / 2" in html
    fragment = client.get("/work?all=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="work"') and "<html" not in fragment


def test_work_list_empty_states(app, as_role, clock):
    make(app, [dict(GATE, responsible="guard")])
    check(app, "南门", at("2026-11-20 08:00"))
    clock("2026-11-20 09:00")
    guard = as_role("guard")
    html = guard.get("/work").get_data(as_text=True)
    assert "1 / 1" in html and ("All done for today" in html or "今天的任务全部完成" in html)
    staff = as_role("staff")
    html = staff.get("/work", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "0 / 0" in html
    assert as_role("teacher").get("/work").status_code == 403
    assert guard.get("/work?date=yesterday").status_code == 422


def test_staff_and_admin_landing(app, client):
    from .conftest import login

    assert login(client, "staff").headers["Location"] == "/work"
    other = app.test_client()
    assert login(other, "admin").headers["Location"] == "/"
