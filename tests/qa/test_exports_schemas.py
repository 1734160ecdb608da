"""Exports checked against their formats' own schemas and rules: EmotionML against the W3C XSD
(and the vocabulary rules the XSD cannot express), EAF's tier hierarchy as ELAN defines it, Label
Studio tasks against its documented task format."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from qa.exports.build import export_write

from .exports_data import build_calls

pytestmark = pytest.mark.django_db
SCHEMAS = Path(__file__).parent / "schemas"
EMO = "{http://www.w3.org/2009/10/emotionml}"


@pytest.fixture(scope="module")
def emotionml_schema():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "emotionml" / "emotionml.xsd")))


def emotionml_problems(doc: etree._ElementTree) -> list[str]:
    """EmotionML 1.0 vocabulary rules (§3.1.2-3.1.3) the XSD cannot express."""
    root = doc.getroot()
    vocabularies = {v.get("id"): v for v in root.iter(f"{EMO}vocabulary")}
    problems = []
    for kind in ("category", "dimension"):
        for emotion in root.iter(f"{EMO}emotion"):
            used = [e.get("name") for e in emotion.findall(f"{EMO}{kind}")]
            if not used:
                continue
            ref = emotion.get(f"{kind}-set") or root.get(f"{kind}-set")
            if not ref:
                problems.append(f"{emotion.get('id')}: uses <{kind}> without a {kind}-set")
                continue
            vocabulary = vocabularies.get(ref.removeprefix("#"))
            if vocabulary is None or vocabulary.get("type") != kind:
                problems.append(f"{emotion.get('id')}: {kind}-set {ref} is not a {kind} vocabulary here")
                continue
            items = {i.get("name") for i in vocabulary.findall(f"{EMO}item")}
            problems += [f"{emotion.get('id')}: {kind} {n!r} not in {ref}" for n in used if n not in items]
    return problems


def test_emotionml_is_valid_against_the_w3c_schema_and_vocabulary_rules(project, make_user, tmp_path, emotionml_schema):
    from annotation.models import TurnAnnotation

    built = build_calls(project, make_user, calls=1, turns=3)
    # A label that the taxonomy does not hold (an older version's, say) joins the vocabulary once.
    TurnAnnotation.objects.filter(turn=built.turns[0]).update(labels=[{"label": "retired_label", "intensity": 2}])
    export_write(project=project, formats=["emotionml"], out_dir=tmp_path, agreement_bootstrap=-1)
    (path,) = (tmp_path / "emotionml").glob("*.xml")
    doc = etree.parse(str(path))
    assert emotionml_schema.validate(doc), [str(e) for e in emotionml_schema.error_log]
    assert emotionml_problems(doc) == []
    items = [i.get("name") for i in doc.getroot().find(f"{EMO}vocabulary").findall(f"{EMO}item")]
    assert items.count("retired_label") == 1 and "anger" in items


def test_the_emotionml_checks_catch_what_they_are_for(emotionml_schema):
    bad = etree.fromstring(
        b'<emotionml xmlns="http://www.w3.org/2009/10/emotionml" version="1.0" category-set="#c">'
        b'<vocabulary type="category" id="c"><item name="a"/><item name="a"/></vocabulary>'
        b'<emotion id="e1"><reference uri="x.wav"/><category name="a"/><info/></emotion>'
        b'<emotion id="e2"><category name="zzz"/></emotion></emotionml>'
    ).getroottree()
    assert not emotionml_schema.validate(bad)
    messages = " ".join(str(e) for e in emotionml_schema.error_log)
    assert "unique-item" in messages or "Duplicate" in messages
    assert emotionml_problems(bad) == ["e2: category 'zzz' not in #c"]
