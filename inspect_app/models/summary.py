"""Share links of the weekly summary: a read-only link the manager sends to the principal
or posts in a group chat. Only the SHA-256 of the token is stored (unique), so a leaked
database leaks no usable link; a link stops working once revoked."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import User, UTCDateTime, utcnow

__all__ = ["SummaryShare"]


class SummaryShare(db.Model):
    """A read-only link to the weekly summary (any week), made by a manager."""

    __tablename__ = "summary_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")  # who it is for: 校长室, 家委会群
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()

    @property
    def active(self):
        return self.revoked_at is None
