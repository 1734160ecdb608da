"""Page layout in a real browser (Playwright's Python package driving Debian's Chromium): long
unbroken text wraps, and no page is wider than the window, on a laptop or on a phone."""

from __future__ import annotations

import os
import shutil

import pytest

from annotation.models import Assignment, CorrectionProposal, TurnAnnotation
from tests.builders import ready_call
from tests.test_browser import browser_context, login

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300, method="thread"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make sysdeps)"),
]

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LONG_WORD = "x" * 3000  # a pasted log line, a URL, a key held down: no place to break


@pytest.fixture
def world(project, pm, reviewer, make_user):
    """One call with two turns, annotated (a 3,000-character note), one long transcript proposal
    waiting, one export snapshot and an open taxonomy draft."""
    from qa.models import ExportSnapshot
    from taxonomy.services import taxonomy_draft_for_edit

    annotator = make_user("ann", "annotator")
    call, _, turns = ready_call(project, texts=("hello there", "I was charged twice"))
    assignment = Assignment.objects.create(call=call, annotator=annotator)
    TurnAnnotation.objects.create(
        assignment=assignment, turn=turns[0], taxonomy=project.taxonomy,
        labels=[{"label": "anger", "intensity": 3}], note=LONG_WORD,
    )  # fmt: skip
    CorrectionProposal.objects.create(
        call=call, turn=turns[1], action="text", params={"text": "y" * 500}, base_revision=1,
        proposed_by=annotator, before=[{"start": 3, "end": 5.5, "speaker": "CH1", "text": turns[1].text}],
        after=[{"start": 3, "end": 5.5, "speaker": "CH1", "text": "y" * 500}],
    )  # fmt: skip
    snapshot = ExportSnapshot.objects.create(project=project, formats=["jsonl"])
    draft = taxonomy_draft_for_edit(taxonomy=project.taxonomy)
    return {
        "project": project, "call": call, "turn": turns[0], "snapshot": snapshot, "draft": draft,
        "pm": pm, "reviewer": reviewer, "annotator": annotator,
    }  # fmt: skip


def page_width(page) -> int:
    return page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def open_as(browser, live_server, username, viewport):
    page = browser_context(browser, viewport=viewport).new_page()
    login(page, live_server, username)
    return page


def widths(page, live_server, paths) -> dict[str, int]:
    found = {}
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, (path, response.status)
        page.wait_for_load_state()
        found[path] = page_width(page)
    return found


def test_long_unbroken_text_wraps_inside_the_window(browser, live_server, world):
    """A 3,000-character note made the adjudication page 25,415 px wide; a 500-character proposal,
    the corrections page 4,230 px; the taxonomy editor was 1,655 px at 1280."""
    page = open_as(browser, live_server, "pm", LAPTOP)
    paths = [
        f"/qa/turns/{world['turn'].pk}/adjudicate/",
        f"/projects/{world['project'].slug}/corrections/",
        f"/taxonomies/{world['draft'].pk}/",
    ]
    found = widths(page, live_server, paths)
    assert all(width <= LAPTOP["width"] for width in found.values()), found
    page.goto(live_server.url + paths[0])
    note = page.get_by_role("cell", name=LONG_WORD[:50], exact=False)  # the note is shown, wrapped
    box = note.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"] and box["height"] > 100, box
    # Buttons in a table's cells keep their words whole ("Acce / pt" when text could break anywhere).
    page.goto(live_server.url + paths[1])
    for name in ("Accept", "Reject"):
        button = page.get_by_role("button", name=name).first
        lines = button.evaluate(  # one line box per line of the button's text
            "b => { const r = document.createRange(); r.selectNodeContents(b); return r.getClientRects().length; }"
        )
        assert lines == 1, (name, lines)


def test_no_page_is_wider_than_a_phone(browser, live_server, world):
    """At 390x844 pages were up to 1,644 px wide, and the top bar pushed 'Log out' off-screen."""
    manager_paths = [
        f"/projects/{world['project'].slug}/",
        f"/taxonomies/{world['project'].taxonomy.pk}/",
        f"/taxonomies/{world['draft'].pk}/",
        f"/qa/snapshots/{world['snapshot'].pk}/",
        "/annotators/",
        f"/calls/{world['call'].pk}/",
        f"/projects/{world['project'].slug}/corrections/",
        f"/qa/turns/{world['turn'].pk}/adjudicate/",
        f"/projects/{world['project'].slug}/members/",
        "/taxonomies/",
        "/projects/",
        f"/qa/projects/{world['project'].slug}/agreement/",  # its filter row did not wrap: 585 px
        f"/qa/projects/{world['project'].slug}/snapshots/",
    ]
    page = open_as(browser, live_server, "pm", PHONE)
    found = widths(page, live_server, manager_paths)
    assert {path: width for path, width in found.items() if width > PHONE["width"]} == {}
    log_out = page.get_by_role("button", name="Log out").bounding_box()
    assert log_out["x"] >= 0 and log_out["x"] + log_out["width"] <= PHONE["width"], log_out

    page = open_as(browser, live_server, "ann", PHONE)
    found = widths(page, live_server, ["/queue/"])
    assert found["/queue/"] <= PHONE["width"], found
    # The Skip column is reached by scrolling the table's own box, not the page.
    skip = page.get_by_text("Skip this call")
    skip.scroll_into_view_if_needed()
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert page_width(page) <= PHONE["width"] and page.evaluate("() => window.scrollX") == 0


BOXES = """() => [...document.querySelectorAll('.table-scroll')].map(box => {
  const named = (box.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
    .map(id => (document.getElementById(id) || {textContent: ''}).textContent.trim()).join(' ');
  return {overflows: box.scrollWidth > box.clientWidth, tabindex: box.getAttribute('tabindex'),
          role: box.getAttribute('role'), name: (box.getAttribute('aria-label') || '').trim() || named};
})"""


def test_wide_tables_on_a_phone_scroll_with_the_keyboard(browser, live_server, world):
    """At 390x844 wide tables overflow their box; the box took no focus, so a keyboard user could
    not scroll it (Safari gives no scrollable box focus by itself) and axe-core's
    scrollable-region-focusable (serious) failed on the call page's stage table."""
    from axe_playwright_python.sync_playwright import Axe

    page = open_as(browser, live_server, "pm", PHONE)
    call_page = f"/calls/{world['call'].pk}/"
    paths = [call_page, f"/projects/{world['project'].slug}/", f"/projects/{world['project'].slug}/corrections/"]
    overflowing, problems = [], []
    for path in paths:
        assert page.goto(live_server.url + path).status == 200, path
        page.wait_for_load_state()
        for box in page.evaluate(BOXES):
            overflowing += [path] if box["overflows"] else []
            if (box["tabindex"], box["role"]) != ("0", "region") or not box["name"]:
                problems.append((path, box))
        violations = Axe().run(page).response["violations"]
        problems += [
            (path, v["id"], v["nodes"][0]["target"]) for v in violations if v["id"] == "scrollable-region-focusable"
        ]
    assert call_page in overflowing, overflowing  # the check below bites: the stage table overflows
    assert problems == [], "\n".join(map(str, problems))

    # Tab reaches the stage table's box, shows where the focus is, and the arrow keys scroll it.
    page.goto(live_server.url + call_page)
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('table-scroll')"):
            break
    focused = page.evaluate("() => { const b = document.activeElement; const s = getComputedStyle(b);"
                            " return {box: b.classList.contains('table-scroll'), outline: s.outlineStyle,"
                            " width: parseFloat(s.outlineWidth)}; }")  # fmt: skip
    assert focused["box"] and focused["outline"] != "none" and focused["width"] >= 2, focused
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")


# Every word of up to 24 characters (longer ones are file names, ids, pasted tokens: those may wrap
# anywhere; a hyphenated word may break after a hyphen) and every badge in the table must sit on one
# line: a Range over it gives one line box.
BROKEN_WORDS = """sel => {
  const table = document.querySelector(sel), broken = [];
  const lines = range => new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
  const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (const run of node.data.matchAll(/\\S+/g)) {
      if (run[0].length > 24) continue;
      for (const m of run[0].matchAll(/[^-]+-?/g)) {  // "server-side" may break after its hyphen
        const start = run.index + m.index, range = document.createRange();
        range.setStart(node, start); range.setEnd(node, start + m[0].length);
        if (lines(range) > 1) broken.push(m[0]);
      }
    }
  }
  for (const badge of table.querySelectorAll('.badge')) {
    const range = document.createRange(); range.selectNodeContents(badge);
    if (lines(range) > 1) broken.push('badge ' + badge.textContent.trim());
  }
  return broken;
}"""


@pytest.fixture
def failed_calls(project, pm):
    """A project with a call whose audio had no speech (the advice to upload another file), one
    that crashed at transcription (its earlier stages succeeded) and one ready call."""
    from annotation.jobs import crash_message, job_enqueue
    from annotation.models import Call, ProcessingJob
    from annotation.stage_registry import stage_names

    def with_stages(name, status, failed_at=None, **fields):
        call = project.calls.create(original_name=name, sha256=name[0] * 64, audio=name, status=status, **fields)
        for stage in stage_names():
            job = job_enqueue(call=call, stage=stage, send=False)
            if stage == failed_at:
                message = fields.get("error") or crash_message(stage.title(), job)
                ProcessingJob.objects.filter(pk=job.pk).update(status="failed", attempts=3, error=message)
                Call.objects.filter(pk=call.pk).update(error=message)
                break
            ProcessingJob.objects.filter(pk=job.pk).update(status="succeeded", attempts=1, progress=100, seconds=1.5)
        return call

    with_stages("ready.wav", "ready", duration=12.0)
    with_stages("noise.wav", "failed", "transcribe", failure=Call.Failure.NO_SPEECH,
                error="No speech was found in the recording.")  # fmt: skip
    crashed = with_stages("crashed.wav", "failed", "transcribe", failure=Call.Failure.CRASHED)
    return {"project": project, "crashed": crashed}


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_status_words_and_badges_never_break_inside_a_word(browser, live_server, failed_calls, viewport):
    """With a failure's advice shown, the call list's status column was squeezed to a sliver: each
    failed row ~350 px tall at 1280 and words broken mid-word ("annota/te"), and the call page's
    "succeeded" badges broke to "succeede/d" even at 1280 (table cells wrap anywhere)."""
    page = open_as(browser, live_server, "pm", viewport)
    project_page = f"/projects/{failed_calls['project'].slug}/"
    call_page = f"/calls/{failed_calls['crashed'].pk}/"
    for path, table in ((project_page, "#call-table-box table"), (call_page, "#stages")):
        assert page.goto(live_server.url + path).status == 200, path
        page.wait_for_load_state()
        broken = page.evaluate(BROKEN_WORDS, table)
        assert broken == [], (path, viewport, broken)
        assert page_width(page) <= viewport["width"], (path, viewport)
    page.goto(live_server.url + project_page)
    rows = page.eval_on_selector_all("#call-table-box tr.status-failed", "rows => rows.map(r => r.offsetHeight)")
    assert len(rows) == 2 and max(rows) < 150, rows  # was ~350 px at 1280


# Where each sticky first cell of a table lies after its box is scrolled to the far right, next
# to the box; whether anything covers its middle, whether its colour is opaque.
FIRST_CELLS = """sel => {
  const table = document.querySelector(sel), box = table.closest('.table-scroll');
  box.scrollLeft = box.scrollWidth;
  const rect = r => ({x: r.x, y: r.y, width: r.width, height: r.height});
  const cells = [...table.querySelectorAll(':scope > * > tr > :first-child:not([colspan])')].map(cell => {
    window.scrollTo(0, window.scrollY + cell.getBoundingClientRect().top - 100);  // the page only, not the box
    const r = cell.getBoundingClientRect();
    const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return {text: cell.textContent.trim().slice(0, 40), box: rect(r), covered: !cell.contains(top),
            background: getComputedStyle(cell).backgroundColor, within: rect(box.getBoundingClientRect())};
  });
  return {scrolled: box.scrollLeft, cells};
}"""


def test_first_column_stays_in_view_when_a_wide_table_scrolls_on_a_phone(browser, live_server, world):
    """At 390x844 a wide table scrolled sideways in its box lost its first column: the members
    table's Remove buttons showed no person, the call list's Retry no call."""
    from axe_playwright_python.sync_playwright import Axe

    page = open_as(browser, live_server, "pm", PHONE)
    serious = []
    slug = world["project"].slug
    tables = [
        (f"/projects/{slug}/members/", "[aria-label=Members] table"),
        (f"/projects/{slug}/", "#call-table-box table"),
        (f"/calls/{world['call'].pk}/", "#stages"),
        (f"/calls/{world['call'].pk}/", "[aria-label=Turns] table"),
        (f"/projects/{slug}/corrections/", "[aria-label='Corrections waiting for review'] table"),
        (f"/taxonomies/{world['draft'].pk}/", "[aria-label=Labels] table"),
    ]
    for path, table in tables:
        assert page.goto(live_server.url + path).status == 200, path
        page.wait_for_load_state()
        found = page.evaluate(FIRST_CELLS, table)
        assert found["scrolled"] > 40, (path, table, found["scrolled"])  # the box did scroll: the check bites
        assert len(found["cells"]) >= 2, (path, found)  # the header and at least one row
        for cell in found["cells"]:
            box = cell["within"]
            inside = (
                box["x"] - 0.5 <= cell["box"]["x"]
                and cell["box"]["x"] + cell["box"]["width"] <= box["x"] + box["width"] + 0.5
            )
            assert inside and cell["box"]["width"] > 0, (path, table, cell, box)
            assert not cell["covered"], (path, table, cell)
            assert cell["background"].startswith("rgb("), (path, table, cell)  # opaque: rgba(…, 0) showed cells through
        violations = Axe().run(page).response["violations"]  # scrolled sideways, the column over the cells
        serious += [(path, v["id"]) for v in violations if v["impact"] in ("critical", "serious")]
    assert serious == []

    # The person beside each Remove button, both in the box, neither over the other.
    page.goto(f"{live_server.url}/projects/{slug}/members/")
    members = page.locator("[aria-label=Members]")
    members.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    box = members.bounding_box()
    for user in ("pm", "rev"):
        row = members.locator("tr", has=page.get_by_role("button", name=f"Remove {user} as"))
        name, button = row.locator("td").first.bounding_box(), row.get_by_role("button").bounding_box()
        assert row.locator("td").first.inner_text().startswith(user)
        for shown in (name, button):
            assert box["x"] - 0.5 <= shown["x"] and shown["x"] + shown["width"] <= box["x"] + box["width"] + 0.5
        assert name["x"] + name["width"] <= button["x"], (name, button)

    # A control the keyboard reaches in the second column is scrolled clear of the sticky one, and
    # its focus ring shows: Tab from Key to Name with the box scrolled to the far right.
    page.goto(f"{live_server.url}/taxonomies/{world['draft'].pk}/")
    labels = page.locator("[aria-label=Labels]")
    labels.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    first_row = labels.locator("tbody tr").first
    first_row.locator("td").first.locator("input").first.focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.closest('td').cellIndex")
    assert focused == 1, focused
    key_cell = first_row.locator("td").first.bounding_box()
    name = page.evaluate(
        "() => { const r = document.activeElement.getBoundingClientRect(), s = getComputedStyle(document.activeElement);"
        " return {x: r.x, width: r.width, outline: s.outlineStyle, ring: parseFloat(s.outlineWidth) + parseFloat(s.outlineOffset || 0)}; }"
    )
    assert name["x"] - max(name["ring"], 0) >= key_cell["x"] + key_cell["width"] - 0.5, (name, key_cell)


@pytest.fixture
def disputed(world, make_user):
    """``world``, with the note's turn judged by two annotators who disagree, both submitted."""
    Assignment.objects.filter(annotator=world["annotator"]).update(status=Assignment.Status.SUBMITTED)
    other = Assignment.objects.create(
        call=world["call"], annotator=make_user("bea", "annotator"), status=Assignment.Status.SUBMITTED
    )
    TurnAnnotation.objects.create(
        assignment=other, turn=world["turn"], taxonomy=world["project"].taxonomy,
        labels=[{"label": "frustration", "intensity": 2}],
    )  # fmt: skip
    return world


def test_review_tables_keep_words_whole_and_their_first_column_on_a_phone(browser, live_server, disputed):
    """At 390x844 the disagreement queue broke words inside ("Adjudica/te", "frustrati/on"), as
    did the agreement report ("descripti/ve": cells wrapped anywhere), and its first column
    scrolled away with the rest, leaving Adjudicate links that named no turn."""
    page = open_as(browser, live_server, "rev", PHONE)
    slug = disputed["project"].slug
    queue = "[aria-label='Disagreement queue'] table"
    report_tables = [
        "Agreement per judgement",
        "Annotators",
        "Culture and anchoring",
        "Suggestion acceptance per label",
    ]
    checked = []
    for path, tables in (
        (f"/qa/projects/{slug}/disagreements/", [queue]),
        (f"/qa/projects/{slug}/agreement/", [f"[aria-label='{name}'] table" for name in report_tables]),
    ):
        assert page.goto(live_server.url + path).status == 200, path
        page.wait_for_load_state()
        for table in tables:
            if not page.locator(table).count():
                continue
            checked.append(table)
            assert page.evaluate(BROKEN_WORDS, table) == [], (path, table)
        assert page_width(page) <= PHONE["width"], path  # the tables scroll in their boxes, not the page
    assert queue in checked and len(checked) >= 3, checked

    page.goto(f"{live_server.url}/qa/projects/{slug}/disagreements/")
    assert "frustration" in page.locator(queue).inner_text()
    found = page.evaluate(FIRST_CELLS, queue)
    assert found["scrolled"] > 40, found["scrolled"]  # the box did scroll: the check bites
    assert len(found["cells"]) >= 2 and found["cells"][1]["text"].startswith("c.wav #1"), found
    for cell in found["cells"]:
        box = cell["within"]
        inside = (
            box["x"] - 0.5 <= cell["box"]["x"]
            and cell["box"]["x"] + cell["box"]["width"] <= box["x"] + box["width"] + 0.5
        )
        assert inside and not cell["covered"] and cell["background"].startswith("rgb("), (cell, box)
