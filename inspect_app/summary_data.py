"""Loading the rows behind the weekly summary, term statistics and a checkpoint's history.

The check outcomes come from due.outcomes (the work list's own source); everything else is
a handful of column-only queries. stats.py turns the rows into figures.
"""
import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import and_, func, or_

from . import due, stats, summary_cache
from . import schedule as sched
from .extensions import db
from .models import (Check, CheckFinding, ChecklistItem, Checkpoint, Kind, Location, Repair, RepairEvent,
                     RepairPart, Round, RoundRun, Term, User)
from .stats import CheckpointRow, RepairRow, RunRow, TermData, WeekData

DEFAULT_TERM_DAYS = 120


def _checkpoint_rows(ids=None):
    query = (db.select(Checkpoint.id, Checkpoint.code, Checkpoint.name, Kind.key, Kind.names,
                       Location.path, Checkpoint.responsible_id)
             .join(Kind, Kind.id == Checkpoint.kind_id)
             .join(Location, Location.id == Checkpoint.location_id))
    if ids is not None:
        query = query.where(Checkpoint.id.in_(list(ids)))
    return {row.id: CheckpointRow(*row) for row in db.session.execute(query)}


def _users():
    return {uid: (username, display or username) for uid, username, display in
            db.session.execute(db.select(User.id, User.username, User.display_name))}


def _repair_rows(where):
    cols = (Repair.id, Repair.checkpoint_id, Repair.category, Repair.severity, Repair.status,
            Repair.description, Repair.reported_at, Repair.due_at, Repair.done_at,
            Repair.closed_at, Repair.rating)
    return [RepairRow(*row) for row in db.session.execute(db.select(*cols).where(where)
                                                          .order_by(Repair.reported_at))]


def _not_corrected():
    later = db.aliased(Check)
    return ~db.select(later.id).where(later.corrects_id == Check.id).exists()


def _user_ids():
    """Every user's id: `user_id IN (...)` lets a time-range query on checks use the
    (user_id, observed_at) index instead of reading the whole table."""
    return db.session.scalars(db.select(User.id)).all()


def load_week(monday, at):
    """WeekData for the ISO week starting `monday`, judged at `at` (usually due.now()).

    An ended week is served from summary_cache while nothing it is computed from changed."""
    tz = due.school_tz()
    users = _user_ids()
    ended = stats.local_start(monday + timedelta(days=7), tz) <= at
    key, past = summary_cache.prepare(monday, at, tz, users)
    if ended:
        hit = summary_cache.get_week(monday, key)
        if hit is not None:
            return replace(hit, at=at)
    data = _load_week(monday, at, tz, users, past)
    if ended:
        summary_cache.put_week(monday, key, data)
    return data


def _load_week(monday, at, tz, users, past):
    sunday = monday + timedelta(days=6)
    mondays = stats.trend_mondays(monday)
    start, end = stats.local_start(monday, tz), stats.local_start(monday + timedelta(days=7), tz)
    results = due.outcomes(monday, sunday, at)
    checkpoints = _checkpoint_rows()
    checkers, logged = _checkers(results, users, start, end, at)
    in_week = and_(Check.user_id.in_(users), Check.observed_at >= start, Check.observed_at < end,
                   _not_corrected())
    findings_total, faulty = db.session.execute(
        db.select(func.count(CheckFinding.id), func.count(func.distinct(CheckFinding.check_id)))
        .join(Check, Check.id == CheckFinding.check_id).where(in_week)).one()
    findings = [{"checkpoint_id": cp_id, "observed_at": observed, "item": item, "note": note,
                 "user_id": user_id} for cp_id, observed, item, note, user_id in db.session.execute(
        db.select(Check.checkpoint_id, Check.observed_at, CheckFinding.item_key, CheckFinding.note,
                  Check.user_id).join(Check, Check.id == CheckFinding.check_id).where(in_week)
        .order_by(Check.observed_at.desc()).limit(500))]
    _name_items(findings)
    trend_start = stats.local_start(mondays[0], tz)
    repairs = _repair_rows(and_(Repair.reported_at < min(end, at + timedelta(seconds=1)),
                                or_(Repair.closed_at.is_(None), Repair.closed_at >= trend_start)))
    missing = ({f["checkpoint_id"] for f in findings} | {r.checkpoint_id for r in repairs}) \
        - set(checkpoints)
    if missing:  # checkpoints out of service or retired still name their faults and repairs
        checkpoints.update(_checkpoint_rows(missing))
    return WeekData(monday=monday, at=at, tz=tz, results=results, checkpoints=checkpoints,
                    users=_users(), checkers=checkers, checks_logged=logged, findings=findings,
                    repairs=repairs, runs=_runs(monday, sunday, tz),
                    past_weeks=past,
                    findings_total=findings_total, checks_with_faults=faulty)


def _checkers(results, users, start, end, at):
    """({(checkpoint id, instant): user id} for the checks that satisfied the periods, the number
    of checks (not corrections) observed in [start, end)).

    The week's instants come from the (user_id, observed_at) index alone (no table reads); an
    instant two people share, or one outside the week (monthly periods), is looked up exactly."""
    by_instant, logged = {}, 0
    query = (db.select(Check.user_id, Check.observed_at)
             .where(Check.user_id.in_(users), Check.observed_at >= start - timedelta(days=1),
                    Check.observed_at < min(end + timedelta(days=1), at + timedelta(seconds=1))))
    for user_id, observed in db.session.execute(query):
        by_instant.setdefault(observed, set()).add(user_id)
        logged += start <= observed < end
    # A range on corrects_id (not IS NOT NULL) lets SQLite read the few corrections by index.
    logged -= db.session.scalar(db.select(func.count()).select_from(Check).where(
        Check.corrects_id >= uuid.UUID(int=0), Check.observed_at >= start, Check.observed_at < end))
    found, exact = {}, []
    for cp_id, periods in results.items():
        for r in periods:
            if r.check is None:
                continue
            who = by_instant.get(r.check, ())
            if len(who) == 1:
                found[(cp_id, r.check)] = next(iter(who))
            else:
                exact.append((cp_id, r.check))
    for i in range(0, len(exact), 400):
        chunk = exact[i:i + 400]
        query = db.select(Check.checkpoint_id, Check.observed_at, Check.user_id,
                          Check.corrects_id).where(
            or_(*(and_(Check.checkpoint_id == c, Check.observed_at == t) for c, t in chunk)))
        for cp_id, observed, user_id, corrects in db.session.execute(query):
            if corrects is None:
                found[(cp_id, observed)] = user_id
    return found, logged


def _name_items(findings):
    """Give each finding its checklist item's labels."""
    if not findings:
        return
    labels = {(kind_id, key): names for kind_id, key, names in db.session.execute(
        db.select(ChecklistItem.kind_id, ChecklistItem.key, ChecklistItem.labels))}
    kinds = dict(db.session.execute(db.select(Checkpoint.id, Checkpoint.kind_id).where(
        Checkpoint.id.in_({f["checkpoint_id"] for f in findings}))).all())
    for f in findings:
        f["item_names"] = labels.get((kinds.get(f["checkpoint_id"]), f["item"]), {})


def _runs(monday, sunday, tz):
    query = (db.select(RoundRun.id, Round.name, RoundRun.run_date, RoundRun.started_at,
                       RoundRun.finished_at, RoundRun.missed_count, Round.window_start,
                       Round.window_end)
             .join(Round, Round.id == RoundRun.round_id)
             .where(RoundRun.run_date >= monday, RoundRun.run_date <= sunday))
    out = []
    for rid, name, day, started, finished, missed, ws, we in db.session.execute(query):
        window = sched.window_bounds((ws, we) if ws and we else None, day, tz)
        out.append(RunRow(rid, name, day, started, finished, missed, window))
    return out


def weekly(monday, at):
    """The weekly summary dict (stats.weekly_summary) for the week starting `monday`."""
    return stats.weekly_summary(load_week(monday, at))


# -- term -----------------------------------------------------------------------------------

def current_term(today):
    """(name, first, last) of the term containing today, else the latest one begun, else the
    last DEFAULT_TERM_DAYS days."""
    terms = db.session.execute(db.select(Term.name, Term.first_date, Term.last_date)
                               .where(Term.first_date <= today)
                               .order_by(Term.first_date.desc())).all()
    for name, first, last in terms:
        if first <= today <= last:
            return name, first, last
    if terms:
        return tuple(terms[0])
    return None, today - timedelta(days=DEFAULT_TERM_DAYS - 1), today


def load_term(first, last, at, name=None):
    """TermData for local dates first..last."""
    tz = due.school_tz()
    start, end = stats.local_start(first, tz), stats.local_start(last + timedelta(days=1), tz)
    repairs = _repair_rows(or_(and_(Repair.reported_at >= start, Repair.reported_at < end),
                               and_(Repair.closed_at >= start, Repair.closed_at < end)))
    parts = db.session.execute(
        db.select(RepairPart.name, RepairPart.unit, RepairPart.quantity)
        .join(RepairEvent, RepairEvent.id == RepairPart.event_id)
        .where(RepairEvent.at >= start, RepairEvent.at < end)).all()
    return TermData(first=first, last=last, at=at, tz=tz, repairs=repairs,
                    parts=[tuple(p) for p in parts], checks_by_kind=_checks_by_kind(start, end),
                    term_name=name)


def _checks_by_kind(start, end):
    """[(kind key, names, checks, checks with faults)] observed in [start, end), corrections
    left out. Counted per checkpoint from the (checkpoint_id, observed_at) index."""
    cp_kind = dict(db.session.execute(db.select(Checkpoint.id, Checkpoint.kind_id)).all())
    in_range = (Check.checkpoint_id.in_(list(cp_kind)), Check.observed_at >= start,
                Check.observed_at < end)
    per_cp = dict(db.session.execute(db.select(Check.checkpoint_id, func.count())
                                     .where(*in_range).group_by(Check.checkpoint_id)).all())
    # Corrections are few: read them all by their index and take them off.
    for cp_id, observed in db.session.execute(db.select(Check.checkpoint_id, Check.observed_at)
                                              .where(Check.corrects_id >= uuid.UUID(int=0))):
        if start <= observed < end:
            per_cp[cp_id] = per_cp.get(cp_id, 0) - 1
    faulty_checks = {}
    for check_id, cp_id, corrects in db.session.execute(
            db.select(Check.id, Check.checkpoint_id, Check.corrects_id)
            .join(CheckFinding, CheckFinding.check_id == Check.id).where(*in_range[1:])):
        if corrects is None:
            faulty_checks[check_id] = cp_id
    faulty = {}
    for cp_id in faulty_checks.values():
        faulty[cp_id] = faulty.get(cp_id, 0) + 1
    kinds = {k.id: (k.key, k.names) for k in db.session.scalars(db.select(Kind))}
    out = {}
    for cp_id in set(per_cp) | set(faulty):
        key, names = kinds[cp_kind[cp_id]]
        row = out.setdefault(key, [key, names, 0, 0])
        row[2] += per_cp.get(cp_id, 0)
        row[3] += faulty.get(cp_id, 0)
    return [tuple(row) for row in out.values() if row[2] or row[3]]




def term(first, last, at, name=None):
    """Term statistics dict (stats.term_summary) for local dates first..last."""
    return stats.term_summary(load_term(first, last, at, name))


# -- a checkpoint's history -----------------------------------------------------------------

PAGE_SIZE = 20
MAX_PAGE = 1000


@dataclass
class HistoryEntry:
    """One line of a checkpoint's history: a check or a repair, by its time."""

    at: object
    kind: str  # check | repair
    record: object


def history(cp, page=1, per_page=PAGE_SIZE):
    """(entries newest first, has_more) for page `page` (1-based) of a checkpoint's checks
    and repairs. Each list is read only as deep as the page needs."""
    depth = page * per_page + 1
    checks = db.session.scalars(db.select(Check).where(Check.checkpoint_id == cp.id)
                                .order_by(Check.observed_at.desc(), Check.id).limit(depth)).all()
    repairs = db.session.scalars(db.select(Repair).where(Repair.checkpoint_id == cp.id)
                                 .order_by(Repair.reported_at.desc(), Repair.id.desc())
                                 .limit(depth)).all()
    merged = sorted([HistoryEntry(c.observed_at, "check", c) for c in checks]
                    + [HistoryEntry(r.reported_at, "repair", r) for r in repairs],
                    key=lambda e: e.at, reverse=True)
    first = (page - 1) * per_page
    return merged[first:first + per_page], len(merged) > first + per_page


def history_counts(cp):
    """(checks, repairs) ever recorded for a checkpoint."""
    checks = db.session.scalar(db.select(func.count(Check.id)).where(Check.checkpoint_id == cp.id))
    repairs = db.session.scalar(db.select(func.count(Repair.id))
                                .where(Repair.checkpoint_id == cp.id))
    return checks, repairs


def users_by_id(ids):
    """{user id: User} for the given ids, one query."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(ids)))}


def term_bounds(args, today):
    """(name, first, last, errors) from ?from=&to= (ISO dates), or the current term."""
    errors = {}
    name, first, last = current_term(today)
    given = {}
    for field_name in ("from", "to"):
        text = (args.get(field_name) or "").strip()
        if not text:
            continue
        try:
            given[field_name] = date.fromisoformat(text)
        except ValueError:
            errors[field_name] = "date"
    if given:
        name = None
        first = given.get("from", first)
        last = given.get("to", last)
    if not errors and first > last:
        errors["to"] = "order"
    if not errors and (last - first).days > 731:
        errors["to"] = "span"
    return name, first, last, errors
