"""The writes. Views, the API and the CLI all call these; they flush, the caller commits."""
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError

from . import models  # the clock is read through the module, so tests can freeze it
from . import codes
from .extensions import db
from .group_commit import session_is_writing, writer_for
from .models import (ANSWERS, ROLES, ApiToken, Check, CheckFinding, ChecklistItem,
                     Checkpoint, Label, Photo, User)
from .security import hash_token

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MAX_NOTE = 2000
# A phone clock can be off, and scripts replay checks with chosen times: only a time more than
# a year ahead of the server is refused as nonsense. received_at always keeps the server's time.
MAX_CLOCK_AHEAD = timedelta(days=366)


class OperationError(Exception):
    """Base of the errors the domain functions raise with a message for people."""


@dataclass
class ValidationFailed(OperationError):
    """Bad input: `fields` maps each bad field to what is wrong with it."""

    fields: dict = field(default_factory=dict)

    def __str__(self):
        return "; ".join(f"{k}: {v}" for k, v in self.fields.items())


class CheckConflict(OperationError):
    """The same check id was sent before with different content."""


# Built once: every scan and every check runs these, and building a statement costs more
# than SQLite takes to answer it.
_CHECKPOINT_BY_CODE = db.select(Checkpoint).where(Checkpoint.code == bindparam("code"))
CHECK_TARGET_BY_CODE = (
    db.select(Checkpoint.id, Checkpoint.code, Checkpoint.status, Checkpoint.kind_id,
              ChecklistItem.key)
    .outerjoin(ChecklistItem, ChecklistItem.kind_id == Checkpoint.kind_id)
    .where(Checkpoint.code == bindparam("code"))
    .order_by(ChecklistItem.position, ChecklistItem.id))


class CheckTarget(NamedTuple):
    """What logging a check needs to know about its checkpoint, as plain values."""

    id: int
    code: str
    status: str
    kind_id: int
    # The checklist's item keys in order, retired ones included: a phone that kept an old
    # checklist offline may still answer them.
    keys: tuple

    @classmethod
    def of(cls, checkpoint):
        """The target of a loaded Checkpoint; the check form has its checklist loaded."""
        return cls(checkpoint.id, checkpoint.code, checkpoint.status, checkpoint.kind_id,
                   tuple(item.key for item in checkpoint.kind.items))

    @classmethod
    def of_rows(cls, rows):
        """The target of CHECK_TARGET_BY_CODE's rows (id, code, status, kind_id, key), or
        None when there are none."""
        if not rows:
            return None
        first = rows[0]
        return cls(first[0], first[1], first[2], first[3],
                   tuple(row[4] for row in rows if row[4] is not None))


def find_check_target(code):
    """The CheckTarget of a typed code, or None: one query and no ORM objects, because
    every tap on All OK sent by a phone or a script starts here."""
    code = codes.normalize(code)
    if not code:
        return None
    return CheckTarget.of_rows(
        db.session.connection().execute(CHECK_TARGET_BY_CODE, {"code": code}).all())


def lookup_checkpoint(code):
    """The checkpoint an active code belongs to, or None. Accepts any typed form of a code."""
    code = codes.normalize(code)
    if not code:
        return None
    return db.session.execute(_CHECKPOINT_BY_CODE, {"code": code}).scalar_one_or_none()


def lookup_label(code):
    """The Label row for a typed code (active, retired or blank), or None."""
    code = codes.normalize(code)
    return db.session.get(Label, code) if code else None


def issue_code():
    """A new code that was never issued before (codes are never reused)."""
    while True:
        code = codes.new_code()
        if db.session.get(Label, code) is None:
            return code


def _content_hash(target, observed_at, items, note, item_notes, photo_ids, corrects_id):
    content = {
        "checkpoint": target.code,
        "observed_at": observed_at.timestamp(),
        "items": dict(sorted(items.items())),
        "note": note,
        "item_notes": dict(sorted(item_notes.items())),
        "photos": dict(sorted((k, str(v)) for k, v in photo_ids.items())),
        "corrects": str(corrects_id) if corrects_id else None,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _validate_check(target, observed_at, items, note, item_notes, received_at):
    errors = {}
    known = set(target.keys)
    if not isinstance(items, dict) or not items:
        errors["items"] = _l("Answer at least one checklist item.")
    else:
        unknown = sorted(str(k) for k in items if k not in known)
        bad = sorted(str(k) for k, v in items.items() if k in known and v not in ANSWERS)
        if unknown:
            errors["items"] = _l("Not on this checklist: %(keys)s", keys=", ".join(unknown))
        elif bad:
            errors["items"] = _l("Answer ok or fault for: %(keys)s", keys=", ".join(bad))
    if not isinstance(observed_at, datetime) or observed_at.tzinfo is None:
        errors["observed_at"] = _l("Give the time with its UTC offset.")
    elif observed_at > received_at + MAX_CLOCK_AHEAD:
        errors["observed_at"] = _l("This time is in the future; check the phone's clock.")
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        errors["note"] = _l("A note is text of at most %(n)d characters.", n=MAX_NOTE)
    for key, text in item_notes.items():
        if key not in known or not isinstance(text, str) or len(text) > MAX_NOTE:
            errors[f"item_notes.{key}"] = _l("A note is text of at most %(n)d characters.",
                                             n=MAX_NOTE)
    if target.status == "retired":
        errors["checkpoint"] = _l("This checkpoint is retired.")
    return errors


def log_check(user, checkpoint, *, check_id, observed_at, items, note="", item_notes=None,
              photos=None, corrects_id=None, source="web", received_at=None):
    """Record one visit to a checkpoint (a Checkpoint or its CheckTarget) in the session.
    Returns (check, created); the caller commits (see record_check for the usual case, a
    check on its own).

    The client's UUID makes it idempotent: the same id with the same content returns the
    stored check (created=False); the same id with other content raises CheckConflict.
    Raises ValidationFailed naming each bad field.
    """
    target, photos = _target(checkpoint), photos or {}
    values = check_values(user.id, target, check_id=check_id, observed_at=observed_at,
                          items=items, note=note, item_notes=item_notes,
                          photo_ids={k: p.id for k, p in photos.items()},
                          corrects_id=corrects_id, source=source, received_at=received_at)
    return _add_check(_new_check(values, user, target, item_notes, photos))


def record_check(user, checkpoint, *, check_id, observed_at, items, note="", item_notes=None,
                 photos=None, corrects_id=None, source="web", received_at=None):
    """log_check, committed: returns (check, created) once the check is durable.

    A check without faults is the common case (one tap on All OK) and touches one row, so
    on SQLite it goes through the group writer (see insert_check_row) and shares its commit
    with the checks that arrive at the same moment; the check returned then is not in the
    session. Anything else commits the session as usual.
    """
    target, photos = _target(checkpoint), photos or {}
    values = check_values(user.id, target, check_id=check_id, observed_at=observed_at,
                          items=items, note=note, item_notes=item_notes,
                          photo_ids={k: p.id for k, p in photos.items()},
                          corrects_id=corrects_id, source=source, received_at=received_at)
    inserted = None
    if not values["fault_count"] and not session_is_writing():
        inserted = insert_check_row(values)
    if inserted is None:
        check, created = _add_check(_new_check(values, user, target, item_notes, photos))
        db.session.commit()
        return check, created
    if inserted:
        return _new_check(values, user, target, item_notes, photos), True
    existing = db.session.get(Check, check_id)
    if existing is None:  # cannot happen: the insert found this id taken
        raise CheckConflict(str(check_id))
    return _same_or_conflict(existing, values["content_hash"])


def _target(checkpoint):
    return checkpoint if isinstance(checkpoint, CheckTarget) else CheckTarget.of(checkpoint)


def _clean_notes(item_notes):
    return {k: v.strip() for k, v in (item_notes or {}).items()
            if isinstance(v, str) and v.strip()}


def check_values(user_id, target, *, check_id, observed_at, items, note="", item_notes=None,
                 photo_ids=None, corrects_id=None, source="web", received_at=None):
    """Validate a check and return its row of the checks table as a dict, not yet stored.
    Raises ValidationFailed naming each bad field. Reads the database only to find the
    check a correction points to, so the fast check path can call it with plain values."""
    received_at = received_at or models.utcnow()
    note = "" if note is None else (note.strip() if isinstance(note, str) else note)
    item_notes, photo_ids = _clean_notes(item_notes), photo_ids or {}
    errors = _validate_check(target, observed_at, items, note, item_notes, received_at)
    if corrects_id is not None:
        corrected = db.session.get(Check, corrects_id)
        if corrected is None or corrected.checkpoint_id != target.id:
            errors["corrects"] = _l("The check to correct was not found on this checkpoint.")
    if errors:
        raise ValidationFailed(errors)
    observed_at, received_at = observed_at.astimezone(UTC), received_at.astimezone(UTC)
    return {"id": check_id, "checkpoint_id": target.id, "user_id": user_id,
            "observed_at": observed_at, "received_at": received_at, "items": dict(items),
            "fault_count": sum(1 for v in items.values() if v == "fault"), "note": note,
            "corrects_id": corrects_id, "source": source,
            "content_hash": _content_hash(target, observed_at, items, note, item_notes,
                                          photo_ids, corrects_id)}


def insert_check_row(values):
    """Store a check without faults (see check_values) through the group writer, sharing
    its commit with the checks that arrive at the same moment. Returns True once it is
    durable, False when a check with its id was stored before (compare content_hash), or
    None when there is no group writer (not SQLite, or switched off): then the check goes
    through the session."""
    writer = writer_for(Check.__table__, stamp="received_at")
    return None if writer is None else writer.insert(values)


def _new_check(values, user, target, item_notes, photos):
    """The Check of prepared values, with a finding for each faulty item."""
    check = Check(**values)
    check.user = user  # as an object, so the reply needs no query for the name
    if check.fault_count:  # an unset collection reads as empty; setting one costs
        item_notes = _clean_notes(item_notes)
        check.findings = [
            CheckFinding(item_key=key, note=item_notes.get(key, ""),
                         photo_id=photos[key].id if key in photos else None)
            for key in target.keys if values["items"].get(key) == "fault"]
    return check


def _add_check(check):
    """Add a prepared check to the session (flushed), or find the one stored under its id."""
    existing = db.session.get(Check, check.id)
    if existing is not None:
        return _same_or_conflict(existing, check.content_hash)
    db.session.add(check)
    try:
        db.session.flush()
    except IntegrityError:
        # The same id raced in from a second request (a double tap, a replay).
        db.session.rollback()
        existing = db.session.get(Check, check.id)
        if existing is None:
            raise
        return _same_or_conflict(existing, check.content_hash)
    if check.fault_count:
        from .repairs_ops import faults_to_repairs

        faults_to_repairs(check)  # every fault becomes (or adds to) an open repair
    return check, True


def _same_or_conflict(existing, digest):
    if existing.content_hash != digest:
        raise CheckConflict(str(existing.id))
    return existing, False


def parse_check_id(value):
    """A UUID from text, or None."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def last_check(checkpoint):
    """The most recent check of a checkpoint by the phone's time, or None."""
    return db.session.execute(
        db.select(Check).where(Check.checkpoint_id == checkpoint.id)
        .order_by(Check.observed_at.desc()).limit(1)).scalar_one_or_none()


def current_faults(checkpoint, latest=None):
    """What is wrong with the checkpoint now: the faulty items of its latest check."""
    latest = latest if latest is not None else last_check(checkpoint)
    if latest is None or not latest.fault_count:
        return []
    return list(latest.findings)


def save_photo(processed, folder, user=None, photo_id=None):
    """Store a re-encoded photo (see photos.process_photo) and its row; returns the Photo."""
    from .photos import store_photo

    relative = store_photo(processed, folder)
    photo = Photo(id=photo_id or uuid.uuid4(), path=relative, sha256=processed.sha256, width=processed.width,
                  height=processed.height, size=len(processed.data),
                  uploaded_by_id=user.id if user else None)
    db.session.add(photo)
    db.session.flush()
    return photo


def create_user(username, role, password, display_name="", locale=None):
    """Add a person who can sign in. Raises ValidationFailed on a bad name, role or password."""
    errors = {}
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        errors["username"] = _l("2 to 64 lower-case letters, digits, dot, dash or underscore.")
    elif db.session.execute(db.select(User.id).where(User.username == username)).first():
        errors["username"] = _l("This username is taken.")
    if role not in ROLES:
        errors["role"] = _l("One of: %(roles)s", roles=", ".join(ROLES))
    if not password or len(password) < 8:
        errors["password"] = _l("At least 8 characters.")
    if errors:
        raise ValidationFailed(errors)
    user = User(username=username, role=role, display_name=display_name or "", locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def add_token(user, name=""):
    """Create an API token for the user; returns the token text (shown once, stored hashed)."""
    token = "ci_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name, token_hash=hash_token(token)))
    db.session.flush()
    return token
