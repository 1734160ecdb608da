"""Geometry for the server-rendered SVG pictures of the QA pages (templates draw, this computes)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

PALETTE = ["#2e90fa", "#f04438", "#12b76a", "#f79009", "#7a5af8", "#ee46bc", "#667085", "#0e9384"]


# Text is laid out here, before any browser measures it, so each label's width is an upper bound:
# per character, the wider of DejaVu Sans and Liberation Sans (Arial's metrics), in em, rounded
# up; DejaVu Sans is among the widest sans-serif faces a page falls back to. Any other character
# takes a full em (East Asian wide characters are one em), a combining mark none.
_EM_WIDTHS = {
    0.3: "'Iijl", 0.35: " ,./:;\\|", 0.4: "()-[]ft", 0.45: "!r", 0.5: '"*J`', 0.55: "csz",
    0.6: "?L_kvxy", 0.65: "$0123456789FTabdeghnopqu{}", 0.7: "ABEKPSVXYZ", 0.75: "CNRU",
    0.8: "&DGHOQ", 0.85: "#+<=>^w~", 0.9: "M", 1.0: "%Wm", 1.05: "@",
}  # fmt: skip
_CHAR_EM = {char: em for em, chars in _EM_WIDTHS.items() for char in chars}
ASCENT, DESCENT = 0.95, 0.25  # of the font size, above and below the baseline (DejaVu: 0.928, 0.236)
FONT = 11  # px, the pictures' labels


def text_width(text: str, size: float) -> float:
    """At most the width ``text`` takes at ``size`` px in a sans-serif face."""
    return size * sum(_CHAR_EM.get(c, 0.0 if unicodedata.combining(c) else 1.0) for c in text)


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box, gap: float = 1.0) -> bool:
        return (
            self.left < other.right + gap
            and other.left < self.right + gap
            and self.top < other.bottom + gap
            and other.top < self.bottom + gap
        )

    def within(self, outer: Box) -> bool:
        return (
            self.left >= outer.left
            and self.top >= outer.top
            and self.right <= outer.right
            and self.bottom <= outer.bottom
        )


def text_box(x: float, baseline: float, text: str, size: float = FONT) -> Box:
    """The room ``text`` drawn at (x, baseline), anchored at its start, takes."""
    return Box(x, baseline - ASCENT * size, x + text_width(text, size), baseline + DESCENT * size)


def _line_step(size: float = FONT) -> float:
    return (ASCENT + DESCENT) * size + 2


def _label_spots(cx: float, cy: float, width: float, radius: float) -> list[tuple[float, float]]:
    """Where a point's label may go (x, baseline), nearest first: right of the point, left, above,
    below, then right and left a line higher or lower at a time."""
    middle = (ASCENT - DESCENT) / 2 * FONT  # a baseline this far below cy centres the text on the point
    right, left = cx + radius + 3, cx - radius - 3 - width
    spots = [
        (right, cy + middle),
        (left, cy + middle),
        (cx - width / 2, cy - radius - 2 - DESCENT * FONT),
        (cx - width / 2, cy + radius + 2 + ASCENT * FONT),
    ]
    for k in range(1, 7):
        for sign in (-1, 1):
            spots += [(right, cy + middle + sign * k * _line_step()), (left, cy + middle + sign * k * _line_step())]
    return spots


def place_point_labels(
    points: list[dict], *, fixed: list[Box], frame: Box, column_x: float, radius: float = 5
) -> tuple[list[dict], Box]:
    """Give each point (``cx``, ``cy``, ``label``) a ``label_x``/``label_y`` where its label
    overlaps no other label, no point and no ``fixed`` text, inside ``frame``. A label with no such
    spot beside its point goes into a column at ``column_x`` (right of the plot), in the order of
    the points' heights, with a ``leader`` line to its point; the frame grows to hold the column.
    Returns the points and the frame."""
    taken = list(fixed) + [Box(p["cx"] - radius, p["cy"] - radius, p["cx"] + radius, p["cy"] + radius) for p in points]
    left_over = []
    for p in points:
        width = text_width(p["label"], FONT)
        for x, baseline in _label_spots(p["cx"], p["cy"], width, radius):
            box = text_box(x, baseline, p["label"])
            if box.within(frame) and not any(box.overlaps(other) for other in taken):
                p.update(label_x=round(x, 1), label_y=round(baseline, 1), leader=None)
                taken.append(box)
                break
        else:
            left_over.append(p)
    baseline = frame.top + ASCENT * FONT
    for p in sorted(left_over, key=lambda p: p["cy"]):
        baseline = max(baseline, p["cy"] + (ASCENT - DESCENT) / 2 * FONT)
        while any(text_box(column_x, baseline, p["label"]).overlaps(other) for other in taken):
            baseline += _line_step() / 2
        box = text_box(column_x, baseline, p["label"])
        taken.append(box)
        middle = round((box.top + box.bottom) / 2, 1)
        p.update(
            label_x=round(column_x, 1),
            label_y=round(baseline, 1),
            leader=(p["cx"] + radius, p["cy"], column_x - 3, middle),
        )
        frame = Box(frame.left, frame.top, max(frame.right, box.right + 2), max(frame.bottom, box.bottom + 2))
        baseline += _line_step()
    return points, frame


def _figure(value: float) -> str:
    """An axis figure with three significant digits: 0.0012, not 0.0."""
    return f"{value:.3g}"


def alpha_bars(per_label: dict, scale: float = 400) -> dict:
    """One bar per label from α = 0, its 95% interval as a line, its α written after both. The label
    column is as wide as the widest label, so no label runs into the bars."""
    size, step = 12, 24
    bar_x = max(130.0, max((text_width(label, size) for label in per_label), default=0.0) + 8)
    rows = []
    for i, (label, figure) in enumerate(per_label.items()):
        alpha = figure["alpha"]
        ci = None
        if figure.get("low") is not None:
            ci = (bar_x + max(0, figure["low"]) * scale, bar_x + max(0, figure["high"]) * scale)
        width = max(0.0, alpha or 0.0) * scale
        end = max(bar_x + width, ci[1] if ci else 0.0)  # the figure after the interval, not over it
        rows.append({"label": label, "alpha": alpha, "width": width, "y": i * step, "ci": ci, "text_x": end + 6})
    value_width = text_width("undefined", size)
    return {
        "rows": rows,
        "bar_x": bar_x,
        "width": round(bar_x + scale + 6 + value_width + 2),
        "height": max(step, step * len(rows)),
    }


def annotator_scatter(per_annotator: list[dict], width: int = 420, height: int = 260) -> dict:
    """x: alpha with the leave-one-out consensus (0..1); y: gold accuracy where there is gold,
    else median seconds per turn (the axis says which). The y axis's title has a row of its own
    above the plot, the x axis's one below it; each annotator's name is placed where it overlaps
    nothing (``place_point_labels``)."""
    use_gold = any(a.get("gold") for a in per_annotator)
    ys = [
        (a["gold"]["exact_match"] if a.get("gold") else None) if use_gold else a.get("seconds_per_turn")
        for a in per_annotator
    ]
    # Every annotator at 0 s per turn (turns saved together): the axis still needs a height.
    top = 1.0 if use_gold else (max([y for y in ys if y is not None] or [0.0]) * 1.1 or 1.0)
    title_row = round(ASCENT * FONT + 2, 1)  # the y axis title's baseline
    plot_top = title_row + DESCENT * FONT + 8
    left, bottom, inner_w = 40, height - 30, width - 60
    inner_h = bottom - plot_top
    points = []
    for a, y in zip(per_annotator, ys, strict=True):
        x = a["vs_consensus"]["alpha"]
        if x is None or y is None:
            continue
        points.append(
            {
                "cx": round(left + max(0.0, min(1.0, x)) * inner_w, 1),
                "cy": round(bottom - (y / top) * inner_h, 1),
                "label": a["username"],
                "x": x,
                "y": y,
            }
        )
    y_title = "gold exact-match accuracy" if use_gold else "median seconds per turn"
    y_title_text = f"{y_title} (top {_figure(top)})"
    x_title_text = "α with leave-one-out consensus (0 → 1)"
    x_title_y = height - 8
    fixed = [text_box(2, title_row, y_title_text), text_box(left, x_title_y, x_title_text)]
    points, frame = place_point_labels(
        points, fixed=fixed, frame=Box(0, 0, max(width, fixed[0].right + 2), height), column_x=left + inner_w + 14
    )
    return {
        "points": points,
        "y_title": y_title,
        "y_title_text": y_title_text,
        "y_title_y": title_row,
        "x_title_text": x_title_text,
        "x_title_y": x_title_y,
        "y_top": _figure(top),
        "width": round(frame.right),
        "height": round(frame.bottom),
        "left": left,
        "bottom": bottom,
        "right": left + inner_w,
        "top": plot_top,
    }


def drift_lines(per_annotator: list[dict], width: int = 420, height: int = 200) -> dict:
    """One polyline per annotator: alpha with the consensus per time bucket. The legend is a
    column right of the plot, one name a line (the picture grows to hold it)."""

    def key(a: dict, d: dict):  # per-N-turn buckets line up by bucket number, weeks by date
        return d.get("bucket", d["from"]) if a.get("drift_unit") == "turns" else d["from"]

    starts = sorted({key(a, d) for a in per_annotator for d in a.get("drift", [])})
    left, bottom, inner_w, inner_h = 40, height - 30, width - 60, height - 50
    right, top = left + inner_w, bottom - inner_h
    position = {s: (i / max(1, len(starts) - 1)) for i, s in enumerate(starts)}
    x_title_text = f"time ({len(starts)} bucket{'' if len(starts) == 1 else 's'}) → α with consensus (0 → 1)"
    x_title_y = height - 8
    taken = [text_box(left, x_title_y, x_title_text)]
    frame = Box(0, 0, max(width, taken[0].right + 2), height)
    swatch_x, legend_x = right + 12, right + 12 + 18
    baseline = top + ASCENT * FONT
    lines = []
    for i, a in enumerate(per_annotator):
        pts = [
            (left + position[key(a, d)] * inner_w, bottom - max(0.0, min(1.0, d["alpha"])) * inner_h)
            for d in a.get("drift", [])
            if d.get("alpha") is not None
        ]
        if not pts:
            continue
        while any(text_box(legend_x, baseline, a["username"]).overlaps(other) for other in taken):
            baseline += _line_step() / 2
        box = text_box(legend_x, baseline, a["username"])
        taken.append(box)
        frame = Box(0, 0, max(frame.right, box.right + 2), max(frame.bottom, box.bottom + 2))
        lines.append(
            {
                "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in pts),
                "dots": [{"cx": round(x, 1), "cy": round(y, 1)} for x, y in pts],
                "color": PALETTE[i % len(PALETTE)],
                "label": a["username"],
                "legend_y": round(baseline, 1),
                "swatch_y": round((box.top + box.bottom) / 2, 1),
            }
        )
        baseline += _line_step()
    return {"lines": lines, "buckets": len(starts), "width": round(frame.right), "height": round(frame.bottom),
            "left": left, "bottom": bottom, "right": right, "top": top, "swatch_x": swatch_x, "legend_x": legend_x,
            "x_title_text": x_title_text, "x_title_y": x_title_y}  # fmt: skip


def turn_prosody_picture(turn, peaks: np.ndarray | None, width: int = 640, height: int = 140) -> dict:
    """Waveform min/max bars (int8 peaks of the turn's window) with the pitch and loudness
    contours drawn over them."""
    mid = height / 2
    bars = []
    if peaks is not None and peaks.size:
        channel = peaks[0]
        step = width / len(channel)
        for b, (low, high) in enumerate(channel):
            y1, y2 = mid - (int(high) / 128) * mid, mid - (int(low) / 128) * mid
            bars.append({"x": round(b * step, 1), "y": round(y1, 1), "h": round(max(1.0, y2 - y1), 1)})
    contour = (turn.prosody or {}).get("contour") or {}

    def line(values, invert: bool = True) -> str:
        given = [v for v in values if v is not None]
        if len(given) < 2:
            return ""
        lo, hi = min(given), max(given)
        span = (hi - lo) or 1.0
        pts = []
        for i, v in enumerate(values):
            if v is not None:
                x = (i + 0.5) / len(values) * width
                pts.append(f"{x:.1f},{(height - 8) - (v - lo) / span * (height - 16):.1f}")
        return " ".join(pts)

    return {
        "width": width,
        "height": height,
        "bars": bars,
        "bar_width": round(max(1.0, width / max(1, len(bars))) - 0.5, 2) if bars else 0,
        "pitch": line(contour.get("pitch_st") or []),
        "loudness": line(contour.get("loudness_db") or []),
    }
