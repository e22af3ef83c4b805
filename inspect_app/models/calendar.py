"""The school calendar: terms, closure days (holidays, vacations), make-up working days
(调休) and school-wide settings such as the closed weekdays."""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import UTCDateTime, utcnow

__all__ = ["DAY_KINDS", "DEFAULT_CLOSED_WEEKDAYS", "Term", "CalendarDay", "SchoolSetting"]

DAY_KINDS = ("closed", "open")  # a closure day, or a make-up working day (调休)
DEFAULT_CLOSED_WEEKDAYS = (5, 6)  # Saturday and Sunday


class Term(db.Model):
    """A school term: days outside every term are vacation (when any term is defined)."""

    __tablename__ = "terms"
    __table_args__ = (CheckConstraint("first_date <= last_date", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    first_date: Mapped[date] = mapped_column(Date)
    last_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarDay(db.Model):
    """One local date that is closed (a holiday) or open against the rule (a make-up day)."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('closed', 'open')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(8), default="closed")
    name: Mapped[str] = mapped_column(String(100), default="")


class SchoolSetting(db.Model):
    """A school-wide setting stored in the database, e.g. closed_weekdays = [5, 6]."""

    __tablename__ = "school_settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
