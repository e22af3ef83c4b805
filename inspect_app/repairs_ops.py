"""Repairs (报修单): report, faults found on checks, closing repairs the reporter never checked,
and what the lifecycle steps share with them: the names of categories, severities, states and
steps, deadlines, the timeline and checks on text, parts and cost. The steps themselves, and who
may take them, are in repair_steps. Views, the API and the CLI call these; they flush, the caller
commits.

Done but not checked within REPAIR_VERIFY_DAYS: closed, not verified.

Refusals, the same on pages and in the API: RepairConflict (409, the same client id with other
content), ValidationFailed (422).
"""
import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from . import models  # the clock is read through the module, so tests can freeze it
from .extensions import db
from .models import (OPEN_STATUSES, REPAIR_CATEGORIES, SEVERITIES, CheckFinding, Repair,
                     RepairEvent, RepairPhoto)
from .operations import OperationError, ValidationFailed

# Settings (INSPECT_<NAME> in the environment, or instance/config.py).
DEFAULTS = {
    "ANONYMOUS_REPORTS": True,
    "ANONYMOUS_REPORT_RATE_LIMIT": "5 per hour",
    "REPAIR_DEADLINE_DAYS": {"hazard": 0, "major": 0, "minor": 3},
    "REPAIR_VERIFY_DAYS": 7,
}
MAX_DESCRIPTION = 500
MAX_PHOTOS = 4
MAX_PARTS = 20
PHONE_RE = re.compile(r"^[0-9+\- ()]{3,32}$")

CATEGORY_NAMES = {
    "lighting_electrical": _l("Lighting, electrical"), "water": _l("Water, taps, drains"),
    "doors_windows": _l("Doors, windows, locks"), "furniture": _l("Furniture"),
    "sports": _l("Sports equipment"), "fire_safety": _l("Fire safety"),
    "network_it": _l("Network, IT"), "cleaning": _l("Cleaning"), "other": _l("Other"),
}
SEVERITY_NAMES = {"hazard": _l("Hazard"), "major": _l("Major"), "minor": _l("Minor")}
SEVERITY_HELP = {
    "hazard": _l("Unsafe now: someone could get hurt. Fixed today."),
    "major": _l("Stops a room or a thing being used. Fixed today."),
    "minor": _l("A nuisance; it can wait a few days."),
}
STATUS_NAMES = {
    "reported": _l("Reported"), "accepted": _l("Accepted"), "assigned": _l("Assigned"),
    "in_progress": _l("In progress"), "done": _l("Done, to be checked"),
    "closed": _l("Closed"), "declined": _l("Declined"), "merged": _l("Merged"),
}
EVENT_NAMES = {
    "reported": _l("Reported"), "accept": _l("Accepted"), "assign": _l("Assigned"),
    "start": _l("Work started"), "done": _l("Done"), "sign_off": _l("Signed off"),
    "reject": _l("Rejected by the reporter"), "decline": _l("Declined"),
    "merge": _l("Merged as a duplicate"), "merged_in": _l("A duplicate was merged in"),
    "me_too": _l("Me too"), "comment": _l("Comment"), "rate": _l("Rated"),
    "seen_again": _l("Seen again on a check"), "closed_unverified": _l("Closed, not verified"),
}


class RepairConflict(OperationError):
    """The same client id was sent before with other content (409)."""


def init_app(app):
    """Default settings for repairs (kept here so the area is self-contained)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)


def tracking_token(uid):
    """The anonymous reporter's tracking token, derived from the repair's client id with the
    secret key, so a double-tapped form shows the same link again. Only its hash is stored."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"repair-track:" + uid.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token):
    """What is stored for a tracking token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def find_by_token(token):
    """The repair a tracking token belongs to, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(db.select(Repair).where(Repair.tracking_hash == token_hash(token)))


def deadline_for(severity, start):
    """End of the local day `REPAIR_DEADLINE_DAYS[severity]` days after `start` (hazard and
    major: the same day; minor: 3 days), as a UTC instant."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    days = int(current_app.config["REPAIR_DEADLINE_DAYS"].get(severity, 3))
    day = start.astimezone(tz).date() + timedelta(days=days)
    return end_of_day(day)


def end_of_day(day):
    """The last second of a local day (TIMEZONE), as a UTC instant."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    return datetime.combine(day, time(23, 59, 59), tz).astimezone(UTC)


def clean_text(value, limit, name, errors, required=False, message=None):
    """A form or JSON text field, stripped ("" when missing). Too long, or empty when required:
    the message goes into `errors[name]`."""
    value = value.strip() if isinstance(value, str) else ("" if value is None else value)
    if not isinstance(value, str) or len(value) > limit:
        errors[name] = _l("Text of at most %(n)d characters.", n=limit)
    elif required and not value:
        errors[name] = message or _l("Required.")
    return value if isinstance(value, str) else ""


def _content_hash(**content):
    import json

    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def report_repair(checkpoint, *, severity, description, category=None, reporter=None,
                  photos=(), uid=None, reporter_name="", reporter_phone="", source="web"):
    """Report a problem at a checkpoint. Returns (repair, created, token): `token` is the
    tracking token of an anonymous report (None for a signed-in reporter).

    Idempotent by `uid`: the same id and content returns the stored repair (created=False);
    other content raises RepairConflict. Raises ValidationFailed naming each bad field.
    """
    import uuid as uuid_module

    errors = {}
    category = category or checkpoint.kind.repair_category
    if category not in REPAIR_CATEGORIES:
        errors["category"] = _l("Choose what kind of problem it is.")
    if severity not in SEVERITIES:
        errors["severity"] = _l("Choose how bad it is.")
    description = clean_text(description, MAX_DESCRIPTION, "description", errors,
                             required=True, message=_l("Say in a few words what is wrong."))
    reporter_name = clean_text(reporter_name, 100, "name", errors)
    reporter_phone = clean_text(reporter_phone, 32, "phone", errors)
    if reporter_phone and "phone" not in errors and not PHONE_RE.match(reporter_phone):
        errors["phone"] = _l("Digits only, e.g. 13812345678.")
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = _l("At most %(n)d photos.", n=MAX_PHOTOS)
    if checkpoint.status == "retired":
        errors["checkpoint"] = _l("This checkpoint is retired.")
    if errors:
        raise ValidationFailed(errors)
    uid = uid or uuid_module.uuid4()
    digest = _content_hash(checkpoint=checkpoint.code, category=category, severity=severity,
                           description=description, reporter=reporter.id if reporter else None,
                           name=reporter_name, phone=reporter_phone,
                           photos=sorted(str(p.id) for p in photos))
    anonymous = reporter is None
    existing = db.session.scalar(db.select(Repair).where(Repair.uid == uid))
    if existing is not None:
        if existing.content_hash != digest:
            raise RepairConflict(str(uid))
        return existing, False, tracking_token(uid) if anonymous else None
    token = tracking_token(uid) if anonymous else None
    repair = Repair(uid=uid, checkpoint_id=checkpoint.id, category=category, severity=severity,
                    description=description, source="anonymous" if anonymous else source,
                    reporter_id=None if anonymous else reporter.id, reporter_name=reporter_name,
                    reporter_phone=reporter_phone, content_hash=digest,
                    tracking_hash=token_hash(token) if token else None, reported_at=models.utcnow())
    db.session.add(repair)
    db.session.flush()
    event = record_event(repair, "reported", reporter, None, "reported", description,
                         actor_name=reporter_name)
    for photo in photos:
        db.session.add(RepairPhoto(repair_id=repair.id, photo_id=photo.id, stage="report",
                                   event_id=event.id))
    db.session.flush()
    return repair, True, token


def faults_to_repairs(check):
    """Turn the faulty items of a new check into repairs: a new one per fault, or a "seen
    again" step on the repair already open for that checkpoint and item. Same transaction."""
    cp = check.checkpoint
    findings = db.session.scalars(db.select(CheckFinding).where(CheckFinding.check_id == check.id)
                                  .order_by(CheckFinding.id)).all()
    for finding in findings:
        key = f"{cp.id}:{finding.item_key}"
        try:
            with db.session.begin_nested():
                repair = _open_fault(key)
                if repair is None:
                    repair = _new_fault_repair(check, cp, finding, key)
                else:
                    _seen_again(repair, check, finding)
        except IntegrityError:
            # Another check opened it a moment ago: add to that one.
            _seen_again(_open_fault(key), check, finding)


def _open_fault(key):
    return db.session.scalar(db.select(Repair).where(Repair.open_fault_key == key))


def _new_fault_repair(check, cp, finding, key):
    category = cp.kind.repair_category
    repair = Repair(checkpoint_id=cp.id, item_key=finding.item_key, open_fault_key=key,
                    category=category if category in REPAIR_CATEGORIES else "other",
                    severity="major" if category == "fire_safety" else "minor",
                    description=finding.note, source="check", reporter_id=check.user_id,
                    first_check_id=check.id, reported_at=check.observed_at,
                    content_hash=_content_hash(check=check.id, item=finding.item_key))
    db.session.add(repair)
    db.session.flush()
    event = record_event(repair, "reported", check.user, None, "reported", finding.note,
                         {"check": str(check.id)})
    if finding.photo_id:
        db.session.add(RepairPhoto(repair_id=repair.id, photo_id=finding.photo_id,
                                   stage="report", event_id=event.id))
    db.session.flush()
    return repair


def _seen_again(repair, check, finding):
    event = record_event(repair, "seen_again", check.user, repair.status, repair.status,
                         finding.note,
                         {"check": str(check.id), "observed_at": check.observed_at.isoformat()})
    if finding.photo_id and not any(p.photo_id == finding.photo_id for p in repair.photos):
        db.session.add(RepairPhoto(repair_id=repair.id, photo_id=finding.photo_id,
                                   stage="report", event_id=event.id))
    db.session.flush()


def record_event(repair, action, user, from_status, to_status, note="", data=None,
                 actor_name="", uid=None):
    """Add one entry to a repair's timeline and flush; returns the RepairEvent."""
    event = RepairEvent(repair_id=repair.id, action=action, actor_id=user.id if user else None,
                        actor_name=actor_name, from_status=from_status, to_status=to_status,
                        note=note or "", data=data or {}, uid=uid, at=models.utcnow())
    db.session.add(event)
    db.session.flush()
    return event


def parse_parts(rows):
    """Parts and materials as [{name, quantity, unit}]; raises ValidationFailed on bad rows."""
    if not isinstance(rows, list) or len(rows) > MAX_PARTS:
        raise ValidationFailed({"parts": _l("A list of at most %(n)d parts.", n=MAX_PARTS)})
    parts, errors = [], {}
    for i, row in enumerate(rows):
        row = row if isinstance(row, dict) else {}
        name = row.get("name").strip() if isinstance(row.get("name"), str) else ""
        unit = row.get("unit").strip() if isinstance(row.get("unit"), str) else ""
        try:
            quantity = float(row.get("quantity", 1) if row.get("quantity") not in ("", None) else 1)
        except (TypeError, ValueError):
            quantity = -1
        if not name or len(name) > 100:
            errors[f"parts.{i}.name"] = _l("Name the part (at most 100 characters).")
        if not 0 < quantity <= 100000 or quantity != quantity:
            errors[f"parts.{i}.quantity"] = _l("A quantity above 0.")
        if len(unit) > 20:
            errors[f"parts.{i}.unit"] = _l("At most 20 characters.")
        parts.append({"name": name, "quantity": quantity, "unit": unit})
    if errors:
        raise ValidationFailed(errors)
    return parts


def parse_cost(value):
    """A cost in yuan ("12.5", 12.5) as cents, None when not given."""
    if value in (None, ""):
        return None
    try:
        cents = round(float(str(value).strip().replace("¥", "")) * 100)
    except (TypeError, ValueError, OverflowError):
        cents = -1
    if not 0 <= cents <= 10**9:
        raise ValidationFailed({"cost": _l("An amount in yuan, e.g. 12.50.")})
    return cents


def close_unverified(now=None):
    """Close, as not verified, every repair done more than REPAIR_VERIFY_DAYS ago that its
    reporter never checked. Safe to call from many requests at once; returns how many closed."""
    now = now or models.utcnow()
    limit = now - timedelta(days=int(current_app.config["REPAIR_VERIFY_DAYS"]))
    stale = db.session.scalars(db.select(Repair.id).where(Repair.status == "done",
                                                          Repair.done_at <= limit)).all()
    closed = 0
    for repair_id in stale:
        claimed = db.session.execute(
            update(Repair).where(Repair.id == repair_id, Repair.status == "done")
            .values(status="closed", verified=False, closed_at=now, open_fault_key=None)
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            db.session.add(RepairEvent(repair_id=repair_id, action="closed_unverified", at=now,
                                       from_status="done", to_status="closed", data={}))
            closed += 1
    db.session.flush()
    if closed:
        db.session.expire_all()
    return closed


def open_repairs_at(checkpoint):
    """The repairs still open at a checkpoint, hazards first, newest first."""
    return db.session.scalars(
        db.select(Repair).where(Repair.checkpoint_id == checkpoint.id,
                                Repair.status.in_(OPEN_STATUSES))
        .order_by((Repair.severity == "hazard").desc(), Repair.reported_at.desc())).all()
