"""Calibration page for a label layout (drawn on a reportlab canvas).

Printed on a real label sheet, it shows how far the printer is off: across each
label's left and top die-cut edge runs a scale from -3 to +3 mm; the value at which
the real edge falls is the correction to add to the printer offset (x right, y down).
Rulers measured from the paper's top and left edges, label outlines and centre
crosshairs help on plain paper held against a sheet.
"""
from __future__ import annotations

from .label_plan import PT, fit_text, metrics_for, find_cjk_font, ASCENT, LEADING

SCALE_MM = 3  # edge scales run from -SCALE_MM to +SCALE_MM
RULER_MM = 9.0  # distance of the page rulers' base line from the paper edge


def default_notes(layout, offset_mm) -> list[str]:
    ox, oy = offset_mm
    return [
        f"{layout.name} 校准页：请按实际大小（100%，不缩放）打印在标签纸上。"
        f"当前偏移 X {ox:+.1f} mm，Y {oy:+.1f} mm。",
        "每个标签的左边缘和上边缘处有 −3 至 +3 mm 刻度：标签实际切口边缘对准的刻度值，"
        "加到当前偏移上即为新的偏移（向右、向下为正）。",
        "页边标尺从纸张边缘起算（毫米）；十字线应位于每个标签正中。",
    ]


def draw_calibration(c, layout, offset_mm, notes, font_name: str) -> None:
    """Draw the calibration page for ``layout`` on canvas ``c`` (one page)."""
    ox, oy = offset_mm
    W, H = layout.page_width_mm, layout.page_height_mm

    def P(x, y):
        return (x + ox) / PT, (H - y - oy) / PT

    def line(x0, y0, x1, y1):
        c.line(*P(x0, y0), *P(x1, y1))

    def text(x, y, s, size, align="left"):
        c.setFont(font_name, size)
        draw = {"left": c.drawString, "centre": c.drawCentredString, "right": c.drawRightString}[align]
        draw(*P(x, y), s)

    c.setLineWidth(0.25)
    # Page rulers: ticks every mm, from the paper edge (0) inwards.
    # Page rulers, ticks every mm: x measured from the left paper edge (along the
    # top), y from the top paper edge (down the right side, clear of the edge scales).
    rx = W - RULER_MM
    line(0, RULER_MM, W, RULER_MM)
    line(rx, 0, rx, H)
    for mm in range(int(W) + 1):
        t = 3.0 if mm % 10 == 0 else 2.0 if mm % 5 == 0 else 1.0
        line(mm, RULER_MM, mm, RULER_MM - t)
        if mm % 10 == 0 and 0 < mm < rx - 3:
            text(mm + 0.5, RULER_MM - 1.3, str(mm), 5)
    for mm in range(int(H) + 1):
        t = 3.0 if mm % 10 == 0 else 2.0 if mm % 5 == 0 else 1.0
        line(rx, mm, rx + t, mm)
        if mm % 10 == 0 and mm > RULER_MM + 3:
            text(rx + 1.3, mm + 1.8, str(mm), 5)
    # Every label position: outline, number, centre crosshair, edge scales.
    lw, lh, r = layout.label_width_mm, layout.label_height_mm, layout.corner_radius_mm
    for pos in range(1, layout.per_page + 1):
        x, y = layout.origin(pos)
        c.setLineWidth(0.35)
        bx, by = P(x, y + lh)
        c.roundRect(bx, by, lw / PT, lh / PT, r / PT, stroke=1, fill=0)
        c.setLineWidth(0.2)
        cx, cy = x + lw / 2, y + lh / 2
        line(cx - 4, cy, cx + 4, cy)
        line(cx, cy - 4, cx, cy + 4)
        c.circle(*P(cx, cy), 1 / PT, stroke=1, fill=0)
        text(cx, cy + 7.5, str(pos), 7, "centre")
        _edge_scale(line, text, x, cy, horizontal=True)
        _edge_scale(line, text, x + lw * 0.30, y, horizontal=False)
    # Notes in the bottom margin, when there is room.
    notes = default_notes(layout, offset_mm) if notes is None else notes
    top = layout.margin_top_mm + (layout.rows - 1) * layout.pitch_y_mm + lh + 1.5
    bottom = H - 4.5  # most printers cannot print the last ~4 mm
    left, width = 8.0, W - 8.0 - RULER_MM - 6
    m = metrics_for(find_cjk_font())
    size, lines = fit_text(" ".join(notes), width, bottom - top, 6.5, 4.5, 5, m)
    s = size * PT
    for k, ln in enumerate(lines):
        text(left, top + ASCENT * s + k * LEADING * s, ln, size)


def _edge_scale(line, text, x, y, horizontal: bool) -> None:
    """Ticks every 0.5 mm from -3 to +3 mm across an edge at (x, y); numbers at
    -2, 0 and +2.  ``horizontal``: the scale runs along x across a left edge."""
    for k in range(-2 * SCALE_MM, 2 * SCALE_MM + 1):
        d, t = k / 2, (1.6 if k % 2 == 0 else 0.8) * (1.6 if k == 0 else 1)
        if horizontal:
            line(x + d, y, x + d, y + t)
        else:
            line(x, y + d, x + t, y + d)
    if horizontal:
        line(x - SCALE_MM, y, x + SCALE_MM, y)
    else:
        line(x, y - SCALE_MM, x, y + SCALE_MM)
    for v in (-2, 0, 2):
        label = f"{v:+d}" if v else "0"
        if horizontal:
            text(x + v, y - 0.5, label, 5, "centre")
        else:
            text(x + 2.9, y + v + 0.6, label, 5)
