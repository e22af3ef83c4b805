"""Print sheets of QR labels (pure rendering: no Flask, no database).

Sheet layouts are data: one TOML file per layout in ``labels/`` at the repository
root (``labels/avery-l7160.toml`` …); a new layout is a new file.  Positions are
numbered from 1, left to right then top to bottom.  All geometry is in millimetres
from the page's top-left corner; a printer offset (x right, y down) shifts everything.

Public API::

    load_layout(name, folder=None) -> Layout        list_layouts(folder=None) -> list[Layout]
    render_sheets(contents, layout, start=1, offset_mm=(0, 0)) -> bytes   # PDF
    render_calibration(layout, offset_mm=(0, 0)) -> bytes                 # PDF
    render_label_png(content, dpi=300, size_mm=(50, 30)) -> bytes
    render_label_svg(content, size_mm=(50, 30)) -> str
    find_cjk_font(setting=None) -> FontSpec         missing_glyphs(text) -> set[str]
"""
from __future__ import annotations

import contextlib
import io
import re
import tomllib
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

from .label_plan import (PT, STYLES, FontSpec, LabelContent, LabelError, LabelPlan,
                         find_cjk_font, metrics_for, missing_glyphs, plan_label)
from .label_render import draw_plan_pdf, draw_plan_pil, plan_to_svg, register_pdf_font

__all__ = ["Layout", "LabelContent", "LabelError", "FontSpec", "load_layout", "list_layouts",
           "render_sheets", "render_calibration", "render_label_png", "render_label_svg",
           "find_cjk_font", "missing_glyphs", "label_plan_for", "LAYOUT_DIR", "PRINTED_DIR",
           "DEFAULT_LAYOUT"]

LAYOUT_DIR = Path(__file__).resolve().parent.parent / "labels"
PRINTED_DIR = LAYOUT_DIR / "printed"  # default output folder (git-ignored)
DEFAULT_LAYOUT = "avery-l7160"  # A4, the paper schools in China buy labels on
EPS = 0.01  # mm of slack when checking that labels fit


@dataclass(frozen=True)
class Layout:
    """Geometry of one label sheet, read from ``labels/<key>.toml``."""
    key: str
    name: str
    page_width_mm: float
    page_height_mm: float
    label_width_mm: float
    label_height_mm: float
    columns: int
    rows: int
    margin_left_mm: float
    margin_top_mm: float
    pitch_x_mm: float
    pitch_y_mm: float
    description: str = ""
    # The name as the labels page shows it in Chinese, when the English one is not a product
    # name that reads the same everywhere (see labels_views.layout_name).
    name_zh_hans: str = ""
    name_zh_hant: str = ""
    corner_radius_mm: float = 0.0
    padding_mm: float = 1.5
    style: str = ""

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def label_style(self) -> str:
        return self.style or auto_style(self.label_height_mm)

    def origin(self, position: int, offset_mm: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float]:
        """Top-left corner (x, y) in mm of 1-based ``position`` on a page."""
        if not 1 <= position <= self.per_page:
            raise LabelError(f"Position {position} is not on a {self.name} sheet (1–{self.per_page}).")
        row, col = divmod(position - 1, self.columns)
        return (self.margin_left_mm + col * self.pitch_x_mm + offset_mm[0],
                self.margin_top_mm + row * self.pitch_y_mm + offset_mm[1])

    def validate(self) -> "Layout":
        """Raise LabelError unless the labels lie on the page without overlapping."""
        def bad(msg):
            raise LabelError(f"Label layout '{self.key}': {msg}")
        if self.columns < 1 or self.rows < 1:
            bad("columns and rows must be at least 1.")
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name.endswith("_mm") and v < 0 or f.name in ("label_width_mm", "label_height_mm",
                                                             "page_width_mm", "page_height_mm") and v <= 0:
                bad(f"{f.name} must be positive.")
        if self.columns > 1 and self.pitch_x_mm + EPS < self.label_width_mm:
            bad("pitch_x_mm is smaller than label_width_mm: labels would overlap.")
        if self.rows > 1 and self.pitch_y_mm + EPS < self.label_height_mm:
            bad("pitch_y_mm is smaller than label_height_mm: labels would overlap.")
        right = self.margin_left_mm + (self.columns - 1) * self.pitch_x_mm + self.label_width_mm
        bottom = self.margin_top_mm + (self.rows - 1) * self.pitch_y_mm + self.label_height_mm
        if right > self.page_width_mm + EPS:
            bad(f"labels reach {right:.2f} mm but the page is {self.page_width_mm} mm wide.")
        if bottom > self.page_height_mm + EPS:
            bad(f"labels reach {bottom:.2f} mm but the page is {self.page_height_mm} mm tall.")
        if 2 * self.padding_mm >= min(self.label_width_mm, self.label_height_mm):
            bad("padding_mm leaves no room on the label.")
        if self.style and self.style not in STYLES:
            bad(f"style must be one of {', '.join(STYLES)}.")
        return self


def auto_style(label_height_mm: float) -> str:
    """Style for a label height when the layout names none."""
    return "compact" if label_height_mm < 30 else "large" if label_height_mm >= 55 else "standard"


_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_INTS = {"columns", "rows"}
_STRS = {"name", "description", "style", "name_zh_hans", "name_zh_hant"}


def _from_toml(key: str, data: dict) -> Layout:
    known = {f.name for f in fields(Layout)} - {"key"}
    unknown = set(data) - known
    if unknown:
        raise LabelError(f"Label layout '{key}': unknown keys {', '.join(sorted(unknown))}.")
    required = {f.name for f in fields(Layout) if f.default is MISSING} - {"key"}
    missing = required - set(data)
    if missing:
        raise LabelError(f"Label layout '{key}': missing keys {', '.join(sorted(missing))}.")
    values = {}
    for k, v in data.items():
        ok = (isinstance(v, str) if k in _STRS else
              isinstance(v, int) and not isinstance(v, bool) if k in _INTS else
              isinstance(v, (int, float)) and not isinstance(v, bool))
        if not ok:
            raise LabelError(f"Label layout '{key}': {k} has the wrong type ({v!r}).")
        values[k] = float(v) if k not in _STRS | _INTS else v
    return Layout(key=key, **values).validate()


def load_layout(name: str, folder: str | Path | None = None) -> Layout:
    """Read and validate layout ``name`` (file stem, e.g. "avery-l7160") from ``folder``
    (default: the repository's ``labels/``).  Raises LabelError if unknown or invalid."""
    folder = Path(folder) if folder else LAYOUT_DIR
    path = folder / f"{name}.toml"
    if not isinstance(name, str) or not _KEY.match(name) or not path.is_file():
        known = ", ".join(p.stem for p in sorted(folder.glob("*.toml"))) or "none"
        raise LabelError(f"Unknown label layout {name!r} (available: {known}).")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LabelError(f"Label layout '{name}' is not valid TOML: {exc}") from exc
    return _from_toml(name, data)


def list_layouts(folder: str | Path | None = None) -> list[Layout]:
    """All layouts in ``folder`` (default ``labels/``), sorted by key."""
    folder = Path(folder) if folder else LAYOUT_DIR
    return [load_layout(p.stem, folder) for p in sorted(folder.glob("*.toml")) if _KEY.match(p.stem)]


def label_plan_for(content: LabelContent, layout: Layout, font: FontSpec | None = None) -> LabelPlan:
    """The drawing plan of one label of ``layout`` (positions relative to the label)."""
    return plan_label(content, layout.label_width_mm, layout.label_height_mm, layout.label_style,
                      layout.padding_mm, metrics_for(font or find_cjk_font()))


@contextlib.contextmanager
def _binary_streams():
    """Write compressed PDF streams as binary, not ASCII85 (reportlab's pure-Python
    ASCII85 encoder is slow and adds 25 % to the size).  Restored afterwards."""
    from reportlab import rl_config
    saved, rl_config.useA85 = rl_config.useA85, 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


def _canvas(buf, w_mm: float, h_mm: float, title: str, font_name: str):
    from reportlab.pdfgen import canvas
    c = canvas.Canvas(buf, pagesize=(w_mm / PT, h_mm / PT), pageCompression=1, invariant=1,
                      initialFontName=font_name)  # no stray Helvetica resource
    c.setTitle(title)
    c.setCreator("Campus Inspect")
    return c


def _outline(c, layout: Layout, x: float, y: float) -> None:
    r = layout.corner_radius_mm / PT
    args = (x / PT, (layout.page_height_mm - y - layout.label_height_mm) / PT,
            layout.label_width_mm / PT, layout.label_height_mm / PT)
    c.roundRect(*args, r, stroke=1, fill=0) if r else c.rect(*args, stroke=1, fill=0)


def render_sheets(contents: list[LabelContent], layout: Layout, start: int = 1,
                  offset_mm: tuple[float, float] = (0.0, 0.0), outlines: bool = False,
                  font: FontSpec | None = None) -> bytes:
    """PDF of ``contents`` on ``layout`` sheets.  The first label goes to 1-based
    position ``start`` (for part-used sheets); later pages start at position 1.
    ``offset_mm`` (x right, y down) shifts everything to correct the printer;
    ``outlines`` draws the die-cut outlines (for plain paper)."""
    contents = list(contents)
    if not contents:
        raise LabelError("There are no labels to print.")
    if not isinstance(start, int) or not 1 <= start <= layout.per_page:
        raise LabelError(f"Start position {start} is past the end of a {layout.name} sheet "
                         f"(positions 1–{layout.per_page}).")
    metrics = metrics_for(font or find_cjk_font())
    font_name = register_pdf_font(metrics)
    buf = io.BytesIO()
    with _binary_streams():
        c = _canvas(buf, layout.page_width_mm, layout.page_height_mm, f"QR labels – {layout.name}",
                    font_name)
        for i, content in enumerate(contents):
            slot = start - 1 + i
            if i and slot % layout.per_page == 0:
                c.showPage()
            x, y = layout.origin(slot % layout.per_page + 1, offset_mm)
            plan = plan_label(content, layout.label_width_mm, layout.label_height_mm,
                              layout.label_style, layout.padding_mm, metrics)
            draw_plan_pdf(c, plan, x, y, layout.page_height_mm, font_name)
            if outlines:
                c.setLineWidth(0.3)
                _outline(c, layout, x, y)
        c.showPage()
        c.save()
    return buf.getvalue()


def render_calibration(layout: Layout, offset_mm: tuple[float, float] = (0.0, 0.0),
                       notes: list[str] | None = None, font: FontSpec | None = None) -> bytes:
    """One-page PDF to measure printer offset: every label outline with its number
    and a crosshair at its centre; across each label's left and top edge a scale
    from -3 to +3 mm (the value where the real die-cut edge falls is the correction
    to add to the offset); mm rulers from the paper's top and left edges."""
    from .label_calibrate import draw_calibration
    metrics = metrics_for(font or find_cjk_font())
    buf = io.BytesIO()
    with _binary_streams():
        font_name = register_pdf_font(metrics)
        c = _canvas(buf, layout.page_width_mm, layout.page_height_mm, f"Calibration – {layout.name}",
                    font_name)
        draw_calibration(c, layout, offset_mm, notes, font_name)
        c.showPage()
        c.save()
    return buf.getvalue()


def _single_plan(content: LabelContent, size_mm, style, padding_mm, font) -> tuple[LabelPlan, object]:
    w, h = (float(v) for v in size_mm)
    metrics = metrics_for(font or find_cjk_font())
    return plan_label(content, w, h, style or auto_style(h), padding_mm, metrics), metrics


def render_label_png(content: LabelContent, dpi: int = 300, size_mm: tuple[float, float] = (50.0, 30.0),
                     style: str | None = None, padding_mm: float = 1.5,
                     font: FontSpec | None = None) -> bytes:
    """One label as a greyscale PNG at ``dpi`` (dpi stored in the file)."""
    if not 72 <= dpi <= 1200:
        raise LabelError(f"dpi {dpi} is out of range (72–1200).")
    plan, metrics = _single_plan(content, size_mm, style, padding_mm, font)
    buf = io.BytesIO()
    draw_plan_pil(plan, dpi, metrics).save(buf, format="PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def render_label_svg(content: LabelContent, size_mm: tuple[float, float] = (50.0, 30.0),
                     style: str | None = None, padding_mm: float = 1.5,
                     font: FontSpec | None = None) -> str:
    """One label as an SVG document sized in mm, text as outlines."""
    plan, metrics = _single_plan(content, size_mm, style, padding_mm, font)
    return plan_to_svg(plan, metrics)
