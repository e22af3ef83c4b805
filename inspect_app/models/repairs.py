"""Repairs (报修单): a reported fault from report to the reporter's sign-off.

A Repair row holds the current state (status, assignee, deadline...) so lists are cheap to
query; every step that changed it is a RepairEvent, which is append-only like a Check. Parts
used are RepairPart rows (name, quantity, unit) so term statistics can sum them by name.
"""
import uuid
from datetime import datetime

from sqlalchemy import (JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer,
                        String, Text, UniqueConstraint, Uuid, event)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import Check, Checkpoint, ImmutableRecordError, Photo, User, UTCDateTime, utcnow

__all__ = ["REPAIR_CATEGORIES", "SEVERITIES", "REPAIR_STATUSES", "OPEN_STATUSES",
           "TERMINAL_STATUSES", "Repair", "RepairEvent", "RepairPart", "RepairPhoto",
           "RepairFollower"]

REPAIR_CATEGORIES = ("lighting_electrical", "water", "doors_windows", "furniture", "sports",
                     "fire_safety", "network_it", "cleaning", "other")
SEVERITIES = ("hazard", "major", "minor")
REPAIR_STATUSES = ("reported", "accepted", "assigned", "in_progress", "done", "closed",
                   "declined", "merged")
TERMINAL_STATUSES = ("closed", "declined", "merged")
OPEN_STATUSES = tuple(s for s in REPAIR_STATUSES if s not in TERMINAL_STATUSES)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Repair(db.Model):
    """One repair ticket. `id` is the number people say ("报修单 #12"); `uid` is the client's
    UUID that makes creation idempotent (offline replays)."""

    __tablename__ = "repairs"
    __table_args__ = (
        CheckConstraint(_in("status", REPAIR_STATUSES), name="status"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        CheckConstraint(_in("category", REPAIR_CATEGORIES), name="category"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        Index("ix_repairs_status_reported", "status", "reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"), index=True)
    # The checklist item, for faults found on checks (None for reports by people).
    item_key: Mapped[str | None] = mapped_column(String(40))
    # "<checkpoint id>:<item key>" while a check-found fault is open, else NULL: the unique
    # index is what keeps two open tickets for one fault from ever existing, on any database.
    open_fault_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="reported")
    source: Mapped[str] = mapped_column(String(16), default="web")  # web, api, anonymous, check
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reporter_name: Mapped[str] = mapped_column(String(100), default="")
    reporter_phone: Mapped[str] = mapped_column(String(32), default="")
    # SHA-256 of the anonymous reporter's tracking token; the token itself is never stored.
    tracking_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    first_check_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checks.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("repairs.id"))
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # True: signed off by the reporter; False: closed without it (not verified, declined,
    # merged); None while open.
    verified: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    cost_cents: Mapped[int | None] = mapped_column(Integer)
    me_too_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)

    checkpoint: Mapped[Checkpoint] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    first_check: Mapped[Check | None] = relationship()
    merged_into: Mapped["Repair | None"] = relationship(remote_side=[id])
    events: Mapped[list["RepairEvent"]] = relationship(
        order_by="RepairEvent.id", back_populates="repair")
    parts: Mapped[list["RepairPart"]] = relationship(order_by="RepairPart.id")
    photos: Mapped[list["RepairPhoto"]] = relationship(order_by="RepairPhoto.id")
    followers: Mapped[list["RepairFollower"]] = relationship(order_by="RepairFollower.id")

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self):
        return (self.due_at is not None and self.status not in ("done",) + TERMINAL_STATUSES
                and self.due_at < utcnow())


class RepairEvent(db.Model):
    """One step on a repair's timeline: who, when, what, a note. Never edited or deleted."""

    __tablename__ = "repair_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id"), index=True)
    # The client's UUID for this step, so an offline replay is stored once.
    uid: Mapped[uuid.UUID | None] = mapped_column(Uuid, unique=True)
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who acted when there is no account: the anonymous reporter's name, or "" for the system.
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    repair: Mapped[Repair] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class RepairPart(db.Model):
    """Parts and materials used, one row each (灯管 ×2), from the `done` step that used them."""

    __tablename__ = "repair_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("repair_events.id"))
    name: Mapped[str] = mapped_column(String(100), index=True)
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20), default="")


class RepairPhoto(db.Model):
    """A photo of a repair: `report` (what is wrong) or `after` (the work done)."""

    __tablename__ = "repair_photos"
    __table_args__ = (UniqueConstraint("repair_id", "photo_id"),
                      CheckConstraint("stage IN ('report', 'after')", name="stage"))

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id"), index=True)
    photo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("photos.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("repair_events.id"))
    stage: Mapped[str] = mapped_column(String(8), default="report")

    photo: Mapped[Photo] = relationship()


class RepairFollower(db.Model):
    """Someone who follows a repair: its reporter, or a person who said "me too"."""

    __tablename__ = "repair_followers"
    __table_args__ = (UniqueConstraint("repair_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16), default="me_too")  # reporter, me_too, merged
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


@event.listens_for(RepairEvent, "before_update")
@event.listens_for(RepairEvent, "before_delete")
@event.listens_for(RepairPart, "before_update")
@event.listens_for(RepairPart, "before_delete")
def _refuse_change(mapper, connection, target):
    raise ImmutableRecordError("a repair's timeline is never edited; add a step instead")
