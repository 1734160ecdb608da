"""Dataset snapshot pages (project managers and reviewers of the project) and the turn import
form of the call page (project managers)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from annotation.access import call_for_manager
from annotation.seeding import SeedRefused, call_turns_seed, import_file_name
from annotation.turn_files import MAX_BYTES, ImportRejected

from .exports import ExportError
from .exports.datacard import filters_text
from .exports.download import snapshot_file_response, snapshot_zip_response
from .exports.records import LEFT_OUT_REASONS
from .exports.selectors import project_for_exporter, snapshot_for_exporter
from .exports.snapshot import snapshot_create, snapshot_manifest
from .forms import SnapshotForm
from .models import ExportSnapshot


@login_required
def project_snapshots(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_exporter(request.user, slug)
    form = SnapshotForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            snapshot = snapshot_create(
                project=project,
                created_by=request.user,
                formats=data["formats"],
                filters=data["filters"],
                split_ratios=data["split"],
                split_seed=data["seed"] or 0,
            )
        except ExportError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Snapshot {snapshot.pk} queued.")
            return redirect("qa:snapshot_detail", pk=snapshot.pk)
    snapshots = list(project.snapshots.select_related("created_by", "taxonomy"))
    for s in snapshots:  # "min_alpha 0.0; languages en, hi", not the stored dict
        s.filters_shown = filters_text(s.filters) if s.filters else "—"
    return render(request, "qa/snapshots.html", {"project": project, "form": form, "snapshots": snapshots})


def _busy(snapshot: ExportSnapshot) -> bool:
    return snapshot.status in (ExportSnapshot.Status.QUEUED, ExportSnapshot.Status.BUILDING)


def _left_out(counts: dict | None) -> list[dict]:
    """{reason: n} as [{"n", "why"}] in words, the reasons with none left out dropped (snapshots
    built before a reason existed simply lack it)."""
    return [{"n": n, "why": LEFT_OUT_REASONS.get(reason, reason)} for reason, n in (counts or {}).items() if n]


@login_required
def snapshot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    snapshot = snapshot_for_exporter(request.user, pk)
    template = "qa/_snapshot_status.html" if request.htmx else "qa/snapshot_detail.html"
    files = snapshot_manifest(snapshot).get("files", []) if snapshot.status == ExportSnapshot.Status.READY else []
    context = {"snapshot": snapshot, "busy": _busy(snapshot), "project": snapshot.project, "files": files[:200],
               "filters_shown": filters_text(snapshot.filters),
               "annotations_left_out": _left_out((snapshot.counts or {}).get("annotations_left_out")),
               "judgements_left_out": _left_out(((snapshot.datacard or {}).get("agreement") or {}).get("judgements_left_out"))}  # fmt: skip
    return render(request, template, context)


@login_required
def snapshot_download(request: HttpRequest, pk: int) -> HttpResponse:
    return snapshot_zip_response(snapshot_for_exporter(request.user, pk))


@login_required
def snapshot_file(request: HttpRequest, pk: int, path: str) -> HttpResponse:
    return snapshot_file_response(request, snapshot_for_exporter(request.user, pk), path)


@login_required
@require_POST
def call_turns_import(request: HttpRequest, call_id: int) -> HttpResponse:
    call = call_for_manager(request.user, call_id)
    upload = request.FILES.get("file")
    fmt = request.POST.get("format", "")
    if upload is None:
        messages.error(request, "Import refused: choose a file.")
        return redirect("annotation:call_detail", call_id=call.pk)
    refused = f"Import of {import_file_name(upload)} refused: "
    if upload.size > MAX_BYTES:
        messages.error(request, f"{refused}the file is {upload.size} bytes; the limit is {MAX_BYTES}.")
    else:
        try:
            result = call_turns_seed(call=call, fmt=fmt, data=upload.read(), actor=request.user)
        except ImportRejected as exc:
            messages.error(request, refused + "; ".join(exc.errors))
        except SeedRefused as exc:
            messages.error(request, f"{refused}{exc}.")
        else:
            rerun = " Prosody and suggestions are being recomputed." if result.rerun_from else ""
            left_out = f" {result.not_imported_message}" if result.not_imported else ""
            messages.success(
                request,
                f"Imported {result.turns} turns for {result.speakers} speakers from {import_file_name(upload)}."
                f"{left_out}{rerun}",
            )
    return redirect("annotation:call_detail", call_id=call.pk)
