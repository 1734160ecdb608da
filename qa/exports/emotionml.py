"""W3C EmotionML 1.0, one document per call.

Each turn gives one ``<emotion>`` for the consensus and one per annotator. Categories come from
a vocabulary of the taxonomy's labels declared in the document; a category's ``value`` is its
intensity scaled to [0, 1] on the taxonomy's intensity scale (absent when no intensity was
given). Valence and arousal are ``<dimension>`` values scaled to [0, 1] on their taxonomy
scales. The turn is the ``<reference>`` (a media fragment of the call audio), and where the
emotion comes from is in ``<info>`` (Annotera's own namespace, as EmotionML allows).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from .base import PerCallWriter, audio_reference, call_stem
from .records import CallInfo

NS = "http://www.w3.org/2009/10/emotionml"
ANNOTERA_NS = "urn:annotera:export"
ET.register_namespace("", NS)
ET.register_namespace("annotera", ANNOTERA_NS)


def scale_to_unit(value: float, low: float, high: float) -> float:
    return round(min(1.0, max(0.0, (value - low) / (high - low))), 6) if high > low else 0.0


def scale_from_unit(value: float, low: float, high: float) -> float:
    return low + value * (high - low)


def _q(tag: str, ns: str = NS) -> str:
    return f"{{{ns}}}{tag}"


class EmotionMlWriter(PerCallWriter):
    name = "emotionml"
    title = "W3C EmotionML per call"

    def _emotion(self, parent, ident: str, labels, valence, arousal, record, source: str, annotator: str = ""):
        scale = self.ctx.scale
        if not labels and valence is None and arousal is None:
            return  # an <emotion> needs at least one category or dimension (EmotionML 1.0, 2.1.2)
        emotion = ET.SubElement(parent, _q("emotion"), {"id": ident, "expressed-through": "voice"})
        # The schema's order: <info>, then the descriptions, then <reference>.
        info = ET.SubElement(emotion, _q("info"))
        attrs = {
            "call": str(record["call"]),
            "turn": str(record["turn"]),
            "speaker": record["speaker"],
            "role": record["speaker_role"],
            "source": source,
        }
        if annotator:
            attrs["annotator"] = annotator
        ET.SubElement(info, _q("turn", ANNOTERA_NS), attrs)
        for item in labels:
            attrs = {"name": item["label"]}
            if item.get("intensity") is not None:
                attrs["value"] = str(scale_to_unit(item["intensity"], *scale.intensity))
            ET.SubElement(emotion, _q("category"), attrs)
        for key, value, bounds in (("valence", valence, scale.valence), ("arousal", arousal, scale.arousal)):
            if value is not None:
                ET.SubElement(emotion, _q("dimension"), {"name": key, "value": str(scale_to_unit(value, *bounds))})
        ET.SubElement(
            emotion,
            _q("reference"),
            {"uri": f"{audio_reference(record['call'])}#t={record['start']:.3f},{record['end']:.3f}"},
        )

    def write_call(self, call: CallInfo, records: list[dict]) -> None:
        root = ET.Element(
            _q("emotionml"),
            {"version": "1.0", "category-set": "#labels", "dimension-set": "#dimensions"},
        )
        labels = ET.SubElement(root, _q("vocabulary"), {"type": "category", "id": "labels"})
        known = list(self.ctx.scale.keys)
        used = {i["label"] for r in records for i in r["consensus"]}
        used |= {i["label"] for r in records for a in r["annotations"] for i in a["labels"]}
        extra = sorted(used - set(known))
        for key in known + extra:
            ET.SubElement(labels, _q("item"), {"name": key})
        dims = ET.SubElement(root, _q("vocabulary"), {"type": "dimension", "id": "dimensions"})
        for key in ("valence", "arousal"):
            ET.SubElement(dims, _q("item"), {"name": key})
        for r in records:
            stem = f"c{r['call']}-t{r['turn']}"
            if r["consensus_source"] != "none":
                self._emotion(
                    root,
                    f"{stem}-consensus",
                    r["consensus"],
                    r["valence_mean"],
                    r["arousal_mean"],
                    r,
                    r["consensus_source"],
                )
            for a in r["annotations"]:
                self._emotion(
                    root,
                    f"{stem}-{a['annotator']}",
                    a["labels"],
                    a["valence"],
                    a["arousal"],
                    r,
                    "annotator",
                    a["annotator"],
                )
        ET.indent(root)
        data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        self.ctx.write_bytes(f"{self.name}/{call_stem(call.id)}.emotionml.xml", data)
