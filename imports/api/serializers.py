from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.api.serializers import RejectUnknownFieldsMixin

from ..models import ImportIssue, ImportKind, ImportMode, ImportRun, ImportStatus
from ..services import ERRORS_SHOWN, progress_of


def _enum_field(choices: type[models.TextChoices], component_name: str) -> type[serializers.ChoiceField]:
    """A choice field documented as an enum component of its own: other apps have fields named `kind` and `status`
    with other choices, and the schema must not guess between them."""

    @extend_schema_field({"type": "string", "enum": list(choices.values)}, component_name=component_name)
    class EnumField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=choices.choices, **kwargs)

    EnumField.__name__ = EnumField.__qualname__ = f"{choices.__name__}Field"
    return EnumField


KindField = _enum_field(ImportKind, "ImportKindEnum")
ModeField = _enum_field(ImportMode, "ImportModeEnum")
StatusField = _enum_field(ImportStatus, "ImportStatusEnum")


class SentBooleanField(serializers.BooleanField):
    """A yes/no that, when the form sends it, must say yes or no: DRF reads an empty form value as not sent (here,
    write the file at once); an empty `dry_run` is refused instead of taken for the write."""

    def get_value(self, dictionary):
        if self.field_name in dictionary and dictionary[self.field_name] == "":
            return ""
        return super().get_value(dictionary)


class ImportUploadSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """An upload (multipart): the kind of extract, the file, the mode, and whether to stop at the preview."""

    kind = KindField()
    file = serializers.FileField(allow_empty_file=False, use_url=False)
    mode = ModeField(default=ImportMode.UPSERT)
    dry_run = SentBooleanField(
        default=False, help_text=_("true: check and preview only; otherwise a valid file is written at once")
    )


class ImportIssueSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportIssue
        fields = ["line", "column", "value", "message"]


class ImportRunListSerializer(serializers.ModelSerializer):
    """A run as the list shows it: what it is, how it ended, its counts (its errors are on the run itself)."""

    kind = KindField(read_only=True)
    mode = ModeField(read_only=True)
    status = StatusField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)
    duration = serializers.FloatField(read_only=True, allow_null=True, help_text=_("seconds"))
    progress = serializers.SerializerMethodField(help_text=_("phase, done, total while the run works"))

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "kind",
            "mode",
            "status",
            "dry_run",
            "file_name",
            "size",
            "sha256",
            "file_format",
            "encoding",
            "rows",
            "created",
            "updated",
            "unchanged",
            "removed",
            "errors_count",
            "message",
            "progress",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "written_at",
            "duration",
            "same_as",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_progress(self, run: ImportRun) -> dict:
        return progress_of(run)


class ImportRunSerializer(ImportRunListSerializer):
    """A run with its preview (the customers whose tier moves) and its first errors, in line order."""

    errors = serializers.SerializerMethodField(help_text=_("the first errors, in line order (errors_count has all)"))

    class Meta(ImportRunListSerializer.Meta):
        fields = [*ImportRunListSerializer.Meta.fields, "preview", "errors"]
        read_only_fields = fields

    @extend_schema_field(ImportIssueSerializer(many=True))
    def get_errors(self, run: ImportRun) -> list[dict]:
        if not run.errors_count:
            return []
        issues = ImportIssue.objects.filter(run=run).order_by("line", "id")[:ERRORS_SHOWN]
        return ImportIssueSerializer(issues, many=True).data
