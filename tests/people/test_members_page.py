"""The members page's refusals: an empty 'Add' or an empty 'Show who matches' says once, in words,
what to fill in, and adds no one."""

from __future__ import annotations

import re

from django.urls import reverse

from annotation.models import ProjectMembership


def test_an_empty_add_says_what_to_type_once_and_adds_no_one(client, pm, project):
    client.force_login(pm)
    url = reverse("people:project_members", args=[project.slug])
    page = client.get(url).content.decode()
    add_form = re.search(r'<form method="post"[^>]*>(?:(?!</form>).)*value="add"', page, re.S).group(0)
    assert "novalidate" in add_form  # the browser's unseen bubble does not stand in for the message

    response = client.post(url, {"action": "add", "username": "", "role": "annotator"})
    html = response.content.decode()
    message = "Type the user name or email of the person to add, then press Add."
    assert response.status_code == 200 and html.count(message) == 1
    field = re.search(r'<input[^>]*name="username"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_username_error"' in field
    assert re.search(r'<ul class="errorlist" id="id_username_error"><li>' + re.escape(message), html)
    assert list(ProjectMembership.objects.filter(project=project).values_list("user__username", flat=True)) == ["pm"]


def test_an_empty_show_who_matches_says_so_once(client, pm, project):
    client.force_login(pm)
    url = reverse("people:project_members", args=[project.slug])
    response = client.post(url, {"action": "preview", "language": "", "locale": "", "proficiency": ""})
    html = response.content.decode()
    assert html.count("Give a language, a locale or a proficiency to match on.") == 1
    assert 'id="match-count"' not in html  # no preview of "everyone"
    for name in ("language", "locale", "proficiency"):  # every hint a field points at exists
        field = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html).group(0)
        for ref in re.search(r'aria-describedby="([^"]*)"', field).group(1).split():
            assert f'id="{ref}"' in html, (name, ref)
