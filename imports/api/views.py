from __future__ import annotations

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import audit
from crm.api.permissions import May
from crm.models import AuditAction

from .. import outputs, tasks
from ..kinds import KINDS
from ..models import ImportRun
from ..services import import_run_confirm, import_run_create, import_run_discard, upload_keep, upload_size_refusal
from .serializers import ImportRunListSerializer, ImportRunSerializer, ImportUploadSerializer


class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports of BOSS extracts (SPEC §8.4). POST (multipart: `kind`, `file`, `mode`, `dry_run`) stores the file
    and checks it whole: a valid file is written at once, or with `dry_run` previewed, to be confirmed later
    (`confirm/`). GET lists the runs the caller sees, newest first; one run has its preview and its first errors.
    Provincial staff and headquarters import; a run outside what the caller sees is 404."""

    lookup_value_regex = r"\d+"
    # An upload is multipart; its file goes to disk as it arrives (settings.FILE_UPLOAD_HANDLERS).
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return ImportRun.objects.visible_to(self.request.user).select_related("created_by")

    def get_serializer_class(self):
        if self.action == "list":
            return ImportRunListSerializer
        if self.action == "create":
            return ImportUploadSerializer
        return ImportRunSerializer

    def get_permissions(self):
        # Confirming asks the right in the service, after the run is looked up among those the caller sees: an
        # outsider gets 404.
        if self.action == "create":
            return [IsAuthenticated(), May("imports.run")()]
        return super().get_permissions()

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={201: ImportRunSerializer})
    def create(self, request, *args, **kwargs):
        too_large = upload_size_refusal(request.META.get("CONTENT_LENGTH"))
        if too_large:  # refused before the body is read and stored
            raise ValidationError({"file": [too_large]})
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        path = upload_keep(upload)
        try:
            run = import_run_create(
                user=request.user,
                kind=data["kind"],
                mode=data["mode"],
                file_name=upload.name,
                path=path,
                dry_run=data["dry_run"],
            )
        finally:
            path.unlink(missing_ok=True)  # moved into the imports directory when the run was made
        # The run's row is committed (no transaction is open here), so a worker finds it.
        tasks.enqueue(tasks.import_check, run, then="preview" if data["dry_run"] else "write")
        run = self.get_queryset().get(pk=run.pk)
        return Response(ImportRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ImportRunSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None, format=None):  # noqa: A002 - the router's .json suffix
        """Write a previewed run (or one whose write failed); any other is 400."""
        run = self.get_object()
        import_run_confirm(run=run, user=request.user)
        tasks.enqueue(tasks.import_write, run)
        return Response(ImportRunSerializer(self.get_queryset().get(pk=run.pk)).data)

    @extend_schema(request=None, responses=ImportRunSerializer)
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None, format=None):  # noqa: A002 - the router's .json suffix
        """Drop a previewed run (or one whose write failed) without writing it: `discarded`; any other is 400."""
        run = self.get_object()
        import_run_discard(run=run, user=request.user)
        return Response(ImportRunSerializer(self.get_queryset().get(pk=run.pk)).data)


class ImportErrorFileView(APIView):
    """The run's error file: its header and every bad row as uploaded, with the reasons in a last column
    `错误原因`; fixed in place, it can be uploaded as it is. UTF-8 with BOM."""

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        run = get_object_or_404(ImportRun.objects.visible_to(request.user), pk=pk)
        audit.record(
            user=request.user,
            action=AuditAction.EXPORT,
            obj=run,
            detail={"file": "errors", "errors": run.errors_count},
        )
        response = StreamingHttpResponse(outputs.ErrorFileCSV(run), content_type=outputs.CSV_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, outputs.error_file_name(run))
        return response


class ImportTemplateView(APIView):
    """A kind's template: XLSX (with a sheet 说明 documenting every column) or CSV (UTF-8 with BOM)."""

    permission_classes = [May("imports.run")]
    file_format = "xlsx"

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(KINDS))],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request, kind: str):
        if kind not in KINDS:
            raise Http404
        content, content_type, file_name = outputs.template_for(kind, self.file_format)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, file_name)
        return response
