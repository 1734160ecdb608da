"""The machine-pass stages, in order. Each computes with ``annotation.pipeline`` (no ORM there)
and returns a commit function that replaces the stage's own output in one transaction, so a
re-run never duplicates anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.conf import settings

from taxonomy.selectors import taxonomy_scales

from .models import Call, ProcessingJob, Speaker, Turn
from .pipeline import audio as audio_mod
from .pipeline.types import Segment, TurnDraft, Word
from .services import turns_replace
from .stage_registry import BadInput, CommitFn, ProgressFn, register_stage
from .storage import audio_limits, call_samples, pcm_path, peaks_path, segmentation_path


def first_speech(mono: np.ndarray, regions: list[tuple[float, float]], seconds: float) -> np.ndarray:
    """The first ``seconds`` of speech of a channel (what language identification looks at),
    without copying the rest of a long call."""
    pieces, total = [], 0
    limit = int(seconds * audio_mod.SAMPLE_RATE)
    for start, end in regions:
        piece = mono[int(start * audio_mod.SAMPLE_RATE) : int(end * audio_mod.SAMPLE_RATE)]
        pieces.append(piece[: limit - total])
        total += pieces[-1].shape[0]
        if total >= limit:
            break
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def previous_result(call: Call, stage: str) -> dict:
    job = ProcessingJob.objects.filter(call=call, stage=stage, status=ProcessingJob.Status.SUCCEEDED).first()
    if job is None:
        raise RuntimeError(f"stage '{stage}' has not completed for call {call.pk}")
    return job.result


@register_stage("decode", "Decoding and checking the audio")
def stage_decode(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    call = job.call
    progress(5, "decoding")
    try:
        decoded = audio_mod.decode(call.audio.path, pcm_path(call), audio_limits())
    except audio_mod.AudioRejected as exc:
        raise BadInput(str(exc)) from exc
    except FileNotFoundError as exc:
        raise BadInput("The uploaded file is missing from storage; upload it again.") from exc

    def commit() -> dict:
        channel_roles = call.channel_roles
        if decoded.channels == 2 and not channel_roles:
            channel_roles = ["agent", "customer"]
        Call.objects.filter(pk=call.pk).update(
            duration=decoded.duration,
            sample_rate=decoded.source_sample_rate,
            channels=decoded.channels,
            channel_roles=channel_roles,
        )
        return {
            "channels": decoded.channels,
            "frames": decoded.frames,
            "duration": round(decoded.duration, 3),
            "format": decoded.source_format,
            "codec": decoded.source_codec,
            "source_sample_rate": decoded.source_sample_rate,
            "peak_dbfs": decoded.peak_dbfs,
            "model_version": "ffmpeg",
        }

    return commit


@register_stage("peaks", "Drawing the waveform")
def stage_peaks(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    from .pipeline.peaks import LEVELS, compute_peaks, save_peaks

    call = job.call
    peaks = compute_peaks(call_samples(call), audio_mod.SAMPLE_RATE)
    save_peaks(peaks, peaks_path(call))
    return lambda: {"levels": list(LEVELS), "buckets": {str(k): int(v.shape[1]) for k, v in peaks.items()}}


def asr_config(model: str, language: str | None = None):
    from .pipeline.asr import AsrConfig
    from .pipeline.model_store import resolve_model

    return AsrConfig(
        model=resolve_model(model, Path(settings.MODELS_DIR)),
        device=settings.WHISPER_DEVICE,
        compute_type=settings.WHISPER_COMPUTE_TYPE,
        batch_size=settings.WHISPER_BATCH_SIZE,
        threads=settings.WHISPER_THREADS,
        language=language,
        align_model_dir=settings.WHISPER_ALIGN_MODEL_DIR,
    )


def lid_transcriber():
    """The multilingual model used for language identification (None if not available)."""
    from .pipeline.asr import get_transcriber

    transcriber = get_transcriber(asr_config(settings.WHISPER_LID_MODEL))
    return transcriber if transcriber.is_multilingual else None


@register_stage("transcribe", "Transcribing (WhisperX)")
def stage_transcribe(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    """Per channel for dual-channel calls (overlapping speech stays separate), else the mix.

    Model choice, measured (see README): the English-only model is faster and more accurate
    on English, so the multilingual model first identifies the call's language on the first
    30 s of speech; English calls go to ``WHISPER_MODEL``, other languages to the multilingual
    ``WHISPER_LID_MODEL`` (unless ``WHISPER_MODEL`` is itself multilingual).
    """
    from .pipeline.asr import get_transcriber
    from .pipeline.segmentation import local_segmentation

    call = job.call
    samples = call_samples(call)
    channels = samples.shape[0]
    main = get_transcriber(asr_config(settings.WHISPER_MODEL))
    segments: list[Segment] = []
    languages: list[str] = []
    models: set[str] = set()
    for channel in range(channels):
        mono = np.asarray(samples[channel])
        base = 100.0 * channel / channels

        def report(pct: float, base: float = base, channel: int = channel) -> None:
            progress(base + pct / channels, f"channel {channel + 1}/{channels}: {pct:.0f}%")

        segmentation = local_segmentation(mono)
        segmentation.save(segmentation_path(call, channel))  # the diarize stage reuses it
        regions = main.speech_regions(mono, segmentation)
        if not regions:
            continue
        transcriber, language = main, None
        if main.config.english_only:
            lid = lid_transcriber()
            if lid is not None:
                speech = first_speech(mono, regions, seconds=30.0)
                code, confidence, _ = lid.detect_language(speech)
                if code != "en" and confidence >= 0.5:
                    transcriber, language = lid, code
        channel_segments, language = transcriber.transcribe(mono, language=language, regions=regions, progress=report)
        models.add(transcriber.version)
        languages.append(language)
        for segment in channel_segments:
            segment.channel = channel if channels > 1 else None
        segments.extend(channel_segments)
    if not segments:
        raise BadInput("No speech was found in the recording.")
    segments.sort(key=lambda s: s.start)

    return lambda: {
        "segments": [s.to_dict() for s in segments],
        "languages": languages,
        "model_version": "; ".join(sorted(models)),
    }


@register_stage("diarize", "Finding the speakers")
def stage_diarize(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    from .pipeline import diarize

    call = job.call
    segments = [Segment.from_dict(s) for s in previous_result(call, "transcribe")["segments"]]
    words: list[Word] = []
    if (call.channels or 1) > 1:
        words = diarize.diarize_channels(np.asarray(call_samples(call)), segments)
        method = "channel split, cross-talk removed"
    else:
        all_words = [w for s in segments for w in s.words]
        mono = np.asarray(call_samples(call)[0])
        if settings.DIARIZATION_MODEL:
            words = diarize.diarize_with_pyannote(
                mono, all_words, settings.DIARIZATION_MODEL, settings.HF_TOKEN, settings.WHISPER_DEVICE
            )
            method = f"pyannote {settings.DIARIZATION_MODEL}"
        else:
            from .pipeline.segmentation import LocalSegmentation

            path = segmentation_path(call, 0)
            segmentation = LocalSegmentation.load(path) if path.exists() else None
            words = diarize.diarize_mono(mono, all_words, segmentation=segmentation)
            method = "pyannote segmentation tracklets + resemblyzer window d-vectors + agglomerative clustering"
    progress(100, "speakers found")
    speakers = sorted({w.speaker for w in words})
    return lambda: {
        "words": [{**w.to_dict(), "spk": w.speaker} for w in words],
        "speakers": speakers,
        "model_version": method,
    }


@register_stage("turns", "Building turns and detecting languages")
def stage_turns(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    from .pipeline.language import clip, detect_turn_languages
    from .pipeline.turns import build_turns, guess_roles

    call = job.call
    words = [Word.from_dict(w, speaker=w["spk"]) for w in previous_result(call, "diarize")["words"]]
    turns = build_turns(words, pause_split=settings.TURN_PAUSE_SPLIT_SECONDS)
    samples = call_samples(call)

    def audio_for(turn: TurnDraft) -> np.ndarray:
        return clip(samples[_channel_of(turn.speaker)], turn.start, turn.end)

    lid = lid_transcriber()
    if lid is not None:
        call_language = detect_turn_languages(
            turns, audio_for, lid.detect_language, progress=lambda p: progress(p * 0.8, "language per turn")
        )
        _retranscribe_switched_turns(turns, audio_for, lid)
    else:
        call_language = "en"
        for turn in turns:
            turn.language = "en"
    channel_roles = {}
    if (call.channels or 1) > 1 and call.channel_roles:
        channel_roles = {f"CH{i}": role for i, role in enumerate(call.channel_roles)}
    roles = guess_roles(turns, channel_roles)

    def commit() -> dict:
        call.clear_machine_output()
        speakers = {}
        for label, role in roles.items():
            channel = _channel_of(label) if label.startswith("CH") else None
            speakers[label] = Speaker.objects.create(call=call, label=label, role=role, channel=channel)
        turns_replace(
            call=call,
            turns=(
                Turn(
                    speaker=speakers[t.speaker],
                    start=round(t.start, 3),
                    end=round(t.end, 3),
                    text=t.text,
                    words=[w.to_dict() for w in t.words],
                    language=t.language,
                    language_confidence=t.language_confidence,
                    code_switch=t.code_switch,
                )
                for t in turns
            ),
        )
        Call.objects.filter(pk=call.pk).update(language=call_language)
        return {
            "turns": len(turns),
            "speakers": len(speakers),
            "language": call_language,
            "code_switch_turns": sum(t.code_switch for t in turns),
            "model_version": lid.version if lid else "",
        }

    return commit


def _channel_of(speaker: str) -> int:
    return int(speaker[2:]) if speaker.startswith("CH") and speaker[2:].isdigit() else 0


def _retranscribe_switched_turns(turns: list[TurnDraft], audio_for, lid) -> None:
    """Turns detected (confidently) in another language than the one they were transcribed in
    are transcribed again with the multilingual model in their own language."""
    for turn in turns:
        if not turn.code_switch:
            continue
        segments, _ = lid.transcribe(audio_for(turn), language=turn.language, regions=[(0.0, turn.end - turn.start)])
        new_words = [
            Word(w.text, round(turn.start + w.start, 3), round(turn.start + w.end, 3), w.probability, turn.speaker)
            for s in segments
            for w in s.words
        ]
        if new_words:
            turn.words = new_words


@register_stage("prosody", "Measuring prosody")
def stage_prosody(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    from .pipeline.prosody import call_prosody

    call = job.call
    samples = call_samples(call)
    rows = list(Turn.objects.filter(call=call).select_related("speaker").order_by("order"))
    drafts = [
        TurnDraft(
            speaker=row.speaker.label,
            start=row.start,
            end=row.end,
            words=[Word.from_dict(w) for w in row.words],
        )
        for row in rows
    ]
    channel_of = {row.speaker.label: row.speaker.channel or 0 for row in rows}
    baselines = call_prosody(
        drafts, lambda t: samples[channel_of[t.speaker]], progress=lambda p: progress(p, "prosody")
    )

    def commit() -> dict:
        for row, draft in zip(rows, drafts, strict=True):
            row.prosody = draft.prosody
        Turn.objects.bulk_update(rows, ["prosody"], batch_size=500)
        for speaker in Speaker.objects.filter(call=call):
            speaker.baseline = baselines.get(speaker.label, {})
            speaker.save(update_fields=["baseline"])
        return {"turns": len(rows), "model_version": "praat-parselmouth"}

    return commit


def suggestion_config(taxonomy):
    from .pipeline.suggest import DEFAULT_CUE_LABELS, DEFAULT_VALENCE_LABELS, SuggestConfig

    evidence = taxonomy.evidence_map or {}
    return SuggestConfig(
        cue_labels=evidence.get("cues") or dict(DEFAULT_CUE_LABELS),
        valence_labels=evidence.get("valence") or dict(DEFAULT_VALENCE_LABELS),
    )


@register_stage("suggest", "Suggesting emotions")
def stage_suggest(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    from .calibration import active_calibration, calibrate_results
    from .learning import active_model
    from .models import Suggestion
    from .pipeline.suggest import MAX_LABELS, SEED_PHRASES, TurnInput, baseline_deltas, suggest_turns

    call = job.call
    taxonomy = call.project.taxonomy
    labels = list(taxonomy.labels.all())
    rows = list(Turn.objects.filter(call=call).select_related("speaker").order_by("order"))
    inputs = [
        TurnInput(
            text=row.text,
            language=row.language,
            prosody={**row.prosody, "baseline_delta": baseline_deltas(row.prosody, row.speaker.baseline)},
            speaker=row.speaker.label,
            start=row.start,
            end=row.end,
        )
        for row in rows
    ]
    config = suggestion_config(taxonomy)
    scales = taxonomy_scales(taxonomy)
    results = suggest_turns(
        inputs,
        [label.key for label in labels],
        {label.key: SEED_PHRASES.get(label.key, []) + list(label.examples) for label in labels},
        config,
        intensity_range=tuple(int(x) for x in scales.intensity),
        valence_range=scales.valence,
        arousal_range=scales.arousal,
    )
    model_version = config.version
    learned = active_model(call.project)
    calibration = active_calibration(call.project)
    if learned is not None:
        record, model = learned
        apply_learned_model(record, model, rows, results)
        model_version = record.model_version
    elif calibration is not None:
        calibrate_results(calibration, results, MAX_LABELS)
        model_version = f"{model_version}+cal{calibration.version}"
    progress(90, "suggestions ready")

    def commit() -> dict:
        Suggestion.objects.filter(turn__call=call).delete()
        Suggestion.objects.bulk_create(
            [
                Suggestion(
                    turn=row,
                    labels=result.labels_json(),
                    valence=result.valence,
                    arousal=result.arousal,
                    shifts=result.shifts,
                    rationale=result.rationale,
                    evidence=result.evidence,
                    model_version=model_version,
                )
                for row, result in zip(rows, results, strict=True)
            ],
            batch_size=500,
        )
        return {"turns": len(rows), "model_version": model_version}

    return commit


def apply_learned_model(record, model, rows: list[Turn], results: list) -> None:
    """Replace the rule prior's labels with the project model's, keeping the prosody rationale."""
    from .pipeline.learn import featurize
    from .pipeline.suggest import MAX_LABELS, LabelSuggestion

    if not rows:
        return
    probabilities = model.probabilities(featurize([r.text for r in rows], [r.prosody.get("z", {}) for r in rows]))
    for index, result in enumerate(results):
        rule_intensity = {item.label: item.intensity for item in result.labels}
        chosen = sorted(
            ((label, float(p[index])) for label, p in probabilities.items() if p[index] >= model.threshold),
            key=lambda item: -item[1],
        )[:MAX_LABELS]
        result.labels = [LabelSuggestion(label, rule_intensity.get(label, 3), round(p, 2)) for label, p in chosen]
        odds = ", ".join(f"p({label})={p:.2f}" for label, p in chosen) or "no label above threshold"
        result.rationale = (
            f"learned model v{record.version} (held-out alpha {record.learned_alpha:.2f} vs rules "
            f"{(record.rules_alpha or 0):.2f}): {odds} | rule evidence: {result.rationale}"
        )
