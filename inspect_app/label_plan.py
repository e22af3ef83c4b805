"""Backend-neutral layout of one QR label: font lookup, QR matrix, text fitting.

Everything here is pure: ``plan_label`` turns a :class:`LabelContent` and a label
size into a :class:`LabelPlan` (positions in millimetres from the label's top-left
corner, y pointing down).  ``label_render`` draws a plan to PDF, PNG or SVG, so the
three outputs always agree.
"""
from __future__ import annotations

import functools
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

PT = 25.4 / 72  # millimetres per PDF point
ELLIPSIS = "…"
# Conservative ink extents of the CJK font, in em: CJK ideographs reach ~0.80 above
# the baseline, accented capitals ~0.88, descenders ~0.24 below.
ASCENT, DESCENT, LEADING = 0.92, 0.25, 1.22  # leading > ink height + bold stroke
BOLD_STROKE = 0.035  # fake-bold outline width, in em (the font has one weight)
QUIET = 4  # quiet-zone width in modules (ISO/IEC 18004 minimum)
FONT_ENV = "INSPECT_LABEL_FONT"
KNOWN_FONTS = (  # TrueType-outline fonts with Simplified + Traditional Chinese
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian/Ubuntu fonts-wqy-microhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",  # Arch
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian fonts-wqy-zenhei
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
PROBE = "巡检報修消防栓"  # must all be present in an acceptable font
INSTALL_HINT = (
    "Install the Debian/Ubuntu package fonts-wqy-microhei "
    "(apt-get install fonts-wqy-microhei), or set INSPECT_LABEL_FONT to a TrueType "
    "font file (.ttf/.ttc with glyf outlines, not CFF .otf) that has Chinese glyphs; "
    "append '#N' to pick face N of a .ttc."
)


class LabelError(ValueError):
    """A label layout, request or font problem, with a message fit for the user."""


@dataclass(frozen=True)
class LabelContent:
    """What one label shows.  Strings arrive already translated.

    ``title``/``place`` may both be empty for a blank label (a fresh, unassigned
    code); it then shows ``write_in`` (e.g. "名称/位置：") above lines to write on.
    """
    url: str
    code_display: str
    title: str = ""
    place: str = ""
    instruction: str = ""
    school: str = ""
    write_in: str = ""

    @property
    def is_blank(self) -> bool:
        return not (self.title.strip() or self.place.strip())


@dataclass(frozen=True)
class FontSpec:
    """A located font file; ``index`` is the face inside a .ttc collection."""
    path: str
    index: int = 0


def _parse_setting(value: str) -> FontSpec:
    path, _, idx = value.partition("#")
    return FontSpec(path, int(idx) if idx.isdigit() else 0)


@functools.lru_cache(maxsize=8)
def _check_font(spec: FontSpec) -> FontSpec:
    from reportlab.pdfbase.ttfonts import TTFont, TTFError
    try:
        face = TTFont("probe", spec.path, subfontIndex=spec.index).face
    except (TTFError, OSError, IndexError, KeyError) as exc:
        raise LabelError(f"Font {spec.path} cannot be used for labels ({exc}). {INSTALL_HINT}")
    missing = [c for c in PROBE if ord(c) not in face.charToGlyph]
    if missing:
        raise LabelError(f"Font {spec.path} has no Chinese glyphs ({''.join(missing)}). {INSTALL_HINT}")
    return spec


def find_cjk_font(setting: str | None = None) -> FontSpec:
    """Locate the CJK font for labels: ``setting``, else env ``INSPECT_LABEL_FONT``,
    else the first known system path that exists.  Raises LabelError with advice."""
    chosen = setting or os.environ.get(FONT_ENV, "").strip()
    if chosen:
        spec = _parse_setting(chosen)
        if not Path(spec.path).is_file():
            raise LabelError(f"Label font {spec.path} (from {FONT_ENV}) does not exist. {INSTALL_HINT}")
        return _check_font(spec)
    for path in KNOWN_FONTS:
        if Path(path).is_file():
            return _check_font(FontSpec(path))
    raise LabelError(f"No Chinese font found for printing labels. {INSTALL_HINT}")


class Metrics:
    """Advance widths of the label font (em units), shared by all three backends."""

    def __init__(self, spec: FontSpec):
        from reportlab.pdfbase.ttfonts import TTFont
        self.spec = spec
        name = f"InspectCJK-{zlib.crc32(spec.path.encode()):08x}-{spec.index}"
        self.ttfont = TTFont(name, spec.path, subfontIndex=spec.index)
        face = self.ttfont.face
        self._w = {c: w / 1000 for c, w in face.charWidths.items()}
        self._default = face.defaultWidth / 1000
        self.cmap = face.charToGlyph

    def width(self, text: str, size: float = 1.0) -> float:
        """Width of ``text`` at ``size`` (same unit as size)."""
        get, d = self._w.get, self._default
        return sum(get(ord(c), d) for c in text) * size

    def missing(self, text: str) -> set[str]:
        """Characters of ``text`` the font cannot draw (would print as tofu)."""
        return {c for c in text if not c.isspace() and ord(c) not in self.cmap}


@functools.lru_cache(maxsize=4)
def metrics_for(spec: FontSpec) -> Metrics:
    return Metrics(spec)


def missing_glyphs(text: str, font: FontSpec | None = None) -> set[str]:
    """Characters in ``text`` that the label font lacks; check names before printing."""
    return metrics_for(font or find_cjk_font()).missing(text)


# ---------------------------------------------------------------- QR code
@functools.lru_cache(maxsize=2048)
def qr_matrix(url: str) -> tuple[bytes, ...]:
    """Module matrix for ``url``: one ``bytes`` per row, 1 = dark, no quiet zone.
    Error correction is the highest level (H, Q, else M) that does not make the
    symbol bigger than at M."""
    if not url:
        raise LabelError("A label needs a URL for its QR code.")
    try:
        import zxingcpp  # C++ encoder, ~0.2 ms per symbol
    except ImportError:
        return _qr_matrix_qrcode(url)
    fmt, best = zxingcpp.BarcodeFormat.QRCode, None
    for level in ("M", "H", "Q"):
        view = memoryview(zxingcpp.create_barcode(url, fmt, ec_level=level).to_image(add_quiet_zones=False))
        if best is None or view.shape[0] == best[0]:
            best = (view.shape[0], view.tobytes())
            if level == "H":
                break
    n, data = best
    data = data.translate(_DARK)
    return tuple(data[r * n:(r + 1) * n] for r in range(n))


_DARK = bytes(1 if b < 128 else 0 for b in range(256))  # grey pixel -> 1 if dark
_RUN = re.compile(b"\x01+")


def _qr_matrix_qrcode(url: str) -> tuple[bytes, ...]:
    """Pure-Python fallback (qrcode package, ~5 ms per symbol), error correction M."""
    import qrcode
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(url)
    qr.make(fit=True)
    return tuple(bytes(1 if v else 0 for v in row) for row in qr.get_matrix())


def qr_rects(matrix) -> list[tuple[int, int, int, int]]:
    """Dark modules as (col, row, width, height) rectangles: runs of dark modules in a
    row are merged, and identical runs in consecutive rows are merged vertically."""
    done, open_ = [], {}
    for r, row in enumerate(matrix):
        runs = {(m.start(), m.end() - m.start()) for m in _RUN.finditer(row)}
        for key in [k for k in open_ if k not in runs]:
            r0 = open_.pop(key)
            done.append((key[0], r0, key[1], r - r0))
        for key in runs:
            open_.setdefault(key, r)
    done += [(s, r0, w, len(matrix) - r0) for (s, w), r0 in open_.items()]
    return done


# ---------------------------------------------------------------- text fitting
@dataclass
class TextRun:
    """One line of text: left x and baseline y in mm, size in points."""
    x: float
    y: float
    size: float
    text: str
    bold: bool = False

    def box(self, metrics: Metrics) -> tuple[float, float, float, float]:
        """Conservative ink box (x0, y0, x1, y1) in mm, y down."""
        s = self.size * PT
        pad = BOLD_STROKE * s / 2 if self.bold else 0
        return (self.x - pad, self.y - ASCENT * s - pad,
                self.x + metrics.width(self.text, s) + pad, self.y + DESCENT * s + pad)


def _tokens(text: str) -> list[str]:
    """Break opportunities: each CJK char alone, Latin words and spaces kept whole."""
    out, word = [], ""
    for ch in text:
        if ch.isspace() or ord(ch) >= 0x2E80:
            if word:
                out.append(word)
                word = ""
            out.append(" " if ch.isspace() else ch)
        else:
            word += ch
    return out + [word] if word else out


def wrap(text: str, width: float, metrics: Metrics) -> list[str]:
    """Greedy line breaking of ``text`` into lines no wider than ``width`` em."""
    lines, line, w = [], "", 0.0
    for tok in _tokens(" ".join(text.split())):
        tw = metrics.width(tok)
        if line and w + tw > width:
            lines.append(line.rstrip())
            line, w = "", 0.0
            if tok == " ":
                continue
        if tw > width:  # a word longer than a line: break it by characters
            for ch in tok:
                cw = metrics.width(ch)
                if line and w + cw > width:
                    lines.append(line)
                    line, w = "", 0.0
                line, w = line + ch, w + cw
        else:
            line, w = line + tok, w + tw
    if line.strip():
        lines.append(line.rstrip())
    return lines


def ellipsize(line: str, width: float, metrics: Metrics) -> str:
    """Cut ``line`` so that it plus an ellipsis fits in ``width`` em."""
    while line and metrics.width(line + ELLIPSIS) > width:
        line = line[:-1].rstrip()
    return line + ELLIPSIS if metrics.width(ELLIPSIS) <= width else ""


def block_height(lines: int, size_pt: float) -> float:
    """Height in mm of ``lines`` lines at ``size_pt``."""
    return 0.0 if lines <= 0 else ((ASCENT + DESCENT) + (lines - 1) * LEADING) * size_pt * PT


def fit_text(text: str, width_mm: float, height_mm: float, max_pt: float, min_pt: float,
             max_lines: int, metrics: Metrics) -> tuple[float, list[str]]:
    """Fit ``text`` into a box: first shrink it on one line from ``max_pt`` down to
    3/4 of that, then allow up to ``max_lines`` lines while shrinking on to
    ``min_pt``; if it still does not fit, keep the lines that fit at ``min_pt``, the
    last one cut with an ellipsis.  Returns (size_pt, lines); lines may be empty."""
    text = " ".join(text.split())
    if not text or width_mm <= 0:
        return min_pt, []
    wrap_from = max(min_pt, max_pt * 0.75)  # shrink on one line down to here, then wrap
    size = max_pt
    while True:
        s_mm = size * PT
        room = 0  # lines that fit the height at this size
        if height_mm >= (ASCENT + DESCENT) * s_mm:
            room = int((height_mm / s_mm - ASCENT - DESCENT) / LEADING + 1e-9) + 1
            room = min(room, max_lines if size <= wrap_from + 1e-9 else 1)
        at_min = size <= min_pt + 1e-9
        if room and (at_min or metrics.width(text, s_mm) <= room * width_mm):
            lines = wrap(text, width_mm / s_mm, metrics)
            if len(lines) <= room:
                return size, lines
            if at_min:
                kept = lines[:room]
                kept[-1] = ellipsize(kept[-1], width_mm / s_mm, metrics)
                return size, [k for k in kept if k]
        elif at_min:
            return size, []
        size = max(min_pt, size - 0.25)


# ---------------------------------------------------------------- whole label
# Per style: QR box at most qr_frac of the inner width; text caps as fractions of
# the text column's height in points (and absolute caps); lines allowed per block.
STYLES = {
    "standard": dict(qr_frac=0.52, code=0.20, title=0.11, place=0.085, school=0.075,
                     instruction=0.08, title_lines=3, place_lines=2, instruction_lines=1),
    "compact": dict(qr_frac=0.45, code=0.21, title=0.125, place=0.095, school=0.085,
                    instruction=0.085, title_lines=2, place_lines=1, instruction_lines=1),
    "large": dict(qr_frac=0.50, code=0.17, title=0.10, place=0.075, school=0.065,
                  instruction=0.07, title_lines=3, place_lines=2, instruction_lines=2),
}
MIN_PT = dict(code=8.0, title=6.0, place=5.0, school=4.5, instruction=5.0)
MAX_PT = dict(code=36.0, title=20.0, place=14.0, school=12.0, instruction=13.0)
WRITE_LINE_MM = 6.0  # spacing of the lines to write on, on blank labels


@dataclass
class LabelPlan:
    """Everything to draw on one label; mm from the label's top-left, y down.
    The QR symbol (without quiet zone) starts at (qr_x, qr_y); ``quiet_box`` is the
    symbol plus its 4-module quiet zone, which nothing else may enter."""
    width: float
    height: float
    padding: float
    matrix: tuple
    qr_x: float
    qr_y: float
    module: float
    texts: list[TextRun] = field(default_factory=list)
    rules: list[tuple[float, float, float, float]] = field(default_factory=list)
    rule_width: float = 0.25

    @property
    def quiet_box(self) -> tuple[float, float, float, float]:
        q, n = QUIET * self.module, len(self.matrix) * self.module
        return (self.qr_x - q, self.qr_y - q, self.qr_x + n + q, self.qr_y + n + q)


def plan_label(content: LabelContent, width_mm: float, height_mm: float,
               style: str = "standard", padding_mm: float = 1.5,
               metrics: Metrics | None = None) -> LabelPlan:
    """Lay out one label: the QR (with full quiet zone) on the left, the text column
    right of it: school on top, then name and place; the code in large type and the
    instruction at the bottom.  Text shrinks to a minimum size, then wraps and is cut
    with an ellipsis, and never leaves the padded label box."""
    if style not in STYLES:
        raise LabelError(f"Unknown label style {style!r}; use one of {', '.join(STYLES)}.")
    st, m = STYLES[style], metrics or metrics_for(find_cjk_font())
    matrix = qr_matrix(content.url)
    iw, ih = width_mm - 2 * padding_mm, height_mm - 2 * padding_mm
    box = min(ih, st["qr_frac"] * iw)
    if box <= 0:
        raise LabelError(f"Label {width_mm}×{height_mm} mm is too small for its padding.")
    module = box / (len(matrix) + 2 * QUIET)
    plan = LabelPlan(width_mm, height_mm, padding_mm, matrix,
                     padding_mm + QUIET * module, padding_mm + (ih - box) / 2 + QUIET * module, module)
    tx, tw, top, bottom = padding_mm + box, iw - box, padding_mm, height_mm - padding_mm
    th_pt = ih / PT
    gap = max(0.4, ih * 0.025)

    def cap(kind):
        return max(MIN_PT[kind], min(MAX_PT[kind], st[kind] * th_pt))

    def height(lines, size, bold=False):
        return block_height(lines, size) + (BOLD_STROKE * size * PT if bold and lines else 0)

    def add(lines, size, y_top, bold=False):
        s = size * PT
        half = BOLD_STROKE * s / 2 if bold else 0  # keep the fake-bold outline inside
        for k, line in enumerate(lines):
            plan.texts.append(TextRun(tx + half, y_top + half + ASCENT * s + k * LEADING * s,
                                      size, line, bold))
        return height(len(lines), size, bold)

    # Bottom group: instruction at the very bottom, the code above it.
    code = " ".join(content.code_display.split())
    code_pt = min(cap("code"), tw / (m.width(code) + BOLD_STROKE) / PT) if code else 0
    i_pt, i_lines = fit_text(content.instruction, tw, ih * 0.25, cap("instruction"),
                             MIN_PT["instruction"], st["instruction_lines"], m)
    y = bottom - block_height(len(i_lines), i_pt)
    add(i_lines, i_pt, y)
    if code:
        y -= height(1, code_pt, bold=True) + (gap if i_lines else 0)
        add([code], code_pt, y, bold=True)
    floor_ = y - gap
    # Top group: school, then title and place (or the write-in lines of a blank label).
    s_pt, s_lines = fit_text(content.school, tw, max(0, floor_ - top), cap("school"),
                             MIN_PT["school"], 1, m)
    y = top + add(s_lines, s_pt, top) + (gap if s_lines else 0)
    room = floor_ - y
    if content.is_blank:
        _write_in(plan, content.write_in, tx, tw, y, room, cap("place"), m)
        return plan
    place_pt = cap("place")
    reserve = block_height(1, place_pt) + gap if content.place.strip() else 0
    bold_room = tw - BOLD_STROKE * cap("title") * PT  # the fake-bold stroke needs width too
    t_pt, t_lines = fit_text(content.title, bold_room, room - reserve, cap("title"),
                             MIN_PT["title"], st["title_lines"], m)
    y += add(t_lines, t_pt, y, bold=True)
    if t_lines:
        y += gap
    p_pt, p_lines = fit_text(content.place, tw, floor_ - y, place_pt, MIN_PT["place"],
                             st["place_lines"], m)
    add(p_lines, p_pt, y)
    return plan


def _write_in(plan: LabelPlan, prompt: str, x: float, w: float, y: float, room: float,
              size_pt: float, m: Metrics) -> None:
    """Blank label: the prompt followed by a line to write on, more lines below."""
    size_pt, lines = fit_text(prompt, w * 0.6, room, size_pt, MIN_PT["place"], 1, m)
    s = size_pt * PT
    first = y + max(ASCENT * s, min(room, WRITE_LINE_MM) * 0.75)
    if first + DESCENT * s > y + room:
        return
    if lines:
        plan.texts.append(TextRun(x, first, size_pt, lines[0]))
    start = x + (m.width(lines[0], s) + 0.8 if lines else 0)
    plan.rules.append((start, first, x + w, first))
    nxt = first + WRITE_LINE_MM
    while nxt + 1.0 <= y + room:
        plan.rules.append((x, nxt, x + w, nxt))
        nxt += WRITE_LINE_MM
