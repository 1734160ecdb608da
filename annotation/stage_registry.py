"""The machine-pass stages' registry and the types a stage is written against.

Kept apart from ``jobs`` (which runs stages) and ``stages`` (which defines them), so neither
imports the other: ``stages`` registers each stage here as it is defined, the app's
``AnnotationConfig.ready()`` imports ``stages`` once, and ``jobs`` reads the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from annotera.background import ProgressFn

from .models import ProcessingJob

CommitFn = Callable[[], dict]


class BadInput(Exception):
    """Input a person must fix (not audio, too long, silent...). Never retried."""


@dataclass(frozen=True)
class StageSpec:
    name: str
    title: str
    # Runs outside any transaction (slow work) and returns a function that writes the output;
    # the runner calls that inside the transaction that also marks the job done.
    compute: Callable[[ProcessingJob, ProgressFn], CommitFn]


_REGISTRY: dict[str, StageSpec] = {}
_ORDER: list[str] = []


def register_stage(name: str, title: str) -> Callable:
    def decorator(fn: Callable[[ProcessingJob, ProgressFn], CommitFn]) -> Callable:
        _REGISTRY[name] = StageSpec(name=name, title=title, compute=fn)
        if name not in _ORDER:
            _ORDER.append(name)
        return fn

    return decorator


def stage_names() -> list[str]:
    """The stages in the order they run."""
    return list(_ORDER)


def stage_spec(name: str) -> StageSpec:
    return _REGISTRY[name]
