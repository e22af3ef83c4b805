"""Database models (SQLAlchemy 2, typed). Times are stored in UTC.

Checks are append-only: a correction is a new check pointing at the one it corrects.
"""
import uuid
from datetime import UTC, datetime, time

from flask_login import UserMixin
from sqlalchemy import (JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer,
                        String, Text, Time, TypeDecorator, UniqueConstraint, Uuid, event, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db

__all__ = ['ROLES', 'CHECKPOINT_STATUSES', 'FREQUENCIES', 'ANSWERS', 'utcnow', 'UTCDateTime', 'User', 'ApiToken', 'Location', 'Kind', 'ChecklistItem', 'Schedule', 'Checkpoint', 'Label', 'Photo', 'Check', 'CheckFinding', 'check_result', 'ImmutableRecordError']

ROLES = ("admin", "guard", "staff", "teacher")
CHECKPOINT_STATUSES = ("in_service", "out_of_service", "retired")
FREQUENCIES = ("daily", "weekly", "monthly")
ANSWERS = ("ok", "fault")


def utcnow():
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored naive in UTC on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class User(UserMixin, db.Model):
    """A person who signs in: admin (logistics manager), guard, staff (repair worker), teacher."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'guard', 'staff', 'teacher')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def set_password(self, password):
        """Store a salted hash of the password, never the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        """True if the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self):
        return self.active

    @property
    def name(self):
        """What to show people: the display name, else the username."""
        return self.display_name or self.username


class ApiToken(db.Model):
    """A bearer token for scripts and integrations; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Location(db.Model):
    """A node of the place tree. Roots are campuses; below them buildings, floors, rooms,
    outdoor areas. `path` is the full slash-separated path, e.g. 北校区/启慧楼/2F/203."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="room")
    path: Mapped[str] = mapped_column(String(500), unique=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped["Location | None"] = relationship(remote_side=[id])

    @property
    def campus_name(self):
        return self.path.split("/")[0]

    @property
    def building_name(self):
        parts = self.path.split("/")
        return parts[1] if len(parts) > 1 else None


class Kind(db.Model):
    """What a checkpoint is (room, fire extinguisher, ...); carries its checklist and the
    default schedule. `names` maps a locale (zh_Hans, zh_Hant, en) to the kind's name."""

    __tablename__ = "kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    names: Mapped[dict] = mapped_column(JSON, default=dict)
    repair_category: Mapped[str] = mapped_column(String(32), default="other")
    position: Mapped[int] = mapped_column(Integer, default=0)

    items: Mapped[list["ChecklistItem"]] = relationship(
        order_by="[ChecklistItem.position, ChecklistItem.id]", back_populates="kind",
        cascade="all, delete-orphan")
    schedule: Mapped["Schedule | None"] = relationship(
        primaryjoin="Schedule.kind_id == Kind.id", uselist=False, viewonly=True)

    @property
    def active_items(self):
        return [item for item in self.items if item.active]


class ChecklistItem(db.Model):
    """One thing to look at on a kind's checklist, answered ok / fault. Items are retired,
    never deleted, because old checks name them by key."""

    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("kind_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("kinds.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    labels: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    kind: Mapped[Kind] = relationship(back_populates="items")


class Schedule(db.Model):
    """How often a kind is checked, or an override for one checkpoint (exactly one of the two)."""

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint("(kind_id IS NULL) != (checkpoint_id IS NULL)", name="owner"),
        CheckConstraint("frequency IN ('daily', 'weekly', 'monthly')", name="frequency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_id: Mapped[int | None] = mapped_column(ForeignKey("kinds.id"), unique=True)
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoints.id"), unique=True)
    frequency: Mapped[str] = mapped_column(String(8))
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday
    monthday: Mapped[int | None] = mapped_column(Integer)
    window_start: Mapped[time | None] = mapped_column(Time)
    window_end: Mapped[time | None] = mapped_column(Time)
    runs_on_closure_days: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def spelling(self):
        """The CSV spelling: daily, weekly, weekly:mon, monthly, monthly:1."""
        from ..schedule import format_schedule

        return format_schedule(self.to_schedule())

    def to_schedule(self):
        """This row as the pure schedule.Schedule that schedule.py computes with."""
        from .. import schedule

        return schedule.Schedule.from_obj(self)


class Checkpoint(db.Model):
    """Anything with a QR label: a room, an extinguisher, an apparatus, a gate."""

    __tablename__ = "checkpoints"
    __table_args__ = (
        CheckConstraint("status IN ('in_service', 'out_of_service', 'retired')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind_id: Mapped[int] = mapped_column(ForeignKey("kinds.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="in_service")
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    kind: Mapped[Kind] = relationship()
    location: Mapped[Location] = relationship()
    responsible: Mapped[User | None] = relationship()
    schedule_override: Mapped["Schedule | None"] = relationship(
        primaryjoin="Schedule.checkpoint_id == Checkpoint.id", uselist=False, viewonly=True)

    @property
    def schedule(self):
        """The schedule in force: the checkpoint's override, else its kind's."""
        return self.schedule_override or self.kind.schedule


class Label(db.Model):
    """Every code ever printed. A code is never reused: a replaced label's code is retired,
    a blank label's code waits to be linked to a checkpoint."""

    __tablename__ = "labels"
    __table_args__ = (CheckConstraint("state IN ('active', 'retired', 'blank')", name="state"),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoints.id"), index=True)
    state: Mapped[str] = mapped_column(String(8), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_reason: Mapped[str | None] = mapped_column(String(200))

    checkpoint: Mapped[Checkpoint | None] = relationship()


class Photo(db.Model):
    """A re-encoded JPEG kept outside static/, served only to those allowed to see it."""

    __tablename__ = "photos"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    path: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Check(db.Model):
    """One visit to one checkpoint with its answers. Never edited, never deleted."""

    __tablename__ = "checks"
    # Almost no check corrects another, so the index holds only those that do: every
    # insert then updates one index fewer (SQLite and PostgreSQL both have partial indexes).
    __table_args__ = (Index("ix_checks_checkpoint_observed", "checkpoint_id", "observed_at"),
                      Index("ix_checks_user_observed", "user_id", "observed_at"),
                      Index("ix_checks_corrects_id", "corrects_id",
                            sqlite_where=text("corrects_id IS NOT NULL"),
                            postgresql_where=text("corrects_id IS NOT NULL")))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    items: Mapped[dict] = mapped_column(JSON)
    fault_count: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checks.id"))
    source: Mapped[str] = mapped_column(String(16), default="web")
    content_hash: Mapped[str] = mapped_column(String(64))

    checkpoint: Mapped[Checkpoint] = relationship()
    user: Mapped[User] = relationship()
    findings: Mapped[list["CheckFinding"]] = relationship(order_by="CheckFinding.id")

    @property
    def result(self):
        return check_result(self.fault_count)


def check_result(fault_count):
    """A check's result: "fault" when any item was found faulty, else "ok"."""
    return "fault" if fault_count else "ok"


class CheckFinding(db.Model):
    """A checklist item found faulty on a check, with its note and optional photo."""

    __tablename__ = "check_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checks.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("photos.id"))

    photo: Mapped[Photo | None] = relationship()


class ImmutableRecordError(RuntimeError):
    """Raised when code tries to change or delete a check."""


@event.listens_for(Check, "before_update")
@event.listens_for(Check, "before_delete")
@event.listens_for(CheckFinding, "before_update")
@event.listens_for(CheckFinding, "before_delete")
def _refuse_change(mapper, connection, target):
    raise ImmutableRecordError("checks are never edited or deleted; log a correction instead")
