"""Two builds of one snapshot give the same bytes (the manifest's built_at aside), and the audio
that EAF, EmotionML and Label Studio point at is either shipped or said where to get."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from qa.exports.build import export_write, read_manifest
from qa.exports.snapshot import snapshot_build, snapshot_create, snapshot_dir
from qa.models import ExportSnapshot

from .exports_data import build_calls

pytestmark = pytest.mark.django_db
EVERY_FORMAT = ["jsonl", "csv", "textgrid", "eaf", "rttm", "webvtt", "emotionml", "labelstudio", "audio"]


def test_two_builds_of_a_snapshot_are_byte_identical_but_for_built_at(project, make_user, tmp_path):
    built = build_calls(project, make_user, calls=2, turns=3, channels=2)
    snapshot = snapshot_create(project=project, created_by=None, formats=EVERY_FORMAT, send=False)
    asked = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    ExportSnapshot.objects.filter(pk=snapshot.pk).update(created_at=asked)
    snapshot = snapshot_build(snapshot_id=snapshot.pk)
    assert snapshot.status == ExportSnapshot.Status.READY, snapshot.error
    first = snapshot_dir(snapshot)
    eaf = (first / f"eaf/call{built.calls[0].pk:06d}.eaf").read_text()
    assert 'DATE="2026-03-04T05:06:07+00:00"' in eaf  # the snapshot's time, not the build's
    again = tmp_path / "again"
    again.mkdir()
    export_write(
        project=project,
        formats=snapshot.formats,
        out_dir=again,
        snapshot_id=snapshot.pk,
        created_at=snapshot.created_at,
    )
    one, two = read_manifest(first / "manifest.json"), read_manifest(again / "manifest.json")
    one.pop("built_at"), two.pop("built_at")  # the one field allowed to differ
    assert one == two
    for f in one["files"]:
        assert (first / f["path"]).read_bytes() == (again / f["path"]).read_bytes(), f["path"]


def resolves(base: Path, reference: str) -> Path:
    return (base / urlsplit(reference).path).resolve()


def test_audio_option_ships_the_wav_every_format_points_at(project, make_user, tmp_path):
    import soundfile as sf

    built = build_calls(project, make_user, calls=1, turns=3, channels=2)
    call = built.calls[0]
    export_write(
        project=project, formats=["eaf", "emotionml", "labelstudio", "audio"], out_dir=tmp_path, agreement_bootstrap=-1
    )
    wav = tmp_path / f"audio/call{call.pk:06d}.wav"
    info = sf.info(str(wav))
    assert info.channels == 2 and info.samplerate == 16_000 and abs(info.duration - call.duration) < 0.001
    from lxml import etree

    media = etree.parse(str(tmp_path / f"eaf/call{call.pk:06d}.eaf")).find("HEADER/MEDIA_DESCRIPTOR")
    assert resolves(tmp_path / "eaf", media.get("RELATIVE_MEDIA_URL")) == wav.resolve()
    emo = etree.parse(str(tmp_path / f"emotionml/call{call.pk:06d}.emotionml.xml"))
    uris = {r.get("uri") for r in emo.iter("{http://www.w3.org/2009/10/emotionml}reference")}
    assert uris and all(resolves(tmp_path / "emotionml", u) == wav.resolve() for u in uris)
    (task,) = json.loads((tmp_path / "labelstudio/tasks.json").read_text())
    assert resolves(tmp_path / "labelstudio", task["data"]["audio"]) == wav.resolve()
    card = json.loads((tmp_path / "datacard.json").read_text())
    assert card["audio"]["shipped"] is True


def test_without_the_audio_option_the_data_card_says_where_the_audio_is(project, make_user, tmp_path):
    build_calls(project, make_user, calls=1, turns=2)
    manifest = export_write(project=project, formats=["eaf", "jsonl"], out_dir=tmp_path, agreement_bootstrap=-1)
    assert not (tmp_path / "audio").exists()
    assert manifest["audio"]["shipped"] is False and manifest["audio"]["referenced_by"] == ["eaf"]
    card = (tmp_path / "datacard.md").read_text()
    assert "holds no call audio" in card and "/calls/NNNNNN/audio" in card and "'audio' format" in card


def test_audio_option_refuses_a_call_without_decoded_audio(project, make_user, tmp_path):
    from qa.exports import ExportError

    build_calls(project, make_user, calls=1, turns=2, audio=False)
    with pytest.raises(ExportError, match="has no decoded audio; re-run its decode stage"):
        export_write(project=project, formats=["audio"], out_dir=tmp_path, agreement_bootstrap=-1)
