"""Keeping the figures of ended weeks, per process, while nothing they come from changed.

An ended week's summary is a function of: the checks observed in it (and in its months and
the trend weeks), the checkpoints and their schedules, kinds, places and people, the calendar,
the repairs' timelines, the rounds' runs, and today's date (month progress). Checks, repair
steps and round visits are append-only, so counts and highest ids of those tables say whether
anything was added; the small tables are hashed whole. The key is checked on every request
(a few index-only queries), so a cached figure is always the one a fresh count would give.
"""
import hashlib
import uuid
from datetime import timedelta

from sqlalchemy import func

from . import due, stats
from .extensions import db
from .models import (Check, ChecklistItem, Checkpoint, Kind, Location, Repair, RepairEvent, Round,
                     RoundRun, RoundVisit, User)
from .models import Schedule as ScheduleRow

_WEEKS = {}  # (database, monday) -> (key, WeekData)
_PAST = {}  # (database, monday) -> (key, counts) for the trend's earlier weeks
_MAX = 200


def _database():
    return str(db.engine.url)


def _rows_hash(*columns, order):
    rows = db.session.execute(db.select(*columns).order_by(order))
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


def plan_fingerprint():
    """What decides which periods are planned, and how they are named and grouped."""
    return (
        _rows_hash(Checkpoint.id, Checkpoint.code, Checkpoint.name, Checkpoint.kind_id,
                   Checkpoint.location_id, Checkpoint.responsible_id, Checkpoint.status,
                   Checkpoint.created_at, order=Checkpoint.id),
        _rows_hash(ScheduleRow.kind_id, ScheduleRow.checkpoint_id, ScheduleRow.frequency,
                   ScheduleRow.weekday, ScheduleRow.monthday, ScheduleRow.window_start,
                   ScheduleRow.window_end, ScheduleRow.runs_on_closure_days, order=ScheduleRow.id),
        _rows_hash(Kind.id, Kind.key, Kind.names, order=Kind.id),
        _rows_hash(Location.id, Location.path, order=Location.id),
        _rows_hash(User.id, User.username, User.display_name, order=User.id),
        _rows_hash(ChecklistItem.id, ChecklistItem.key, ChecklistItem.labels,
                   order=ChecklistItem.id),
        due.school_calendar(), str(due.school_tz()))


def _check_counts(ranges, users):
    """Checks observed in each [a, b) range (index-only counts), and all corrections."""
    counts = [db.session.scalar(db.select(func.count()).select_from(Check).where(
        Check.user_id.in_(users), Check.observed_at >= a, Check.observed_at < b))
        for a, b in ranges]
    # A range on corrects_id (not IS NOT NULL) lets SQLite read the few corrections by index.
    corrections = db.session.execute(db.select(func.count(), func.max(Check.received_at)).where(
        Check.corrects_id >= uuid.UUID(int=0))).one()
    return tuple(counts), tuple(corrections)


def _activity(monday):
    repairs = db.session.execute(db.select(func.count(Repair.id), func.max(Repair.id))).one()
    events = db.session.execute(db.select(func.count(RepairEvent.id),
                                          func.max(RepairEvent.id))).one()
    runs = db.session.execute(db.select(
        func.count(RoundRun.id), func.max(RoundRun.id), func.count(RoundRun.finished_at),
        func.sum(RoundRun.missed_count)).where(RoundRun.run_date >= monday,
                                               RoundRun.run_date <= monday + timedelta(days=6))).one()
    visits = db.session.scalar(db.select(func.max(RoundVisit.id)))
    rounds = _rows_hash(Round.id, Round.name, Round.window_start, Round.window_end, order=Round.id)
    return tuple(repairs), tuple(events), tuple(runs), visits, rounds


def prepare(monday, at, tz, users):
    """(the key of the week's figures, {earlier trend monday: counts}).

    The trend's earlier weeks come from the cache while their own checks and the plan are
    unchanged, and are computed with due.outcomes otherwise."""
    mondays = stats.trend_mondays(monday)
    weeks = [(stats.local_start(m, tz) - timedelta(days=1),
              stats.local_start(m + timedelta(days=8), tz)) for m in mondays]
    sunday = monday + timedelta(days=6)
    month_first = monday.replace(day=1)
    month_next = (sunday.replace(day=1) + timedelta(days=32)).replace(day=1)
    months = (stats.local_start(month_first, tz) - timedelta(days=1),
              stats.local_start(month_next, tz) + timedelta(days=1))
    counts, corrections = _check_counts(weeks + [months], users)
    # due.outcomes ignores a creation time later than `at` (a clock set back): part of the plan.
    newest = db.session.scalar(db.select(func.max(Checkpoint.created_at)))
    plan = (plan_fingerprint(), newest is None or newest <= at)
    database = _database()
    keys = {m: (plan, n, corrections) for m, n in zip(mondays[:-1], counts)}
    _trim(_PAST)
    stale = [m for m, key in keys.items()
             if _PAST.get((database, m)) is None or _PAST[(database, m)][0] != key]
    if stale:
        # One pass over the checks of every stale week: week by week, the checks of the
        # months they share would be read again for each.
        found = due.outcomes(min(stale), max(stale) + timedelta(days=6), at)
        for m in stale:
            _PAST[(database, m)] = (keys[m], stats.week_counts(found, m))
    past = {m: dict(_PAST[(database, m)][1]) for m in keys}
    key = (plan, counts, corrections, _activity(monday), due.local_today(at, tz))
    return key, past


def get_week(monday, key):
    """The cached WeekData of an ended week if its key still holds, else None."""
    cached = _WEEKS.get((_database(), monday))
    return cached[1] if cached is not None and cached[0] == key else None


def put_week(monday, key, data):
    """Keep an ended week's WeekData under its key."""
    _trim(_WEEKS)
    _WEEKS[(_database(), monday)] = (key, data)


def _trim(cache):
    if len(cache) >= _MAX:
        cache.clear()
