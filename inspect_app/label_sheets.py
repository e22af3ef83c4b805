"""Labels and the database: which checkpoints to print, blank labels, replacing a label.

The drawing itself is in labels.py (pure); this module feeds it.
"""
from flask import current_app, has_request_context, request
from flask_babel import gettext as _

from . import models  # the clock is read through the module, so tests can freeze it
from . import codes
from .extensions import db
from .labels import (LabelContent, LabelError, find_cjk_font, load_layout, missing_glyphs,
                     render_sheets)
from .models import Checkpoint, Kind, Label, Location, PrinterOffset
from .operations import issue_code

MAX_LABELS = 5000
MAX_BLANK = 1000


def unprintable():
    """What the label font cannot draw, before anything is printed (it would come out as
    empty boxes: rare characters, emoji): {"school": chars or "", "checkpoints": [(code,
    name, place, chars)]} for the checkpoints not retired. Empty when no font is installed:
    printing then says so itself."""
    try:
        find_cjk_font()
    except LabelError:
        return {"school": "", "checkpoints": []}
    rows = db.session.execute(
        db.select(Checkpoint.code, Checkpoint.name, Location.path).join(Location)
        .where(Checkpoint.status != "retired").order_by(Location.path, Checkpoint.name))
    found = []
    for code, name, place in rows:
        missing = missing_glyphs(name + place)
        if missing:
            found.append((code, name, place, "".join(sorted(missing))))
    return {"school": "".join(sorted(missing_glyphs(current_app.config["SCHOOL_NAME"]))),
            "checkpoints": found}


def base_url():
    """Where printed QR codes point: the BASE_URL setting, else the address in use."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return "http://localhost:8000"


def label_url(code):
    """The URL a label's QR encodes."""
    return f"{base_url()}/q/{code}"


def select_checkpoints(kind=None, location=None, codes_=None):
    """Checkpoints in service or out of service (not retired) matching every filter given:
    a kind key, a location path (and everything below it), a list of typed codes."""
    query = (db.select(Checkpoint).join(Location).join(Kind)
             .where(Checkpoint.status != "retired").order_by(Location.path, Checkpoint.name))
    if kind:
        query = query.where(Kind.key == kind)
    if location:
        path = "/".join(p.strip() for p in location.strip().strip("/").split("/") if p.strip())
        query = query.where((Location.path == path) | Location.path.startswith(path + "/"))
    if codes_:
        wanted = [codes.normalize(c) for c in codes_ if codes.normalize(c)]
        query = query.where(Checkpoint.code.in_(wanted))
    return db.session.scalars(query).all()


def content_for(checkpoint):
    """What the label of a checkpoint shows, in the school's first language."""
    return LabelContent(url=label_url(checkpoint.code), code_display=codes.display(checkpoint.code),
                        title=checkpoint.name,
                        place=checkpoint.location.path.replace("/", " › "),
                        instruction=_("Scan to check or report"),
                        school=current_app.config["SCHOOL_NAME"])


def blank_content(code):
    """A blank label: a fresh code, a line to write on."""
    return LabelContent(url=label_url(code), code_display=codes.display(code),
                        instruction=_("Scan to check or report"),
                        school=current_app.config["SCHOOL_NAME"], write_in=_("Name / place:"))


def issue_blank_labels(count):
    """Reserve `count` new codes as blank labels; returns the codes."""
    made = []
    for _i in range(count):
        code = issue_code()
        db.session.add(Label(code=code, state="blank"))
        db.session.flush()
        made.append(code)
    return made


def printer_offset(layout_key):
    """The saved (x, y) offset in mm for a layout, (0, 0) if none."""
    saved = db.session.get(PrinterOffset, layout_key)
    return (saved.x_mm, saved.y_mm) if saved else (0.0, 0.0)


def save_printer_offset(layout_key, x_mm, y_mm):
    """Remember the printer offset for a layout (a school measures it once)."""
    if not (-20 <= x_mm <= 20 and -20 <= y_mm <= 20):
        raise LabelError(_("An offset is between -20 and 20 mm."))
    saved = db.session.get(PrinterOffset, layout_key) or PrinterOffset(layout=layout_key)
    saved.x_mm, saved.y_mm = x_mm, y_mm
    db.session.add(saved)
    db.session.flush()


def print_sheets(checkpoints, layout_name, start=1, blank=0, offset_mm=None):
    """PDF bytes for the checkpoints' labels followed by `blank` fresh blank labels.

    Raises LabelError with a message for people (unknown layout, nothing to print, start past
    the sheet's end, too many); nothing is written then."""
    try:
        layout = load_layout(layout_name, current_app.config["LABEL_FOLDER"])
    except LabelError:
        raise LabelError(_("There is no sheet layout called %(name)s.", name=layout_name))
    if not 1 <= start <= layout.per_page:
        raise LabelError(_("Start position %(n)d is not on this sheet (1 to %(max)d).",
                           n=start, max=layout.per_page))
    if blank < 0 or blank > MAX_BLANK:
        raise LabelError(_("Print between 0 and %(max)d blank labels.", max=MAX_BLANK))
    if not checkpoints and not blank:
        raise LabelError(_("No checkpoint matches; nothing to print."))
    if len(checkpoints) + blank > MAX_LABELS:
        raise LabelError(_("At most %(max)d labels at once.", max=MAX_LABELS))
    contents = [content_for(cp) for cp in checkpoints]
    contents += [blank_content(code) for code in issue_blank_labels(blank)]
    offset = offset_mm if offset_mm is not None else printer_offset(layout.key)
    return render_sheets(contents, layout, start=start, offset_mm=offset)


def replace_label(checkpoint, reason=""):
    """Retire the checkpoint's code (torn or stolen label) and give it a new one.
    Scanning the old code then says the label was replaced. Returns the new code."""
    old = db.session.get(Label, checkpoint.code)
    if old is not None:
        old.state, old.retired_at = "retired", models.utcnow()
        old.retired_reason = (reason or "")[:200]
    new = issue_code()
    db.session.add(Label(code=new, checkpoint_id=checkpoint.id, state="active"))
    checkpoint.code = new
    db.session.flush()
    return new


def link_blank_label(label, checkpoint):
    """Make a blank label the checkpoint's label; its previous code is retired."""
    if label.state != "blank":
        raise LabelError(_("Only a blank label can be linked."))
    if checkpoint.code != label.code:
        old = db.session.get(Label, checkpoint.code)
        if old is not None:
            old.state, old.retired_at = "retired", models.utcnow()
            old.retired_reason = "replaced by a blank label"
    label.state, label.checkpoint_id = "active", checkpoint.id
    checkpoint.code = label.code
    db.session.flush()


def checkpoint_for_blank(label, name, kind_key, location_path):
    """Create a checkpoint on the spot for a blank label (labelling a new building room by
    room). Raises LabelError naming what is wrong."""
    from .catalog import ensure_kind
    from .importer import ensure_location

    name = (name or "").strip()
    if not name or len(name) > 200:
        raise LabelError(_("Give the checkpoint a name (at most 200 characters)."))
    kind = ensure_kind(kind_key or "")
    if kind is None:
        raise LabelError(_("Choose what kind of checkpoint this is."))
    if not (location_path or "").strip("/ "):
        raise LabelError(_("Say where it is, e.g. 北校区/启慧楼/2F/203."))
    checkpoint = Checkpoint(code=label.code, name=name, kind_id=kind.id,
                            location_id=ensure_location(location_path).id)
    db.session.add(checkpoint)
    db.session.flush()
    label.state, label.checkpoint_id = "active", checkpoint.id
    db.session.flush()
    return checkpoint
