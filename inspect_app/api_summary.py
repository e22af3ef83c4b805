"""API: the weekly summary and term statistics as JSON, the same figures as the pages
(summary_data + stats). Allowed for the manager (session or bearer token), and for the
weekly summary also with a share link's token (?share=<token> or X-Share-Token)."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from . import api, due, summary_data
from .access import can
from .api import bp, error
from .extensions import db
from .summary import pick_week
from .summary_shares import find_share

# These two decide for themselves (a share token needs no sign-in).
api.PUBLIC.update({"api.summary_weekly", "api.summary_term"})


def _refused(allow_share):
    if allow_share:
        token = request.headers.get("X-Share-Token") or request.args.get("share")
        if token and find_share(token) is not None:
            db.session.commit()
            return None
    if not current_user.is_authenticated:
        return error(401, "unauthorized", _("Sign in, or send an API token."))
    if not can(current_user, "view_summary"):
        return error(403, "forbidden", _("Only the logistics manager may read the summary."))
    return None


@bp.get("/summary/weekly")
def summary_weekly():
    """The weekly patrol summary of ?week=2026-W47 (default: the last complete week)."""
    refused = _refused(allow_share=True)
    if refused:
        return refused
    at = due.now()
    monday, message = pick_week(request.args.get("week", "").strip(), due.local_today(at))
    if message:
        return error(422, "invalid", _("Some fields are wrong."), fields={"week": message})
    return jsonify(summary_data.weekly(monday, at))


@bp.get("/summary/term")
def summary_term():
    """Term statistics for ?from=&to= (ISO dates; default: the current term)."""
    refused = _refused(allow_share=False)
    if refused:
        return refused
    at = due.now()
    name, first, last, errors = summary_data.term_bounds(request.args, due.local_today(at))
    if errors:
        messages = {"date": _("Give a date, e.g. 2026-09-01."),
                    "order": _("The end comes before the start."),
                    "span": _("At most two years at a time.")}
        return error(422, "invalid", _("Some fields are wrong."),
                     fields={k: messages[v] for k, v in errors.items()})
    return jsonify(summary_data.term(first, last, at, name))
