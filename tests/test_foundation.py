"""Roles, login, the home redirect, settings from the environment, and the deploy check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from annotera import roles

from .builders import django_run

ROOT = Path(__file__).resolve().parents[1]


def test_role_groups_exist_with_scoped_permissions(db):
    roles.ensure_role_groups()
    perms = {
        g.name: set(g.permissions.values_list("codename", flat=True))
        for g in Group.objects.filter(name__in=roles.PRIORITY)
    }
    assert set(perms) == set(roles.PRIORITY)
    assert "change_turnannotation" in perms[roles.ANNOTATOR]
    assert "change_call" not in perms[roles.ANNOTATOR] and "add_taxonomy" not in perms[roles.ANNOTATOR]
    assert "add_adjudication" in perms[roles.QA_REVIEWER] and "add_call" not in perms[roles.QA_REVIEWER]
    assert {"add_call", "add_taxonomy", "add_assignment"} <= perms[roles.PROJECT_MANAGER]
    assert len(perms[roles.ADMIN]) > len(perms[roles.PROJECT_MANAGER])


@pytest.mark.parametrize(
    ("role", "target"),
    [
        (roles.ANNOTATOR, "annotation:queue"),
        (roles.QA_REVIEWER, "qa:dashboard"),
        (roles.PROJECT_MANAGER, "annotation:project_list"),
        (roles.ADMIN, "annotation:project_list"),
    ],
)
def test_home_sends_each_role_to_its_place(client, make_user, role, target):
    user = make_user("u", role)
    if role == roles.ANNOTATOR:  # with a profile; without one, home asks for it (tests/people)
        from annotation.models import AnnotatorProfile

        AnnotatorProfile.objects.create(user=user, languages=[{"code": "en", "proficiency": "native"}])
    assert client.login(username="u", password="pw-u")
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse(target)
    assert client.get(response.url).status_code == 200


def test_anonymous_users_are_sent_to_login_and_roleless_users_told_why(client, make_user):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    make_user("nobody")
    client.login(username="nobody", password="pw-nobody")
    response = client.get(reverse("home"))
    assert response.status_code == 403 and b"No role yet" in response.content


def test_login_and_logout_round_trip(client, make_user):
    make_user("ann", roles.ANNOTATOR)
    response = client.post(reverse("login"), {"username": "ann", "password": "pw-ann"})
    assert response.status_code == 302
    assert client.get(reverse("annotation:queue")).status_code == 200
    bad = client.post(reverse("login"), {"username": "ann", "password": "wrong"})
    assert b"didn&#x27;t match" in bad.content or b"didn't match" in bad.content
    client.post(reverse("logout"))
    assert client.get(reverse("annotation:queue")).status_code == 302


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        # Without the browser tests' async guard lift: production never sets it (check --deploy says so).
        env={**{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "k7#Qm2@vZ9!pL4&xR8^tY1*wE6(uI3)oP0-aS5_dF" * 2,
        "ALLOWED_HOSTS": "annotera.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", env={"DEBUG": "0", "SECRET_KEY": ""})
    assert result.returncode != 0 and "Set SECRET_KEY" in result.stderr


def test_database_and_broker_come_from_the_environment():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL, s.WHISPER_MODEL,"
        " s.WHISPER_DEVICE, s.WHISPER_BATCH_SIZE)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "annotera.settings",
        "DEBUG": "1",
        "DATABASE_URL": "postgres://u@db.internal:5432/annotera",
        "CELERY_BROKER_URL": "redis://cache:6379/1",
        "WHISPER_MODEL": "large-v3",
        "WHISPER_DEVICE": "cuda",
        "WHISPER_BATCH_SIZE": "16",
    }
    out = django_run(code, env).split()
    assert out == ["django.db.backends.postgresql", "annotera", "redis://cache:6379/1", "large-v3", "cuda", "16"]


def test_web_tier_imports_without_torch():
    """The web process must not pay for (or need) torch: the pipeline imports it lazily."""
    code = (
        "import sys;"
        "import annotation.views, annotation.api, annotation.stages, qa.views, annotera.urls;"
        "from django.urls import reverse; reverse('home');"
        "print(sorted(m for m in ('torch', 'whisperx', 'faster_whisper', 'parselmouth') if m in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "annotera.settings", "DEBUG": "1"}
    assert django_run(code, env).strip() == "[]"
