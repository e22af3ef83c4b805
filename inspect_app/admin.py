"""The manager's pages under /admin: kinds and their schedules, a checkpoint's schedule
override, the school calendar, and the rounds editor."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import admin_ops, codes, due
from . import schedule as sched
from .access import require
from .extensions import db
from .models import CalendarDay, Checkpoint, Kind, Location, Round, Term, User
from .operations import ValidationFailed, lookup_checkpoint
from .pages import add_nav
from .rounds import WEEKDAY_NAMES
from .rounds_ops import save_round

bp = Blueprint("admin", __name__, url_prefix="/admin")
add_nav(40, "admin.index", _l("Plans"), "manage")


def _errors(exc):
    return {k: str(v) for k, v in exc.fields.items()}


def _view(template, status=200, **values):
    return render_template(template, weekday_names=WEEKDAY_NAMES, **values), status


@bp.get("/")
@require("manage")
def index():
    """Links to what the manager sets up."""
    return _view("admin/index.html")


# --- schedules ---------------------------------------------------------------------------------

def _kinds_page(errors=None, failed_kind=None, form=None, status=200):
    kinds = db.session.scalars(db.select(Kind).order_by(Kind.position, Kind.key)).all()
    return _view("admin/kinds.html", status, kinds=kinds, errors=errors or {},
                 failed_kind=failed_kind, form=form)


@bp.get("/kinds")
@require("manage")
def kinds():
    """Every kind with its schedule, each with a form to change it."""
    return _kinds_page()


@bp.post("/kinds/<int:kind_id>/schedule")
@require("manage")
def kind_schedule(kind_id):
    """Set how often a kind is checked."""
    kind = db.get_or_404(Kind, kind_id)
    try:
        schedule = admin_ops.read_schedule(request.form)
    except ValidationFailed as exc:
        return _kinds_page(_errors(exc), kind.id, request.form, 422)
    admin_ops.set_schedule({"kind_id": kind.id}, schedule)
    db.session.commit()
    flash(_("Schedule saved."), "success")
    return redirect(url_for("admin.kinds", _anchor=f"kind-{kind.id}"), code=303)


@bp.get("/checkpoints")
@require("manage")
def checkpoints():
    """Find a checkpoint by code, name or place, to override its schedule."""
    q = (request.args.get("q") or "").strip()
    found = []
    if q:
        cp = lookup_checkpoint(q) if codes.normalize(q) else None
        like = f"%{q}%"
        found = ([cp] if cp else []) + db.session.scalars(
            db.select(Checkpoint).join(Location).where(
                Checkpoint.status != "retired",
                db.or_(Checkpoint.name.like(like), Location.path.like(like)))
            .order_by(Location.path, Checkpoint.name).limit(50)).all()
        found = list(dict.fromkeys(found))
    return _view("admin/checkpoints.html", q=q, found=found)


@bp.route("/checkpoints/<code>/schedule", methods=["GET", "POST"])
@require("manage")
def checkpoint_schedule(code):
    """Override one checkpoint's schedule, or let it follow its kind again."""
    cp = lookup_checkpoint(code)
    if cp is None:
        abort(404)
    errors, status = {}, 200
    if request.method == "POST":
        if "clear" in request.form:
            admin_ops.clear_override(cp)
            db.session.commit()
            flash(_("%(name)s follows its kind's schedule again.", name=cp.name), "success")
            return redirect(url_for("admin.checkpoint_schedule", code=cp.code), code=303)
        try:
            schedule = admin_ops.read_schedule(request.form)
        except ValidationFailed as exc:
            errors, status = _errors(exc), 422
        else:
            admin_ops.set_schedule({"checkpoint_id": cp.id}, schedule)
            db.session.commit()
            flash(_("Schedule saved."), "success")
            return redirect(url_for("admin.checkpoint_schedule", code=cp.code), code=303)
    current = cp.schedule_override or cp.kind.schedule
    return _view("admin/checkpoint_schedule.html", status, cp=cp, current=current,
                 errors=errors, form=request.form if errors else None)


# --- calendar ----------------------------------------------------------------------------------

def _calendar_page(errors=None, status=200):
    terms = db.session.scalars(db.select(Term).order_by(Term.first_date)).all()
    days = db.session.scalars(db.select(CalendarDay).order_by(CalendarDay.day)).all()
    return _view("admin/calendar.html", status, terms=terms, days=days,
                 closed=due.closed_weekdays(), errors=errors or {}, form=request.form)


@bp.get("/calendar")
@require("manage")
def calendar():
    """Terms, closure days, make-up working days and the closed weekdays."""
    return _calendar_page()


@bp.post("/calendar/terms")
@require("manage")
def add_term():
    """Add a term."""
    try:
        admin_ops.add_term(request.form.get("term_name"), request.form.get("first_date"),
                           request.form.get("last_date"))
    except ValidationFailed as exc:
        return _calendar_page(_errors(exc), 422)
    db.session.commit()
    flash(_("Term added."), "success")
    return redirect(url_for("admin.calendar"), code=303)


@bp.post("/calendar/terms/<int:term_id>/delete")
@require("manage")
def delete_term(term_id):
    """Remove a term."""
    db.session.delete(db.get_or_404(Term, term_id))
    db.session.commit()
    flash(_("Term removed."), "success")
    return redirect(url_for("admin.calendar"), code=303)


@bp.post("/calendar/days")
@require("manage")
def add_days():
    """Add a closure day or range (a holiday), or a make-up working day."""
    try:
        count = admin_ops.add_days(request.form.get("kind", "closed"), request.form.get("day_name"),
                                   request.form.get("day_first"), request.form.get("day_last"))
    except ValidationFailed as exc:
        return _calendar_page(_errors(exc), 422)
    db.session.commit()
    flash(_("%(n)d day(s) saved.", n=count), "success")
    return redirect(url_for("admin.calendar"), code=303)


@bp.post("/calendar/days/<int:day_id>/delete")
@require("manage")
def delete_day(day_id):
    """Remove a closure or make-up day."""
    db.session.delete(db.get_or_404(CalendarDay, day_id))
    db.session.commit()
    flash(_("Day removed."), "success")
    return redirect(url_for("admin.calendar"), code=303)


@bp.post("/calendar/weekdays")
@require("manage")
def closed_weekdays():
    """Set the weekdays the school is closed (Saturday and Sunday unless changed)."""
    admin_ops.set_closed_weekdays(request.form.getlist("closed"))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("admin.calendar"), code=303)


# --- rounds ------------------------------------------------------------------------------------

@bp.get("/rounds")
@require("manage")
def rounds():
    """The rounds, to add or change."""
    items = db.session.scalars(db.select(Round).order_by(Round.active.desc(), Round.name)).all()
    return _view("admin/rounds.html", rounds=items)


def _round_form(rnd, errors=None, status=200):
    people = db.session.scalars(db.select(User).where(
        User.role.in_(("guard", "staff")), User.active.is_(True)).order_by(User.username)).all()
    form = request.form if errors else None
    return _view("admin/round_form.html", status, rnd=rnd, people=people, errors=errors or {},
                 form=form)


def _save(rnd):
    form = request.form
    try:
        rnd = save_round(rnd, name=form.get("name"), window_start=form.get("window_start"),
                         window_end=form.get("window_end"), weekdays=form.getlist("weekdays"),
                         runs_on_closure_days=bool(form.get("runs_on_closure_days")),
                         stop_codes=(form.get("stops") or "").splitlines(),
                         guard_ids=form.getlist("guards"))
    except ValidationFailed as exc:
        db.session.rollback()
        return _round_form(rnd, _errors(exc), 422)
    db.session.commit()
    flash(_("Round saved."), "success")
    return redirect(url_for("admin.edit_round", round_id=rnd.id), code=303)


@bp.route("/rounds/new", methods=["GET", "POST"])
@require("manage")
def new_round():
    """Define a round: name, window, days, ordered checkpoints, assigned guards."""
    return _save(None) if request.method == "POST" else _round_form(None)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@require("manage")
def edit_round(round_id):
    """Change a round."""
    rnd = db.get_or_404(Round, round_id)
    return _save(rnd) if request.method == "POST" else _round_form(rnd)


@bp.post("/rounds/<int:round_id>/delete")
@require("manage")
def delete_round(round_id):
    """Take a round out of use (its past runs are kept)."""
    rnd = db.get_or_404(Round, round_id)
    rnd.active = False
    db.session.commit()
    flash(_("%(name)s is no longer in use.", name=rnd.name), "success")
    return redirect(url_for("admin.rounds"), code=303)


@bp.app_template_filter("schedule_text")
def schedule_text(row):
    """'Weekly, Mon · 17:30–19:30 · also on closure days' for a schedule row."""
    if row is None:
        return _("No schedule")
    names = {"daily": _("Daily"), "weekly": _("Weekly"), "monthly": _("Monthly")}
    parts = [names.get(row.frequency, row.frequency)]
    if row.weekday is not None:
        parts[0] += f", {WEEKDAY_NAMES[row.weekday]}"
    if row.monthday is not None:
        parts[0] += ", " + _("day %(n)d", n=row.monthday)
    if row.window_start:
        parts.append(sched.format_window(row.to_schedule()).replace("-", "–"))
    if row.runs_on_closure_days:
        parts.append(_("also on closure days"))
    return " · ".join(parts)
