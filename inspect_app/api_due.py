"""API: what is due (/due), rounds and their runs. Same services as the pages (due.py,
rounds_ops.py), so the numbers agree."""
from datetime import date

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from . import codes, due
from . import schedule as sched
from .access import can, can_finish_run
from .api import bp, error, iso
from .extensions import db
from .models import Round, RoundRun
from .rounds_ops import RunRefused, finish_run, progress, refresh, start_run


def _forbidden():
    return error(403, "forbidden", _("Your role may not see rounds and due checks."))


def due_json(item, mine, shared=None):
    """One DueItem as the API shows it. `shared` (a dict kept for one response) reuses the
    parts that every checkpoint with the same schedule and period has in common."""
    s, p = item.status, item.status.period
    key = (item.schedule, p, s.due_date, s.due_from, s.deadline)
    common = shared.get(key) if shared is not None else None
    if common is None:
        common = {
            "schedule": item.spelling, "window": sched.format_window(item.schedule) or None,
            "runs_on_closure_days": item.schedule.runs_on_closure_days,
            "period": {"key": p.key, "first_date": p.first_date.isoformat(),
                       "last_date": p.last_date.isoformat(), "start": iso(p.start),
                       "end": iso(p.end)},
            "due_date": s.due_date.isoformat() if s.due_date else None,
            "due_from": iso(s.due_from), "deadline": iso(s.deadline)}
        if shared is not None:
            shared[key] = common
    return {
        "checkpoint": item.code, "display_code": codes.display(item.code), "name": item.name,
        "kind": item.kind_key, "location": item.location, **common,
        "state": item.state, "check": iso(s.check),
        "previous": {"key": s.previous.period.key, "outcome": item.previous_outcome},
        "rounds": list(item.rounds), "mine": mine,
    }


@bp.get("/due")
def get_due():
    """Checkpoints due for the caller (all=1: for everyone), in the period containing `date`."""
    if not can(current_user, "view_work"):
        return _forbidden()
    on = None
    if request.args.get("date"):
        try:
            on = date.fromisoformat(request.args["date"])
        except ValueError:
            return error(422, "invalid", _("Some fields are wrong."),
                         fields={"date": _("Give a date, e.g. 2026-09-01.")})
    everything = request.args.get("all") in ("1", "true", "yes")
    at = due.now()
    rounds, ctx = due.round_map()
    keep = None if everything else due.keep_mine(current_user, ctx)
    items = sorted(due.load_due(at, on=on, rounds=rounds, keep=keep), key=due.sort_key)
    person = due.Person(current_user.id, current_user.role)
    mine = {i.id: due.is_for(i, person, ctx) for i in items}
    if not everything:
        items = [i for i in items if mine[i.id]]
    counts = {state: 0 for state in ("overdue", "due", "upcoming", "done", "late", "missed")}
    for item in items:
        counts[item.state] += 1
    shared = {}
    return jsonify(now=iso(at), date=(on or due.local_today(at)).isoformat(),
                   timezone=str(due.school_tz()), user=current_user.username,
                   scope="all" if everything else "mine", counts=counts,
                   done=counts["done"] + counts["late"], total=len(items) - counts["upcoming"],
                   items=[due_json(i, mine[i.id], shared) for i in items])


def round_json(rnd, stops=True):
    """A round as the API shows it."""
    data = {"id": rnd.id, "name": rnd.name,
            "window_start": rnd.window_start.strftime("%H:%M") if rnd.window_start else None,
            "window_end": rnd.window_end.strftime("%H:%M") if rnd.window_end else None,
            "weekdays": list(rnd.weekdays or []), "runs_on_closure_days": rnd.runs_on_closure_days,
            "active": rnd.active, "guards": [g.username for g in rnd.guards],
            "stop_count": len(rnd.stops)}
    if stops:
        data["stops"] = [{"position": s.position + 1, "checkpoint": s.checkpoint.code,
                          "name": s.checkpoint.name, "location": s.checkpoint.location.path}
                         for s in rnd.stops]
    return data


def run_json(run, prog=None):
    """A run as the API shows it; with progress, its stops too."""
    data = {"id": run.id, "round": run.round_id, "user": run.user.username,
            "run_date": run.run_date.isoformat(), "started_at": iso(run.started_at),
            "finished_at": iso(run.finished_at),
            "duration_seconds": int(run.duration.total_seconds()) if run.duration else None,
            "stop_count": run.stop_count, "visited": run.visited_count,
            "missed": run.missed_count, "out_of_order": run.out_of_order_count}
    if prog is not None:
        data.update(visited=len(prog.visited), missed=len(prog.missed),
                    out_of_order=len(prog.out_of_order), stop_count=len(prog.stops))
        data["stops"] = [{"checkpoint": st.stop.checkpoint.code, "name": st.stop.checkpoint.name,
                          "visited_at": iso(st.visited_at), "sequence": st.sequence,
                          "in_order": st.in_order if st.visited_at else None,
                          "in_window": st.in_window if st.visited_at else None,
                          "state": "visited" if st.visited_at else
                          ("missed" if prog.finished else "pending")} for st in prog.stops]
    return data


def _get(model, value):
    return db.session.get(model, int(value)) if str(value).isdigit() else None


@bp.get("/rounds")
def list_rounds():
    """Rounds in use (all=1: also those taken out of use)."""
    if not can(current_user, "view_work"):
        return _forbidden()
    query = db.select(Round).order_by(Round.name)
    if request.args.get("all") != "1":
        query = query.where(Round.active.is_(True))
    return jsonify(rounds=[round_json(r, stops=False) for r in db.session.scalars(query)])


@bp.get("/rounds/<round_id>")
def get_round(round_id):
    """One round with its points in order."""
    if not can(current_user, "view_work"):
        return _forbidden()
    rnd = _get(Round, round_id)
    if rnd is None:
        return error(404, "not_found", _("No round has this id."))
    return jsonify(round_json(rnd))


@bp.get("/rounds/<round_id>/runs")
def list_runs(round_id):
    """Runs of a round, newest first (limit, default 50, at most 500)."""
    if not can(current_user, "view_work"):
        return _forbidden()
    rnd = _get(Round, round_id)
    if rnd is None:
        return error(404, "not_found", _("No round has this id."))
    limit = request.args.get("limit", "50")
    if not limit.isdigit() or not 1 <= int(limit) <= 500:
        return error(422, "invalid", _("Some fields are wrong."),
                     fields={"limit": _("A number from 1 to 500.")})
    runs = db.session.scalars(db.select(RoundRun).where(RoundRun.round_id == rnd.id)
                              .order_by(RoundRun.started_at.desc()).limit(int(limit))).all()
    at = due.now()
    return jsonify(runs=[run_json(r, None if r.finished_at else progress(r, at)) for r in runs])


@bp.post("/rounds/<round_id>/runs")
def start_round_run(round_id):
    """Start walking a round now: 201, or 200 with the run already going."""
    if not can(current_user, "walk_round"):
        return error(403, "forbidden", _("Your role may not walk rounds."))
    rnd = _get(Round, round_id)
    if rnd is None:
        return error(404, "not_found", _("No round has this id."))
    at = due.now()
    try:
        run, created = start_run(current_user, rnd, at)
    except RunRefused as exc:
        db.session.rollback()
        return error(409, "refused", str(exc))
    db.session.commit()
    return jsonify(run_json(run, progress(run, at))), 201 if created else 200


@bp.get("/runs/<run_id>")
def get_run(run_id):
    """One run with each point: visited (when, in order, in the window), missed or pending."""
    if not can(current_user, "view_work"):
        return _forbidden()
    run = _get(RoundRun, run_id)
    if run is None:
        return error(404, "not_found", _("No run has this id."))
    prog = refresh(run, due.now())
    db.session.commit()
    return jsonify(run_json(run, prog))


@bp.post("/runs/<run_id>/finish")
def finish_round_run(run_id):
    """Finish a run (its walker or an admin); finishing twice changes nothing."""
    run = _get(RoundRun, run_id)
    if run is None and can(current_user, "walk_round"):
        return error(404, "not_found", _("No run has this id."))
    if run is None or not can_finish_run(current_user, run):
        return error(403, "forbidden", _("Only the person walking this round can finish it."))
    prog, _changed = finish_run(current_user, run, due.now())
    db.session.commit()
    return jsonify(run_json(run, prog))
