"""Round trips: export, read back with each format's own library, get the same data back."""

from __future__ import annotations

import json
import os
import re
from xml.etree import ElementTree as ET

import numpy as np
import pytest

from qa.exports import ExportFilters
from qa.exports.base import parse_label_string
from qa.exports.build import export_write, read_manifest
from qa.exports.records import iter_records

from .exports_data import RATE, build_calls, turn_frequency

pytestmark = pytest.mark.django_db


def export(project, tmp_path, formats, **kwargs):
    out = tmp_path / "out"
    out.mkdir()
    summary = export_write(project=project, formats=formats, out_dir=out, agreement_bootstrap=-1, **kwargs)
    manifest = read_manifest(out / "manifest.json")
    assert {k: v for k, v in manifest.items() if k != "files"} == summary
    assert summary["file_count"] == len(manifest["files"])
    assert summary["bytes"] == sum(f["bytes"] for f in manifest["files"])
    records = list(iter_records(project, ExportFilters()))
    return out, manifest, records


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[int(np.argmax(spectrum))])


@pytest.mark.parametrize("channels", [1, 2])
def test_audiofolder_loads_with_datasets_and_labels_round_trip(project, make_user, tmp_path, channels, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    built = build_calls(project, make_user, calls=4, turns=3, channels=channels)
    # One turn nobody labelled and one with no intensity: the column types must still agree.
    from annotation.models import TurnAnnotation

    TurnAnnotation.objects.filter(turn=built.turns[0]).update(labels=[])
    # An explicit "no emotion", and emotion shifts on the first call only: the splits without a
    # shift must still give the shift columns the type of the split with one.
    TurnAnnotation.objects.filter(turn=built.turns[2]).update(labels=[], no_emotion=True)
    TurnAnnotation.objects.exclude(turn__call=built.calls[0]).update(shifts=[])
    out, manifest, records = export(project, tmp_path, ["audiofolder"], split_ratios=(0.5, 0.25, 0.25))
    assert any(r["shifts"] for r in records) and not all(r["shifts"] for r in records)
    import datasets

    ds = datasets.load_dataset("audiofolder", data_dir=str(out / "audiofolder"), cache_dir=str(tmp_path / "hf"))
    assert set(ds) <= {"train", "validation", "test"} and sum(len(ds[s]) for s in ds) == len(records) == 12
    by_key = {(r["call"], r["turn"]): r for r in records}
    split_names = {"train": "train", "validation": "dev", "test": "test"}
    seen_shift = seen_no_emotion = False
    for split in ds:
        rows = ds[split].cast_column("audio", datasets.Audio(decode=False))
        for row in rows:
            r = by_key[(row["call"], row["turn"])]
            assert row["split"] == split_names[split]
            assert row["labels"] == r["consensus"]
            assert row["soft_labels"] == r["soft_labels"]
            assert [a["labels"] for a in row["annotations"]] == [a["labels"] for a in r["annotations"]]
            assert row["valence_mean"] == r["valence_mean"] and row["text"] == r["text"]
            # The emotion-shift data and the "no emotion" decisions are in the dataset too.
            assert json.loads(row["shifts"]) == r["shifts"]
            assert [(a["annotator"], a["no_emotion"], json.loads(a["shifts"])) for a in row["annotations"]] == [
                (a["annotator"], a["no_emotion"], a["shifts"]) for a in r["annotations"]
            ]
            assert (row["call_name"], row["code_switch"]) == (r["call_name"], r["code_switch"])
            seen_shift = seen_shift or bool(r["shifts"]) and all(json.loads(a["shifts"]) for a in row["annotations"])
            seen_no_emotion = seen_no_emotion or any(a["no_emotion"] for a in row["annotations"])
    assert seen_shift and seen_no_emotion
    # The audio decodes through datasets' own decoder, and each clip is its turn's tone.
    row = ds["train"][0]
    audio = row["audio"]
    samples = audio.get_all_samples() if hasattr(audio, "get_all_samples") else None
    if samples is not None:
        array, rate = samples.data.numpy()[0], samples.sample_rate
    else:
        array, rate = np.asarray(audio["array"]), audio["sampling_rate"]
    assert rate == RATE and abs(len(array) / rate - (row["end"] - row["start"])) < 0.01
    call_index = [c.pk for c in built.calls].index(row["call"])
    assert abs(dominant_hz(array) - turn_frequency(call_index, row["turn"])) < 2.0
    # A customer turn of a dual-channel call holds the customer's channel only.
    if channels == 2:
        import soundfile as sf

        path = next((out / "audiofolder").rglob(f"call{built.calls[0].pk:06d}_turn00001.wav"))
        clip, _ = sf.read(path)
        assert clip.ndim == 1 and abs(dominant_hz(clip) - turn_frequency(0, 1)) < 2.0
    listed = {f["path"] for f in manifest["files"]}
    assert sum(1 for p in listed if p.endswith(".wav")) == 12
    assert sum(1 for p in listed if p.endswith("metadata.jsonl")) == len(ds)


def test_textgrid_round_trips_through_praatio(project, make_user, tmp_path):
    from praatio import textgrid

    build_calls(project, make_user, calls=2, turns=4)
    out, _, records = export(project, tmp_path, ["textgrid"])
    call = records[0]["call"]
    tg = textgrid.openTextgrid(str(out / f"textgrid/call{call:06d}.TextGrid"), includeEmptyIntervals=False)
    mine = [r for r in records if r["call"] == call]
    annotators = sorted({a["annotator"] for r in mine for a in r["annotations"]})
    expected_tiers = {
        f"{s}|{kind}"
        for s in ("SPEAKER_00", "SPEAKER_01")
        for kind in ["turns", "transcript", "consensus", *annotators]
    }
    assert set(tg.tierNames) == expected_tiers
    for r in mine:

        def at(tier, r=r):
            entries = [e for e in tg.getTier(f"{r['speaker']}|{tier}").entries if e.start == r["start"]]
            assert len(entries) == 1 and entries[0].end == r["end"]
            return entries[0].label

        assert at("turns") == r["speaker_role"]
        assert at("transcript") == r["text"]  # quotes, ampersands and angle brackets survive
        assert parse_label_string(at("consensus")) == r["consensus"]
        for a in r["annotations"]:
            assert parse_label_string(at(a["annotator"])) == a["labels"]


def test_eaf_round_trips_through_pympi(project, make_user, tmp_path):
    from pympi.Elan import Eaf

    build_calls(project, make_user, calls=1, turns=4)
    out, _, records = export(project, tmp_path, ["eaf"])
    eaf = Eaf(str(out / f"eaf/call{records[0]['call']:06d}.eaf"))
    assert "default" not in eaf.get_tier_names()
    for r in records:
        start_ms, end_ms = round(r["start"] * 1000), round(r["end"] * 1000)
        # Child tiers refer to the speaker's turn (start, end, value, the turn's role).
        transcript = eaf.get_annotation_data_for_tier(f"{r['speaker']}|transcript")
        assert (start_ms, end_ms, r["text"], r["speaker_role"]) in transcript
        consensus = {(s, e): v for s, e, v, _ in eaf.get_annotation_data_for_tier(f"{r['speaker']}|consensus")}
        assert parse_label_string(consensus[(start_ms, end_ms)]) == r["consensus"]
        for a in r["annotations"]:
            tier = f"{r['speaker']}|{a['annotator']}"
            assert eaf.get_parameters_for_tier(tier)["ANNOTATOR"] == a["annotator"]
            values = {(s, e): v for s, e, v, _ in eaf.get_annotation_data_for_tier(tier)}
            assert parse_label_string(values[(start_ms, end_ms)]) == a["labels"]
    assert eaf.get_parameters_for_tier("SPEAKER_01|turns")["PARTICIPANT"] == "SPEAKER_01"


def test_rttm_round_trips_through_pyannote(project, make_user, tmp_path):
    from pyannote.database.util import load_rttm

    build_calls(project, make_user, calls=2, turns=4, channels=2)
    out, _, records = export(project, tmp_path, ["rttm"])
    loaded = load_rttm(str(out / "rttm/turns.rttm"))
    assert set(loaded) == {f"call{c:06d}" for c in {r["call"] for r in records}}
    got = sorted(
        (uri, round(seg.start, 3), round(seg.end, 3), label)
        for uri, annotation in loaded.items()
        for seg, _, label in annotation.itertracks(yield_label=True)
    )
    want = sorted((f"call{r['call']:06d}", r["start"], r["end"], r["speaker"]) for r in records)
    assert got == want


def parse_vtt(text: str) -> list[dict]:
    """A strict reader of the WebVTT we write: header, NOTE blocks, cues with a voice span. Lines
    end at CR, LF or CRLF, as in the WebVTT specification."""
    text = re.sub(r"\r\n|\r", "\n", text)
    blocks = text.split("\n\n")
    assert blocks[0] == "WEBVTT"
    cues, note = [], None
    timing = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})$")

    def seconds(h, m, s, ms):
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    for block in blocks[1:]:
        if not block.strip():
            continue
        lines = block.split("\n")
        if lines[0].startswith("NOTE"):
            note = dict(part.split("=", 1) for part in lines[0][5:].split(" "))
            continue
        match = timing.match(lines[1])
        assert match, lines
        voice = re.match(r"^<v ([^>]+)>(.*)</v>$", lines[2])
        text = voice.group(2).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        g = match.groups()
        cues.append(
            {
                "id": lines[0],
                "start": seconds(*g[:4]),
                "end": seconds(*g[4:]),
                "speaker": voice.group(1),
                "text": text,
                "note": note,
            }
        )
    return cues


def test_webvtt_cues_carry_speaker_text_and_consensus(project, make_user, tmp_path):
    build_calls(project, make_user, calls=1, turns=4)
    out, _, records = export(project, tmp_path, ["webvtt"])
    cues = parse_vtt((out / f"webvtt/call{records[0]['call']:06d}.vtt").read_text())
    assert len(cues) == len(records)
    for cue, r in zip(cues, records, strict=True):
        assert cue["id"] == f"turn-{r['turn']}"
        assert (cue["start"], cue["end"], cue["speaker"], cue["text"]) == (
            r["start"],
            r["end"],
            r["speaker"],
            r["text"],
        )
        assert parse_label_string(cue["note"]["consensus"]) == r["consensus"]
        assert float(cue["note"]["valence"]) == r["valence_mean"]


def test_webvtt_keeps_a_turn_whose_text_or_speaker_holds_line_breaks_in_one_cue(project, make_user, tmp_path):
    """Only LF was replaced: a CR (a TextGrid or Label Studio import's text) ended the cue there,
    and two ended the block, so players showed half the turn and readers lost the rest."""
    from annotation.models import Speaker, Turn

    build_calls(project, make_user, calls=1, turns=2)
    turn = Turn.objects.filter(call__project=project).order_by("order").first()
    Turn.objects.filter(pk=turn.pk).update(text="first\r\rsecond\u2028third --> <b>x</b>")
    Speaker.objects.filter(pk=turn.speaker_id).update(label="Agent\rOne")
    out, _, records = export(project, tmp_path, ["webvtt"])
    cues = parse_vtt((out / f"webvtt/call{records[0]['call']:06d}.vtt").read_text())
    assert len(cues) == len(records)
    first = next(c for c in cues if c["id"] == f"turn-{turn.order}")
    assert first["text"] == "first  second third --> <b>x</b>" and first["speaker"] == "Agent One"


def test_emotionml_is_w3c_shaped_and_round_trips(project, make_user, tmp_path):
    from qa.exports.emotionml import NS, scale_from_unit

    build_calls(project, make_user, calls=1, turns=3)
    out, _, records = export(project, tmp_path, ["emotionml"])
    root = ET.parse(out / f"emotionml/call{records[0]['call']:06d}.emotionml.xml").getroot()
    q = f"{{{NS}}}"
    assert root.tag == f"{q}emotionml" and root.get("version") == "1.0"
    vocab = {v.get("id"): [i.get("name") for i in v] for v in root.findall(f"{q}vocabulary")}
    assert root.get("category-set") == "#labels" and "anger" in vocab["labels"]
    assert vocab["dimensions"] == ["valence", "arousal"]
    emotions = {e.get("id"): e for e in root.findall(f"{q}emotion")}

    def read(e):
        labels = []
        for c in e.findall(f"{q}category"):
            assert c.get("name") in vocab["labels"]
            value = c.get("value")
            labels.append(
                {
                    "label": c.get("name"),
                    "intensity": None if value is None else round(scale_from_unit(float(value), 1, 5)),
                }
            )
        dims = {d.get("name"): float(d.get("value")) for d in e.findall(f"{q}dimension")}
        for value in dims.values():
            assert 0.0 <= value <= 1.0
        return labels, dims

    for r in records:
        stem = f"c{r['call']}-t{r['turn']}"
        labels, dims = read(emotions[f"{stem}-consensus"])
        assert labels == r["consensus"]
        assert scale_from_unit(dims["valence"], -3, 3) == pytest.approx(r["valence_mean"], abs=1e-4)
        ref = emotions[f"{stem}-consensus"].find(f"{q}reference").get("uri")
        assert ref.endswith(f"#t={r['start']:.3f},{r['end']:.3f}")
        for a in r["annotations"]:
            labels, dims = read(emotions[f"{stem}-{a['annotator']}"])
            assert labels == a["labels"]
            assert scale_from_unit(dims["arousal"], 1, 5) == pytest.approx(a["arousal"], abs=1e-4)


def test_label_studio_tasks_round_trip(project, make_user, tmp_path):
    build_calls(project, make_user, calls=2, turns=3)
    out, _, records = export(project, tmp_path, ["labelstudio"])
    tasks = json.loads((out / "labelstudio/tasks.json").read_text())
    assert [t["id"] for t in tasks] == sorted({r["call"] for r in records})
    config = ET.parse(out / "labelstudio/config.xml").getroot()
    assert {c.get("name") for c in config} >= {"audio", "speaker", "transcription", "emotion"}
    for task in tasks:
        mine = {f"t{r['turn']}": r for r in records if r["call"] == task["id"]}
        turns = task["predictions"][0]["result"]
        for result in turns:
            r = mine[result["id"]]
            assert (result["value"]["start"], result["value"]["end"]) == (r["start"], r["end"])
            if result["type"] == "labels":
                assert result["value"]["labels"] == [r["speaker"]]
            else:
                assert result["value"]["text"] == [r["text"]]
        for annotation in task["annotations"]:
            annotator = annotation["completed_by"]["email"].split("@")[0]
            got: dict[str, dict] = {}
            for result in annotation["result"]:
                entry = got.setdefault(result["id"], {})
                if result["type"] == "labels":
                    entry.update({k: None for k in result["value"]["labels"]} | {k: v for k, v in entry.items() if v})
                else:
                    entry[result["from_name"].removeprefix("intensity_")] = result["value"]["number"]
            for rid, r in mine.items():
                given = next(a for a in r["annotations"] if a["annotator"] == annotator)
                assert got.get(rid, {}) == {i["label"]: i["intensity"] for i in given["labels"]}


def test_every_file_is_listed_with_its_hash(project, make_user, tmp_path):
    import hashlib

    build_calls(project, make_user, calls=2, turns=3, channels=2)
    out, manifest, _ = export(project, tmp_path, ["textgrid", "eaf", "rttm", "webvtt", "emotionml", "labelstudio"])
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert on_disk == {f["path"] for f in manifest["files"]}
    for f in manifest["files"]:
        assert hashlib.sha256((out / f["path"]).read_bytes()).hexdigest() == f["sha256"], f["path"]
    assert os.path.getsize(out / "manifest.json") > 0
