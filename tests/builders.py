"""Small hand-made objects shared by the test modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from annotation.models import Speaker, Turn

ROOT = Path(__file__).resolve().parents[1]


def ready_call(project, texts=("hello",)):
    """A ready ten-second call of ``project`` with one customer speaker on channel 1 and one
    2.5-second turn per text, 3 seconds apart. Returns (call, speaker, turns)."""
    call = project.calls.create(original_name="c.wav", sha256="3" * 64, audio="c.wav", status="ready", duration=10)
    speaker = Speaker.objects.create(call=call, label="CH1", role="customer", channel=1)
    turns = [
        Turn.objects.create(call=call, speaker=speaker, order=i, start=i * 3, end=i * 3 + 2.5, text=text)
        for i, text in enumerate(texts)
    ]
    return call, speaker, turns


def django_run(code: str, env: dict[str, str]) -> str:
    """Run ``code`` after ``django.setup()`` in a fresh Python with exactly ``env`` (settings are
    read at start-up, so this is how a test sees what an environment makes of them); its stdout."""
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
