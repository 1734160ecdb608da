"""A real project from an empty database, in a real browser, never touching /admin/:
the admin invites a PM; the PM accepts, creates a project with an imported taxonomy and invites
two annotators with different locales; they accept and fill in their profiles; the PM uploads
two calls with a metadata CSV; assignment follows the locale rule; an annotator tags a turn.

The machine pass runs for real, eagerly (Celery ``task_always_eager``) in the server thread on
two short espeak-ng calls."""

from __future__ import annotations

import html
import json
import os
import re

import pytest
from django.core.management import call_command

from annotation.models import Assignment, Call, Project, TurnAnnotation
from annotation.pipeline.synth import AGENT_VOICE, CUSTOMER_VOICE, Utterance, render_call, write_wav
from taxonomy.defaults import DEFAULT_TAXONOMY

from . import test_browser as harness
from .test_browser import CHROMIUM

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900, method="thread"),  # see tests/test_browser.py
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make sysdeps)"),
]
LINK = re.compile(r"https?://[^\s<\"]+/invite/[^\s<\"/]+/")
PASSWORD = "a-long-pass-phrase-7"


def short_call(folder, name, agent_text, customer_text):
    script = [Utterance("agent", agent_text, **AGENT_VOICE), Utterance("customer", customer_text, **CUSTOMER_VOICE)]
    samples, _ = render_call(script, {"agent": 0, "customer": 1})
    return write_wav(folder / name, samples)


def check_axe(page, problems: list[str]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    serious = [f"{page.url}: {v['id']} ({v['impact']})" for v in violations if v["impact"] in ("critical", "serious")]
    problems.extend(serious)


def shown_link(page) -> str:
    text = html.unescape(page.content())
    return LINK.findall(text)[-1]


def log_in(page, base, username, password=PASSWORD):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def accept(context, link, username, axe_problems):
    page = context.new_page()
    page.goto(link)
    check_axe(page, axe_problems)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_again]", PASSWORD)
    page.click("button[type=submit]")
    return page


def test_a_real_project_from_an_empty_database(browser, live_server, tmp_path, monkeypatch):
    from annotera.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, username="root", email="root@example.com", verbosity=0)
    base = live_server.url
    axe_problems: list[str] = []
    visited: list[str] = []
    ctx = harness.browser_context(browser, viewport={"width": 1300, "height": 900})
    ctx.on("request", lambda r: visited.append(r.url))

    # 1. the admin invites a PM
    admin = ctx.new_page()
    admin.goto(f"{base}/password-reset/")
    check_axe(admin, axe_problems)
    log_in(admin, base, "root")
    admin.goto(f"{base}/people/users/")
    check_axe(admin, axe_problems)
    admin.goto(f"{base}/people/invitations/")
    check_axe(admin, axe_problems)
    admin.fill("input[name=email]", "pm@example.com")
    admin.select_option("select[name=role]", "project_manager")
    admin.click("button:text('Send invitation')")
    pm_link = shown_link(admin)

    # 2. the PM accepts, creates a project with an imported taxonomy, invites two annotators
    pm_ctx = harness.browser_context(browser, viewport={"width": 1300, "height": 900})
    pm_ctx.on("request", lambda r: visited.append(r.url))
    pm = accept(pm_ctx, pm_link, "pm", axe_problems)
    pm.wait_for_url(f"{base}/projects/")
    pm.click("a:text('New project')")
    check_axe(pm, axe_problems)
    taxonomy_file = tmp_path / "acme-taxonomy.json"
    taxonomy_file.write_text(json.dumps({**DEFAULT_TAXONOMY, "slug": "acme-emotions", "name": "Acme emotions"}))
    pm.fill("input[name=name]", "Acme billing")
    pm.fill("input[name=slug]", "acme")
    pm.set_input_files("input[name=taxonomy_file]", str(taxonomy_file))
    pm.fill("input[name=overlap_k]", "1")
    pm.fill("input[name=blind_share]", "0")
    pm.select_option("select[name=required_proficiency]", "fluent")
    pm.select_option("select[name=locale_match]", "required")
    pm.click("button:text('Create project')")
    pm.wait_for_url(f"{base}/projects/acme/")
    assert "Getting started" in pm.content()
    check_axe(pm, axe_problems)
    project = Project.objects.get(slug="acme")
    assert project.taxonomy.slug == "acme-emotions" and project.locale_match == "required"

    links = {}
    for name in ("gb", "in"):
        pm.goto(f"{base}/people/invitations/")
        pm.fill("input[name=email]", f"ann-{name}@example.com")
        pm.select_option("select[name=role]", "annotator")
        pm.check("input[name=projects]")
        pm.click("button:text('Send invitation')")
        links[name] = shown_link(pm)
    assert links["gb"] != links["in"]

    # 3. the annotators accept and fill in their profiles
    for name, locale in (("gb", "en-GB"), ("in", "en-IN")):
        annotator_ctx = harness.browser_context(browser)
        page = accept(annotator_ctx, links[name], f"ann_{name}", axe_problems)
        page.wait_for_url(f"{base}/profile/")
        check_axe(page, axe_problems)
        page.fill("input[name=languages]", "en:native")
        page.fill("input[name=locales]", locale)
        page.fill("textarea[name=cultural_background]", f"grew up in {locale}")
        page.fill("input[name=daily_capacity]", "10")
        page.click("button:text('Save profile')")
        page.wait_for_url(f"{base}/queue/")
        annotator_ctx.close()

    pm.goto(f"{base}/projects/acme/members/")
    check_axe(pm, axe_problems)
    assert "ann_gb" in pm.content() and "ann_in" in pm.content()

    # 4. the PM uploads two calls with a metadata CSV (the machine pass runs eagerly)
    one = short_call(tmp_path, "billing-gb.wav", "Billing, how can I help?", "I was charged twice this month.")
    two = short_call(tmp_path, "billing-in.wav", "Good afternoon, accounts desk.", "My refund has not arrived yet.")
    meta = tmp_path / "calls.csv"
    meta.write_text(
        "file,locale,agent_id,customer_id,campaign\n"
        "billing-gb.wav,en-GB,AG-1,CU-1,spring\n"
        "billing-in.wav,en-IN,AG-2,CU-2,spring\n"
    )
    pm.goto(f"{base}/projects/acme/")
    pm.set_input_files("input[name=files]", [str(one), str(two)])
    pm.set_input_files("input[name=metadata]", str(meta))
    with pm.expect_navigation(timeout=300_000):  # the response comes after the eager machine pass
        pm.click("#upload button:text('Upload')", no_wait_after=True)
    pm.wait_for_selector("li.success:text('2 call(s) uploaded')")
    calls = {c.original_name: c for c in Call.objects.filter(project=project)}
    assert {c.status for c in calls.values()} == {"ready"}, [c.error for c in calls.values()]
    assert calls["billing-in.wav"].metadata == {"agent_id": "AG-2", "customer_id": "CU-2", "campaign": "spring"}

    # 5. assignment follows the locale rule
    owner = {a.call.original_name: a.annotator.username for a in Assignment.objects.select_related("call", "annotator")}
    assert owner == {"billing-gb.wav": "ann_gb", "billing-in.wav": "ann_in"}
    pm.reload()
    assert "Assignments made" in pm.content()

    # 6. an annotator tags a turn
    annotator_ctx = harness.browser_context(browser, viewport={"width": 1400, "height": 900})
    annotator_ctx.on("request", lambda r: visited.append(r.url))
    page = annotator_ctx.new_page()
    log_in(page, base, "ann_gb")
    page.wait_for_url(f"{base}/queue/")
    page.click("button:text('Start next task')")
    page.wait_for_selector(".ws-turn", timeout=15000)
    page.keyboard.press("f")
    page.wait_for_function("document.getElementById('ws-save').textContent === 'all changes saved'")
    stored = TurnAnnotation.objects.get(assignment__annotator__username="ann_gb")
    assert stored.labels[0]["label"] == "frustration" and stored.taxonomy.slug == "acme-emotions"

    assert not [url for url in visited if "/admin/" in url]
    assert not axe_problems, axe_problems
