"""My work (what is due now), rounds, and runs of a round."""
from datetime import date

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from flask_login import current_user

from . import due
from .access import can_finish_run, require
from .extensions import db, is_htmx
from .i18n import tr
from .models import Round, RoundRun
from .pages import add_nav
from .rounds_ops import (RunRefused, active_run, finish_run, may_walk, refresh, round_window_bounds,
                         runs_on, start_run)
from .scan import CodeForm

bp = Blueprint("rounds", __name__)
add_nav(5, "rounds.work", _l("My work"), "view_work")
add_nav(20, "rounds.index", _l("Rounds"), "view_work")

WEEKDAY_NAMES = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))


def state_names():
    """What each state is called on screen. In their own context: a repair's "Done" (维修完成)
    and "Due" (整改期限) are other words in Chinese than a check's."""
    return {"overdue": pgettext("work state", "Overdue"), "due": pgettext("work state", "Due"),
            "upcoming": pgettext("work state", "Later"), "done": pgettext("work state", "Done"),
            "late": pgettext("work state", "Done late"),
            "missed": pgettext("work state", "Missed")}


@bp.app_template_filter("due_by")
def due_by(item, at):
    """'by 19:30' today, else 'by 21 Nov' (the deadline in the school's zone)."""
    # Most items of a list share their deadline, and Babel's formatting is slow: once each.
    key = (item.state == "upcoming", item.status.due_from, item.status.deadline,
           item.schedule.has_window, at)
    said = g.setdefault("due_by", {})
    if key not in said:
        said[key] = _due_by(item, at)
    return said[key]


def _due_by(item, at):
    deadline = item.status.deadline
    if item.state == "upcoming" and item.status.due_from:
        return _("from %(when)s", when=format_date(item.status.due_from, "medium"))
    if deadline is None:
        return ""
    tz = due.school_tz()
    last_day = (deadline - due._TICK).astimezone(tz).date()
    if item.schedule.has_window and (deadline - at).total_seconds() < 20 * 3600:
        return _("by %(when)s", when=format_time(deadline, "short"))
    if last_day == at.astimezone(tz).date():
        return _("today")
    return _("by %(when)s", when=format_date(last_day, "medium"))


@bp.app_template_filter("span")
def span(delta):
    """A duration as '1 h 25 min' / '25 min'."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 60:
        return _("%(h)d h %(m)d min", h=minutes // 60, m=minutes % 60)
    return _("%(m)d min", m=minutes)


def scanner_values():
    """data- attributes of the in-app scanner (static/scan.js)."""
    from .pages import static_url

    base = current_app.config.get("BASE_URL") or request.host_url
    return {"js": static_url("vendor/barcode-detector/barcode-detector-3.2.2.iife.js"),
            "wasm": static_url("vendor/barcode-detector/zxing_reader-3.1.3.wasm"),
            "base": base.rstrip("/"), "q": url_for("scan.checkpoint", code="CODE")[:-4]}


def _common():
    return {"states": state_names(), "scan_urls": scanner_values(), "weekday_names": WEEKDAY_NAMES}


@bp.get("/work")
@require("view_work")
def work():
    """What is due now for the signed-in person (?all=1: everything due), overdue first."""
    everything = request.args.get("all") == "1"
    on, status, error = None, 200, None
    if request.args.get("date"):
        try:
            on = date.fromisoformat(request.args["date"])
        except ValueError:
            error, status = _("Give a date, e.g. 2026-09-01."), 422
    at = due.now()
    wl = due.work_for(current_user, at, everything=everything, on=on)
    template = "rounds/_work.html" if is_htmx() else "rounds/work.html"
    kind_names = {i.kind_key: tr(i.kind_names) for i in wl.items}
    return render_template(template, wl=wl, at=at, form=CodeForm(), date_error=error,
                           today=on is None, kind_names=kind_names,
                           q_prefix=url_for("scan.checkpoint", code="X")[:-1], **_common()), status


def _rounds():
    return db.session.scalars(db.select(Round).where(Round.active.is_(True))
                              .order_by(Round.name)).all()


@bp.get("/rounds")
@require("view_work")
def index():
    """The rounds, today's plan, and the signed-in person's running round."""
    at = due.now()
    today = due.local_today(at)
    calendar = due.school_calendar()
    rounds = _rounds()
    last = {}
    for rnd in rounds:
        last[rnd.id] = db.session.scalars(db.select(RoundRun).where(RoundRun.round_id == rnd.id)
                                          .order_by(RoundRun.started_at.desc()).limit(1)).first()
    return render_template("rounds/index.html", rounds=rounds, last=last, mine=active_run(current_user),
                           planned={r.id: runs_on(r, today, calendar) for r in rounds},
                           may_walk=may_walk, **_common())


@bp.get("/rounds/<int:round_id>")
@require("view_work")
def show(round_id):
    """A round: its points in order, the signed-in person's run of it, and past runs."""
    rnd = db.get_or_404(Round, round_id)
    at = due.now()
    run = active_run(current_user, rnd)
    prog = refresh(run, at) if run else None
    runs = db.session.scalars(db.select(RoundRun).where(RoundRun.round_id == rnd.id)
                              .order_by(RoundRun.started_at.desc()).limit(10)).all()
    window = round_window_bounds(rnd, due.local_today(at)) if rnd.window_start else None
    template = "rounds/_run.html" if is_htmx() and prog else "rounds/round.html"
    return render_template(template, rnd=rnd, run=run, prog=prog, runs=runs, window=window,
                           may_walk=may_walk(current_user, rnd), at=at, can_finish=True,
                           **_common())


@bp.post("/rounds/<int:round_id>/start")
@require("walk_round")
def start(round_id):
    """Start walking a round now (going back to a run already started is fine)."""
    rnd = db.get_or_404(Round, round_id)
    try:
        run, _created = start_run(current_user, rnd, due.now())
    except RunRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("rounds.show", round_id=rnd.id), code=303)
    db.session.commit()
    return redirect(url_for("rounds.show", round_id=rnd.id), code=303)


@bp.get("/runs/<int:run_id>")
@require("view_work")
def run(run_id):
    """One run: start, end, duration, the points visited (in order or not) and missed."""
    item = db.get_or_404(RoundRun, run_id)
    prog = refresh(item, due.now())
    db.session.commit()
    return render_template("rounds/run.html", run=item, prog=prog, rnd=item.round,
                           can_finish=item.finished_at is None and can_finish_run(current_user, item),
                           **_common())


@bp.post("/runs/<int:run_id>/finish")
@require("walk_round")
def finish(run_id):
    """Finish a run: the points not visited are missed."""
    item = db.get_or_404(RoundRun, run_id)
    if not can_finish_run(current_user, item):
        abort(403)
    prog, changed = finish_run(current_user, item, due.now())
    db.session.commit()
    if changed:
        flash(_("Round finished: %(visited)d of %(total)d points, %(missed)d missed.",
                visited=len(prog.visited), total=len(prog.stops), missed=len(prog.missed)),
              "success" if not prog.missed else "info")
    return redirect(url_for("rounds.run", run_id=item.id), code=303)


def weekday_list(days):
    """'Every day', or 'Mon, Wed, Fri'."""
    days = sorted(days or [])
    if days == list(range(7)):
        return _("Every day")
    if days == list(range(5)):
        return _("Mon to Fri")
    return ", ".join(str(WEEKDAY_NAMES[d]) for d in days)


bp.add_app_template_filter(weekday_list, "weekdays")
