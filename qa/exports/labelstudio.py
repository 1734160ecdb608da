"""Label Studio JSON: one task per call, importable into a Label Studio audio project.

The machine turns are a prediction (``speaker`` region labels plus a ``transcription`` per
region, sharing the region id); each annotator is an annotation with ``emotion`` region labels
and one ``intensity_<label>`` number per chosen label; the consensus is a second prediction.
``labelstudio/config.xml`` is the matching labelling interface.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import quoteattr

from .base import PerCallWriter, audio_reference
from .records import CallInfo


def _region(rid: str, r: dict, from_name: str, kind: str, value: dict) -> dict:
    return {
        "id": rid,
        "from_name": from_name,
        "to_name": "audio",
        "type": kind,
        "origin": "manual",
        "value": {"start": r["start"], "end": r["end"], **value},
    }


def emotion_results(rid: str, r: dict, labels: list[dict]) -> list[dict]:
    out = [_region(rid, r, "emotion", "labels", {"labels": [i["label"] for i in labels]})] if labels else []
    for item in labels:
        if item.get("intensity") is not None:
            out.append(_region(rid, r, f"intensity_{item['label']}", "number", {"number": item["intensity"]}))
    return out


class LabelStudioWriter(PerCallWriter):
    name = "labelstudio"
    title = "Label Studio JSON tasks"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.out = ctx.open_stream("labelstudio/tasks.json")
        self.out.write("[\n")
        self.first = True

    def write_call(self, call: CallInfo, records: list[dict]) -> None:
        turns, consensus = [], []
        per_annotator: dict[str, list[dict]] = {}
        for r in records:
            rid = f"t{r['turn']}"
            turns.append(_region(rid, r, "speaker", "labels", {"labels": [r["speaker"]]}))
            turns.append(_region(rid, r, "transcription", "textarea", {"text": [r["text"]]}))
            consensus += emotion_results(rid, r, r["consensus"])
            for a in r["annotations"]:
                per_annotator.setdefault(a["annotator"], []).extend(emotion_results(rid, r, a["labels"]))
        task = {
            "id": call.id,
            "data": {"audio": audio_reference(call.id), "call": call.id, "name": call.name, "locale": call.locale},
            "meta": {"speaker_roles": {r["speaker"]: r["speaker_role"] for r in records}},
            "predictions": [
                {"model_version": "annotera-turns", "result": turns},
                {"model_version": "annotera-consensus", "result": consensus},
            ],
            "annotations": [
                {"completed_by": {"email": f"{name}@annotera.invalid"}, "result": result}
                for name, result in sorted(per_annotator.items())
            ],
        }
        self.out.write(("" if self.first else ",\n") + json.dumps(task, ensure_ascii=False))
        self.first = False

    def finish(self) -> None:
        self.out.write("\n]\n")
        self.out.close()
        keys = self.ctx.scale.keys
        low, high = self.ctx.scale.intensity
        speakers = sorted({s for c in self.ctx.calls.values() for s in c.speaker_channels})
        lines = [
            "<View>",
            '  <AudioPlus name="audio" value="$audio"/>',
            '  <Labels name="speaker" toName="audio">',
            *[f"    <Label value={quoteattr(s)}/>" for s in speakers],
            "  </Labels>",
            '  <TextArea name="transcription" toName="audio" perRegion="true"/>',
            '  <Labels name="emotion" toName="audio" choice="multiple">',
            *[f"    <Label value={quoteattr(k)}/>" for k in keys],
            "  </Labels>",
            *[
                f'  <Number name={quoteattr("intensity_" + k)} toName="audio" perRegion="true" '
                f'min="{int(low)}" max="{int(high)}"/>'
                for k in keys
            ],
            "</View>",
        ]
        self.ctx.write_text("labelstudio/config.xml", "\n".join(lines) + "\n")
