#!/usr/bin/env python
"""Load benchmark: simulated annotators autosaving turn annotations against a real server on PostgreSQL.

    .venv/bin/python benchmarks/load.py [--annotators 50] [--seconds 20] [--runs 3] [--interval 1.0]
        [--database-url postgres://postgres@127.0.0.1:5432/annotera_load] [--workers 3] [--threads 8]

The app runs under gunicorn (gthread workers, production settings: DEBUG=0, persistent database
connections) on its own PostgreSQL database, created if missing (never the shared ``test``
database). Each simulated annotator holds a token and one assignment on its own call of 200
turns and, like the workspace's autosave, PUTs one turn's annotation every ``--interval``
seconds (jittered +-50%) with If-Match set to the version it last saw; a save is an error
unless it answers 200. The load generator runs in this process (one thread per annotator,
keep-alive sessions) and shares the machine's cores with the server.

Yardstick, same run and same concurrency: the same annotators call ``/healthz`` (no database,
no auth) at the same pace; the ratio says how much of the save latency is the application's own
work rather than the server, the network stack and the load generator.
Figures are medians over ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SECRET = "load-benchmark-secret-key-not-for-production-0123456789abcdefghijklmnop"


def server_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "DB_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "annotera.settings",
        "PYTHONWARNINGS": "ignore::UserWarning",  # whitenoise: no collected static files here
    }


def ensure_database(database_url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    if name in ("test", "postgres"):
        raise SystemExit(f"Refusing to use the shared database {name!r}; pick your own (e.g. annotera_load).")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(database_url: str, annotators: int, turns: int) -> list[dict]:
    """Migrate, then (re)create the benchmark project: one call and assignment per annotator."""
    os.environ.update(server_env(database_url))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from annotation.models import Assignment, Call, Project, Speaker, Turn
    from annotation.services import project_create
    from annotera.models import AuditEvent
    from annotera.roles import ensure_role_groups
    from taxonomy.services import taxonomy_get_or_create_default

    ensure_role_groups()
    Project.objects.filter(slug="load").delete()
    get_user_model().objects.filter(username__startswith="load-annotator-").delete()
    AuditEvent.objects.all().delete()
    project = project_create(name="Load", slug="load", taxonomy=taxonomy_get_or_create_default())
    group = Group.objects.get(name="annotator")
    people = []
    for i in range(annotators):
        user = get_user_model().objects.create_user(f"load-annotator-{i:03d}", password=None)
        user.groups.add(group)
        call = Call.objects.create(
            project=project, original_name=f"load-{i}.wav", sha256=f"{i:064x}", audio=f"load-{i}.wav",
            status="ready", duration=turns * 3.0,
        )  # fmt: skip
        speaker = Speaker.objects.create(call=call, label="CH0", role="customer", channel=0)
        Turn.objects.bulk_create(
            Turn(call=call, speaker=speaker, order=n, start=n * 3.0, end=n * 3.0 + 2.5, text=f"turn {n}")
            for n in range(turns)
        )
        assignment = Assignment.objects.create(call=call, annotator=user)
        people.append(
            {
                "token": Token.objects.create(user=user).key,
                "assignment": assignment.pk,
                "turns": list(call.turns.order_by("order").values_list("pk", flat=True)),
            }
        )
    from django.db import connections

    connections.close_all()
    return people


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "annotera.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
         "--keep-alive", "30", "--log-level", "warning"],
        cwd=ROOT, env=server_env(database_url),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def drive(base: str, people: list[dict], seconds: float, interval: float, phase: str) -> dict:
    """Run every simulated annotator for ``seconds``; return latencies (ms), errors, throughput."""
    import requests

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_barrier = threading.Barrier(len(people))
    labels = ["anger", "frustration", "confusion", "satisfaction", "gratitude", "neutral", "anxiety"]

    def annotator(index: int, person: dict) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {person['token']}"
        versions: dict[int, int] = person.setdefault("versions", {})  # kept across phases, like a tab
        rng = random.Random(index + 1000 * len(versions))
        mine_lat, mine_err = [], []
        start_barrier.wait()
        time.sleep(rng.uniform(0, interval))  # spread the first saves like real people
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            if phase == "save":
                turn = person["turns"][n % len(person["turns"])]
                url = f"{base}/api/assignments/{person['assignment']}/turns/{turn}/annotation/"
                body = {"labels": [{"label": rng.choice(labels), "intensity": rng.randint(1, 5)}],
                        "valence": rng.randint(-3, 3), "arousal": rng.randint(1, 5)}  # fmt: skip
                t0 = time.perf_counter()
                try:
                    response = session.put(
                        url, json=body, headers={"If-Match": f'"{versions.get(turn, 0)}"'}, timeout=30
                    )
                    elapsed = (time.perf_counter() - t0) * 1000
                    if response.status_code == 200:
                        versions[turn] = int(response.headers["ETag"].strip('"'))
                    else:
                        mine_err.append(f"{response.status_code} {response.text[:120]}")
                except requests.RequestException as exc:
                    elapsed = (time.perf_counter() - t0) * 1000
                    mine_err.append(repr(exc)[:120])
            else:
                t0 = time.perf_counter()
                try:
                    response = session.get(f"{base}/healthz", timeout=30)
                    elapsed = (time.perf_counter() - t0) * 1000
                    if response.status_code != 200:
                        mine_err.append(str(response.status_code))
                except requests.RequestException as exc:
                    elapsed = (time.perf_counter() - t0) * 1000
                    mine_err.append(repr(exc)[:120])
            mine_lat.append(elapsed)
            n += 1
            time.sleep(max(0.0, interval * rng.uniform(0.5, 1.5) - elapsed / 1000))
        with lock:
            latencies.extend(mine_lat)
            errors.extend(mine_err)

    threads = [threading.Thread(target=annotator, args=(i, p)) for i, p in enumerate(people)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")

    return {
        "n": len(ordered),
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "errors": len(errors),
        "error_examples": errors[:3],
        "throughput": len(ordered) / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between one annotator's saves")
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/annotera_load"),
    )
    args = parser.parse_args()
    ensure_database(args.database_url)
    people = prepare(args.database_url, args.annotators, args.turns)
    proc, base = start_server(args.database_url, args.workers, args.threads)
    results: dict[str, list[dict]] = {"healthz": [], "save": []}
    load_before = os.getloadavg()[0]
    try:
        drive(base, people, 3.0, args.interval, "save")  # warm-up: connections, caches
        for _ in range(args.runs):
            results["healthz"].append(drive(base, people, args.seconds, args.interval, "healthz"))
            results["save"].append(drive(base, people, args.seconds, args.interval, "save"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    def med(phase: str, key: str) -> float:
        return statistics.median(r[key] for r in results[phase])

    print(
        f"# Load benchmark: {args.annotators} annotators autosaving every {args.interval:g} s (+-50%), "
        f"{args.seconds:g} s x {args.runs} runs; gunicorn {args.workers} workers x {args.threads} threads; "
        f"PostgreSQL; {os.cpu_count()} CPUs shared with the load generator\n"
    )
    print(
        f"| {'workload':<44} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} | {'req/s':>7} | {'errors':>6} | requests"
    )
    print(f"|{'-' * 46}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 8}|---------")
    for phase, title in (
        ("save", "PUT turn annotation (If-Match), per save"),
        ("healthz", "yardstick: GET /healthz, same pace"),
    ):
        print(
            f"| {title:<44} | {med(phase, 'p50'):>7.1f} | {med(phase, 'p95'):>7.1f} | {med(phase, 'p99'):>7.1f} | "
            f"{med(phase, 'throughput'):>7.1f} | {sum(r['errors'] for r in results[phase]):>6} | "
            f"{sum(r['n'] for r in results[phase])}"
        )
    print(
        f"\nmachine load average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs (other processes compete with the server; compare runs by their ratio)"
    )
    ratio = med("save", "p95") / med("healthz", "p95")
    print(f"p95 save / p95 healthz = {ratio:.1f}x;  p95 per run (save): "
          + ", ".join(f"{r['p95']:.1f}" for r in results["save"]) + " ms")  # fmt: skip
    goal = "met" if med("save", "p95") < 100 and not sum(r["errors"] for r in results["save"]) else "NOT met"
    print(f"goal (p95 save < 100 ms, no errors): {goal}")
    examples = [e for r in results["save"] for e in r["error_examples"]]
    if examples:
        print("error examples:", examples[:3])


if __name__ == "__main__":
    main()
