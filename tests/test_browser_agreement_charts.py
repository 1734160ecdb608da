"""The agreement page's pictures in a real browser (Playwright's Python package driving Debian's
Chromium): no label of a picture overlaps another one or falls outside its picture."""

from __future__ import annotations

import os

import pytest

from tests.qa.builders import annotated_call
from tests.test_browser import CHROMIUM, browser_context, login

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300, method="thread"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make sysdeps)"),
]

# Every text of every picture of the report, as the browser lays it out, with its picture's box.
TEXTS = """() => [...document.querySelectorAll('#report svg')].map((svg, n) => ({
  picture: svg.getAttribute('aria-label') || String(n),
  box: svg.getBoundingClientRect().toJSON(),
  texts: [...svg.querySelectorAll('text')].map(t => ({text: t.textContent, box: t.getBoundingClientRect().toJSON()})),
}))"""


def overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def inside(a: dict, outer: dict) -> bool:
    return (
        a["left"] >= outer["left"] - 0.5
        and a["right"] <= outer["right"] + 0.5
        and a["top"] >= outer["top"] - 0.5
        and a["bottom"] <= outer["bottom"] + 0.5
    )


@pytest.fixture
def crowded_report(project, reviewer, make_user):
    """Four annotators: three who agree on every turn (one point for three names, at α 1 on the
    right edge) and a fourth who differs once; every turn saved in the same second, so the median
    seconds per turn is 0 ("top 0.0"). Long names, a label key as long as keys go."""
    from taxonomy.models import Label

    Label.objects.create(taxonomy=project.taxonomy, key="customer_frustration_with_billing", name="Billing frustration")
    turns = [["anger"], ["gratitude"], ["customer_frustration_with_billing"], ["neutral"], ["confusion"], ["anger"]]
    other = [*turns[:4], ["anger"], turns[5]]
    names = ["annotator-en-gb-1", "annotator-en-in-2", "annotator-en-us-3", "annotator-hi-in-4"]
    table = {names[0]: turns, names[1]: turns, names[2]: turns, names[3]: other}
    annotated_call(project, make_user, table, seconds={n: [0.0] * len(turns) for n in names})
    return project


def test_no_label_of_the_agreement_pictures_overlaps_another_or_leaves_its_picture(
    browser, live_server, crowded_report
):
    """Three names on one point were drawn over each other and ran past the picture's right edge;
    the y axis said "median seconds per turn (top 0.0)"; the drift legend's names were 10 px apart
    in an 11 px font, over the lines."""
    from axe_playwright_python.sync_playwright import Axe

    for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
        page = browser_context(browser, viewport=viewport).new_page()
        login(page, live_server, "rev")
        page.goto(f"{live_server.url}/qa/projects/{crowded_report.slug}/agreement/")
        page.locator("#report svg").first.wait_for()
        pictures = page.evaluate(TEXTS)
        assert len(pictures) >= 3, pictures  # per-label bars, the annotators, drift
        problems = []
        for picture in pictures:
            texts = picture["texts"]
            for i, a in enumerate(texts):
                if not inside(a["box"], picture["box"]):
                    problems.append((picture["picture"], "outside", a["text"]))
                problems += [
                    (picture["picture"], a["text"], "over", b["text"])
                    for b in texts[i + 1 :]
                    if overlap(a["box"], b["box"])
                ]
        assert problems == [], "\n".join(map(str, problems))
        shown = [t["text"] for p in pictures for t in p["texts"]]
        assert sum("annotator-en" in t for t in shown) >= 3 + 3  # every name on the scatter and in the legend
        assert not any("top 0.0)" in t or "top 0)" in t for t in shown), shown
        violations = Axe().run(page).response["violations"]
        assert [(v["id"], v["impact"]) for v in violations if v["impact"] in ("critical", "serious")] == []
        page.context.close()
