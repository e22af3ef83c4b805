"""What waits for a person in the repair loop, for the home page: repairs they reported that
are fixed and need their sign-off, repairs assigned to them, new reports to triage.

Without this a teacher learns that the broken lamp was fixed only by opening "My reports";
the loop from report to sign-off closes on the first page they open instead.
"""
from dataclasses import dataclass, field

from sqlalchemy.orm import selectinload

from . import repairs_ops as ops
from .access import can
from .extensions import db
from .models import Checkpoint, Kind, Repair, RepairFollower

MAX_LISTED = 5
# What repairs/_list.html shows of each repair, loaded with the list, not one query a row.
LIST_LOADS = (selectinload(Repair.checkpoint).selectinload(Checkpoint.location),
              selectinload(Repair.checkpoint).selectinload(Checkpoint.kind)
              .selectinload(Kind.items),
              selectinload(Repair.assignee))


@dataclass
class Waiting:
    """sign_off: the person's own reports marked done, oldest first (at most MAX_LISTED);
    sign_off_count: all of them; assigned: their open repairs not yet done; to_triage:
    new reports for the manager."""

    sign_off: list = field(default_factory=list)
    sign_off_count: int = 0
    assigned: int = 0
    to_triage: int = 0

    def __bool__(self):
        return bool(self.sign_off_count or self.assigned or self.to_triage)


def _count(*conditions):
    return db.session.scalar(db.select(db.func.count()).select_from(Repair).where(*conditions))


def waiting_for(user):
    """The Waiting of a signed-in user. Closes repairs left unverified too long first, as the
    repair lists do, so nothing is offered for a sign-off that is no longer possible."""
    if ops.close_unverified():
        db.session.commit()
    mine_done = (Repair.reporter_id == user.id, Repair.status == "done")
    waiting = Waiting(sign_off_count=_count(*mine_done))
    if waiting.sign_off_count:
        waiting.sign_off = db.session.scalars(
            db.select(Repair).where(*mine_done).options(*LIST_LOADS)
            .order_by(Repair.done_at, Repair.id).limit(MAX_LISTED)).all()
    if can(user, "work_repairs"):
        waiting.assigned = _count(Repair.assignee_id == user.id,
                                  Repair.status.in_(("assigned", "in_progress")))
    if can(user, "triage_repairs"):
        waiting.to_triage = _count(Repair.status == "reported")
    return waiting


def reports_query(user):
    """The repairs a person reported or said "me too" to, newest first."""
    following = db.select(RepairFollower.repair_id).where(RepairFollower.user_id == user.id)
    return (db.select(Repair).options(*LIST_LOADS)
            .where(db.or_(Repair.reporter_id == user.id, Repair.id.in_(following)))
            .order_by(Repair.reported_at.desc(), Repair.id.desc()))
