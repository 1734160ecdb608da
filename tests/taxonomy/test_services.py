"""Taxonomy JSON import: the default taxonomy, and every invalid document rejected with nothing written."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import ValidationError

from taxonomy.defaults import DEFAULT_TAXONOMY
from taxonomy.models import Dimension, Label, Taxonomy
from taxonomy.services import taxonomy_get_or_create_default, taxonomy_import


def test_default_taxonomy_has_defined_labels_and_scales(db):
    taxonomy = taxonomy_get_or_create_default()
    assert taxonomy.is_published and taxonomy.version == 1
    keys = set(taxonomy.labels.values_list("key", flat=True))
    assert {
        "frustration",
        "anger",
        "anxiety",
        "confusion",
        "disengagement",
        "satisfaction",
        "gratitude",
        "neutral",
    } <= keys
    assert all(label.definition for label in taxonomy.labels.all())
    dims = {d.key: d for d in taxonomy.dimensions.all()}
    assert (dims["intensity"].kind, dims["intensity"].minimum, dims["intensity"].maximum) == ("ordinal", 1, 5)
    assert (dims["valence"].minimum, dims["valence"].maximum) == (-3, 3)
    assert (dims["arousal"].minimum, dims["arousal"].maximum) == (1, 5)
    assert taxonomy_get_or_create_default().pk == taxonomy.pk  # idempotent


def test_importing_again_makes_a_new_version(db):
    first = taxonomy_import(data=DEFAULT_TAXONOMY, publish=True)
    second = taxonomy_import(data=DEFAULT_TAXONOMY)
    assert (second.version, second.derived_from_id, second.status) == (2, first.pk, "draft")


def _broken(change) -> dict:
    data = copy.deepcopy(DEFAULT_TAXONOMY)
    change(data)
    return data


INVALID = {
    "duplicate key": (lambda d: d["labels"].append(dict(d["labels"][0], hotkey="")), "used twice"),
    "unknown parent": (lambda d: d["labels"][0].update(parent="nope"), "parent 'nope' is not a label"),
    "cycle": (
        lambda d: (d["labels"][0].update(parent="anger"), d["labels"][1].update(parent="frustration")),
        "cycle (frustration -> anger -> frustration)",
    ),
    "hotkey collision": (lambda d: d["labels"][1].update(hotkey="f"), "hotkey 'f' is already used"),
    "reserved hotkey": (lambda d: d["labels"][1].update(hotkey="3"), "reserved"),
    "bad key": (lambda d: d["labels"][0].update(key="Bad Key!"), "lower-case"),
    "bad colour": (lambda d: d["labels"][0].update(colour="red"), "colour"),
    "wrong type": (lambda d: d["labels"][0].update(name=5), "'name' must be text, not a number (5)."),
    "number as text": (
        lambda d: d["dimensions"][0].update(minimum="a"),
        "'minimum' must be a number, not text (\"a\").",
    ),
    "missing labels": (lambda d: d.pop("labels"), "'labels' is missing"),
    "inverted scale": (lambda d: d["dimensions"][0].update(minimum=5, maximum=1), "above minimum"),
    "unknown kind": (lambda d: d["dimensions"][0].update(kind="ratio"), "kind must be one of"),
    "evidence map to unknown label": (
        lambda d: d.update(evidence_map={"cues": {"loud": ["rage"]}}),
        "evidence_map.cues.loud: 'rage' is not a label",
    ),
    "evidence map unknown cue": (
        lambda d: d.update(evidence_map={"cues": {"shouty": ["anger"]}}),
        "'shouty' is not one of",
    ),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_import_is_rejected_clearly_and_writes_nothing(db, case):
    change, expected = INVALID[case]
    with pytest.raises(ValidationError) as err:
        taxonomy_import(data=_broken(change))
    assert any(expected in message for message in err.value.messages), err.value.messages
    assert Taxonomy.objects.count() == Label.objects.count() == Dimension.objects.count() == 0


def test_not_an_object_is_rejected(db):
    with pytest.raises(ValidationError, match="JSON object"):
        taxonomy_import(data=["not", "a", "taxonomy"])


@pytest.mark.parametrize(
    "name, words",
    [
        ("Anger\u202eregna", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u200b\u200b", "made only of invisible characters"),
        ("Fear\x00", "control character U+0000 NUL"),
    ],
    ids=["bidi override", "invisible", "NUL"],
)
def test_a_label_or_taxonomy_name_people_cannot_read_as_written_is_refused(name, words):
    """Annotators pick labels by name: one that reorders the text after it, or shows nothing, is
    refused by place, as a project's name is."""
    from taxonomy.defaults import DEFAULT_TAXONOMY
    from taxonomy.services import taxonomy_validate_data

    doc = {**DEFAULT_TAXONOMY, "labels": [dict(label) for label in DEFAULT_TAXONOMY["labels"]]}
    doc["labels"][1]["name"] = name
    errors = taxonomy_validate_data(doc)
    assert len(errors) == 1 and errors[0].startswith("label #2: its name") and words in errors[0], errors
    assert taxonomy_validate_data({**DEFAULT_TAXONOMY, "name": name})[0].startswith("taxonomy: its name")
    assert taxonomy_validate_data(DEFAULT_TAXONOMY) == []
