"""REST API for dataset snapshots (list, create, detail, download) and turn imports."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.access import call_for_manager
from annotation.seeding import SeedRefused, call_turns_seed, import_file_name
from annotation.services import upload_display_name
from annotation.turn_files import IMPORT_FORMATS, MAX_BYTES, ImportRejected
from annotera.jsonlimits import BoundedJSONParser

from .exports import FORMATS, ExportError
from .exports.download import snapshot_file_response, snapshot_zip_response
from .exports.selectors import project_for_exporter, snapshot_for_exporter
from .exports.snapshot import snapshot_create
from .forms import ExportOptionsForm
from .models import ExportSnapshot


class SnapshotSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    taxonomy = serializers.StringRelatedField()
    created_by = serializers.StringRelatedField()
    # Plain text, not an enum: the schema already has other "status" enums (calls, jobs).
    status = serializers.CharField(read_only=True, help_text="queued | building | ready | failed")

    class Meta:
        model = ExportSnapshot
        fields = [
            "id",
            "project",
            "taxonomy",
            "formats",
            "filters",
            "split_ratios",
            "split_seed",
            "status",
            "progress",
            "message",
            "error",
            "counts",
            "size_bytes",
            "created_by",
            "created_at",
            "built_at",
        ]


class SnapshotDetailSerializer(SnapshotSerializer):
    class Meta(SnapshotSerializer.Meta):
        fields = SnapshotSerializer.Meta.fields + ["manifest", "datacard"]


class SnapshotCreateSerializer(serializers.Serializer):
    formats = serializers.ListField(child=serializers.ChoiceField(choices=FORMATS), allow_empty=False)
    filters = serializers.DictField(required=False, default=dict)
    split = serializers.ListField(child=serializers.FloatField(min_value=0), required=False, default=list)
    seed = serializers.IntegerField(required=False, default=0, min_value=-(2**31), max_value=2**31 - 1)


class ImportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=IMPORT_FORMATS)
    file = serializers.FileField()


class SnapshotList(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(responses=SnapshotSerializer(many=True), description="The project's snapshots, newest first.")
    def get(self, request: Request, slug: str) -> Response:
        project = project_for_exporter(request.user, slug)
        return Response(SnapshotSerializer(project.snapshots.select_related("taxonomy", "created_by"), many=True).data)

    @extend_schema(
        request=SnapshotCreateSerializer,
        responses={201: SnapshotDetailSerializer, 400: OpenApiTypes.OBJECT},
        description="Queue a snapshot build. filters: calls (ids of ready calls; a call that is not ready is "
        "refused), languages, min_alpha (calls whose label alpha is at least this; calls without a defined alpha, "
        "with one annotator per turn or no variation at all, are left out; adjudicated turns are kept), "
        "adjudicated_only, gold_only, date_from, date_to, submitted_only (leave out annotations of calls their "
        "annotators have not submitted yet; otherwise each is marked submitted: false); split: [train, dev, test] "
        "shares (empty: no split); seed. "
        "The built snapshot's manifest and data card list what each filter left out (filtered_out).",
    )
    def post(self, request: Request, slug: str) -> Response:
        project = project_for_exporter(request.user, slug)
        payload = SnapshotCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        # The snapshot page's checks: every refused filter (and the split) named at once.
        options = ExportOptionsForm.for_values(project=project, filters=data["filters"], split=data["split"])
        if not options.is_valid():
            raise ValidationError(options.errors_by_field(general="filters"))
        try:
            snapshot = snapshot_create(
                project=project,
                created_by=request.user,
                formats=data["formats"],
                filters=options.cleaned_data["filters"],
                split_ratios=data["split"],
                split_seed=data["seed"],
            )
        except ExportError as exc:
            raise ValidationError({exc.field or "detail": [exc.message]}) from exc
        return Response(SnapshotDetailSerializer(snapshot).data, status=status.HTTP_201_CREATED)


class SnapshotDetail(APIView):
    @extend_schema(
        responses=SnapshotDetailSerializer,
        description="Status, progress, data card and the manifest's summary (the list of files with their "
        "sha256 is manifest.json: download it with ?file=manifest.json).",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(SnapshotDetailSerializer(snapshot_for_exporter(request.user, pk)).data)


class SnapshotDownload(APIView):
    """The whole snapshot as a streamed zip, or one file with ``?file=<path from the manifest>``."""

    @extend_schema(
        parameters=[OpenApiParameter("file", str, description="A path listed in the manifest; omit for the zip.")],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 409: OpenApiTypes.STR},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        snapshot = snapshot_for_exporter(request.user, pk)
        relative = request.query_params.get("file")
        if relative:
            return snapshot_file_response(request, snapshot, relative)
        return snapshot_zip_response(snapshot)


class CallTurnsImport(APIView):
    """Seed a call's turns from an uploaded file (multipart: ``format``, ``file``)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: int) -> Response:
        call = call_for_manager(request.user, pk)
        fmt = request.data.get("format", "")
        upload = request.data.get("file")
        if fmt not in IMPORT_FORMATS:
            raise ValidationError({"format": [f"choose one of {', '.join(IMPORT_FORMATS)}"]})
        if upload is None or not hasattr(upload, "read"):
            raise ValidationError({"file": ["upload the file to import"]})
        name = import_file_name(upload)
        if upload.size > MAX_BYTES:
            raise ValidationError({"file": [f"{name}: the file is {upload.size} bytes; the limit is {MAX_BYTES}"]})
        try:
            result = call_turns_seed(call=call, fmt=fmt, data=upload.read(), actor=request.user)
        except ImportRejected as exc:
            raise ValidationError({"file": [f"{name}: {error}" for error in exc.errors]}) from exc
        except SeedRefused as exc:
            return Response({"detail": f"Import of {name} refused: {exc}"}, status=status.HTTP_409_CONFLICT)
        return Response(
            {
                "file": upload_display_name(getattr(upload, "name", "") or ""),
                "turns": result.turns,
                "speakers": result.speakers,
                "created_speakers": result.created_speakers,
                "rerun_from": result.rerun_from,
                # What the file held besides turns and text, counted, and the same in words.
                "not_imported": result.not_imported,
                "message": result.not_imported_message,
            },
            status=status.HTTP_201_CREATED,
        )
