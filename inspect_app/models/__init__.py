"""Database models, one module per area; everything is importable from here."""
from .core import *  # noqa: F401,F403
from .calendar import *  # noqa: F401,F403
from .rounds import *  # noqa: F401,F403
from .repairs import *  # noqa: F401,F403
from .core import ImmutableRecordError, UTCDateTime, utcnow  # noqa: F401
from .labels import *  # noqa: F401,F403
from .summary import *  # noqa: F401,F403
