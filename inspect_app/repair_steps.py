"""The repair lifecycle: who may take which step on a repair, from which status, and what each
step changes and records on the timeline. Views, the API and the demo call step(); it flushes,
the caller commits. Reporting, deadlines and the names shown for states and steps are in
repairs_ops.

The lifecycle: reported → accepted (deadline from severity) → assigned to a staff member →
in progress → done (what was done, parts, cost, photo after) → the reporter signs it off
(closed, verified, rated 1–5) or rejects it (back to in progress). The manager may decline it or
merge it into another repair. Done but not checked within REPAIR_VERIFY_DAYS: closed, not
verified (repairs_ops.close_unverified). Who may take a step is decided in access (REPAIR_STEPS,
may_step_repair); FROM says from which states.

Refusals, the same on pages and in the API: StepNotAllowed (403, this person may not take this
step), StepOutOfOrder (409, the step does not fit the repair's state), RepairConflict (409, a
step id sent before for another step), ValidationFailed (422).
"""
from datetime import date

from flask_babel import lazy_gettext as _l

from . import models  # the clock is read through the module, so tests can freeze it
from .access import REPAIR_STEPS, may_step_repair
from .extensions import db
from .models import (OPEN_STATUSES, REPAIR_STATUSES, SEVERITIES, Repair, RepairEvent,
                     RepairFollower, RepairPart, RepairPhoto, User)
from .operations import OperationError, ValidationFailed
from .repairs_ops import (EVENT_NAMES, MAX_PHOTOS, STATUS_NAMES, RepairConflict, clean_text,
                          deadline_for, end_of_day, parse_cost, parse_parts, record_event)

MAX_NOTE = 2000

# step -> the states it may be taken from
FROM = {
    "accept": ("reported",),
    "assign": ("reported", "accepted", "assigned", "in_progress"),
    "start": ("assigned",),
    "done": ("assigned", "in_progress"),
    "sign_off": ("done",),
    "reject": ("done",),
    "decline": ("reported", "accepted", "assigned", "in_progress"),
    "merge": ("reported", "accepted", "assigned", "in_progress"),
    "me_too": OPEN_STATUSES,
    "comment": REPAIR_STATUSES,
    "rate": ("closed",),
}
ACTIONS = tuple(FROM)
NOT_ALLOWED = {
    "manager": _l("Only the logistics manager may do this."),
    "worker": _l("Only the staff member this repair is assigned to may do this."),
    "reporter": _l("Only the person who reported this repair may sign it off, reject or rate it."),
    "signed_in": _l("Sign in first."),
    "viewer": _l("You may not see this repair."),
}


class StepNotAllowed(OperationError):
    """This person may not take this step (403)."""


class StepOutOfOrder(OperationError):
    """The step does not fit the repair's current state (409)."""


def step(repair, action, *, user=None, tracking=False, note="", uid=None, **data):
    """Take one lifecycle step on a repair and record it on the timeline; returns the event.

    `action` is one of ACTIONS. `user` is the signed-in person (None for the holder of the
    tracking link, with tracking=True). Extra data by action: accept (assignee, due, severity),
    assign (assignee), done (parts, cost, photos), sign_off (rating), rate (rating),
    merge (into). `uid`, a client UUID, makes a replayed step a no-op.
    Raises StepNotAllowed, StepOutOfOrder, RepairConflict or ValidationFailed.
    """
    if action not in FROM:
        raise ValidationFailed({"action": _l("One of: %(actions)s", actions=", ".join(ACTIONS))})
    if uid is not None:
        done = db.session.scalar(db.select(RepairEvent).where(RepairEvent.uid == uid))
        if done is not None:
            if done.repair_id != repair.id or done.action != action:
                raise RepairConflict(str(uid))
            return done
    if not may_step_repair(user, repair, action, tracking):
        raise StepNotAllowed(str(NOT_ALLOWED[REPAIR_STEPS[action]]))
    if repair.status not in FROM[action]:
        raise StepOutOfOrder(str(_l("This repair is “%(status)s”: “%(step)s” is not possible now.",
                                    status=STATUS_NAMES[repair.status], step=EVENT_NAMES[action])))
    errors = {}
    note = clean_text(note, MAX_NOTE, "note", errors)
    if errors:
        raise ValidationFailed(errors)
    before = repair.status
    actor_name = repair.reporter_name if tracking and user is None else ""
    payload = _STEPS[action](repair, user, note, data)
    event = record_event(repair, action, user, before, repair.status, note, payload, actor_name,
                         uid)
    if action == "done":
        for part in payload.get("parts", []):
            db.session.add(RepairPart(repair_id=repair.id, event_id=event.id, **part))
        for photo in data.get("photos") or ():
            db.session.add(RepairPhoto(repair_id=repair.id, photo_id=photo.id, stage="after",
                                       event_id=event.id))
        db.session.flush()
    return event


def _need(note, message):
    if not note:
        raise ValidationFailed({"note": message})


def _close(repair, status, verified):
    repair.status = status
    repair.verified = verified
    repair.closed_at = models.utcnow()
    repair.open_fault_key = None


def _staff(username, field="assignee"):
    user = username if isinstance(username, User) else db.session.scalar(
        db.select(User).where(User.username == str(username or "").strip().lower()))
    if user is None or not user.active or user.role not in ("staff", "admin"):
        raise ValidationFailed({field: _l("Choose a repair staff member.")})
    return user


def _due(value):
    if value in (None, ""):
        return None
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed({"due": _l("A date, e.g. 2026-11-20.")}) from None
    return end_of_day(day)


def _accept(repair, user, note, data):
    severity = data.get("severity") or repair.severity
    if severity not in SEVERITIES:
        raise ValidationFailed({"severity": _l("Choose how bad it is.")})
    assignee = _staff(data["assignee"]) if data.get("assignee") else None
    repair.severity = severity
    repair.accepted_at = models.utcnow()
    repair.due_at = _due(data.get("due")) or deadline_for(severity, repair.reported_at)
    repair.status = "accepted"
    if assignee:
        repair.assignee_id, repair.status = assignee.id, "assigned"
    return {"severity": severity, "due_at": repair.due_at.isoformat(),
            "assignee": assignee.username if assignee else None,
            "assignee_name": assignee.name if assignee else None}


def _assign(repair, user, note, data):
    assignee = _staff(data.get("assignee"))
    payload = {"assignee": assignee.username, "assignee_name": assignee.name}
    if repair.status == "reported":
        repair.accepted_at = models.utcnow()
    due = _due(data.get("due"))
    if due or repair.due_at is None:
        repair.due_at = due or deadline_for(repair.severity, repair.reported_at)
        payload["due_at"] = repair.due_at.isoformat()
    repair.assignee_id, repair.status = assignee.id, "assigned"
    return payload


def _start(repair, user, note, data):
    repair.status, repair.started_at = "in_progress", models.utcnow()
    return {}


def _done(repair, user, note, data):
    _need(note, _l("Say what was done."))
    parts = parse_parts(data.get("parts") or [])
    cost = parse_cost(data.get("cost"))
    if len(data.get("photos") or ()) > MAX_PHOTOS:
        raise ValidationFailed({"photos": _l("At most %(n)d photos.", n=MAX_PHOTOS)})
    if cost is not None:
        repair.cost_cents = (repair.cost_cents or 0) + cost
    repair.status, repair.done_at = "done", models.utcnow()
    return {"parts": parts, "cost_cents": cost}


def _rating(data, required):
    rating = data.get("rating")
    if rating in (None, "") and not required:
        return None
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if value < 1 or value > 5 or isinstance(rating, float | bool):
        raise ValidationFailed({"rating": _l("Rate from 1 (poor) to 5 (very good).")})
    return value


def _sign_off(repair, user, note, data):
    rating = _rating(data, required=False)
    _close(repair, "closed", True)
    repair.rating, repair.rating_comment = rating, note
    return {"rating": rating}


def _rate(repair, user, note, data):
    if not repair.verified or repair.rating is not None:
        raise StepOutOfOrder(str(_l("This repair was already rated, or not signed off.")))
    repair.rating = _rating(data, required=True)
    repair.rating_comment = note or repair.rating_comment
    return {"rating": repair.rating}


def _reject(repair, user, note, data):
    _need(note, _l("Say what is still wrong."))
    repair.status, repair.done_at = "in_progress", None
    repair.reopen_count += 1
    return {}


def _decline(repair, user, note, data):
    _need(note, _l("Give a reason."))
    _close(repair, "declined", False)
    return {}


def _merge(repair, user, note, data):
    _need(note, _l("Give a reason."))
    target = data.get("into")
    if not isinstance(target, Repair):
        number = str(target or "").strip().lstrip("#")
        target = db.session.get(Repair, int(number)) if number.isdigit() else None
    if target is None or target.id == repair.id or not target.is_open:
        raise ValidationFailed({"into": _l("The number of another open repair.")})
    _close(repair, "merged", False)
    repair.merged_into_id = target.id
    target.me_too_count += 1 + repair.me_too_count
    people = {f.user_id for f in repair.followers} | ({repair.reporter_id} - {None})
    known = {f.user_id for f in target.followers} | {target.reporter_id}
    for person in sorted(people - known):
        db.session.add(RepairFollower(repair_id=target.id, user_id=person, reason="merged"))
    record_event(target, "merged_in", user, target.status, target.status, note,
                 {"from": repair.id})
    return {"into": target.id}


def _me_too(repair, user, note, data):
    if repair.reporter_id == user.id or any(f.user_id == user.id for f in repair.followers):
        raise StepOutOfOrder(str(_l("You already follow this repair.")))
    db.session.add(RepairFollower(repair_id=repair.id, user_id=user.id, reason="me_too"))
    repair.me_too_count += 1
    return {"count": repair.me_too_count}


def _comment(repair, user, note, data):
    _need(note, _l("Write a comment."))
    return {}


_STEPS = {"accept": _accept, "assign": _assign, "start": _start, "done": _done,
          "sign_off": _sign_off, "reject": _reject, "decline": _decline, "merge": _merge,
          "me_too": _me_too, "comment": _comment, "rate": _rate}
