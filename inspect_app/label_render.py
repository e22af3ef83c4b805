"""Draw a :class:`~inspect_app.label_plan.LabelPlan` to a reportlab canvas (PDF), a
Pillow image (PNG) or SVG markup.  Pure functions; no Flask, no database."""
from __future__ import annotations

import functools

from .label_plan import BOLD_STROKE, PT, LabelPlan, Metrics, qr_rects


def _f(v: float) -> str:
    """Compact number for PDF/SVG operators."""
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return s if s not in ("-0", "") else "0"


# ---------------------------------------------------------------- PDF
def register_pdf_font(metrics: Metrics) -> str:
    """Register the label font with reportlab (once) and return its name.  reportlab
    embeds only the glyphs used (subset), once per document."""
    from reportlab.pdfbase import pdfmetrics
    name = metrics.ttfont.fontName
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(metrics.ttfont)
    return name


def draw_plan_pdf(c, plan: LabelPlan, x_mm: float, y_mm: float, page_h_mm: float,
                  font_name: str) -> None:
    """Draw ``plan`` with the label's top-left corner at (x_mm, y_mm) measured from
    the page's top-left.  The QR is vector rectangles in one path, in module units."""
    def X(mm):
        return (x_mm + mm) / PT

    def Y(mm):
        return (page_h_mm - y_mm - mm) / PT

    m = plan.module / PT
    ops = [f"q 0 g {_f(m)} 0 0 {_f(-m)} {_f(X(plan.qr_x))} {_f(Y(plan.qr_y))} cm"]
    ops += [f"{c0} {r0} {w} {h} re" for c0, r0, w, h in qr_rects(plan.matrix)]
    ops.append("f Q")
    c.addLiteral("\n".join(ops))
    for run in plan.texts:
        t = c.beginText(X(run.x), Y(run.y))
        t.setFont(font_name, run.size)
        if run.bold:
            c.setLineWidth(BOLD_STROKE * run.size)
            t.setTextRenderMode(2)  # fill + stroke: fake bold
        t.textOut(run.text)
        t.setTextRenderMode(0)  # Tr outlives the text object in PDF: reset it
        c.drawText(t)
    if plan.rules:
        c.setLineWidth(plan.rule_width / PT)
        for x0, y0, x1, y1 in plan.rules:
            c.line(X(x0), Y(y0), X(x1), Y(y1))


# ---------------------------------------------------------------- PNG
@functools.lru_cache(maxsize=64)
def _pil_font(path: str, index: int, px: float):
    from PIL import ImageFont
    return ImageFont.truetype(path, size=px, index=index)


def draw_plan_pil(plan: LabelPlan, dpi: int, metrics: Metrics):
    """Render ``plan`` to a greyscale Pillow image at ``dpi``.  QR modules are
    snapped to whole pixels (crisp on 203/300 dpi thermal heads)."""
    from PIL import Image, ImageDraw
    k = dpi / 25.4
    img = Image.new("L", (round(plan.width * k), round(plan.height * k)), 255)
    img.info["dpi"] = (dpi, dpi)
    d = ImageDraw.Draw(img)
    n = len(plan.matrix)
    mp = max(1, int(plan.module * k))
    cx, cy = (plan.qr_x + n * plan.module / 2) * k, (plan.qr_y + n * plan.module / 2) * k
    x0, y0 = round(cx - n * mp / 2), round(cy - n * mp / 2)
    for c0, r0, w, h in qr_rects(plan.matrix):
        d.rectangle([x0 + c0 * mp, y0 + r0 * mp, x0 + (c0 + w) * mp - 1, y0 + (r0 + h) * mp - 1], fill=0)
    for run in plan.texts:
        px = run.size * dpi / 72
        font = _pil_font(metrics.spec.path, metrics.spec.index, px)
        stroke = BOLD_STROKE * px / 2 if run.bold else 0
        d.text((run.x * k, run.y * k), run.text, font=font, fill=0, anchor="ls",
               stroke_width=stroke, stroke_fill=0)
    lw = max(1, round(plan.rule_width * k))
    for xa, ya, xb, yb in plan.rules:
        d.line([(xa * k, ya * k), (xb * k, yb * k)], fill=0, width=lw)
    return img


# ---------------------------------------------------------------- SVG
class _Outlines:
    """Glyph outlines as SVG path data (font units, y up), via fontTools."""

    def __init__(self, path: str, index: int):
        try:
            from fontTools.ttLib import TTFont
        except ImportError as exc:  # pragma: no cover - depends on the install
            from .label_plan import LabelError
            raise LabelError("SVG labels need the 'fonttools' package (pip install fonttools).") from exc
        self.font = TTFont(path, fontNumber=index, lazy=True)
        self.glyphs = self.font.getGlyphSet()
        self.cmap = self.font.getBestCmap()
        self.upem = self.font["head"].unitsPerEm
        self.hmtx = self.font["hmtx"]
        self._cache: dict[str, tuple[str, int]] = {}

    def glyph(self, ch: str) -> tuple[str, int]:
        """(path data, advance) for a character; .notdef if missing."""
        if ch not in self._cache:
            from fontTools.pens.svgPathPen import SVGPathPen
            name = self.cmap.get(ord(ch), ".notdef")
            pen = SVGPathPen(self.glyphs)
            self.glyphs[name].draw(pen)
            self._cache[ch] = (pen.getCommands(), self.hmtx[name][0])
        return self._cache[ch]


@functools.lru_cache(maxsize=2)
def _outlines(path: str, index: int) -> _Outlines:
    return _Outlines(path, index)


def plan_to_svg(plan: LabelPlan, metrics: Metrics) -> str:
    """SVG document (mm units) for ``plan``; text is converted to outlines so label
    printer apps need no Chinese font of their own."""
    out = _outlines(metrics.spec.path, metrics.spec.index)
    w, h = _f(plan.width), _f(plan.height)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" '
             f'viewBox="0 0 {w} {h}">',
             f'<rect width="{w}" height="{h}" fill="#fff"/>']
    d = "".join(f"M{c0} {r0}h{cw}v{ch}h-{cw}z" for c0, r0, cw, ch in qr_rects(plan.matrix))
    parts.append(f'<path shape-rendering="crispEdges" fill="#000" transform="translate('
                 f'{_f(plan.qr_x)} {_f(plan.qr_y)}) scale({plan.module:.5f})" d="{d}"/>')
    for run in plan.texts:
        scale = run.size * PT / out.upem
        stroke = (f' stroke="#000" stroke-width="{_f(BOLD_STROKE * out.upem)}" '
                  f'stroke-linejoin="round"' if run.bold else "")
        parts.append(f'<g fill="#000"{stroke} transform="translate({_f(run.x)} {_f(run.y)}) '
                     f'scale({scale:.6f} {-scale:.6f})">')
        adv = 0
        for ch in run.text:
            data, width = out.glyph(ch)
            if data:
                parts.append(f'<path transform="translate({adv} 0)" d="{data}"/>')
            adv += width
        parts.append("</g>")
    for xa, ya, xb, yb in plan.rules:
        parts.append(f'<path d="M{_f(xa)} {_f(ya)}L{_f(xb)} {_f(yb)}" stroke="#000" '
                     f'stroke-width="{_f(plan.rule_width)}"/>')
    parts.append("</svg>")
    return "\n".join(parts)
