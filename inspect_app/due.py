"""What is due: the database side of schedule.py. The work list, rounds, the API and the
weekly summary all ask this module, so their numbers agree.

Rules (on top of schedule.py's):
- Only checkpoints in service are due; a checkpoint without any schedule never is.
- A period whose deadline passed before the checkpoint was created, and that has no check,
  is not planned for it (a new checkpoint is never "missed" before it existed). Checkpoints
  created "after now" (a clock set back) are judged as if they always existed; new rows get
  their created_at from the same patchable clock (see _stamp_created_at).
- A correction (a check with ``corrects``) is not a new visit: the corrected check already
  counted at its own observed_at.
- Times: every function takes ``now`` explicitly; views call ``now()`` below, which reads
  ``inspect_app.models.utcnow`` at call time (tests freeze the clock by monkeypatching it).

Whose work ("mine", see ``is_for``): a checkpoint is for a person if
  1. they are its responsible person, or
  2. it is on an active round assigned to them, or on an active round with nobody assigned
     and they are a guard, or
  3. by role: daily checks for guards, weekly and monthly checks for staff, unless another
     person of the same role is responsible for it.
Admins' "mine" is everything; anyone may ask for everything due (``everything=True``).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import String, and_, event, or_, type_coerce

from . import models
from . import schedule as sched
from .extensions import db
from .models import (DEFAULT_CLOSED_WEEKDAYS, CalendarDay, Check, Checkpoint, Kind, Location,
                     Round, RoundGuard, RoundStop, SchoolSetting, Term, User)
from .models import Schedule as ScheduleRow

OPEN_STATES = ("overdue", "due", "upcoming")
DONE_STATES = ("done", "late")
STATE_ORDER = {"overdue": 0, "due": 1, "upcoming": 2, "late": 3, "done": 4, "missed": 5}
_TICK = timedelta(microseconds=1)


def now():
    """The current instant (UTC). The one clock of the due views; monkeypatch
    inspect_app.models.utcnow (or this function) to freeze it."""
    return models.utcnow()


def school_tz():
    """The school's time zone (INSPECT_TIMEZONE)."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def closed_weekdays():
    """The weekdays the school is closed (0 = Monday); Saturday and Sunday unless set."""
    setting = db.session.get(SchoolSetting, "closed_weekdays")
    if setting is None or not isinstance(setting.value, list):
        return frozenset(DEFAULT_CLOSED_WEEKDAYS)
    return frozenset(int(d) for d in setting.value if str(d).isdigit() and int(d) in range(7))


def school_calendar():
    """The school calendar from the database, as schedule.Calendar."""
    terms = db.session.execute(db.select(Term.first_date, Term.last_date)).all()
    closed, opened = set(), set()
    for day, kind in db.session.execute(db.select(CalendarDay.day, CalendarDay.kind)):
        (opened if kind == "open" else closed).add(day)
    return sched.Calendar(terms=tuple((a, b) for a, b in terms), closure_days=frozenset(closed),
                          closed_weekdays=closed_weekdays(), open_days=frozenset(opened))


def local_today(instant, tz=None):
    """The local date of an instant in the school's zone."""
    return instant.astimezone(tz or school_tz()).date()


@dataclass
class DueItem:
    """One checkpoint's place in its current (or asked-for) period."""

    id: int
    code: str
    name: str
    kind_key: str
    kind_names: dict
    location: str
    responsible_id: int | None
    schedule: sched.Schedule
    status: sched.Status
    state: str  # a schedule.STATES value, or 'missed' for an ended period asked for by date
    previous_outcome: str
    rounds: tuple = ()

    @property
    def area(self):
        """Campus and building: 北校区/启慧楼."""
        return "/".join(self.location.split("/")[:2])

    @property
    def spelling(self):
        return sched.format_schedule(self.schedule)


@dataclass
class Context:
    """What is_for() needs besides the item: rounds' assigned people, users' roles."""

    round_names: dict = field(default_factory=dict)  # round id -> name
    round_guards: dict = field(default_factory=dict)  # round id -> set of user ids
    roles: dict = field(default_factory=dict)  # user id -> role


def _schedules():
    """{('kind' | 'cp', id): schedule.Schedule} for every stored schedule row."""
    out, cache = {}, {}
    for row in db.session.scalars(db.select(ScheduleRow)):
        key = (row.frequency, row.weekday, row.monthday, row.window_start, row.window_end,
               bool(row.runs_on_closure_days))
        if key not in cache:
            cache[key] = sched.Schedule.from_obj(row)
        out[("kind", row.kind_id) if row.kind_id else ("cp", row.checkpoint_id)] = cache[key]
    return out


def _checkpoints(checkpoint_ids=None):
    query = (db.select(Checkpoint.id, Checkpoint.code, Checkpoint.name, Checkpoint.kind_id,
                       Location.path, Checkpoint.responsible_id, Checkpoint.created_at)
             .join(Location, Location.id == Checkpoint.location_id)
             .where(Checkpoint.status == "in_service"))
    if checkpoint_ids is not None:
        query = query.where(Checkpoint.id.in_(list(checkpoint_ids)))
    return db.session.execute(query).all()


def load_checks(since_groups, until):
    """Observed instants of original checks (not corrections), ONE query, grouped by checkpoint.

    since_groups: {since instant: [checkpoint ids]}; returns {checkpoint id: [instants, sorted]}.
    """
    found = defaultdict(list)
    if not since_groups:
        return found
    terms = [and_(Check.checkpoint_id.in_(ids), Check.observed_at >= since)
             for since, ids in since_groups.items() if ids]
    # Corrections are dropped here, not in SQL: "corrects_id IS NULL" would lure SQLite onto
    # the corrects_id index (a scan of every check) instead of (checkpoint_id, observed_at).
    # observed_at is read raw and parsed with fromisoformat: several times faster than the
    # column type's own conversion, which matters at a year of checks (bench/bench_due.py).
    query = (db.select(Check.checkpoint_id, type_coerce(Check.observed_at, String),
                       Check.corrects_id)
             .where(Check.observed_at <= until, or_(*terms))
             .order_by(Check.checkpoint_id, Check.observed_at))
    parse, utc = datetime.fromisoformat, sched.UTC
    # Core, not the ORM session: its row handling costs more than SQLite takes to answer.
    for cp_id, observed, corrects in db.session.connection().execute(query):
        if corrects is not None:
            continue
        if isinstance(observed, str):  # SQLite: naive UTC text, as UTCDateTime stores it
            found[cp_id].append(parse(observed + "+00:00"))  # aware in one step: 7x faster
        else:
            found[cp_id].append(observed.replace(tzinfo=utc) if observed.tzinfo is None
                                else observed.astimezone(utc))
    return found


def round_map():
    """({checkpoint id: (round ids...)}, Context) for the active rounds."""
    stops = db.session.execute(
        db.select(RoundStop.checkpoint_id, Round.id, Round.name).join(Round)
        .where(Round.active.is_(True)).order_by(Round.name, RoundStop.position)).all()
    by_cp, names = defaultdict(list), {}
    for cp_id, round_id, name in stops:
        by_cp[cp_id].append(round_id)
        names[round_id] = name
    guards = defaultdict(set)
    for round_id, user_id in db.session.execute(db.select(RoundGuard.round_id, RoundGuard.user_id)):
        guards[round_id].add(user_id)
    roles = dict(db.session.execute(db.select(User.id, User.role)).all())
    return {k: tuple(v) for k, v in by_cp.items()}, Context(names, guards, roles)


def load_due(at, *, on=None, checkpoint_ids=None, rounds=None, keep=None):
    """Every in-service checkpoint's DueItem at instant `at` (aware); with `keep`, only those
    for which keep(responsible_id, round ids, schedule) is true (decided before any check is
    loaded, so a person's own list costs only their checkpoints).

    With `on` (a local date) each checkpoint is judged in its period containing that date:
    as of `at` if the period is running, as of its end if it is over (not done -> 'missed'),
    as of its start if it lies ahead. Not planned periods are left out.
    """
    tz = school_tz()
    planner = sched.planner(school_calendar(), tz)
    schedules = _schedules()
    kinds = {k.id: (k.key, k.names) for k in db.session.scalars(db.select(Kind))}
    rounds = rounds if rounds is not None else round_map()[0]
    plans, groups, since_cache = [], defaultdict(list), {}
    for row in _checkpoints(checkpoint_ids):
        schedule = schedules.get(("cp", row.id)) or schedules.get(("kind", row.kind_id))
        if schedule is None:
            continue
        if keep is not None and not keep(row.responsible_id, rounds.get(row.id, ()), schedule):
            continue
        instant = at
        if on is not None:
            period = planner.period_of(schedule, on)
            instant = min(max(at, period.start), period.end - _TICK)
        since = since_cache.get((schedule, instant))
        if since is None:
            since = since_cache[(schedule, instant)] = sched.checks_needed_since(schedule, tz, instant)
        groups[since].append(row.id)
        plans.append((row, schedule, instant))
    checks = load_checks(groups, at)  # never a check after now, whatever date is asked
    items = []
    for row, schedule, instant in plans:
        status = planner.status(schedule, checks.get(row.id, ()), instant)
        state, previous = status.state, status.previous.outcome
        if _before_creation(row.created_at, status.deadline, at) and state not in DONE_STATES:
            state = "not_planned"
        if _before_creation(row.created_at, status.previous.deadline, at) and previous == "missed":
            previous = "not_planned"
        if state == "not_planned":
            continue
        if instant < at and state in OPEN_STATES:
            state = "missed"  # asked for a date whose period is over
        key, names = kinds[row.kind_id]
        items.append(DueItem(row.id, row.code, row.name, key, names, row.path,
                             row.responsible_id, schedule, status, state, previous,
                             rounds.get(row.id, ())))
    return items


def _before_creation(created_at, deadline, at):
    """Whether a period's deadline passed before the checkpoint existed. A created_at after
    `at` (a clock set back: tests, a restored backup) does not count."""
    return deadline is not None and created_at is not None and deadline <= created_at <= at


def is_for(item, user, ctx):
    """Whether a due item is this person's work (the rule is in the module docstring)."""
    return is_mine(item.responsible_id, item.rounds, item.schedule, user, ctx)


def is_mine(responsible_id, round_ids, schedule, user, ctx):
    """is_for() on the parts of a checkpoint known before its checks are loaded."""
    if user.role == "admin" or responsible_id == user.id:
        return True
    for round_id in round_ids:
        guards = ctx.round_guards.get(round_id)
        if (guards and user.id in guards) or (not guards and user.role == "guard"):
            return True
    share = {"guard": ("daily",), "staff": ("weekly", "monthly")}.get(user.role, ())
    if schedule.frequency not in share:
        return False
    return responsible_id is None or ctx.roles.get(responsible_id) != user.role


def keep_mine(user, ctx):
    """A load_due `keep` filter for this person's own work."""
    person = Person(user.id, user.role)  # a plain copy: current_user is a slow proxy
    return lambda responsible_id, round_ids, schedule: is_mine(
        responsible_id, round_ids, schedule, person, ctx)


@dataclass(frozen=True)
class Person:
    """The two things is_for() asks about a user."""

    id: int
    role: str


@dataclass
class WorkList:
    """The due items for a person, sorted overdue first, with progress."""

    items: list
    at: datetime
    day: date
    everything: bool
    ctx: Context

    @property
    def done(self):
        return sum(1 for i in self.items if i.state in DONE_STATES)

    @property
    def total(self):
        """Planned items that count for progress (upcoming ones are not due yet)."""
        return sum(1 for i in self.items if i.state != "upcoming")

    @property
    def overdue(self):
        return sum(1 for i in self.items if i.state in ("overdue", "missed"))

    def groups(self):
        """[(title, is_round, items, done, planned)], groups with overdue work first, items
        overdue first; done and planned count as `done` and `total` do for the whole list."""
        buckets = defaultdict(list)
        for item in self.items:
            if item.rounds:
                buckets[(True, self.ctx.round_names.get(item.rounds[0], ""))].append(item)
            else:
                buckets[(False, item.area)].append(item)
        out = [(title, is_round, sorted(items, key=sort_key),
                sum(1 for i in items if i.state in DONE_STATES),
                sum(1 for i in items if i.state != "upcoming"))
               for (is_round, title), items in buckets.items()]
        out.sort(key=lambda g: (min(STATE_ORDER[i.state] for i in g[2]), not g[1], g[0]))
        return out


def sort_key(item):
    """Overdue, then due (soonest deadline first), upcoming, late, done."""
    deadline = item.status.deadline or item.status.period.end
    return (STATE_ORDER[item.state], deadline, item.location, item.name)


def work_for(user, at, *, everything=False, on=None):
    """The WorkList of `user` at `at` (everything due with everything=True)."""
    rounds, ctx = round_map()
    items = load_due(at, on=on, rounds=rounds, keep=None if everything else keep_mine(user, ctx))
    items.sort(key=sort_key)
    return WorkList(items, at, on or local_today(at), everything, ctx)


def outcomes(first_date, last_date, at, *, checkpoint_ids=None):
    """{checkpoint id: [schedule.PeriodResult]} for planned periods overlapping the dates,
    judged at `at` (open periods stay 'open'), leaving out periods before creation. ONE
    query for the checks. For the weekly summary and term statistics."""
    tz = school_tz()
    planner = sched.planner(school_calendar(), tz)
    schedules = _schedules()
    plans, groups = [], defaultdict(list)
    for row in _checkpoints(checkpoint_ids):
        schedule = schedules.get(("cp", row.id)) or schedules.get(("kind", row.kind_id))
        if schedule is None:
            continue
        groups[planner.period_of(schedule, first_date).start].append(row.id)
        plans.append((row, schedule))
    checks = load_checks(groups, at)
    result = {}
    for row, schedule in plans:
        found = planner.evaluate(schedule, checks.get(row.id, ()), first_date, last_date, at)
        result[row.id] = [r for r in found if r.outcome != "missed"
                          or not _before_creation(row.created_at, r.deadline, at)]
    return result


@event.listens_for(Checkpoint, "before_insert")
def _stamp_created_at(mapper, connection, target):
    """A new checkpoint's created_at comes from now(), so a frozen test clock applies to it."""
    if target.created_at is None:
        target.created_at = now()
