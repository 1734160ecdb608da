"""Hypothesis over every HTML route (forms and query strings), as each role: no 5xx.

The API is fuzzed from its OpenAPI schema in ``test_fuzz_api.py``; pages have no schema, so the
routes come from the URL resolver (a new page is fuzzed without anyone listing it), the path
arguments from the world's own objects or arbitrary numbers and slugs, and the query string and
form fields from the parameter names the views read, with hostile values (huge numbers, inf/nan,
NUL, 5,000 characters, path traversal). Derandomized with a bounded number of examples per route,
so CI draws the same cases every run; ``ANNOTERA_FUZZ_RANDOM=1`` explores fresh ones.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import given
from hypothesis import strategies as st

from annotation.models import Assignment, ProjectMembership
from annotation.services import project_add_member
from qa.models import ExportSnapshot

from .builders import ready_call
from .fuzzing import fuzz_settings

EXAMPLES = int(os.environ.get("ANNOTERA_FUZZ_PAGE_EXAMPLES", "5"))

# Every name a view reads from the query string or a form (grep request.GET/POST and forms.py),
# plus a few it does not.
PARAMS = [
    "start", "end", "buckets", "to", "to_taxonomy", "taxonomy_version", "language", "locale", "culture",
    "speaker_role", "annotator", "apply", "form", "format", "role", "name", "note", "label", "valence", "arousal",
    "language_override", "overlap_k", "blind_share", "required_proficiency", "locale_match", "formats", "calls",
    "languages", "min_alpha", "date_from", "date_to", "split", "seed", "publish", "daily_capacity", "locales",
    "cultural_background", "active", "channel_layout", "file", "files", "page", "q", "next", "map_anger",
    "labels-TOTAL_FORMS", "labels-0-key", "dimensions-TOTAL_FORMS", "slug", "description", "username", "password",
]  # fmt: skip
HOSTILE = [
    "", "0", "-1", "1", "abc", "inf", "-inf", "nan", "1e308", "99999999999999999999", str(10**30), "1.5",
    "\x00", "a\r\nb", "a" * 5000, "../../etc/passwd", "<script>alert(1)</script>", "'; DROP TABLE x; --",
    "agent,customer", "jsonl", "0.8,0.1,0.1", "2026-13-45", "en", "true", "[" * 200, "{}", "€", "\ud7ff",
]  # fmt: skip
values = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.text(max_size=30).map(lambda s: s.replace("\x00", "")),
)
fields = st.dictionaries(st.sampled_from(PARAMS), values, max_size=4)


def page_routes() -> list[tuple[str, URLPattern]]:
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p

    # logout/ is left out: it would end the session the remaining cases run in.
    return [
        (route, p)
        for route, p in walk(get_resolver().url_patterns)
        if not route.startswith(("admin/", "api/")) and route != "logout/"
    ]


@pytest.fixture
def world(project, make_user):
    call, speaker, (turn,) = ready_call(project)
    users = {
        "annotator": make_user("ann", "annotator"),
        "pm": make_user("pm", "project_manager"),
        "reviewer": make_user("rev", "qa_reviewer"),
        "admin": make_user("root", is_superuser=True, is_staff=True),
    }
    assignment = Assignment.objects.create(call=call, annotator=users["annotator"])
    project_add_member(project=project, user=users["pm"], role=ProjectMembership.Role.MANAGER)
    project_add_member(project=project, user=users["reviewer"], role=ProjectMembership.Role.REVIEWER)
    snapshot = ExportSnapshot.objects.create(project=project, formats=["jsonl"], status=ExportSnapshot.Status.READY)
    own = {
        "slug": [project.slug],
        "call_id": [call.pk],
        "speaker_id": [speaker.pk],
        "assignment_id": [assignment.pk],
        "turn_id": [turn.pk],
        "user_id": [users["annotator"].pk],
        "pk": [snapshot.pk, project.taxonomy_id],
        "path": ["manifest.json"],
    }
    return users, own


def argument(name: str, converter: str, own: dict):
    mine = st.sampled_from(own.get(name, [1]))
    if converter == "int":
        return st.one_of(mine, st.integers(min_value=0, max_value=2**63 - 1))
    if converter == "slug":
        return st.one_of(mine, st.from_regex(r"[-a-zA-Z0-9_]{1,60}", fullmatch=True))
    return st.one_of(mine, st.sampled_from(["a" * 300, "../x", "x/../../y", "%00"]), st.text(min_size=1, max_size=40))


def fill(route: str, kwargs: dict) -> str:
    import re

    def sub(match):
        return str(kwargs[match.group(2)])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)


@pytest.fixture(autouse=True)
def _no_lockouts(settings):
    settings.LOGIN_RATE_LIMIT = settings.LOGIN_IP_RATE_LIMIT = 10**6
    settings.UPLOAD_RATE_LIMIT = 10**6


@pytest.mark.parametrize("role", ["annotator", "pm", "reviewer", "admin"])
def test_fuzzed_pages_never_get_a_server_error(world, role, settings):
    import re

    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    users, own = world
    client = Client(raise_request_exception=bool(os.environ.get("FUZZ_RAISE")))
    client.force_login(users[role])
    failures: list[str] = []
    statuses: list[int] = []
    routes = page_routes()

    def fuzz(route: str) -> None:
        converters = re.findall(r"<(?:(\w+):)?(\w+)>", route)
        path_args = st.fixed_dictionaries({name: argument(name, conv or "str", own) for conv, name in converters})

        @fuzz_settings(EXAMPLES)
        @given(kwargs=path_args, query=fields, form=fields, method=st.sampled_from(["GET", "POST"]))
        def run(kwargs, query, form, method):
            url = fill(route, kwargs)
            if method == "GET":
                response = client.get(url, query)
            else:
                response = client.post(url + "?" + "&".join(f"{k}=x" for k in query), form)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{role} {method} {url} query={query} form={form} -> {response.status_code}")

        run()

    for route, _pattern in routes:
        fuzz(route)
    print(f"{role}: {len(routes)} page routes, {len(statuses)} requests, codes {sorted(Counter(statuses).items())}")
    assert len(routes) >= 30
    assert not failures, "server errors:\n" + "\n".join(failures[:20])
    assert sum(200 <= s < 400 for s in statuses) >= len(routes) // 2, "the fuzzer should reach real pages"
