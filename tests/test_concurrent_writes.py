"""Two real HTTP clients (two threads, two connections to a live server) write the same
TurnAnnotation at the same moment, round after round: exactly one write per version wins, the
other gets 409 with the current state, merges and retries, and no label is ever lost.

Runs on the configured database. On PostgreSQL (the production database) run it with your own
database name, e.g.:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotera_api DEBUG=1 \
        .venv/bin/python -m pytest tests/test_concurrent_writes.py

(pytest-django creates and drops ``test_annotera_api``.)
"""

from __future__ import annotations

import threading

import pytest
import requests
from rest_framework.authtoken.models import Token

from annotation.models import Assignment, TurnAnnotation

from .builders import ready_call

ROUNDS = 12
LABELS = ["anger", "frustration", "confusion", "gratitude", "satisfaction", "anxiety"]  # default taxonomy


@pytest.fixture
def target(project, make_user, live_server):
    call, speaker, (turn,) = ready_call(project)
    annotator = make_user("ann", "annotator")
    assignment = Assignment.objects.create(call=call, annotator=annotator)
    token = Token.objects.create(user=annotator).key
    url = f"{live_server.url}/api/assignments/{assignment.pk}/turns/{turn.pk}/annotation/"
    return url, token, assignment, turn


@pytest.mark.django_db(transaction=True)
def test_two_clients_racing_on_one_annotation_lose_nothing(target):
    url, token, assignment, turn = target
    barrier = threading.Barrier(2)
    outcomes: list[list[int]] = [[], []]
    written: list[set[str]] = [set(), set()]
    errors: list[str] = []

    def client(index: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        try:
            for round_no in range(ROUNDS):
                mine = f"{LABELS[(round_no * 2 + index) % len(LABELS)]}"
                current = session.get(url, timeout=30)
                version = current.headers["ETag"]
                labels = {item["label"] for item in current.json().get("labels", [])}
                barrier.wait(timeout=30)  # both now hold the same version; write together
                body = {"labels": [{"label": k, "intensity": 3} for k in sorted(labels | {mine})]}
                response = session.put(url, json=body, headers={"If-Match": version}, timeout=30)
                outcomes[index].append(response.status_code)
                while response.status_code == 409:  # merge with what is there now, and retry
                    now = response.json()["current"]
                    merged = {item["label"] for item in now["labels"]} | {mine}
                    body = {"labels": [{"label": k, "intensity": 3} for k in sorted(merged)]}
                    response = session.put(url, json=body, headers={"If-Match": f'"{now["version"]}"'}, timeout=30)
                if response.status_code != 200:
                    errors.append(f"client {index} round {round_no}: {response.status_code} {response.text[:200]}")
                    barrier.abort()
                    return
                written[index].add(mine)
                barrier.wait(timeout=30)  # the round is over for both before the next read
        except Exception as exc:  # noqa: BLE001 - reported below, with the thread's name
            errors.append(f"client {index}: {exc!r}")
            barrier.abort()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    # Each round: both wrote from the same version, so exactly one first attempt won.
    for round_no in range(ROUNDS):
        firsts = sorted([outcomes[0][round_no], outcomes[1][round_no]])
        assert firsts == [200, 409], f"round {round_no}: {firsts}"
    stored = TurnAnnotation.objects.get(assignment=assignment, turn=turn)
    # Every write that was acknowledged is in the final state (no lost update) ...
    assert {item["label"] for item in stored.labels} == written[0] | written[1]
    # ... and the version counts every successful write: one winner plus one merge per round.
    assert stored.version == 2 * ROUNDS
