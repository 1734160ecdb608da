"""Geometry for the server-rendered SVG pictures of the QA pages (templates draw, this computes)."""

from __future__ import annotations

import numpy as np

PALETTE = ["#2e90fa", "#f04438", "#12b76a", "#f79009", "#7a5af8", "#ee46bc", "#667085", "#0e9384"]


def alpha_bars(per_label: dict, scale: float = 400) -> list[dict]:
    bars = []
    for i, (label, figure) in enumerate(per_label.items()):
        alpha = figure["alpha"]
        ci = None
        if figure.get("low") is not None:
            ci = (130 + max(0, figure["low"]) * scale, 130 + max(0, figure["high"]) * scale)
        width = max(0.0, alpha or 0.0) * scale
        bars.append({"label": label, "alpha": alpha, "width": width, "y": i * 24, "ci": ci, "text_x": 136 + width})
    return bars


def annotator_scatter(per_annotator: list[dict], width: int = 420, height: int = 260) -> dict:
    """x: alpha with the leave-one-out consensus (0..1); y: gold accuracy where there is gold,
    else median seconds per turn (the axis says which)."""
    use_gold = any(a.get("gold") for a in per_annotator)
    ys = [
        (a["gold"]["exact_match"] if a.get("gold") else None) if use_gold else a.get("seconds_per_turn")
        for a in per_annotator
    ]
    top = 1.0 if use_gold else max([y for y in ys if y is not None] or [1.0]) * 1.1
    left, bottom, inner_w, inner_h = 40, height - 30, width - 60, height - 50
    points = []
    for a, y in zip(per_annotator, ys, strict=True):
        x = a["vs_consensus"]["alpha"]
        if x is None or y is None:
            continue
        points.append(
            {
                "cx": round(left + max(0.0, min(1.0, x)) * inner_w, 1),
                "cy": round(bottom - (y / top if top else 0) * inner_h, 1),
                "label": a["username"],
                "x": x,
                "y": y,
            }
        )
    return {
        "points": points,
        "y_title": "gold exact-match accuracy" if use_gold else "median seconds per turn",
        "y_top": round(top, 2),
        "width": width,
        "height": height,
        "left": left,
        "bottom": bottom,
        "right": left + inner_w,
        "top": bottom - inner_h,
    }


def drift_lines(per_annotator: list[dict], width: int = 420, height: int = 200) -> dict:
    """One polyline per annotator: alpha with the consensus per time bucket."""

    def key(a: dict, d: dict):  # per-N-turn buckets line up by bucket number, weeks by date
        return d.get("bucket", d["from"]) if a.get("drift_unit") == "turns" else d["from"]

    starts = sorted({key(a, d) for a in per_annotator for d in a.get("drift", [])})
    left, bottom, inner_w, inner_h = 40, height - 30, width - 60, height - 50
    position = {s: (i / max(1, len(starts) - 1)) for i, s in enumerate(starts)}
    lines = []
    for i, a in enumerate(per_annotator):
        pts = [
            (left + position[key(a, d)] * inner_w, bottom - max(0.0, min(1.0, d["alpha"])) * inner_h)
            for d in a.get("drift", [])
            if d.get("alpha") is not None
        ]
        if pts:
            lines.append(
                {
                    "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in pts),
                    "dots": [{"cx": round(x, 1), "cy": round(y, 1)} for x, y in pts],
                    "color": PALETTE[i % len(PALETTE)],
                    "label": a["username"],
                }
            )
    return {"lines": lines, "buckets": len(starts), "width": width, "height": height, "left": left,
            "bottom": bottom, "right": left + inner_w, "top": bottom - inner_h}  # fmt: skip


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
