"""Repairs pages: report from a label (signed in or anonymous), the triage board, my repairs,
my reports, a repair's page with its next action, and the reporter's private tracking link."""
import uuid

import click
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask.cli import AppGroup
from flask_login import current_user

from . import repair_steps
from . import repairs_ops as ops
from .access import (REPAIR_STEPS, can, can_view_repair, login_redirect, may_step_repair,
                     require)
from .extensions import db, is_htmx, limiter
from .i18n import tr
from .models import (OPEN_STATUSES, REPAIR_CATEGORIES, REPAIR_STATUSES, SEVERITIES, Checkpoint,
                     Location, Repair, RepairPhoto, User)
from .operations import ValidationFailed, lookup_label, parse_check_id, save_photo
from .pages import add_nav
from .photos import PhotoError, photo_path, process_photo
from .scan import photo_error_message
from .waiting import reports_query

bp = Blueprint("repairs", __name__)
add_nav(40, "repairs.board", _l("Repairs"), "triage_repairs")
add_nav(41, "repairs.mine", _l("My repairs"), "my_repairs_tab")
add_nav(42, "repairs.reports", _l("My reports"), "report_repair")
STEP_BUTTONS = {
    "accept": _l("Accept"), "assign": _l("Assign"), "start": _l("Start work"),
    "done": _l("Mark as done"), "sign_off": _l("It is fixed: sign off"),
    "reject": _l("Not fixed: send it back"), "decline": _l("Decline"),
    "merge": _l("Merge as duplicate"), "me_too": _l("Me too"), "comment": _l("Add comment"),
    "rate": _l("Rate"),
}
# The state's natural next step: shown as the one obvious form.
NEXT = {"reported": "accept", "accepted": "assign", "assigned": "start", "in_progress": "done",
        "done": "sign_off", "closed": "rate"}


def init_app(app):
    """Settings and template helpers."""
    ops.init_app(app)
    app.jinja_env.globals.update(
        repair_open_at=ops.open_repairs_at, repair_title=repair_title,
        repair_category_names=ops.CATEGORY_NAMES, repair_severity_names=ops.SEVERITY_NAMES,
        repair_severity_help=ops.SEVERITY_HELP, repair_status_names=ops.STATUS_NAMES,
        repair_event_names=ops.EVENT_NAMES, repair_step_buttons=STEP_BUTTONS)


def repair_title(repair):
    """What is wrong, in a line: the checklist item (for faults found on checks) and the note."""
    if repair.item_key:
        item = next((i for i in repair.checkpoint.kind.items if i.key == repair.item_key), None)
        label = tr(item.labels) if item else repair.item_key
        return f"{label}: {repair.description}" if repair.description else label
    return repair.description


def _checkpoint(code):
    label = lookup_label(code)
    if label is None or label.state != "active" or label.checkpoint.status == "retired":
        abort(404)
    return label.checkpoint


def _read_photos(field, errors):
    """Validate every uploaded photo first; nothing is stored unless all are good."""
    processed = []
    for upload in request.files.getlist(field):
        if not upload or not upload.filename:
            continue
        if len(processed) >= ops.MAX_PHOTOS:
            errors[field] = _("At most %(n)d photos.", n=ops.MAX_PHOTOS)
            break
        try:
            processed.append(process_photo(upload.stream,
                                           max_bytes=current_app.config["PHOTO_MAX_BYTES"]))
        except PhotoError as exc:
            errors[field] = photo_error_message(exc)
    return processed


def _store(processed, user):
    return [save_photo(p, current_app.config["PHOTO_FOLDER"], user) for p in processed]


def _fields(exc):
    return {k.replace("parts.", "part-").replace(".", "-"): str(v) for k, v in exc.fields.items()}


@bp.route("/report/<code>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ANONYMOUS_REPORT_RATE_LIMIT"], methods=["POST"],
               exempt_when=lambda: current_user.is_authenticated)
def report(code):
    """Report a problem at a checkpoint; open repairs come first so people say "me too"."""
    cp = _checkpoint(code)
    anonymous = not current_user.is_authenticated
    if anonymous and not current_app.config["ANONYMOUS_REPORTS"]:
        return login_redirect()
    if not anonymous and not can(current_user, "report_repair"):
        abort(403)
    if request.method == "GET":
        return _report_page(cp, {"uid": str(uuid.uuid4()), "category": cp.kind.repair_category})
    form = request.form
    errors = {}
    uid = parse_check_id(form.get("uid")) or uuid.uuid4()
    values = {"uid": str(uid), **{k: form.get(k, "") for k in
                                  ("category", "severity", "description", "name", "phone")}}
    processed = _read_photos("photos", errors)
    if errors:
        return _report_page(cp, values, errors, 422)
    user = None if anonymous else current_user
    try:
        repair, _created, token = ops.report_repair(
            cp, severity=values["severity"], description=values["description"],
            category=values["category"] or None, reporter=user, uid=uid,
            reporter_name=values["name"] if anonymous else "",
            reporter_phone=values["phone"] if anonymous else "",
            photos=_store(processed, user) if processed else ())
    except ValidationFailed as exc:
        db.session.rollback()
        return _report_page(cp, values, _fields(exc), 422)
    except ops.RepairConflict:
        db.session.rollback()
        values["uid"] = str(uuid.uuid4())
        return _report_page(cp, values, {"form": _("This form was already sent with other "
                                                   "content. Check it and send it again.")}, 409)
    db.session.commit()
    flash(_("Reported as repair #%(n)d. Thank you.", n=repair.id), "success")
    if token:
        return redirect(url_for("repairs.track", token=token, new=1), code=303)
    return redirect(url_for("repairs.detail", number=repair.id), code=303)


def _report_page(cp, values, errors=None, status=200):
    return render_template("repairs/report.html", cp=cp, values=values, errors=errors or {},
                           open_repairs=ops.open_repairs_at(cp), categories=REPAIR_CATEGORIES,
                           severities=SEVERITIES), status


def _filters():
    args = request.args
    chosen = {"status": args.get("status", "open"), "severity": args.get("severity", ""),
              "campus": args.get("campus", ""), "category": args.get("category", ""),
              "assignee": args.get("assignee", "")}
    query = db.select(Repair).join(Checkpoint).join(Location)
    if chosen["status"] == "open":
        query = query.where(Repair.status.in_(OPEN_STATUSES))
    elif chosen["status"] in REPAIR_STATUSES:
        query = query.where(Repair.status == chosen["status"])
    if chosen["severity"] in SEVERITIES:
        query = query.where(Repair.severity == chosen["severity"])
    if chosen["category"] in REPAIR_CATEGORIES:
        query = query.where(Repair.category == chosen["category"])
    if chosen["campus"]:
        query = query.where(db.or_(Location.path == chosen["campus"],
                                   Location.path.startswith(chosen["campus"] + "/")))
    if chosen["assignee"] == "none":
        query = query.where(Repair.assignee_id.is_(None))
    elif chosen["assignee"].isdigit():
        query = query.where(Repair.assignee_id == int(chosen["assignee"]))
    return chosen, query


def _ordered(query):
    pinned = db.and_(Repair.severity == "hazard", Repair.status.in_(OPEN_STATUSES))
    return query.order_by(pinned.desc(), (Repair.status == "reported").desc(),
                          Repair.reported_at.desc(), Repair.id.desc()).limit(300)


def _staff_members():
    return db.session.scalars(db.select(User).where(User.role.in_(("staff", "admin")),
                                                    User.active).order_by(User.role.desc(),
                                                                          User.username)).all()


@bp.get("/repairs")
@require("triage_repairs")
def board():
    """The manager's triage board: hazards pinned, new first, overdue highlighted, filters."""
    ops.close_unverified()
    db.session.commit()
    chosen, query = _filters()
    repairs = db.session.scalars(_ordered(query)).all()
    campuses = db.session.scalars(db.select(Location.name).where(Location.parent_id.is_(None))
                                  .order_by(Location.name)).all()
    template = "repairs/_list.html" if is_htmx() else "repairs/board.html"
    return render_template(template, repairs=repairs, chosen=chosen, campuses=campuses,
                           staff=_staff_members(), statuses=REPAIR_STATUSES,
                           severities=SEVERITIES, categories=REPAIR_CATEGORIES)


@bp.get("/repairs/mine")
@require("work_repairs")
def mine():
    """The repairs assigned to me that are still to do, soonest deadline first."""
    ops.close_unverified()
    db.session.commit()
    repairs = db.session.scalars(
        db.select(Repair).where(Repair.assignee_id == current_user.id,
                                Repair.status.in_(OPEN_STATUSES))
        .order_by((Repair.status == "done").asc(), Repair.due_at.asc(), Repair.id)).all()
    return render_template("repairs/list.html", repairs=repairs, title=_("My repairs"),
                           empty=_("Nothing assigned to you is open."))


@bp.get("/repairs/reports")
@require("report_repair")
def reports():
    """What I reported, or said "me too" to, newest first."""
    ops.close_unverified()
    db.session.commit()
    repairs = db.session.scalars(reports_query(current_user).limit(200)).all()
    return render_template("repairs/list.html", repairs=repairs, title=_("My reports"),
                           empty=_("You have not reported anything yet. Scan a label to "
                                   "report a problem."))


def _repair(number, need_view=True):
    ops.close_unverified()
    db.session.commit()
    repair = db.session.get(Repair, number)
    if repair is None:
        abort(404)
    if not current_user.is_authenticated:
        return repair, login_redirect()
    if need_view and not can_view_repair(current_user, repair):
        abort(403)
    return repair, None


def available_steps(repair, user, tracking=False):
    """(primary step or None, other steps) this person may take now."""
    steps = [a for a in repair_steps.ACTIONS if repair.status in repair_steps.FROM[a]
             and may_step_repair(user, repair, a, tracking)]
    if "rate" in steps and (not repair.verified or repair.rating is not None):
        steps.remove("rate")
    if "me_too" in steps and user is not None and (
            repair.reporter_id == user.id or any(f.user_id == user.id for f in repair.followers)):
        steps.remove("me_too")
    primary = NEXT.get(repair.status)
    worker_step = REPAIR_STEPS.get(primary) == "worker"
    if primary not in steps or (worker_step and (user is None or repair.assignee_id != user.id)):
        primary = "me_too" if "me_too" in steps else None
    others = [a for a in steps if a != primary and not (primary == "sign_off" and a == "reject")]
    return primary, others


def _repair_page(repair, tracking_token=None, errors=None, status=200, message=None, open_step=None):
    tracking = tracking_token is not None
    user = None if tracking else current_user
    primary, others = available_steps(repair, user, tracking)
    photo_url = ((lambda p: url_for("repairs.track_photo", token=tracking_token, photo_id=p))
                 if tracking else (lambda p: url_for("repairs.photo", number=repair.id,
                                                     photo_id=p)))
    action_url = (url_for("repairs.track_act", token=tracking_token) if tracking
                  else url_for("repairs.act", number=repair.id))
    show_phone = not tracking and can(current_user, "work_repairs")
    waiting_for = {"reported": _("the logistics manager"), "accepted": _("the logistics manager"),
                   "assigned": repair.assignee.name if repair.assignee else "",
                   "in_progress": repair.assignee.name if repair.assignee else "",
                   "done": _("the reporter's sign-off")}.get(repair.status, "")
    return render_template("repairs/repair.html", repair=repair, primary=primary, others=others,
                           errors=errors or {}, message=message, open_step=open_step,
                           photo_url=photo_url, action_url=action_url, show_phone=show_phone,
                           waiting_for=waiting_for,
                           staff=_staff_members() if {"accept", "assign"} & {primary, *others}
                           else [], severities=SEVERITIES, token=tracking_token), status


@bp.get("/repairs/<int:number>")
def detail(number):
    """A repair: the checkpoint, photos, timeline, and the next step for whoever looks."""
    repair, redirect_ = _repair(number)
    return redirect_ or _repair_page(repair)


@bp.post("/repairs/<int:number>")
def act(number):
    """Take a step (the form's `action`); refusals re-render the page with the reason."""
    # "Me too" comes from people not yet following the repair, who may not see it otherwise.
    repair, redirect_ = _repair(number, need_view=request.form.get("action") != "me_too")
    return redirect_ or _take_step(repair, current_user, None)


def _take_step(repair, user, token):
    form = request.form
    action = form.get("action", "")
    errors = {}
    processed = _read_photos("photos", errors) if action == "done" else []
    parts = [{"name": form.get(f"part-{i}-name", ""), "quantity": form.get(f"part-{i}-quantity"),
              "unit": form.get(f"part-{i}-unit", "")} for i in range(ops.MAX_PARTS)
             if form.get(f"part-{i}-name", "").strip()]
    if errors:
        return _repair_page(repair, token, errors, 422, open_step=action)
    try:
        repair_steps.step(repair, action, user=user, tracking=token is not None,
                          note=form.get("note", ""), assignee=form.get("assignee"),
                          due=form.get("due"), severity=form.get("severity"),
                          rating=form.get("rating"), parts=parts, cost=form.get("cost"),
                          into=form.get("into"),
                          photos=_store(processed, user) if processed else ())
    except ValidationFailed as exc:
        db.session.rollback()
        return _repair_page(repair, token, _fields(exc), 422, open_step=action)
    except repair_steps.StepNotAllowed as exc:
        db.session.rollback()
        return _repair_page(repair, token, status=403, message=str(exc))
    except (repair_steps.StepOutOfOrder, ops.RepairConflict) as exc:
        db.session.rollback()
        return _repair_page(repair, token, status=409, message=str(exc))
    db.session.commit()
    flash(_("Saved: %(step)s.", step=ops.EVENT_NAMES[action]), "success")
    if token:
        return redirect(url_for("repairs.track", token=token), code=303)
    return redirect(url_for("repairs.detail", number=repair.id), code=303)


def _send(repair, photo_id):
    link = db.session.scalar(db.select(RepairPhoto).where(RepairPhoto.repair_id == repair.id,
                                                          RepairPhoto.photo_id == photo_id))
    if link is None:
        abort(404)
    response = send_file(photo_path(current_app.config["PHOTO_FOLDER"], link.photo.path),
                         mimetype="image/jpeg", max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/repairs/<int:number>/photos/<uuid:photo_id>")
def photo(number, photo_id):
    """A photo of a repair, for those allowed to see the repair."""
    repair, redirect_ = _repair(number)
    return redirect_ or _send(repair, photo_id)


def _tracked(token):
    ops.close_unverified()
    db.session.commit()
    repair = ops.find_by_token(token)
    if repair is None:
        abort(404)
    return repair


@bp.get("/track/<token>")
def track(token):
    """The anonymous reporter's private page: follow the repair, then sign it off."""
    repair = _tracked(token)
    response = _repair_page(repair, token)
    if isinstance(response, tuple):
        html, status = response
        return html, status, {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
                              "X-Robots-Tag": "noindex"}
    return response


@bp.post("/track/<token>")
def track_act(token):
    """The anonymous reporter signs off, rejects, rates or comments."""
    return _take_step(_tracked(token), None, token)


@bp.get("/track/<token>/photos/<uuid:photo_id>")
def track_photo(token, photo_id):
    """A photo of the tracked repair."""
    return _send(_tracked(token), photo_id)


repairs_cli = AppGroup("repairs", help="Repairs.")


@repairs_cli.command("close-unverified")
def close_unverified_command():
    """Close, as not verified, repairs done REPAIR_VERIFY_DAYS ago that nobody signed off."""
    closed = ops.close_unverified()
    db.session.commit()
    click.echo(f"closed {closed} repair(s) as not verified")
