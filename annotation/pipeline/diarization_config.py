"""The mono diarization's settings (chosen on the tune half of ``benchmarks/diarization_suite.py``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiarizationConfig:
    max_speakers: int = 6
    min_speakers: int = 1
    window_step: float = 1.0  # seconds between 5 s segmentation windows, snapped to whole model frames
    active: float = 0.5  # local speaker activation threshold
    link_jaccard: float = 0.5  # soft Jaccard of overlap activity that links local speakers
    min_local_seconds: float = 0.2  # local speakers with less activity in a window are noise
    window_hop: float = 1.6  # seconds between the 1.6 s embedding windows' starts
    window_min_solo: float = 0.5  # share of a window that must be one speaker's solo speech
    window_purity: float = 0.8  # share of that speech that must be the owner's
    cluster_threshold: float = 0.175  # cosine distance where agglomerative clustering stops
    split_similarity: float = 0.9  # a tracklet whose two halves sound less alike than this is split
    min_piece_windows: int = 2  # each side of such a split has at least this many windows
    pause_split_seconds: float = 0.5  # a tracklet silent this long between two windows is cut there
    min_cluster_piece_windows: int = 2  # pieces with fewer windows join clusters, never found them
    link_min_seconds: float = 1.0  # each of two local speakers of a window speaks alone this long...
    link_min_windows: int = 2  # ...in this many windows: then their pieces are never one speaker
    linked_speaker_seconds: float = 3.2  # a smaller cluster kept apart from every large one is a speaker
    distinct_speaker_distance: float = 0.22  # ...as is one at least this far (cosine) from every large one
    min_speaker_seconds: float = 4.8  # a cluster with less window speech is not a speaker
    overlap_active: float = 0.9  # a second simultaneous speaker needs this activation
    min_gap_seconds: float = 0.3  # one speaker's pauses shorter than this stay inside a span
    min_span_seconds: float = 0.1
