"""Repairs in the JSON API: report (idempotent by the client's UUID, for the offline queue),
read one, and take lifecycle steps. 403 not allowed, 409 out of order (or same id with other
content), 422 malformed with `fields`."""
from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from . import repair_steps
from . import repairs_ops as ops
from .access import can, can_view_repair
from .api import bp, error, iso
from .extensions import db
from .models import Photo, Repair
from .operations import ValidationFailed, lookup_checkpoint, parse_check_id
from .repairs import repair_title


def repair_json(repair):
    """A repair as the API shows it; the reporter's phone only for staff and the manager."""
    def who(event):
        return event.actor.username if event.actor else (event.actor_name or None)

    return {
        "id": str(repair.uid),
        "number": repair.id,
        "url": url_for("repairs.detail", number=repair.id),
        "checkpoint": repair.checkpoint.code,
        "checkpoint_name": repair.checkpoint.name,
        "location": repair.checkpoint.location.path,
        "item": repair.item_key,
        "title": repair_title(repair),
        "category": repair.category,
        "severity": repair.severity,
        "description": repair.description,
        "status": repair.status,
        "verified": repair.verified,
        "source": repair.source,
        "reporter": repair.reporter.username if repair.reporter else None,
        "reporter_name": repair.reporter_name,
        "reporter_phone": repair.reporter_phone if can(current_user, "work_repairs") else None,
        "assignee": repair.assignee.username if repair.assignee else None,
        "followers": sorted(f.user.username for f in repair.followers),
        "me_too_count": repair.me_too_count,
        "reopen_count": repair.reopen_count,
        "reported_at": iso(repair.reported_at),
        "accepted_at": iso(repair.accepted_at),
        "due_at": iso(repair.due_at),
        "done_at": iso(repair.done_at),
        "closed_at": iso(repair.closed_at),
        "overdue": repair.is_overdue,
        "rating": repair.rating,
        "rating_comment": repair.rating_comment,
        "cost": None if repair.cost_cents is None else f"{repair.cost_cents / 100:.2f}",
        "merged_into": repair.merged_into_id,
        "parts": [{"name": p.name, "quantity": p.quantity, "unit": p.unit} for p in repair.parts],
        "photos": [{"id": str(p.photo_id), "stage": p.stage,
                    "url": url_for("repairs.photo", number=repair.id, photo_id=p.photo_id)}
                   for p in repair.photos],
        "events": [{"action": e.action, "at": iso(e.at), "actor": who(e),
                    "from_status": e.from_status, "to_status": e.to_status, "note": e.note,
                    "data": e.data or {}} for e in repair.events],
    }


def _own_photos(value, field="photos"):
    """Photos uploaded first through POST /photos, by this same person."""
    if value is None:
        return [], None
    if not isinstance(value, list) or len(value) > ops.MAX_PHOTOS:
        return None, {field: _("A list of at most %(n)d photo ids.", n=ops.MAX_PHOTOS)}
    photos = []
    for text in value:
        photo_id = parse_check_id(text)
        photo = db.session.get(Photo, photo_id) if photo_id else None
        if photo is None or photo.uploaded_by_id != current_user.id:
            return None, {field: _("Upload the photo first.")}
        photos.append(photo)
    return photos, None


def _invalid(fields):
    return error(422, "invalid", _("Some fields are wrong."), fields=fields)


@bp.post("/repairs")
def post_repair():
    """Report a problem (idempotent by `id`, a client UUID)."""
    if not can(current_user, "report_repair"):
        return error(403, "forbidden", _("Your role may not report repairs."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _invalid({"body": _("Send a JSON object.")})
    fields = {}
    uid = parse_check_id(body.get("id"))
    if uid is None:
        fields["id"] = _("A UUID made by the client is required.")
    if not isinstance(body.get("checkpoint"), str) or not body["checkpoint"].strip():
        fields["checkpoint"] = _("The checkpoint's code is required.")
    for name in ("category", "severity", "description"):
        if body.get(name) is not None and not isinstance(body[name], str):
            fields[name] = _("Must be text.")
    photos, photo_error = _own_photos(body.get("photos"))
    fields.update(photo_error or {})
    if fields:
        return _invalid(fields)
    cp = lookup_checkpoint(body["checkpoint"])
    if cp is None:
        return error(404, "not_found", _("No checkpoint has this code."))
    try:
        repair, created, _token = ops.report_repair(
            cp, severity=body.get("severity"), description=body.get("description"),
            category=body.get("category"), reporter=current_user, photos=photos, uid=uid,
            source="api")
    except ValidationFailed as exc:
        db.session.rollback()
        return _invalid({k: str(v) for k, v in exc.fields.items()})
    except ops.RepairConflict:
        db.session.rollback()
        return error(409, "conflict", _("A repair with this id was stored with other content."))
    db.session.commit()
    return jsonify(repair_json(repair)), 201 if created else 200


def _load(repair_id, need_view=True):
    """By number (12) or by the client's UUID; the error response when not found / not allowed."""
    ops.close_unverified()
    db.session.commit()
    if repair_id.isdigit():
        repair = db.session.get(Repair, int(repair_id))
    else:
        uid = parse_check_id(repair_id)
        repair = db.session.scalar(db.select(Repair).where(Repair.uid == uid)) if uid else None
    if repair is None:
        return None, error(404, "not_found", _("No repair has this id."))
    if need_view and not can_view_repair(current_user, repair):
        return None, error(403, "forbidden", _("You may not see this repair."))
    return repair, None


@bp.get("/repairs/<repair_id>")
def get_repair(repair_id):
    """One repair with its timeline."""
    repair, failed = _load(repair_id)
    return failed or jsonify(repair_json(repair))


@bp.post("/repairs/<repair_id>/events")
def post_repair_event(repair_id):
    """Take a lifecycle step: {"action": ..., "note": ..., and the step's own fields}."""
    body = request.get_json(silent=True)
    # "Me too" comes from people not yet following the repair, who may not see it otherwise.
    me_too = isinstance(body, dict) and body.get("action") == "me_too"
    repair, failed = _load(repair_id, need_view=not me_too)
    if failed:
        return failed
    if not isinstance(body, dict):
        return _invalid({"body": _("Send a JSON object.")})
    action = body.get("action")
    if action not in repair_steps.ACTIONS:
        return _invalid({"action": _("One of: %(actions)s",
                                     actions=", ".join(repair_steps.ACTIONS))})
    if body.get("note") is not None and not isinstance(body["note"], str):
        return _invalid({"note": _("Must be text.")})
    uid = None
    if body.get("id") is not None:
        uid = parse_check_id(body["id"])
        if uid is None:
            return _invalid({"id": _("Must be a UUID made by the client.")})
    photos, photo_error = _own_photos(body.get("photos"))
    if photo_error:
        return _invalid(photo_error)
    into = body.get("into")
    if isinstance(into, str) and not into.isdigit():
        target_uid = parse_check_id(into)
        target = db.session.scalar(db.select(Repair).where(Repair.uid == target_uid)) \
            if target_uid else None
        into = target.id if target else None
    try:
        repair_steps.step(repair, action, user=current_user, note=body.get("note") or "",
                          uid=uid, assignee=body.get("assignee"), due=body.get("due"),
                          severity=body.get("severity"), rating=body.get("rating"),
                          parts=body.get("parts") or [], cost=body.get("cost"), into=into,
                          photos=photos)
    except ValidationFailed as exc:
        db.session.rollback()
        return _invalid({k: str(v) for k, v in exc.fields.items()})
    except repair_steps.StepNotAllowed as exc:
        db.session.rollback()
        return error(403, "forbidden", str(exc))
    except repair_steps.StepOutOfOrder as exc:
        db.session.rollback()
        return error(409, "out_of_order", str(exc), repair_status=repair.status)
    except ops.RepairConflict:
        db.session.rollback()
        return error(409, "conflict", _("A step with this id was stored for another action."))
    db.session.commit()
    return jsonify(repair_json(repair)), 200
