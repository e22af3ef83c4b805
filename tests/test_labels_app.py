"""Label sheets through the app: the manager's page, the CLI, blank and replaced labels."""

import re

from inspect_app.extensions import db
from inspect_app.models import Checkpoint, Label
from tests.label_helpers import decode, png_image, rasterise

from .conftest import csrf_token


def decoded_urls(pdf, tmp_path):
    return sorted(found.text for page in rasterise(pdf, 150, tmp_path) for found in decode(page, 150))


def test_manager_prints_a_sheet_of_one_kind_and_every_qr_decodes(as_role, school, tmp_path):
    admin = as_role("admin")
    response = admin.post("/labels/print", data={
        "csrf_token": csrf_token(admin, "/labels"), "selection": "kind",
        "kind": "fire_extinguisher", "layout": "avery-l7163", "start": "1", "blank": "0"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert decoded_urls(response.data, tmp_path) == [
        f"https://school.example/q/{school['灭火器 01']}"]


def test_location_filter_start_position_and_blank_labels(app, as_role, school, tmp_path):
    admin = as_role("admin")
    response = admin.post("/labels/print", data={
        "csrf_token": csrf_token(admin, "/labels"), "selection": "location",
        "location": "北校区", "layout": "avery-l7160", "start": "20", "blank": "2"})
    assert response.status_code == 200
    urls = decoded_urls(response.data, tmp_path)
    with app.app_context():
        blanks = db.session.scalars(db.select(Label.code).where(Label.state == "blank")).all()
    assert len(blanks) == 2
    expected = {f"https://school.example/q/{school[n]}" for n in ("203教室", "单杠")}
    expected |= {f"https://school.example/q/{c}" for c in blanks}
    assert sorted(expected) == urls
    assert len(rasterise(response.data, 30, tmp_path)) == 2  # positions 20, 21, then a new page


def test_bad_requests_get_a_clear_message_and_write_nothing(app, as_role, school):
    admin = as_role("admin")
    token = csrf_token(admin, "/labels")
    cases = [({"layout": "no-such-sheet", "blank": "3"}, "没有名为"),
             ({"selection": "kind", "kind": "lab", "layout": "avery-l7160"}, "没有匹配"),
             ({"layout": "avery-l7160", "start": "22", "blank": "3"}, "不在此页"),
             ({"layout": "avery-l7160", "start": "x"}, "整数")]
    for data, text in cases:
        response = admin.post("/labels/print", data={"csrf_token": token, **data})
        assert response.status_code == 422, data
        assert text in response.get_data(as_text=True), (data, text)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Label).where(
            Label.state == "blank")) == 0


def test_single_label_png_decodes_and_teacher_cannot_fetch_it(as_role, school):
    code = school["南门"]
    response = as_role("staff").get(f"/q/{code}/label.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    [found] = decode(png_image(response.data), 300)
    assert found.text == f"https://school.example/q/{code}"
    svg = as_role("admin").get(f"/q/{code}/label.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert as_role("teacher").get(f"/q/{code}/label.png").status_code == 403


def test_replaced_label_retires_the_old_code(app, as_role, school):
    admin = as_role("admin")
    old = school["南门"]
    response = admin.post(f"/q/{old}/replace-label",
                          data={"csrf_token": csrf_token(admin), "reason": "被撕坏"})
    assert response.status_code == 303
    new = response.headers["Location"].rsplit("/", 1)[1]
    assert new != old
    assert admin.get(f"/q/{new}").status_code == 200
    retired = app.test_client().get(f"/q/{old}")
    assert retired.status_code == 410
    with app.app_context():
        label = db.session.get(Label, old)
        assert label.state == "retired" and label.retired_reason == "被撕坏"


def test_blank_label_linked_on_the_spot(app, as_role, runner, school, tmp_path):
    out = tmp_path / "blank.pdf"
    result = runner.invoke(args=["labels", "print", "--none", "--blank", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    [url] = decoded_urls(out.read_bytes(), tmp_path)
    code = url.rsplit("/", 1)[1]
    admin = as_role("admin")
    page = admin.get(f"/q/{code}")
    assert page.status_code == 200 and "此标签尚未关联" in page.get_data(as_text=True)
    bad = admin.post(f"/q/{code}/link", data={"csrf_token": csrf_token(admin), "name": "",
                                              "kind": "classroom", "location": "北校区/知行楼/1F/101"})
    assert bad.status_code == 422
    done = admin.post(f"/q/{code}/link", data={"csrf_token": csrf_token(admin), "name": "101教室",
                                               "kind": "classroom", "location": "北校区/知行楼/1F/101"})
    assert done.status_code == 303
    with app.app_context():
        cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.code == code)).scalar_one()
        assert cp.name == "101教室" and cp.location.path == "北校区/知行楼/1F/101"


def test_cli_print_filters_and_errors(runner, school, tmp_path):
    out = tmp_path / "gate.pdf"
    result = runner.invoke(args=["labels", "print", "--code", school["南门"].lower(),
                                 "--layout", "thermal-50x30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert decoded_urls(out.read_bytes(), tmp_path) == [f"https://school.example/q/{school['南门']}"]
    missing = runner.invoke(args=["labels", "print", "--kind", "lab", "--out", str(tmp_path / "x.pdf")])
    assert missing.exit_code != 0 and not (tmp_path / "x.pdf").exists()
    assert runner.invoke(args=["labels", "print", "--layout", "nope"]).exit_code != 0
    assert runner.invoke(args=["labels", "print", "--start", "99"]).exit_code != 0
    assert "avery-l7165" in runner.invoke(args=["labels", "layouts"]).output


def test_printer_offset_is_saved_and_checked(app, as_role):
    admin = as_role("admin")
    token = csrf_token(admin, "/labels")
    ok = admin.post("/labels/offset", data={"csrf_token": token, "layout": "avery-l7160",
                                            "x_mm": "0.5", "y_mm": "-1"})
    assert ok.status_code == 303
    assert 'value="0.5"' in admin.get("/labels").get_data(as_text=True)
    far = admin.post("/labels/offset", data={"csrf_token": token, "layout": "avery-l7160",
                                             "x_mm": "50", "y_mm": "0"})
    assert far.status_code == 422
    pdf = admin.get("/labels/calibration.pdf?layout=avery-l7160")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_labels_page_warns_of_characters_the_font_cannot_print(app, as_role, school):
    admin = as_role("admin")
    page = admin.get("/labels").get_data(as_text=True)
    assert 'id="unprintable"' not in page  # the demo names are all printable
    with app.app_context():
        cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.name == "单杠")).scalar_one()
        cp.name = "单杠 😀"
        db.session.commit()
    page = admin.get("/labels").get_data(as_text=True)
    assert 'id="unprintable"' in page
    start = page.index('id="unprintable"')
    section = page[start:page.index("</section>", start)]
    assert "单杠 😀" in section and '<span class="missing">😀</span>' in section
    assert "203教室" not in section  # only the names that need fixing


def test_the_sheet_form_starts_on_the_a4_layout(as_role):
    """Schools in China buy A4 label sheets: the form offers Avery L7160 first, as the CLI
    does, not the US Letter sheet that sorts first."""
    page = as_role("admin").get("/labels").get_data(as_text=True)
    assert re.search(r'<option value="avery-l7160"\s+selected>', page)
    assert not re.search(r'<option value="avery-5160"\s+selected>', page)


def test_layout_names_read_in_the_pages_language(as_role):
    admin = as_role("admin")
    for lang, name in (("zh_Hans", "热敏标签打印机 50×30 毫米（每页一张）"),
                       ("zh_Hant", "熱感標籤印表機 50×30 毫米（每頁一張）"),
                       ("en", "Thermal printer 50×30 mm (one label per page)")):
        admin.set_cookie("lang", lang)
        page = admin.get("/labels").get_data(as_text=True)
        assert name in page and "Avery L7160 (A4, 3×7, 63.5×38.1 mm)" in page, lang
