"""Every URL pattern and API route, walked as each role against another project's objects.

The registry below says, for each route name, how to point it at someone else's object (or why
the route has no such object). A route missing from the registry fails the test with its name,
so a new view cannot ship without an access decision. To cover a new route, add one entry:

    "qa:snapshot_detail": Obj(lambda w: {"pk": w.snapshot.pk}),

Kinds of entry:
- ``Obj``: the route addresses one of project "theirs"'s objects. Every outsider role must be
  refused (403 or 404; 405 for a method the view does not take) for every method tried, and at
  least one tried method must be a real 403/404. ``shared_with`` names roles that legitimately
  reach it (with ``why``), e.g. taxonomies, which every project manager edits.
- ``Listing``: no object in the URL; the route shows the user's own things. It may answer, but
  nothing of project "theirs" may appear in the response.
- ``Public``: login, health check, schema and docs.

Anonymous users must be sent to the login page (pages) or refused (API) on every non-public route.
Django admin routes are checked as refused (redirect to the admin login) for non-staff users.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from annotation.models import (
    Assignment,
    Call,
    CorrectionProposal,
    ProjectMembership,
    Speaker,
    Suggestion,
    Turn,
    TurnAnnotation,
    TurnRevision,
)
from annotation.services import project_add_member, project_create
from annotera.models import AuditEvent

SECRETS = ("Theirs Secret Project", "theirs-secret-call.wav", "theirs secret turn text", "THEIRS-RATIONALE")

PAGE_METHODS = ("GET", "POST")
SAME_PROJECT = "an annotator of the project sees the project itself, and in it only their own calls"


def secrets_for(role: str) -> tuple[str, ...]:
    """What ``role`` must never see of project "theirs" (its own annotators know its name)."""
    return SECRETS[1:] if role == "annotator_same_project" else SECRETS


@dataclass(frozen=True)
class Obj:
    kwargs: Callable[[World], dict]
    methods: tuple[str, ...] = ()  # empty: what the view implements (pages: GET and POST)
    shared_with: tuple[str, ...] = ()
    why: str = ""
    query: str = ""


@dataclass(frozen=True)
class Listing:
    methods: tuple[str, ...] = ("GET",)
    kwargs: Callable[[World], dict] = lambda w: {}


@dataclass(frozen=True)
class Public:
    why: str


@dataclass
class World:
    """Project "theirs" with one of everything, and the outsiders who must not reach it."""

    theirs: object
    call: Call
    speaker: Speaker
    turn: Turn
    assignment: Assignment
    annotation: TurnAnnotation
    taxonomy: object
    annotator_b: object
    outsiders: dict = field(default_factory=dict)
    snapshot: object = None
    invitation: object = None
    proposal: object = None
    revision: object = None


REGISTRY: dict[str, Obj | Listing | Public] = {
    # --- site
    "home": Listing(),
    "healthz": Public("health check for load balancers"),
    "login": Public("the login form"),
    "logout": Public("logs out whoever asks"),
    "api_token": Listing(methods=("GET",)),
    "admin_password_change": Public(
        "the admin's own change-password page under the credential limiter: staff only, others go to the admin's "
        "login like every admin route (test_security_findings checks both)"
    ),
    # --- annotation pages
    "annotation:project_list": Listing(),
    "annotation:project_detail": Obj(
        lambda w: {"slug": w.theirs.slug}, shared_with=("annotator_same_project",), why=SAME_PROJECT
    ),
    "annotation:project_calls_partial": Obj(
        lambda w: {"slug": w.theirs.slug}, shared_with=("annotator_same_project",), why=SAME_PROJECT
    ),
    "annotation:call_upload": Obj(lambda w: {"slug": w.theirs.slug}),
    "annotation:call_detail": Obj(lambda w: {"call_id": w.call.pk}),
    "annotation:call_retry": Obj(lambda w: {"call_id": w.call.pk}),
    "annotation:call_reprocess": Obj(lambda w: {"call_id": w.call.pk}),
    "annotation:call_remove": Obj(lambda w: {"call_id": w.call.pk}),
    "annotation:call_audio": Obj(lambda w: {"call_id": w.call.pk}),
    "annotation:call_peaks": Obj(lambda w: {"call_id": w.call.pk}),
    "annotation:call_metadata": Obj(lambda w: {"call_id": w.call.pk}),
    "annotation:speaker_update": Obj(lambda w: {"call_id": w.call.pk, "speaker_id": w.speaker.pk}),
    "annotation:assignments_run": Obj(lambda w: {"slug": w.theirs.slug}),
    "annotation:assignment_reassign": Obj(lambda w: {"assignment_id": w.assignment.pk}),
    "annotation:project_corrections": Obj(lambda w: {"slug": w.theirs.slug}),
    "annotation:proposal_decide": Obj(lambda w: {"pk": w.proposal.pk}),
    "annotation:revision_undo": Obj(lambda w: {"pk": w.revision.pk}),
    "annotation:project_settings": Obj(lambda w: {"slug": w.theirs.slug}),
    "annotation:project_suggestion_settings": Obj(lambda w: {"slug": w.theirs.slug}),
    "annotation:annotators": Obj(
        lambda w: {},
        shared_with=("pm_other",),
        why="the annotator pool is shared; every project manager staffs from it",
    ),
    "annotation:annotator_edit": Obj(
        lambda w: {"user_id": w.annotator_b.pk},
        shared_with=("pm_other",),
        why="the annotator pool is shared; every project manager staffs from it",
    ),
    "annotation:project_new": Obj(
        lambda w: {}, shared_with=("pm_other",), why="every project manager may start a project of their own"
    ),
    "annotation:calls_bulk_upload": Obj(lambda w: {"slug": w.theirs.slug}),
    "annotation:queue": Listing(),
    "annotation:queue_next": Listing(methods=("POST",)),
    "annotation:workspace": Obj(lambda w: {"assignment_id": w.assignment.pk}),
    "annotation:assignment_skip": Obj(lambda w: {"assignment_id": w.assignment.pk}),
    # --- people: invitations, profiles, memberships, accounts, password reset
    "people:invitations": Listing(),
    "people:invitation_resend": Obj(lambda w: {"pk": w.invitation.pk}),
    "people:invitation_revoke": Obj(lambda w: {"pk": w.invitation.pk}),
    "people:invitation_accept": Public(
        "the invitee has no account yet; the signed, single-use token is the credential"
    ),
    "people:profile": Listing(),
    "people:project_members": Obj(lambda w: {"slug": w.theirs.slug}),
    "people:users": Obj(lambda w: {}),
    "people:user_active": Obj(lambda w: {"user_id": w.annotator_b.pk}),
    "password_reset": Public("Django's password reset form; it says the same whether or not the address exists"),
    "password_reset_done": Public("a fixed 'check your email' page"),
    "password_reset_confirm": Public("the emailed, single-use reset token is the credential"),
    "password_reset_complete": Public("a fixed 'password set' page"),
    # --- QA pages
    "qa:dashboard": Listing(),
    "qa:project_agreement": Obj(lambda w: {"slug": w.theirs.slug}),
    "qa:project_disagreements": Obj(lambda w: {"slug": w.theirs.slug}),
    "qa:project_anchoring_modes": Obj(lambda w: {"slug": w.theirs.slug}),
    "qa:project_calibration": Obj(lambda w: {"slug": w.theirs.slug}),
    "qa:turn_adjudicate": Obj(lambda w: {"turn_id": w.turn.pk}),
    "qa:call_mark_gold": Obj(lambda w: {"call_id": w.call.pk}),
    "qa:call_adjudicate": Obj(lambda w: {"call_id": w.call.pk}),
    "qa:annotator_detail": Obj(lambda w: {"slug": w.theirs.slug, "user_id": w.assignment.annotator_id}),
    "qa:project_snapshots": Obj(lambda w: {"slug": w.theirs.slug}),
    "qa:snapshot_detail": Obj(lambda w: {"pk": w.snapshot.pk}),
    "qa:snapshot_download": Obj(lambda w: {"pk": w.snapshot.pk}),
    "qa:snapshot_file": Obj(lambda w: {"pk": w.snapshot.pk, "path": "manifest.json"}),
    "qa:call_turns_import": Obj(lambda w: {"call_id": w.call.pk}),
    # --- taxonomy pages: taxonomies are shared by all projects and edited by project managers
    "taxonomy:list": Obj(lambda w: {}, shared_with=("pm_other",), why="taxonomies are shared; managers edit them"),
    "taxonomy:detail": Obj(
        lambda w: {"pk": w.taxonomy.pk}, shared_with=("pm_other",), why="taxonomies are shared; managers edit them"
    ),
    "taxonomy:edit": Obj(
        lambda w: {"pk": w.taxonomy.pk},
        methods=("POST",),
        shared_with=("pm_other",),
        why="taxonomies are shared; managers edit them",
    ),
    "taxonomy:publish": Obj(
        lambda w: {"pk": w.taxonomy.pk},
        methods=("POST",),
        shared_with=("pm_other",),
        why="taxonomies are shared; managers edit them",
    ),
    "taxonomy:export": Obj(
        lambda w: {"pk": w.taxonomy.pk}, shared_with=("pm_other",), why="taxonomies are shared; managers edit them"
    ),
    # --- API
    "api-schema": Public("the OpenAPI schema describes routes, not data"),
    "api-docs": Public("Swagger UI for the schema"),
    "api-root": Public("a redirect to the API docs"),
    "api-token": Public("exchanges a user name and password for that user's token"),
    "api-projects": Listing(),
    "api-project-detail": Obj(
        lambda w: {"slug": w.theirs.slug}, shared_with=("annotator_same_project",), why=SAME_PROJECT
    ),
    "api-project-calls": Obj(
        lambda w: {"slug": w.theirs.slug}, shared_with=("annotator_same_project",), why=SAME_PROJECT
    ),
    "api-call-upload": Obj(lambda w: {"slug": w.theirs.slug}),
    "api-call-detail": Obj(lambda w: {"pk": w.call.pk}),
    "api-call-retry": Obj(lambda w: {"pk": w.call.pk}),
    "api-call-reprocess": Obj(lambda w: {"pk": w.call.pk}),
    "api-call-turns": Obj(lambda w: {"pk": w.call.pk}),
    "api-call-suggestions": Obj(lambda w: {"pk": w.call.pk}),
    "api-turn-detail": Obj(lambda w: {"pk": w.turn.pk}),
    "api-assignments": Listing(),
    "api-assignment-detail": Obj(lambda w: {"pk": w.assignment.pk}),
    "api-assignment-annotations": Obj(lambda w: {"pk": w.assignment.pk}),
    "api-assignment-suggestions": Obj(lambda w: {"pk": w.assignment.pk}),
    "api-workspace": Obj(lambda w: {"pk": w.assignment.pk}),
    "api-workspace-turns": Obj(lambda w: {"pk": w.assignment.pk}),
    "api-project-agreement": Obj(lambda w: {"slug": w.theirs.slug}),
    "api-project-snapshots": Obj(lambda w: {"slug": w.theirs.slug}),
    "api-snapshot-detail": Obj(lambda w: {"pk": w.snapshot.pk}),
    "api-snapshot-download": Obj(lambda w: {"pk": w.snapshot.pk}),
    "api-call-turns-import": Obj(lambda w: {"pk": w.call.pk}),
    "api-turn-annotation": Obj(lambda w: {"pk": w.assignment.pk, "turn_id": w.turn.pk}),
    **{
        f"api-propose-{action}": Obj(lambda w: {"pk": w.call.pk, "turn_id": w.turn.pk})
        for action in ("adjust", "split", "merge", "speaker", "text")
    },
    "api-proposal-accept": Obj(lambda w: {"pk": w.proposal.pk}),
    "api-proposal-reject": Obj(lambda w: {"pk": w.proposal.pk}),
    "api-proposal-withdraw": Obj(lambda w: {"pk": w.proposal.pk}),
    "api-turn-revision-undo": Obj(lambda w: {"pk": w.revision.pk}),
    "api-assignment-reopen": Obj(lambda w: {"pk": w.assignment.pk}),
    "api-assignment-submit": Obj(lambda w: {"pk": w.assignment.pk}),
    "api-taxonomies": Listing(),
    "api-taxonomy-import": Obj(
        lambda w: {}, shared_with=("pm_other",), why="taxonomies are shared; managers import them"
    ),
    "api-taxonomy-detail": Obj(
        lambda w: {"pk": w.taxonomy.pk},
        shared_with=("pm_other", "annotator_same_project"),
        why="managers read every taxonomy; a project's annotators read the version it pins",
    ),
    "api-audit": Listing(),
    "api-invitations": Listing(),  # POST would invite someone: the people API tests cover who may
    "api-invitation-resend": Obj(lambda w: {"pk": w.invitation.pk}),
    "api-invitation-revoke": Obj(lambda w: {"pk": w.invitation.pk}),
    "api-project-members": Obj(lambda w: {"slug": w.theirs.slug}),
    "api-project-member": Obj(
        lambda w: {"slug": w.theirs.slug, "pk": ProjectMembership.objects.filter(project=w.theirs).first().pk}
    ),
}

ROLES = ("annotator_other_project", "annotator_same_project", "reviewer_other", "pm_other")
DJANGO_CBV_METHODS = ("get", "post", "put", "patch", "delete")


def all_routes(patterns=None, namespace: str = "", prefix: str = "") -> list[tuple[str, str]]:
    """(full route name, pattern text) for every URL pattern, descending into includes."""
    found = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner_ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += all_routes(entry.url_patterns, inner_ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else f"{namespace}<unnamed {prefix}{entry.pattern}>"
            found.append((name, prefix + str(entry.pattern)))
    return found


def view_methods(name: str, kwargs: dict) -> tuple[str, ...]:
    """The methods a view implements (DRF and class-based views); pages default to GET and POST."""
    from django.urls import resolve

    match = resolve(reverse(name, kwargs=kwargs))
    cls = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
    if cls is None:
        return PAGE_METHODS
    return tuple(m.upper() for m in DJANGO_CBV_METHODS if hasattr(cls, m))


@pytest.fixture
def world(taxonomy, make_user):
    from taxonomy.services import taxonomy_export, taxonomy_import

    doc = taxonomy_export(taxonomy)
    their_taxonomy = taxonomy_import(data={**doc, "slug": "theirs-tax", "name": "Theirs Taxonomy"}, publish=True)
    mine = project_create(name="Mine", slug="mine", taxonomy=taxonomy)
    theirs = project_create(name="Theirs Secret Project", slug="theirs", taxonomy=their_taxonomy)
    call = Call.objects.create(
        project=theirs, original_name="theirs-secret-call.wav", sha256="b" * 64, audio="x.wav", status="ready",
        duration=10,
    )  # fmt: skip
    second_call = Call.objects.create(
        project=theirs, original_name="other.wav", sha256="c" * 64, audio="y.wav", status="ready", duration=10
    )
    my_call = Call.objects.create(
        project=mine, original_name="mine.wav", sha256="d" * 64, audio="z.wav", status="ready", duration=10
    )
    speaker = Speaker.objects.create(call=call, label="CH0", role="agent", channel=0)
    turn = Turn.objects.create(call=call, speaker=speaker, order=0, start=0, end=3, text="theirs secret turn text")
    Suggestion.objects.create(
        turn=turn, labels=[{"label": "anger", "intensity": 3}], rationale="THEIRS-RATIONALE", model_version="x"
    )
    annotator_b = make_user("annotator_b", "annotator")
    assignment = Assignment.objects.create(call=call, annotator=annotator_b)
    annotation = TurnAnnotation.objects.create(
        assignment=assignment, turn=turn, taxonomy=their_taxonomy, labels=[{"label": "anger", "intensity": 3}]
    )
    outsiders = {
        "annotator_other_project": make_user("ann_mine", "annotator"),
        "annotator_same_project": make_user("ann_theirs_other_call", "annotator"),
        "reviewer_other": make_user("rev_mine", "qa_reviewer"),
        "pm_other": make_user("pm_mine", "project_manager"),
    }
    Assignment.objects.create(call=my_call, annotator=outsiders["annotator_other_project"])
    Assignment.objects.create(call=second_call, annotator=outsiders["annotator_same_project"])
    project_add_member(project=mine, user=outsiders["reviewer_other"], role=ProjectMembership.Role.REVIEWER)
    project_add_member(project=mine, user=outsiders["pm_other"], role=ProjectMembership.Role.MANAGER)
    theirs_pm = make_user("pm_theirs", "project_manager")
    project_add_member(project=theirs, user=theirs_pm, role=ProjectMembership.Role.MANAGER)
    from qa.models import ExportSnapshot

    snapshot = ExportSnapshot.objects.create(project=theirs, formats=["jsonl"], status=ExportSnapshot.Status.READY)
    from people.invitations import invitation_create

    invitation = invitation_create(
        email="newcomer@theirs.example", role="annotator", projects=[theirs], invited_by=theirs_pm,
        build_link=lambda token: f"/invite/{token}/",
    ).invitation  # fmt: skip
    proposal = CorrectionProposal.objects.create(
        call=call, turn=turn, action="split", params={"at": 1.5}, base_revision=1, proposed_by=annotator_b
    )
    revision = TurnRevision.objects.create(call=call, action="adjust", before=[], after=[], user=theirs_pm)
    return World(
        theirs,
        call,
        speaker,
        turn,
        assignment,
        annotation,
        their_taxonomy,
        annotator_b,
        outsiders,
        snapshot,
        invitation,
        proposal,
        revision,
    )


def fingerprint(world: World) -> tuple:
    """What a refused write could have changed."""
    world.annotation.refresh_from_db()
    world.turn.refresh_from_db()
    return (
        Call.objects.count(),
        Turn.objects.count(),
        list(Assignment.objects.filter(pk=world.assignment.pk).values_list("annotator_id", "status")),
        world.annotation.version,
        world.turn.revision,
        list(Speaker.objects.order_by("pk").values_list("role", "name")),
        AuditEvent.objects.count(),
        world.taxonomy.__class__.objects.count(),
        world.theirs.taxonomy_id,
        world.snapshot.__class__.objects.count(),
        list(world.theirs.calls.values_list("pk", "gold__pk")),
        world.turn.adjudications.count(),
        list(ProjectMembership.objects.order_by("pk").values_list("project_id", "user_id", "role")),
        list(world.invitation.__class__.objects.order_by("pk").values_list("token_hash", "revoked_at", "send_count")),
        list(world.annotator_b.__class__.objects.order_by("pk").values_list("is_active", flat=True)),
        world.theirs.__class__.objects.count(),
        list(CorrectionProposal.objects.values_list("status", flat=True)),
        TurnRevision.objects.filter(undone_by__isnull=False).count(),
    )


def send(client, method: str, url: str):
    if method in ("GET", "HEAD"):
        return getattr(client, method.lower())(url)
    body = json.dumps({"labels": [], "revision": 1, "action": "adjust", "start": 0, "end": 1})
    return getattr(client, method.lower())(url, body, content_type="application/json", HTTP_IF_MATCH='"1"')


def test_every_route_is_in_the_registry():
    names = {name for name, _ in all_routes() if not name.startswith("admin:")}
    missing = sorted(names - set(REGISTRY))
    assert not missing, (
        "Routes with no access decision in tests/test_access_walk.py REGISTRY (add an Obj, Listing or "
        f"Public entry for each): {missing}"
    )
    stale = sorted(set(REGISTRY) - names)
    assert not stale, f"REGISTRY names routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_outsiders_are_refused_everywhere(client, world, role):
    user = world.outsiders[role]
    client.force_login(user)
    before = fingerprint(world)
    problems = []
    for name, _ in all_routes():
        if name.startswith("admin:"):
            continue
        entry = REGISTRY[name]
        if isinstance(entry, Public):
            continue
        kwargs = entry.kwargs(world)
        url = reverse(name, kwargs=kwargs)
        if isinstance(entry, Listing):
            for method in entry.methods:
                response = send(client, method, url)
                body = b"".join(response) if response.streaming else response.content
                leaked = [s for s in secrets_for(role) if s.encode() in body]
                if leaked or response.status_code >= 500:
                    problems.append(f"{method} {url} ({name}): {response.status_code}, shows {leaked}")
            continue
        if role in entry.shared_with:
            assert entry.why, f"{name}: a shared route needs a reason"
            continue
        methods = entry.methods or view_methods(name, kwargs)
        codes = {}
        for method in methods:
            codes[method] = send(client, method, url + entry.query).status_code
        refused = [m for m, c in codes.items() if c in (403, 404)]
        allowed = [m for m, c in codes.items() if c not in (403, 404, 405)]
        if allowed or not refused:
            problems.append(f"{name} {url}: {codes}")
    assert not problems, f"{role} reached another project's objects:\n" + "\n".join(problems)
    assert fingerprint(world) == before, "a refused request changed something"


def test_anonymous_is_sent_to_login_or_refused(client, world):
    problems = []
    for name, _ in all_routes():
        if name.startswith("admin:"):
            continue
        entry = REGISTRY[name]
        if isinstance(entry, Public):
            continue
        url = reverse(name, kwargs=entry.kwargs(world))
        for method in ("GET", "POST"):
            response = send(client, method, url)
            ok = response.status_code in (401, 403, 405) or (
                response.status_code == 302 and response["Location"].startswith(reverse("login"))
            )
            if not ok:
                problems.append(f"{method} {name} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)


ADMIN_KWARGS = {"app_label": "annotation", "url": "x"}


def admin_path(pattern: str) -> str:
    """A concrete path for an admin pattern: converters and named groups get sample values."""
    import re

    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ADMIN_KWARGS.get(m[1], "1"), pattern)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: ADMIN_KWARGS.get(m[1], "1"), path)
    return "/" + path.replace("^", "").replace("$", "")


def test_admin_routes_refuse_non_staff(client, world):
    """Every admin route sends a logged-in non-staff user to the admin login."""
    client.force_login(world.outsiders["pm_other"])
    problems = []
    checked = 0
    for name, pattern in all_routes():
        if not name.startswith("admin:") or name in ("admin:login", "admin:logout"):
            continue
        url = admin_path(pattern)
        response = client.get(url)
        checked += 1
        if response.status_code == 302 and "/admin/login/" in response["Location"]:
            continue
        if response.status_code == 301:  # unnamed redirects (e.g. to a change page) land on a guarded view
            target = client.get(response["Location"])
            if target.status_code == 302 and "/admin/login/" in target["Location"]:
                continue
        problems.append(f"{name} {url}: {response.status_code}")
    assert checked > 20
    assert not problems, "\n".join(problems)
