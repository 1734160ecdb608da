"""Recordings as they come: one mix saved as stereo, a call recorded far too low.

A stereo file that carries one mix on both channels is a mono call, not two parties. Before: such a file (a mono call saved as stereo, common in call recorders) went through the
dual-channel path, so every word was recognised on both channels and written twice, once as the
agent and once as the customer (pyannote's sample.wav copied to two channels: 166 turns of
doubled words instead of 8).
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from annotation.pipeline.audio import AudioLimits, decode, keep_one_channel
from annotation.pipeline.channels import MonoSource, channel_separation, mono_source


@pytest.fixture(scope="module")
def dialogue(two_voice_call):
    """(mono mix, dual-channel) samples of one two-voice dialogue."""
    dual_path, mono_path, _ = two_voice_call
    mono, _ = sf.read(mono_path, dtype="float32")
    dual, _ = sf.read(dual_path, dtype="float32", always_2d=True)
    return mono, dual.T


def test_a_mono_call_copied_to_both_channels_is_one_mix(dialogue):
    mono, _ = dialogue
    assert channel_separation(np.stack([mono, mono])) == pytest.approx(0.0, abs=0.01)
    assert mono_source(np.stack([mono, mono])) == MonoSource(0, "one mix")
    # A quieter or polarity-inverted copy is the same mix too; the louder copy is the source.
    assert mono_source(np.stack([-0.7 * mono, mono])) == MonoSource(1, "one mix")


@pytest.mark.parametrize("gain_db", [-8.0, -12.0, -20.0, -30.0])
def test_a_copy_turned_down_any_amount_is_still_one_mix(dialogue, gain_db):
    """Regression: a copy 8 dB or more down is as quiet as cross-talk, so the file went down the
    dual-channel path; the leakage rule then took the quiet side's words for cross-talk, and the
    whole call became one party."""
    mono, _ = dialogue
    noise = np.random.default_rng(2).standard_normal((2, mono.size)) * 3e-4
    stereo = np.stack([mono, 10 ** (gain_db / 20) * mono]) + noise
    assert mono_source(stereo.astype(np.float32)) == MonoSource(0, "one mix")


@pytest.mark.parametrize("answer_seconds", [0.2, 1.0])
@pytest.mark.parametrize("leak", [0.0, 0.1, 0.3, 0.5])
def test_a_dual_call_where_one_party_barely_speaks_stays_two_channels(dialogue, leak, answer_seconds):
    """The agent talks all through; the customer's channel holds one short answer and the
    agent's cross-talk. Their levels follow each other at a steady gain almost everywhere, but
    not during the answer, so this is two parties (and the leakage rule handles the rest)."""
    _, dual = dialogue
    customer = dual[1].copy()
    spoken = np.flatnonzero(np.abs(customer) > 0.02)
    customer[spoken[0] + int(answer_seconds * 16000) :] = 0.0  # only the start of the first answer
    stereo = np.stack([dual[0] + leak * customer, customer + leak * dual[0]])
    assert mono_source(stereo) is None


def _late(x: np.ndarray, ms: float) -> np.ndarray:
    d = int(16 * ms)
    return np.concatenate([np.zeros(d, x.dtype), x[: x.size - d]]) if d else x


@pytest.mark.parametrize(
    "layout",
    [
        "echo of the agent on the customer's channel, -8 dB",
        "echo -12 dB, 10 ms late",
        "customer 20 dB quieter than the agent, echo -25 dB",
        "a noisy agent line next to a clean customer line with -20 dB echo",
    ],
)
def test_real_two_party_recordings_at_uneven_gains_stay_two_channels(dialogue, layout):
    """Uneven legs and one-sided echo: the levels of the two channels are related, but not by one
    fixed gain where each party speaks, so neither stereo-mono rule may take one channel away."""
    _, (agent, customer) = dialogue
    noise = np.random.default_rng(3).standard_normal((2, agent.size)).astype(np.float32)
    stereo = {
        "echo of the agent on the customer's channel, -8 dB": np.stack([agent, customer + 0.4 * agent]),
        "echo -12 dB, 10 ms late": np.stack([agent, customer + 0.25 * _late(agent, 10)]),
        "customer 20 dB quieter than the agent, echo -25 dB": np.stack([agent, 0.1 * customer + 0.056 * agent]),
        "a noisy agent line next to a clean customer line with -20 dB echo": np.stack(
            [agent + 0.01 * noise[0], customer + 0.1 * agent]
        ),
    }[layout] + 3e-4 * noise[::-1]
    assert mono_source(stereo) is None


def test_the_mix_on_one_channel_and_one_partys_leg_on_the_other_keeps_the_mix(dialogue):
    _, dual = dialogue
    mix = dual[0] + dual[1]
    assert mono_source(np.stack([mix, dual[1]])) == MonoSource(0, "mix and leg")
    assert mono_source(np.stack([0.8 * dual[0], mix])) == MonoSource(1, "mix and leg")


def test_a_channel_with_no_speech_of_its_own_leaves_the_call_to_the_other(dialogue):
    mono, _ = dialogue
    assert mono_source(np.stack([mono, np.zeros_like(mono)])) == MonoSource(0, "one side silent")
    hiss = (np.random.default_rng(1).standard_normal(mono.size) * 10 ** (-50 / 20)).astype(np.float32)
    assert mono_source(np.stack([hiss, mono])) == MonoSource(1, "one side silent")


def test_a_real_dual_channel_call_is_not_a_mono_call_even_with_cross_talk(dialogue):
    _, dual = dialogue
    assert mono_source(dual) is None
    leaky = dual.copy()
    leaky[0] += 0.125 * dual[1]  # each party leaks into the other channel 18 dB down
    leaky[1] += 0.125 * dual[0]
    assert channel_separation(leaky) > 12.0
    assert mono_source(leaky) is None


def test_a_party_who_only_talks_over_the_other_stays_on_its_channel(dialogue):
    # The customer's channel holds only a few words spoken while the agent talks, at the agent's
    # level: close in level there, but its loudness does not follow the agent's channel.
    _, dual = dialogue
    agent = dual[0]
    customer = np.zeros_like(agent)
    loud = np.flatnonzero(np.abs(agent) > 0.05)
    start = loud[len(loud) // 2]
    customer[start : start + 8000] = dual[1][np.flatnonzero(np.abs(dual[1]) > 0.05)[0] :][:8000]
    assert mono_source(np.stack([agent, customer])) is None


def test_parties_panned_apart_stay_two_channels(dialogue):
    # Agent 70/30 left, customer 30/70 right: 7.4 dB apart, which the leakage rule can handle.
    _, dual = dialogue
    panned = np.stack([0.7 * dual[0] + 0.3 * dual[1], 0.3 * dual[0] + 0.7 * dual[1]])
    assert mono_source(panned) is None


def test_keep_one_channel_keeps_the_named_channel_whole(tmp_path, dialogue):
    mono, _ = dialogue
    stereo = np.stack([-0.5 * mono, mono]).T  # left: a quieter, inverted copy
    src = tmp_path / "stereo.wav"
    sf.write(src, stereo, 16000, subtype="FLOAT")
    decoded = decode(src, tmp_path / "call.pcm", AudioLimits())
    assert decoded.channels == 2
    kept = keep_one_channel(decoded, 1)  # which channel holds the call is mono_source's to say
    assert (kept.channels, kept.source_channels, kept.frames) == (1, 2, decoded.frames)
    samples = kept.load()
    assert samples.shape == (1, decoded.frames)
    np.testing.assert_allclose(samples[0], mono, atol=1e-6)  # the right channel, not a cancelled average
    assert kept.peak_dbfs == [decoded.peak_dbfs[1]]
    assert not list(tmp_path.glob("*.partial"))
    named = keep_one_channel(decode(src, tmp_path / "again.pcm", AudioLimits()), 0)
    np.testing.assert_allclose(named.load()[0], -0.5 * mono, atol=1e-6)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "layout",
    [
        "one mix on both channels",
        "mono call in the left channel only",
        "mix and the customer's leg",
        "one mix, the right channel 12 dB down",
    ],
)
def test_a_stereo_file_that_is_a_mono_call_becomes_one_with_each_word_once(layout, project, two_voice_call, client, pm):
    from annotation.jobs import run_pipeline_inline
    from annotation.models import Call
    from annotation.services import call_upload
    from annotation.stages.audio import MIX_AND_LEG_NOTE, ONE_MIX_NOTE, SILENT_CHANNEL_NOTE

    dual_path, mono_path, truth = two_voice_call
    mono, _ = sf.read(mono_path, dtype="float32")
    dual, _ = sf.read(dual_path, dtype="float32", always_2d=True)
    left, right, note = {
        "one mix on both channels": (mono, -0.7 * mono, ONE_MIX_NOTE),
        "mono call in the left channel only": (mono, 0 * mono, SILENT_CHANNEL_NOTE),
        "mix and the customer's leg": (mono, dual[:, 1], MIX_AND_LEG_NOTE),
        "one mix, the right channel 12 dB down": (mono, 0.25 * mono, ONE_MIX_NOTE),
    }[layout]
    stereo = mono_path.with_name("stereo-" + "".join(c if c.isalnum() else "-" for c in layout) + ".wav")
    sf.write(stereo, np.stack([left, right]).T, 16000, subtype="PCM_16")
    with stereo.open("rb") as fh:
        call = call_upload(
            project=project,
            fileobj=fh,
            filename="stereo.wav",
            channel_roles=["customer", "agent"],
            start_pipeline=False,
        ).call
    call = run_pipeline_inline(call=call)
    assert call.status == Call.Status.READY, call.error
    assert call.channels == 1 and call.coverage >= 0.99
    decode_job = call.jobs.get(stage="decode")
    assert decode_job.result["source_channels"] == 2 and decode_job.result["note"] == note
    turns = list(call.turns.select_related("speaker").order_by("order"))
    assert len({t.speaker.label for t in turns}) == 2  # found by diarization, not by channel
    assert all(t.speaker.channel is None for t in turns)
    # Each utterance is transcribed once: no turn overlaps another, and "refund" is said once.
    assert all(a.end <= b.start + 0.05 for a, b in zip(turns, turns[1:], strict=False))
    text = " ".join(t.text.lower() for t in turns)
    assert text.count("refund") == 1, text
    assert len(turns) <= len(truth) + 2
    client.force_login(pm)
    # The roles sent for the two channels do not apply to the one kept: the API does not state them.
    described = client.get(f"/api/calls/{call.id}/").json()
    assert (described["channels"], described["channel_roles"]) == (1, [])
    page = client.get(f"/calls/{call.id}/").content.decode()
    from django.utils.html import escape

    assert escape(note) in page


def test_audible_raises_only_a_quiet_channel():
    from annotation.pipeline.speech import AUDIBLE_PEAK, audible

    rng = np.random.default_rng(0)
    talk = np.repeat(np.arange(10) % 2 == 0, 8000)  # half a second on, half off: speech and pauses
    loud = np.where(talk, 0.3 * rng.standard_normal(talk.size), 1e-5 * rng.standard_normal(talk.size))
    loud = loud.clip(-1, 1).astype(np.float32)
    assert np.shares_memory(audible(loud), loud)  # at a normal level: as it is, no copy
    quiet = loud * np.float32(0.001)
    raised = audible(quiet)
    assert np.percentile(np.abs(raised), 99.9) == pytest.approx(AUDIBLE_PEAK, rel=0.05)
    assert not np.shares_memory(raised, quiet)  # the stored audio is never changed
    assert np.array_equal(audible(np.zeros(100, dtype=np.float32)), np.zeros(100))
    # A line with only hiss on it (-70 dBFS) is not raised into loud hiss: its floor stays quiet.
    hiss = (rng.standard_normal(16000 * 5) * 10 ** (-70 / 20)).astype(np.float32)
    levels = 10 * np.log10(np.mean(audible(hiss).reshape(-1, 160).astype(np.float64) ** 2, axis=1))
    assert np.percentile(levels, 10) <= -49.9


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_call_recorded_40_db_too_low_keeps_its_words_and_turns(project, sample_wav, tmp_path):
    """A real call 40 dB down gives about what it gives at its own level. Whisper floors log-mel
    energy at 1e-10 and the segmentation model's speaker activity depends on level: without
    raising the level, sample.wav at -40 dB lost "Oh, hello" and "Neither did I", and 8 turns
    became 5."""
    from annotation.jobs import run_pipeline_inline
    from annotation.models import Call
    from annotation.services import call_upload

    audio, rate = sf.read(sample_wav, dtype="float32")
    results = []
    for name, gain in (("as-recorded.wav", 1.0), ("quiet.wav", 0.01)):
        path = tmp_path / name
        sf.write(path, audio * np.float32(gain), rate, subtype="FLOAT")  # float: no quantisation
        with path.open("rb") as fh:
            call = call_upload(project=project, fileobj=fh, filename=name, start_pipeline=False).call
        call = run_pipeline_inline(call=call)
        assert call.status == Call.Status.READY, call.error
        turns = list(call.turns.select_related("speaker").order_by("order"))
        # Inside the recording: sample.wav's last turn used to end at 30.068 s of 30.0 (the VAD's
        # last frame), so a correction keeping that end was refused as outside the call.
        assert all(0 <= t.start < t.end <= call.duration for t in turns), (turns[-1].end, call.duration)
        assert all(w["e"] <= call.duration for t in turns for w in t.words)
        results.append(([t.text for t in turns], [t.speaker.label for t in turns], call.speakers.count()))
    (normal_text, normal_speakers, normal_count), (quiet_text, quiet_speakers, quiet_count) = results
    assert quiet_count == normal_count == 2
    assert abs(len(quiet_text) - len(normal_text)) <= 1  # unraised: 5 turns against 8
    words = [" ".join(text).lower().replace(".", "").replace(",", "").split() for text in (normal_text, quiet_text)]
    # A few words of a mumbled phrase may come out differently at another level (4 of 73 here).
    assert _word_errors(*words) <= 0.1 * len(words[0]), words


def _word_errors(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        previous, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref != hyp))
    return row[-1]
