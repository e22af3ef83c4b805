"""What every template can use: versioned static URLs, time formatting, translated data."""
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for
from flask_babel import format_datetime, format_timedelta
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from . import codes
from .access import can
from .i18n import LOCALE_NAMES, current_locale, tr
from .models import utcnow

HTML_LANG = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}
NAV = []  # (order, endpoint, lazy label, action from access.RULES or None for everyone)


def add_nav(order, endpoint, label, action=None):
    """Put a link in the navigation bar; shown to users allowed `action` (None: signed in)."""
    NAV.append((order, endpoint, label, action))
    NAV.sort(key=lambda entry: entry[0])


def nav_links():
    """The navigation links the signed-in user may follow: (endpoint, label)."""
    if not current_user.is_authenticated:
        return []
    return [(endpoint, label) for _order, endpoint, label, action in NAV
            if action is None or can(current_user, action)]


@lru_cache(maxsize=64)
def _file_version(folder, filename):
    path = Path(folder) / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else "0"


def static_url(filename):
    """A static file's URL with a content hash, so it can be cached for a year."""
    return url_for("static", filename=filename,
                   v=_file_version(current_app.static_folder, filename))


@lru_cache(maxsize=1)
def htmx_file(folder):
    """The vendored htmx 2.0.x file name under static/vendor."""
    found = sorted(Path(folder, "vendor").glob("htmx-2.0.*.min.js"))
    return f"vendor/{found[-1].name}" if found else "vendor/htmx.min.js"


def when(value, fmt="short"):
    """A UTC instant in the school's time zone, in the user's language."""
    return format_datetime(value, fmt) if value else ""


def ago(value):
    """'3 hours ago' in the user's language."""
    if value is None:
        return ""
    return format_timedelta(value - utcnow(), add_direction=True, granularity="minute",
                            threshold=1.0)


def role_names():
    """Roles as people call them, in the user's language."""
    return {"admin": _("Logistics manager"), "guard": _("Guard"), "staff": _("Repair staff"),
            "teacher": _("Teacher")}


def init_app(app):
    """Register template helpers and long caching of versioned static files."""
    app.add_template_filter(when)
    app.add_template_filter(ago)
    app.add_template_filter(tr)
    app.add_template_filter(codes.display, "display_code")

    @app.context_processor
    def helpers():
        locale = current_locale()
        return {
            "static_url": static_url,
            "nav_links": nav_links,
            "htmx_url": static_url(htmx_file(app.static_folder)),
            "html_lang": HTML_LANG.get(locale, "zh-Hans"),
            "current_locale_name": locale,
            "locale_names": LOCALE_NAMES,
            "can": lambda action: can(current_user, action),
            # After a label: ": " in English, the full-width "：" in Chinese.
            "colon": lambda: pgettext("punctuation", ": "),
            "csrf_token_value": generate_csrf,
            "school_name": app.config["SCHOOL_NAME"],
            "role_names": role_names(),
            "status_names": {"in_service": _("In service"), "out_of_service": _("Out of service"),
                             "retired": _("Retired")},
        }
