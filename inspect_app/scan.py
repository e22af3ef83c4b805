"""Scanning: the home page, typing a code, /q/<code> and its check form, photos."""
import uuid
from datetime import datetime

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from . import codes
from .access import can, is_check_photo, require
from .extensions import db, is_htmx
from .models import Check, Kind, Photo, utcnow
from .operations import (CheckConflict, ValidationFailed, current_faults, last_check,
                         lookup_label, parse_check_id, record_check, save_photo)
from .pages import add_nav
from .photos import PhotoError, photo_path, process_photo
from .waiting import reports_query, waiting_for

bp = Blueprint("scan", __name__)
add_nav(10, "scan.index", _l("Scan"))


class CodeForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only looks a code up

    code = StringField(validators=[Length(max=40)])


class CheckForm(FlaskForm):
    check_id = HiddenField()
    observed_at = HiddenField()
    note = TextAreaField(validators=[Length(max=2000)])


@bp.get("/")
def index():
    """Home: type a code; for a signed-in person what waits for them (a fixed repair to sign
    off, repairs to do or to triage), and their latest checks, or their latest reports if
    their role does not log checks."""
    recent, reports, waiting = [], [], None
    if current_user.is_authenticated:
        waiting = waiting_for(current_user)
        if can(current_user, "log_check"):
            recent = db.session.scalars(
                db.select(Check).where(Check.user_id == current_user.id)
                .options(selectinload(Check.checkpoint))
                .order_by(Check.observed_at.desc()).limit(10)).all()
        else:
            reports = db.session.scalars(reports_query(current_user).limit(5)).all()
    return render_template("scan/index.html", form=CodeForm(), recent=recent, reports=reports,
                           waiting=waiting)


@bp.get("/scan")
def type_code():
    """Where the 'type the code' form goes: forgiving about case, spaces and look-alikes."""
    form = CodeForm(request.args)
    code = codes.normalize(form.code.data)
    if code:
        return redirect(url_for("scan.checkpoint", code=code), code=303)
    form.code.errors = [_("Type the code printed under the QR, e.g. 7K3-QX9M.")]
    return render_template("scan/index.html", form=form, recent=[]), 422


@bp.get("/q/<code>")
def checkpoint(code):
    """The page a phone camera opens from a label: what this is, its state, its checklist."""
    canonical = codes.normalize(code)
    if canonical != code and canonical:
        return redirect(url_for("scan.checkpoint", code=canonical), code=301)
    label = lookup_label(canonical)
    if label is None:
        well_formed = codes.is_well_formed(canonical)
        return render_template("scan/unknown.html", code=canonical,
                               well_formed=well_formed, form=CodeForm()), 404
    if label.state == "retired":
        return render_template("scan/retired.html", label=label), 410
    if label.state == "blank":
        kinds = db.session.scalars(db.select(Kind).order_by(Kind.position)).all()
        return render_template("scan/blank.html", label=label, kinds=kinds, form={}, error=None)
    return _checkpoint_page(label.checkpoint)


def _checkpoint_page(cp, form=None, errors=None, status=200):
    latest = last_check(cp)
    faults = current_faults(cp, latest)
    show_form = can(current_user, "log_check") and cp.status != "retired"
    if show_form and form is None:
        form = CheckForm(check_id=str(uuid.uuid4()))
    template = "scan/_check_form.html" if (is_htmx() and errors) else "scan/checkpoint.html"
    return render_template(template, cp=cp, latest=latest, faults=faults, form=form,
                           errors=errors or {}, show_form=show_form,
                           items_by_key={i.key: i for i in cp.kind.items}), status


def _parse_observed_at(text):
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return value if value.tzinfo else None


@bp.post("/q/<code>/check")
@require("log_check")
def log(code):
    """The check form: All OK in one tap, or single items marked faulty with note and photo."""
    label = lookup_label(code)
    if label is None or label.state != "active":
        abort(404)
    cp = label.checkpoint
    form = CheckForm()
    if not form.validate_on_submit():
        return _checkpoint_page(cp, form, {"note": _("At most 2000 characters.")}, 422)
    all_ok = "all_ok" in request.form
    items = {item.key: "ok" if all_ok else request.form.get(f"item-{item.key}", "ok")
             for item in cp.kind.active_items}
    item_notes = {} if all_ok else {
        item.key: request.form.get(f"note-{item.key}", "") for item in cp.kind.active_items}
    errors, photos = {}, {}
    if not all_ok:
        photos = _save_item_photos(cp, items, errors)
    if errors:
        db.session.rollback()
        return _checkpoint_page(cp, form, errors, 422)
    check_id = parse_check_id(form.check_id.data) or uuid.uuid4()
    observed_at = _parse_observed_at(form.observed_at.data) or utcnow()
    try:
        check, _created = record_check(current_user, cp, check_id=check_id,
                                       observed_at=observed_at, items=items,
                                       note=form.note.data, item_notes=item_notes,
                                       photos=photos, source="web")
    except ValidationFailed as exc:
        db.session.rollback()
        return _checkpoint_page(cp, form, {k: str(v) for k, v in exc.fields.items()}, 422)
    except CheckConflict:
        db.session.rollback()
        form.check_id.data = str(uuid.uuid4())
        return _checkpoint_page(cp, form, {"form": _("This form was already sent with other "
                                                     "answers. Check and send again.")}, 409)
    if is_htmx():
        return render_template("scan/_check_logged.html", cp=cp, check=check)
    flash(_("Check saved: %(result)s.", result=_("all OK") if not check.fault_count
            else _("%(n)d fault(s)", n=check.fault_count)), "success")
    return redirect(url_for("scan.checkpoint", code=cp.code), code=303)


def _save_item_photos(cp, items, errors):
    photos = {}
    for item in cp.kind.active_items:
        upload = request.files.get(f"photo-{item.key}")
        if upload is None or not upload.filename or items.get(item.key) != "fault":
            continue
        try:
            processed = process_photo(upload.stream,
                                      max_bytes=current_app.config["PHOTO_MAX_BYTES"])
        except PhotoError as exc:
            errors[f"photo-{item.key}"] = photo_error_message(exc)
            continue
        photos[item.key] = save_photo(processed, current_app.config["PHOTO_FOLDER"], current_user)
    return photos


def photo_error_message(exc):
    """What went wrong with an upload, in the user's language."""
    messages = {
        "empty": _("The photo is empty."),
        "too_large": _("The photo is too large (at most %(mb)d MB).",
                       mb=current_app.config["PHOTO_MAX_BYTES"] // (1024 * 1024)),
        "not_an_image": _("This file is not a photo. Use JPEG, PNG or WebP."),
        "unsupported_type": _("This kind of image is not accepted. Use JPEG, PNG or WebP."),
        "too_many_pixels": _("The photo has too many pixels."),
        "corrupt": _("The photo is damaged and cannot be read."),
    }
    return messages.get(exc.reason, messages["corrupt"])


@bp.get("/photos/<uuid:photo_id>")
@require("view_check_details")
def photo(photo_id):
    """A photo of a check's finding, for those allowed to see checks."""
    item = db.session.get(Photo, photo_id)
    if item is None or not is_check_photo(photo_id):
        abort(404)
    path = photo_path(current_app.config["PHOTO_FOLDER"], item.path)
    response = send_file(path, mimetype="image/jpeg", max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/healthz")
def healthz():
    """200 when the database answers."""
    try:
        db.session.execute(db.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return {"status": "unavailable"}, 503
    return {"status": "ok"}



def resend_expired_check(code):
    """The check form's CSRF token expired: show the form again with what was chosen and a
    fresh token. The check id is kept, so sending it again can never store it twice."""
    label = lookup_label(code)
    if label is None or label.state != "active" or not can(current_user, "log_check"):
        abort(400)
    form = CheckForm(formdata=None, check_id=request.form.get("check_id"),
                     observed_at=request.form.get("observed_at"), note=request.form.get("note"))
    return _checkpoint_page(label.checkpoint, form, {"form": _(
        "The form expired before it was sent. Nothing is lost: tap the button again.")}, 400)
