"""Transcription (language per utterance first, then a model suited to each language) and
speaker diarization."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
from django.conf import settings

from ..models import Call, ProcessingJob
from ..pipeline import diarize, speech
from ..pipeline.asr import MASK_HOP, AsrConfig, get_transcriber, speech_mask
from ..pipeline.language import (
    LanguageWindow,
    identify_languages,
    language_chunks,
    language_regions,
    languages_heard,
    majority_language,
    pauses_in,
)
from ..pipeline.model_store import resolve_model
from ..pipeline.segmentation import LocalSegmentation, local_segmentation
from ..pipeline.speech import attach_slivers
from ..pipeline.types import Segment, SpeechPiece, Word
from ..pipeline.whisper_languages import parse_languages
from .base import BadInput, CommitFn, ProgressFn, call_samples, previous_result, segmentation_path


def asr_config(model: str, language: str | None = None, compute_type: str | None = None):
    return AsrConfig(
        model=resolve_model(model, Path(settings.MODELS_DIR)),
        device=settings.WHISPER_DEVICE,
        compute_type=compute_type or settings.WHISPER_COMPUTE_TYPE,
        batch_size=settings.WHISPER_BATCH_SIZE,
        threads=settings.WHISPER_THREADS,
        language=language,
        align_model_dir=settings.WHISPER_ALIGN_MODEL_DIR,
    )


def lid_transcriber():
    """The multilingual model used for language identification (None if not available)."""
    try:
        # One model in memory when the main model is the multilingual one (at the main compute type).
        same = settings.WHISPER_LID_MODEL == settings.WHISPER_MODEL
        compute_type = None if same else settings.WHISPER_LID_COMPUTE_TYPE
        transcriber = get_transcriber(asr_config(settings.WHISPER_LID_MODEL, compute_type=compute_type))
    except (OSError, RuntimeError, ValueError):  # no such model on this install
        return None
    return transcriber if transcriber.is_multilingual else None


def declared_languages(project) -> list[str]:
    """The languages identification chooses among: the project's, else the install's
    ``LANGUAGE_CANDIDATES`` (as Whisper codes); empty: any language."""
    if project.spoken_languages:
        return list(project.spoken_languages)
    try:
        return parse_languages(settings.LANGUAGE_CANDIDATES)
    except ValueError as exc:  # also refused at start-up (annotation.checks)
        raise BadInput(f"The LANGUAGE_CANDIDATES setting is wrong: {exc}", failure=Call.Failure.SETTINGS) from exc


def stage_transcribe(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    """Per channel for dual-channel calls (overlapping speech stays separate), else the mix.

    1. Voice activity: WhisperX's bundled pyannote segmentation, once per channel (the diarize
       stage reuses it); on dual-channel calls, sound that is only the other party leaking in
       is cut out of the speech stretches and silenced for recognition.
    2. Language per window of each speech stretch, with the multilingual model, BEFORE
       transcription (``pipeline.language``).
    3. Each language's chunks are transcribed with a model suited to it: ``WHISPER_MODEL`` when
       it covers the language (an ``.en`` model covers English only), else the multilingual
       ``WHISPER_LID_MODEL`` told the language. Every word keeps its language.
    4. Speech where recognition found no word is kept as pieces, so it still becomes a turn.
    """
    call = job.call
    samples = call_samples(call)
    channels = samples.shape[0]
    candidates = declared_languages(call.project)
    main = get_transcriber(asr_config(settings.WHISPER_MODEL))
    lid = lid_transcriber() or (main if main.is_multilingual else None)
    vad = main.pipeline._vad_params
    # A channel recorded far too low is raised for the models (the stored audio is not changed).
    levelled = [speech.audible(samples[channel]) for channel in range(channels)]
    speech_by_channel = []
    for channel in range(channels):
        segmentation = local_segmentation(levelled[channel])
        segmentation.save(segmentation_path(call, channel))  # the diarize stage reuses it
        speech_by_channel.append(speech.speech_segments(segmentation, onset=vad["vad_onset"], offset=vad["vad_offset"]))
        progress(10.0 * (channel + 1) / channels, "finding speech")
    heard_by_channel = speech_by_channel
    if channels > 1:
        speech_by_channel = speech.crosstalk_free(samples, speech_by_channel)
    if not any(speech_by_channel):
        raise BadInput("No speech was found in the recording.", failure=Call.Failure.NO_SPEECH)

    total_speech = max(1e-9, sum(speech.total(s) for s in speech_by_channel))
    done = [0.0]
    segments: list[Segment] = []
    pieces: list[SpeechPiece] = []
    regions_out: list[dict] = []
    all_regions = []
    models: set[str] = set()
    for channel, channel_speech in enumerate(speech_by_channel):
        if not channel_speech:
            continue
        mono = levelled[channel]
        if channels > 1:  # leakage inside a chunk of own speech is silence to recognition
            mono = speech.muted(mono, speech.subtract(heard_by_channel[channel], channel_speech))
        mask = speech_mask(mono)
        if lid is not None:
            windows = identify_languages(
                mono,
                channel_speech,
                lid.language_probabilities,
                second_opinion=lid.recheck_probabilities,
                priors=lid.language_priors() if len(candidates) != 1 else None,
                candidates=candidates,
                pauses=pauses_in(mask, MASK_HOP),
            )
            models.add(f"language id: {lid.version}")
        else:  # no multilingual model on this install: the English-only model hears English
            windows = [LanguageWindow(s, e, "en", 1.0, True) for s, e in channel_speech]
        regions = language_regions(windows, max_gap=settings.TURN_PAUSE_SPLIT_SECONDS)
        all_regions.extend(regions)
        regions_out.extend({**r.to_dict(), "channel": channel} for r in regions)
        progress(10.0 + 15.0 * done[0] / total_speech, "identifying languages")
        by_language: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for start, end, language in language_chunks(windows):
            by_language[language].append((start, end))
        channel_segments: list[Segment] = []
        for language, chunks in by_language.items():
            covers = not main.config.english_only or language == "en"
            transcriber = main if covers or lid is None else lid
            seconds = sum(e - s for s, e in chunks)

            def report(pct: float, seconds: float = seconds, language: str = language) -> None:
                share = (done[0] + seconds * pct / 100.0) / total_speech
                progress(25.0 + 75.0 * min(1.0, share), f"transcribing ({language or 'auto'})")

            found, _ = transcriber.transcribe(
                mono, language=language or None, regions=chunks, progress=report, mask=mask
            )
            done[0] += seconds
            models.add(transcriber.version)
            channel_segments.extend(found)
        words = [w for s in channel_segments for w in s.words]
        uncovered = speech.untranscribed_pieces(channel_speech, words)
        pieces.extend(speech.pieces_with_language(uncovered, regions, channel if channels > 1 else None))
        for segment in channel_segments:
            segment.channel = channel if channels > 1 else None
        segments.extend(channel_segments)
    segments.sort(key=lambda s: s.start)
    # The last note stays on the call page: the languages heard, not the last one transcribed.
    progress(100, "transcribed: " + (", ".join(languages_heard(all_regions)) or "language unknown"))

    return lambda: {
        "segments": [s.to_dict() for s in segments],
        "pieces": [p.to_dict() for p in pieces],
        "speech": [[[round(s, 3), round(e, 3)] for s, e in channel] for channel in speech_by_channel],
        "regions": regions_out,
        "language": majority_language(all_regions),
        "languages_declared": candidates,
        "model_version": "; ".join(sorted(models)),
    }


def stage_diarize(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    """Who spoke each word and each untranscribed piece of speech."""
    call = job.call
    transcribed = previous_result(call, "transcribe")
    segments = [Segment.from_dict(s) for s in transcribed["segments"]]
    pieces = [SpeechPiece.from_dict(p) for p in transcribed.get("pieces", [])]
    words: list[Word] = [w for s in segments for w in s.words]
    if (call.channels or 1) > 1:
        for segment in segments:
            for word in segment.words:
                word.speaker = diarize.channel_speaker(segment.channel or 0)
        kept = diarize.diarize_channels(np.asarray(call_samples(call)), segments)
        words = _with_languages(kept, words)
        for segment in segments:  # slivers below attach to the words that stayed
            segment.words = [w for w in words if w.speaker == diarize.channel_speaker(segment.channel or 0)]
        for piece in pieces:
            piece.speaker = diarize.channel_speaker(piece.channel or 0)
        method = "channel split, cross-talk removed"
    else:
        # Pieces go through the same speaker assignment as words (it only looks at their times).
        items = sorted([*words, *pieces], key=lambda item: (item.start, item.end))
        probes = [Word(getattr(item, "text", ""), item.start, item.end) for item in items]
        mono = speech.audible(call_samples(call)[0])  # as the transcribe stage's models heard it
        if settings.DIARIZATION_MODEL:
            labelled = diarize.diarize_with_pyannote(
                mono, probes, settings.DIARIZATION_MODEL, settings.HF_TOKEN, settings.WHISPER_DEVICE
            )
            method = f"pyannote {settings.DIARIZATION_MODEL}"
        else:
            path = segmentation_path(call, 0)
            segmentation = LocalSegmentation.reusable(path)
            if segmentation is None:  # missing, or saved before windows were on the frame grid
                segmentation = local_segmentation(mono)
                segmentation.save(path)
            labelled = diarize.diarize_mono(mono, probes, segmentation=segmentation)
            method = "pyannote segmentation tracklets + resemblyzer d-vectors + constrained agglomerative clustering"
        for item, probe in zip(items, labelled, strict=True):
            item.speaker = probe.speaker
    # A sliver of speech at a word's edge belongs to that word's speaker (and language).
    by_channel: dict[int | None, list[Word]] = defaultdict(list)
    for segment in segments:
        by_channel[segment.channel].extend(segment.words)
    for channel, channel_words in by_channel.items():
        attach_slivers([p for p in pieces if p.channel == channel], channel_words)
    progress(100, "speakers found")
    speakers = sorted({w.speaker for w in words} | {p.speaker for p in pieces})
    return lambda: {
        "words": [{**w.to_dict(), "spk": w.speaker} for w in words],
        "pieces": [{**p.to_dict(), "spk": p.speaker} for p in pieces],
        "speakers": speakers,
        "model_version": method,
    }


def _with_languages(kept: list[Word], original: list[Word]) -> list[Word]:
    """Words returned by the channel split (cross-talk dropped, edges pulled in) get back the
    language (and spacing) of the original word they came from (same speaker and text,
    overlapping in time)."""
    by_key: dict[tuple[str, str], list[Word]] = defaultdict(list)
    for word in original:
        by_key[(word.speaker, word.text)].append(word)
    for word in kept:
        candidates = by_key.get((word.speaker, word.text), [])
        best = max(candidates, key=lambda o: min(o.end, word.end) - max(o.start, word.start), default=None)
        if best is not None:
            word.language, word.joined = best.language, best.joined
    return kept
