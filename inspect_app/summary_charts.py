"""Geometry of the small trend charts the server draws as inline SVG (no chart library).

Only numbers come out of here; templates/summary/_trend.html draws them with SVG
presentation attributes (the CSP forbids style attributes). Values are also written as
text on the chart and in a table, so nothing depends on colour."""
import math

WIDTH, HEIGHT = 340, 170
LEFT, RIGHT, TOP, BOTTOM = 30, 6, 20, 34


def _slots(n):
    slot = (WIDTH - LEFT - RIGHT) / max(n, 1)
    return slot, [LEFT + slot * i + slot / 2 for i in range(n)]


def _short_week(key):
    return "W" + key.split("-W")[-1]


def rate_bars(trend):
    """Completion rate bars (0-100%) of the trend weeks."""
    slot, centres = _slots(len(trend))
    plot = HEIGHT - TOP - BOTTOM
    bars = []
    for i, (week, x) in enumerate(zip(trend, centres)):
        rate = week["completion_rate"]
        h = round(plot * rate, 1) if rate is not None else 0
        bars.append({"x": round(x - slot * 0.32, 1), "w": round(slot * 0.64, 1),
                     "y": round(TOP + plot - h, 1), "h": h, "cx": round(x, 1),
                     "label": f"{round(rate * 100)}%" if rate is not None else "–",
                     "week": _short_week(week["week"]), "last": i == len(trend) - 1})
    grid = [{"y": round(TOP + plot * (1 - f), 1), "label": f"{round(f * 100)}%"}
            for f in (0, 0.5, 1)]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "base": TOP + plot, "bars": bars, "grid": grid}


def open_line(trend):
    """Open repairs at each trend week's end, as a line with labelled points."""
    slot, centres = _slots(len(trend))
    plot = HEIGHT - TOP - BOTTOM
    values = [w["open_repairs"] for w in trend]
    top = _nice(max(values + [1]))
    points = [{"x": round(x, 1), "y": round(TOP + plot * (1 - v / top), 1), "label": str(v),
               "week": _short_week(w["week"])} for w, x, v in zip(trend, centres, values)]
    grid = [{"y": round(TOP + plot * (1 - f), 1), "label": str(round(top * f))}
            for f in (0, 0.5, 1)]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "base": TOP + plot, "points": points, "grid": grid,
            "path": " ".join(f"{p['x']},{p['y']}" for p in points)}


def _nice(value):
    """The next 'round' number at or above value: 1, 2, 4, 5, 10, 20, 40, 50, 100 ..."""
    power = 10 ** max(0, int(math.log10(value)))
    for step in (1, 2, 4, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power
