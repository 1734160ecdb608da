"""The taxonomy editor's refusals: each refused row says, under the field, which field is wrong and
why, linked to the field by aria-describedby; every input has its own accessible name."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from taxonomy.models import Label


class _Elements(HTMLParser):
    """Every element's attributes and text, found by id; the form controls in page order."""

    def __init__(self, html: str):
        super().__init__()
        self.by_id: dict[str, dict] = {}
        self.controls: list[dict] = []
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, **{k: v or "" for k, v in attrs}, "text": ""}
        if "id" in element:
            self.by_id[element["id"]] = element
        if tag in ("input", "textarea", "select") and element.get("type") != "hidden":
            self.controls.append(element)
        if tag not in ("input", "br", "meta", "link", "img"):
            self._open.append(element)

    def handle_endtag(self, tag):
        if self._open and self._open[-1]["tag"] == tag:
            self._open.pop()

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data


@pytest.fixture
def editor(client, taxonomy, make_user):
    """(draft url, the draft's form data as the page sends it, index of the blank new row)."""
    client.force_login(make_user("pm", "project_manager"))
    draft_url = client.post(reverse("taxonomy:edit", args=[taxonomy.pk])).url
    page = client.get(draft_url)
    labels, dimensions = page.context["labels"], page.context["dimensions"]
    data = {"name": "Call-centre emotions", "description": ""}
    data.update({f"labels-{k}": v for k, v in labels.management_form.initial.items()})
    data.update({f"dims-{k}": v for k, v in dimensions.management_form.initial.items()})
    for prefix, formset in (("labels", labels), ("dims", dimensions)):
        for i, form in enumerate(formset.forms):
            for name in form.fields:  # what the browser sends: the shown value, unticked boxes left out
                value = form[name].value()
                if value not in (None, False):
                    data[f"{prefix}-{i}-{name}"] = value
    return draft_url, data, len(labels.forms) - 1


def refused(client, url, data) -> tuple[str, _Elements]:
    before = list(Label.objects.order_by("pk").values_list("pk", "key", "hotkey", "definition"))
    response = client.post(url, data)
    assert response.status_code == 200  # shown again, not saved
    assert list(Label.objects.order_by("pk").values_list("pk", "key", "hotkey", "definition")) == before
    html = response.content.decode()
    return html, _Elements(html)


def message_under(elements: _Elements, control_id: str) -> str:
    """The text the field's aria-describedby points at; each id must exist."""
    control = elements.by_id[control_id]
    assert control.get("aria-invalid") == "true", control
    ids = control["aria-describedby"].split()
    missing = [i for i in ids if i not in elements.by_id]
    assert not missing, f"aria-describedby of {control_id} names no element: {missing}"
    error_id = f"{control_id}_error"
    assert error_id in ids
    return " ".join(elements.by_id[error_id]["text"].split())


def test_a_new_label_without_a_definition_is_refused_with_a_sentence_under_the_definition(client, editor):
    url, data, new = editor
    data.update({f"labels-{new}-key": "sarcasm", f"labels-{new}-name": "Sarcasm", f"labels-{new}-colour": "#123456"})
    html, elements = refused(client, url, data)
    said = message_under(elements, f"id_labels-{new}-definition")
    assert said.startswith("Definition is missing: say what this label means"), said
    assert f"The draft was not saved. Fix label {new + 1}: each problem is written under its field." in html
    assert "see the highlighted rows" not in html


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("key", "sar casm", "Key 'sar casm' cannot be used: use lower-case letters, digits and _ only"),
        ("key", "Sarcasm", "Key 'Sarcasm' cannot be used: use lower-case letters, digits and _ only"),
        ("key", "anger", "Key 'anger' is already used by label 2: keys must be unique."),
        ("hotkey", "f", "Hotkey 'f' is already used by label 'frustration': pick another letter, or leave it empty."),
        ("hotkey", "7", "Hotkey '7' is reserved by the workspace; use a lower-case letter"),
        ("parent", "rage", "Parent 'rage' is not the key of a label in this taxonomy."),
        ("colour", "red", "Colour 'red' is not a colour: use one like #1f77b4."),
    ],
)
def test_a_refused_label_row_says_which_field_and_why(client, editor, field, value, expected):
    url, data, new = editor
    data.update(
        {
            f"labels-{new}-key": "sarcasm",
            f"labels-{new}-name": "Sarcasm",
            f"labels-{new}-definition": "Saying the opposite of what is meant.",
            f"labels-{new}-colour": "#123456",
            f"labels-{new}-{field}": value,
        }
    )
    _, elements = refused(client, url, data)
    said = message_under(elements, f"id_labels-{new}-{field}")
    assert said.startswith(expected), said


def test_a_refused_dimension_row_says_which_field_and_why(client, editor):
    url, data, _ = editor
    data.update({"dims-0-minimum": "5", "dims-0-maximum": "1", "dims-1-step": "lots"})
    html, elements = refused(client, url, data)
    assert message_under(elements, "id_dims-0-maximum") == "Maximum (1) must be above the minimum (5)."
    assert message_under(elements, "id_dims-1-step") == "Step must be a number, e.g. 1 or -3."
    assert "The draft was not saved. Fix dimensions 1, 2: each problem is written under its field." in html


def test_every_editor_input_has_its_own_accessible_name_and_real_descriptions(client, editor):
    url, data, new = editor
    html, elements = refused(client, url, {**data, f"labels-{new}-key": "sarcasm"})  # refused: no name etc.
    names = {}
    for control in elements.controls:
        if control["name"].startswith(("labels-", "dims-")):
            names[control["name"]] = control.get("aria-label", "")
            for ref in control.get("aria-describedby", "").split():
                assert ref in elements.by_id, (control["name"], ref)
    row = new + 1
    assert names[f"labels-{new}-key"] == f"Key of label {row}"
    assert names[f"labels-{new}-definition"] == f"Definition of label {row}"
    assert names[f"labels-{new}-hotkey"] == f"Hotkey of label {row}"
    assert names[f"labels-{new}-DELETE"] == f"Delete label {row}"
    assert names["dims-0-minimum"] == "Minimum of dimension 1"
    assert not [n for n, label in names.items() if not label or label.lower().startswith("delete of")], names
    assert len(set(names.values())) == len(names)  # no two inputs share a name
    parent_help = elements.by_id[f"id_labels-{new}-parent_helptext"]["text"]
    assert parent_help == "key of the parent label"
