"""The manager's writes: schedules of kinds and checkpoints, and the school calendar.
They flush, the caller commits; bad input raises operations.ValidationFailed."""
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from . import schedule as sched
from .extensions import db
from .models import CalendarDay, Schedule, SchoolSetting, Term
from .operations import ValidationFailed
from .rounds_ops import parse_time

MAX_RANGE_DAYS = 366


def read_schedule(form):
    """A schedule.Schedule from form fields (frequency, weekday, monthday, window_start,
    window_end, runs_on_closure_days). Raises ValidationFailed naming each bad field."""
    errors = {}
    frequency = (form.get("frequency") or "").strip()
    if frequency not in sched.FREQUENCIES:
        errors["frequency"] = _l("Choose daily, weekly or monthly.")
    weekday = monthday = None
    raw_weekday, raw_monthday = (form.get("weekday") or "").strip(), (form.get("monthday") or "").strip()
    if frequency == "weekly" and raw_weekday:
        if raw_weekday.isdigit() and int(raw_weekday) in range(7):
            weekday = int(raw_weekday)
        else:
            errors["weekday"] = _l("Choose a day of the week.")
    if frequency == "monthly" and raw_monthday:
        if raw_monthday.isdigit() and 1 <= int(raw_monthday) <= 31:
            monthday = int(raw_monthday)
        else:
            errors["monthday"] = _l("A day of the month from 1 to 31.")
    start = parse_time(form.get("window_start"), "window_start", errors)
    end = parse_time(form.get("window_end"), "window_end", errors)
    if "window_start" not in errors and "window_end" not in errors:
        if (start is None) != (end is None):
            errors["window_end"] = _l("Give both a start and an end, or neither.")
        elif start is not None and start == end:
            errors["window_end"] = _l("The window cannot end when it starts.")
    if errors:
        raise ValidationFailed(errors)
    return sched.Schedule(frequency, weekday, monthday, start, end,
                          bool(form.get("runs_on_closure_days")))


def set_schedule(row_filter, schedule):
    """Store a schedule for a kind (kind_id=...) or a checkpoint (checkpoint_id=...)."""
    row = db.session.execute(db.select(Schedule).filter_by(**row_filter)).scalar_one_or_none()
    if row is None:
        row = Schedule(**row_filter)
        db.session.add(row)
    row.frequency, row.weekday, row.monthday = schedule.frequency, schedule.weekday, schedule.monthday
    row.window_start, row.window_end = schedule.window_start, schedule.window_end
    row.runs_on_closure_days = schedule.runs_on_closure_days
    db.session.flush()
    return row


def clear_override(checkpoint):
    """Let the checkpoint follow its kind's schedule again. True if there was an override."""
    row = db.session.execute(
        db.select(Schedule).where(Schedule.checkpoint_id == checkpoint.id)).scalar_one_or_none()
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def parse_date(text, field_name, errors):
    """'2026-09-01' -> date; records an error for missing or bad text."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        errors[field_name] = _l("Give a date, e.g. 2026-09-01.")
        return None


def add_term(name, first_text, last_text):
    """Add a term (name, first and last day). Raises ValidationFailed."""
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["term_name"] = _l("Give the term a name of at most 100 characters.")
    first = parse_date(first_text, "first_date", errors)
    last = parse_date(last_text, "last_date", errors)
    if first and last and last < first:
        errors["last_date"] = _l("The last day comes before the first.")
    if errors:
        raise ValidationFailed(errors)
    term = Term(name=name, first_date=first, last_date=last)
    db.session.add(term)
    db.session.flush()
    return term


def add_days(kind, name, first_text, last_text=""):
    """Mark one day or a range as closed (a holiday) or open (a make-up working day, 调休).
    Days already marked take the new kind and name. Returns the number of days."""
    errors = {}
    if kind not in ("closed", "open"):
        errors["kind"] = _l("Choose closed or make-up working day.")
    name = (name or "").strip()
    if len(name) > 100:
        errors["day_name"] = _l("At most 100 characters.")
    first = parse_date(first_text, "day_first", errors)
    last = first
    if (last_text or "").strip():
        last = parse_date(last_text, "day_last", errors)
    if first and last:
        if last < first:
            errors["day_last"] = _l("The last day comes before the first.")
        elif (last - first).days >= MAX_RANGE_DAYS:
            errors["day_last"] = _l("At most a year at a time.")
    if errors:
        raise ValidationFailed(errors)
    existing = {d.day: d for d in db.session.scalars(
        db.select(CalendarDay).where(CalendarDay.day.between(first, last)))}
    day, count = first, 0
    while day <= last:
        row = existing.get(day) or CalendarDay(day=day)
        row.kind, row.name = kind, name
        db.session.add(row)
        day += timedelta(days=1)
        count += 1
    db.session.flush()
    return count


def set_closed_weekdays(days):
    """Store the weekdays the school is closed (0 = Monday), e.g. [5, 6]."""
    values = sorted({int(d) for d in days if str(d).isdigit() and int(d) in range(7)})
    setting = db.session.get(SchoolSetting, "closed_weekdays")
    if setting is None:
        setting = SchoolSetting(key="closed_weekdays")
        db.session.add(setting)
    setting.value = values
    db.session.flush()
    return values
