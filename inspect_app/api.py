"""JSON API under /api/v1. Authenticates by session cookie (with the CSRF header for writes)
or by `Authorization: Bearer <token>`. Calls the same domain functions as the pages."""
import uuid
from datetime import datetime

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf

from . import codes
from .access import can
from .extensions import csrf, db
from .i18n import tr
from .models import Check, Photo, check_result
from .openapi import document
from .operations import (CheckConflict, ValidationFailed, find_check_target, last_check,
                         lookup_checkpoint, parse_check_id, record_check, save_photo)
from .photos import PhotoError, process_photo
from .scan import photo_error_message

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
PUBLIC = {"api.openapi"}


def error(status, code, message, **extra):
    """A JSON error body: {"error": code, "message": text, ...}."""
    return jsonify(error=code, message=message, **extra), status


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    if not current_user.is_authenticated:
        return error(401, "unauthorized", _("Sign in, or send an API token."))
    if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("token_auth"):
        csrf.protect()  # a browser session must prove the request came from our pages
    return None


@bp.errorhandler(CSRFError)
def csrf_failed(exc):
    return error(400, "csrf_failed", _("The form expired. Reload the page and try again."))


def iso(value):
    return value.isoformat() if value else None


def check_json(check, checkpoint_code=None):
    """A check as the API shows it. A check just written by the group writer is not in the
    session, so the caller that knows its checkpoint's code passes it."""
    values = {name: getattr(check, name) for name in CHECK_DOCUMENT_VALUES}
    faults = [{"item": f.item_key, "note": f.note,
               "photo": str(f.photo_id) if f.photo_id else None} for f in check.findings]
    return check_document(values, checkpoint_code or check.checkpoint.code,
                          check.user.username, faults)


CHECK_DOCUMENT_VALUES = ("id", "observed_at", "received_at", "items", "fault_count", "note",
                         "corrects_id", "source")


def check_document(values, checkpoint_code, username, faults=()):
    """The API's JSON of a check from its row values (the checks table's column names)."""
    return {
        "id": str(values["id"]),
        "checkpoint": checkpoint_code,
        "user": username,
        "observed_at": iso(values["observed_at"]),
        "received_at": iso(values["received_at"]),
        "items": values["items"],
        "result": check_result(values["fault_count"]),
        "note": values["note"],
        "faults": list(faults),
        "corrects": str(values["corrects_id"]) if values["corrects_id"] else None,
        "source": values["source"],
    }


def checkpoint_json(cp):
    """A checkpoint with its checklist, labels in the caller's language."""
    latest = last_check(cp)
    schedule = cp.schedule
    return {
        "code": cp.code,
        "display_code": codes.display(cp.code),
        "name": cp.name,
        "kind": {"key": cp.kind.key, "name": tr(cp.kind.names)},
        "location": cp.location.path,
        "responsible": cp.responsible.username if cp.responsible else None,
        "status": cp.status,
        "schedule": schedule.spelling if schedule else None,
        "checklist": [{"key": i.key, "label": tr(i.labels)} for i in cp.kind.active_items],
        "last_check": check_json(latest) if latest else None,
    }


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())


@bp.get("/me")
def me():
    """Who is signed in, and a fresh CSRF token for session-authenticated writes."""
    return jsonify(username=current_user.username, name=current_user.name,
                   role=current_user.role, csrf_token=generate_csrf())


@bp.get("/checkpoints/<code>")
def get_checkpoint(code):
    """One checkpoint by any typed form of its code."""
    cp = lookup_checkpoint(code)
    if cp is None:
        return error(404, "not_found", _("No checkpoint has this code."))
    return jsonify(checkpoint_json(cp))


MAX_SOURCE = 16  # the checks table's source column
# What is wrong with each field of a check's body, by field name (see parse_check_body).
BODY_PROBLEMS = {
    "body": _l("Send a JSON object."),
    "id": _l("A UUID made by the client is required."),
    "checkpoint": _l("The checkpoint's code is required."),
    "observed_at": _l("An ISO 8601 time with its UTC offset is required."),
    "items": _l("An object of item keys and ok or fault is required."),
    "note": _l("The note must be text."),
    "item_notes": _l("Must be an object keyed by item."),
    "photos": _l("Must be an object keyed by item."),
    "corrects": _l("Must be the UUID of an earlier check."),
    "source": _l("Text of at most %(n)d characters.", n=MAX_SOURCE),
}


def parse_check_body(body):
    """Read the JSON body of POST /api/v1/checks: returns ({id, observed_at, corrects},
    names of the bad fields). Plain values only, so the fast check path can call it too."""
    if not isinstance(body, dict):
        return None, ["body"]
    bad = []
    check_id = parse_check_id(body.get("id"))
    if check_id is None:
        bad.append("id")
    if not isinstance(body.get("checkpoint"), str) or not body["checkpoint"].strip():
        bad.append("checkpoint")
    observed_at = None
    try:
        observed_at = datetime.fromisoformat(str(body.get("observed_at", "")).replace("Z", "+00:00"))
    except ValueError:
        pass
    if observed_at is None or observed_at.tzinfo is None:
        bad.append("observed_at")
    if not isinstance(body.get("items"), dict) or not body["items"]:
        bad.append("items")
    if body.get("note") is not None and not isinstance(body["note"], str):
        bad.append("note")
    bad += [name for name in ("item_notes", "photos")
            if body.get(name) is not None and not isinstance(body[name], dict)]
    corrects = body.get("corrects")
    if corrects is not None and parse_check_id(corrects) is None:
        bad.append("corrects")
    source = body.get("source")
    if source is not None and (not isinstance(source, str) or len(source) > MAX_SOURCE):
        bad.append("source")
    return dict(id=check_id, observed_at=observed_at, corrects=parse_check_id(corrects)), bad


def check_arguments(body, parsed):
    """The arguments of record_check (or check_values) that a parsed body gives, photos
    aside (those are looked up first)."""
    return dict(check_id=parsed["id"], observed_at=parsed["observed_at"], items=body["items"],
                note=body.get("note") or "", item_notes=body.get("item_notes") or {},
                corrects_id=parsed["corrects"], source=body.get("source") or "api")


@bp.post("/checks")
def post_check():
    """Log a check. Idempotent by its client-made UUID."""
    if not can(current_user, "log_check"):
        return error(403, "forbidden", _("Your role may not log checks."))
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: not a check either
        body = None
    parsed, bad = parse_check_body(body)
    if bad:
        return error(422, "invalid", _("Some fields are wrong."),
                     fields={name: str(BODY_PROBLEMS[name]) for name in bad})
    target = find_check_target(body["checkpoint"])
    if target is None:
        return error(404, "not_found", _("No checkpoint has this code."))
    photos = {}
    for key, value in (body.get("photos") or {}).items():
        photo = db.session.get(Photo, parse_check_id(value) or uuid.UUID(int=0))
        if photo is None:
            return error(422, "invalid", _("Some fields are wrong."),
                         fields={f"photos.{key}": _("Upload the photo first.")})
        photos[key] = photo
    try:
        check, created = record_check(current_user, target, photos=photos,
                                      **check_arguments(body, parsed))
    except ValidationFailed as exc:
        db.session.rollback()
        return error(422, "invalid", _("Some fields are wrong."),
                     fields={k: str(v) for k, v in exc.fields.items()})
    except CheckConflict:
        db.session.rollback()
        return error(409, "conflict", _("A check with this id was stored with other content."))
    # A stored check with the same id has the same content, so the same checkpoint.
    return jsonify(check_json(check, target.code)), 201 if created else 200


@bp.get("/checks/<check_id>")
def get_check(check_id):
    """One stored check."""
    if not can(current_user, "view_check_details"):
        return error(403, "forbidden", _("Your role may not read checks."))
    parsed = parse_check_id(check_id)
    check = db.session.get(Check, parsed) if parsed else None
    if check is None:
        return error(404, "not_found", _("No check has this id."))
    return jsonify(check_json(check))


@bp.post("/photos")
def post_photo():
    """Upload a photo (multipart field `file`); `id` (a client UUID) makes retries safe."""
    photo_id = parse_check_id(request.form.get("id")) or uuid.uuid4()
    existing = db.session.get(Photo, photo_id)
    if existing is not None:
        return jsonify(id=str(existing.id), width=existing.width, height=existing.height), 200
    upload = request.files.get("file")
    if upload is None:
        return error(422, "invalid", _("Some fields are wrong."),
                     fields={"file": _("Attach a photo.")})
    try:
        processed = process_photo(upload.stream, max_bytes=current_app.config["PHOTO_MAX_BYTES"])
    except PhotoError as exc:
        return error(422, "invalid", photo_error_message(exc),
                     fields={"file": photo_error_message(exc)})
    photo = save_photo(processed, current_app.config["PHOTO_FOLDER"], current_user, photo_id)
    db.session.commit()
    return jsonify(id=str(photo.id), width=photo.width, height=photo.height), 201
