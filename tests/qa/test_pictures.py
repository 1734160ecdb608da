"""The QA pictures' geometry: no label overlaps another, whatever the names and however crowded
the points (generated cases; the browser check on real layout is tests/test_browser_agreement_charts.py)."""

from __future__ import annotations

import random

import pytest

from qa.pictures import Box, alpha_bars, annotator_scatter, drift_lines, text_box, text_width

NAMES = ["a", "annotator-en-gb-1", "WWWWWWWWWW", "山田太郎", "José Müller-Lüdenscheidt", "x" * 40, "mmm_mmm"]


def annotators(rng: random.Random, n: int) -> list[dict]:
    spot = (rng.random(), rng.random() * 5)  # many at one spot: the crowd that used to be drawn as one
    people = []
    for i in range(n):
        alpha, seconds = spot if rng.random() < 0.5 else (rng.uniform(-0.2, 1.0), rng.choice([0.0, rng.random() * 20]))
        people.append(
            {
                "annotator": i,
                "username": f"{rng.choice(NAMES)}-{i}",
                "vs_consensus": {"alpha": alpha},
                "seconds_per_turn": seconds,
                "gold": None,
                "drift_unit": "turns",
                "drift": [{"bucket": b, "from": b, "alpha": rng.random()} for b in range(rng.randint(0, 6))],
            }
        )
    return people


def label_boxes(scatter: dict) -> list[tuple[str, Box]]:
    texts = [
        ("y title", text_box(2, scatter["y_title_y"], scatter["y_title_text"])),
        ("x title", text_box(scatter["left"], scatter["x_title_y"], scatter["x_title_text"])),
    ]
    return texts + [(p["label"], text_box(p["label_x"], p["label_y"], p["label"])) for p in scatter["points"]]


@pytest.mark.parametrize("seed", range(40))
def test_scatter_labels_never_overlap_and_stay_inside_the_picture(seed):
    rng = random.Random(seed)
    scatter = annotator_scatter(annotators(rng, rng.randint(1, 30)))
    frame = Box(0, 0, scatter["width"], scatter["height"])
    boxes = label_boxes(scatter)
    for i, (name, box) in enumerate(boxes):
        assert box.within(frame), (name, box, frame)
        assert not [other for other, b in boxes[i + 1 :] if box.overlaps(b, gap=0)], name
    dots = [Box(p["cx"] - 5, p["cy"] - 5, p["cx"] + 5, p["cy"] + 5) for p in scatter["points"]]
    assert not [name for name, box in boxes if any(box.overlaps(dot, gap=0) for dot in dots)]


@pytest.mark.parametrize("seed", range(20))
def test_drift_legend_names_never_overlap(seed):
    rng = random.Random(seed)
    drift = drift_lines(annotators(rng, rng.randint(1, 30)))
    frame = Box(0, 0, drift["width"], drift["height"])
    boxes = [text_box(drift["left"], drift["x_title_y"], drift["x_title_text"])]
    boxes += [text_box(drift["legend_x"], line["legend_y"], line["label"]) for line in drift["lines"]]
    for i, box in enumerate(boxes):
        assert box.within(frame)
        assert not any(box.overlaps(other, gap=0) for other in boxes[i + 1 :])


def test_the_seconds_axis_never_tops_at_zero():
    """Every turn saved in the same second made the axis "median seconds per turn (top 0.0)"."""
    people = annotators(random.Random(0), 3)
    for person in people:
        person["seconds_per_turn"] = 0.0
    assert annotator_scatter(people)["y_title_text"] == "median seconds per turn (top 1)"
    people[0]["seconds_per_turn"] = 0.001
    assert annotator_scatter(people)["y_top"] == "0.0011"


def test_bar_labels_end_before_the_bars_and_figures_after_the_interval():
    long_key = "customer_frustration_with_billing_disputes"
    bars = alpha_bars({long_key: {"alpha": 0.2, "low": 0.1, "high": 0.9}, "anger": {"alpha": None}})
    assert text_width(long_key, 12) < bars["bar_x"]
    first = bars["rows"][0]
    assert first["text_x"] > first["ci"][1] and first["text_x"] + text_width("0.20", 12) <= bars["width"]
