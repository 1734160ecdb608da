"""Shared fixtures: real audio (pyannote's sample call, espeak-ng synthetic calls), a project on
the default taxonomy, an isolated media root, and real worker processes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from annotation.pipeline.asr import AsrConfig, get_transcriber
from annotation.pipeline.model_store import prepare_all
from annotation.pipeline.synth import AGENT_VOICE, CUSTOMER_VOICE, Utterance, render_call, write_wav

SAMPLE_DIR = Path(__import__("pyannote.audio").audio.__file__).parent / "sample"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session")
def sample_wav() -> Path:
    return SAMPLE_DIR / "sample.wav"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


TWO_VOICE_SCRIPT = [
    Utterance("agent", "Good morning, you are through to billing. How can I help?", **AGENT_VOICE),
    Utterance("customer", "Hello. I was charged twice for my subscription this month.", **CUSTOMER_VOICE),
    Utterance("agent", "I am sorry about that. Let me check your account for you.", **AGENT_VOICE),
    Utterance("customer", "Thank you. The charge was on the fourth and again on the fifth.", **CUSTOMER_VOICE),
    Utterance("agent", "I can see both charges. I will refund the second one today.", **AGENT_VOICE),
    Utterance("customer", "That is great, thanks a lot for your help.", **CUSTOMER_VOICE),
]


@pytest.fixture(scope="session")
def two_voice_call(tmp_path_factory):
    """(dual-channel path, mono-mix path, true spans) of a six-turn, two-voice call."""
    folder = tmp_path_factory.mktemp("synth")
    dual, spans = render_call(TWO_VOICE_SCRIPT, {"agent": 0, "customer": 1})
    mono, _ = render_call(TWO_VOICE_SCRIPT)
    return write_wav(folder / "dual.wav", dual), write_wav(folder / "mono.wav", mono), spans


def read_rttm(path: Path) -> list[tuple[str, float, float]]:
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        start, duration = float(parts[3]), float(parts[4])
        rows.append((parts[7], start, start + duration))
    return rows


@pytest.fixture
def taxonomy(db):
    from taxonomy.services import taxonomy_get_or_create_default

    return taxonomy_get_or_create_default()


@pytest.fixture
def project(taxonomy):
    from annotation.services import project_create

    return project_create(name="Test project", slug="test", taxonomy=taxonomy)


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from annotera.roles import ensure_role_groups

    def make(username: str, role: str | None = None, **extra):
        ensure_role_groups()
        user = get_user_model().objects.create_user(username=username, password="pw-" + username, **extra)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def pm(project, make_user):
    """A project manager who manages ``project``."""
    from annotation.models import ProjectMembership
    from annotation.services import project_add_member

    user = make_user("pm", "project_manager")
    project_add_member(project=project, user=user, role=ProjectMembership.Role.MANAGER)
    return user


@pytest.fixture
def reviewer(project, make_user):
    """A QA reviewer who reviews ``project``."""
    from annotation.models import ProjectMembership
    from annotation.services import project_add_member

    user = make_user("rev", "qa_reviewer")
    project_add_member(project=project, user=user, role=ProjectMembership.Role.REVIEWER)
    return user


MODELS = Path(__file__).resolve().parents[1] / "var" / "models"


@pytest.fixture(scope="session")
def models_dir() -> Path:
    prepare_all(MODELS)
    return MODELS


@pytest.fixture(scope="session")
def tiny(models_dir):
    return get_transcriber(AsrConfig(model=str(models_dir / "tiny.en")))


@pytest.fixture(scope="session")
def base(models_dir):
    return get_transcriber(AsrConfig(model=str(models_dir / "base")))


def redis_url() -> str | None:
    return os.environ.get("ANNOTERA_REDIS_URL")


# --- the real browser (Playwright driving Debian's Chromium), shared by every browser test module
@pytest.fixture(scope="session")
def _playwright_browser():
    """One Chromium for the session. Playwright's sync API runs an event loop in this thread from
    here on; the ORM calls of the tests are synchronous and safe, so Django's async guard is lifted
    while the browser lives (and restored after)."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
        )  # fmt: skip
        yield instance
        instance.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser(_playwright_browser):
    """The session's Chromium; every context a test opened is closed after it. Left open, the
    pages of earlier tests (playing audio, polling) piled up in the one browser until a later
    ``new_context``/``new_page`` (calls with no timeout) never answered: the CI hang."""
    yield _playwright_browser
    for context in list(_playwright_browser.contexts):
        context.close()
