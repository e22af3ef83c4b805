"""Guard rounds: a named, ordered walk through checkpoints in a time window, and its runs."""
import uuid
from datetime import date, datetime, time

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import Checkpoint, UTCDateTime, User, utcnow

__all__ = ["Round", "RoundStop", "RoundGuard", "RoundRun", "RoundVisit"]


class Round(db.Model):
    """A named round, e.g. 北校区晚间巡查, 17:30-19:00, every day. `weekdays` lists the days
    it runs (0 = Monday); assigned guards are in RoundGuard (none: anyone may walk it)."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    window_start: Mapped[time | None] = mapped_column(Time)
    window_end: Mapped[time | None] = mapped_column(Time)
    weekdays: Mapped[list] = mapped_column(JSON, default=lambda: list(range(7)))
    runs_on_closure_days: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    stops: Mapped[list["RoundStop"]] = relationship(
        order_by="RoundStop.position", cascade="all, delete-orphan", back_populates="round")
    guards: Mapped[list[User]] = relationship(secondary="round_guards", order_by=User.username)


class RoundStop(db.Model):
    """One checkpoint of a round, at its place in the walking order."""

    __tablename__ = "round_stops"
    __table_args__ = (UniqueConstraint("round_id", "checkpoint_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    round: Mapped[Round] = relationship(back_populates="stops")
    checkpoint: Mapped[Checkpoint] = relationship()


class RoundGuard(db.Model):
    """A person assigned to walk a round."""

    __tablename__ = "round_guards"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class RoundRun(db.Model):
    """One walk of a round by one person: started, finished (None while it runs)."""

    __tablename__ = "round_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    run_date: Mapped[date] = mapped_column(Date)  # the local date of the round's window
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop_count: Mapped[int] = mapped_column(Integer, default=0)
    visited_count: Mapped[int | None] = mapped_column(Integer)  # set when finished
    missed_count: Mapped[int | None] = mapped_column(Integer)
    out_of_order_count: Mapped[int | None] = mapped_column(Integer)

    round: Mapped[Round] = relationship()
    user: Mapped[User] = relationship()
    visits: Mapped[list["RoundVisit"]] = relationship(
        order_by="RoundVisit.sequence", cascade="all, delete-orphan", back_populates="run")

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class RoundVisit(db.Model):
    """A check that counted for a run (recorded when the run finishes). Checks stay untouched;
    this row links one to the run, with its place in the walk and whether it was in order."""

    __tablename__ = "round_visits"
    __table_args__ = (UniqueConstraint("run_id", "checkpoint_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("round_runs.id"), index=True)
    check_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checks.id"), index=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sequence: Mapped[int] = mapped_column(Integer)
    in_order: Mapped[bool] = mapped_column(Boolean, default=True)
    in_window: Mapped[bool] = mapped_column(Boolean, default=True)

    run: Mapped[RoundRun] = relationship(back_populates="visits")
    checkpoint: Mapped[Checkpoint] = relationship()
