"""Decode and validate call audio: anything ffmpeg reads, to 16 kHz float32 per channel.

Every rejection raises :class:`AudioRejected` with a sentence a project manager can act on.
Decoding writes a raw float32 file (frames x channels) that later stages memory-map, so a long
call never has to sit in memory more than once.
"""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

SAMPLE_RATE = 16_000
CLIP_LEVEL = 0.99  # a sample this close to full scale is counted as clipped (resampling rounds the flat tops)
CLIPPED_NOTE_SHARE = 0.001  # above this share of clipped samples the call page warns

# Magic bytes of the containers we accept. Anything else is refused before a decoder sees it.
_MAGIC = (
    (b"RIFF", 0, "wav"),
    (b"RF64", 0, "wav"),
    (b"fLaC", 0, "flac"),
    (b"OggS", 0, "ogg"),
    (b"ID3", 0, "mp3"),
    (b"ftyp", 4, "m4a"),
)


class AudioRejected(ValueError):
    """The file is not usable call audio; the message says why in plain words."""


@dataclass(frozen=True)
class AudioLimits:
    max_bytes: int = 500 * 1024 * 1024
    max_seconds: float = 4 * 3600.0
    max_channels: int = 2
    min_seconds: float = 0.5
    silence_dbfs: float = -60.0


@dataclass(frozen=True)
class DecodedAudio:
    path: Path  # raw little-endian float32, interleaved frames x channels
    channels: int
    frames: int
    source_format: str
    source_codec: str
    source_sample_rate: int
    peak_dbfs: list[float]  # per channel
    sample_rate: int = SAMPLE_RATE
    source_channels: int = 0  # the file's channels when they differ from ``channels`` (one mix kept once)
    clipped_share: list[float] = field(default_factory=list)  # per channel: samples at full scale

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate

    def load(self) -> np.ndarray:
        """The samples as a (channels, frames) float32 view, memory-mapped."""
        return load_pcm(self.path, self.channels)


def keep_one_channel(decoded: DecodedAudio, channel: int, block_seconds: float = 60.0) -> DecodedAudio:
    """A stereo file that is a mono call (``channels.mono_source`` says which channel holds it) as
    the mono call it is: that channel is kept, not an average (a channel copied with inverted
    polarity, or a few samples late, would cancel or colour the sound), and its PCM replaces the
    stereo PCM."""
    samples = decoded.load()
    block = int(block_seconds * decoded.sample_rate)
    tmp = decoded.path.with_suffix(".mono.partial")
    try:
        with tmp.open("wb") as fh:
            for start in range(0, decoded.frames, block):
                np.ascontiguousarray(samples[channel, start : start + block], dtype="<f4").tofile(fh)
        del samples
        os.replace(tmp, decoded.path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return DecodedAudio(
        path=decoded.path,
        channels=1,
        frames=decoded.frames,
        source_format=decoded.source_format,
        source_codec=decoded.source_codec,
        source_sample_rate=decoded.source_sample_rate,
        peak_dbfs=[decoded.peak_dbfs[channel]],
        clipped_share=decoded.clipped_share[channel : channel + 1],
        sample_rate=decoded.sample_rate,
        source_channels=decoded.channels,
    )


def load_pcm(path: Path | str, channels: int) -> np.ndarray:
    data = np.memmap(path, dtype="<f4", mode="r")
    return data.reshape(-1, channels).T


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


ACCEPTED = "WAV, FLAC, MP3, M4A and OGG"
HEAD_BYTES = 64  # what ``check_head`` reads: enough to tell the containers apart
DAMAGED_ADVICE = (
    "The file may be damaged: check that it plays on your computer, then upload it again or export the "
    "recording afresh."
)

# Containers people have calls in that uploads do not take, named in the refusal so a person
# knows what they have and what to convert it to (a browser's recorder makes WebM).
_OTHER_CONTAINERS = (
    (b"\x1a\x45\xdf\xa3", 0, "a WebM/Matroska"),
    (b"#!AMR", 0, "an AMR"),
    (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", 0, "a WMA (ASF)"),
    (b"caff", 0, "a CAF"),
    (b".snd", 0, "an AU"),
)


def other_container(head: bytes) -> str | None:
    """The name (with its article) of a container uploads do not accept, when ``head`` is one
    people record calls in (None for anything else)."""
    name = _magic_match(head, _OTHER_CONTAINERS)
    if name is not None:
        return name
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "an AIFF"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "an AVI video"
    # ADTS (a raw AAC stream): MPEG sync with layer bits 00, which no MP3 has.
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0:
        return "an AAC (ADTS)"
    return None


def _megabytes_over(size: int, limit: int) -> str:
    """The size and the limit ("X MB; the limit is Y MB") with as many decimals as it takes for X to
    read as more than Y (rounded alike, 500.3 MB over a 500 MB limit read "500 MB; the limit is
    500 MB")."""
    for decimals in range(4):
        shown, cap = f"{size / 2**20:.{decimals}f}", f"{limit / 2**20:.{decimals}f}"
        if float(shown) > float(cap):
            break
    else:
        shown, cap = f"{size:,} bytes", f"{limit:,} bytes"
        return f"{shown}; the limit is {cap}"
    return f"{shown} MB; the limit is {cap} MB"


def check_head(*, size: int, head: bytes, limits: AudioLimits) -> str:
    """The checks that need only a file's size and first bytes (``HEAD_BYTES``): empty, too
    big, and the container by its contents (returned: ``wav``, ``flac``…). Every way in (the
    form, the API, bulk upload, the decode stage) refuses with these words."""
    if size == 0:
        raise AudioRejected("The file is empty (0 bytes).")
    if size > limits.max_bytes:
        raise AudioRejected(f"The file is {_megabytes_over(size, limits.max_bytes)}.")
    kind = sniff_format(head)
    if kind is not None:
        return kind
    other = other_container(head)
    if other is not None:
        raise AudioRejected(
            f"Not a supported audio file: this is {other} file, and Annotera accepts {ACCEPTED}. Convert it to "
            "one of them (in an audio editor, or with ffmpeg -i <file> call.flac) and upload that."
        )
    raise AudioRejected(
        f"Not a supported audio file: Annotera accepts {ACCEPTED}, and this file's contents are none of them, "
        "whatever its name says."
    )


def _magic_match(head: bytes, table: tuple[tuple[bytes, int, str], ...]) -> str | None:
    """The name of the first (magic bytes, offset, name) row of ``table`` that ``head`` matches."""
    for magic, offset, name in table:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


def sniff_format(head: bytes) -> str | None:
    name = _magic_match(head, _MAGIC)
    if name is not None:
        return None if name == "wav" and head[8:12] != b"WAVE" else name
    # MPEG audio frame sync (an MP3 without an ID3 tag): 11 set bits, layer bits not 00.
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] & 0x06) != 0:
        return "mp3"
    return None


def probe(path: Path) -> dict:
    """ffprobe's view of the first audio stream: codec, channels, sample rate, claimed duration,
    and whether that duration is a guess from the bitrate (an MP3 without a frame count) rather
    than what the container states."""
    try:
        out = subprocess.run(
            [
                "ffprobe",
                "-v",
                "warning",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                "-select_streams",
                "a",
                str(path),
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError as exc:  # pragma: no cover - install problem, not input problem
        raise RuntimeError("ffprobe is not installed (apt-get install ffmpeg)") from exc
    except subprocess.TimeoutExpired as exc:
        raise AudioRejected("The file could not be read: probing it took too long.") from exc
    if out.returncode < 0:
        raise AudioRejected("The audio decoder crashed while reading this file; it is probably corrupt.")
    messages = out.stderr.decode(errors="replace")
    if out.returncode != 0:
        if "moov atom not found" in messages:
            raise AudioRejected(
                "The file could not be read as audio: its index is missing (an M4A or MP4 file keeps it at the end, "
                "so the recording was not stopped properly or the copy was cut short). Upload the complete file, "
                "or export the recording again."
            )
        reason = messages.strip().splitlines()
        detail = reason[-1].split(": ", 1)[-1] if reason else "unknown error"
        raise AudioRejected(f"The file could not be read as audio ({detail}). {DAMAGED_ADVICE}")
    info = json.loads(out.stdout or b"{}")
    streams = info.get("streams") or []
    if not streams:
        raise AudioRejected("The file has no audio stream (a video without sound?); there is nothing to annotate.")
    if len(streams) > 1:
        # The decoder reads one track: a party recorded on a second track would be lost unheard.
        others = "the second track" if len(streams) == 2 else f"the other {len(streams) - 1} tracks"
        raise AudioRejected(
            f"The file has {len(streams)} audio tracks; Annotera reads one track, so the speech on {others} "
            "would be lost. Mix the tracks into one (one channel per party for a two-party call) and upload that "
            "file."
        )
    stream = streams[0]
    duration = stream.get("duration") or info.get("format", {}).get("duration")
    return {
        "codec": stream.get("codec_name", "?"),
        "channels": int(stream.get("channels") or 0),
        "sample_rate": int(stream.get("sample_rate") or 0),
        "duration": float(duration) if duration not in (None, "N/A") else None,
        "duration_estimated": "Estimating duration from bitrate" in messages,
        "format": info.get("format", {}).get("format_name", "?"),
    }


def decode(src: Path | str, out_path: Path | str, limits: AudioLimits = AudioLimits()) -> DecodedAudio:
    """Validate ``src`` and decode it to ``out_path``. Raises AudioRejected on bad input.

    On rejection nothing is left at ``out_path``.
    """
    src, out_path = Path(src), Path(out_path)
    kind, info = check_container(src, limits)
    claimed = info["duration"]
    channels = info["channels"]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".partial")
    try:
        proc = subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-nostdin",
                "-y",
                "-i",
                str(src),
                "-t",
                str(limits.max_seconds + 1),
                "-map",
                "0:a:0",
                "-f",
                "f32le",
                "-acodec",
                "pcm_f32le",
                "-ar",
                str(SAMPLE_RATE),
                "-ac",
                str(channels),
                str(tmp),
            ],
            capture_output=True,
            timeout=max(120.0, limits.max_seconds / 5),
            check=False,
        )
        if proc.returncode < 0:
            raise AudioRejected("The audio decoder crashed on this file; it is probably corrupt.")
        if proc.returncode != 0:
            lines = proc.stderr.decode(errors="replace").strip().splitlines()
            detail = lines[-1] if lines else "unknown error"
            raise AudioRejected(f"The audio could not be decoded ({detail}). {DAMAGED_ADVICE}")
        frames = tmp.stat().st_size // (4 * channels)
        _check_length(frames, claimed, limits, estimated=info.get("duration_estimated", False))
        peaks, clipped = _validate_samples(tmp, channels, limits)
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return DecodedAudio(
        path=out_path,
        channels=channels,
        frames=frames,
        source_format=kind,
        source_codec=info["codec"],
        source_sample_rate=info["sample_rate"],
        peak_dbfs=peaks,
        clipped_share=clipped,
    )


TRUNCATION_SLACK = 1.0  # seconds a file may fall short of its stated length (encoder delay, padding)


def _check_length(frames: int, claimed: float | None, limits: AudioLimits, *, estimated: bool = False) -> None:
    """What the decoded length says: empty, truncated against the header's claim, too short.

    A stated length (FLAC's sample count, an M4A's index, an MP3's frame count) is exact, so a
    file more than a second short of it was cut: a partial copy would otherwise become a shorter
    call without a word. A length ffprobe guessed from the bitrate can be far off either way, so
    only a file under half of it counts as cut."""
    decoded_seconds = frames / SAMPLE_RATE
    if frames == 0:
        raise AudioRejected("The file contains no audio samples (zero length).")
    short = bool(claimed) and claimed - decoded_seconds > TRUNCATION_SLACK
    if short and (not estimated or decoded_seconds < 0.5 * claimed):
        raise AudioRejected(
            f"The file is truncated: its header says {format_duration(claimed)} but only "
            f"{format_duration(decoded_seconds)} of audio is there."
        )
    if decoded_seconds < limits.min_seconds:
        raise AudioRejected(
            f"The recording is too short ({decoded_seconds:.2f} s); at least {limits.min_seconds:g} s is needed."
        )


def _check_level(peak: np.ndarray, limits: AudioLimits) -> list[float]:
    """Peak level per channel in dBFS; refuses an all-silent recording."""
    peak_dbfs = [20 * math.log10(p) if p > 0 else -math.inf for p in peak]
    if max(peak_dbfs) < limits.silence_dbfs:
        loudest = max(peak_dbfs)
        level = "no signal at all" if loudest == -math.inf else f"peak level {loudest:.0f} dBFS"
        raise AudioRejected(f"The recording is silent ({level}); there is nothing to annotate.")
    return [round(p, 1) if p != -math.inf else -999.0 for p in peak_dbfs]


_NONFINITE = "The audio contains invalid samples (NaN or infinity); the file is corrupt."


def check_decoded_samples(path: Path, info: dict, limits: AudioLimits) -> None:
    """The decode stage's checks on the samples (length, truncation, NaN, silence), run while the
    uploader waits: ffmpeg decodes to a pipe read in blocks, so no PCM is written to disk and
    memory stays at one block however long the call. (ffmpeg's messages go to a temporary file:
    a full stderr pipe would stall it.)"""
    channels = info["channels"]
    frame_bytes = 4 * channels
    block = SAMPLE_RATE * 10 * frame_bytes
    peak = np.zeros(channels, dtype=np.float64)
    frames, nonfinite, carry = 0, False, b""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-t", str(limits.max_seconds + 1),
             "-map", "0:a:0", "-f", "f32le", "-acodec", "pcm_f32le", "-ar", str(SAMPLE_RATE), "-ac", str(channels),
             "pipe:1"],
            stdout=subprocess.PIPE,
            stderr=errors,
        )  # fmt: skip
        try:
            while chunk := proc.stdout.read(block):
                chunk = carry + chunk
                usable = len(chunk) - len(chunk) % frame_bytes
                carry = chunk[usable:]
                samples = np.frombuffer(chunk[:usable], dtype="<f4").reshape(-1, channels)
                frames += samples.shape[0]
                if samples.size and not np.isfinite(samples).all():
                    nonfinite = True
                    break
                if samples.size:
                    np.maximum(peak, np.abs(samples).max(axis=0), out=peak)
        finally:
            if proc.poll() is None and nonfinite:
                proc.kill()
            proc.stdout.close()
            returncode = proc.wait(timeout=max(120.0, limits.max_seconds / 5))
        errors.seek(0)
        lines = errors.read(64 * 1024).decode(errors="replace").strip().splitlines()
    if nonfinite:
        raise AudioRejected(_NONFINITE)
    if returncode < 0:
        raise AudioRejected("The audio decoder crashed on this file; it is probably corrupt.")
    if returncode != 0:
        raise AudioRejected(
            f"The audio could not be decoded ({lines[-1] if lines else 'unknown error'}). {DAMAGED_ADVICE}"
        )
    _check_length(frames, info["duration"], limits, estimated=info.get("duration_estimated", False))
    _check_level(peak, limits)


def _check_wav_header(path: Path, size: int) -> None:
    """A WAV header states its data size; a file much shorter than that is truncated, and one
    holding much more audio than that has a header the decoder would trust and cut short.

    ffprobe quietly reports the duration of what is there, so the header is read directly,
    chunk by chunk wherever the data chunk is (a broadcast WAV's bext, iXML and JUNK chunks can
    put it past the first 64 KB).
    """
    with path.open("rb") as fh:
        offset, byte_rate = 12, 0
        for _ in range(MAX_WAV_CHUNKS):
            fh.seek(offset)
            header = fh.read(8)
            if len(header) < 8:
                if byte_rate > 0:  # a format stated, then the file ends: its audio never came
                    raise AudioRejected(
                        f"The file is truncated: it ends before its audio begins (only its first {size} bytes, the "
                        "header, are there), probably cut short while being copied or downloaded. Upload the "
                        "complete file."
                    )
                return  # no format chunk either: not a WAV the decoder can read, and it says so
            chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:8])[0]
            body = offset + 8
            if chunk_id == b"fmt " and chunk_size >= 16:
                fmt = fh.read(12)
                byte_rate = struct.unpack("<I", fmt[8:12])[0] if len(fmt) == 12 else 0
            elif chunk_id == b"data":
                if chunk_size in (0, 0xFFFFFFFF) or byte_rate <= 0:
                    return  # streamed/unknown length: nothing claimed to check against, the decoder reads to the end
                claimed_seconds = chunk_size / byte_rate
                present_seconds = max(0, size - body) / byte_rate
                if claimed_seconds - present_seconds > TRUNCATION_SLACK:
                    raise AudioRejected(
                        f"The file is truncated: its header says {format_duration(claimed_seconds)} of audio but "
                        f"only {format_duration(present_seconds)} is there."
                    )
                unexplained, joined = _bytes_after_chunks(fh, body + chunk_size + (chunk_size & 1), size)
                if joined:
                    raise AudioRejected(
                        f"The file is several WAV files joined together: another WAV file begins after the first "
                        f"one's {format_duration(claimed_seconds)} of audio, and only the first would be read (the "
                        "rest would be lost). Join the recordings in an audio editor, or upload each as its own call."
                    )
                if unexplained / byte_rate > TRUNCATION_SLACK:
                    raise AudioRejected(
                        f"The file's header says {format_duration(claimed_seconds)} of audio but the file holds about "
                        f"{format_duration(claimed_seconds + unexplained / byte_rate)}: the header is damaged (a "
                        "recording that was not closed properly?), so where the audio ends cannot be told and the "
                        "rest would be lost. Re-save the file in an audio editor and upload it again."
                    )
                return
            offset = body + chunk_size + (chunk_size & 1)


MAX_WAV_CHUNKS = 10_000


def _bytes_after_chunks(fh, offset: int, size: int, max_chunks: int = MAX_WAV_CHUNKS) -> tuple[int, bool]:
    """(how many bytes from ``offset``, the end of the data chunk, to the end of the file are not
    RIFF chunks (LIST, id3, cue…: four letters and a size that fits), whether they start with
    another WAV file's header). Audio a recorder kept writing after it stated the data size is
    not a chunk, and neither is a second file joined on (``cat a.wav b.wav``), whose RIFF
    header looks like one."""
    for _ in range(max_chunks):
        if offset + 8 > size:
            return 0, False  # at most a stray pad byte or a cut chunk header
        fh.seek(offset)
        header = fh.read(12)
        chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:8])[0]
        if chunk_id in (b"RIFF", b"RF64") and header[8:12] == b"WAVE":
            return size - offset, True
        if not all(0x20 <= b <= 0x7E for b in chunk_id) or offset + 8 + chunk_size > size + 1:
            return size - offset, False
        offset += 8 + chunk_size + (chunk_size & 1)
    return size - offset, False


OGG_PAGE_HEADER = 27
MAX_OGG_PAGES = 2_000_000  # 4 hours of Opus is about 200,000 pages


def _check_ogg_pages(path: Path, size: int, duration: float | None) -> None:
    """Ogg states no total length, so a partial copy would become a shorter call without a word;
    but every page states its own length, and a copy cut short ends inside its last page. The
    pages are walked header to header (a read of at most 282 bytes each); anything that is not a
    page (trailing junk) ends the walk without a verdict: the decoder decides."""
    with path.open("rb") as fh:
        offset = 0
        for _ in range(MAX_OGG_PAGES):
            if offset >= size:
                return
            fh.seek(offset)
            header = fh.read(OGG_PAGE_HEADER)
            if header[:4] != b"OggS" or (len(header) == OGG_PAGE_HEADER and header[4] != 0):
                return
            segments = header[26] if len(header) == OGG_PAGE_HEADER else 0
            lacing = fh.read(segments)
            end = offset + OGG_PAGE_HEADER + segments + sum(lacing)
            if len(header) < OGG_PAGE_HEADER or len(lacing) < segments or end > size:
                there = f" (about {format_duration(duration)} of audio is there)" if duration else ""
                raise AudioRejected(
                    f"The file is truncated: it ends in the middle of its audio data{there}, so the rest of the "
                    "call is missing; it was probably cut short while being copied or downloaded. Upload the "
                    "complete file."
                )
            offset = end


def _validate_samples(path: Path, channels: int, limits: AudioLimits) -> tuple[list[float], list[float]]:
    """Peak level and clipped share per channel; rejects NaN/Inf samples and all-silent
    recordings. Streams in blocks."""
    data = np.memmap(path, dtype="<f4", mode="r").reshape(-1, channels)
    peak = np.zeros(channels, dtype=np.float64)
    clipped = np.zeros(channels, dtype=np.int64)
    block = SAMPLE_RATE * 60
    for start in range(0, data.shape[0], block):
        chunk = np.abs(np.asarray(data[start : start + block]))
        if not np.isfinite(chunk).all():
            raise AudioRejected(_NONFINITE)
        np.maximum(peak, chunk.max(axis=0), out=peak)
        clipped += np.count_nonzero(chunk >= CLIP_LEVEL, axis=0)
    frames = max(1, data.shape[0])
    del data
    return _check_level(peak, limits), [round(float(c) / frames, 4) for c in clipped]


MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 1_000, 768_000


def check_container(path: Path, limits: AudioLimits) -> tuple[str, dict]:
    """What can be told without decoding: size, container (by content, not name), WAV header,
    the stream's channels, sample rate and claimed duration. Returns (kind, ffprobe info).
    Shared by the upload check and the decode stage, so both refuse with the same words."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        kind = check_head(size=size, head=fh.read(HEAD_BYTES), limits=limits)
    if kind == "wav":
        _check_wav_header(path, size)
    info = probe(path)
    if kind == "ogg":
        _check_ogg_pages(path, size, info["duration"])
    if info["channels"] < 1:
        raise AudioRejected("The audio stream has no channels.")
    if info["channels"] > limits.max_channels:
        raise AudioRejected(
            f"The file has {info['channels']} channels; Annotera accepts mono calls or dual-channel "
            f"calls (one channel per party), at most {limits.max_channels}. Save it as mono, or with one channel "
            "per party, and upload that."
        )
    if not MIN_SAMPLE_RATE <= info["sample_rate"] <= MAX_SAMPLE_RATE:
        raise AudioRejected(
            f"The file claims a sample rate of {info['sample_rate']} Hz; call audio is between "
            f"{MIN_SAMPLE_RATE} and {MAX_SAMPLE_RATE} Hz."
        )
    claimed = info["duration"]
    if claimed is not None and claimed > limits.max_seconds:
        raise AudioRejected(
            f"The call is {format_duration(claimed)} long; the limit is {format_duration(limits.max_seconds)}."
        )
    if claimed is not None and claimed <= 0:
        raise AudioRejected("The file contains no audio samples (zero length).")
    return kind, info


def inspect_upload(path: Path | str, limits: AudioLimits = AudioLimits()) -> dict:
    """Every check of the decode stage, while the uploader waits: ``check_container``, then the
    samples (``check_decoded_samples``: zero length, truncation, too short, NaN, silence), so a
    file the pipeline would fail is refused before a row or a file is written."""
    path = Path(path)
    kind, info = check_container(path, limits)
    if kind == "wav":
        _check_float_wav_samples(path)
    check_decoded_samples(path, info, limits)
    return {**info, "kind": kind}


def _check_float_wav_samples(path: Path) -> None:
    """A WAV must hold samples. Integer PCM cannot hold NaN; float WAV can, so scan it in blocks
    (disk speed)."""
    try:
        info = sf.info(str(path))
    except RuntimeError:
        return  # soundfile cannot read it but ffprobe could: the decode stage decides
    if info.subtype not in ("FLOAT", "DOUBLE"):
        return
    for block in sf.blocks(str(path), blocksize=SAMPLE_RATE * 60, dtype="float32", always_2d=True):
        if not np.isfinite(block).all():
            raise AudioRejected("The audio contains invalid samples (NaN or infinity); the file is corrupt.")
