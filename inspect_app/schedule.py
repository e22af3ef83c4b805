"""What is due and when: periods, plans and outcomes of checkpoint schedules.

Pure (stdlib only, no Flask, no database). Every screen that counts planned,
done, late or missed checks asks this module, so the numbers agree everywhere.

Rules
-----
Calendar
    A day is *open* if it is an explicit open day (调休 make-up working day), or
    if it lies in a term (or no terms are defined), its weekday is not in
    ``closed_weekdays`` and it is not a closure day. A schedule that
    ``runs_on_closure_days`` (gate, perimeter) treats every day as open.
Periods (in the school's time zone, start inclusive, end exclusive)
    daily: a local calendar day (23 or 25 hours on DST change days), key
    '2026-11-21'; weekly: ISO week Monday-Sunday, key '2026-W53'; monthly: a
    calendar month, key '2026-02'. If a schedule's window crosses midnight
    (22:00-02:00), its days, weeks and months begin at the window's end time
    instead of midnight: the night D 22:00 -> D+1 02:00 lies wholly in day D
    (key and dates: D), a check at 01:00 on D+1 counts for D, one at 01:00 on
    D counts for D-1.
Planned
    daily: the day is open; weekly/monthly: the period has an open day. A period
    that is not planned is never missed and evaluate_range() leaves it out.
Due day
    daily: the day. weekly:<weekday> / monthly:<n>: that day (monthly:29..31 in
    a shorter month: its last day); if closed, the next open day of the period,
    or if none follows, the last open day before it. Plain weekly/monthly: any
    day of the period, due by its end.
On time, late
    A check counts once, for the period that contains its observed_at. It is on
    time if it falls on or before the due day and, when the schedule has a
    window, inside the window of its own day; otherwise it is late (outside
    the window, or after the due day). A period with an on-time check is
    'done', with only late checks 'late'; a later on-time check upgrades it.
    The deadline is the end of the due day's window (or of the due day, or of
    the period).
Clock changes
    Window times are wall-clock times. A wall time that does not exist (02:30
    on the spring-forward day) is read with the offset before the change
    (-> 03:30 summer time), except a window start, which is read with the offset
    after it (-> 01:30 winter time), so a window never loses time. A repeated
    wall time (fall-back day) means its first occurrence.
Instants
    Pass aware datetimes (UTC is fastest); ``observed_ats`` sorted ascending.
    Checks after ``now`` are ignored.
"""
from __future__ import annotations

import calendar as _stdcal
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = timezone.utc
FREQUENCIES = ("daily", "weekly", "monthly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OUTCOMES = ("done", "late", "missed", "open")
STATES = ("done", "late", "due", "overdue", "upcoming", "not_planned")
_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
_SPELLINGS = "daily, weekly, weekly:mon ... weekly:sun, monthly, monthly:1 ... monthly:31"


@dataclass(frozen=True)
class Schedule:
    """How often a checkpoint must be checked (see the module docstring)."""

    frequency: str
    weekday: int | None = None  # 0 = Monday; weekly only
    monthday: int | None = None  # 1..31; monthly only
    window_start: time | None = None
    window_end: time | None = None  # before window_start: crosses midnight
    runs_on_closure_days: bool = False

    def __post_init__(self):
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}, not {self.frequency!r}")
        if self.weekday is not None and (self.frequency != "weekly" or self.weekday not in range(7)):
            raise ValueError("weekday (0=Monday .. 6=Sunday) is only for weekly schedules")
        if self.monthday is not None and (self.frequency != "monthly" or self.monthday not in range(1, 32)):
            raise ValueError("monthday (1..31) is only for monthly schedules")
        _check_window(self.window_start, self.window_end)

    @classmethod
    def from_obj(cls, obj) -> "Schedule":
        """From anything with the same attributes (e.g. a database row)."""
        return cls(obj.frequency, obj.weekday, obj.monthday, obj.window_start, obj.window_end,
                   bool(obj.runs_on_closure_days))

    @property
    def has_window(self) -> bool:
        return self.window_start is not None

    @property
    def crosses_midnight(self) -> bool:
        return self.window_start is not None and self.window_end < self.window_start

    @property
    def day_start(self) -> time:
        """Wall time at which this schedule's days (and weeks, months) begin."""
        return self.window_end if self.crosses_midnight else _MIDNIGHT


def _check_window(start, end):
    if (start is None) != (end is None):
        raise ValueError("a time window needs both a start and an end")
    if start is None:
        return
    if not (isinstance(start, time) and isinstance(end, time)) or start.tzinfo or end.tzinfo:
        raise ValueError("window start and end must be naive datetime.time values")
    if start == end:
        raise ValueError("a time window cannot start and end at the same time")


def parse_schedule(text: str, *, window_start: time | None = None, window_end: time | None = None,
                   runs_on_closure_days: bool = False) -> Schedule:
    """Read a CSV spelling: daily, weekly, weekly:mon..weekly:sun, monthly, monthly:1..monthly:31."""
    raw = text
    text = str(text).strip().lower()
    freq, sep, arg = text.partition(":")
    kw = dict(window_start=window_start, window_end=window_end, runs_on_closure_days=runs_on_closure_days)
    if not sep and freq in FREQUENCIES:
        return Schedule(freq, **kw)
    if freq == "weekly" and arg in WEEKDAYS:
        return Schedule("weekly", weekday=WEEKDAYS.index(arg), **kw)
    if freq == "monthly" and arg.isdigit() and 1 <= int(arg) <= 31:
        return Schedule("monthly", monthday=int(arg), **kw)
    raise ValueError(f"unknown schedule {raw!r}: use {_SPELLINGS}")


def format_schedule(schedule: Schedule) -> str:
    """The CSV spelling of a schedule's frequency (window and closure flag are not part of it)."""
    if schedule.weekday is not None:
        return f"weekly:{WEEKDAYS[schedule.weekday]}"
    if schedule.monthday is not None:
        return f"monthly:{schedule.monthday}"
    return schedule.frequency


def parse_window(text: str) -> tuple[time, time] | None:
    """Read '17:30-19:30' (or '22:00–02:00'); '' means no window."""
    text = str(text).strip().replace("–", "-").replace("~", "-")
    if not text:
        return None
    try:
        a, b = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"unknown time window {text!r}: use HH:MM-HH:MM, e.g. 17:30-19:30") from None
    _check_window(a, b)
    return a, b


def format_window(schedule: Schedule) -> str:
    """'17:30-19:30', or '' without a window."""
    if not schedule.has_window:
        return ""
    return f"{schedule.window_start:%H:%M}-{schedule.window_end:%H:%M}"


@dataclass(frozen=True)
class Calendar:
    """The school calendar: terms (first_date, last_date) and days off."""

    terms: tuple[tuple[date, date], ...] = ()
    closure_days: frozenset[date] = frozenset()
    closed_weekdays: frozenset[int] = frozenset()  # e.g. {5, 6}: weekends off
    open_days: frozenset[date] = frozenset()  # make-up working days, override all else

    def __post_init__(self):
        terms = tuple(sorted((a, b) for a, b in self.terms))
        for a, b in terms:
            if a > b:
                raise ValueError(f"term ends ({b}) before it begins ({a})")
        object.__setattr__(self, "terms", terms)
        for name in ("closure_days", "open_days", "closed_weekdays"):
            values = frozenset(getattr(self, name))
            if any(isinstance(v, datetime) for v in values):
                raise ValueError(f"{name} must hold dates, not datetimes")
            object.__setattr__(self, name, values)

    def is_open(self, day: date) -> bool:
        """Whether school runs on this local date."""
        if day in self.open_days:
            return True
        if day in self.closure_days or day.weekday() in self.closed_weekdays:
            return False
        return not self.terms or any(a <= day <= b for a, b in self.terms)


@dataclass(frozen=True)
class Period:
    """One day, ISO week or month of a schedule: [start, end) in UTC and its local dates."""

    key: str
    first_date: date
    last_date: date
    start: datetime
    end: datetime

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


@dataclass(frozen=True)
class PeriodResult:
    """A period's outcome: done | late | missed | open (| not_planned, only as Status.previous)."""

    period: Period
    outcome: str
    check: datetime | None  # the check that satisfied it (first on-time one, else first)
    due_date: date | None  # None: any day of the period
    deadline: datetime | None


@dataclass(frozen=True)
class Status:
    """Where a checkpoint stands at an instant; ``state`` is one of STATES."""

    period: Period
    state: str
    check: datetime | None
    due_date: date | None
    due_from: datetime | None  # before this the state is 'upcoming'
    deadline: datetime | None  # from this on, not done means 'overdue'
    previous: PeriodResult  # the period just before, whether planned or not


@dataclass(frozen=True)
class _Plan:
    period: Period
    planned: bool
    due_date: date | None = None
    due_from: datetime | None = None
    deadline: datetime | None = None
    starts: tuple[datetime, ...] = ()  # on-time intervals, sorted, disjoint
    ends: tuple[datetime, ...] = ()


def _zone(tz) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _wall(day: date, t: time, tz: tzinfo, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, t.hour, t.minute, t.second, t.microsecond,
                    tzinfo=tz, fold=fold).astimezone(UTC)


def window_bounds(schedule_or_window, local_date: date, tz) -> tuple[datetime, datetime]:
    """UTC [start, end) of the window on a local date; a crossing window ends on the next day.

    Takes a Schedule or a (start, end) pair of times. Without a window: the whole local day.
    """
    if isinstance(schedule_or_window, Schedule):
        ws, we = schedule_or_window.window_start, schedule_or_window.window_end
    else:
        ws, we = schedule_or_window if schedule_or_window is not None else (None, None)
        _check_window(ws, we)
    tz = _zone(tz)
    if ws is None:
        return _wall(local_date, _MIDNIGHT, tz), _wall(local_date + _DAY, _MIDNIGHT, tz)
    start = min(_wall(local_date, ws, tz, 0), _wall(local_date, ws, tz, 1))
    end = _wall(local_date + _DAY if we < ws else local_date, we, tz)
    return start, end


class Planner:
    """Periods and plans for one calendar and time zone, cached.

    The fast path: build one per request (or use the module functions, which
    keep a few) and call status() for each checkpoint; plans are computed once
    per schedule and period, each call is then two bisects.
    """

    _MAX_CACHE = 50_000

    def __init__(self, calendar: Calendar, tz):
        self.calendar = calendar
        self.tz = _zone(tz)
        self._periods: dict = {}
        self._plans: dict = {}
        self._current: dict = {}

    def period_of(self, schedule: Schedule, local_date: date) -> Period:
        """The period of `schedule` whose local dates include `local_date`."""
        freq, ds = schedule.frequency, schedule.day_start
        if freq == "daily":
            first = last = local_date
        elif freq == "weekly":
            first = local_date - timedelta(days=local_date.weekday())
            last = first + timedelta(days=6)
        else:
            first = local_date.replace(day=1)
            last = local_date.replace(day=_stdcal.monthrange(first.year, first.month)[1])
        ck = (freq, ds, first)
        period = self._periods.get(ck)
        if period is None:
            if freq == "daily":
                key = first.isoformat()
            elif freq == "weekly":
                year, week, _ = first.isocalendar()
                key = f"{year}-W{week:02d}"
            else:
                key = f"{first.year:04d}-{first.month:02d}"
            period = Period(key, first, last, _wall(first, ds, self.tz), _wall(last + _DAY, ds, self.tz))
            self._store(self._periods, ck, period)
        return period

    def period_at(self, schedule: Schedule, instant: datetime) -> Period:
        """The period of `schedule` that contains `instant` (an aware datetime)."""
        period = self.period_of(schedule, _aware(instant).astimezone(self.tz).date())
        # The local date is only a guess: a crossing window shifts the boundaries, clock changes
        # can too. The instants decide.
        if instant < period.start:
            period = self.period_of(schedule, period.first_date - _DAY)
        elif instant >= period.end:
            period = self.period_of(schedule, period.last_date + _DAY)
        return period

    def _plan(self, schedule: Schedule, period: Period) -> _Plan:
        ck = (schedule, period.first_date)
        plan = self._plans.get(ck)
        if plan is not None:
            return plan
        first, last = period.first_date, period.last_date
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        open_days = days if schedule.runs_on_closure_days else [d for d in days if self.calendar.is_open(d)]
        if not open_days:
            plan = _Plan(period, False)
        else:
            if schedule.frequency == "daily":
                due = first
            elif schedule.weekday is not None or schedule.monthday is not None:
                if schedule.weekday is not None:
                    target = first + timedelta(days=schedule.weekday)
                else:
                    target = first.replace(day=min(schedule.monthday, last.day))
                due = next((d for d in open_days if d >= target), open_days[-1])
            else:
                due = None
            upto = due or last
            if schedule.has_window:
                spans = [window_bounds(schedule, d, self.tz) for d in days if d <= upto]
                spans = [(max(s, period.start), min(e, period.end)) for s, e in spans]
            else:
                spans = [(period.start, _wall(upto + _DAY, schedule.day_start, self.tz))]
            due_from = _wall(due, schedule.day_start, self.tz) if due else period.start
            plan = _Plan(period, True, due, due_from, spans[-1][1],
                         tuple(s for s, _ in spans), tuple(e for _, e in spans))
        self._store(self._plans, ck, plan)
        return plan

    def _store(self, cache: dict, key, value):
        if len(cache) >= self._MAX_CACHE:
            cache.clear()
        cache[key] = value

    @staticmethod
    def _judge(plan: _Plan, observed_ats, now) -> tuple[str | None, datetime | None]:
        """('done' | 'late' | None, the check) from the checks in the plan's period up to now."""
        period = plan.period
        lo = bisect_left(observed_ats, period.start)
        if now is None or now >= period.end:
            hi = bisect_left(observed_ats, period.end, lo)
        else:
            hi = bisect_right(observed_ats, now, lo)
        late = None
        starts, ends = plan.starts, plan.ends
        for k in range(lo, hi):
            c = observed_ats[k]
            i = bisect_right(starts, c) - 1
            if i >= 0 and c < ends[i]:
                return "done", c
            if late is None:
                late = c
        return ("late", late) if late is not None else (None, None)

    def _result(self, plan: _Plan, observed_ats, now) -> PeriodResult:
        kind, check = self._judge(plan, observed_ats, now)
        if not plan.planned:
            outcome = "not_planned"
        elif kind:
            outcome = kind
        else:
            outcome = "open" if now is not None and now < plan.period.end else "missed"
        return PeriodResult(plan.period, outcome, check, plan.due_date, plan.deadline)

    def status(self, schedule: Schedule, observed_ats, now: datetime) -> Status:
        """See status_at()."""
        ck = (schedule, now)
        pair = self._current.get(ck)
        if pair is None:
            period = self.period_at(schedule, _aware(now))
            pair = (self._plan(schedule, period),
                    self._plan(schedule, self.period_of(schedule, period.first_date - _DAY)))
            self._store(self._current, ck, pair)
        plan, prev = pair
        kind, check = self._judge(plan, observed_ats, now)
        if not plan.planned:
            state = "not_planned"
        elif kind:
            state = kind
        elif now < plan.due_from:
            state = "upcoming"
        elif now < plan.deadline:
            state = "due"
        else:
            state = "overdue"
        return Status(plan.period, state, check, plan.due_date, plan.due_from, plan.deadline,
                      self._result(prev, observed_ats, now))

    def evaluate(self, schedule: Schedule, observed_ats, first_date: date, last_date: date,
                 now: datetime | None = None) -> list[PeriodResult]:
        """See evaluate_range()."""
        if now is not None:
            _aware(now)
        results = []
        period = self.period_of(schedule, first_date)
        while period.first_date <= last_date:
            plan = self._plan(schedule, period)
            if plan.planned:
                results.append(self._result(plan, observed_ats, now))
            period = self.period_of(schedule, period.last_date + _DAY)
        return results


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"need an aware datetime, got naive {instant!r}")
    return instant


@lru_cache(maxsize=16)
def planner(calendar: Calendar, tz) -> Planner:
    """A shared, cached Planner for a calendar and time zone (a ZoneInfo or its key)."""
    return Planner(calendar, tz)


def _get(calendar, tz) -> Planner:
    return planner(_NO_CALENDAR if calendar is None else calendar, _zone(tz))


_NO_CALENDAR = Calendar()


def period_of(schedule: Schedule, tz, local_date: date) -> Period:
    """The period of `schedule` whose local dates include `local_date`."""
    return _get(None, tz).period_of(schedule, local_date)


def period_at(schedule: Schedule, tz, instant: datetime) -> Period:
    """The period of `schedule` containing `instant`."""
    return _get(None, tz).period_at(schedule, instant)


def checks_needed_since(schedule: Schedule, tz, now: datetime) -> datetime:
    """The earliest instant status_at() looks at: load a checkpoint's checks from here on."""
    p = _get(None, tz)
    return p.period_of(schedule, p.period_at(schedule, now).first_date - _DAY).start


def status_at(schedule: Schedule, calendar: Calendar, tz, observed_ats, now: datetime) -> Status:
    """A checkpoint's current period and state at `now`, and its previous period's outcome.

    state: done | late (done, not on time) | due (not done, still on time) |
    overdue (deadline passed, period still running) | upcoming (due day later
    in the period) | not_planned. ``observed_ats``: the checkpoint's check
    instants, aware, sorted ascending; checks after `now` are ignored.
    """
    return _get(calendar, tz).status(schedule, observed_ats, now)


def evaluate_range(schedule: Schedule, calendar: Calendar, tz, observed_ats, first_date: date,
                   last_date: date, now: datetime | None = None) -> list[PeriodResult]:
    """Planned periods whose local dates overlap [first_date, last_date], oldest first.

    outcome: done | late | missed | open (not ended at `now` and not done; never
    missed). With now=None every period is judged as ended, for past ranges only.
    """
    return _get(calendar, tz).evaluate(schedule, observed_ats, first_date, last_date, now)
