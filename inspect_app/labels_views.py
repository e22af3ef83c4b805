"""Pages for labels: print sheets, calibrate the printer, one label as PNG/SVG, replace a
torn label, link a blank label."""
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import codes
from .access import require
from .extensions import db
from .label_sheets import (checkpoint_for_blank, content_for, link_blank_label, print_sheets,
                           printer_offset, replace_label, save_printer_offset, select_checkpoints,
                           unprintable)
from .labels import (DEFAULT_LAYOUT, LabelError, list_layouts, load_layout, render_calibration,
                     render_label_png, render_label_svg)
from .i18n import tr
from .models import Kind
from .operations import lookup_checkpoint, lookup_label
from .pages import add_nav

bp = Blueprint("labels", __name__)
add_nav(80, "labels.index", _l("Labels"), "manage")


@bp.app_template_filter("layout_name")
def layout_name(layout):
    """A sheet layout's name in the reader's language (English when it has no other)."""
    return tr({"en": layout.name, "zh_Hans": layout.name_zh_hans,
               "zh_Hant": layout.name_zh_hant})


def _layouts():
    return list_layouts(current_app.config["LABEL_FOLDER"])


def _float(name):
    try:
        return float((request.form.get(name) or "0").replace(",", "."))
    except ValueError:
        return None


def _page(errors=None, status=200):
    kinds = db.session.scalars(db.select(Kind).order_by(Kind.position)).all()
    offsets = {layout.key: printer_offset(layout.key) for layout in _layouts()}
    return render_template("labels/index.html", layouts=_layouts(), kinds=kinds,
                           offsets=offsets, errors=errors or {}, form=request.form,
                           default_layout=DEFAULT_LAYOUT,
                           unprintable=unprintable()), status


@bp.get("/labels")
@require("manage")
def index():
    """Choose checkpoints and a sheet layout."""
    return _page()


@bp.post("/labels/print")
@require("manage")
def print_pdf():
    """The print-ready PDF for the chosen checkpoints (and blank labels)."""
    form = request.form
    selection = form.get("selection", "all")
    picked = [c for c in (form.get("codes") or "").replace(",", " ").split() if c]
    try:
        start = int(form.get("start") or 1)
        blank = int(form.get("blank") or 0)
    except ValueError:
        return _page({"start": _("Type whole numbers.")}, 422)
    checkpoints = []
    if selection != "none":
        checkpoints = select_checkpoints(
            kind=form.get("kind") if selection == "kind" else None,
            location=form.get("location") if selection == "location" else None,
            codes_=picked if selection == "codes" else None)
        if selection == "codes" and not picked:
            checkpoints = []
    try:
        pdf = print_sheets(checkpoints, form.get("layout", ""), start=start, blank=blank)
    except LabelError as exc:
        db.session.rollback()
        return _page({"form": str(exc)}, 422)
    db.session.commit()  # blank codes are reserved only once the PDF exists
    name = f"labels-{form.get('layout', 'sheet')}.pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/labels/calibration.pdf")
@require("manage")
def calibration():
    """A page of outlines and scales to measure the printer's offset."""
    try:
        layout = load_layout(request.args.get("layout", ""), current_app.config["LABEL_FOLDER"])
    except LabelError:
        abort(404)
    pdf = render_calibration(layout, printer_offset(layout.key))
    return Response(pdf, mimetype="application/pdf")


@bp.post("/labels/offset")
@require("manage")
def offset():
    """Save the printer offset measured on the calibration page."""
    layout, x, y = request.form.get("layout", ""), _float("x_mm"), _float("y_mm")
    if layout not in {item.key for item in _layouts()}:
        return _page({"offset": _("There is no sheet layout called %(name)s.", name=layout)}, 422)
    try:
        if x is None or y is None:
            raise LabelError(_("Type the offset in millimetres, e.g. 0.5 or -1."))
        save_printer_offset(layout, x, y)
    except LabelError as exc:
        db.session.rollback()
        return _page({"offset": str(exc)}, 422)
    db.session.commit()
    flash(_("Printer offset saved."), "success")
    return redirect(url_for("labels.index"), code=303)


@bp.get("/q/<code>/label.<fmt>")
@require("print_label")
def single(code, fmt):
    """One label as PNG or SVG, for a label printer app."""
    cp = lookup_checkpoint(code)
    if cp is None or fmt not in ("png", "svg"):
        abort(404)
    name = f"label-{cp.code}.{fmt}"
    disposition = {"Content-Disposition": f'inline; filename="{name}"'}
    if fmt == "png":
        return Response(render_label_png(content_for(cp)), mimetype="image/png", headers=disposition)
    return Response(render_label_svg(content_for(cp)), mimetype="image/svg+xml",
                    headers=disposition)


@bp.post("/q/<code>/replace-label")
@require("manage")
def replace(code):
    """A torn or stolen label gets a new code; the old one is retired."""
    cp = lookup_checkpoint(code)
    if cp is None:
        abort(404)
    new = replace_label(cp, request.form.get("reason", ""))
    db.session.commit()
    flash(_("New code %(code)s. Print its label; the old code now says it was replaced.",
            code=codes.display(new)), "success")
    return redirect(url_for("scan.checkpoint", code=new), code=303)


@bp.post("/q/<code>/link")
@require("manage")
def link(code):
    """Link a blank label: to an existing checkpoint (by its code) or to a new one."""
    label = lookup_label(code)
    if label is None or label.state != "blank":
        abort(404)
    try:
        if request.form.get("existing"):
            cp = lookup_checkpoint(request.form["existing"])
            if cp is None:
                raise LabelError(_("No checkpoint has this code."))
            link_blank_label(label, cp)
        else:
            cp = checkpoint_for_blank(label, request.form.get("name"), request.form.get("kind"),
                                      request.form.get("location"))
    except LabelError as exc:
        db.session.rollback()
        kinds = db.session.scalars(db.select(Kind).order_by(Kind.position)).all()
        return render_template("scan/blank.html", label=label, kinds=kinds, error=str(exc),
                               form=request.form), 422
    db.session.commit()
    flash(_("Label linked."), "success")
    return redirect(url_for("scan.checkpoint", code=cp.code), code=303)
