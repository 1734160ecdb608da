#!/usr/bin/env python
"""Workspace benchmark in headless Chromium: a 2-hour call with 2,000 turns.

    .venv/bin/python benchmarks/workspace.py [--turns 2000] [--hours 2] [--runs 3]

Builds the call directly (generated stereo audio, peaks, turns with words and contours, one
assignment), serves the app with Django's test server on 127.0.0.1, and measures:
server render of the workspace page and of its JSON, the peaks payload for the overview, time to
interactive (turns rendered and waveform drawn), long tasks (> 50 ms, PerformanceObserver) while
seeking, zooming and scrolling, and the audio bytes fetched before playback starts. Yardstick,
same run: the Django admin's index page rendered by the same server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(tmp: Path, hours: float, turns: int) -> dict:
    os.environ.update({"DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp}/ws.sqlite3", "MEDIA_ROOT": str(tmp / "media"),
                       "DJANGO_SETTINGS_MODULE": "annotera.settings"})  # fmt: skip
    import django

    django.setup()
    import numpy as np
    import soundfile as sf
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from annotation.models import Assignment, Call, Speaker, Turn
    from annotation.pipeline.peaks import compute_peaks, save_peaks
    from annotation.services import project_create
    from annotation.storage import peaks_path
    from annotera.roles import ensure_role_groups
    from taxonomy.services import taxonomy_get_or_create_default

    ensure_role_groups()
    seconds = int(hours * 3600)
    rng = np.random.default_rng(0)
    audio_path = tmp / "long.flac"
    envelope = np.repeat(rng.random(seconds) > 0.3, 16000).astype(np.float32)
    samples = np.stack(
        [envelope * rng.normal(0, 0.1, envelope.size), envelope[::-1] * rng.normal(0, 0.1, envelope.size)]
    )
    sf.write(audio_path, samples.T.astype(np.float32), 16000, format="FLAC")
    project = project_create(name="ws", slug="ws", taxonomy=taxonomy_get_or_create_default())
    from django.core.files import File

    call = Call(
        project=project, original_name="long.flac", sha256="9" * 64, status="ready", duration=seconds, channels=2
    )
    with audio_path.open("rb") as fh:
        call.audio.save("long.flac", File(fh), save=True)
    save_peaks(compute_peaks(samples, 16000), peaks_path(call))
    speakers = [
        Speaker.objects.create(call=call, label=f"CH{i}", channel=i, role=r)
        for i, r in enumerate(["agent", "customer"])
    ]
    step = seconds / turns
    contour = {"hz": 10, "pitch_st": [float(x) for x in rng.normal(5, 2, 30).round(1)], "loudness_db": [60.0] * 30}
    Turn.objects.bulk_create(
        [
            Turn(call=call, speaker=speakers[i % 2], order=i, start=i * step, end=i * step + step * 0.9,
                 text=" ".join(f"word{j}" for j in range(12)),
                 words=[{"w": f"word{j}", "s": i * step + j * step * 0.07, "e": i * step + j * step * 0.07 + 0.2, "p": 1.0} for j in range(12)],
                 prosody={"contour": contour})
            for i in range(turns)
        ],
        batch_size=500,
    )  # fmt: skip
    user = get_user_model().objects.create_user("bench", password="bench-pass-123")
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="annotator"))
    admin = get_user_model().objects.create_superuser("root", password="bench-pass-123")
    assignment = Assignment.objects.create(call=call, annotator=user)
    return {"assignment": assignment.pk, "call": call.pk, "admin": admin.username}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="annotera-ws-"))
    ids = build(tmp, args.hours, args.turns)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{args.port}", "--noreload", "--nothreading"],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        report(args, ids)
    finally:
        server.terminate()


def report(args, ids) -> None:
    import requests
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{args.port}"
    for _ in range(100):
        try:
            requests.get(base + "/healthz", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.2)
    session = requests.Session()
    session.get(base + "/login/")
    session.post(base + "/login/", data={"username": "bench", "password": "bench-pass-123",
                                         "csrfmiddlewaretoken": session.cookies["csrftoken"]}, headers={"Referer": base})  # fmt: skip

    def timed(url: str, s=session) -> tuple[float, int]:
        started = time.perf_counter()
        response = s.get(url)
        return time.perf_counter() - started, len(response.content)

    page_times = [timed(f"{base}/assignments/{ids['assignment']}/workspace/")[0] for _ in range(args.runs)]
    json_runs = [timed(f"{base}/api/assignments/{ids['assignment']}/workspace/") for _ in range(args.runs)]
    chunk_runs = [
        timed(f"{base}/api/assignments/{ids['assignment']}/workspace/turns/?first=0&last=49") for _ in range(args.runs)
    ]
    peaks_runs = [
        timed(f"{base}/calls/{ids['call']}/peaks?start=0&end={args.hours * 3600}&buckets=1400")
        for _ in range(args.runs)
    ]
    admin = requests.Session()
    admin.get(base + "/login/")
    admin.post(base + "/login/", data={"username": "root", "password": "bench-pass-123",
                                       "csrfmiddlewaretoken": admin.cookies["csrftoken"]}, headers={"Referer": base})  # fmt: skip
    yard = [timed(f"{base}/admin/", admin)[0] for _ in range(args.runs)]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu",
                                    "--disable-background-networking", "--autoplay-policy=no-user-gesture-required"])  # fmt: skip
        context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)  # probes use eval
        context.add_cookies([{"name": k, "value": v, "url": base} for k, v in session.cookies.items()])
        # Time to interactive: the median of several cold page loads (fresh page each time).
        ttis = []
        for _ in range(args.runs):
            probe = context.new_page()
            started = time.perf_counter()
            probe.goto(f"{base}/assignments/{ids['assignment']}/workspace/")
            probe.wait_for_function(
                f"document.querySelectorAll('.ws-turn').length === {args.turns} && window.annotera.state.peaks"
            )
            ttis.append(time.perf_counter() - started)
            probe.close()
        page = context.new_page()
        # Bytes actually received for the audio (Chrome DevTools Protocol), not Content-Length headers:
        # the browser reads a little of each response and cancels the rest.
        audio_bytes, urls = [], {}
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on(
            "Network.dataReceived",
            lambda e: (
                audio_bytes.append(e.get("encodedDataLength") or e["dataLength"])
                if "/audio" in urls.get(e["requestId"], "")
                else None
            ),
        )
        page.add_init_script(
            "window.__long = []; new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration))).observe({entryTypes: ['longtask']});"
        )
        page.goto(f"{base}/assignments/{ids['assignment']}/workspace/")
        page.wait_for_function(
            f"document.querySelectorAll('.ws-turn').length === {args.turns} && window.annotera.state.peaks"
        )
        before_play = sum(audio_bytes)
        page.evaluate("window.__long = []")
        page.keyboard.press("Space")
        page.wait_for_function("document.getElementById('ws-audio').currentTime > 0.2", timeout=20000)
        bytes_to_play = sum(audio_bytes)
        page.keyboard.press("Space")
        for t in (1800, 5400, 300):
            page.evaluate(f"document.getElementById('ws-audio').currentTime = {t}")
            page.wait_for_timeout(300)
        for key in ("+", "+", "+", "-"):
            page.keyboard.press(key)
            page.wait_for_timeout(300)
        page.mouse.move(700, 700)
        for _ in range(10):
            page.mouse.wheel(0, 2000)
            page.wait_for_timeout(50)
        long_tasks = page.evaluate("window.__long")
        browser.close()

    median = statistics.median
    print(
        f"# Workspace benchmark: {args.hours:g} h call, {args.turns} turns ({os.cpu_count()} CPUs, medians of {args.runs})\n"
    )
    print(f"| {'figure':<50} | {'value':>14} | note")
    print(f"|{'-' * 52}|{'-' * 16}|------")
    print(f"| {'server render: workspace page':<50} | {1000 * median(page_times):>11.0f} ms | goal < 300 ms")
    print(
        f"| {'server render: workspace JSON (all turns)':<50} | {1000 * median(r[0] for r in json_runs):>11.0f} ms | {json_runs[0][1] / 1024:.0f} KB"
    )
    print(
        f"| {'server: words + contours for 50 turns':<50} | {1000 * median(r[0] for r in chunk_runs):>11.0f} ms | {chunk_runs[0][1] / 1024:.0f} KB"
    )
    print(
        f"| {'peaks payload, whole-call overview (1400 px)':<50} | {peaks_runs[0][1] / 1024:>11.1f} KB | goal < 500 KB; {1000 * median(r[0] for r in peaks_runs):.0f} ms"
    )
    print(f"| {'yardstick: Django admin index, same server':<50} | {1000 * median(yard):>11.0f} ms |")
    print(
        f"| {'time to interactive (turns + waveform drawn)':<50} | {1000 * median(ttis):>11.0f} ms | goal < 1500 ms; runs {', '.join(f'{1000 * t:.0f}' for t in ttis)}"
    )
    print(
        f"| {'long tasks while seeking/zooming/scrolling':<50} | {len(long_tasks):>14} | longest {max(long_tasks, default=0):.0f} ms; goal none > 100 ms"
    )
    print(
        f"| {'audio bytes fetched before playback started':<50} | {bytes_to_play / 1024:>11.0f} KB | before pressing play: {before_play / 1024:.0f} KB"
    )


if __name__ == "__main__":
    main()
