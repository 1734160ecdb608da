"""The data card of a dataset: what is in it, how reliable it is, who labelled it (in aggregate).

Counts are gathered while the records stream past (``DatasetStats``), so the card costs no
second pass. The annotator pool is described only by the locales of their profiles, counted,
with any locale of fewer than ``MIN_CELL`` annotators folded into "other" so no one stands out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from annotation.models import AnnotatorProfile, Project

from ..agreement import ReportFilters, project_report
from .records import LEFT_OUT_REASONS

MIN_CELL = 3
HEADLINES = ("label_presence", "label_sets_masi", "intensity", "valence", "arousal")


@dataclass
class DatasetStats:
    turns: int = 0
    seconds: float = 0.0
    calls: set = field(default_factory=set)
    annotators: set = field(default_factory=set)
    annotations: int = 0
    unsubmitted: int = 0  # annotations of assignments not yet submitted (drafts)
    # Judgements that are none in the snapshot's taxonomy version, by reason (LEFT_OUT_REASONS).
    left_out: Counter = field(default_factory=Counter)
    adjudicated: int = 0
    consensus_labels: Counter = field(default_factory=Counter)
    soft_label_mass: Counter = field(default_factory=Counter)
    sources: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    code_switched: int = 0
    call_locales: Counter = field(default_factory=Counter)
    roles: Counter = field(default_factory=Counter)
    splits: dict = field(default_factory=dict)
    model_versions: Counter = field(default_factory=Counter)
    unassigned_words: int = 0  # words no turn holds (see build.write_unassigned_words)

    def add(self, r: dict) -> None:
        self.turns += 1
        self.seconds += max(0.0, r["end"] - r["start"])
        if r["call"] not in self.calls:
            self.calls.add(r["call"])
            self.call_locales[r["locale"] or "unknown"] += 1
            if r["split"]:
                self.splits.setdefault(r["split"], {"calls": 0, "turns": 0, "seconds": 0.0})["calls"] += 1
        if r["split"]:
            split = self.splits[r["split"]]
            split["turns"] += 1
            split["seconds"] = round(split["seconds"] + max(0.0, r["end"] - r["start"]), 3)
        for a in r["annotations"]:
            self.annotators.add(a["annotator"])
        self.annotations += len(r["annotations"])
        self.unsubmitted += sum(1 for a in r["annotations"] if a.get("submitted") is False)
        for a in r["annotations_left_out"]:
            self.left_out[a["reason"]] += 1
        self.sources[r["consensus_source"]] += 1
        self.adjudicated += r["consensus_source"] == "adjudicated"
        for item in r["consensus"]:
            self.consensus_labels[item["label"]] += 1
        for item in r["soft_labels"]:
            self.soft_label_mass[item["label"]] += item["share"]
        self.languages[r["language"] or "unknown"] += 1
        self.code_switched += bool(r["code_switch"])
        self.roles[r["speaker_role"]] += 1
        for s in r["suggestions"]:
            self.model_versions[s["model_version"]] += 1

    def counts(self) -> dict:
        return {
            "calls": len(self.calls),
            "turns": self.turns,
            "seconds": round(self.seconds, 3),
            "annotations": self.annotations,
            "unsubmitted_annotations": self.unsubmitted,
            "annotations_left_out": {reason: self.left_out[reason] for reason in LEFT_OUT_REASONS},
            "annotators": len(self.annotators),
            "adjudicated_turns": self.adjudicated,
            "unassigned_words": self.unassigned_words,
            "splits": self.splits,
        }


def annotator_pool(annotators: set[str]) -> dict:
    ids = [int(a.rsplit("-", 1)[1]) for a in annotators]
    per_locale: Counter = Counter()
    without_profile = len(ids)
    for locales in AnnotatorProfile.objects.filter(user_id__in=ids).values_list("locales", flat=True):
        without_profile -= 1
        for locale in set(locales or []) or {"unspecified"}:
            per_locale[locale] += 1
    shown = {k: v for k, v in sorted(per_locale.items()) if v >= MIN_CELL}
    folded = sum(v for v in per_locale.values() if v < MIN_CELL)
    if folded:
        shown[f"other (fewer than {MIN_CELL} each)"] = folded
    if without_profile:
        shown["no profile"] = without_profile
    return {"annotators": len(ids), "by_locale": shown, "note": "An annotator may count under several locales."}


def agreement_headlines(project: Project, languages: tuple[str, ...], bootstrap: int) -> dict:
    filters = ReportFilters(language=languages[0]) if len(languages) == 1 else ReportFilters()
    report = project_report(project, filters, bootstrap=bootstrap)
    out = {
        "scope": {"project": project.slug, **filters.as_dict()},
        "turns": report.get("turns"),
        "taxonomy_versions_pooled": report.get("versions", []),
        # Judgements the figures leave out: of versions that do not lead to this one, and those
        # whose labels a taxonomy change all removed.
        "judgements_left_out": {
            "taxonomy_version_not_leading_here": report.get("rows_left_out", 0),
            "labels_removed_by_taxonomy_change": report.get("rows_labels_removed", 0),
        },
    }
    for key in HEADLINES:
        figure = report.get(key) or {}
        out[key] = {k: figure.get(k) for k in ("alpha", "low", "high")}
    return out


def build_datacard(
    *,
    project: Project,
    snapshot_id: int | None,
    stats: DatasetStats,
    filters: dict,
    formats: list[str],
    filtered_out: list[dict] | None = None,
    taxonomy: dict,
    agreement: dict,
    audio: dict | None = None,
) -> dict:
    turns = max(1, stats.turns)
    return {
        "dataset": f"{project.slug}" + (f" snapshot {snapshot_id}" if snapshot_id else ""),
        "project": project.name,
        "taxonomy": taxonomy,
        "filters": filters,
        "filtered_out": filtered_out or [],
        "formats": formats,
        "audio": audio or {},
        "counts": stats.counts(),
        "agreement": agreement,
        "consensus_sources": dict(stats.sources),
        "label_distribution": {
            "consensus": dict(stats.consensus_labels.most_common()),
            "consensus_share_of_turns": {k: round(v / turns, 4) for k, v in stats.consensus_labels.most_common()},
            "soft_label_mass": {k: round(v, 3) for k, v in stats.soft_label_mass.most_common()},
        },
        "languages": {
            "turns_by_language": dict(stats.languages.most_common()),
            "code_switched_turns": stats.code_switched,
            "calls_by_locale": dict(stats.call_locales.most_common()),
        },
        "speaker_roles": dict(stats.roles.most_common()),
        "annotator_pool": annotator_pool(stats.annotators),
        "suggestion_models": dict(stats.model_versions.most_common()),
    }


def _table(rows: dict, head: tuple[str, str]) -> list[str]:
    if not rows:
        return ["(none)", ""]
    return [f"| {head[0]} | {head[1]} |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows.items()], ""]


def filters_text(filters: dict) -> str:
    """``min_alpha 0.0; languages en, hi`` (or ``none``): the filters as a person reads them."""
    shown = [f"{k} {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in filters.items()]
    return "; ".join(shown) or "none"


def _count(n: int, noun: str) -> str:
    """ "1 call", "2 calls"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def datacard_markdown(card: dict) -> str:
    c = card["counts"]
    lines = [
        f"# Data card: {card['dataset']}",
        "",
        f"Project: {card['project']}. Taxonomy: {card['taxonomy'].get('slug')} v{card['taxonomy'].get('version')}.",
        f"Formats: {', '.join(card['formats'])}. Filters: {filters_text(card['filters'])}.",
        "",
        "## Contents",
        "",
        f"{_count(c['calls'], 'call')}, {_count(c['turns'], 'turn')}, {c['seconds'] / 3600:.2f} hours of speech, "
        f"{_count(c['annotations'], 'annotation')} by {_count(c['annotators'], 'annotator')}, "
        f"{_count(c['adjudicated_turns'], 'adjudicated turn')}.",
        "",
    ]
    if c.get("unsubmitted_annotations"):
        lines += [
            f"{_count(c['unsubmitted_annotations'], 'annotation')} of these {'is' if c['unsubmitted_annotations'] == 1 else 'are'} "
            "from calls their annotators have not submitted yet (drafts they may still change; each is marked "
            '"submitted": false). Export with the filter submitted_only to leave them out.',
            "",
        ]
    left_out = {reason: n for reason, n in (c.get("annotations_left_out") or {}).items() if n}
    if left_out:
        total = sum(left_out.values())
        reasons = _because(left_out)
        lines += [
            f"{_count(total, 'annotation')} of these turns {'is' if total == 1 else 'are'} left out of the "
            f"dataset's annotations and consensus, being no judgement in this taxonomy version: {reasons}. Each "
            "is listed, with its labels as saved, in its record's annotations_left_out.",
            "",
        ]
    if card.get("filtered_out"):
        lines += ["## What the filters left out", ""]
        lines += [f"- {effect['sentence']}" for effect in card["filtered_out"]] + [""]
    if c.get("unassigned_words"):
        lines += [
            f"{c['unassigned_words']} transcribed words lie outside every turn (a boundary correction left them in a "
            "gap); they are listed, with speaker and times, in unassigned_words.jsonl.",
            "",
        ]
    if card.get("audio"):
        lines += ["## Audio", "", card["audio"]["note"], ""]
    if c["splits"]:
        lines += ["| split | calls | turns | seconds |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['calls']} | {v['turns']} | {v['seconds']} |" for k, v in sorted(c["splits"].items())]
        lines += ["", "No call and no known speaker appears in two splits.", ""]
    agreement = card["agreement"]
    lines += ["## Agreement (Krippendorff's alpha, 95% interval)", ""]
    if agreement:
        scope = ", ".join(f"{k} {v}" for k, v in (agreement.get("scope") or {}).items())
        lines += [
            f"Scope: {scope} ({agreement.get('turns')} turns with annotations). These are the figures of that "
            "whole scope, every annotation in it (drafts of calls not yet submitted included), not of this "
            "dataset's filtered subset.",
            "",
        ]
        skipped = {reason: n for reason, n in (agreement.get("judgements_left_out") or {}).items() if n}
        if skipped:
            lines += [f"Judgements of that scope left out of the figures: {_because(skipped)}.", ""]
        lines += ["| judgement | alpha | low | high |", "|---|---|---|---|"]
        lines += [
            f"| {k} | {agreement[k]['alpha']} | {agreement[k]['low']} | {agreement[k]['high']} |"
            for k in HEADLINES
            if k in agreement
        ]
        lines.append("")
    else:
        lines += ["Not computed.", ""]
    lines += ["## Consensus label distribution", ""]
    lines += _table(card["label_distribution"]["consensus"], ("label", "turns"))
    lines += ["## Consensus sources", ""] + _table(card["consensus_sources"], ("source", "turns"))
    lines += ["## Languages", ""] + _table(card["languages"]["turns_by_language"], ("language", "turns"))
    lines += [f"Code-switched turns: {card['languages']['code_switched_turns']}.", ""]
    lines += ["## Locales", ""] + _table(card["languages"]["calls_by_locale"], ("call locale", "calls"))
    pool = card["annotator_pool"]
    lines += [f"## Annotator pool ({_count(pool['annotators'], 'annotator')}, aggregated; no personal data)", ""]
    lines += _table(pool["by_locale"], ("locale", "annotators")) + [pool["note"], ""]
    return "\n".join(lines)


def _because(counts: dict[str, int]) -> str:
    """Counts per LEFT_OUT_REASONS key, in words: "3 because …; 1 because …"."""
    return "; ".join(f"{n} because {LEFT_OUT_REASONS[reason]}" for reason, n in counts.items())
