"""Rules every page template keeps, checked on the template sources (so a new page is held to
them without a browser)."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
BOX = re.compile(r"<div\b[^>]*\bclass=\"[^\"]*\btable-scroll\b[^\"]*\"[^>]*>")


def test_every_scrolling_table_box_takes_focus_and_has_a_name():
    """A wide table scrolls inside its ``.table-scroll`` box; without tabindex a keyboard user
    cannot scroll it (axe-core: scrollable-region-focusable), and a focusable region needs a name."""
    boxes = [
        (path.relative_to(TEMPLATES), tag)
        for path in TEMPLATES.rglob("*.html")
        for tag in BOX.findall(path.read_text())
    ]
    assert len(boxes) > 30  # the pattern still finds them
    bad = [
        (str(path), tag)
        for path, tag in boxes
        if 'tabindex="0"' not in tag
        or 'role="region"' not in tag
        or not re.search(r'aria-label="[^"]+"|aria-labelledby="[^"]+"', tag)
    ]
    assert bad == []


NAMED = re.compile(r"<(div|span|p|section|ul|ol|li|td|th|table)\b[^>]*\baria-label=\"[^\"]*\"[^>]*>")


def test_a_name_is_given_only_to_an_element_with_a_role():
    """aria-label on a plain div or span is prohibited (axe-core: aria-allowed-attr, serious) and
    no screen reader announces it: the workspace's label palette had one. Give such an element
    the role it plays (group, region, status...)."""
    named = [
        (str(path.relative_to(TEMPLATES)), match.group(0))
        for path in TEMPLATES.rglob("*.html")
        for match in NAMED.finditer(path.read_text())
    ]
    assert named  # the pattern still finds them
    assert [(path, tag) for path, tag in named if "role=" not in tag] == []
