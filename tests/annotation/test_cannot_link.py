"""Cannot-link evidence from the segmentation model, and the clustering that respects it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist, squareform

from annotation.pipeline.cannot_link import (
    clusters_apart_from_all,
    constrained_average_linkage,
    piece_cannot_links,
)
from annotation.pipeline.diarization_config import DiarizationConfig
from annotation.pipeline.segmentation import LocalSegmentation
from annotation.pipeline.tracklets import build_tracklets

STEP = 0.1  # seconds per frame in these hand-made segmentations
FRAMES = 50  # 5 s windows
SHIFT = 10  # a window every 1 s


def _segmentation(voices: list[list[tuple[float, float]]], seconds: float) -> LocalSegmentation:
    """Each voice (a list of its spoken stretches) is the same local speaker in every window."""
    n_windows = int((seconds - 5.0) / 1.0) + 1
    scores = np.zeros((n_windows, FRAMES, 3), dtype=np.float32)
    for k, stretches in enumerate(voices):
        track = np.zeros(n_windows * SHIFT + FRAMES, dtype=np.float32)
        for start, end in stretches:
            track[int(round(start / STEP)) : int(round(end / STEP))] = 0.95
        for w in range(n_windows):
            scores[w, :, k] = track[w * SHIFT : w * SHIFT + FRAMES]
    return LocalSegmentation(scores, window_step=1.0, frame_step=STEP, frame_duration=STEP)


def _links(voices, seconds, centres_by_voice):
    """Cannot-links between one piece per voice, whose embedding windows sit at the given times."""
    config = DiarizationConfig()
    seg = _segmentation(voices, seconds)
    tracklets = build_tracklets(seg, config)
    owner_of_voice = {}
    for index, tracklet in enumerate(tracklets):
        owner_of_voice[tracklet.members[0][1]] = index
    centres, owners, pieces = [], [], []
    for voice, times in enumerate(centres_by_voice):
        for t in times:
            centres.append(t)
            owners.append(owner_of_voice[voice])
            pieces.append(voice)
    return piece_cannot_links(seg, tracklets, np.asarray(centres), np.asarray(owners), np.asarray(pieces), config)


def test_two_voices_taking_turns_inside_windows_are_cannot_linked():
    links = _links([[(0.0, 3.0)], [(3.4, 8.0)]], 10.0, [[0.8, 2.2], [4.2, 5.8, 7.2]])
    assert links == {(0, 1)}


def test_a_moment_of_a_second_local_speaker_links_nothing():
    # The model gives one voice a second local speaker for 0.3 s: not a turn change.
    assert _links([[(0.0, 2.0), (2.3, 8.0)], [(2.0, 2.3)]], 10.0, [[0.8, 4.0, 6.0], [2.15]]) == set()


def test_two_local_speakers_active_on_the_same_frames_link_nothing():
    # Mostly simultaneous activity: one voice doubled by the model, not two voices taking turns.
    assert _links([[(0.0, 8.0)], [(0.5, 7.5)]], 10.0, [[2.0, 4.0], [3.0, 5.0]]) == set()


def test_a_turn_change_seen_by_one_window_only_is_not_enough():
    # Voice 1 speaks for 1.2 s at the very end: only the last window holds enough of both.
    assert _links([[(0.0, 7.8)], [(7.8, 9.0)]], 9.0, [[2.0, 6.0], [8.4]]) == set()
    # The same turn change with more of voice 1 is seen by several windows: linked.
    assert _links([[(0.0, 7.8)], [(7.8, 11.0)]], 11.0, [[2.0, 6.0], [8.4, 10.0]]) == {(0, 1)}


@pytest.mark.parametrize("seed", range(5))
def test_without_constraints_it_is_scipys_average_linkage(seed):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(60, 8)) + np.repeat(rng.normal(scale=3.0, size=(4, 8)), 15, axis=0)
    distances = squareform(pdist(points, metric="cosine"))
    ours = constrained_average_linkage(distances, np.zeros((60, 60), dtype=bool), 0.3)
    theirs = fcluster(linkage(points, method="average", metric="cosine"), t=0.3, criterion="distance")
    # The same partition (labels may be numbered differently).
    pairs_ours = ours[:, None] == ours[None, :]
    pairs_theirs = theirs[:, None] == theirs[None, :]
    assert np.array_equal(pairs_ours, pairs_theirs)


def test_cannot_linked_items_are_never_merged_even_when_identical():
    distances = np.array(
        [
            [0.0, 0.0, 0.05, 0.9],
            [0.0, 0.0, 0.05, 0.9],
            [0.05, 0.05, 0.0, 0.9],
            [0.9, 0.9, 0.9, 0.0],
        ]
    )
    cannot = np.zeros((4, 4), dtype=bool)
    cannot[0, 1] = cannot[1, 0] = True
    labels = constrained_average_linkage(distances, cannot, 0.5)
    assert labels[0] != labels[1]
    assert labels[2] in (labels[0], labels[1])
    assert len({*labels}) == 3  # item 3 is far from everything


def test_a_constraint_follows_a_cluster_through_merges():
    # 0-1 are cannot-linked; 2 merges with 0 first, so 2 may then not join 1 either.
    distances = np.array([[0.0, 0.2, 0.01, 0.9], [0.2, 0.0, 0.02, 0.9], [0.01, 0.02, 0.0, 0.9], [0.9, 0.9, 0.9, 0.0]])
    cannot = np.zeros((4, 4), dtype=bool)
    cannot[0, 1] = cannot[1, 0] = True
    labels = constrained_average_linkage(distances, cannot, 0.5)
    assert labels[0] == labels[2] != labels[1]


def test_a_small_cluster_apart_from_every_large_one_is_a_speaker():
    labels = np.array([0, 0, 1, 1, 2, 3])
    seconds = np.array([20.0, 20.0, 3.2, 1.6])
    large = np.array([0, 1])
    cannot = {(0, 4), (2, 4), (0, 5)}  # cluster 2 took turns with both large ones; 3 with one
    assert clusters_apart_from_all(labels, seconds, large, cannot, 3.2).tolist() == [2]
    assert clusters_apart_from_all(labels, seconds, large, cannot, 5.0).tolist() == []
    assert clusters_apart_from_all(labels, seconds, large, set(), 3.2).tolist() == []


def test_a_tracklet_is_cut_where_it_pauses_not_where_it_breathes():
    """The model carried one local speaker across a turn change (0.6 s of silence): the windows
    either side are different pieces. A 0.3 s pause inside one turn cuts nothing."""
    from annotation.pipeline.diarize import pause_cuts

    config = DiarizationConfig()
    seg = _segmentation([[(0.0, 3.0), (3.6, 5.8), (6.1, 9.0)]], 11.0)
    (tracklet,) = build_tracklets(seg, config)
    centres = np.array([0.9, 2.1, 4.4, 5.2, 7.0, 8.2])
    assert pause_cuts(centres, tracklet, seg, config) == [2]


def _voice(rng, direction: np.ndarray, n: int) -> np.ndarray:
    vectors = direction[None, :] + 0.03 * rng.standard_normal((n, direction.size))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_speaker_whose_turns_are_short_still_counts_all_of_them():
    """Regression: pieces of one window (short turns) were left out of a cluster's speech, so a
    customer with three short turns (one two-window piece, two one-window pieces: 6.4 s) held
    3.2 s, under ``min_speaker_seconds``, and was merged into the agent."""
    from annotation.pipeline.diarize import Windows, cluster_windows

    rng = np.random.default_rng(7)
    agent, customer = np.zeros(32), np.zeros(32)
    agent[0], customer[0], customer[1] = 1.0, 0.6, 0.8  # cosine distance 0.4
    vectors = np.concatenate([_voice(rng, agent, 6), _voice(rng, customer, 4)])
    pieces = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 5])  # agent: 0-2; customer: 3 (2 windows), 4, 5
    windows = Windows(np.arange(10) * 2.0, pieces.copy(), vectors)
    config = DiarizationConfig()
    assert config.min_cluster_piece_windows == 2
    labels = cluster_windows(windows, config, pieces)
    assert len(set(labels[:6])) == 1 and len(set(labels[6:])) == 1
    assert labels[0] != labels[6]


def test_a_speaker_with_only_one_window_turns_heard_taking_turns_is_kept_apart():
    """Regression (review): with every customer turn a one-window piece, none could found a
    cluster, and all of them joined the agent even though each was heard taking turns with it."""
    from annotation.pipeline.diarize import Windows, cluster_windows

    rng = np.random.default_rng(7)
    agent, customer = np.zeros(32), np.zeros(32)
    agent[0], customer[0], customer[1] = 1.0, 0.6, 0.8
    vectors = np.concatenate([_voice(rng, agent, 6), _voice(rng, customer, 5)])
    pieces = np.array([0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 7])
    cannot = {(p, q) for p in (0, 1, 2) for q in (3, 4, 5, 6, 7)}
    labels = cluster_windows(Windows(np.arange(11) * 2.0, pieces.copy(), vectors), DiarizationConfig(), pieces, cannot)
    assert len(set(labels[:6])) == 1 and len(set(labels[6:])) == 1 and labels[0] != labels[6]


def test_two_short_pieces_that_took_turns_do_not_join_one_cluster():
    from annotation.pipeline.diarize import _join_nearest

    agent, customer = np.zeros(8), np.zeros(8)
    agent[0], customer[1] = 1.0, 1.0
    sums = np.stack([agent, customer, customer, customer])
    forbidden = np.zeros((4, 4), dtype=bool)
    forbidden[2, 3] = forbidden[3, 2] = True
    labels = _join_nearest(np.array([0, 1, -1, -1]), sums, forbidden, 0.175)
    assert labels[2] == 1 and labels[3] != labels[2]


@pytest.mark.parametrize("distance, speakers", [(0.4, 3), (0.19, 2)], ids=["unlike both parties", "near the agent"])
def test_a_small_cluster_is_a_speaker_only_when_it_sounds_unlike_every_large_one(distance, speakers):
    """Two windows (3.2 s) of a third voice, never heard taking turns with anyone: a speaker when
    its voice is far from both parties', else the agent's voice on another line (it joins him)."""
    from annotation.pipeline.diarize import Windows, cluster_windows

    rng = np.random.default_rng(3)
    agent, customer = np.zeros(32), np.zeros(32)
    agent[0], customer[1] = 1.0, 1.0
    third = np.zeros(32)
    third[0], third[2] = 1.0 - distance, np.sqrt(1.0 - (1.0 - distance) ** 2)  # cosine distance to the agent
    vectors = np.concatenate([_voice(rng, agent, 6), _voice(rng, customer, 6), _voice(rng, third, 2)])
    pieces = np.repeat(np.arange(7), 2)  # every piece two windows: each can found a cluster
    config = DiarizationConfig()
    assert 2 * config.window_hop < config.min_speaker_seconds
    labels = cluster_windows(Windows(np.arange(14) * 2.0, pieces.copy(), vectors), config, pieces)
    assert len(set(labels)) == speakers
    assert len(set(labels[:6])) == 1 and len(set(labels[6:12])) == 1 and labels[0] != labels[6]


def test_two_small_clusters_of_one_third_voice_are_one_speaker():
    """Review: each of two small clusters 0.2 apart (one voice the clustering cut in two) was far
    from both parties, and both were kept: four speakers for three voices."""
    from annotation.pipeline.diarize import Windows, cluster_windows

    rng = np.random.default_rng(5)
    agent, customer, first, second = (np.zeros(32) for _ in range(4))
    agent[0], customer[1] = 1.0, 1.0
    first[2] = 1.0
    second[2], second[3] = 0.8, 0.6  # cosine distance 0.2 from ``first``, 1.0 from both parties
    vectors = np.concatenate(
        [_voice(rng, agent, 6), _voice(rng, customer, 6), _voice(rng, first, 2), _voice(rng, second, 2)]
    )
    pieces = np.repeat(np.arange(8), 2)
    config = DiarizationConfig()
    assert config.cluster_threshold < 0.2 < config.distinct_speaker_distance
    labels = cluster_windows(Windows(np.arange(16) * 2.0, pieces.copy(), vectors), config, pieces)
    assert len(set(labels)) == 3 and len(set(labels[12:])) == 1
