"""One call that exercises what formats get wrong: turns with no text, cross-talk (two speakers at
once), speaker names with spaces and quotes, times and a duration with more than 3 decimals, a
multi-line transcript, and a judgement with no label."""

from __future__ import annotations

from annotation.models import Assignment, Call, Speaker, Turn, TurnAnnotation

AGENT = 'Agent "Jo" Smith'
CUSTOMER = "Customer X"
DURATION = 8.00049
TURNS = [  # speaker, start, end, text
    (AGENT, 0.51234, 2.00056, "hello, how can I help?"),
    (CUSTOMER, 1.5004, 3.25, ""),  # cross-talk with the turn before, no words recognised
    (AGENT, 3.33333, 4.44444, 'she said "no" & <left>'),
    (CUSTOMER, 4.5, 6.12345, ""),
    (AGENT, 6.2, 7.77777, "bye\nfor now"),
]


def make_call(project, *, name: str = "tricky.wav", duration: float = DURATION) -> Call:
    n = Call.objects.count()
    return Call.objects.create(
        project=project,
        audio=f"calls/{project.pk}/tricky{n}.wav",
        original_name=name,
        sha256=f"{n:064d}",
        duration=duration,
        sample_rate=16_000,
        channels=1,
        language="en",
        status=Call.Status.READY,
    )


def build_tricky_call(project, annotator) -> Call:
    call = make_call(project)
    speakers = {
        AGENT: Speaker.objects.create(call=call, label=AGENT, role="agent"),
        CUSTOMER: Speaker.objects.create(call=call, label=CUSTOMER, role="customer"),
    }
    assignment = Assignment.objects.create(call=call, annotator=annotator, status="submitted")
    for order, (speaker, start, end, text) in enumerate(TURNS):
        turn = Turn.objects.create(
            call=call, speaker=speakers[speaker], order=order, start=start, end=end, text=text, language="en"
        )
        labels = [] if order == 1 else [{"label": "anger", "intensity": 1 + order % 5}]
        TurnAnnotation.objects.create(
            assignment=assignment, turn=turn, taxonomy=project.taxonomy, labels=labels, valence=0.0, arousal=3.0
        )
    return call


def turns_of(call) -> list[tuple[str, float, float, str]]:
    return [(t.speaker.label, t.start, t.end, t.text) for t in call.turns.select_related("speaker").order_by("order")]


def assert_same_turns(got, want, *, with_text: bool = True, tolerance: float = 0.010) -> None:
    """Speakers and boundaries back within ``tolerance`` seconds (and the text, where the format has it)."""
    got = sorted(got, key=lambda t: (t[1], t[0]))
    want = sorted(want, key=lambda t: (t[1], t[0]))
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want, strict=True):
        assert g[0] == w[0], (g, w)
        assert abs(g[1] - w[1]) <= tolerance and abs(g[2] - w[2]) <= tolerance, (g, w)
        if with_text:
            assert g[3] == w[3], (g, w)
