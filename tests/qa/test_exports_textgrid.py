"""TextGrid: the writer's files open in praatio's strict mode; the importer reads long and short
format, UTF-8 and UTF-16, keeps turns with no text, and refuses every damaged file it cannot read
exactly (never imports it wrong)."""

from __future__ import annotations

import pytest

from annotation.seeding import call_turns_seed
from annotation.turn_files import ImportRejected, parse_turns
from qa.exports.base import NO_LABELS, parse_label_string
from qa.exports.build import export_write

from .exports_tricky import AGENT, CUSTOMER, TURNS, assert_same_turns, build_tricky_call, make_call, turns_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def tricky(project, make_user, tmp_path):
    call = build_tricky_call(project, make_user("tg-annotator", "annotator"))
    export_write(project=project, formats=["textgrid"], out_dir=tmp_path, agreement_bootstrap=-1)
    return call, (tmp_path / f"textgrid/call{call.pk:06d}.TextGrid").read_text(encoding="utf-8")


def short_format(long_text: str, tmp_path) -> str:
    """The same grid in Praat's short text format, written by praatio (an independent writer)."""
    from praatio import textgrid

    source, target = tmp_path / "long.TextGrid", tmp_path / "short.TextGrid"
    source.write_text(long_text, encoding="utf-8")
    tg = textgrid.openTextgrid(str(source), includeEmptyIntervals=True, duplicateNamesMode="error")
    tg.save(str(target), format="short_textgrid", includeBlankSpaces=True)
    return target.read_text(encoding="utf-8")


def test_the_written_grid_opens_in_praatio_strict_mode_with_no_zero_length_interval(tricky):
    from praatio import textgrid

    call, text = tricky
    assert "xmax = 8.001" in text  # the 8.00049 s call, rounded up: it still covers the call
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".TextGrid", delete=False) as fh:
        fh.write(text)
    tg = textgrid.openTextgrid(fh.name, includeEmptyIntervals=True, reportingMode="error")
    for name in tg.tierNames:
        assert all(e.end > e.start for e in tg.getTier(name).entries), name


def test_a_judgement_with_no_label_is_written_as_a_marker_not_as_no_turn(tricky):
    from annotation.textgrid_reader import read_textgrid

    _, text = tricky
    grid = {t.name: t for t in read_textgrid(text).tiers}
    consensus = [e for e in grid[f"{CUSTOMER}|consensus"].intervals if e.text]
    assert [e.text for e in consensus] == [NO_LABELS, "anger:4"]
    assert parse_label_string(NO_LABELS) == []


@pytest.mark.parametrize("variant", ["long utf-8", "long utf-16", "short utf-8", "short utf-16"])
def test_textgrid_round_trip_keeps_every_turn(project, tricky, tmp_path, variant):
    source, text = tricky
    if variant.startswith("short"):
        text = short_format(text, tmp_path)
    data = text.encode("utf-16" if variant.endswith("16") else "utf-8")
    fresh = make_call(project, name="fresh.wav")
    result = call_turns_seed(call=fresh, fmt="textgrid", data=data, rerun=False)
    assert result.turns == len(TURNS) and {s.label for s in fresh.speakers.all()} == {AGENT, CUSTOMER}
    assert_same_turns(turns_of(fresh), turns_of(source))


TG_HEAD = 'File type = "ooTextFile"\nObject class = "TextGrid"\n\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # praatio read "xmin = -1" as 1.0
        (
            TG_HEAD + "xmin = 0\nxmax = 3\ntiers? <exists>\nsize = 1\nitem []:\n    item [1]:\n"
            '        class = "IntervalTier"\n        name = "A"\n        xmin = 0\n        xmax = 3\n'
            "        intervals: size = 2\n        intervals [1]:\n            xmin = -1\n            xmax = 1\n"
            '            text = "hi"\n        intervals [2]:\n            xmin = 1\n            xmax = 3\n'
            '            text = ""\n',
            "line 16: tier 'A' interval 1 xmin -1 is negative",
        ),
        # cut at an interval boundary: 1 of 2 intervals, the tier no longer covers its range
        (
            TG_HEAD + "xmin = 0\nxmax = 3\ntiers? <exists>\nsize = 1\nitem []:\n    item [1]:\n"
            '        class = "IntervalTier"\n        name = "A"\n        xmin = 0\n        xmax = 3\n'
            "        intervals: size = 2\n        intervals [1]:\n            xmin = 0\n            xmax = 1\n"
            '            text = "hi"\n',
            "truncated",
        ),
        # short format cut in the middle: "truncated", not "no turns found"
        (TG_HEAD + '0\n3\n<exists>\n1\n"IntervalTier"\n"A"\n0\n3\n2\n0\n1\n"hi"\n1\n', "truncated"),
        (TG_HEAD + '0\n3\n<exists>\n1\n"IntervalTier"\n"A"\n0\n3\n1\n0\n2\n"hi"\n', "not at the tier's end 3"),
        (TG_HEAD + '0\n3\n<exists>\n2\n"IntervalTier"\n"A"\n0\n3\n1\n0\n3\n"hi"\n', "truncated"),
        (
            TG_HEAD + '0\n3\n<exists>\n1\n"IntervalTier"\n"A"\n0\n3\n1\n0\n3\n"hi"\n"IntervalTier"\n',
            "after the last tier (the file declares 1 tiers)",
        ),
        (TG_HEAD + '0\n3\n<exists>\n1\n"IntervalTier"\n"A"\n0\n3\n1\n0\n3\n"hi\n', "truncated inside a text"),
        ('File type = "ooBinaryFile"\n', "binary TextGrid"),
    ],
)
def test_damaged_textgrids_are_refused_with_the_reason(text, message):
    with pytest.raises(ImportRejected) as caught:
        parse_turns("textgrid", text.encode(), duration=3.0)
    assert any(message in e for e in caught.value.errors), caught.value.errors


def corruptions(text: str):
    """Every single-line corruption: each line deleted, duplicated, emptied, cut after, and each
    number on it negated, doubled, replaced by a word or nudged by a tenth of a second."""
    lines = text.split("\n")
    import re

    for k, line in enumerate(lines):
        if not line.strip():
            continue
        yield f"delete line {k + 1}", lines[:k] + lines[k + 1 :]
        yield f"duplicate line {k + 1}", lines[: k + 1] + lines[k:]
        yield f"empty line {k + 1}", [*lines[:k], "", *lines[k + 1 :]]
        yield f"cut after line {k + 1}", lines[: k + 1]
        number = re.search(r"(?<![\w.\"])-?\d+(\.\d+)?(?![\w.\"])", line)
        if number and '"' not in line:
            value = float(number.group(0))
            for name, new in (
                ("negate", f"{-value - 1:g}"),
                ("double", f"{value * 2 + 1:g}"),
                ("word", "soon"),
                ("nudge", f"{value + 0.1:g}"),
            ):
                changed = line[: number.start()] + new + line[number.end() :]
                yield f"{name} line {k + 1}", [*lines[:k], changed, *lines[k + 1 :]]


def test_every_single_line_corruption_is_refused_or_imported_exactly(tricky, tmp_path):
    _, text = tricky

    def parsed(data: str):
        return [(s.speaker, s.start, s.end, s.text) for s in parse_turns("textgrid", data.encode(), duration=8.00049)]

    expected = parsed(text)
    seen = {"long": [0, 0], "short": [0, 0]}  # [refused, imported exactly]
    wrong = []
    for form, source in (("long", text), ("short", short_format(text, tmp_path))):
        for what, lines in corruptions(source):
            try:
                got = parsed("\n".join(lines))
            except ImportRejected as exc:
                assert exc.errors and all(e.strip() for e in exc.errors), what
                seen[form][0] += 1
                continue
            if got == expected:
                seen[form][1] += 1
            else:
                wrong.append(f"{form}: {what}")
    assert wrong == [], wrong
    assert seen["long"][0] > 300 and seen["short"][0] > 200, seen  # the corruptions did happen
