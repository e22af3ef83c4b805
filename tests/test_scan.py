"""Scanning a label and logging a check through the pages, as a phone would."""
import io
import re
import uuid

from PIL import Image

from inspect_app.extensions import db
from inspect_app.models import Check, CheckFinding, Label

from .conftest import csrf_token


def _form(client, code):
    html = client.get(f"/q/{code}").get_data(as_text=True)
    return {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
        "check_id": re.search(r'name="check_id" value="([^"]+)"', html).group(1),
        "observed_at": "2026-11-20T18:05:00+08:00",
    }


def _checks(app):
    with app.app_context():
        return db.session.scalars(db.select(Check).order_by(Check.received_at)).all()


def test_cold_open_anonymous_sees_what_it_is_and_a_way_back(client, school):
    code = school["灭火器 01"]
    page = client.get(f"/q/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "灭火器 01" in html and "南校区 › 启慧楼 › 1F" in html
    assert "staff person" in html  # responsible person
    assert "从未检查" in html  # last check: never (Simplified Chinese by default)
    assert "全部正常" not in html  # no checklist for visitors
    assert f"/login?next=/q/{code}" in html


def test_guard_sees_checklist_and_one_big_all_ok(as_role, school):
    html = as_role("guard").get(f"/q/{school['灭火器 01']}").get_data(as_text=True)
    assert 'name="all_ok"' in html
    for label in ("在位、醒目、无遮挡", "压力表指针在绿区", "保险销和铅封完好", "瓶体无变形、锈蚀、泄漏",
                  "喷管、喷嘴完好", "在检验有效期内"):
        assert label in html


def test_teacher_sees_no_check_form(as_role, school):
    html = as_role("teacher").get(f"/q/{school['203教室']}").get_data(as_text=True)
    assert "203教室" in html and 'name="all_ok"' not in html


def test_all_ok_logs_every_item_in_one_tap(app, as_role, school):
    guard = as_role("guard")
    code = school["灭火器 01"]
    data = _form(guard, code) | {"all_ok": "1"}
    response = guard.post(f"/q/{code}/check", data=data)
    assert response.status_code == 303
    [check] = _checks(app)
    assert set(check.items.values()) == {"ok"} and len(check.items) == 6
    assert check.observed_at.isoformat() == "2026-11-20T10:05:00+00:00"
    assert check.received_at > check.observed_at
    page = guard.get(f"/q/{code}").get_data(as_text=True)
    assert "检查已保存" in page and "guard person" in page


def test_double_tap_is_stored_once(app, as_role, school):
    guard = as_role("guard")
    code = school["南门"]
    data = _form(guard, code) | {"all_ok": "1"}
    assert guard.post(f"/q/{code}/check", data=data).status_code == 303
    assert guard.post(f"/q/{code}/check", data=data).status_code == 303
    assert len(_checks(app)) == 1


def _jpeg_with_gps():
    image = Image.new("RGB", (3000, 2000), (200, 40, 40))
    exif = Image.Exif()
    exif[0x8825] = {2: (31.0, 14.0, 0.0), 1: "N"}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_fault_with_note_and_photo(app, as_role, school):
    guard = as_role("guard")
    code = school["灭火器 01"]
    data = _form(guard, code) | {"item-gauge": "fault", "note-gauge": "指针在红区",
                                 "photo-gauge": (io.BytesIO(_jpeg_with_gps()), "p.jpg"),
                                 "note": "已通知后勤"}
    response = guard.post(f"/q/{code}/check", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    [check] = _checks(app)
    assert check.items["gauge"] == "fault" and check.fault_count == 1
    assert check.note == "已通知后勤"
    with app.app_context():
        [finding] = db.session.scalars(db.select(CheckFinding)).all()
        assert finding.note == "指针在红区" and finding.photo_id is not None
        photo_id = finding.photo_id
    page = guard.get(f"/q/{code}").get_data(as_text=True)
    assert "当前存在的问题" in page and "指针在红区" in page
    served = guard.get(f"/photos/{photo_id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(served.data))
    assert max(image.size) == 2048 and not image.getexif()


def test_bad_photo_gets_message_and_keeps_answers(app, as_role, school):
    guard = as_role("guard")
    code = school["灭火器 01"]
    data = _form(guard, code) | {"item-gauge": "fault", "note-gauge": "红区",
                                 "photo-gauge": (io.BytesIO(b"not an image"), "x.jpg")}
    response = guard.post(f"/q/{code}/check", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "这个文件不是照片" in html
    assert 'value="fault" checked' in html and 'value="红区"' in html
    assert _checks(app) == []


def test_htmx_request_gets_the_fragment(app, as_role, school):
    guard = as_role("guard")
    code = school["单杠"]
    data = _form(guard, code) | {"all_ok": "1"}
    response = guard.post(f"/q/{code}/check", data=data, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="check"') and "<html" not in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_missing_csrf_token_is_refused_and_nothing_stored(app, as_role, school):
    guard = as_role("guard")
    code = school["单杠"]
    data = _form(guard, code) | {"all_ok": "1", "csrf_token": "stale"}
    response = guard.post(f"/q/{code}/check", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "内容没有丢失" in html and data["check_id"] in html  # same id: resending is safe
    assert _checks(app) == []


def test_teacher_cannot_post_a_check(app, as_role, school):
    teacher = as_role("teacher")
    code = school["203教室"]
    token = csrf_token(teacher)
    response = teacher.post(f"/q/{code}/check", data={"csrf_token": token, "all_ok": "1",
                                                      "check_id": str(uuid.uuid4())})
    assert response.status_code == 403
    assert _checks(app) == []


def test_typed_codes_are_forgiven(client, school):
    code = school["南门"]
    typed = f" {code[:3].lower()} - {code[3:].lower()} ".replace("0", "o").replace("1", "l")
    response = client.get("/scan", query_string={"code": typed})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/q/{code}")
    assert client.get(f"/q/{code.lower()}").status_code == 301


def test_unknown_and_mistyped_codes_get_a_clear_page(client, school):
    good = school["南门"]
    typo = good[:-1] + ("2" if good[-1] != "2" else "3")
    page = client.get(f"/q/{typo}")
    assert page.status_code == 404
    assert "可能有字符输错" in page.get_data(as_text=True)
    empty = client.get("/scan", query_string={"code": "  "})
    assert empty.status_code == 422 and "请输入二维码下方" in empty.get_data(as_text=True)


def test_retired_label_says_so_and_shows_admin_the_checkpoint(app, as_role, school):
    code = school["南门"]
    with app.app_context():
        label = db.session.get(Label, code)
        old = Label(code="ZZZ2222", checkpoint_id=label.checkpoint_id, state="retired")
        db.session.add(old)
        db.session.commit()
    anonymous = app.test_client().get("/q/ZZZ2222")
    assert anonymous.status_code == 410 and "此标签已更换" in anonymous.get_data(as_text=True)
    assert "南门" not in anonymous.get_data(as_text=True).split("<main")[1].split("</main>")[0]
    admin = as_role("admin").get("/q/ZZZ2222").get_data(as_text=True)
    assert "南门" in admin and f"/q/{code}" in admin


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
