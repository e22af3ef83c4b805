"""Campus Inspect: QR-label patrols, checks and repairs for schools."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    "SCHOOL_NAME": "示范学校",
    "TIMEZONE": "Asia/Shanghai",
    # Where printed QR labels point; falls back to the address the request came in on.
    "BASE_URL": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Plain-HTTP school LANs need this off; set INSPECT_COOKIE_SECURE=true behind HTTPS.
    "COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # A session lasts a shift; "remember me" keeps a phone signed in for two weeks.
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    "REMEMBER_COOKIE_DURATION": timedelta(days=14),
    "BABEL_DEFAULT_LOCALE": "zh_Hans",
    "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    "PHOTO_MAX_BYTES": 12 * 1024 * 1024,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    "TRUST_PROXY_COUNT": 0,
    "WTF_CSRF_TIME_LIMIT": None,
    "LABEL_FOLDER": str(ROOT / "labels"),
    # Static URLs carry a content hash (pages.static_url), so they can be cached for a year.
    "SEND_FILE_MAX_AGE_DEFAULT": 365 * 86400,
    # On SQLite, checks arriving together share one commit (see group_commit.py).
    "GROUP_COMMIT": True,
    # The everyday POST /api/v1/checks skips Flask's request machinery (see fast_checks.py).
    "FAST_CHECK_PATH": True,
}


def create_app(test_config=None):
    """Build the app: settings (defaults, instance config, environment, test_config),
    extensions, blueprints and CLI commands."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("INSPECT")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(os.environ["DATABASE_URL"])
    if test_config:
        app.config.from_mapping(test_config)
    _finish_config(app)

    from . import extensions

    extensions.init_app(app)

    from . import api, auth, errors, pages, pwa, scan, security
    from . import api_repairs, repairs  # noqa: F401 (api_repairs adds its routes to api.bp)
    from . import admin, api_due, rounds  # noqa: F401 (api_due adds its routes to api.bp)
    from . import api_summary, summary  # noqa: F401 (api_summary adds its routes to api.bp)

    security.init_app(app)
    pages.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(scan.bp)
    app.register_blueprint(rounds.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(api.bp)
    repairs.init_app(app)
    app.register_blueprint(repairs.bp)
    app.register_blueprint(summary.bp)

    from . import labels_views

    app.register_blueprint(labels_views.bp)
    app.register_blueprint(pwa.bp)

    from . import cli

    cli.init_app(app)
    from . import fast_checks

    fast_checks.install(app)
    return app


def _database_url(url):
    """Accept the postgres:// spelling hosting providers hand out; use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _finish_config(app):
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance / 'inspect.sqlite3'}")
    app.config.setdefault("PHOTO_FOLDER", str(instance / "photos"))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A server connection can drop between requests; a SQLite file cannot.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    secure = bool(app.config["COOKIE_SECURE"])
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")


def _instance_secret(path):
    """A per-installation secret kept in the instance folder, never in the repo."""
    if not path.exists():
        # Written aside and linked into place so two workers starting at once agree.
        tmp = path.with_name(f".secret_key.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
