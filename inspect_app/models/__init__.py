"""Database models, one module per area; everything is importable from here."""
from .core import *  # noqa: F401,F403
from .core import ImmutableRecordError, UTCDateTime, utcnow  # noqa: F401
