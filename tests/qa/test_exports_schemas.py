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


def test_eaf_tiers_hang_under_each_speakers_turn_tier_by_symbolic_association(project, make_user, tmp_path):
    from pympi.Elan import Eaf

    build_calls(project, make_user, calls=1, turns=4, channels=2)
    export_write(project=project, formats=["eaf"], out_dir=tmp_path, agreement_bootstrap=-1)
    (path,) = (tmp_path / "eaf").glob("*.eaf")
    eaf = Eaf(str(path))
    types = eaf.linguistic_types
    assert types["turn"]["TIME_ALIGNABLE"] == "true" and not types["turn"].get("CONSTRAINTS")
    for child in ("transcript", "labels"):
        assert types[child]["CONSTRAINTS"] == "Symbolic_Association" and types[child]["TIME_ALIGNABLE"] == "false"
    doc = etree.parse(str(path))
    alignable = {
        a.get("ANNOTATION_ID"): tier.get("TIER_ID")
        for tier in doc.iter("TIER")
        for a in tier.iter("ALIGNABLE_ANNOTATION")
    }
    for speaker in ("SPEAKER_00", "SPEAKER_01"):
        parent = f"{speaker}|turns"
        params = eaf.get_parameters_for_tier(parent)
        assert params["LINGUISTIC_TYPE_REF"] == "turn" and not params.get("PARENT_REF")
        children = [t for t in eaf.get_tier_names() if t.startswith(f"{speaker}|") and t != parent]
        assert {t.split("|")[1] for t in children} >= {"transcript", "consensus"}
        for tier in children:
            params = eaf.get_parameters_for_tier(tier)
            assert params["PARENT_REF"] == parent
            assert params["LINGUISTIC_TYPE_REF"] == ("transcript" if tier.endswith("|transcript") else "labels")
            node = doc.find(f"TIER[@TIER_ID='{tier}']")
            assert node.find(".//ALIGNABLE_ANNOTATION") is None
            refs = [r.get("ANNOTATION_REF") for r in node.iter("REF_ANNOTATION")]
            assert refs and all(alignable.get(r) == parent for r in refs)
            assert len(refs) == len(set(refs))  # one value per turn


def ls_config(path: Path) -> dict[str, dict]:
    config = etree.parse(str(path)).getroot()
    assert config.tag == "View"
    controls = {}
    for node in config:
        controls[node.get("name")] = {
            "tag": node.tag,
            "to": node.get("toName"),
            "labels": [label.get("value") for label in node.iter("Label")],
            "min": node.get("min"),
            "max": node.get("max"),
        }
    return controls


RESULT_TYPES = {"Labels": ("labels", "labels"), "TextArea": ("textarea", "text"), "Number": ("number", "number")}


def test_label_studio_tasks_follow_the_documented_task_format(project, make_user, tmp_path):
    """Label Studio's task format (docs: "Import pre-annotated data"; label-studio-sdk would pull in
    another numpy, so the documented shape is checked here): data keys match the config's
    variables; each result's from_name is a control of the config, to_name its object, type and
    value key those of the control's tag, labels among the control's Label values, numbers in
    range, region times in seconds with start < end."""
    import json

    build_calls(project, make_user, calls=2, turns=3)
    export_write(project=project, formats=["labelstudio"], out_dir=tmp_path, agreement_bootstrap=-1)
    controls = ls_config(tmp_path / "labelstudio/config.xml")
    audio = next(n for n, c in controls.items() if c["tag"] == "AudioPlus")
    tasks = json.loads((tmp_path / "labelstudio/tasks.json").read_text())
    for task in tasks:
        assert isinstance(task["data"], dict) and isinstance(task["data"]["audio"], str)
        for entry in task["predictions"] + task["annotations"]:
            assert isinstance(entry["result"], list)
            for result in entry["result"]:
                control = controls[result["from_name"]]
                kind, key = RESULT_TYPES[control["tag"]]
                assert result["type"] == kind and result["to_name"] == control["to"] == audio
                value = result["value"]
                assert isinstance(result["id"], str) and 0 <= value["start"] < value["end"]
                if kind == "labels":
                    assert value[key] and set(value[key]) <= set(control["labels"]), (value, control)
                elif kind == "textarea":
                    assert isinstance(value[key], list) and all(isinstance(t, str) for t in value[key])
                else:
                    assert float(control["min"]) <= value[key] <= float(control["max"])
        assert all("model_version" in p for p in task["predictions"])
