"""Time-aligned speech formats: Praat TextGrid, ELAN EAF, RTTM and WebVTT.

TextGrid and EAF get one set of tiers per speaker, because two speakers' turns may overlap (a
dual-channel call) and an interval tier may not: ``<speaker>|turns`` (the role),
``<speaker>|transcript``, ``<speaker>|consensus`` and ``<speaker>|<annotator>`` for each
annotator, with labels written as ``anger:3,frustration`` (label:intensity) and a judgement
with no label as ``(none)``. Within one speaker a turn that starts before the previous one ended
is clipped to start at that end.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

from pympi.Elan import Eaf, to_eaf

from annotation.turn_files import rttm_escape

from .base import NO_LABELS, FormatWriter, PerCallWriter, audio_reference, call_stem, end_time, label_string
from .records import CallInfo

TIER_SEP = "|"


def speaker_tiers(records: list[dict]) -> dict[str, list[tuple[float, float, str]]]:
    """Tier name -> [(start, end, text)] non-overlapping, in time order."""
    annotators = sorted({a["annotator"] for r in records for a in r["annotations"]})
    tiers: dict[str, list[tuple[float, float, str]]] = {}
    by_speaker: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_speaker[r["speaker"]].append(r)
    for speaker in sorted(by_speaker):
        names = ["turns", "transcript", "consensus", *annotators]
        rows = {name: [] for name in names}
        previous_end = 0.0
        for r in sorted(by_speaker[speaker], key=lambda r: (r["start"], r["turn"])):
            start, end = max(r["start"], previous_end), r["end"]
            if end <= start:
                continue
            previous_end = end
            given = {a["annotator"]: a for a in r["annotations"]}
            # The turns tier's text is never empty (an empty interval is "no turn"); nor is a
            # judgement with no label, which is written as NO_LABELS.
            rows["turns"].append((start, end, r["speaker_role"] or "unknown"))
            rows["transcript"].append((start, end, r["text"]))
            rows["consensus"].append((start, end, label_string(r["consensus"], empty=NO_LABELS)))
            for annotator in annotators:
                if annotator in given:
                    rows[annotator].append((start, end, label_string(given[annotator]["labels"], empty=NO_LABELS)))
        for name in names:
            tiers[f"{speaker}{TIER_SEP}{name}"] = rows[name]
    return tiers


def _num(x: float) -> str:
    return format(x, ".3f").rstrip("0").rstrip(".") if x else "0"


def _millis_up(x: float) -> float:
    """The time rounded up to the millisecond the writers use, so the grid still covers it and
    a closing interval never rounds to zero length."""
    return math.ceil(round(x * 1000, 6)) / 1000


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class TextGridWriter(PerCallWriter):
    name = "textgrid"
    title = "Praat TextGrid per call"

    def write_call(self, call: CallInfo, records: list[dict]) -> None:
        xmax = _millis_up(end_time(call, records))
        tiers = speaker_tiers(records)
        out = [
            'File type = "ooTextFile"',
            'Object class = "TextGrid"',
            "",
            "xmin = 0",
            f"xmax = {_num(xmax)}",
            "tiers? <exists>",
            f"size = {len(tiers)}",
            "item []:",
        ]
        for k, (tier, intervals) in enumerate(tiers.items(), start=1):
            filled: list[tuple[float, float, str]] = []
            cursor = 0.0
            for start, end, text in intervals:
                if start > cursor:
                    filled.append((cursor, start, ""))
                filled.append((start, end, text))
                cursor = end
            if cursor < xmax or not filled:
                filled.append((cursor, xmax, ""))
            out += [
                f"    item [{k}]:",
                '        class = "IntervalTier"',
                f"        name = {_quote(tier)}",
                "        xmin = 0",
                f"        xmax = {_num(xmax)}",
                f"        intervals: size = {len(filled)}",
            ]
            for i, (start, end, text) in enumerate(filled, start=1):
                out += [
                    f"        intervals [{i}]:",
                    f"            xmin = {_num(start)}",
                    f"            xmax = {_num(end)}",
                    f"            text = {_quote(text)}",
                ]
        self.ctx.write_text(f"{self.name}/{call_stem(call.id)}.TextGrid", "\n".join(out) + "\n")


class EafWriter(PerCallWriter):
    """ELAN's tier hierarchy: each speaker's ``<speaker>|turns`` tier (linguistic type ``turn``,
    time-alignable, text the speaker's role) is the parent of the speaker's transcript, consensus
    and per-annotator tiers, whose annotations refer to a turn (Symbolic_Association: one
    value per turn, no times of their own). DATE is the snapshot's time, so the same snapshot
    gives the same bytes."""

    name = "eaf"
    title = "ELAN EAF per call"
    TYPES = {"turns": "turn", "transcript": "transcript"}  # every other child: "labels"

    def write_call(self, call: CallInfo, records: list[dict]) -> None:
        eaf = Eaf(author="Annotera")
        eaf.adocument["DATE"] = self.ctx.created_at.isoformat(timespec="seconds")
        audio = audio_reference(call.id)
        eaf.add_linked_file(audio, relpath=audio, mimetype="audio/x-wav")
        eaf.add_linguistic_type("turn", timealignable=True)
        for child in ("transcript", "labels"):
            eaf.add_linguistic_type(child, constraints="Symbolic_Association", timealignable=False)
        tiers = speaker_tiers(records)
        for tier, intervals in tiers.items():
            speaker, _, kind = tier.partition(TIER_SEP)
            parent = None if kind == "turns" else f"{speaker}{TIER_SEP}turns"
            eaf.add_tier(
                tier,
                ling=self.TYPES.get(kind, "labels"),
                parent=parent,
                part=speaker,
                ann=kind if kind.startswith("annotator-") else None,
            )
            for start, end, text in intervals:
                first, last = int(round(start * 1000)), int(round(end * 1000))
                if last <= first:
                    continue
                if parent is None:
                    eaf.add_annotation(tier, first, last, text)
                else:  # the parent's turn with these times was added first (tiers come turns-first)
                    eaf.add_ref_annotation(tier, parent, (first + last) // 2, text)
        eaf.remove_tier("default")
        eaf.remove_linguistic_type("default-lt")
        relative = f"{self.name}/{call_stem(call.id)}.eaf"
        to_eaf(str(self.ctx.path(relative)), eaf, pretty=True)
        self.ctx.register(relative)


class RttmWriter(FormatWriter):
    name = "rttm"
    title = "RTTM speaker turns (all calls, one file)"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.out = ctx.open_stream("rttm/turns.rttm")

    def write(self, record: dict) -> None:
        duration = record["end"] - record["start"]
        if duration <= 0:
            return
        speaker = rttm_escape(record["speaker"])
        self.out.write(
            f"SPEAKER {call_stem(record['call'])} 1 {record['start']:.3f} {duration:.3f} <NA> <NA> {speaker} <NA> <NA>\n"
        )

    def close(self) -> None:
        self.out.close()


def vtt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


# Line ends to a WebVTT reader (CR, LF; players following Unicode also break on these): inside a
# cue's text one ends the cue, and two end the block, so the rest of the turn was lost or misread.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")


def vtt_escape(text: str) -> str:
    """One line of cue text: line breaks become spaces, and markup characters entities."""
    text = _LINE_BREAKS.sub(" ", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("-->", "--&gt;")


class WebVttWriter(PerCallWriter):
    """Cues per turn with a voice span for the speaker; consensus labels and valence/arousal in a
    NOTE block before each cue (comments to players, data to readers)."""

    name = "webvtt"
    title = "WebVTT per call"

    def write_call(self, call: CallInfo, records: list[dict]) -> None:
        out = ["WEBVTT", ""]
        for r in sorted(records, key=lambda r: (r["start"], r["turn"])):
            note = f"NOTE consensus={label_string(r['consensus'])} source={r['consensus_source']}"
            if r["valence_mean"] is not None:
                note += f" valence={r['valence_mean']}"
            if r["arousal_mean"] is not None:
                note += f" arousal={r['arousal_mean']}"
            out += [note, ""]
            out += [
                f"turn-{r['turn']}",
                f"{vtt_time(r['start'])} --> {vtt_time(r['end'])}",
                f"<v {vtt_escape(r['speaker'])}>{vtt_escape(r['text'])}</v>",
                "",
            ]
        self.ctx.write_text(f"{self.name}/{call_stem(call.id)}.vtt", "\n".join(out))
