"""The suggestion reliability report: suggested confidence against the share of the annotators'
(blind, where there are any) consensus that confirms it, overall and per label, with the expected
calibration error (ECE), and the picture a reviewer reads it from."""

from __future__ import annotations

from collections import defaultdict

from annotation.calibration import Judged, active_calibration, judged_suggestions
from annotation.learning import active_model
from annotation.models import Project, SuggestionCalibration
from annotation.pipeline.calibration import expected_calibration_error, reliability_bins

PICTURE = {"size": 220, "margin": 34}


def reliability_picture(bins: list) -> dict:
    """Points (mean confidence, agreement) sized by count, on a unit square with the diagonal."""
    size, margin = PICTURE["size"], PICTURE["margin"]
    total = sum(b.count for b in bins) or 1
    points = []
    for b in bins:
        if not b.count:
            continue
        points.append(
            {
                "cx": round(margin + b.mean_confidence * size, 1),
                "cy": round(margin + (1 - b.agreement) * size, 1),
                "r": round(3 + 9 * (b.count / total) ** 0.5, 1),
                "title": f"{b.low:.1f}-{b.high:.1f}: {b.count} suggested, confirmed {b.agreement:.0%} "
                f"at mean confidence {b.mean_confidence:.0%}",
            }
        )
    return {
        "points": points,
        "path": " ".join(f"{'M' if i == 0 else 'L'}{p['cx']},{p['cy']}" for i, p in enumerate(points)),
        "size": size,
        "width": size + 2 * margin,
        "height": size + 2 * margin,
        "left": margin,
        "top": margin,
        "right": margin + size,
        "bottom": margin + size,
    }


def _figure(items: list[Judged]) -> dict:
    confidences = [i.confidence for i in items]
    confirmed = [i.confirmed for i in items]
    bins = reliability_bins(confidences, confirmed)
    return {
        "count": len(items),
        "ece": expected_calibration_error(confidences, confirmed),
        "raw_ece": expected_calibration_error([i.raw_confidence for i in items], confirmed),
        "confirmed": round(sum(confirmed) / len(items), 3) if items else None,
        "bins": [b.to_dict() for b in bins],
        "picture": reliability_picture(bins),
    }


def calibration_report(project: Project) -> dict:
    items = judged_suggestions(project)
    by_label: dict[str, list[Judged]] = defaultdict(list)
    for item in items:
        by_label[item.label].append(item)
    learned = active_model(project)
    return {
        "judged": len(items),
        "turns": len({i.turn_id for i in items}),
        "blind_share": round(sum(i.blind_consensus for i in items) / len(items), 3) if items else None,
        "overall": _figure(items) if items else None,
        "per_label": [
            {"label": label, **_figure(group)}
            for label, group in sorted(by_label.items(), key=lambda pair: -len(pair[1]))
        ],
        "active_calibration": active_calibration(project),
        "calibrations": list(SuggestionCalibration.objects.filter(project=project).order_by("-version")[:10]),
        "learned_model": learned[0] if learned else None,
    }
