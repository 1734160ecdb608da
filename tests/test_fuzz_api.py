"""Schemathesis against the OpenAPI schema, in process (WSGI): no generated request may get a 5xx.

Runs as each role (admin, project manager, QA reviewer, annotator), a bounded number of examples per operation
(``ANNOTERA_FUZZ_EXAMPLES``, default 12). Cases are derandomized, so CI draws the same ones on
every run and a failure reproduces; set ``ANNOTERA_FUZZ_RANDOM=1`` to explore fresh cases.
Hypothesis keeps its seed database out of the tree (``database=None``).
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given
from rest_framework.authtoken.models import Token

from annotation.models import Assignment, ProjectMembership, Suggestion
from annotation.services import project_add_member

from .builders import ready_call
from .fuzzing import fuzz_settings

EXAMPLES = int(os.environ.get("ANNOTERA_FUZZ_EXAMPLES", "12"))


@pytest.fixture
def users(project, make_user):
    call, speaker, (turn,) = ready_call(project)
    Suggestion.objects.create(turn=turn, labels=[{"label": "anger", "intensity": 3}], model_version="m")
    annotator = make_user("ann", "annotator")
    Assignment.objects.create(call=call, annotator=annotator)
    pm = make_user("pm", "project_manager")
    project_add_member(project=project, user=pm, role=ProjectMembership.Role.MANAGER)
    reviewer = make_user("rev", "qa_reviewer")
    project_add_member(project=project, user=reviewer, role=ProjectMembership.Role.REVIEWER)
    admin = make_user("root", is_superuser=True, is_staff=True)
    return {"pm": pm, "annotator": annotator, "reviewer": reviewer, "admin": admin}


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """The WSGI handler closes the database connection after each request; inside a test's
    transaction that would end the test, so (as Django's test client does) keep it open."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def api_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    return schema


@pytest.mark.parametrize("role", ["pm", "annotator", "reviewer", "admin"])
def test_fuzzed_requests_never_get_a_server_error(users, role, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = bool(os.environ.get("FUZZ_RAISE"))
    token = Token.objects.create(user=users[role]).key
    schema = api_schema()
    failures: list[str] = []
    statuses: list[int] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @fuzz_settings(EXAMPLES)
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers={"Authorization": f"Token {token}"})
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:200]}"
                    f" -> {response.status_code}: {response.text[:300]}"
                )

        run()
    assert operations >= 20
    answered = sum(200 <= s < 300 for s in statuses)
    print(f"{role}: {operations} operations, {len(statuses)} requests, codes {sorted(Counter(statuses).items())}")
    # The token is accepted everywhere (no 401), and some generated requests get real answers:
    # most are refused on purpose (random ids are someone else's or nobody's, random filters invalid).
    assert not failures, "server errors:\n" + "\n".join(failures[:20])
    assert 401 not in statuses
    assert answered >= 5, "the fuzzer should reach real answers, not only refusals"
    assert not failures, "\n".join(failures[:20])
