"""inspect_app.schedule: periods, due / done / late / missed, with a frozen clock."""
import time as _clock
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from inspect_app.schedule import (
    Calendar, Planner, Schedule, checks_needed_since, evaluate_range, format_schedule, format_window, parse_schedule,
    parse_window, period_at, period_of, status_at, window_bounds,
)

UTC = timezone.utc
SH = ZoneInfo("Asia/Shanghai")
BER = ZoneInfo("Europe/Berlin")
OPEN = Calendar()
WEEKENDS_OFF = Calendar(closed_weekdays={5, 6})


def d(text):
    return date.fromisoformat(text)


def at(text, tz=SH, fold=0):
    """A local wall time in the school's zone, as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=tz, fold=fold).astimezone(UTC)


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hours(period):
    return (period.end - period.start) / timedelta(hours=1)


DAILY = Schedule("daily")
EVENING = Schedule("daily", window_start=time(17, 30), window_end=time(19, 30))
NIGHT = Schedule("daily", window_start=time(22), window_end=time(2))
GATE = Schedule("daily", runs_on_closure_days=True)
MONDAY = Schedule("weekly", weekday=0)
WEEKLY = Schedule("weekly")
FANS = Schedule("monthly", monthday=1)
MONTHLY = Schedule("monthly")


# --- spellings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("daily", Schedule("daily")),
    (" Daily ", Schedule("daily")),
    ("weekly", Schedule("weekly")),
    ("weekly:mon", Schedule("weekly", weekday=0)),
    ("WEEKLY:Sun", Schedule("weekly", weekday=6)),
    ("monthly", Schedule("monthly")),
    ("monthly:1", Schedule("monthly", monthday=1)),
    ("monthly:31", Schedule("monthly", monthday=31)),
])
def test_parse_schedule(text, expected):
    assert parse_schedule(text) == expected


@pytest.mark.parametrize("text", ["daily", "weekly", "monthly"]
                         + [f"weekly:{w}" for w in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
                         + [f"monthly:{n}" for n in range(1, 32)])
def test_format_schedule_round_trips(text):
    assert format_schedule(parse_schedule(text)) == text


@pytest.mark.parametrize("text", ["", "hourly", "weekly:monday", "weekly:0", "weekly:", "monthly:0",
                                  "monthly:32", "monthly:x", "monthly:1.5", "daily:mon", "monthly:-1"])
def test_parse_schedule_rejects(text):
    with pytest.raises(ValueError, match="unknown schedule .* use daily, weekly"):
        parse_schedule(text)


def test_parse_schedule_carries_window_and_closure_flag():
    s = parse_schedule("daily", window_start=time(17, 30), window_end=time(19, 30), runs_on_closure_days=True)
    assert s == Schedule("daily", None, None, time(17, 30), time(19, 30), True)
    assert format_window(s) == "17:30-19:30"
    assert format_window(DAILY) == ""


@pytest.mark.parametrize("kwargs", [
    dict(frequency="hourly"),
    dict(frequency="daily", weekday=0),
    dict(frequency="weekly", weekday=7),
    dict(frequency="monthly", weekday=0),
    dict(frequency="monthly", monthday=0),
    dict(frequency="monthly", monthday=32),
    dict(frequency="weekly", monthday=1),
    dict(frequency="daily", window_start=time(8)),
    dict(frequency="daily", window_end=time(8)),
    dict(frequency="daily", window_start=time(8), window_end=time(8)),
])
def test_schedule_rejects(kwargs):
    with pytest.raises(ValueError):
        Schedule(**kwargs)


@pytest.mark.parametrize("text, expected", [
    ("17:30-19:30", (time(17, 30), time(19, 30))),
    (" 22:00 – 02:00 ", (time(22), time(2))),
    ("", None),
])
def test_parse_window(text, expected):
    assert parse_window(text) == expected


@pytest.mark.parametrize("text", ["17:30", "17:30-", "25:00-26:00", "19:30-19:30", "evening"])
def test_parse_window_rejects(text):
    with pytest.raises(ValueError):
        parse_window(text)


# --- calendar ----------------------------------------------------------------------------------

TERM_CAL = Calendar(
    terms=[(d("2026-09-01"), d("2027-01-22")), (d("2027-02-22"), d("2027-07-02"))],
    closure_days={d("2026-10-01"), d("2027-01-01")},
    closed_weekdays={5, 6},
    open_days={d("2026-10-10")},  # Saturday make-up working day (调休)
)


@pytest.mark.parametrize("day, expected", [
    ("2026-09-01", True),   # first day of term
    ("2026-08-31", False),  # summer vacation
    ("2027-01-22", True),   # last day of term
    ("2027-01-25", False),  # winter vacation (a Monday)
    ("2026-10-01", False),  # National Day
    ("2026-10-02", True),
    ("2026-10-03", False),  # Saturday
    ("2026-10-10", True),   # make-up Saturday
    ("2027-01-01", False),  # New Year
])
def test_calendar_is_open(day, expected):
    assert TERM_CAL.is_open(d(day)) is expected


def test_calendar_without_terms_is_open_every_day_but_closures():
    cal = Calendar(closure_days=[d("2026-12-25")])
    assert cal.is_open(d("2026-07-15")) and not cal.is_open(d("2026-12-25"))
    assert hash(cal) == hash(Calendar(closure_days=frozenset({d("2026-12-25")})))


def test_calendar_rejects_bad_terms():
    with pytest.raises(ValueError):
        Calendar(terms=[(d("2027-01-22"), d("2026-09-01"))])


# --- periods -----------------------------------------------------------------------------------

@pytest.mark.parametrize("schedule, day, key, first, last, start, end", [
    (DAILY, "2026-11-21", "2026-11-21", "2026-11-21", "2026-11-21", "2026-11-20 16:00", "2026-11-21 16:00"),
    (DAILY, "2026-12-31", "2026-12-31", "2026-12-31", "2026-12-31", "2026-12-30 16:00", "2026-12-31 16:00"),
    (DAILY, "2028-02-29", "2028-02-29", "2028-02-29", "2028-02-29", "2028-02-28 16:00", "2028-02-29 16:00"),
    (WEEKLY, "2026-11-21", "2026-W47", "2026-11-16", "2026-11-22", "2026-11-15 16:00", "2026-11-22 16:00"),
    (WEEKLY, "2026-12-31", "2026-W53", "2026-12-28", "2027-01-03", "2026-12-27 16:00", "2027-01-03 16:00"),
    (WEEKLY, "2027-01-03", "2026-W53", "2026-12-28", "2027-01-03", "2026-12-27 16:00", "2027-01-03 16:00"),
    (WEEKLY, "2027-01-04", "2027-W01", "2027-01-04", "2027-01-10", "2027-01-03 16:00", "2027-01-10 16:00"),
    (WEEKLY, "2026-01-01", "2026-W01", "2025-12-29", "2026-01-04", "2025-12-28 16:00", "2026-01-04 16:00"),
    (MONTHLY, "2026-12-15", "2026-12", "2026-12-01", "2026-12-31", "2026-11-30 16:00", "2026-12-31 16:00"),
    (MONTHLY, "2027-02-10", "2027-02", "2027-02-01", "2027-02-28", "2027-01-31 16:00", "2027-02-28 16:00"),
    (MONTHLY, "2028-02-29", "2028-02", "2028-02-01", "2028-02-29", "2028-01-31 16:00", "2028-02-29 16:00"),
    # a window crossing midnight moves the boundaries to the window's end
    (NIGHT, "2026-12-31", "2026-12-31", "2026-12-31", "2026-12-31", "2026-12-30 18:00", "2026-12-31 18:00"),
])
def test_period_of_shanghai(schedule, day, key, first, last, start, end):
    p = period_of(schedule, SH, d(day))
    assert (p.key, p.first_date, p.last_date) == (key, d(first), d(last))
    assert (p.start, p.end) == (utc(start), utc(end))


@pytest.mark.parametrize("schedule, day, key, length", [
    (DAILY, "2026-03-28", "2026-03-28", 24),
    (DAILY, "2026-03-29", "2026-03-29", 23),   # spring forward
    (DAILY, "2026-10-25", "2026-10-25", 25),   # fall back
    (WEEKLY, "2026-03-29", "2026-W13", 167),
    (WEEKLY, "2026-10-25", "2026-W43", 169),
    (MONTHLY, "2026-03-01", "2026-03", 31 * 24 - 1),
    (MONTHLY, "2026-10-31", "2026-10", 31 * 24 + 1),
])
def test_berlin_periods_follow_the_wall_clock(schedule, day, key, length):
    p = period_of(schedule, BER, d(day))
    assert p.key == key and hours(p) == length
    assert p.start == at(f"{p.first_date} 00:00", BER)


@pytest.mark.parametrize("schedule, tz, instant, key", [
    (DAILY, SH, at("2026-12-31 23:59:59.999999"), "2026-12-31"),
    (DAILY, SH, at("2027-01-01 00:00"), "2027-01-01"),       # end is exclusive
    (WEEKLY, SH, at("2027-01-01 00:00"), "2026-W53"),
    (WEEKLY, SH, at("2027-01-04 00:00"), "2027-W01"),
    (MONTHLY, SH, at("2027-01-01 00:00"), "2027-01"),
    (MONTHLY, SH, at("2028-02-29 23:59"), "2028-02"),
    (MONTHLY, SH, at("2028-03-01 00:00"), "2028-03"),
    (NIGHT, SH, at("2027-01-01 01:59"), "2026-12-31"),        # the night of New Year's Eve
    (NIGHT, SH, at("2027-01-01 02:00"), "2027-01-01"),
    (NIGHT, SH, at("2026-12-31 01:00"), "2026-12-30"),
    (Schedule("weekly", window_start=time(22), window_end=time(2)), SH, at("2027-01-04 01:00"), "2026-W53"),
    (Schedule("monthly", window_start=time(22), window_end=time(2)), SH, at("2027-01-01 01:00"), "2026-12"),
    (DAILY, BER, at("2026-10-25 02:30", BER, fold=1), "2026-10-25"),
    (DAILY, BER, at("2026-10-25 23:59", BER), "2026-10-25"),
    (DAILY, BER, utc("2026-03-28 23:00"), "2026-03-29"),
])
def test_period_at(schedule, tz, instant, key):
    p = period_at(schedule, tz, instant)
    assert p.key == key
    assert instant in p


def test_period_at_accepts_any_zone_and_rejects_naive():
    assert period_at(DAILY, "Asia/Shanghai", datetime(2026, 11, 21, 1, tzinfo=BER)).key == "2026-11-21"
    with pytest.raises(ValueError, match="aware"):
        period_at(DAILY, SH, datetime(2026, 11, 21, 9))


# --- windows -----------------------------------------------------------------------------------

@pytest.mark.parametrize("window, day, tz, start, end", [
    ((time(17, 30), time(19, 30)), "2026-11-21", SH, "2026-11-21 09:30", "2026-11-21 11:30"),
    ((time(22), time(2)), "2026-12-31", SH, "2026-12-31 14:00", "2026-12-31 18:00"),
    ((time(22), time(0)), "2026-12-31", SH, "2026-12-31 14:00", "2026-12-31 16:00"),
    (None, "2026-11-21", SH, "2026-11-20 16:00", "2026-11-21 16:00"),
    ((time(17, 30), time(19, 30)), "2026-03-28", BER, "2026-03-28 16:30", "2026-03-28 18:30"),
    ((time(17, 30), time(19, 30)), "2026-03-29", BER, "2026-03-29 15:30", "2026-03-29 17:30"),
    # 02:30 does not exist on 2026-03-29: the window widens so it keeps its hour
    ((time(2, 30), time(3, 30)), "2026-03-29", BER, "2026-03-29 00:30", "2026-03-29 01:30"),
    ((time(2), time(3)), "2026-03-29", BER, "2026-03-29 00:00", "2026-03-29 01:00"),
    ((time(1), time(2, 30)), "2026-03-29", BER, "2026-03-29 00:00", "2026-03-29 01:30"),
    # a window end in the gap is read with winter time: 02:30 -> 03:30 CEST
    ((time(22), time(2, 30)), "2026-03-28", BER, "2026-03-28 21:00", "2026-03-29 01:30"),
    # 02:30 happens twice on 2026-10-25: the first occurrence, for start and end
    ((time(2, 30), time(3, 30)), "2026-10-25", BER, "2026-10-25 00:30", "2026-10-25 02:30"),
    ((time(1), time(2, 30)), "2026-10-25", BER, "2026-10-24 23:00", "2026-10-25 00:30"),
    ((time(22), time(2)), "2026-10-24", BER, "2026-10-24 20:00", "2026-10-25 00:00"),
])
def test_window_bounds(window, day, tz, start, end):
    assert window_bounds(window, d(day), tz) == (utc(start), utc(end))


def test_window_bounds_of_a_schedule_and_a_zone_key():
    assert window_bounds(EVENING, d("2026-11-21"), "Asia/Shanghai") == (utc("2026-11-21 09:30"),
                                                                         utc("2026-11-21 11:30"))
    assert window_bounds(DAILY, d("2026-03-29"), BER) == (utc("2026-03-28 23:00"), utc("2026-03-29 22:00"))
    with pytest.raises(ValueError):
        window_bounds((time(8), None), d("2026-11-21"), SH)


# --- daily status ------------------------------------------------------------------------------

@pytest.mark.parametrize("checks, now, state, check", [
    ([], "2026-11-20 10:00", "due", None),                    # before the window: still on time
    ([], "2026-11-20 18:00", "due", None),
    ([], "2026-11-20 19:30", "overdue", None),                # window end is exclusive
    (["2026-11-20 18:00"], "2026-11-20 20:00", "done", "2026-11-20 18:00"),
    (["2026-11-20 17:30"], "2026-11-20 20:00", "done", "2026-11-20 17:30"),
    (["2026-11-20 19:30"], "2026-11-20 20:00", "late", "2026-11-20 19:30"),
    (["2026-11-20 10:00"], "2026-11-20 11:00", "late", "2026-11-20 10:00"),   # outside the window
    (["2026-11-20 10:00", "2026-11-20 18:00"], "2026-11-20 23:59", "done", "2026-11-20 18:00"),
    (["2026-11-20 18:00"], "2026-11-20 17:59", "due", None),  # checks after now do not count yet
    (["2026-11-19 18:00"], "2026-11-20 18:00", "due", None),  # yesterday's check is yesterday's
])
def test_evening_patrol_status(checks, now, state, check):
    s = status_at(EVENING, OPEN, SH, [at(c) for c in checks], at(now))
    assert s.period.key == "2026-11-20"
    assert (s.state, s.check) == (state, at(check) if check else None)
    assert s.deadline == at("2026-11-20 19:30") and s.due_date == d("2026-11-20")


@pytest.mark.parametrize("cal, checks, previous", [
    (OPEN, [], "missed"),
    (OPEN, ["2026-11-19 18:00"], "done"),
    (OPEN, ["2026-11-19 20:00"], "late"),
    (Calendar(closure_days={d("2026-11-19")}), [], "not_planned"),
])
def test_previous_period_outcome(cal, checks, previous):
    s = status_at(EVENING, cal, SH, [at(c) for c in checks], at("2026-11-20 09:00"))
    assert s.previous.period.key == "2026-11-19"
    assert s.previous.outcome == previous


@pytest.mark.parametrize("schedule, now, state", [
    (DAILY, "2026-10-01 09:00", "not_planned"),   # classroom check on National Day
    (GATE, "2026-10-01 09:00", "due"),            # the gate is patrolled anyway
    (DAILY, "2026-08-20 09:00", "not_planned"),   # summer vacation
    (GATE, "2026-08-20 09:00", "due"),
    (DAILY, "2026-10-03 09:00", "not_planned"),   # Saturday
    (DAILY, "2026-10-10 09:00", "due"),           # make-up Saturday
])
def test_closure_days_and_terms(schedule, now, state):
    assert status_at(schedule, TERM_CAL, SH, [], at(now)).state == state


def test_unplanned_day_is_never_missed():
    # Monday 2026-10-05 looks back on Sunday: not planned, not missed
    s = status_at(DAILY, TERM_CAL, SH, [], at("2026-10-05 09:00"))
    assert (s.state, s.previous.period.key, s.previous.outcome) == ("due", "2026-10-04", "not_planned")
    results = evaluate_range(DAILY, TERM_CAL, SH, [], d("2026-10-01"), d("2026-10-11"), at("2026-10-12 00:00"))
    assert [r.period.key for r in results] == ["2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07",
                                               "2026-10-08", "2026-10-09", "2026-10-10"]
    assert {r.outcome for r in results} == {"missed"}
    assert evaluate_range(DAILY, TERM_CAL, SH, [], d("2027-01-25"), d("2027-02-19")) == []
    assert len(evaluate_range(GATE, TERM_CAL, SH, [], d("2027-01-25"), d("2027-02-19"))) == 26


# --- a night window crossing midnight, across the year end -------------------------------------

@pytest.mark.parametrize("checks, expected", [
    (["2026-12-31 22:30"], [("2026-12-31", "done", "2026-12-31 22:30"), ("2027-01-01", "missed", None)]),
    (["2027-01-01 01:30"], [("2026-12-31", "done", "2027-01-01 01:30"), ("2027-01-01", "missed", None)]),
    (["2027-01-01 02:00"], [("2026-12-31", "missed", None), ("2027-01-01", "late", "2027-01-01 02:00")]),
    (["2026-12-31 21:59"], [("2026-12-31", "late", "2026-12-31 21:59"), ("2027-01-01", "missed", None)]),
    (["2026-12-31 01:00"], [("2026-12-31", "missed", None), ("2027-01-01", "missed", None)]),
    (["2027-01-01 23:00", "2027-01-02 01:00"], [("2026-12-31", "missed", None),
                                                ("2027-01-01", "done", "2027-01-01 23:00")]),
])
def test_night_patrol_across_new_year(checks, expected):
    results = evaluate_range(NIGHT, OPEN, SH, [at(c) for c in checks], d("2026-12-31"), d("2027-01-01"),
                             now=at("2027-01-03 12:00"))
    assert [(r.period.key, r.outcome, r.check) for r in results] == [
        (k, o, at(c) if c else None) for k, o, c in expected]


@pytest.mark.parametrize("now, key, state, previous", [
    ("2026-12-31 21:00", "2026-12-31", "due", "missed"),
    ("2027-01-01 01:00", "2026-12-31", "due", "missed"),      # still New Year's Eve's night
    ("2027-01-01 02:00", "2027-01-01", "due", "missed"),
    ("2027-01-01 03:00", "2027-01-01", "due", "missed"),
    ("2027-01-02 01:59", "2027-01-01", "due", "missed"),
    ("2027-01-02 02:00", "2027-01-02", "due", "missed"),
])
def test_night_patrol_status(now, key, state, previous):
    s = status_at(NIGHT, OPEN, SH, [], at(now))
    assert (s.period.key, s.state, s.previous.outcome) == (key, state, previous)
    assert s.deadline == s.period.end


def test_night_patrol_status_done_after_midnight_and_closure():
    checks = [at("2027-01-01 00:40")]
    assert status_at(NIGHT, OPEN, SH, checks, at("2027-01-01 01:00")).state == "done"
    s = status_at(NIGHT, OPEN, SH, checks, at("2027-01-01 09:00"))
    assert (s.state, s.previous.outcome, s.previous.check) == ("due", "done", checks[0])
    # New Year's Day closed: the night of 31 Dec is planned, the night of 1 Jan is not
    cal = Calendar(closure_days={d("2027-01-01")})
    assert [r.period.key for r in evaluate_range(NIGHT, cal, SH, checks, d("2026-12-30"), d("2027-01-02"))] == [
        "2026-12-30", "2026-12-31", "2027-01-02"]
    assert status_at(NIGHT, cal, SH, [], at("2027-01-02 01:00")).state == "not_planned"


# --- weekly ------------------------------------------------------------------------------------

@pytest.mark.parametrize("schedule, checks, now, state, due", [
    (MONDAY, [], "2026-11-16 09:00", "due", "2026-11-16"),
    (MONDAY, ["2026-11-16 10:00"], "2026-11-17 09:00", "done", "2026-11-16"),
    (MONDAY, ["2026-11-17 10:00"], "2026-11-17 11:00", "late", "2026-11-16"),
    (MONDAY, [], "2026-11-17 00:00", "overdue", "2026-11-16"),
    (MONDAY, [], "2026-11-22 23:59", "overdue", "2026-11-16"),
    (Schedule("weekly", weekday=2), [], "2026-11-16 09:00", "upcoming", "2026-11-18"),
    (Schedule("weekly", weekday=2), ["2026-11-16 10:00"], "2026-11-16 11:00", "done", "2026-11-18"),
    (Schedule("weekly", weekday=2), [], "2026-11-18 00:00", "due", "2026-11-18"),
    (WEEKLY, [], "2026-11-22 23:59", "due", None),
    (WEEKLY, ["2026-11-21 15:00"], "2026-11-22 23:59", "done", None),
])
def test_weekly_status(schedule, checks, now, state, due):
    s = status_at(schedule, OPEN, SH, [at(c) for c in checks], at(now))
    assert s.period.key == "2026-W47"
    assert s.state == state
    assert s.due_date == (d(due) if due else None)


@pytest.mark.parametrize("cal, due", [
    (OPEN, "2026-11-16"),
    (Calendar(closure_days={d("2026-11-16")}), "2026-11-17"),                       # shifts to Tuesday
    (Calendar(closure_days={d("2026-11-16"), d("2026-11-17"), d("2026-11-18")}), "2026-11-19"),
    (Calendar(closure_days={d("2026-11-16") + timedelta(i) for i in range(5)}, closed_weekdays={6}),
     "2026-11-21"),                                                                 # only Saturday open
    (Calendar(closure_days={d("2026-11-16") + timedelta(i) for i in range(5)}, closed_weekdays={5, 6}), None),
])
def test_weekly_due_day_moves_to_next_open_day(cal, due):
    s = status_at(MONDAY, cal, SH, [], at("2026-11-16 08:00"))
    if due is None:
        assert s.state == "not_planned"
        assert evaluate_range(MONDAY, cal, SH, [], d("2026-11-16"), d("2026-11-22")) == []
    else:
        assert s.due_date == d(due)
        assert s.state == ("due" if due == "2026-11-16" else "upcoming")
        assert s.deadline == at(f"{d(due) + timedelta(1)} 00:00")


def test_weekly_sunday_at_a_school_closed_at_weekends_is_due_friday():
    s = status_at(Schedule("weekly", weekday=6), WEEKENDS_OFF, SH, [], at("2026-11-16 08:00"))
    assert (s.state, s.due_date, s.deadline) == ("upcoming", d("2026-11-20"), at("2026-11-21 00:00"))


def test_iso_week_53_and_week_1():
    friday = Schedule("weekly", weekday=4)
    checks = [at("2027-01-01 10:00"), at("2027-01-01 11:00"), at("2027-01-09 10:00")]
    results = evaluate_range(friday, OPEN, SH, checks, d("2026-12-28"), d("2027-01-10"), at("2027-01-11 00:00"))
    assert [(r.period.key, r.outcome, r.check, r.due_date) for r in results] == [
        ("2026-W53", "done", checks[0], d("2027-01-01")),
        ("2027-W01", "late", checks[2], d("2027-01-08")),
    ]
    # New Year's Day closed at a school closed at weekends: due back on Thursday 31 December
    cal = Calendar(closure_days={d("2027-01-01")}, closed_weekdays={5, 6})
    s = status_at(friday, cal, SH, checks, at("2027-01-01 12:00"))
    assert (s.period.key, s.due_date, s.state, s.check) == ("2026-W53", d("2026-12-31"), "late", checks[0])


def test_weekly_with_window_any_day():
    gas = Schedule("weekly", window_start=time(14), window_end=time(16))
    checks = [at("2026-11-18 15:00")]
    assert status_at(gas, OPEN, SH, checks, at("2026-11-18 16:00")).state == "done"
    s = status_at(gas, OPEN, SH, [at("2026-11-18 17:00")], at("2026-11-18 18:00"))
    assert (s.state, s.deadline) == ("late", at("2026-11-22 16:00"))
    assert status_at(gas, OPEN, SH, [], at("2026-11-22 16:00")).state == "overdue"


def test_weekly_due_day_with_window():
    apparatus = Schedule("weekly", weekday=0, window_start=time(7), window_end=time(8))
    s = status_at(apparatus, OPEN, SH, [], at("2026-11-16 07:59"))
    assert (s.state, s.due_from, s.deadline) == ("due", at("2026-11-16 00:00"), at("2026-11-16 08:00"))
    assert status_at(apparatus, OPEN, SH, [], at("2026-11-16 08:00")).state == "overdue"
    assert status_at(apparatus, OPEN, SH, [at("2026-11-16 09:00")], at("2026-11-16 10:00")).state == "late"


# --- monthly -----------------------------------------------------------------------------------

@pytest.mark.parametrize("monthday, month, cal, due", [
    (1, "2026-11-15", OPEN, "2026-11-01"),
    (1, "2026-11-15", WEEKENDS_OFF, "2026-11-02"),     # 1 November 2026 is a Sunday
    (29, "2027-02-10", OPEN, "2027-02-28"),
    (30, "2027-02-10", OPEN, "2027-02-28"),
    (31, "2027-02-10", OPEN, "2027-02-28"),
    (29, "2028-02-10", OPEN, "2028-02-29"),
    (31, "2028-02-10", OPEN, "2028-02-29"),
    (31, "2026-04-10", OPEN, "2026-04-30"),
    (31, "2026-12-10", OPEN, "2026-12-31"),
    (31, "2027-02-10", WEEKENDS_OFF, "2027-02-26"),    # 28 Feb 2027 is a Sunday: back to Friday
    (29, "2028-02-10", WEEKENDS_OFF, "2028-02-29"),    # a Tuesday
])
def test_monthly_due_day(monthday, month, cal, due):
    plan = Planner(cal, SH)
    s = plan.status(Schedule("monthly", monthday=monthday), [], at(f"{month} 12:00"))
    assert s.due_date == d(due)
    assert s.deadline == at(f"{d(due) + timedelta(1)} 00:00")


@pytest.mark.parametrize("check, feb, mar", [
    ("2028-02-29 20:00", "done", "missed"),
    ("2028-02-29 23:59:59", "done", "missed"),
    ("2028-03-01 00:00", "missed", "done"),     # period end is exclusive
    ("2028-02-28 09:00", "done", "missed"),     # before the due day counts
])
def test_monthly_29_across_the_leap_day(check, feb, mar):
    s = Schedule("monthly", monthday=29)
    results = evaluate_range(s, OPEN, SH, [at(check)], d("2028-02-01"), d("2028-03-31"), at("2028-04-01 00:00"))
    assert [(r.period.key, r.outcome) for r in results] == [("2028-02", feb), ("2028-03", mar)]


def test_monthly_late_after_the_due_day_and_open_month():
    checks = [at("2026-11-05 10:00")]
    results = evaluate_range(FANS, OPEN, SH, checks, d("2026-10-01"), d("2026-12-31"), now=at("2026-12-01 10:00"))
    assert [(r.period.key, r.outcome) for r in results] == [("2026-10", "missed"), ("2026-11", "late"),
                                                             ("2026-12", "open")]
    s = status_at(FANS, OPEN, SH, checks, at("2026-12-01 10:00"))
    assert (s.state, s.previous.outcome) == ("due", "late")
    assert status_at(FANS, OPEN, SH, checks, at("2026-12-02 00:00")).state == "overdue"


def test_monthly_any_day_until_the_year_end():
    s = status_at(MONTHLY, OPEN, SH, [], at("2026-12-31 23:59"))
    assert (s.period.key, s.state, s.deadline) == ("2026-12", "due", at("2027-01-01 00:00"))
    s = status_at(MONTHLY, OPEN, SH, [at("2027-01-01 00:00")], at("2027-01-01 00:00"))
    assert (s.period.key, s.state, s.previous.outcome) == ("2027-01", "done", "missed")


def test_monthly_in_a_vacation_month_is_not_planned():
    cal = Calendar(terms=[(d("2026-09-01"), d("2027-01-22")), (d("2027-02-22"), d("2027-07-02"))])
    results = evaluate_range(FANS, cal, SH, [], d("2027-01-01"), d("2027-08-31"), at("2027-09-01 00:00"))
    assert [(r.period.key, r.due_date) for r in results] == [
        ("2027-01", d("2027-01-01")), ("2027-02", d("2027-02-22")), ("2027-03", d("2027-03-01")),
        ("2027-04", d("2027-04-01")), ("2027-05", d("2027-05-01")), ("2027-06", d("2027-06-01")),
        ("2027-07", d("2027-07-01"))]  # August: vacation, not planned


# --- Europe/Berlin daylight saving ----------------------------------------------------------------

def test_berlin_spring_forward_window_in_the_gap():
    s = Schedule("daily", window_start=time(2, 30), window_end=time(3, 30))
    day = d("2026-03-29")
    for local, fold, state in [("2026-03-29 01:45", 0, "done"),   # window widened back to 01:30 CET
                               ("2026-03-29 01:29", 0, "late"),
                               ("2026-03-29 03:15", 0, "done"),
                               ("2026-03-29 03:30", 0, "late")]:
        check = at(local, BER, fold)
        assert status_at(s, OPEN, BER, [check], at("2026-03-29 12:00", BER)).state == state, local
    r = evaluate_range(s, OPEN, BER, [], day, day, at("2026-03-29 03:00", BER))
    assert (r[0].outcome, r[0].deadline) == ("open", utc("2026-03-29 01:30"))


def test_berlin_fall_back_repeated_hour():
    s = Schedule("daily", window_start=time(2), window_end=time(3))
    # 02:00 CEST to 03:00 CET: two real hours
    assert window_bounds(s, d("2026-10-25"), BER) == (utc("2026-10-25 00:00"), utc("2026-10-25 02:00"))
    second = at("2026-10-25 02:30", BER, fold=1)
    assert second == utc("2026-10-25 01:30")
    st = status_at(s, OPEN, BER, [second], at("2026-10-25 12:00", BER))
    assert (st.period.key, st.state, hours(st.period)) == ("2026-10-25", "done", 25)


def test_berlin_evening_patrol_on_both_change_days():
    checks = [at("2026-03-29 18:00", BER), at("2026-10-25 19:29", BER), at("2026-10-26 19:30", BER)]
    results = evaluate_range(Schedule("daily", window_start=time(17, 30), window_end=time(19, 30)), OPEN, BER,
                             checks, d("2026-03-28"), d("2026-03-29"), at("2026-11-01 00:00", BER))
    assert [(r.period.key, r.outcome) for r in results] == [("2026-03-28", "missed"), ("2026-03-29", "done")]
    results = evaluate_range(Schedule("daily", window_start=time(17, 30), window_end=time(19, 30)), OPEN, BER,
                             checks, d("2026-10-25"), d("2026-10-26"), at("2026-11-01 00:00", BER))
    assert [(r.period.key, r.outcome) for r in results] == [("2026-10-25", "done"), ("2026-10-26", "late")]


def test_berlin_night_window_ending_in_the_gap():
    night = Schedule("daily", window_start=time(22), window_end=time(2, 30))
    p = period_of(night, BER, d("2026-03-29"))
    assert p.start == utc("2026-03-29 01:30")  # 02:30 does not exist: 03:30 CEST
    check = at("2026-03-29 03:20", BER)        # after 02:30 on the wall, before the boundary
    assert period_at(night, BER, check).key == "2026-03-28"
    st = status_at(night, OPEN, BER, [check], at("2026-03-29 03:25", BER))
    assert (st.period.key, st.state) == ("2026-03-28", "done")


def test_berlin_weekly_across_the_change():
    s = status_at(MONDAY, OPEN, BER, [at("2026-10-26 00:00", BER)], at("2026-10-26 00:00", BER))
    assert (s.period.key, s.state, s.previous.period.key, s.previous.outcome) == (
        "2026-W44", "done", "2026-W43", "missed")
    assert s.period.start == utc("2026-10-25 23:00")


# --- evaluate_range ----------------------------------------------------------------------------

def test_evaluate_range_week_of_daily_checks():
    checks = [at("2026-11-16 09:00"), at("2026-11-17 20:00"), at("2026-11-19 09:00"), at("2026-11-19 10:00")]
    evening = Schedule("daily", window_start=time(8), window_end=time(18))
    results = evaluate_range(evening, WEEKENDS_OFF, SH, checks, d("2026-11-16"), d("2026-11-22"),
                             now=at("2026-11-20 12:00"))
    assert [(r.period.key, r.outcome, r.check) for r in results] == [
        ("2026-11-16", "done", checks[0]),
        ("2026-11-17", "late", checks[1]),
        ("2026-11-18", "missed", None),
        ("2026-11-19", "done", checks[2]),   # two checks, counted once
        ("2026-11-20", "open", None),        # not over yet: not missed
    ]
    assert evaluate_range(evening, WEEKENDS_OFF, SH, checks, d("2026-11-16"), d("2026-11-22"))[-1].outcome == "missed"
    assert len(evaluate_range(Schedule("daily", runs_on_closure_days=True), WEEKENDS_OFF, SH, checks,
                              d("2026-11-16"), d("2026-11-22"))) == 7


def test_evaluate_range_partial_overlap_and_future():
    results = evaluate_range(WEEKLY, OPEN, SH, [], d("2026-11-18"), d("2026-11-18"), at("2026-11-18 12:00"))
    assert [(r.period.key, r.outcome) for r in results] == [("2026-W47", "open")]
    results = evaluate_range(MONTHLY, OPEN, SH, [at("2026-12-30 12:00")], d("2026-11-30"), d("2027-01-01"),
                             at("2026-12-15 00:00"))
    # the December check lies after now: not counted yet
    assert [(r.period.key, r.outcome) for r in results] == [("2026-11", "missed"), ("2026-12", "open"),
                                                             ("2027-01", "open")]


def test_schedule_from_a_row_and_zone_key():
    class Row:
        frequency, weekday, monthday = "daily", None, None
        window_start, window_end, runs_on_closure_days = time(17, 30), time(19, 30), 0
    assert Schedule.from_obj(Row) == EVENING
    s = status_at(EVENING, OPEN, "Asia/Shanghai", [at("2026-11-20 18:00")], at("2026-11-20 20:00"))
    assert (s.period.key, s.state) == ("2026-11-20", "done")


@pytest.mark.parametrize("schedule, now, since", [
    (DAILY, "2026-11-20 10:00", "2026-11-19 00:00"),
    (NIGHT, "2026-11-20 01:00", "2026-11-18 02:00"),
    (MONDAY, "2027-01-01 10:00", "2026-12-21 00:00"),
    (FANS, "2027-01-01 00:00", "2026-12-01 00:00"),
])
def test_checks_needed_since(schedule, now, since):
    assert checks_needed_since(schedule, SH, at(now)) == at(since)


def test_status_rejects_naive_now():
    with pytest.raises(ValueError, match="aware"):
        status_at(DAILY, OPEN, SH, [], datetime(2026, 11, 21, 9))


# --- the work list's fast path ------------------------------------------------------------------

def test_two_thousand_checkpoints_are_fast():
    schedules = [DAILY, EVENING, NIGHT, GATE, MONDAY, FANS, WEEKLY, MONTHLY]
    now = at("2026-11-20 18:00")
    base = at("2026-09-01 08:00")
    histories = [[base + timedelta(hours=7 * k + i) for k in range(300)] for i in range(2000)]
    status_at(DAILY, TERM_CAL, SH, [], now)
    started = _clock.perf_counter()
    states = [status_at(schedules[i % 8], TERM_CAL, SH, histories[i], now).state for i in range(2000)]
    elapsed = _clock.perf_counter() - started
    assert len(states) == 2000 and set(states) <= {"done", "late", "due", "overdue", "upcoming", "not_planned"}
    assert elapsed < 0.3, f"{elapsed * 1000:.0f} ms for 2000 checkpoints"
