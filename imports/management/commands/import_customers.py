"""`import_customers FILE`: import a BOSS extract from the server's command line (SPEC §8.3, §8.4), as the API
does, in this process. Exit status: 0 written (or, with --dry-run, valid), 1 the file has errors or the write
failed (nothing written), 2 a usage error."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm.models import User
from crm.permissions import may

from ...kinds import KINDS
from ...models import ImportMode, ImportRun, ImportStatus
from ...services import PROGRESS, import_run_check, import_run_create, imports_dir

USAGE_ERROR = 2
FILE_ERROR = 1
PROGRESS_SECONDS = 1.0


class ProgressWatch(threading.Thread):
    """Prints the run's progress (the phases and row counts the services report) while it works; it reads the
    cache only, never the database, so the run's own transaction is not disturbed."""

    def __init__(self, run_id: int, write, every: float = PROGRESS_SECONDS):
        super().__init__(daemon=True)
        self.run_id, self.write, self.every = run_id, write, every
        self.stopped = threading.Event()
        self.last: dict | None = None

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.report()

    def report(self) -> None:
        progress = PROGRESS.get(self.run_id)
        if not progress or progress == self.last:
            return
        self.last = progress
        phase, done, total = progress.get("phase", ""), progress.get("done", 0), progress.get("total", 0)
        if total:
            self.write(f"{phase}: {done:,}/{total:,} rows")
        elif done:
            self.write(f"{phase}: {done:,} rows")
        else:
            self.write(phase)

    def stop(self) -> None:
        self.stopped.set()
        self.join()
        self.report()


class Command(BaseCommand):
    help = (
        "Import a BOSS extract (CSV in UTF-8, UTF-8 with BOM or GB18030, or XLSX): check it whole, then write it in "
        "one transaction (or with --dry-run only preview it). Exit status 0 when written (or valid), 1 when the "
        "file has errors (each printed as 'line N, column C: message'), 2 on a usage error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV or XLSX file; it is copied, never moved or changed")
        parser.add_argument("--kind", default="customers", help=f"one of: {', '.join(KINDS)} (default: customers)")
        parser.add_argument(
            "--mode",
            default=ImportMode.UPSERT,
            help="upsert (add and update, the default) or replace (the file is the whole list of every customer it "
            "names: key persons, members, holdings)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and preview only; write nothing")
        parser.add_argument(
            "--user",
            help="import as this member of staff (their territory); without it, the operations' own nation-wide run",
        )

    def handle(self, *args, **options):
        source = Path(options["file"])
        kind, mode, dry_run = options["kind"], options["mode"], options["dry_run"]
        if kind not in KINDS:
            raise CommandError(f"Unknown kind {kind}; one of: {', '.join(KINDS)}.", returncode=USAGE_ERROR)
        if mode not in ImportMode.values:
            raise CommandError(f"Unknown mode {mode}; one of: upsert, replace.", returncode=USAGE_ERROR)
        if not source.exists():
            raise CommandError(f"No such file: {source}", returncode=USAGE_ERROR)
        if not source.is_file():
            raise CommandError(f"Not a regular file: {source}", returncode=USAGE_ERROR)
        user = self._user(options["user"])

        run = self._create(user=user, kind=kind, mode=mode, source=source, dry_run=dry_run)
        self.stderr.write(f"import {run.pk}: {run.file_name} ({run.size:,} bytes), {kind}, {mode}")
        watch = ProgressWatch(run.pk, self.stderr.write)
        watch.start()
        try:
            run = import_run_check(run, then="preview" if dry_run else "write")
        except Exception as exc:
            raise CommandError(f"The import stopped, nothing was written: {exc}", returncode=FILE_ERROR) from exc
        finally:
            watch.stop()
        run.refresh_from_db()
        if run.status == ImportStatus.INVALID:
            self._print_errors(run)
            raise CommandError(
                f"{run.errors_count:,} errors; nothing was written. {run.message}".strip(), returncode=FILE_ERROR
            )
        if run.status == ImportStatus.FAILED:
            raise CommandError(run.message or "The import failed; nothing was written.", returncode=FILE_ERROR)
        self.stdout.write(self._counts(run))
        if run.message:
            self.stdout.write(run.message)

    def _user(self, username: str | None) -> User | None:
        if username is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username}.", returncode=USAGE_ERROR)
        if not may(user, "imports.run"):
            raise CommandError(
                f"{username} may not import files (provincial staff and headquarters only).", returncode=USAGE_ERROR
            )
        return user

    def _create(self, *, user: User | None, kind: str, mode: str, source: Path, dry_run: bool) -> ImportRun:
        """The run, made from a copy of the operator's file (the service moves the file it is given away)."""
        handle, name = tempfile.mkstemp(prefix="upload-", suffix=source.suffix.lower()[:10], dir=imports_dir())
        copy = Path(name)
        try:
            with open(handle, "wb") as target, source.open("rb") as original:
                shutil.copyfileobj(original, target, 1 << 20)
            return import_run_create(user=user, kind=kind, mode=mode, file_name=source.name, path=copy, dry_run=dry_run)
        except ValidationError as exc:
            messages = "; ".join(
                f"{field}: {' '.join(errors)}"
                for field, errors in getattr(exc, "message_dict", {"": exc.messages}).items()
            )
            raise CommandError(messages, returncode=USAGE_ERROR) from exc
        finally:
            copy.unlink(missing_ok=True)

    def _print_errors(self, run: ImportRun) -> None:
        # (a file refused whole has its reason among its errors: said once)
        if run.message and not run.issues.filter(message=run.message).exists():
            self.stderr.write(run.message)
        for line, column, message in (
            run.issues.order_by("line", "id").values_list("line", "column", "message").iterator()
        ):
            self.stderr.write(f"line {line}, column {column}: {message}" if column else f"line {line}: {message}")
        stored = run.issues.count()
        if stored < run.errors_count:
            self.stderr.write(f"… and {run.errors_count - stored:,} more errors not stored.")

    @staticmethod
    def _counts(run: ImportRun) -> str:
        outcome = "previewed (dry run: nothing written)" if run.status == ImportStatus.PREVIEWED else run.status
        text = (
            f"import {run.pk} {outcome}: {run.rows:,} rows, {run.created:,} created, {run.updated:,} updated, "
            f"{run.unchanged:,} unchanged, {run.removed:,} removed"
        )
        if "tier_moves" in run.preview:
            text += f", {run.preview['tier_moves']:,} tier moves"
        if run.duration is not None:
            text += f" in {run.duration:.1f} s"
        if run.same_as_id and run.status == ImportStatus.DONE:
            text += f" (the same file as import {run.same_as_id})"
        return text
