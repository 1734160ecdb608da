"""The machine-pass stages' registry and the types a stage is written against.

Kept apart from ``jobs`` (which runs stages) and ``stages`` (which defines them), so neither
imports the other: the ``stages`` package declares its explicit ordered ``STAGES`` list and
installs it here when imported (the app's ``AnnotationConfig.ready()`` imports it once), and
``jobs`` and ``selectors`` read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from annotera.background import ProgressFn

from .models import Call, ProcessingJob

CommitFn = Callable[[], dict]


class BadInput(Exception):
    """Input a person must fix (not audio, too long, silent...). Never retried. ``failure`` says
    what is at fault (``Call.Failure``): the call records it, and it decides whether a person's
    Retry can help (a setting an administrator fixes: yes; the audio itself: no)."""

    def __init__(self, message: str, *, failure: str = Call.Failure.BAD_AUDIO) -> None:
        super().__init__(message)
        self.failure = failure


@dataclass(frozen=True)
class StageSpec:
    name: str
    title: str
    # Runs outside any transaction (slow work) and returns a function that writes the output;
    # the runner calls that inside the transaction that also marks the job done.
    compute: Callable[[ProcessingJob, ProgressFn], CommitFn]


_REGISTRY: dict[str, StageSpec] = {}
_ORDER: list[str] = []


def register_stages(stages: tuple[StageSpec, ...]) -> None:
    """Install the machine pass: ``annotation.stages.STAGES``, one explicit ordered list."""
    _REGISTRY.clear()
    _REGISTRY.update({spec.name: spec for spec in stages})
    _ORDER[:] = [spec.name for spec in stages]


def stage_names() -> list[str]:
    """The stages in the order they run."""
    return list(_ORDER)


def stage_spec(name: str) -> StageSpec:
    return _REGISTRY[name]
