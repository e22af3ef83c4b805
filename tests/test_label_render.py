"""Label sheets: every layout file renders, every QR decodes to the right URL at the
right place (within 0.2 mm), text stays inside the label, the CJK font is embedded.
Needs poppler-utils (pdftoppm, pdffonts, pdftotext), librsvg2-bin (rsvg-convert) and
fonts-wqy-microhei; no Flask app."""
from __future__ import annotations

import os
import subprocess

import pytest
from PIL import Image, ImageChops, ImageDraw

from inspect_app import labels as L
from inspect_app.label_plan import (ELLIPSIS, MIN_PT, QUIET, STYLES, _qr_matrix_qrcode,
                                    fit_text, metrics_for, qr_matrix, qr_rects)
from tests.label_helpers import (BASE_URL, LAYOUT_DIR, LAYOUT_FILES, LONG_NAME, decode,
                                 expected_origin, need, png_image, rasterise, raw_toml,
                                 sample, svg_to_png)

LAYOUT_IDS = [p.stem for p in LAYOUT_FILES]
REQUIRED = {  # key: (page w, page h, cols, rows, label w, label h)
    "avery-l7160": (210, 297, 3, 7, 63.5, 38.1),
    "avery-l7163": (210, 297, 2, 7, 99.1, 38.1),
    "avery-l7165": (210, 297, 2, 4, 99.1, 67.7),
    "avery-5160": (215.9, 279.4, 3, 10, 66.7, 25.4),
    "thermal-50x30": (50, 30, 1, 1, 50, 30),
}
TOL = 0.2  # mm


def cell_at(geo, x, y):
    """1-based position whose label rectangle contains (x, y) mm, else None."""
    for pos in range(1, geo["columns"] * geo["rows"] + 1):
        ox, oy = expected_origin(geo, pos)
        if ox <= x <= ox + geo["label_width_mm"] and oy <= y <= oy + geo["label_height_mm"]:
            return pos
    return None


def test_required_layouts_exist_with_real_geometry():
    layouts = {lay.key: lay for lay in L.list_layouts()}
    for key, (pw, ph, cols, rows, lw, lh) in REQUIRED.items():
        lay = layouts[key]
        assert (lay.page_width_mm, lay.page_height_mm, lay.columns, lay.rows,
                lay.label_width_mm, lay.label_height_mm) == (pw, ph, cols, rows, lw, lh)
    assert layouts["avery-l7160"].origin(21) == pytest.approx((7.2 + 2 * 66.0, 15.15 + 6 * 38.1))
    assert layouts["avery-5160"].origin(30) == pytest.approx((4.8 + 2 * 69.85, 12.7 + 9 * 25.4))


@pytest.mark.parametrize("path", LAYOUT_FILES, ids=LAYOUT_IDS)
def test_layout_file_loads_exactly(path):
    geo, lay = raw_toml(path), L.load_layout(path.stem)
    for key, value in geo.items():
        assert getattr(lay, key) == value, key
    assert lay.per_page == geo["columns"] * geo["rows"]
    for pos in range(1, lay.per_page + 1):
        assert lay.origin(pos, (0.7, -0.4)) == pytest.approx(expected_origin(geo, pos, (0.7, -0.4)))


@pytest.mark.parametrize("path", LAYOUT_FILES, ids=LAYOUT_IDS)
def test_sheet_every_qr_decodes_to_its_label(path, tmp_path):
    """A full sheet at 150 dpi: each position holds exactly the QR of its label."""
    geo, lay = raw_toml(path), L.load_layout(path.stem)
    contents = sample(lay.per_page)
    pages = rasterise(L.render_sheets(contents, lay), 150, tmp_path)
    assert len(pages) == 1
    found = decode(pages[0], 150)
    by_cell = {}
    for f in found:
        pos = cell_at(geo, *f.centre)
        assert pos is not None, f"QR {f.text} outside every label"
        assert pos not in by_cell, f"two QR codes in position {pos}"
        by_cell[pos] = f
        assert f.ec_level in ("M", "Q", "H")
    assert sorted(by_cell) == list(range(1, lay.per_page + 1))
    for pos, f in by_cell.items():
        assert f.text == contents[pos - 1].url


@pytest.mark.parametrize("path", LAYOUT_FILES, ids=LAYOUT_IDS)
def test_sheet_geometry_within_tolerance(path, tmp_path):
    """At 300 dpi the QR symbol of every label lies where the layout file says the
    label is, plus the label's own QR offset, within 0.2 mm; the symbol has the
    planned size."""
    geo, lay = raw_toml(path), L.load_layout(path.stem)
    contents = sample(lay.per_page, first=3)
    found = {f.text: f for f in decode(rasterise(L.render_sheets(contents, lay), 300, tmp_path)[0], 300)}
    assert len(found) == lay.per_page
    for pos, content in enumerate(contents, start=1):
        plan = L.label_plan_for(content, lay)
        ox, oy = expected_origin(geo, pos)
        side = len(plan.matrix) * plan.module
        (x0, y0), (x1, _), _, (_, y3) = found[content.url].corners
        assert x0 == pytest.approx(ox + plan.qr_x, abs=TOL)
        assert y0 == pytest.approx(oy + plan.qr_y, abs=TOL)
        assert x1 - x0 == pytest.approx(side, abs=TOL)
        assert y3 - y0 == pytest.approx(side, abs=TOL)
        # the symbol with its full quiet zone lies inside the label, clear of the edge
        qx0, qy0, qx1, qy1 = plan.quiet_box
        assert qx0 >= lay.padding_mm - 1e-9 and qy0 >= lay.padding_mm - 1e-9
        assert qx1 <= lay.label_width_mm - lay.padding_mm + 1e-9
        assert qy1 <= lay.label_height_mm - lay.padding_mm + 1e-9


def _forbidden_min(page: Image.Image, lay, dpi: int, shrink: float, offset=(0.0, 0.0)) -> int:
    """Darkest pixel outside the labels' inner boxes (label shrunk by ``shrink`` mm)."""
    k = dpi / 25.4
    allowed = Image.new("L", page.size, 0)
    d = ImageDraw.Draw(allowed)
    for pos in range(1, lay.per_page + 1):
        x, y = lay.origin(pos, offset)
        d.rectangle([int((x + shrink) * k) - 1, int((y + shrink) * k) - 1,
                     int((x + lay.label_width_mm - shrink) * k) + 1,
                     int((y + lay.label_height_mm - shrink) * k) + 1], fill=255)
    return ImageChops.lighter(page, allowed).getextrema()[0]


def extreme(i: int) -> L.LabelContent:
    return L.LabelContent(
        url=f"{BASE_URL}/q/LONG{i}", code_display="7K3-QX9M",
        title=LONG_NAME * 4, place="北校区 启慧楼 三楼 东侧走廊 男卫生间外 消防栓旁 " * 5,
        instruction="扫码巡检 / 报修 · 如发现损坏请立即联系后勤处 Scan to inspect or report " * 3,
        school="北京市海淀区第一〇一中学（北校区）后勤处 Beijing No.101 Middle School " * 2)


@pytest.mark.parametrize("path", LAYOUT_FILES, ids=LAYOUT_IDS)
def test_no_ink_near_or_past_the_die_cut_edge(path, tmp_path):
    """Sheet of absurdly long texts: nothing is printed in the padding band of any
    label nor between labels (checked on the rasterised page)."""
    lay = L.load_layout(path.stem)
    pdf = L.render_sheets([extreme(i) for i in range(lay.per_page)], lay)
    page = rasterise(pdf, 150, tmp_path)[0]
    assert page.getextrema()[0] < 50  # something was drawn
    assert _forbidden_min(page, lay, 150, lay.padding_mm - 0.4) >= 200


@pytest.mark.parametrize("path", LAYOUT_FILES, ids=LAYOUT_IDS)
def test_text_boxes_stay_inside_and_clear_of_quiet_zone(path):
    lay = L.load_layout(path.stem)
    m = metrics_for(L.find_cjk_font())
    bare = L.LabelContent(url=f"{BASE_URL}/q/BARE", code_display="7K3-QX9M", title=LONG_NAME * 3)
    for content in [extreme(0), bare, *sample(6)]:
        plan = L.label_plan_for(content, lay)
        qx0, qy0, qx1, qy1 = plan.quiet_box
        for run in plan.texts:
            x0, y0, x1, y1 = run.box(m)
            assert x0 >= lay.padding_mm - 1e-6 and y0 >= lay.padding_mm - 1e-6, run
            assert x1 <= lay.label_width_mm - lay.padding_mm + 1e-6, run
            assert y1 <= lay.label_height_mm - lay.padding_mm + 1e-6, run
            assert x0 >= qx1 - 1e-6 or y1 <= qy0 or y0 >= qy1, run
        for a, b in zip(plan.texts, plan.texts[1:]):  # no two lines overlap
            boxes = sorted([a.box(m), b.box(m)], key=lambda bx: bx[1])
            assert boxes[0][3] <= boxes[1][1] + 1e-6 or a.x != b.x


def test_long_title_shrinks_then_is_cut_with_ellipsis():
    lay = L.load_layout("avery-l7160")
    m = metrics_for(L.find_cjk_font())
    plan = L.label_plan_for(extreme(0), lay)
    title = [r for r in plan.texts if r.bold and r.text != "7K3-QX9M"]
    assert 1 <= len(title) <= STYLES[lay.label_style]["title_lines"]
    assert title[-1].text.endswith(ELLIPSIS)
    assert all(r.size == MIN_PT["title"] for r in title)
    # a short title is not shrunk and not cut
    short = L.label_plan_for(sample(1)[0], lay)
    t = [r for r in short.texts if r.text == "启慧楼101教室"]
    assert len(t) == 1 and t[0].size > MIN_PT["title"]
    # fit_text itself: shrinks before wrapping, wraps before cutting
    size, lines = fit_text("一二三四五六七八", 30.0, 10.0, 12, 6, 2, m)
    assert lines == ["一二三四五六七八"] and 9 <= size < 12  # shrunk, not wrapped
    size, lines = fit_text("一二三四五六七八九十" * 2, 30.0, 10.0, 12, 6, 2, m)
    assert len(lines) == 2 and "".join(lines) == "一二三四五六七八九十" * 2 and 6 < size <= 9
    size, lines = fit_text("一二三四五六七八九十" * 9, 30.0, 10.0, 12, 6, 2, m)
    assert size == 6 and len(lines) == 2 and lines[-1].endswith(ELLIPSIS)
    assert all(m.width(ln, 6 * 25.4 / 72) <= 30.0 for ln in lines)


def test_blank_label_has_write_in_lines_and_decodes(tmp_path):
    lay = L.load_layout("avery-l7163")
    blank = L.LabelContent(url=f"{BASE_URL}/q/BLANK01", code_display="BLA-NK01",
                           instruction="扫码巡检 / 报修", school="北京市第一〇一中学",
                           write_in="名称/位置：")
    plan = L.label_plan_for(blank, lay)
    assert plan.rules, "a blank label needs lines to write on"
    assert [r.text for r in plan.texts if r.text == "名称/位置："]
    found = decode(rasterise(L.render_sheets([blank], lay), 150, tmp_path)[0], 150)
    assert [f.text for f in found] == [blank.url]


def test_start_position_and_following_pages(tmp_path):
    path = LAYOUT_DIR / "avery-l7160.toml"
    geo, lay = raw_toml(path), L.load_layout("avery-l7160")
    contents = sample(5)
    pages = rasterise(L.render_sheets(contents, lay, start=20), 150, tmp_path)
    assert len(pages) == 2
    first = {cell_at(geo, *f.centre): f.text for f in decode(pages[0], 150)}
    second = {cell_at(geo, *f.centre): f.text for f in decode(pages[1], 150)}
    assert first == {20: contents[0].url, 21: contents[1].url}
    assert second == {1: contents[2].url, 2: contents[3].url, 3: contents[4].url}


def _shift_difference(a: Image.Image, b: Image.Image, dx: int, dy: int) -> float:
    """Share of pixels that differ when ``b`` is ``a`` moved by (dx, dy) px (dx, dy >= 0)."""
    w, h = a.size
    diff = ImageChops.difference(a.crop((0, 0, w - dx, h - dy)), b.crop((dx, dy, w, h)))
    hist = diff.point(lambda v: 255 if v > 64 else 0).histogram()
    return hist[255] / ((w - dx) * (h - dy))


@pytest.mark.parametrize("kind", ["sheet", "calibration"])
def test_offset_moves_everything(kind, tmp_path):
    """At 254 dpi (10 px per mm) an offset of (3, 2) mm is a shift of exactly
    (30, 20) px of the whole page: labels, text, rulers, notes."""
    lay = L.load_layout("avery-l7160")

    def render(off):
        if kind == "sheet":
            return L.render_sheets(sample(lay.per_page), lay, offset_mm=off)
        return L.render_calibration(lay, offset_mm=off, notes=["校准页 calibration"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = rasterise(render((0.0, 0.0)), 254, tmp_path / "a")[0]
    moved = rasterise(render((3.0, 2.0)), 254, tmp_path / "b")[0]
    assert _shift_difference(plain, moved, 0, 0) > 0.001  # the offset changed the page
    assert _shift_difference(plain, moved, 30, 20) < 0.0005
    if kind == "sheet":
        geo = raw_toml(LAYOUT_DIR / "avery-l7160.toml")
        for f in decode(moved, 254):
            content = next(c for c in sample(lay.per_page) if c.url == f.text)
            pos = sample(lay.per_page).index(content) + 1
            ox, oy = expected_origin(geo, pos, (3.0, 2.0))
            plan = L.label_plan_for(content, lay)
            assert f.corners[0][0] == pytest.approx(ox + plan.qr_x, abs=TOL)
            assert f.corners[0][1] == pytest.approx(oy + plan.qr_y, abs=TOL)


@pytest.mark.parametrize("path", LAYOUT_FILES, ids=LAYOUT_IDS)
def test_calibration_outlines_every_position(path, tmp_path):
    """The calibration page draws each label's outline where the layout file says:
    dark pixels on the left edge and top edge midpoints of every position."""
    geo, lay = raw_toml(path), L.load_layout(path.stem)
    page = rasterise(L.render_calibration(lay), 254, tmp_path)[0]
    assert page.size[0] == pytest.approx(geo["page_width_mm"] * 10, abs=1)
    assert page.size[1] == pytest.approx(geo["page_height_mm"] * 10, abs=1)
    for pos in range(1, lay.per_page + 1):
        x, y = expected_origin(geo, pos)
        w, h = geo["label_width_mm"], geo["label_height_mm"]
        for px, py in [(x, y + h * 0.7), (x + w, y + h * 0.7), (x + w * 0.7, y), (x + w * 0.7, y + h)]:
            X, Y = round(px * 10), round(py * 10)
            box = page.crop((max(0, X - 2), max(0, Y - 2), X + 3, Y + 3))
            assert box.getextrema()[0] < 160, (pos, px, py)
        # the label interior next to the outline is empty (no double/misplaced outline)
        X, Y = round((x + w * 0.7) * 10), round((y + h * 0.7) * 10)
        assert page.crop((X - 20, Y - 20, X + 20, Y + 20)).getextrema()[0] > 200


def test_pdf_embeds_subset_cjk_font_with_the_text(tmp_path):
    need("pdffonts", "poppler-utils")
    lay = L.load_layout("avery-l7163")
    pdf = tmp_path / "s.pdf"
    pdf.write_bytes(L.render_sheets(sample(6), lay))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [ln.split() for ln in fonts.splitlines()[2:] if ln.strip()]
    assert rows, fonts
    assert all("WenQuanYi" in r[0] or "InspectCJK" in r[0] for r in rows), fonts
    assert all(r[-5:-2] == ["yes", "yes", "yes"] for r in rows), fonts  # emb sub uni
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    for s in ["启慧楼101教室", "體育館後門", "南校區 體育館", "扫码巡检 / 报修", "北京市第一〇一中学"]:
        assert s in text, s
    assert "启慧楼101教室" in text and sample(1)[0].code_display in text
    assert L.missing_glyphs("".join(t + p for t, p in [(LONG_NAME, "體育館後門〇（）")])) == set()
    assert L.missing_glyphs("a😀") == {"😀"}


def test_single_label_png_and_svg_decode(tmp_path):
    content = sample(2)[1]  # the very long name
    png = L.render_label_png(content, dpi=300, size_mm=(50, 30))
    img = png_image(png)
    assert img.size == (round(50 / 25.4 * 300), round(30 / 25.4 * 300))
    assert [f.text for f in decode(img, 300)] == [content.url]
    svg = L.render_label_svg(content, size_mm=(50, 30))
    assert svg.startswith("<svg") and 'width="50mm"' in svg and "<text" not in svg
    assert [f.text for f in decode(svg_to_png(svg, 300, tmp_path), 300)] == [content.url]
    # 203 dpi thermal head: modules snapped to whole pixels still decode
    assert [f.text for f in decode(png_image(L.render_label_png(content, dpi=203)), 203)] == [content.url]


def test_png_keeps_quiet_zone_and_padding_white():
    content = sample(1)[0]
    plan = L.label_plan_for(content, L.load_layout("thermal-50x30"))
    img = png_image(L.render_label_png(content, dpi=300, size_mm=(50, 30), style="standard"))
    k = 300 / 25.4
    n = len(plan.matrix) * plan.module
    qx0, qy0, qx1, qy1 = plan.quiet_box
    symbol = img.crop((int(plan.qr_x * k) - 2, int(plan.qr_y * k) - 2,
                       int((plan.qr_x + n) * k) + 3, int((plan.qr_y + n) * k) + 3))
    assert symbol.getextrema()[0] == 0  # dark modules are there
    ring = Image.new("L", img.size, 255)
    d = ImageDraw.Draw(ring)
    d.rectangle([int(qx0 * k), int(qy0 * k), int(qx1 * k), int(qy1 * k)], fill=0)
    d.rectangle([int(plan.qr_x * k) - 2, int(plan.qr_y * k) - 2,
                 int((plan.qr_x + n) * k) + 2, int((plan.qr_y + n) * k) + 2], fill=255)
    assert ImageChops.lighter(img, ring).getextrema()[0] == 255  # quiet zone is white
    pad = round(1.2 * k)
    w, h = img.size
    for band in [(0, 0, w, pad), (0, h - pad, w, h), (0, 0, pad, h), (w - pad, 0, w, h)]:
        assert img.crop(band).getextrema()[0] == 255


def test_qr_rects_cover_exactly_the_dark_modules():
    for url in [f"{BASE_URL}/q/7K3QX9M", "https://x.cn/q/A", "https://校园.example/q/" + "Z" * 60]:
        matrix = qr_matrix(url)
        n = len(matrix)
        assert n >= 21 and n % 4 == 1 and all(len(r) == n for r in matrix)
        grid = [[0] * n for _ in range(n)]
        for c, r, w, h in qr_rects(matrix):
            for rr in range(r, r + h):
                for cc in range(c, c + w):
                    grid[rr][cc] += 1
        assert grid == [[int(v) for v in row] for row in matrix]
        assert len(qr_rects(matrix)) < sum(sum(r) for r in matrix)  # runs are merged


def _matrix_image(matrix, scale=8):
    n = len(matrix) + 2 * QUIET
    img = Image.new("L", (n * scale, n * scale), 255)
    d = ImageDraw.Draw(img)
    for c, r, w, h in qr_rects(matrix):
        d.rectangle([(c + QUIET) * scale, (r + QUIET) * scale,
                     (c + QUIET + w) * scale - 1, (r + QUIET + h) * scale - 1], fill=0)
    return img


def test_qr_encoders_produce_readable_symbols_at_least_m():
    url = f"{BASE_URL}/q/7K3QX9M"
    for matrix in (qr_matrix(url), _qr_matrix_qrcode(url)):
        found = decode(_matrix_image(matrix), 25.4)
        assert [f.text for f in found] == [url]
        assert found[0].ec_level in ("M", "Q", "H")


def _layout_file(tmp_path, **changes):
    geo = raw_toml(LAYOUT_DIR / "avery-l7160.toml")
    geo.update(changes)
    geo = {k: v for k, v in geo.items() if v is not None}
    lines = [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in geo.items()]
    (tmp_path / "test-sheet.toml").write_text("\n".join(lines), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("changes, message", [
    ({"rows": 8}, "page is 297"),
    ({"columns": 4}, "page is 210"),
    ({"pitch_x_mm": 60.0}, "overlap"),
    ({"label_height_mm": None}, "missing keys label_height_mm"),
    ({"colums": 3}, "unknown keys colums"),
    ({"rows": 7.5}, "wrong type"),
    ({"style": "fancy"}, "style must be"),
])
def test_invalid_layout_files_are_refused(tmp_path, changes, message):
    folder = _layout_file(tmp_path, **changes)
    with pytest.raises(L.LabelError, match=message):
        L.load_layout("test-sheet", folder)


def test_request_errors():
    lay = L.load_layout("avery-l7160")
    for bad in ["avery-l9999", "../pyproject", "", "AVERY-L7160"]:
        with pytest.raises(L.LabelError, match="Unknown label layout"):
            L.load_layout(bad)
    with pytest.raises(L.LabelError, match="past the end"):
        L.render_sheets(sample(1), lay, start=22)
    with pytest.raises(L.LabelError, match="past the end"):
        L.render_sheets(sample(1), lay, start=0)
    with pytest.raises(L.LabelError, match="no labels"):
        L.render_sheets([], lay)
    with pytest.raises(L.LabelError, match="URL"):
        L.render_sheets([L.LabelContent(url="", code_display="X")], lay)
    with pytest.raises(L.LabelError):
        lay.origin(22)
    assert issubclass(L.LabelError, ValueError)


def test_font_lookup_setting_and_errors(monkeypatch, tmp_path):
    font = L.find_cjk_font()
    assert font.path.endswith((".ttc", ".ttf"))
    monkeypatch.setenv("INSPECT_LABEL_FONT", str(tmp_path / "nope.ttf"))
    with pytest.raises(L.LabelError, match="fonts-wqy-microhei"):
        L.find_cjk_font()
    latin = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian fonts-dejavu-core
    if os.path.exists(latin):
        with pytest.raises(L.LabelError, match="no Chinese glyphs"):
            L.find_cjk_font(latin)
    not_a_font = tmp_path / "fake.ttf"
    not_a_font.write_bytes(b"not a font at all")
    with pytest.raises(L.LabelError, match="cannot be used"):
        L.find_cjk_font(str(not_a_font))
    monkeypatch.setenv("INSPECT_LABEL_FONT", f"{font.path}#{font.index}")
    assert L.find_cjk_font() == font
