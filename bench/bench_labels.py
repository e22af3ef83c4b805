"""Benchmark: render 1,000 QR labels on Avery L7160 sheets and print time and size.

Run from the repository root:  .venv/bin/python bench/bench_labels.py [count] [layout]
Target (from the requirement): 1,000 labels in <= 5 s and <= 10 MB of PDF.
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspect_app.labels import LabelContent, load_layout, render_sheets  # noqa: E402

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PLACES = ["北校区 启慧楼 三楼 东侧", "南校区 食堂 后厨", "田径场 东北角", "行政楼 地下一层 配电间",
          "體育館 一樓", "教学楼A座 二楼 走廊"]
THINGS = ["手提式干粉灭火器", "消防栓", "单杠", "足球门", "电扇", "教室门窗", "煤气管道", "应急照明灯"]


def make_contents(n: int, seed: int = 1) -> list[LabelContent]:
    """``n`` realistic, all-different labels (about 1 in 10 blank)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        raw = "".join(rnd.choice(ALPHABET) for _ in range(7))
        blank = i % 10 == 9
        out.append(LabelContent(
            url=f"https://xunjian.example-school.edu.cn/q/{raw}",
            code_display=f"{raw[:3]}-{raw[3:]}",
            title="" if blank else f"{rnd.choice(THINGS)} {i + 1:03d}号",
            place="" if blank else rnd.choice(PLACES),
            instruction="扫码巡检 / 报修", school="北京市第一〇一中学", write_in="名称/位置："))
    return out


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    layout = load_layout(sys.argv[2] if len(sys.argv) > 2 else "avery-l7160")
    contents = make_contents(count)
    render_sheets(contents[:1], layout)  # warm-up: font loading, registration
    t0 = time.perf_counter()
    pdf = render_sheets(contents, layout)
    elapsed = time.perf_counter() - t0
    pages = -(-count // layout.per_page)
    print(f"layout: {layout.name}")
    print(f"labels: {count} on {pages} pages")
    print(f"time:   {elapsed:.2f} s ({elapsed / count * 1000:.2f} ms/label)")
    print(f"size:   {len(pdf) / 1e6:.2f} MB ({len(pdf) / count / 1000:.1f} kB/label)")


if __name__ == "__main__":
    main()
