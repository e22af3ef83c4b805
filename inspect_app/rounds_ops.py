"""Rounds: save a round, start and finish a run, and where a run stands. Views and the API
call these; they flush, the caller commits.

A check counts for a run if its checkpoint is on the round and it was observed within the
run (started_at .. finished_at, or now while it runs); the first such check of each point is
the visit. Points may be scanned in any order: a visit that skips the next point in the
round's order is logged as out of order, never refused. A visit outside the round's window
on the run's date is 'late'. When the run has finished, points not visited are missed.
"""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from . import codes
from . import schedule as sched
from .due import school_tz
from .extensions import db
from .models import Check, Checkpoint, Round, RoundGuard, RoundRun, RoundStop, RoundVisit, User
from .operations import ValidationFailed

MAX_STOPS = 300


class RunRefused(Exception):
    """Starting or finishing a run was refused; str() says why, for people."""


@dataclass
class StopState:
    """One stop of a run: visited (with its check time), in order, in the window."""

    stop: RoundStop
    visited_at: datetime | None = None
    sequence: int | None = None
    in_order: bool = True
    in_window: bool = True
    check_id: object = None


@dataclass
class RunProgress:
    """Where a run stands at an instant."""

    run: RoundRun
    stops: list = field(default_factory=list)
    finished: bool = False

    @property
    def visited(self):
        return [s for s in self.stops if s.visited_at]

    @property
    def missed(self):
        return [s for s in self.stops if not s.visited_at] if self.finished else []

    @property
    def out_of_order(self):
        return [s for s in self.stops if s.visited_at and not s.in_order]

    @property
    def next_stop(self):
        return next((s for s in self.stops if not s.visited_at), None)


def round_window_bounds(rnd, run_date):
    """UTC [start, end) of the round's window on a local date (the whole day without one)."""
    window = (rnd.window_start, rnd.window_end) if rnd.window_start else None
    return sched.window_bounds(window, run_date, school_tz())


def run_date_for(rnd, at):
    """The local date whose window `at` belongs to (a window past midnight: the day before)."""
    tz = school_tz()
    today = at.astimezone(tz).date()
    if rnd.window_start and rnd.window_end < rnd.window_start:
        _start, end = round_window_bounds(rnd, today - timedelta(days=1))
        if at < end:
            return today - timedelta(days=1)
    return today


def runs_on(rnd, day, calendar):
    """Whether the round is planned on a local date (its weekdays, and the calendar)."""
    if day.weekday() not in (rnd.weekdays or []):
        return False
    return rnd.runs_on_closure_days or calendar.is_open(day)


def may_walk(user, rnd):
    """Assigned people walk a round; a round nobody is assigned to, anyone who checks."""
    if user.role == "admin":
        return True
    ids = {g.id for g in rnd.guards}
    return user.id in ids if ids else user.role in ("guard", "staff")


def active_run(user, rnd=None):
    """The user's run that has not finished (of this round, if given), or None."""
    query = db.select(RoundRun).where(RoundRun.user_id == user.id, RoundRun.finished_at.is_(None))
    if rnd is not None:
        query = query.where(RoundRun.round_id == rnd.id)
    return db.session.scalars(query.order_by(RoundRun.started_at.desc())).first()


def start_run(user, rnd, at):
    """Start a run of the round now. Returns (run, created); a run of the same round already
    going is returned as it is. Raises RunRefused for another running round or no stops."""
    current = active_run(user)
    if current is not None and current.round_id == rnd.id:
        return current, False
    if current is not None:
        raise RunRefused(_l("Finish %(name)s first.", name=current.round.name))
    if not rnd.active:
        raise RunRefused(_l("This round is no longer in use."))
    if not rnd.stops:
        raise RunRefused(_l("This round has no checkpoints yet."))
    if not may_walk(user, rnd):
        raise RunRefused(_l("This round is assigned to other guards."))
    run = RoundRun(round_id=rnd.id, user_id=user.id, run_date=run_date_for(rnd, at),
                   started_at=at, stop_count=len(rnd.stops))
    db.session.add(run)
    db.session.flush()
    return run, True


def progress(run, at):
    """The RunProgress of a run at instant `at` (one query for the checks)."""
    stops = list(run.round.stops)
    until = run.finished_at or at
    window = round_window_bounds(run.round, run.run_date)
    state = {s.checkpoint_id: StopState(s) for s in stops}
    checks = db.session.execute(
        db.select(Check.id, Check.checkpoint_id, Check.observed_at)
        .where(Check.checkpoint_id.in_(list(state)), Check.corrects_id.is_(None),
               Check.observed_at >= run.started_at, Check.observed_at <= until)
        .order_by(Check.observed_at)).all() if state else []
    sequence = 0
    for check_id, cp_id, observed in checks:
        st = state[cp_id]
        if st.visited_at is not None:
            continue
        expected = next(s for s in stops if state[s.checkpoint_id].visited_at is None)
        sequence += 1
        st.visited_at, st.sequence, st.check_id = observed, sequence, check_id
        st.in_order = expected.checkpoint_id == cp_id
        st.in_window = window[0] <= observed < window[1]
    return RunProgress(run, [state[s.checkpoint_id] for s in stops], run.finished_at is not None)


def record_visits(run, prog):
    """Store the run's visits and counts (RoundVisit rows), replacing earlier ones."""
    for visit in list(run.visits):
        run.visits.remove(visit)
    db.session.flush()
    for st in prog.visited:
        run.visits.append(RoundVisit(check_id=st.check_id, checkpoint_id=st.stop.checkpoint_id,
                                     observed_at=st.visited_at, sequence=st.sequence,
                                     in_order=st.in_order, in_window=st.in_window))
    run.stop_count = len(prog.stops)
    run.visited_count = len(prog.visited)
    run.missed_count = len(prog.stops) - len(prog.visited)
    run.out_of_order_count = len(prog.out_of_order)
    db.session.flush()


def finish_run(user, run, at):
    """Finish a run (its walker or an admin). Returns (progress, changed); finishing twice
    changes nothing."""
    if run.user_id != user.id and user.role != "admin":
        raise RunRefused(_l("Only the person walking this round can finish it."))
    if run.finished_at is not None:
        return refresh(run, at), False
    run.finished_at = max(at, run.started_at)
    prog = progress(run, at)
    record_visits(run, prog)
    return prog, True


def refresh(run, at):
    """Progress of a run; for a finished run, checks that arrived late (offline replays
    observed within the run) are recorded too."""
    prog = progress(run, at)
    if run.finished_at is not None and run.visited_count != len(prog.visited):
        record_visits(run, prog)
    return prog


def parse_time(text, field_name, errors):
    """'17:30' -> time, '' -> None; records an error for bad text."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        errors[field_name] = _l("Use HH:MM, e.g. 17:30.")
        return None


def save_round(rnd, *, name, window_start, window_end, weekdays, runs_on_closure_days,
               stop_codes, guard_ids):
    """Create (rnd=None) or update a round from form values. Raises ValidationFailed."""
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = _l("Give the round a name of at most 100 characters.")
    start = parse_time(window_start, "window_start", errors)
    end = parse_time(window_end, "window_end", errors)
    if "window_start" not in errors and "window_end" not in errors:
        if (start is None) != (end is None):
            errors["window_end"] = _l("Give both a start and an end, or neither.")
        elif start is not None and start == end:
            errors["window_end"] = _l("The window cannot end when it starts.")
    days = sorted({int(d) for d in weekdays if str(d).isdigit() and int(d) in range(7)})
    if not days:
        errors["weekdays"] = _l("Pick at least one day.")
    checkpoints, unknown = [], []
    for line in stop_codes:
        token = line.strip().split()[0] if line.strip() else ""
        if not token:
            continue
        cp = db.session.execute(db.select(Checkpoint).where(
            Checkpoint.code == codes.normalize(token))).scalar_one_or_none()
        if cp is None or cp.status == "retired":
            unknown.append(token)
        elif cp not in checkpoints:
            checkpoints.append(cp)
    if unknown:
        errors["stops"] = _l("Unknown codes: %(codes)s", codes=", ".join(unknown[:10]))
    elif not checkpoints:
        errors["stops"] = _l("List at least one checkpoint code.")
    elif len(checkpoints) > MAX_STOPS:
        errors["stops"] = _l("At most %(n)d checkpoints.", n=MAX_STOPS)
    guards = [db.session.get(User, int(g)) for g in guard_ids if str(g).isdigit()]
    guards = [g for g in guards if g is not None and g.role in ("guard", "staff", "admin")]
    if errors:
        raise ValidationFailed(errors)
    if rnd is None:
        rnd = Round()
        db.session.add(rnd)
    rnd.name, rnd.window_start, rnd.window_end = name, start, end
    rnd.weekdays, rnd.runs_on_closure_days, rnd.active = days, bool(runs_on_closure_days), True
    existing = {s.checkpoint_id: s for s in rnd.stops}
    keep = []
    for position, cp in enumerate(checkpoints):
        stop = existing.pop(cp.id, None) or RoundStop(checkpoint_id=cp.id)
        stop.position = position
        keep.append(stop)
    rnd.stops = keep
    db.session.flush()
    db.session.execute(db.delete(RoundGuard).where(RoundGuard.round_id == rnd.id))
    for guard in guards:
        db.session.add(RoundGuard(round_id=rnd.id, user_id=guard.id))
    db.session.flush()
    db.session.expire(rnd, ["guards"])
    return rnd
