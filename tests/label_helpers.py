"""Helpers for the label-sheet tests: rasterise PDFs with poppler's pdftoppm, decode
QR codes with zxing-cpp, and read layout files independently of inspect_app."""
from __future__ import annotations

import io
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from inspect_app.labels import LabelContent

LAYOUT_DIR = Path(__file__).resolve().parent.parent / "labels"
LAYOUT_FILES = sorted(LAYOUT_DIR.glob("*.toml"))
LONG_NAME = "北校区启慧楼三楼东侧男卫生间外消防栓旁手提式干粉灭火器"
NAMES = [
    ("启慧楼101教室", "北校区 启慧楼 一楼"),
    (LONG_NAME, "北校区 启慧楼 三楼 东侧走廊 男卫生间外 消防栓旁"),
    ("单杠", "操场 东北角"),
    ("體育館後門", "南校區 體育館"),
    ("食堂煤气管道", "南校区 食堂 后厨"),
    ("", ""),  # a blank label: fresh, unassigned code
]
BASE_URL = "https://xunjian.example-school.edu.cn"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if not path:
        pytest.fail(f"{tool} is required for the label tests: apt-get install {package}")
    return path


def raw_toml(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def expected_origin(geo: dict, position: int, offset=(0.0, 0.0)) -> tuple[float, float]:
    """Top-left of a 1-based position, straight from the layout file's numbers."""
    row, col = divmod(position - 1, geo["columns"])
    return (geo["margin_left_mm"] + col * geo["pitch_x_mm"] + offset[0],
            geo["margin_top_mm"] + row * geo["pitch_y_mm"] + offset[1])


def code_for(i: int) -> str:
    raw = "".join(ALPHABET[(i * 7 + k * 11) % len(ALPHABET)] for k in range(3)) + \
          "".join(ALPHABET[(i * 13 + k * 5 + 3) % len(ALPHABET)] for k in range(4))
    return f"{raw}{i}"


def sample(n: int, first: int = 0) -> list[LabelContent]:
    """``n`` labels with distinct URLs, cycling through Chinese names (one very long,
    one Traditional, one blank)."""
    out = []
    for i in range(first, first + n):
        title, place = NAMES[i % len(NAMES)]
        code = code_for(i)
        out.append(LabelContent(url=f"{BASE_URL}/q/{code}", code_display=f"{code[:3]}-{code[3:]}",
                                title=title, place=place, instruction="扫码巡检 / 报修",
                                school="北京市第一〇一中学（北校区）", write_in="名称/位置："))
    return out


def rasterise(pdf: bytes, dpi: int, tmp_path: Path) -> list[Image.Image]:
    """Every page of ``pdf`` as a greyscale image, via ``pdftoppm -r dpi -png``."""
    need("pdftoppm", "poppler-utils")
    src = tmp_path / f"in{dpi}.pdf"
    src.write_bytes(pdf)
    prefix = tmp_path / f"page{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(src), str(prefix)], check=True)
    pages = sorted(tmp_path.glob(f"page{dpi}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [Image.open(p).convert("L") for p in pages]


@dataclass
class Found:
    text: str
    ec_level: str
    corners: list[tuple[float, float]]  # mm: top-left, top-right, bottom-right, bottom-left

    @property
    def centre(self) -> tuple[float, float]:
        return (sum(x for x, _ in self.corners) / 4, sum(y for _, y in self.corners) / 4)


def decode(img: Image.Image, dpi: float) -> list[Found]:
    """All QR codes in ``img`` with their corner points converted to mm."""
    import zxingcpp
    k = 25.4 / dpi
    found = []
    for r in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode):
        p = r.position
        pts = [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
        found.append(Found(r.text, str(r.ec_level), [(q.x * k, q.y * k) for q in pts]))
    return found


def png_image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("L")


def svg_to_png(svg: str, dpi: int, tmp_path: Path) -> Image.Image:
    """Rasterise SVG with librsvg's rsvg-convert (a real SVG renderer)."""
    need("rsvg-convert", "librsvg2-bin")
    src, out = tmp_path / "label.svg", tmp_path / "label_svg.png"
    src.write_text(svg, encoding="utf-8")
    subprocess.run(["rsvg-convert", "-d", str(dpi), "-p", str(dpi), "-b", "white",
                    "-o", str(out), str(src)], check=True)
    return Image.open(out).convert("L")
