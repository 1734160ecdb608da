from qa.consensus import Judgement, label_set_disagreement, turn_consensus


def j(annotator, *labels, valence=None, arousal=None, shifts=()):
    return Judgement(annotator, [{"label": k, "intensity": i} for k, i in labels], valence, arousal, list(shifts))


def test_majority_vote_soft_labels_and_dimensions():
    c = turn_consensus(
        [
            j(1, ("anger", 4), ("frustration", 2), valence=-2, arousal=4),
            j(2, ("anger", 2), valence=-1, arousal=5),
            j(3, ("neutral", 1), valence=0, arousal=3),
        ]
    )
    assert c.source == "vote"
    assert c.labels == [{"label": "anger", "intensity": 3}]
    shares = {s["label"]: (s["share"], s["mean_intensity"]) for s in c.soft_labels}
    assert shares == {"anger": (0.6667, 3.0), "frustration": (0.3333, 2.0), "neutral": (0.3333, 1.0)}
    assert c.valence == -1.0 and c.arousal == 4.0
    assert c.valence_sd == 0.8165
    assert c.annotators == 3
    assert 0 < c.disagreement < 1


def test_adjudication_wins_over_vote_but_keeps_soft_labels():
    c = turn_consensus(
        [j(1, ("anger", 4)), j(2, ("anger", 3))],
        {"labels": [{"label": "sarcasm", "intensity": 2}], "valence": -1, "arousal": 2, "shifts": []},
    )
    assert c.source == "adjudicated"
    assert c.labels == [{"label": "sarcasm", "intensity": 2}]
    assert c.soft_labels[0]["label"] == "anger" and c.soft_labels[0]["share"] == 1.0


def test_shifts_need_a_majority_within_tolerance():
    shift = {"at": 3.0, "from": "neutral", "to": "anger"}
    c = turn_consensus(
        [
            j(1, shifts=[shift]),
            j(2, shifts=[{**shift, "at": 3.4}]),
            j(3, shifts=[{**shift, "at": 9.0}]),
        ]
    )
    assert [s["at"] for s in c.shifts] == [3.0]


def test_no_annotations_means_no_consensus():
    assert turn_consensus([]).source == "none"


def test_disagreement_is_zero_when_unanimous_and_one_when_disjoint():
    assert label_set_disagreement([frozenset({"a"}), frozenset({"a"})]) == 0.0
    assert label_set_disagreement([frozenset({"a"}), frozenset({"b"})]) == 1.0


def test_shift_majority_counts_annotators_not_marks():
    # One annotator of three marking 1.0 s and 1.3 s is one vote, not a majority.
    mark = {"from": "neutral", "to": "anger"}
    c = turn_consensus([j(1, shifts=[{**mark, "at": 1.0}, {**mark, "at": 1.3}]), j(2), j(3)])
    assert c.shifts == []
    both = turn_consensus([j(1, shifts=[{**mark, "at": 1.0}, {**mark, "at": 1.3}]), j(2, shifts=[{**mark, "at": 1.2}]),
                           j(3)])  # fmt: skip
    assert len(both.shifts) == 1
