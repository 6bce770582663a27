"""The record of every import of a BOSS extract (SPEC §8.4): who, when, what file, what it did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.visibility import territory_path

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from crm.models import User


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    KEY_PERSONS = "key_persons", _("Key persons")
    MEMBERS = "members", _("Group members")
    HOLDINGS = "holdings", _("Product holdings")
    BILLING = "billing", _("Billing")
    DO_NOT_CALL = "do_not_call", _("Do-not-call list")


class ImportMode(models.TextChoices):
    UPSERT = "upsert", _("Add and update")
    REPLACE = "replace", _("Replace the lists of the customers named")


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", _("Validating")
    INVALID = "invalid", _("Invalid")
    PREVIEWED = "previewed", _("Previewed")
    WRITING = "writing", _("Writing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    # A checked run whose rows were dropped unwritten: its user decided against it, or it waited for a confirm
    # longer than IMPORTS_PREVIEW_DAYS (`services.import_run_discard`).
    DISCARDED = "discarded", _("Discarded")


class ImportRunQuerySet(models.QuerySet["ImportRun"]):
    def visible_to(self, user: User | AnonymousUser) -> Self:
        """Headquarters see every import; provincial staff those into their province (SPEC §8.4, §2)."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        if not user.is_provincial_staff:
            return self.none()
        path = territory_path(user)
        return self.none() if path is None else self.filter(territory__path__startswith=path)


class ImportRun(models.Model):
    """One file imported (or tried): its kind and mode, the file's name, size and SHA-256, the counts, the
    errors found, how long it took and how it ended. Its rows wait in a staging table between the check and the
    write (`imports.staging`)."""

    kind = models.CharField(pgettext_lazy("import", "kind"), max_length=20, choices=ImportKind.choices)
    mode = models.CharField(_("mode"), max_length=10, choices=ImportMode.choices, default=ImportMode.UPSERT)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.VALIDATING)
    dry_run = models.BooleanField(_("check and preview only"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The importer's territory when the run was made: what the rows may touch, and who sees the run.
    territory = models.ForeignKey("crm.Region", verbose_name=_("territory"), on_delete=models.PROTECT, related_name="+")
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    file_name = models.CharField(_("file name"), max_length=255)
    file_path = models.CharField(_("stored as"), max_length=500)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    file_format = models.CharField(_("format"), max_length=10, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    # The file's header as read: [API field name, the header as written], so that every error names the column as
    # the file does.
    columns = models.JSONField(_("columns"), default=list, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    removed = models.PositiveIntegerField(_("removed"), default=0)
    errors_count = models.PositiveIntegerField(_("errors"), default=0)
    # What the write would do or did beyond the counts: the customers whose tier moves, and how many.
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    same_as = models.ForeignKey(
        "self", verbose_name=_("same file as"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    written_at = models.DateTimeField(_("written at"), null=True, blank=True)
    # The work itself, without the wait for a confirmation: the check (with its preview), then the write.
    check_seconds = models.FloatField(_("check (s)"), default=0)
    write_seconds = models.FloatField(_("write (s)"), null=True, blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "status"], name="import_kind_status_idx")]

    def __str__(self) -> str:
        # as the audit trail names the import a change came from: "#3 集团成员 · 成员.csv"
        return f"#{self.pk} {self.get_kind_display()} · {self.file_name}"

    @property
    def encoding_display(self) -> str:
        """The file's encoding as people name it: UTF-8, UTF-8 with BOM (Python's codec says utf-8-sig), GB18030."""
        if self.encoding == "utf-8-sig":
            return str(_("UTF-8 with BOM"))
        return self.encoding.upper()

    @property
    def duration(self) -> float | None:
        """Seconds of work: the check (and preview) plus the write, without the wait for a confirmation."""
        if self.started_at is None or self.finished_at is None:
            return None
        return round(self.check_seconds + (self.write_seconds or 0), 3)

    @property
    def is_finished(self) -> bool:
        return self.status in (
            ImportStatus.INVALID,
            ImportStatus.DONE,
            ImportStatus.FAILED,
            ImportStatus.PREVIEWED,
            ImportStatus.DISCARDED,
        )


class ImportIssue(models.Model):
    """One error found in a file: line, column (as headed in the file), the value and why it is refused."""

    run = models.ForeignKey(ImportRun, verbose_name=_("import"), on_delete=models.CASCADE, related_name="issues")
    line = models.PositiveIntegerField(_("line"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    message = models.CharField(_("message"), max_length=500)

    class Meta:
        verbose_name = _("import error")
        verbose_name_plural = _("import errors")
        ordering = ["run_id", "line", "id"]
        indexes = [models.Index(fields=["run", "line"], name="import_issue_run_line_idx")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.line} {self.column}"
