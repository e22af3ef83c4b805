"""Checkpoints in and out as CSV: columns code, name, kind, location, schedule, responsible.

Import is all-or-nothing and idempotent: every row is checked first, and a bad file writes
nothing; re-running the same file changes nothing.
"""
import csv
import io
import re
from dataclasses import dataclass, field

from . import codes
from .catalog import STANDARD_KINDS, ensure_kind
from .extensions import db
from .models import Checkpoint, Kind, Label, Location, Schedule, User
from .schedule import parse_schedule

COLUMNS = ("code", "name", "kind", "location", "schedule", "responsible")
REQUIRED = ("name", "kind", "location")
FOREIGN_CODE = re.compile(r"^[0-9A-Z]{4,16}$")


@dataclass
class ImportReport:
    """What an import did (or would do): counts and, for a bad file, each bad row."""

    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: int = 0
    errors: list = field(default_factory=list)  # (row number, message)

    @property
    def ok(self):
        return not self.errors


def read_csv(data):
    """Rows (dicts) from CSV bytes, UTF-8 with or without BOM. Raises ValueError if unreadable."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8: in Excel choose 'CSV UTF-8' when saving")
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"missing column(s): {', '.join(missing)}; "
                         f"expected: {', '.join(COLUMNS)}")
    reader.fieldnames = header
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def _split_path(text):
    parts = [p.strip() for p in re.split(r"[/／]", text)]
    return [p for p in parts if p]


def _guess_kind(depth, name):
    if depth == 0:
        return "campus"
    if depth == 1:
        return "building"
    if re.fullmatch(r"(B?\d+F|\d+层|[一二三四五六七八九十]+楼|地下\d*层)", name, re.I):
        return "floor"
    return "room"


def ensure_location(path_text):
    """The Location for a path such as 北校区/启慧楼/2F/203, creating missing nodes."""
    parts = _split_path(path_text)
    parent = None
    for depth, name in enumerate(parts):
        path = "/".join(parts[:depth + 1])
        node = db.session.execute(db.select(Location).where(Location.path == path)).scalar_one_or_none()
        if node is None:
            node = Location(name=name, path=path, depth=depth, parent=parent,
                            kind=_guess_kind(depth, name))
            db.session.add(node)
            db.session.flush()
        parent = node
    return parent


def _check_row(number, row, seen_codes, seen_places, users):
    errors = []
    code = codes.normalize(row.get("code", ""))
    if row.get("code") and not FOREIGN_CODE.match(code):
        errors.append(f"code '{row['code']}' must be 4 to 16 letters or digits")
    label = db.session.get(Label, code) if code else None
    if label is not None and label.state == "retired":
        errors.append(f"code {code} belongs to a retired label and is never reused")
    if code and code in seen_codes:
        errors.append(f"code {code} appears twice (rows {seen_codes[code]} and {number})")
    if not row.get("name"):
        errors.append("name is empty")
    elif len(row["name"]) > 200:
        errors.append("name is longer than 200 characters")
    kind_key = row.get("kind", "")
    if not kind_key:
        errors.append("kind is empty")
    elif kind_key not in STANDARD_KINDS and not db.session.execute(
            db.select(Kind.id).where(Kind.key == kind_key)).first():
        known = sorted(set(STANDARD_KINDS) | set(db.session.scalars(db.select(Kind.key))))
        errors.append(f"unknown kind '{kind_key}' (known: {', '.join(known)})")
    parts = _split_path(row.get("location", ""))
    if not parts:
        errors.append("location is empty (e.g. 北校区/启慧楼/2F/203)")
    elif any(len(p) > 100 for p in parts):
        errors.append("a part of the location is longer than 100 characters")
    if row.get("schedule"):
        try:
            parse_schedule(row["schedule"])
        except ValueError:
            errors.append(f"schedule '{row['schedule']}' is not one of daily, weekly, "
                          "weekly:mon..weekly:sun, monthly, monthly:1..monthly:31")
    if row.get("responsible") and row["responsible"].lower() not in users:
        errors.append(f"responsible '{row['responsible']}' is not a user")
    place = ("/".join(parts), row.get("name", ""))
    if not code and place in seen_places:
        errors.append(f"'{place[1]}' at {place[0]} appears twice "
                      f"(rows {seen_places[place]} and {number})")
    if code:
        seen_codes.setdefault(code, number)
    seen_places.setdefault(place, number)
    return errors


def import_checkpoints(rows, dry_run=False):
    """Create or update checkpoints from CSV rows. Returns an ImportReport; with errors or
    dry_run nothing is kept (the caller commits only a clean, real run)."""
    report = ImportReport()
    users = {u.username: u for u in db.session.scalars(db.select(User))}
    seen_codes, seen_places = {}, {}
    for number, row in enumerate(rows, start=2):
        for message in _check_row(number, row, seen_codes, seen_places, users):
            report.errors.append((number, message))
    if report.errors:
        return report
    for row in rows:
        _apply_row(row, users, report)
    db.session.flush()
    if dry_run:
        db.session.rollback()
    return report


def _apply_row(row, users, report):
    code = codes.normalize(row.get("code", ""))
    kind = ensure_kind(row["kind"])
    location = ensure_location(row["location"])
    responsible = users.get(row["responsible"].lower()) if row.get("responsible") else None
    checkpoint = None
    if code:
        checkpoint = db.session.execute(
            db.select(Checkpoint).where(Checkpoint.code == code)).scalar_one_or_none()
    else:
        checkpoint = db.session.execute(db.select(Checkpoint).where(
            Checkpoint.location_id == location.id, Checkpoint.name == row["name"],
            Checkpoint.status != "retired")).scalars().first()
    if checkpoint is None:
        from .operations import issue_code

        code = code or issue_code()
        checkpoint = Checkpoint(code=code, name=row["name"], kind_id=kind.id,
                                location_id=location.id,
                                responsible_id=responsible.id if responsible else None)
        db.session.add(checkpoint)
        label = db.session.get(Label, code)  # a blank label printed earlier gets linked
        if label is None:
            label = Label(code=code, state="active")
            db.session.add(label)
        label.checkpoint, label.state = checkpoint, "active"
        db.session.flush()
        _set_schedule(checkpoint, row.get("schedule", ""))
        report.created.append(checkpoint.code)
        return
    changed = False
    for attr, value in (("name", row["name"]), ("kind_id", kind.id),
                        ("location_id", location.id),
                        ("responsible_id", responsible.id if responsible else None)):
        if getattr(checkpoint, attr) != value:
            setattr(checkpoint, attr, value)
            changed = True
    changed |= _set_schedule(checkpoint, row.get("schedule", ""))
    if changed:
        report.updated.append(checkpoint.code)
    else:
        report.unchanged += 1


def _set_schedule(checkpoint, spelling):
    """Make the checkpoint's override match the spelling ('' = the kind's). True if changed."""
    override = db.session.execute(
        db.select(Schedule).where(Schedule.checkpoint_id == checkpoint.id)).scalar_one_or_none()
    if not spelling:
        if override is None:
            return False
        db.session.delete(override)
        return True
    parsed = parse_schedule(spelling)
    frequency, weekday, monthday = parsed.frequency, parsed.weekday, parsed.monthday
    if override is None:
        db.session.add(Schedule(checkpoint_id=checkpoint.id, frequency=frequency,
                                weekday=weekday, monthday=monthday,
                                runs_on_closure_days=bool(
                                    checkpoint.kind.schedule
                                    and checkpoint.kind.schedule.runs_on_closure_days)))
        return True
    if (override.frequency, override.weekday, override.monthday) == (frequency, weekday, monthday):
        return False
    override.frequency, override.weekday, override.monthday = frequency, weekday, monthday
    return True


def export_checkpoints(out):
    """Write every checkpoint that is not retired as CSV (UTF-8 with BOM, so Excel reads it)."""
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    query = (db.select(Checkpoint).where(Checkpoint.status != "retired")
             .join(Location).order_by(Location.path, Checkpoint.name))
    for cp in db.session.scalars(query):
        override = cp.schedule_override
        writer.writerow([cp.code, cp.name, cp.kind.key, cp.location.path,
                         override.spelling if override else "",
                         cp.responsible.username if cp.responsible else ""])
