"""Share links of the weekly summary: make, find and revoke. They flush; the caller commits.

A link is https://school/s/<token>: 32 random bytes, of which only the SHA-256 is stored
(unique index), so the link is shown once, when it is made."""
import hashlib
import secrets
from datetime import timedelta

from . import models  # the clock is read through the module, so tests can freeze it
from .extensions import db
from .models import SummaryShare

MAX_NAME = 100
TOUCH_EVERY = timedelta(hours=1)


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_share(user, name):
    """Make a share link; returns (share, token). The token is never stored."""
    token = secrets.token_urlsafe(32)
    share = SummaryShare(name=(name or "").strip()[:MAX_NAME], token_hash=_hash(token),
                         created_by_id=user.id if user else None, created_at=models.utcnow())
    db.session.add(share)
    db.session.flush()
    return share, token


def find_share(token, touch=True):
    """The active share link a token belongs to, or None; notes when it was last opened."""
    if not token or len(token) > 100:
        return None
    share = db.session.scalar(db.select(SummaryShare).where(
        SummaryShare.token_hash == _hash(token), SummaryShare.revoked_at.is_(None)))
    if share is not None and touch:
        now = models.utcnow()
        if share.last_used_at is None or now - share.last_used_at > TOUCH_EVERY:
            share.last_used_at = now
            db.session.flush()
    return share


def revoke_share(share):
    """Stop a share link from working (idempotent)."""
    if share.revoked_at is None:
        share.revoked_at = models.utcnow()
        db.session.flush()
    return share


def active_shares():
    """Share links not revoked, newest first."""
    return db.session.scalars(db.select(SummaryShare).where(SummaryShare.revoked_at.is_(None))
                              .order_by(SummaryShare.created_at.desc())).all()
