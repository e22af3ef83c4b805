"""Weekly patrol summary, term statistics, share links and a checkpoint's history.

Pages for the manager (admin), a read-only shared view at /s/<token> for leadership and
group chats (no sign-in, no controls), the CSV of the rows behind the figures, and
/q/<code>/history. The figures come from summary_data + stats, the same as the JSON API.
"""
import csv
import io
from datetime import timedelta

from flask import (Blueprint, Response, abort, current_app, flash, make_response, redirect,
                   render_template, request, session, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from . import codes, due, stats, summary_charts, summary_data
from .access import can, require
from .extensions import db, is_htmx
from .models import SummaryShare
from .operations import lookup_label
from .pages import add_nav
from .summary_shares import active_shares, create_share, find_share, revoke_share

bp = Blueprint("summary", __name__)
add_nav(50, "summary.weekly", _l("Summary"), "view_summary")

CSV_COLUMNS = ("code", "name", "kind", "location", "frequency", "period", "outcome",
               "checked_at", "checked_by", "responsible", "section")
LIST_LIMIT = 30  # rows of each list on the page (and on paper); the CSV has them all


def pick_week(text, today):
    """(monday, error message) for ?week=; no value: the last complete week."""
    if not text:
        return stats.last_complete_week(today), None
    try:
        monday = stats.parse_week(text)
    except stats.BadWeek:
        return None, _("“%(week)s” is not a week. Write it like 2026-W47 (year, W, week "
                       "number).", week=str(text)[:20])
    if monday > stats.monday_of(today):
        return None, _("Week %(week)s has not begun yet.", week=stats.week_key(monday))
    return monday, None


def _week_page(week_url, shared=None):
    at = due.now()
    today = due.local_today(at)
    monday, error = pick_week(request.args.get("week", "").strip(), today)
    ctx = {"shared": shared, "week_url": week_url, "limit": LIST_LIMIT, "at": at}
    if error:
        default = stats.last_complete_week(today)
        return render_template("summary/weekly.html", s=None, error=error,
                               default_url=week_url(stats.week_key(default)), **ctx), 422
    s = summary_data.weekly(monday, at)
    current = stats.monday_of(today)
    ctx.update(
        s=s, error=None, bars=summary_charts.rate_bars(s["trend"]),
        line=summary_charts.open_line(s["trend"]),
        prev_url=week_url(stats.week_key(monday - timedelta(days=7))),
        next_url=week_url(stats.week_key(monday + timedelta(days=7)))
        if monday < current else None)
    template = "summary/_summary.html" if is_htmx() else "summary/weekly.html"
    return render_template(template, **ctx)


@bp.get("/summary/weekly")
@require("view_summary")
def weekly():
    """The weekly patrol summary, for the manager: on screen, on paper, shared, as CSV."""
    return _week_page(lambda week: url_for("summary.weekly", week=week))


@bp.get("/s/<share_token>")
def shared(share_token):
    """The weekly summary through a share link: read-only, no sign-in."""
    share = find_share(share_token)
    if share is None:
        return render_template("summary/share_gone.html"), 404
    db.session.commit()
    response = _week_page(
        lambda week: url_for("summary.shared", share_token=share_token, week=week), shared=share)
    return _private(response)


def _private(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _csv_response(monday, at, filename):
    rows = stats.weekly_rows(summary_data.load_week(monday, at))
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel reads UTF-8 only with a BOM
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return Response(buf.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _csv():
    at = due.now()
    monday, error = pick_week(request.args.get("week", "").strip(), due.local_today(at))
    if error:
        return Response(error + "\n", status=422, mimetype="text/plain")
    return _csv_response(monday, at, f"patrol-{stats.week_key(monday)}.csv")


@bp.get("/summary/weekly.csv")
@require("view_summary")
def weekly_csv():
    """One row per planned period of the week: the rows behind the summary's figures."""
    return _csv()


@bp.get("/s/<share_token>/weekly.csv")
def shared_csv(share_token):
    """The CSV through a share link."""
    if find_share(share_token) is None:
        abort(404)
    db.session.commit()
    return _private(_csv())


@bp.get("/summary/term")
@require("view_summary")
def term():
    """Term statistics for any date range (default: the current term)."""
    at = due.now()
    name, first, last, errors = summary_data.term_bounds(request.args, due.local_today(at))
    messages = {"date": _("Give a date, e.g. 2026-09-01."),
                "order": _("The end comes before the start."),
                "span": _("At most two years at a time.")}
    errors = {k: messages[v] for k, v in errors.items()}
    form = {"from": request.args.get("from", first.isoformat()),
            "to": request.args.get("to", last.isoformat())}
    if errors:
        return render_template("summary/term.html", t=None, form=form, errors=errors), 422
    t = summary_data.term(first, last, at, name)
    return render_template("summary/term.html", t=t, form=form, errors={})


@bp.get("/summary/links")
@require("view_summary")
def links():
    """Share links: make one, see the active ones, revoke."""
    new_token = session.pop("summary_new_link", None)
    new_url = None
    if new_token:  # the address printed labels use, so the link works from outside too
        base = (current_app.config.get("BASE_URL") or request.host_url).rstrip("/")
        new_url = base + url_for("summary.shared", share_token=new_token)
    return render_template("summary/links.html", shares=active_shares(), new_url=new_url,
                           errors={}, name="")


@bp.post("/summary/links")
@require("view_summary")
def make_link():
    """Make a share link; its address is shown once, on the next page."""
    name = (request.form.get("name") or "").strip()
    if not name or len(name) > 100:
        errors = {"name": _("Say who the link is for, e.g. 校长室 (at most 100 characters).")}
        return render_template("summary/links.html", shares=active_shares(), new_url=None,
                               errors=errors, name=name[:100]), 422
    _share, token = create_share(current_user, name)
    db.session.commit()
    session["summary_new_link"] = token
    return redirect(url_for("summary.links"), code=303)


@bp.post("/summary/links/<int:share_id>/revoke")
@require("view_summary")
def revoke(share_id):
    """Revoke a share link: it stops working at once."""
    share = db.session.get(SummaryShare, share_id)
    if share is None:
        abort(404)
    revoke_share(share)
    db.session.commit()
    flash(_("The link “%(name)s” no longer works.", name=share.name), "info")
    return redirect(url_for("summary.links"), code=303)


@bp.get("/q/<code>/history")
@require("view_history")
def history(code):
    """A checkpoint's passport: every check and repair, newest first, 20 a page."""
    canonical = codes.normalize(code)
    if canonical and canonical != code:
        return redirect(url_for("summary.history", code=canonical, **request.args), code=301)
    label = lookup_label(canonical)
    if label is None or label.checkpoint is None:
        abort(404)
    cp = label.checkpoint
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= summary_data.MAX_PAGE:
        return redirect(url_for("summary.history", code=cp.code), code=303)
    page = int(page)
    entries, more = summary_data.history(cp, page)
    if page > 1 and not entries:
        return redirect(url_for("summary.history", code=cp.code), code=303)
    people = summary_data.users_by_id(e.record.user_id for e in entries if e.kind == "check")
    checks, repairs = summary_data.history_counts(cp)
    details = can(current_user, "view_check_details")
    template = "summary/_history_list.html" if is_htmx() else "summary/history.html"
    return render_template(template, cp=cp, entries=entries, more=more, page=page,
                           people=people, details=details, check_total=checks,
                           repair_total=repairs,
                           items_by_key={i.key: i for i in cp.kind.items})
