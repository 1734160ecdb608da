"""Transcription with WhisperX: its bundled pyannote VAD, batched Whisper decoding, word timings.

WhisperX's batched pipeline decodes without timestamps, so it yields segment text only. Word
timings come from ``whisperx.align`` when an alignment model directory is configured; otherwise
we run faster-whisper's cross-attention alignment (``find_alignment``) on the *same* encoder
output the batched decoder used, so word timings cost one alignment pass and no second encode.

Models load once per process (``get_transcriber`` caches them), not once per call.
"""

from __future__ import annotations

import logging
import os
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from importlib.metadata import version
from pathlib import Path

import numpy as np

from . import segmentation as seg_mod
from .audio import SAMPLE_RATE
from .language import content_free_prior, two_encodings
from .types import Segment, Word

logger = logging.getLogger(__name__)

CHUNK_SECONDS = 30
N_SAMPLES = CHUNK_SECONDS * SAMPLE_RATE
HOP_LENGTH = 160
MIN_LID_SAMPLES = 5 * SAMPLE_RATE
# Whisper's own test for a decoding stuck in a loop ("แม่แม่แม่…", "Nga Nga Nga…"): text that
# compresses this well is decoded again with repetition held back (``_decode_without_loop``).
COMPRESSION_RATIO_LIMIT = 2.4
# Tried in turn on a looping chunk: a repetition penalty, then no 3-gram said twice. Whisper
# samples at rising temperatures instead; CTranslate2's sampling cannot be seeded per call, so a
# re-processed call would read differently every time.
LOOP_FALLBACKS = ({"repetition_penalty": 1.3}, {"repetition_penalty": 1.3, "no_repeat_ngram_size": 3})


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def _loop_ratio(tokenizer, ids: list[int]) -> float:
    """``compression_ratio`` of the text a decoding's token ids spell."""
    return compression_ratio(tokenizer.decode([t for t in ids if t < tokenizer.eot]))


@dataclass(frozen=True)
class AsrConfig:
    model: str  # a directory (offline default) or a name faster-whisper can resolve
    device: str = "cpu"
    compute_type: str = "int8"
    batch_size: int = 8
    threads: int = 0
    language: str | None = None  # None: detect (multilingual models only)
    beam_size: int = 5
    align_model_dir: str = ""

    @property
    def english_only(self) -> bool:
        return self.model.rstrip("/").endswith(".en")


@dataclass
class Transcriber:
    config: AsrConfig
    pipeline: object = field(repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _priors: tuple[dict[str, float], dict[str, float]] | None = field(default=None, repr=False)

    @property
    def model(self):  # whisperx.asr.WhisperModel (a faster_whisper.WhisperModel)
        return self.pipeline.model

    @property
    def is_multilingual(self) -> bool:
        return bool(self.model.model.is_multilingual)

    @property
    def version(self) -> str:
        return f"whisperx {version('whisperx')} / {self.config.model.rstrip('/').split('/')[-1]} {self.config.compute_type}"

    def speech_regions(self, audio: np.ndarray, segmentation=None) -> list[tuple[float, float]]:
        """VAD chunks of at most 30 s from WhisperX's bundled pyannote segmentation model.

        Pass the channel's ``LocalSegmentation`` when it is at hand, so the model runs once for
        both voice activity and diarization.
        """
        seg = segmentation if segmentation is not None else seg_mod.local_segmentation(audio)
        params = self.pipeline._vad_params
        return seg_mod.speech_regions(
            seg, chunk_size=CHUNK_SECONDS, onset=params["vad_onset"], offset=params["vad_offset"]
        )

    def detect_language(
        self, audio: np.ndarray, max_seconds: float = CHUNK_SECONDS
    ) -> tuple[str, float, list[tuple[str, float]]]:
        """Language of (the first ``max_seconds`` of) ``audio``: code, probability, top candidates."""
        if not self.is_multilingual:
            return "en", 1.0, [("en", 1.0)]
        limit = int(min(max_seconds, CHUNK_SECONDS) * SAMPLE_RATE)
        probs = self.language_probabilities([np.asarray(audio[:limit], dtype=np.float32)])[0]
        top = sorted(probs.items(), key=lambda item: -item[1])[:5]
        return top[0][0], top[0][1], top

    def language_priors(self) -> tuple[dict[str, float], dict[str, float]]:
        """The model's ``content_free_prior`` for the short encoding and for the second opinion
        (``recheck_probabilities``), computed once."""
        if self._priors is None:
            self._priors = (
                content_free_prior(self.language_probabilities),
                content_free_prior(self.recheck_probabilities),
            )
        return self._priors

    def recheck_probabilities(self, clips: list[np.ndarray]) -> list[dict[str, float]]:
        """The costlier second opinion for windows the short encoding is unsure of: two 30 s
        encodings of each clip, padded and tiled, averaged (``language.two_encodings``)."""
        return two_encodings(partial(self.language_probabilities, padded=True), clips)

    def language_probabilities(
        self, clips: list[np.ndarray], batch_size: int = 8, *, padded: bool = False
    ) -> list[dict[str, float]]:
        """Probability of every language for each clip (at most 30 s each), batched.

        Clips are encoded at their own length (at least 5 s) instead of padded to 30 s:
        CTranslate2 accepts shorter inputs and identification is about as accurate, at a fraction
        of the cost (measured: 5 s input 0.08 s vs 30 s input 0.5 s with base on 2 cores).
        Clips of similar length share a batch, padded to the longest of them. ``padded``
        encodes every clip padded to 30 s, as Whisper was trained: the costlier second opinion
        for windows the short encoding is unsure of (``language.identify_languages``).
        """
        if not self.is_multilingual:
            return [{"en": 1.0} for _ in clips]
        from whisperx.audio import log_mel_spectrogram  # lazy: whisperx loads torch (kept out of the web tier)

        n_mels = self.model.feat_kwargs.get("feature_size") or 80
        out: list[dict[str, float]] = [{} for _ in clips]
        order = sorted(range(len(clips)), key=lambda i: clips[i].shape[0])
        for first in range(0, len(order), batch_size):
            group = order[first : first + batch_size]
            pieces = [np.asarray(clips[i][:N_SAMPLES], dtype=np.float32) for i in group]
            longest = N_SAMPLES if padded else max(p.shape[0] for p in pieces)
            target = min(N_SAMPLES, max(MIN_LID_SAMPLES, longest))
            mels = np.stack(
                [
                    np.asarray(log_mel_spectrogram(p, n_mels=n_mels, padding=target - p.shape[0]))[
                        :, : target // HOP_LENGTH
                    ]
                    for p in pieces
                ]
            ).astype(np.float32)
            with self.lock:
                ranked = self.model.model.detect_language(self.model.encode(np.ascontiguousarray(mels)))
            for index, row in zip(group, ranked, strict=True):
                out[index] = {token[2:-2]: float(prob) for token, prob in row}
        return out

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        language: str | None = None,
        regions: list[tuple[float, float]] | None = None,
        progress: Callable[[float], None] | None = None,
        mask: np.ndarray | None = None,
    ) -> tuple[list[Segment], str]:
        """Transcribe mono 16 kHz ``audio``. Returns segments with word timings, and the language.

        ``regions`` are the chunks to decode (default: this model's VAD chunks); every word is
        tagged with ``language``. ``mask`` is the channel's ``speech_mask`` when the caller
        transcribes it in several calls (one per language), so it is computed once."""
        from faster_whisper.tokenizer import Tokenizer  # lazy: loads ctranslate2 (kept out of the web tier)
        from whisperx.audio import log_mel_spectrogram  # lazy: whisperx loads torch (kept out of the web tier)

        audio = np.asarray(audio, dtype=np.float32)
        regions = self.speech_regions(audio) if regions is None else regions
        if self.config.english_only:
            language = "en"
        elif language is None:
            language = self.detect_language(audio)[0] if regions else "en"
        tokenizer = Tokenizer(self.model.hf_tokenizer, self.is_multilingual, task="transcribe", language=language)
        options = self.pipeline.options
        prompt = self.model.get_prompt(tokenizer, [], without_timestamps=True)
        n_mels = self.model.feat_kwargs.get("feature_size") or 80
        segments: list[Segment] = []
        batch = max(1, self.config.batch_size)
        for first in range(0, len(regions), batch):
            group = regions[first : first + batch]
            clips = [audio[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in group]
            mels = np.stack(
                [log_mel_spectrogram(c, n_mels=n_mels, padding=N_SAMPLES - c.shape[0]) for c in clips]
            ).astype(np.float32)
            with self.lock:
                encoded = self.model.encode(mels)
                decoded = self._decode(encoded, [prompt] * len(group))
                for i, (ids, _) in enumerate(decoded):
                    if _loop_ratio(tokenizer, ids) > COMPRESSION_RATIO_LIMIT:
                        decoded[i] = self._decode_without_loop(tokenizer, _row(encoded, i), prompt, decoded[i])
                tokens = [[t for t in ids if t < tokenizer.eot] for ids, _ in decoded]
                frames = [min(c.shape[0] // self.model.feature_extractor.hop_length, 3000) for c in clips]
                alignments = self._align(tokenizer, tokens, encoded, frames)
            for (start, end), toks, (ids, score), words in zip(group, tokens, decoded, alignments, strict=True):
                text = tokenizer.decode(toks).strip()
                if not text:
                    continue
                seg_words = _words_with_punctuation(words, offset=start, language=language)
                avg_logprob = score * (len(ids) ** options.length_penalty) / (len(ids) + 1)
                segments.append(
                    Segment(start=start, end=end, text=text, words=seg_words, avg_logprob=float(avg_logprob))
                )
            if progress:
                progress(min(100.0, 100.0 * (first + len(group)) / max(1, len(regions))))
        if self.config.align_model_dir:
            self._align_with_wav2vec2(segments, audio, language)
        mask = speech_mask(audio) if mask is None else mask
        for segment in segments:
            snap_words_to_speech(segment.words, mask)
        return segments, language

    def _align_with_wav2vec2(self, segments: list[Segment], audio: np.ndarray, language: str) -> None:
        """Replace word timings with ``whisperx.align`` (phoneme CTC alignment) where it gives them."""
        import whisperx  # lazy: whisperx loads torch (kept out of the web tier)
        from whisperx.alignment import LANGUAGES_WITHOUT_SPACES  # lazy, as above

        model, metadata = _align_model(self.config.align_model_dir, language, self.config.device)
        unspaced = language in LANGUAGES_WITHOUT_SPACES  # aligned character by character, written unspaced
        aligned = whisperx.align(
            [{"text": s.text, "start": s.start, "end": s.end} for s in segments],
            model,
            metadata,
            audio,
            self.config.device,
        )
        for segment, result in zip(segments, aligned["segments"], strict=False):
            timed = [w for w in result.get("words", []) if "start" in w and "end" in w]
            if timed:
                segment.words = [
                    Word(
                        text=w["word"].strip(),
                        start=round(float(w["start"]), 3),
                        end=round(float(w["end"]), 3),
                        probability=round(float(w.get("score", 1.0)), 3),
                        language=language,
                        joined=unspaced,
                    )
                    for w in timed
                ]

    def _decode(self, encoded, prompts: list, **overrides) -> list[tuple[list[int], float]]:
        """Beam search with the pipeline's options (``overrides`` replace some): (token ids,
        score) of the best hypothesis per row. Called with ``self.lock`` held."""
        options = self.pipeline.options
        settings = {
            "beam_size": self.config.beam_size,
            "patience": options.patience,
            "length_penalty": options.length_penalty,
            "max_length": self.model.max_length,
            "suppress_blank": options.suppress_blank,
            "suppress_tokens": options.suppress_tokens,
            "no_repeat_ngram_size": options.no_repeat_ngram_size,
            "repetition_penalty": options.repetition_penalty,
            "return_scores": True,
        }
        results = self.model.model.generate(encoded, prompts, **{**settings, **overrides})
        return [(r.sequences_ids[0], r.scores[0]) for r in results]

    def _decode_without_loop(
        self, tokenizer, encoded, prompt, first: tuple[list[int], float]
    ) -> tuple[list[int], float]:
        """A chunk whose beam-search text loops is decoded again with repetition held back
        (``LOOP_FALLBACKS``, in turn): the first answer that does not loop is kept, else the one
        that loops least. Deterministic, so a call decodes the same way every time. Its score is
        under the penalty, so the chunk's avg_logprob reads a little low."""
        best, best_ratio = first, _loop_ratio(tokenizer, first[0])
        for fallback in LOOP_FALLBACKS:
            candidate = self._decode(encoded, [prompt], **fallback)[0]
            ratio = _loop_ratio(tokenizer, candidate[0])
            if ratio < best_ratio:
                best, best_ratio = candidate, ratio
            if ratio <= COMPRESSION_RATIO_LIMIT:
                break
        logger.info("a looping decode was decoded again with repetition held back (compression ratio %.2f)", best_ratio)
        return best

    def _align(self, tokenizer, tokens: list[list[int]], encoded, frames: list[int]) -> list[list[dict]]:
        nonempty = [i for i, t in enumerate(tokens) if t]
        out: list[list[dict]] = [[] for _ in tokens]
        if not nonempty:
            return out
        if len(nonempty) != len(tokens):
            # ctranslate2 aligns a whole batch; realign only rows with text, one by one.
            for i in nonempty:
                out[i] = self.model.find_alignment(tokenizer, [tokens[i]], _row(encoded, i), frames[i])[0]
            return out
        return self.model.find_alignment(tokenizer, tokens, encoded, frames)


_PUNCTUATION = set("\"'“”¿([{-.。,，!！?？:：)]}、;…")
# Written without spaces between words: Whisper's words there are pieces of the text with nothing
# between them (faster-whisper splits them on characters for the same set).
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "yue"})


def _words_with_punctuation(aligned: list[dict], *, offset: float, language: str = "") -> list[Word]:
    """Aligned tokens to words as Whisper prints them: punctuation glued to its neighbour, and a
    piece printed with no space before it glued to the word before (French "m" + "'ennuyez" is
    one word, "m'ennuyez", not two). In a language written without spaces every piece stays a
    word, marked ``joined`` where no space precedes it, so the text reads as written."""
    words: list[Word] = []
    unspaced = language in UNSPACED_LANGUAGES
    for item in aligned:
        raw = item["word"]
        text = raw.strip()
        if not text:
            continue
        if words and all(ch in _PUNCTUATION for ch in text):
            words[-1].text += text
            continue
        # No space before it: part of the word before, or (unspaced scripts) written right after
        # it, across a chunk boundary too (``join_words`` ignores this on a turn's first word).
        attached = (bool(words) or unspaced) and not raw[:1].isspace()
        if attached and not unspaced:
            words[-1].text += text
            words[-1].end = round(max(words[-1].end, offset + float(item["end"])), 3)
            words[-1].probability = round(min(words[-1].probability, float(item["probability"])), 3)
            continue
        begin = offset + float(item["start"])
        words.append(
            Word(
                text=text,
                start=round(begin, 3),
                end=round(max(offset + float(item["end"]), begin + 0.02), 3),
                probability=round(float(item["probability"]), 3),
                language=language,
                joined=attached,
            )
        )
    return words


MASK_HOP = 0.01  # seconds per speech-mask frame


def speech_mask(audio: np.ndarray, hop: float = MASK_HOP) -> np.ndarray:
    """True where a 10 ms frame is louder than the channel's noise floor by 12 dB."""
    step = int(hop * SAMPLE_RATE)
    n = audio.shape[0] // step
    if n == 0:
        return np.zeros(0, dtype=bool)
    frames = np.asarray(audio[: n * step], dtype=np.float32).reshape(n, step)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    floor = np.percentile(db, 10)
    threshold = max(floor + 12.0, db.max() - 50.0)
    return db > threshold


def snap_words_to_speech(words: list[Word], mask: np.ndarray, hop: float = MASK_HOP) -> None:
    """Tighten word times to where there is sound, in place.

    Cross-attention alignment smears a chunk's last words into the silence that follows, and
    can drop a word into a silent stretch; such a word is moved to just after its predecessor.
    """
    if mask.size == 0:
        return
    previous_end: float | None = None
    for word in words:
        first, last = int(word.start / hop), int(np.ceil(word.end / hop))
        inside = np.flatnonzero(mask[max(0, first) : min(mask.size, last)])
        if inside.size:
            word.start = round((first + inside[0]) * hop, 3)
            word.end = round(max((first + inside[-1] + 1) * hop, word.start + 0.02), 3)
        elif previous_end is not None:
            length = min(word.end - word.start, 0.4)
            word.start = round(previous_end, 3)
            word.end = round(previous_end + max(length, 0.05), 3)
        previous_end = word.end


def _row(encoded, index: int):
    import ctranslate2  # lazy: heavy native library (kept out of the web tier)

    array = np.asarray(encoded) if not hasattr(encoded, "device") or encoded.device == "cpu" else None
    if array is None:  # pragma: no cover - GPU storage; move to host first
        array = np.asarray(encoded.to_device(ctranslate2.Device.cpu))
    return ctranslate2.StorageView.from_array(np.ascontiguousarray(array[index : index + 1]))


_ALIGN_CACHE: dict[tuple[str, str, str], tuple] = {}


def _align_model(directory: str, language: str, device: str) -> tuple:
    """A local wav2vec2 CTC model directory (``WHISPER_ALIGN_MODEL_DIR``), loaded once."""
    key = (directory, language, device)
    if key not in _ALIGN_CACHE:
        if not (Path(directory) / "config.json").exists():
            raise FileNotFoundError(
                f"WHISPER_ALIGN_MODEL_DIR={directory} does not hold a wav2vec2 model (no config.json); "
                "unset it to use Whisper's own word timings"
            )
        import whisperx  # lazy: whisperx loads torch (kept out of the web tier)

        _ALIGN_CACHE[key] = whisperx.load_align_model(language, device, model_name=directory, model_cache_only=True)
    return _ALIGN_CACHE[key]


_CACHE: dict[AsrConfig, Transcriber] = {}
_CACHE_LOCK = threading.Lock()


def get_transcriber(config: AsrConfig) -> Transcriber:
    """One loaded model per configuration per process."""
    with _CACHE_LOCK:
        cached = _CACHE.get(config)
        if cached is not None:
            return cached
        import whisperx  # lazy: whisperx loads torch (kept out of the web tier)

        language = "en" if config.english_only else config.language
        compute_type = supported_compute_type(config.device, config.compute_type)
        pipeline = whisperx.load_model(
            config.model,
            config.device,
            compute_type=compute_type,
            language=language,
            vad_method="pyannote",
            asr_options={"beam_size": config.beam_size, "best_of": config.beam_size},
            threads=config.threads or _default_threads(),
            local_files_only=True,
        )
        # The config it runs with (its version names the compute type really used), cached under
        # the one asked for.
        transcriber = Transcriber(config=replace(config, compute_type=compute_type), pipeline=pipeline)
        _CACHE[config] = transcriber
        logger.info("loaded ASR model %s on %s (%s)", config.model, config.device, compute_type)
        return transcriber


# Where a device lacks the compute type asked for, the nearest it has that is no less precise:
# int16 is asked for because int8 costs accuracy (sample.wav WER 16.0% with int8, 12.3% with
# int16 or float32, on an AVX-512 Xeon and on an AVX2 EPYC alike), so it falls back to float32.
PRECISE_FALLBACKS = {
    "int16": ("float32",),
    "float16": ("float32",),
    "bfloat16": ("float32",),
    "int8_float16": ("int8_float32",),
    "int8_bfloat16": ("int8_float32",),
}


def supported_compute_type(device: str, wanted: str) -> str:
    """``wanted`` where this machine runs it, else the nearest type it has that is no less
    precise (``PRECISE_FALLBACKS``), else int8. CTranslate2 refuses a compute type the device or
    backend lacks: int16 needs Intel MKL, which AMD, ARM and some x86 builds do not use."""
    import ctranslate2  # lazy: part of the speech stack

    supported = ctranslate2.get_supported_compute_types(device)
    if wanted in supported or wanted in ("default", "auto"):
        return wanted
    fallback = next((t for t in (*PRECISE_FALLBACKS.get(wanted, ()), "int8") if t in supported), "default")
    logger.warning("compute type %s is not supported on this %s; using %s", wanted, device, fallback)
    return fallback


def _default_threads() -> int:
    return max(1, min(8, os.cpu_count() or 1))
