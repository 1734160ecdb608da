"""Audio intake given files nobody tuned for: each file is either taken whole, at the length it
holds, or refused with its name and the reason, and a refusal stores no row and no file."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.core.exceptions import ValidationError

from annotation.models import Call
from annotation.pipeline.audio import AudioRejected, decode, inspect_upload
from annotation.services import call_upload

SR = 16_000


def tone(seconds: float, rate: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def pcm16(seconds: float) -> bytes:
    return (tone(seconds) * 32767).astype("<i2").tobytes()


def wav_with_data_size(data_size: int, samples: bytes, after: bytes = b"", before: bytes = b"") -> bytes:
    """A mono 16-bit WAV whose data chunk states ``data_size`` whatever follows it (``before``:
    chunks between fmt and data)."""
    fmt = struct.pack("<HHIIHH", 1, 1, SR, SR * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + before + b"data" + struct.pack("<I", data_size)
    body += samples + after
    return b"RIFF" + struct.pack("<I", len(body)) + body


def ffmpeg(src: Path, target: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *args, str(target)], check=True)
    return target


def upload(project, path: Path) -> Call:
    with path.open("rb") as fh:
        return call_upload(project=project, fileobj=fh, filename=path.name, start_pipeline=False).call


def refused_upload(project, path: Path, settings) -> str:
    """The message of an upload refused, after checking nothing was stored."""
    with pytest.raises(ValidationError) as caught, path.open("rb") as fh:
        call_upload(project=project, fileobj=fh, filename=path.name, start_pipeline=False)
    assert not Call.objects.exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    (message,) = caught.value.messages
    assert message.startswith(f"{path.name}: "), message
    return message


@pytest.mark.django_db
def test_a_wav_whose_header_states_less_audio_than_it_holds_is_refused(project, tmp_path, settings):
    """A recorder that stopped updating its header: 2 s stated, 20 s there. The decoder reads
    what the header states, so the call became 2 s long and 18 s of it were gone without a word."""
    path = tmp_path / "stuck-header.wav"
    path.write_bytes(wav_with_data_size(SR * 2 * 2, pcm16(20.0)))
    message = refused_upload(project, path, settings)
    assert "header says 0:00:02 of audio but the file holds about 0:00:20" in message
    with pytest.raises(AudioRejected, match="header is damaged"):
        decode(path, tmp_path / "out.f32")
    assert not (tmp_path / "out.f32").exists()


@pytest.mark.django_db
def test_chunks_after_the_audio_are_not_taken_for_audio(project, tmp_path):
    """Tags written after the data chunk (LIST, id3) are chunks, not lost audio."""
    info = b"INFOINAM" + struct.pack("<I", 6) + b"Call 1"
    tags = b"LIST" + struct.pack("<I", len(info)) + info + b"id3 " + struct.pack("<I", 4000) + b"\0" * 4000
    path = tmp_path / "tagged.wav"
    path.write_bytes(wav_with_data_size(SR * 2 * 3, pcm16(3.0), after=tags))
    assert upload(project, path).original_name == "tagged.wav"
    assert decode(path, tmp_path / "out.f32").duration == pytest.approx(3.0, abs=0.01)


@pytest.mark.django_db
def test_a_wav_streamed_without_a_length_in_its_header_is_taken_whole(project, tmp_path):
    """A recorder streaming a WAV writes data size 0 until it closes the file; the upload check
    refused such a file as "no audio samples (zero length)" while the decode stage read all 20 s."""
    path = tmp_path / "streamed.wav"
    path.write_bytes(wav_with_data_size(0, pcm16(20.0)))
    assert inspect_upload(path)["kind"] == "wav"
    assert upload(project, path).size_bytes == path.stat().st_size
    assert decode(path, tmp_path / "out.f32").duration == pytest.approx(20.0, abs=0.01)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ext", "args"),
    [("flac", ()), ("m4a", ("-movflags", "+faststart")), ("mp3", ())],
    ids=["flac", "m4a", "mp3 with a frame count"],
)
def test_a_compressed_file_cut_short_is_refused_as_truncated(project, tmp_path, settings, ext, args):
    """A partial copy of a file that states its length: 70% of a minute is there. It became a
    42 s call without a word (only a file under half its stated length was refused)."""
    wav = tmp_path / "long.wav"
    sf.write(wav, tone(60.0), SR)
    whole = ffmpeg(wav, tmp_path / f"whole.{ext}", *args)
    cut = tmp_path / f"cut-copy.{ext}"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.7)])
    message = refused_upload(project, cut, settings)
    assert "truncated: its header says 0:01:00 but only 0:00:4" in message
    with pytest.raises(AudioRejected, match="truncated"):
        decode(cut, tmp_path / "out.f32")
    assert decode(whole, tmp_path / "whole.f32").duration == pytest.approx(60.0, abs=0.1)


def test_a_wav_missing_its_last_seconds_is_refused_however_long(tmp_path):
    """A 2-minute WAV with its last 8 s missing (93% there) passed: only a file under 90% of its
    stated length counted as cut."""
    path = tmp_path / "partial.wav"
    path.write_bytes(wav_with_data_size(SR * 2 * 120, pcm16(112.0)))
    with pytest.raises(AudioRejected, match="header says 0:02:00 of audio but only 0:01:52 is there"):
        inspect_upload(path)


def test_an_mp3_whose_length_is_a_guess_is_not_called_truncated(tmp_path):
    """Without a frame count ffprobe guesses an MP3's length from its first frames' bitrate; a
    variable-bitrate file is then longer or shorter than the guess, and is not cut."""
    wav = tmp_path / "speechy.wav"
    rng = np.random.default_rng(3)
    quiet, loud = 0.001 * rng.standard_normal(SR * 20), 0.3 * rng.standard_normal(SR * 20)
    sf.write(wav, np.concatenate([quiet, loud]).astype(np.float32), SR)
    mp3 = ffmpeg(wav, tmp_path / "vbr.mp3", "-c:a", "libmp3lame", "-q:a", "9", "-write_xing", "0")
    assert inspect_upload(mp3)["duration_estimated"] is True
    assert decode(mp3, tmp_path / "out.f32").duration == pytest.approx(40.0, abs=0.2)


@pytest.mark.parametrize(
    ("name", "args", "seconds", "channels"),
    [
        ("u8.wav", ("-c:a", "pcm_u8"), 3.0, 1),
        ("s24.wav", ("-c:a", "pcm_s24le"), 3.0, 1),
        ("f64.wav", ("-c:a", "pcm_f64le"), 3.0, 1),
        ("mulaw 8k.wav", ("-ar", "8000", "-c:a", "pcm_mulaw"), 3.0, 1),
        ("alaw 8k.wav", ("-ar", "8000", "-c:a", "pcm_alaw"), 3.0, 1),
        ("stereo 48k.wav", ("-ar", "48000", "-ac", "2"), 3.0, 2),
        ("tagged.mp3", ("-metadata", "title=Anruf – Kündigung", "-id3v2_version", "3"), 3.0, 1),
        ("opus.ogg", ("-c:a", "libopus"), 3.0, 1),
        ("alac.m4a", ("-c:a", "alac"), 3.0, 1),
    ],
)
def test_formats_nobody_tuned_for_decode_at_their_length(tmp_path, name, args, seconds, channels):
    wav = tmp_path / "src.wav"
    sf.write(wav, tone(seconds), SR)
    path = ffmpeg(wav, tmp_path / name, *args)
    assert inspect_upload(path)["channels"] == channels
    decoded = decode(path, tmp_path / "out.f32")
    assert decoded.channels == channels and decoded.duration == pytest.approx(seconds, abs=0.15)


@pytest.mark.parametrize(
    ("data_size", "seconds", "message"),
    [
        (SR * 2 * 60, 10.0, "truncated: its header says 0:01:00 of audio but only 0:00:10 is there"),
        (SR * 2 * 2, 10.0, "header says 0:00:02 of audio but the file holds about 0:00:10"),
    ],
    ids=["cut short", "header stuck"],
)
def test_a_broadcast_wav_is_checked_however_far_its_data_chunk_is(tmp_path, data_size, seconds, message):
    """bext, iXML and JUNK chunks put the data chunk past the first 64 KB, where the header check
    stopped looking: a minute-long recording cut to 10 s became a 10 s call without a word."""
    junk = b"JUNK" + struct.pack("<I", 100_000) + b"\0" * 100_000
    path = tmp_path / "broadcast.wav"
    path.write_bytes(wav_with_data_size(data_size, pcm16(seconds), before=junk))
    with pytest.raises(AudioRejected, match=message):
        inspect_upload(path)
    whole = tmp_path / "whole.wav"
    whole.write_bytes(wav_with_data_size(SR * 2 * 10, pcm16(10.0), before=junk))
    assert decode(whole, tmp_path / "out.f32").duration == pytest.approx(10.0, abs=0.01)


# --- files as people have them: several tracks, files joined, copies cut short -----------------


@pytest.fixture(scope="module")
def odd_files(tmp_path_factory) -> dict[str, Path]:
    """Made once for the module: each a few seconds of tone, in the shape a user's file has."""
    folder = tmp_path_factory.mktemp("odd")
    wav = folder / "src.wav"
    sf.write(wav, tone(6.0), SR)
    other = folder / "other.wav"
    sf.write(other, tone(6.0, rate=SR) * 0.5, SR)
    files = {"wav": wav}
    files["two tracks"] = folder / "two tracks.m4a"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-i", str(other), "-map", "0:a", "-map", "1:a",
         "-c:a", "aac", str(files["two tracks"])],
        check=True,
    )  # fmt: skip
    whole_ogg = ffmpeg(wav, folder / "whole.ogg", "-c:a", "libopus")
    files["ogg"] = whole_ogg
    files["cut ogg"] = folder / "cut.ogg"
    files["cut ogg"].write_bytes(whole_ogg.read_bytes()[: int(whole_ogg.stat().st_size * 0.6)])
    files["chained ogg"] = folder / "chained.ogg"
    files["chained ogg"].write_bytes(whole_ogg.read_bytes() * 2)
    m4a = ffmpeg(wav, folder / "index-at-end.m4a", "-c:a", "aac")
    files["m4a cut before its index"] = folder / "cut.m4a"
    files["m4a cut before its index"].write_bytes(m4a.read_bytes()[: int(m4a.stat().st_size * 0.7)])
    one = wav_with_data_size(SR * 2 * 3, pcm16(3.0))
    files["joined wavs"] = folder / "joined.wav"
    files["joined wavs"].write_bytes(one + one)
    info = b"INFOISFT" + struct.pack("<I", 14) + b"Lavf60.16.100\0"
    listed = wav_with_data_size(SR * 2 * 3, pcm16(3.0), before=b"LIST" + struct.pack("<I", len(info)) + info)
    files["wav cut inside its header"] = folder / "header-only.wav"
    files["wav cut inside its header"].write_bytes(listed[:40])
    files["webm"] = ffmpeg(wav, folder / "browser recording.webm", "-c:a", "libopus")
    return files


@pytest.mark.django_db
def test_a_file_with_two_audio_tracks_is_refused_not_cut_to_its_first(project, odd_files, settings):
    """An M4A with one track per party: the first track became the call and the second party's
    speech was gone without a word."""
    message = refused_upload(project, odd_files["two tracks"], settings)
    assert "2 audio tracks" in message and "would be lost" in message
    with pytest.raises(AudioRejected, match="2 audio tracks"):
        decode(odd_files["two tracks"], odd_files["wav"].with_name("two.f32"))


@pytest.mark.django_db
def test_wav_files_joined_end_to_end_are_refused_not_cut_to_the_first(project, odd_files, settings):
    """Two WAVs joined byte for byte (``cat a.wav b.wav``): the second one's RIFF header was taken
    for a tag chunk, so the call was the first file alone and its second half was lost."""
    message = refused_upload(project, odd_files["joined wavs"], settings)
    assert "several WAV files joined" in message and "0:00:03" in message


@pytest.mark.django_db
def test_an_ogg_copy_cut_short_is_refused_as_truncated(project, odd_files, settings):
    """Ogg states no length, so a partial copy became a shorter call without a word; its last
    page, cut in the middle, says it was cut."""
    message = refused_upload(project, odd_files["cut ogg"], settings)
    assert "truncated" in message and "ends in the middle of its audio" in message
    with pytest.raises(AudioRejected, match="truncated"):
        decode(odd_files["cut ogg"], odd_files["wav"].with_name("cut-ogg.f32"))
    # A whole file, and two whole files chained (one stream after another), are taken whole.
    assert decode(odd_files["ogg"], odd_files["wav"].with_name("ogg.f32")).duration == pytest.approx(6.0, abs=0.05)
    chained = decode(odd_files["chained ogg"], odd_files["wav"].with_name("chained.f32"))
    assert chained.duration == pytest.approx(12.0, abs=0.1)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("m4a cut before its index", "its index"),
        ("wav cut inside its header", "ends before its audio begins"),
    ],
)
def test_a_file_cut_before_its_audio_or_index_says_so_in_words(odd_files, case, expected):
    """Both were refused as "could not be read as audio (Invalid data found when processing
    input)": the decoder's words, which tell a person neither what is wrong nor what to do."""
    with pytest.raises(AudioRejected) as refused:
        inspect_upload(odd_files[case])
    message = str(refused.value)
    assert expected in message and "upload the complete file" in message.lower(), message
    assert "Invalid data found" not in message


def _messages_of_post(user, url: str, data: dict) -> tuple[int, list[str], object]:
    """(status, the page messages, the response) of one POST by ``user`` in a fresh session, so
    no earlier request's unread messages mix in."""
    from django.contrib.messages import get_messages
    from django.test import Client

    client = Client()
    client.force_login(user)
    response = client.post(url, data)
    return response.status_code, [str(m) for m in get_messages(response.wsgi_request)], response


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("empty.wav", lambda files: b"", "empty.wav: the file is empty (0 bytes)."),
        ("notes.wav", lambda files: b"just notes, not audio\n" * 20, "notes.wav: not a supported audio file"),
        (
            "rec.webm",
            lambda files: files["webm"].read_bytes(),
            "rec.webm: not a supported audio file: this is a WebM/Matroska file",
        ),
    ],
    ids=["empty", "text", "webm"],
)
def test_the_form_the_api_and_bulk_upload_refuse_a_file_in_the_same_words(
    project, pm, odd_files, settings, name, make, expected
):
    """The same bad file got three wordings (the API's empty file not even its name): one
    sentence, from the one check, whichever way it is uploaded; and nothing is stored."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = make(odd_files)
    form_data = {"channel_layout": "agent,customer", "locale": ""}
    _, from_form, _ = _messages_of_post(
        pm, f"/projects/{project.slug}/calls/upload/", {**form_data, "files": SimpleUploadedFile(name, data)}
    )
    status, _, api = _messages_of_post(
        pm, f"/api/projects/{project.slug}/calls/upload/", {"file": SimpleUploadedFile(name, data)}
    )
    _, from_bulk, _ = _messages_of_post(
        pm, f"/projects/{project.slug}/calls/bulk/", {**form_data, "files": SimpleUploadedFile(name, data)}
    )
    assert status == 400
    (from_api,) = api.json()["file"]
    assert from_form == [from_api] and from_bulk == [
        "Nothing was uploaded. Fix these and upload the batch again:",
        from_api,
    ]
    assert from_api.startswith(expected), from_api
    assert not Call.objects.exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
