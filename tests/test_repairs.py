"""Repairs through the pages, as people use them: report from a label (anonymously too),
follow the tracking link, triage, fix, reject, fix again, sign off; bad uploads; who sees what."""
import io
import re
import zlib
import struct

import pytest
from PIL import ExifTags, Image

from inspect_app.extensions import db
from inspect_app.models import Photo, Repair, RepairPhoto

from .conftest import csrf_token

TRACK_RE = re.compile(r"/track/([A-Za-z0-9_-]{40,})")


@pytest.fixture
def client(app):
    """An anonymous phone that reads English (the assertions below are in English)."""
    c = app.test_client()
    c.set_cookie("lang", "en")
    return c


@pytest.fixture
def as_role(as_role):
    def make(role):
        c = as_role(role)
        c.set_cookie("lang", "en")
        return c
    return make


def image(fmt="PNG", size=(32, 24), **kw):
    buf = io.BytesIO()
    Image.new("RGB", size, "orange").save(buf, fmt, **kw)
    return buf.getvalue()


def post_report(client, code, files=(), **fields):
    data = {"csrf_token": csrf_token(client, f"/report/{code}"), "severity": "minor",
            "description": "水龙头一直滴水", "category": "water", **fields}
    if files:
        data["photos"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(f"/report/{code}", data=data, content_type="multipart/form-data")


def act(client, url, action, files=(), **fields):
    data = {"csrf_token": csrf_token(client, url), "action": action, **fields}
    if files:
        data["photos"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(url, data=data, content_type="multipart/form-data")


def repair_row(app, number=None):
    with app.app_context():
        repair = db.session.get(Repair, number) if number else db.session.scalars(
            db.select(Repair).order_by(Repair.id.desc())).first()
        return {"id": repair.id, "status": repair.status, "verified": repair.verified,
                "rating": repair.rating, "reopen": repair.reopen_count, "photos": len(repair.photos),
                "parts": [(p.name, p.quantity, p.unit) for p in repair.parts],
                "hash": repair.tracking_hash, "source": repair.source,
                "events": [e.action for e in repair.events]}


def test_anonymous_report_tracked_and_signed_off(app, client, as_role, school):
    code = school["203教室"]
    form = client.get(f"/report/{code}")
    assert form.status_code == 200 and "Your name (optional)" in form.get_data(as_text=True)
    sent = post_report(client, code, files=[(image(), "tap.png")], name="王老师",
                       phone="138 1234 5678")
    assert sent.status_code == 303
    token = TRACK_RE.search(sent.headers["Location"]).group(1)
    tracking_url = f"/track/{token}"
    row = repair_row(app)
    assert row["status"] == "reported" and row["source"] == "anonymous" and row["photos"] == 1
    assert row["hash"] != token and token not in str(row)  # only the hash is stored
    page = client.get(sent.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Keep this link" in html and tracking_url in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "138 1234 5678" not in html  # the phone is for logistics only
    assert client.get("/track/" + "x" * 43).status_code == 404
    # Nothing to sign off yet: the step is refused, not out of order silently.
    refused = act(client, tracking_url, "sign_off", rating="5")
    assert refused.status_code == 409 and "not possible now" in refused.get_data(as_text=True)

    admin, staff, teacher = as_role("admin"), as_role("staff"), as_role("teacher")
    url = f"/repairs/{row['id']}"
    assert "138 1234 5678" in admin.get(url).get_data(as_text=True)
    assert act(teacher, url, "accept").status_code == 403
    assert act(admin, url, "accept", severity="major").status_code == 303
    assert act(staff, url, "start").status_code == 403  # not assigned yet
    assert act(admin, url, "assign", assignee="staff").status_code == 303
    assert repair_row(app)["status"] == "assigned"
    mine = staff.get("/repairs/mine").get_data(as_text=True)
    assert f"#{row['id']}" in mine
    assert "Start work" in staff.get(url).get_data(as_text=True)
    assert act(staff, url, "start").status_code == 303
    bad = act(staff, url, "done", note="换阀芯", **{"part-0-name": "阀芯", "part-0-quantity": "x"})
    assert bad.status_code == 422 and "A quantity above 0." in bad.get_data(as_text=True)
    done = act(staff, url, "done", files=[(image("JPEG"), "after.jpg")], note="换阀芯",
               cost="15", **{"part-0-name": "阀芯", "part-0-quantity": "1", "part-0-unit": "个",
                             "part-1-name": "生料带", "part-1-quantity": "2"})
    assert done.status_code == 303
    row = repair_row(app)
    assert row["status"] == "done" and row["photos"] == 2
    assert row["parts"] == [("阀芯", 1.0, "个"), ("生料带", 2.0, "")]
    # A stranger may not sign it off; the tracking link may.
    assert act(teacher, url, "sign_off", rating="5").status_code == 403
    assert act(admin, url, "sign_off", rating="5").status_code == 403
    tracked = client.get(tracking_url).get_data(as_text=True)
    assert "It is fixed: sign off" in tracked and "Not fixed: send it back" in tracked
    no_reason = act(client, tracking_url, "reject")
    assert no_reason.status_code == 422 and "Say what is still wrong." in no_reason.get_data(as_text=True)
    assert act(client, tracking_url, "reject", note="还在滴").status_code == 303
    assert repair_row(app)["status"] == "in_progress" and repair_row(app)["reopen"] == 1
    assert act(staff, url, "done", note="换了整个龙头",
               **{"part-0-name": "水龙头", "part-0-quantity": "1"}).status_code == 303
    assert act(client, tracking_url, "sign_off", rating="5", note="谢谢").status_code == 303
    row = repair_row(app)
    assert (row["status"], row["verified"], row["rating"]) == ("closed", True, 5)
    assert row["events"] == ["reported", "accept", "assign", "start", "done", "reject", "done",
                             "sign_off"]
    assert act(client, tracking_url, "sign_off", rating="5").status_code == 409
    final = client.get(tracking_url).get_data(as_text=True)
    assert "verified by the reporter" in final and "王老师" in final


def test_double_tapped_anonymous_form_gives_one_repair_and_the_same_link(app, client, school):
    code = school["203教室"]
    first = post_report(client, code, uid="0b7f8f0e-6f1e-4a3c-9f41-3c1d2b7a9e01")
    second = post_report(client, code, uid="0b7f8f0e-6f1e-4a3c-9f41-3c1d2b7a9e01")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Repair.id))) == 1


def test_report_form_errors_sit_next_to_their_field(client, school):
    response = post_report(client, school["203教室"], severity="", description="",
                           phone="call me")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("severity", "description", "phone"):
        assert f'id="err-{field}"' in html


def test_anonymous_reports_are_throttled_per_address(client, school):
    for _ in range(5):
        assert post_report(client, school["203教室"]).status_code == 303
    assert post_report(client, school["203教室"]).status_code == 429


def test_anonymous_reports_can_be_switched_off(app, client, as_role, school):
    app.config["ANONYMOUS_REPORTS"] = False
    code = school["203教室"]
    assert client.get(f"/report/{code}").status_code == 302
    assert "Report a problem" not in client.get(f"/q/{code}").get_data(as_text=True)
    assert as_role("teacher").get(f"/report/{code}").status_code == 200


def test_label_page_shows_open_repairs_and_me_too(app, as_role, school):
    code = school["203教室"]
    guard, teacher = as_role("guard"), as_role("teacher")
    assert post_report(guard, code, description="后门锁坏了", severity="hazard").status_code == 303
    number = repair_row(app)["id"]
    page = teacher.get(f"/q/{code}").get_data(as_text=True)
    assert "What is wrong now" in page and "后门锁坏了" in page and f"/report/{code}" in page
    form = teacher.get(f"/report/{code}").get_data(as_text=True)
    assert "Already reported here" in form and 'value="me_too"' in form
    assert act(teacher, f"/repairs/{number}", "me_too").status_code == 303
    assert "+1 said so too" in teacher.get(f"/q/{code}").get_data(as_text=True)
    assert f"#{number}" in teacher.get("/repairs/reports").get_data(as_text=True)
    assert teacher.get(f"/repairs/{number}").status_code == 200
    assert act(teacher, f"/repairs/{number}", "me_too").status_code == 409


def test_board_pins_hazards_and_filters(app, as_role, school):
    teacher, admin = as_role("teacher"), as_role("admin")
    post_report(teacher, school["203教室"], description="桌腿松动", category="furniture")
    post_report(teacher, school["单杠"], description="单杠开裂", severity="hazard",
                category="sports")
    post_report(teacher, school["203教室"], description="投影仪不亮", category="network_it")
    html = admin.get("/repairs").get_data(as_text=True)
    assert html.index("单杠开裂") < html.index("投影仪不亮") < html.index("桌腿松动")
    only = admin.get("/repairs?category=furniture").get_data(as_text=True)
    assert "桌腿松动" in only and "单杠开裂" not in only
    north = admin.get("/repairs?campus=北校区&severity=hazard").get_data(as_text=True)
    assert "单杠开裂" in north and "桌腿松动" not in north
    assert "No repairs match." in admin.get("/repairs?assignee=1&status=done").get_data(as_text=True)
    fragment = admin.get("/repairs?severity=minor", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).startswith('<div id="repair-list">')


def png_bomb():
    width = height = 30000
    row = b"\x00" * (1 + (width + 7) // 8)
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row * 1000) for _ in range(height // 1000)) + comp.flush()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


@pytest.mark.parametrize("content, message", [
    (b"%PDF-1.4 not a photo", "This kind of image is not accepted"),
    (b"just some text", "This file is not a photo"),
    (image("GIF"), "This kind of image is not accepted"),
    (image()[:60], "damaged"),
    ("bomb", "too many pixels"),
    ("huge", "too large"),
])
def test_bad_uploads_are_refused_and_store_nothing(app, as_role, school, content, message):
    app.config["PHOTO_MAX_BYTES"] = 200_000
    content = png_bomb() if content == "bomb" else (b"\xff\xd8\xff" + b"0" * 300_000
                                                    if content == "huge" else content)
    teacher = as_role("teacher")
    response = post_report(teacher, school["203教室"], files=[(content, "photo.jpg")])
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Photo.id))) == 0
        assert db.session.scalar(db.select(db.func.count(Repair.id))) == 0


def test_gps_is_stripped_and_photos_are_served_only_to_those_allowed(app, client, as_role, school):
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                  ExifTags.GPS.GPSLatitude: (31.0, 14.0, 2.5)}
    exif[ExifTags.Base.Make] = "SecretPhone"
    sent = post_report(client, school["203教室"], files=[(image("JPEG", exif=exif), "gps.jpg")])
    token = TRACK_RE.search(sent.headers["Location"]).group(1)
    with app.app_context():
        link = db.session.scalars(db.select(RepairPhoto)).one()
        photo_id, number = link.photo_id, link.repair_id
    served = client.get(f"/track/{token}/photos/{photo_id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert b"SecretPhone" not in served.data
    assert Image.open(io.BytesIO(served.data)).getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert as_role("admin").get(f"/repairs/{number}/photos/{photo_id}").status_code == 200
    assert as_role("teacher").get(f"/repairs/{number}/photos/{photo_id}").status_code == 403
    # The check-photo route is for check photos only.
    assert as_role("guard").get(f"/photos/{photo_id}").status_code == 404
    # Another repair's link does not open this photo.
    other = post_report(client, school["单杠"], description="篮球架松动")
    other_token = TRACK_RE.search(other.headers["Location"]).group(1)
    assert client.get(f"/track/{other_token}/photos/{photo_id}").status_code == 404


def test_an_upload_over_the_request_limit_is_a_clear_413(app, as_role, school):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = post_report(as_role("teacher"), school["203教室"],
                           files=[(b"\xff\xd8\xff" + b"0" * 2 * 1024 * 1024, "big.jpg")])
    assert response.status_code == 413
    assert "The upload is too large." in response.get_data(as_text=True)
