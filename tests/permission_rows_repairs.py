"""Permission rows for the repairs pages and API (see tests/test_permissions.py)."""
import io
import uuid

from PIL import Image

from inspect_app.extensions import db
from inspect_app.models import Checkpoint, User, utcnow
from inspect_app.operations import log_check, save_photo
from inspect_app.photos import process_photo
from inspect_app.repairs_ops import report_repair

from .permission_table import ALL, row


ROWS = {
    ("repairs.report", "GET"): ALL,  # anonymous reports are on by default
    ("repairs.report", "POST"): row(422, 422, 422, 422, 422),  # nothing filled in
    ("repairs.board", "GET"): row(302, 403, 403, 403, 200),
    ("repairs.mine", "GET"): row(302, 403, 403, 200, 200),
    ("repairs.reports", "GET"): row(302, 200, 200, 200, 200),
    # The repair was reported anonymously: a teacher who did not report or follow it may not see it.
    ("repairs.detail", "GET"): row(302, 403, 200, 200, 200),
    ("repairs.act", "POST"): row(302, 403, 422, 422, 422),  # no action chosen
    ("repairs.photo", "GET"): row(302, 403, 200, 200, 200),
    ("repairs.track", "GET"): ALL,  # the tracking link is the key
    ("repairs.track_act", "POST"): row(422, 422, 422, 422, 422),
    ("repairs.track_photo", "GET"): ALL,
    ("api.post_repair", "POST"): row(401, 422, 422, 422, 422),
    ("api.get_repair", "GET"): row(401, 403, 200, 200, 200),
    ("api.post_repair_event", "POST"): row(401, 403, 422, 422, 422),
}


def url_values(app):
    """An anonymous report with a photo that is also on a check (so /photos/<id> still serves
    it to guards), and its tracking token."""
    with app.app_context():
        guard = db.session.execute(db.select(User).where(User.username == "guard")).scalar_one()
        cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.name == "南门")).scalar_one()
        buf = io.BytesIO()
        Image.new("RGB", (24, 16), "red").save(buf, "PNG")
        photo = save_photo(process_photo(buf.getvalue()), app.config["PHOTO_FOLDER"], guard)
        repair, _created, token = report_repair(cp, severity="minor", description="门锁坏了",
                                                photos=[photo])
        log_check(guard, cp, check_id=uuid.uuid4(), observed_at=utcnow(),
                  items={"gate_intact": "fault"}, photos={"gate_intact": photo})
        db.session.commit()
        return {"number": repair.id, "repair_id": str(repair.id), "token": token,
                "photo_id": str(photo.id)}
