"""Decode and validate: every kind of bad input is refused with a sentence a person understands."""

from __future__ import annotations

import struct
import subprocess

import numpy as np
import pytest
import soundfile as sf

from annotation.pipeline.audio import AudioLimits, AudioRejected, decode, sniff_format

SR = 16000


def tone(seconds: float, channels: int = 1, freq: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    wave = 0.3 * np.sin(2 * np.pi * freq * t).astype(np.float32)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


def write(path, data, subtype="PCM_16", rate=SR):
    sf.write(path, data, rate, subtype=subtype)
    return path


def wav_header(n_channels: int, rate: int, data_bytes: int) -> bytes:
    block = n_channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, n_channels, rate, rate * block, block, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def test_good_stereo_wav_decodes_to_16k_float_per_channel(tmp_path):
    src = write(tmp_path / "call.wav", tone(1.0, channels=2), rate=8000)  # 16k samples at 8 kHz: 2 s
    out = decode(src, tmp_path / "out.f32")
    assert out.channels == 2 and out.source_sample_rate == 8000
    assert out.duration == pytest.approx(2.0, abs=0.01)
    samples = out.load()
    assert samples.shape == (2, out.frames) and samples.dtype == np.float32


def test_compressed_formats_are_accepted(tmp_path):
    src = write(tmp_path / "call.wav", tone(1.5))
    for ext in ("flac", "mp3", "ogg", "m4a"):
        target = tmp_path / f"call.{ext}"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), str(target)], check=True)
        assert decode(target, tmp_path / f"{ext}.f32").duration == pytest.approx(1.5, abs=0.1)


BAD_INPUTS = {
    "zero bytes": (lambda p: p.write_bytes(b""), "empty"),
    "text renamed to .wav": (
        lambda p: p.write_text("this is not audio, just text\n" * 10),
        "not a supported audio file",
    ),
    "zip archive renamed": (lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 200), "not a supported audio file"),
    "wav header, no samples": (lambda p: p.write_bytes(wav_header(1, SR, 0)), "no audio samples"),
    "truncated wav": (
        lambda p: p.write_bytes(wav_header(1, SR, SR * 2 * 20) + b"\x01\x02" * 4000),
        "truncated",
    ),
    "header claims 10 hours": (
        lambda p: p.write_bytes(wav_header(1, SR, SR * 2 * 36000) + b"\x01\x02" * 4000),
        "truncated",
    ),
    "garbage after RIFF/WAVE": (lambda p: p.write_bytes(b"RIFF\x00\x10\x00\x00WAVEjunk" + b"\xff" * 512), "could not"),
    "all silence": (lambda p: write(p, np.zeros(SR * 3, dtype=np.float32)), "silent"),
    "64 channels": (lambda p: write(p, np.tile(tone(0.5)[:, None], (1, 64))), "64 channels"),
    "NaN samples": (lambda p: write(p, np.where(np.arange(SR) % 100 == 0, np.nan, tone(1.0)), "FLOAT"), "NaN"),
    "too short": (lambda p: write(p, tone(0.1)), "too short"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_rejected_clearly_and_leaves_nothing(tmp_path, case):
    make, expected = BAD_INPUTS[case]
    src = tmp_path / "input.wav"
    make(src)
    out = tmp_path / "out.f32"
    with pytest.raises(AudioRejected) as err:
        decode(src, out)
    assert expected.lower() in str(err.value).lower()
    assert not out.exists() and not out.with_suffix(".partial").exists()


def test_limits_are_configurable(tmp_path):
    src = write(tmp_path / "long.wav", tone(6.0))
    with pytest.raises(AudioRejected, match="the limit is 0:00:05"):
        decode(src, tmp_path / "o.f32", AudioLimits(max_seconds=5))
    with pytest.raises(AudioRejected, match="MB; the limit is"):
        decode(src, tmp_path / "o.f32", AudioLimits(max_bytes=1024))


def test_sniffing_reads_contents_not_names():
    assert sniff_format(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "wav"
    assert sniff_format(b"RIFF\x00\x00\x00\x00AVI LIST") is None
    assert sniff_format(b"\xff\xfb\x90\x00") == "mp3"
    assert sniff_format(b"\x00\x00\x00\x20ftypM4A ") == "m4a"
    assert sniff_format(b"%PDF-1.7") is None


def test_true_runs_finds_runs_at_both_edges_and_none_in_an_empty_mask():
    from annotation.pipeline.runs import true_runs

    starts, ends = true_runs(np.array([1, 1, 0, 0, 1, 0, 1], dtype=bool))
    assert starts.tolist() == [0, 4, 6] and ends.tolist() == [2, 5, 7]
    starts, ends = true_runs(np.zeros(5, dtype=bool))
    assert starts.size == 0 and ends.size == 0


def test_clipping_is_measured_and_said_on_the_call(tmp_path, project):
    """A file with a third of its samples at full scale went through without a word, and its
    loudness and voice-quality figures were then meaningless."""
    from annotation.jobs import job_enqueue
    from annotation.models import Call
    from annotation.services import call_upload
    from annotation.stages.audio import stage_decode

    loud = write(tmp_path / "loud.wav", 0.95 * tone(2.0) / 0.3)  # loud, never clipped
    clipped = write(tmp_path / "clipped.wav", np.clip(3.0 * tone(2.0) / 0.3, -1.0, 1.0))
    assert decode(loud, tmp_path / "l.f32", AudioLimits()).clipped_share == [0.0]
    assert decode(clipped, tmp_path / "c.f32", AudioLimits()).clipped_share[0] > 0.5
    notes = {}
    for path in (loud, clipped):
        with path.open("rb") as fh:
            call = call_upload(project=project, fileobj=fh, filename=path.name, start_pipeline=False).call
        job = job_enqueue(call=call, stage="decode", send=False)
        notes[path.name] = stage_decode(job, lambda *_: None)().get("note", "")
        assert Call.objects.get(pk=call.pk).duration == pytest.approx(2.0)
    assert notes["loud.wav"] == ""
    assert "of the recording is clipped" in notes["clipped.wav"] and "less reliable" in notes["clipped.wav"]


def test_a_file_just_over_the_size_limit_reads_as_over_it():
    """Both sizes were rounded to whole megabytes: a 500.3 MB file was refused as "500 MB; the
    limit is 500 MB"."""
    from annotation.pipeline.audio import AudioLimits, check_head

    limits = AudioLimits(max_bytes=500 * 2**20)
    with pytest.raises(AudioRejected, match=r"The file is 500\.3 MB; the limit is 500\.0 MB\."):
        check_head(size=int(500.3 * 2**20), head=b"RIFF", limits=limits)
    with pytest.raises(AudioRejected, match=r"The file is 524,288,001 bytes; the limit is 524,288,000 bytes\."):
        check_head(size=500 * 2**20 + 1, head=b"RIFF", limits=limits)
    with pytest.raises(AudioRejected, match=r"The file is 612 MB; the limit is 500 MB\."):
        check_head(size=612 * 2**20, head=b"RIFF", limits=limits)
