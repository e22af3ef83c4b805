"""Installable and offline: the web app manifest, the service worker served from the root
scope, the offline page, and the list of checkpoints a phone keeps for use without signal."""
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_
from sqlalchemy.orm import aliased

from .access import can
from .api import bp as api_bp
from .extensions import db
from .models import Checkpoint, Schedule
from .pages import HTML_LANG, htmx_file, static_url
from .i18n import current_locale

bp = Blueprint("pwa", __name__)

BRAND = "#0b5cad"
BACKGROUND = "#f3f5f8"
OFFLINE_LIMIT = 300  # pages kept on a phone: a day's rounds with room to spare
ICONS = [("icons/icon-192.png", "192x192", "any"), ("icons/icon-512.png", "512x512", "any"),
         ("icons/maskable-192.png", "192x192", "maskable"),
         ("icons/maskable-512.png", "512x512", "maskable")]
# Further selectors of checkpoints to keep offline: fn(user) -> iterable of codes, most
# important first (e.g. what is due for the user today). See offline_source().
OFFLINE_SOURCES = []


def offline_source(fn):
    """Register fn(user) -> codes as more checkpoints to keep on the phone; they come first."""
    OFFLINE_SOURCES.append(fn)
    return fn


def offline_codes(user, limit=OFFLINE_LIMIT):
    """The checkpoint codes whose pages the user's phone keeps for use without signal:
    registered sources first, then those the user is responsible for, then (for those who log
    checks) every checkpoint checked daily. At most `limit`, no duplicates."""
    codes = []
    for source in OFFLINE_SOURCES:
        codes.extend(source(user))
    live = Checkpoint.status != "retired"
    codes.extend(db.session.scalars(
        db.select(Checkpoint.code).where(Checkpoint.responsible_id == user.id, live)
        .order_by(Checkpoint.code).limit(limit)))
    if can(user, "log_check"):
        override = aliased(Schedule)
        kind_daily = db.select(Schedule.kind_id).where(Schedule.kind_id.is_not(None),
                                                       Schedule.frequency == "daily")
        codes.extend(db.session.scalars(
            db.select(Checkpoint.code)
            .outerjoin(override, override.checkpoint_id == Checkpoint.id)
            .where(live, or_(override.frequency == "daily",
                             and_(override.id.is_(None), Checkpoint.kind_id.in_(kind_daily))))
            .order_by(Checkpoint.code).limit(limit)))
    return list(dict.fromkeys(codes))[:limit]


@api_bp.get("/offline-pack")
def offline_pack():
    """What the signed-in user's phone keeps for use without signal."""
    codes = offline_codes(current_user)
    return jsonify(codes=codes, urls=[url_for("scan.checkpoint", code=c) for c in codes],
                   limit=OFFLINE_LIMIT)


def shell_files(folder):
    """The app shell kept by the service worker: styles, scripts, htmx and the icons."""
    root = Path(folder)
    names = sorted(p.name for p in root.glob("*.css")) + sorted(
        p.name for p in root.glob("*.js") if p.name != "sw.js")
    return names + [htmx_file(folder)] + [icon for icon, _size, _purpose in ICONS] + [
        "icons/apple-touch-icon.png", "icons/favicon-32.png"]


@lru_cache(maxsize=4)
def shell_version(folder, templates):
    """A hash of everything the service worker keeps, so a change installs a new cache."""
    digest = hashlib.sha256()
    for name in shell_files(folder) + ["sw.js"]:
        digest.update(name.encode() + b"\0" + (Path(folder) / name).read_bytes())
    for name in ("base.html", "pwa/offline.html", "pwa/_status.html", "pwa/_notices.html"):
        digest.update((Path(templates) / name).read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/sw.js")
def service_worker():
    """static/sw.js served from the root so it controls every page, with its cache version
    and app-shell list written in."""
    folder = current_app.static_folder
    version = shell_version(folder, current_app.template_folder)
    shell = [static_url(name) for name in shell_files(folder)]
    shell += [url_for("pwa.offline"), url_for("pwa.manifest")]
    source = (Path(folder) / "sw.js").read_text(encoding="utf-8")
    source = (source.replace('"__VERSION__"', json.dumps(version))
              .replace('"__SHELL__"', json.dumps(shell))
              .replace('"__QUEUE__"', json.dumps(static_url("offline.js"))))
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: installs to the home screen in the user's language."""
    name = _("Campus Inspect")
    body = {
        "id": "/",
        "name": f"{name} · {current_app.config['SCHOOL_NAME']}",
        "short_name": name,
        "description": _("Scan a QR label, log the check, report what is broken."),
        "lang": HTML_LANG.get(current_locale(), "zh-Hans"),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": BRAND,
        "background_color": BACKGROUND,
        "icons": [{"src": static_url(src), "sizes": size, "type": "image/png", "purpose": purpose}
                  for src, size, purpose in ICONS],
    }
    response = Response(json.dumps(body, ensure_ascii=False),
                        mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline():
    """Shown by the service worker for a page the phone has not kept, when there is no signal."""
    return render_template("pwa/offline.html")
