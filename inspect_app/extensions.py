"""Flask extensions, created once and bound to the app in init_app()."""
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL, a busy timeout, foreign keys and synchronous=FULL: an acknowledged check
    survives a crash, and readers never wait for the writer."""
    if type(dbapi_connection).__module__.split(".")[0] not in ("sqlite3", "pysqlite2"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def init_app(app):
    """Bind every extension to the app."""
    from . import i18n

    if app.config["TRUST_PROXY_COUNT"]:
        n = int(app.config["TRUST_PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR") or _migrations()),
                     render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    limiter.init_app(app)
    # Only per-route limits are used (sign-in, anonymous repair reports), and those
    # decorators check themselves. The hook Flask-Limiter adds to every request looks only
    # for default or application-wide limits, of which there are none, and cost a tenth
    # of a check sent through the API (measured with callgrind).
    app.before_request_funcs[None] = [f for f in app.before_request_funcs.get(None, [])
                                      if getattr(f, "__self__", None) is not limiter]


def _migrations():
    from . import ROOT

    return ROOT / "migrations"


def is_htmx():
    """True for an htmx request that swaps a fragment (not boosted, not a history restore)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")
