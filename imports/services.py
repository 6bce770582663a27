"""Imports of BOSS extracts (SPEC §8.4): a run is made from an uploaded file, checked whole, previewed, and written
in one transaction, set-based; the customers it touches get their tiers at once.

The steps, each callable from the web (as Celery tasks), from the command line and from tests:
- `import_run_create`: store the file (already streamed to disk), record the run;
- `import_run_check`: read every row, check every cell, load the good rows into the run's staging table, then
  check the whole (duplicates, unique USCCs, the customers named, the territory); errors make the run `invalid`;
- `import_run_preview`: do the write and roll it back, keeping the counts and the customers whose tier would move
  (`previewed`);
- `import_run_write`: the write for real, in one transaction (`done`), or nothing at all (`failed`).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.move import file_move_safe
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import (
    GROUP_DEPTH_LIMIT,
    GROUP_LIST_LEVELS,
    BillingPeriod,
    Customer,
    Industry,
    ListLevel,
    StatusPeriod,
)
from arrears.services import arrears_cases_sync, arrears_refresh
from campaigns.models import Product
from crm import audit
from crm.bulk import analyze_after_load, first_load
from crm.jobs import CachedProgress
from crm.models import AuditAction, AuditSource, Region, User
from crm.permissions import list_levels_kept, list_team_customers, require
from crm.visibility import NATIONAL_CODE, filing_regions, territory_region
from tiering.bulk import new_customer_tier_sql, new_customers_log
from tiering.models import RuleSet, TierChange
from tiering.selectors import published_rule_set
from tiering.services import tiers_apply

from . import sqlread
from .files import FileRefused, GuessFailed, Source, open_source
from .kinds import KINDS
from .kinds.base import CellError, Column, Kind, Lookups, as_text
from .models import ImportIssue, ImportKind, ImportMode, ImportRun, ImportStatus
from .notices import import_run_notified
from .staging import Stage, distinct, q
from .xlsx import Unreadable

# Errors kept per run (all are counted): enough to fix any file, bounded for one that is wrong throughout.
MAX_STORED_ISSUES = 100_000
# The reason column the error file adds to the bad rows (`errors.csv`); a file fixed from it may keep it.
ERROR_FILE_COLUMNS = ("错误原因", "errors")
# Errors the API and the page show.
ERRORS_SHOWN = 1_000
PROGRESS_EVERY = 20_000
# Customers named in a preview whose tier moves.
MOVERS_SHOWN = 100
# On SQLite (the embedded default, one process) a run that has said "validating" or "writing" this long is taken
# for one whose process died; on PostgreSQL its row lock says so at once.
SQLITE_STALE_SECONDS = 3600


class RunRefused(ValidationError):
    """The request to import cannot be served (a bad kind or mode, a run in the wrong state)."""


# -- creating a run ------------------------------------------------------------------------------------------------


def imports_dir() -> Path:
    path = Path(settings.IMPORTS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_run_create(
    *,
    user: User | None,
    kind: str,
    mode: str = ImportMode.UPSERT,
    file_name: str,
    path: Path,
    dry_run: bool = False,
) -> ImportRun:
    """Record a run for the file at `path` (moved into the imports directory). Refuses an unknown kind or mode, a
    mode the kind has not, and a file over the size limit; nothing is recorded then.

    `user` None is the operations' own run from the server's command line (nightly BOSS drops): the whole nation,
    no one's territory.
    """
    if user is not None:
        require(user, "imports.run")
    errors: dict[str, str] = {}
    if kind not in KINDS:
        errors["kind"] = _("Unknown kind %(kind)s; one of: %(kinds)s.") % {"kind": kind, "kinds": ", ".join(KINDS)}
    if mode not in ImportMode.values:
        errors["mode"] = _("Unknown mode %(mode)s; one of: upsert, replace.") % {"mode": mode}
    elif kind in KINDS and mode == ImportMode.REPLACE and not KINDS[kind].replaceable:
        errors["mode"] = _("Replace mode is for key persons, members and holdings only.")
    size = path.stat().st_size
    if size > settings.IMPORTS_MAX_BYTES:
        errors["file"] = _("The file is %(size)s bytes; the limit is %(limit)s bytes.") % {
            "size": f"{size:,}",
            "limit": f"{settings.IMPORTS_MAX_BYTES:,}",
        }
    if errors:
        raise RunRefused(errors)
    territory = territory_region(user) if user is not None else Region.objects.filter(code=NATIONAL_CODE).first()
    if territory is None:
        raise RunRefused({"kind": _("You have no territory to import into.")})
    run = ImportRun.objects.create(
        kind=kind,
        mode=mode,
        dry_run=dry_run,
        created_by=user,
        territory=territory,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        file_name=Path(file_name).name[:255] or "upload",
        size=size,
        sha256=_sha256(path),
    )
    stored = imports_dir() / f"{run.pk}{Path(file_name).suffix.lower()[:10]}"
    shutil.move(str(path), stored)
    run.file_path = str(stored)
    previous = (
        ImportRun.objects.filter(kind=kind, mode=mode, sha256=run.sha256, territory=territory, status="done")
        .exclude(pk=run.pk)
        .order_by("-written_at")
        .first()
    )
    run.same_as = previous
    run.save(update_fields=["file_path", "same_as"])
    return run


def upload_keep(upload: UploadedFile) -> Path:
    """The uploaded file at a path of our own in the imports directory, for `import_run_create` to take: Django's
    temporary file is moved (a file of a gigabyte is not written twice; Django's cleanup at the end of the request
    finds it gone), one another upload handler kept in memory is written out."""
    handle, name = tempfile.mkstemp(
        prefix="upload-", suffix=Path(upload.name or "").suffix.lower()[:10], dir=imports_dir()
    )
    if hasattr(upload, "temporary_file_path"):
        os.close(handle)
        file_move_safe(upload.temporary_file_path(), name, allow_overwrite=True)
        return Path(name)
    with open(handle, "wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    return Path(name)


# What a multipart request adds around the file itself (boundaries, the other fields).
MULTIPART_SLACK = 64 * 1024


def upload_size_refusal(content_length: str | None) -> str | None:
    """Why a request whose declared length is over the size limit is refused before its body is read (the
    message), or None. A body within the limit is stored and its file measured exactly by `import_run_create`."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return None
    if length <= settings.IMPORTS_MAX_BYTES + MULTIPART_SLACK:
        return None
    return _("The file is %(size)s bytes; the limit is %(limit)s bytes.") % {
        "size": f"{length:,}",
        "limit": f"{settings.IMPORTS_MAX_BYTES:,}",
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# -- progress ------------------------------------------------------------------------------------------------------


PROGRESS = CachedProgress("imports:run")


def progress_set(run: ImportRun, phase: str, done: int = 0, total: int = 0) -> None:
    """Where the run is, for the page that watches it: in the cache, because the run's own row is written only
    when its transaction commits."""
    PROGRESS.set(run.pk, {"phase": phase, "done": done, "total": total})


def progress_of(run: ImportRun) -> dict[str, Any]:
    return PROGRESS.get(run.pk) or {"phase": run.status, "done": 0, "total": 0}


# -- checking ------------------------------------------------------------------------------------------------------


def lookups_for(user: User | None, territory: Region) -> Lookups:
    path = territory.path if territory.code != NATIONAL_CODE else ""
    filing = filing_regions(user) if user is not None else Region.objects.filter(path__startswith=territory.path)
    return Lookups(
        industries=set(Industry.objects.values_list("code", flat=True)),
        regions=dict(Region.objects.values_list("code", "level")),
        filing_regions=set(filing.values_list("code", flat=True)),
        products=set(Product.objects.values_list("code", flat=True)),
        territory_path=path,
    )


class Issues:
    """The errors of a run, counted and stored in batches (the first MAX_STORED_ISSUES)."""

    def __init__(self, run: ImportRun):
        self.run, self.count = run, 0
        self.pending: list[ImportIssue] = []

    def add(self, line: int, column: str, value: Any, message: str) -> None:
        self.count += 1
        if self.count <= MAX_STORED_ISSUES:
            text = as_text(value)
            self.pending.append(
                ImportIssue(
                    run=self.run,
                    line=line,
                    column=column[:100],
                    value=text if len(text) <= 200 else text[:199] + "…",
                    message=message[:500],
                )
            )
            if len(self.pending) >= 5_000:
                self.flush()

    def flush(self) -> None:
        ImportIssue.objects.bulk_create(self.pending)
        self.pending = []


@dataclass
class Header:
    columns: list[Column]
    labels: list[str]  # each column's header as written in the file


def read_header(kind: Kind, cells: list[Any], issues: Issues) -> Header | None:
    """Map the header row to the kind's columns: an unknown, duplicated or missing required column is an error.
    A header that is another kind's (a members file uploaded as customers) says so, once, instead of listing each
    of its columns as unknown."""
    other_kind = _kind_of_header(kind, cells)
    if other_kind is not None:
        issues.add(
            1,
            "",
            "",
            _(
                "These are the columns of a file of %(other)s, not of %(kind)s: choose %(other)s as the kind and "
                "upload the file again."
            )
            % {"other": ImportKind(other_kind.name).label, "kind": ImportKind(kind.name).label},
        )
        return None
    headers, columns, labels = kind.headers, [], []
    seen: dict[str, int] = {}
    # the position of the last headed column: an empty header before it is an error, after it nothing (found once,
    # not by looking ahead from each empty cell: a header of 16 384 cells, one far off, took 35 s that way)
    last = max((position for position, cell in enumerate(cells, start=1) if as_text(cell)), default=0)
    for position, cell in enumerate(cells, start=1):
        text = as_text(cell).lstrip("\ufeff").strip()
        if not text:
            if position < last:
                issues.add(1, f"#{position}", "", _("Column %(n)d has no header.") % {"n": position})
            continue
        if text in ERROR_FILE_COLUMNS:
            continue  # the reason column of our own error file: read past, so a fixed error file goes in as it is
        column = headers.get(text)
        if column is None:
            issues.add(
                1,
                text,
                text,
                _("Unknown column “%(column)s”; the columns of this kind are: %(columns)s.")
                % {"column": text, "columns": ", ".join(f"{c.name} ({c.label})" for c in kind.columns)},
            )
            continue
        if column.name in seen:
            issues.add(
                1,
                text,
                text,
                _("Column “%(column)s” appears twice (columns %(first)d and %(second)d).")
                % {"column": text, "first": seen[column.name], "second": position},
            )
            continue
        seen[column.name] = position
        columns.append(column)
        labels.append(text)
    for column in kind.columns:
        if column.required and column.name not in seen:
            issues.add(
                1,
                column.label,
                "",
                _("The required column %(name)s (%(label)s) is missing.")
                % {"name": column.name, "label": column.label},
            )
    for pair in kind.together:
        for name, other in (pair, pair[::-1]):
            if other in seen and name not in seen:
                column, partner = kind.column(name), kind.column(other)
                issues.add(
                    1,
                    column.label,
                    "",
                    _(
                        "The column %(name)s (%(label)s) is missing: it goes together with %(other)s "
                        "(%(other_label)s), in the file and in each row."
                    )
                    % {"name": name, "label": column.label, "other": other, "other_label": partner.label},
                )
    return Header(columns, labels) if issues.count == 0 else None


def _kind_of_header(kind: Kind, cells: list[Any]) -> Kind | None:
    """The one other kind whose columns the header names all of (its required ones among them), when some of them
    are not `kind`'s; else None."""
    texts = {as_text(cell).lstrip("\ufeff").strip() for cell in cells} - {""} - set(ERROR_FILE_COLUMNS)
    if not texts or texts <= set(kind.headers):
        return None
    fitting = [
        other
        for other in KINDS.values()
        if other is not kind
        and texts <= set(other.headers)
        and all(
            column.name in {other.headers[text].name for text in texts} for column in other.columns if column.required
        )
    ]
    return fitting[0] if len(fitting) == 1 else None


def _positions(header_cells: list[Any], header: Header) -> list[int]:
    labels = [as_text(cell).lstrip("\ufeff").strip() for cell in header_cells]
    return [labels.index(label) for label in header.labels]


@contextmanager
def _language(run: ImportRun) -> Iterator[None]:
    with translation.override(run.language or settings.LANGUAGE_CODE):
        yield


def import_run_check(run: ImportRun, *, then: str = "preview") -> ImportRun:
    """Check the run's file whole (see the module's docstring). With `then="preview"` a valid file is previewed,
    with `then="write"` written at once (the command line and the API without `dry_run`), with `then=""` left
    checked (status `previewed` without a preview: tests)."""
    with _language(run):
        _run_started(run)
        try:
            with transaction.atomic():
                ImportRun.objects.select_for_update().filter(pk=run.pk).first()
                valid = _check(run)
        except Exception as exc:
            _run_failed(run, _("The check stopped: %(error)s") % {"error": exc})
            raise
        if not valid:
            return run
        if then == "write" and not run.dry_run:
            return import_run_write(run, checked=True)
        if then:
            return import_run_preview(run)
        _run_checked(run)
        return run


def _run_checked(run: ImportRun) -> None:
    """The run is checked and valid and may be confirmed: `previewed`, once its preview's counts are in (a run
    stays `validating` until then, so that a confirm in between is refused, not lost)."""
    run.status = ImportStatus.PREVIEWED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])


def _run_started(run: ImportRun) -> None:
    run.status = ImportStatus.VALIDATING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at"])
    progress_set(run, "reading")


def _run_failed(run: ImportRun, message: str) -> None:
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.FAILED, message=message, finished_at=timezone.now())
    run.refresh_from_db()
    progress_set(run, "failed")
    import_run_notified(run)


def _check(run: ImportRun) -> bool:
    """Read, check and stage every row; returns whether the file is valid. Runs in one transaction."""
    kind = KINDS[run.kind]
    ImportIssue.objects.filter(run=run).delete()
    issues = Issues(run)
    lookups = lookups_for(run.created_by, run.territory)
    try:
        try:
            # On PostgreSQL a CSV's encoding is taken from its first block and checked whole as the file streams
            # into the database (`sqlread`): one reading of the file, not two, when the first block says it right.
            stage = _open_and_read(run, kind, lookups, issues, guess=connection.vendor == "postgresql")
        except GuessFailed:
            Stage(run.pk, kind, []).drop()
            ImportIssue.objects.filter(run=run).delete()
            issues = Issues(run)
            stage = _open_and_read(run, kind, lookups, issues, guess=False)
    except FileRefused as exc:
        # What refuses the file is an error of the run too (the line where it went wrong, 0 for the file as a
        # whole), so that a client counting errors, the error file and the command all see it.
        for error in exc.errors:
            issues.add(error.line, error.column, error.value, error.message)
        issues.flush()
        return _invalid(run, issues, message=str(exc))
    if stage is None:
        issues.flush()
        return _invalid(run, issues)
    progress_set(run, "checking", run.rows, run.rows)
    stage.analyze()
    _check_whole(run, kind, stage, issues, lookups)
    issues.flush()
    if issues.count:
        stage.drop()
        return _invalid(run, issues)
    run.errors_count = 0
    run.check_seconds = _seconds_since(run.started_at)
    run.save()
    return True


def _seconds_since(moment: datetime.datetime | None) -> float:
    return round((timezone.now() - moment).total_seconds(), 3) if moment else 0.0


def _invalid(run: ImportRun, issues: Issues, message: str = "") -> bool:
    run.errors_count = issues.count
    run.status = ImportStatus.INVALID
    run.message = message or _("The file has errors; nothing was written. Fix them and upload it again.")
    run.finished_at = timezone.now()
    if not run.check_seconds:
        run.check_seconds = _seconds_since(run.started_at)
    run.save()
    progress_set(run, "invalid")
    import_run_notified(run)
    return False


def _open_and_read(run: ImportRun, kind: Kind, lookups: Lookups, issues: Issues, *, guess: bool) -> Stage | None:
    source = open_source(Path(run.file_path), guess=guess)
    run.file_format, run.encoding = source.format, source.encoding
    return _read(run, kind, source, lookups, issues)


def _read(run: ImportRun, kind: Kind, source: Source, lookups: Lookups, issues: Issues) -> Stage | None:
    """Read the header and every row; stage the good rows. None when the header is wrong or there are no rows."""
    rows = source.rows
    header_line, header_cells = 0, None
    try:
        for line, cells in rows:
            if any(as_text(cell) for cell in cells):
                header_line, header_cells = line, cells
                break
    except FileRefused:
        source.confirm()
        raise
    except UnicodeDecodeError:
        # (the csv reader decodes ahead of the header, past a guess's first block)
        source.confirm()
        raise GuessFailed from None
    # Only a file streamed into the database by `sqlread` is checked on the way: anything else is read in an
    # encoding made certain first, and a header found wrong is judged again once read in its file's own.
    if header_cells is None or not sqlread.applies(source, header_line, kind.columns):
        source.confirm()
    if header_cells is None:
        raise FileRefused(_("The file is empty: it has no header and no rows."))
    if source.guessed and read_header(kind, header_cells, Issues(run)) is None:
        source.confirm()
    header = read_header(kind, header_cells, issues)
    if header is None:
        return None
    run.columns = [[column.name, label] for column, label in zip(header.columns, header.labels, strict=True)]
    stage = Stage(run.pk, kind, header.columns)
    stage.create()
    reader = RowReader(
        run,
        stage,
        header,
        _positions(header_cells, header),
        len(header_cells),
        lookups,
        issues,
        workbook=source.format == "xlsx",
    )
    if sqlread.applies(source, header_line, header.columns):
        count = sqlread.read(run, stage, source, reader, lookups)
    else:
        count = sum(reader.row(line, cells) for line, cells in rows)
    stage.flush()
    stage.customer_ids_complete(lookups.territory_path)
    run.rows = count
    if count == 0:
        stage.drop()
        raise FileRefused(_("The file has a header but no rows."), line=header_line)
    return stage


class RowReader:
    """Reads one row of the file with the columns' parsers: stages it, or adds its errors."""

    def __init__(
        self,
        run: ImportRun,
        stage: Stage,
        header: Header,
        positions: list[int],
        width: int,
        lookups: Lookups,
        issues: Issues,
        *,
        workbook: bool = False,
    ):
        self.run, self.stage, self.width, self.lookups, self.issues = run, stage, width, lookups, issues
        # A workbook's cell may be `Unreadable` (a formula never computed, an Excel error…): it is its cell's
        # error, whatever the column's rule would make of its text.
        self.workbook = workbook
        self.positions = positions
        self.parsers = [
            (position, column.parse, label)
            for position, column, label in zip(positions, header.columns, header.labels, strict=True)
        ]
        self.count = 0
        # What must be unique in the file (the key, a customer's USCC), kept aside from a row with an error in
        # another cell (`Stage.keep_bad_key`).
        unique = {*stage.kind.key, *(["uscc"] if stage.kind.name == "customers" else [])}
        self.unique = [
            (position, column)
            for position, column in zip(positions, header.columns, strict=True)
            if column.name in unique
        ]

    def row(self, line: int, cells: list[Any]) -> int:
        """1 when the row counts as one of the file's (good or bad), 0 for a blank row."""
        width, lookups, issues = self.width, self.lookups, self.issues
        if len(cells) != width:
            if len(cells) > width and not any(as_text(cell) for cell in cells[width:]):
                cells = cells[:width]
            elif not any(as_text(cell) for cell in cells):
                return 0
            else:
                column, value = self._stray(cells)
                issues.add(
                    line,
                    column,
                    value,
                    _("This row has %(cells)d cells; the header has %(header)d.")
                    % {"cells": len(cells), "header": width},
                )
                return self._counted()
        unreadable = self.workbook and Unreadable in map(type, cells)
        try:
            if unreadable:
                raise CellError
            # The common case, a good row, in one comprehension; a bad one is read again cell by cell below.
            self.stage.add((line, *[parse(cells[position], lookups) for position, parse, _label in self.parsers]))
        except CellError:
            errors = []
            for position, parse, label in self.parsers:
                cell = cells[position]
                if unreadable and type(cell) is Unreadable:
                    errors.append((label, cell.text, cell.message))
                    continue
                try:
                    parse(cell, lookups)
                except CellError as exc:
                    errors.append((label, cell, str(exc)))
            if not unreadable and not any(as_text(cell) for cell in cells):
                return 0  # a blank row (Excel leaves them) carries nothing: neither a row nor an error
            for label, cell, message in errors:
                issues.add(line, label, cell, message)
            self._keep_key(line, cells)
        return self._counted()

    def _keep_key(self, line: int, cells: list[Any]) -> None:
        """Keep aside the key (and a customer's USCC) of a bad row, each cell that is good in itself."""
        values = []
        for position, column in self.unique:
            cell = cells[position]
            try:
                values.append(None if type(cell) is Unreadable else column.parse(cell, self.lookups))
            except CellError:
                values.append(None)
        if any(value is not None for value in values):
            self.stage.keep_bad_key((line, *values), [column for _position, column in self.unique])

    def _stray(self, cells: list[Any]) -> tuple[str, Any]:
        """Where a row of the wrong width parts from the header: the first of the header's columns it lacks (as the
        file heads it), or its first filled cell beyond them (by its position, as an unheaded column is named, with
        its value)."""
        if len(cells) < self.width:
            missing = [(position, label) for position, _parse, label in self.parsers if position >= len(cells)]
            return (min(missing)[1] if missing else f"#{len(cells) + 1}"), ""
        position = next(index for index in range(self.width, len(cells)) if as_text(cells[index]))
        return f"#{position + 1}", cells[position]

    def progress(self, phase: str, done: int | None = None) -> None:
        progress_set(self.run, phase, self.count if done is None else done)

    def _counted(self) -> int:
        self.count += 1
        if self.count % PROGRESS_EVERY == 0:
            progress_set(self.run, "reading", self.count)
        return 1


# -- checks over the whole file ------------------------------------------------------------------------------------


def _sql_issues(
    stage: Stage, issues: Issues, sql: str, params: list[Any], column: str, message: Callable[[tuple], str]
) -> None:
    """Add an error for every row `sql` selects (`line`, the value, then anything `message` reads)."""
    total = stage.scalar(f"SELECT COUNT(*) FROM ({sql}) AS found", params)
    if not total:
        return
    shown = stage.fetch(f"{sql} ORDER BY 1 LIMIT {MAX_STORED_ISSUES}", params)
    for row in shown:
        issues.add(row[0], column, row[1], message(row))
    issues.count += total - len(shown)


def header_of(run: ImportRun, name: str) -> str:
    """The column `name` as the run's file heads it (the API field name or the Chinese label)."""
    for column, label in run.columns:
        if column == name:
            return label
    return KINDS[run.kind].column(name).label


def _check_whole(run: ImportRun, kind: Kind, stage: Stage, issues: Issues, lookups: Lookups) -> None:
    """The checks that need the whole file or the database: duplicates inside the file, the customers named (in
    the importer's territory), unique USCCs, what a new row cannot do without, dates that contradict."""
    table = q(stage.table)
    path = lookups.territory_path
    key_columns = [kind.column(name) for name in kind.key]
    keys = ", ".join(q(name) for name in kind.key)
    joined = " AND ".join(f"d.{q(name)} = s.{q(name)}" for name in kind.key)
    key_label = " + ".join(header_of(run, column.name) for column in key_columns)
    key_value = " || ' ' || ".join(f"CAST(s.{q(name)} AS TEXT)" for name in kind.key)
    # The rows of the file with these keys: the staged ones, and the keys of the bad rows kept aside.
    keyed = stage.with_bad_keys(kind.key)
    if keyed != table or not stage.unique(key_columns):
        _sql_issues(
            stage,
            issues,
            f"SELECT s.line, {key_value}, d.first FROM {keyed} s JOIN (SELECT {keys}, MIN(line) AS first "
            f"FROM {keyed} s GROUP BY {keys} HAVING COUNT(*) > 1) d ON {joined} WHERE s.line > d.first",
            [],
            key_label,
            lambda row: _("The same %(key)s as line %(first)d.") % {"key": key_label, "first": row[2]},
        )
    customers = stage.customers_table
    regions = q(Region._meta.db_table)
    outside = "AND r.path NOT LIKE %s" if path else "AND 1 = 0"
    outside_params = [path + "%"] if path else []
    if kind.customer_column is None and kind.name == "customers":
        if "uscc" in stage.names:
            with_uscc = stage.with_bad_keys(["uscc"])
            if with_uscc != table or not stage.unique([kind.column("uscc")]):
                _sql_issues(
                    stage,
                    issues,
                    f"SELECT s.line, s.uscc, d.first FROM {with_uscc} s JOIN (SELECT uscc, MIN(line) AS first "
                    f"FROM {with_uscc} s WHERE uscc IS NOT NULL GROUP BY uscc HAVING COUNT(*) > 1) d "
                    "ON d.uscc = s.uscc WHERE s.line > d.first",
                    [],
                    header_of(run, "uscc"),
                    lambda row: _("The same unified social credit code as line %(first)d.") % {"first": row[2]},
                )
            _sql_issues(
                stage,
                issues,
                f"SELECT s.line, s.uscc FROM {table} s JOIN {customers} c ON c.uscc = s.uscc WHERE c.code <> s.code",
                [],
                header_of(run, "uscc"),
                lambda row: _("This unified social credit code is already another customer's."),
            )
        _sql_issues(
            stage,
            issues,
            f"SELECT s.line, s.code FROM {table} s JOIN {customers} c ON c.code = s.code "
            f"JOIN {regions} r ON r.code = c.region_id WHERE 1 = 1 {outside}",
            outside_params,
            header_of(run, "code"),
            lambda row: _("A customer with this code exists outside your territory."),
        )
        if stage.references:
            _check_parents(run, stage, issues, path)
        _check_list_levels(run, stage, issues)
        new_rows = f"FROM {table} s WHERE NOT EXISTS (SELECT 1 FROM {customers} c WHERE c.code = s.code)"
    else:
        if kind.customer_column is not None:
            exists, exists_params = stage.customer_exists(path)
            column = q(kind.customer_column)
            _sql_issues(
                stage,
                issues,
                f"SELECT s.line, s.{column} FROM {table} s WHERE NOT {exists}",
                exists_params,
                header_of(run, kind.customer_column),
                lambda row: _("No customer in your territory has the code %(code)s.") % {"code": row[1]},
            )
        source, source_params = stage.source(path)
        target = q(kind.model._meta.db_table)
        new_rows = f"{source} LEFT JOIN {target} t ON {stage.key_match()} WHERE t.id IS NULL"
    for pair in kind.together:
        _check_together(run, stage, issues, pair)
    missing = [name for name in kind.required_for_new if name not in stage.names]
    if missing:
        params = [] if kind.customer_column is None else source_params
        labels = ", ".join(f"{name} ({kind.column(name).label})" for name in missing)
        _sql_issues(
            stage,
            issues,
            f"SELECT s.line, '' {new_rows}",
            params,
            kind.column(missing[0]).label,
            lambda row: _("A new row needs the columns %(columns)s, which the file has not.") % {"columns": labels},
        )
    if kind.name == "holdings":
        _check_holding_dates(run, kind, stage, issues, path)
    if kind.name == "billing" and "arrears_since" in stage.names:
        _check_arrears_since(run, stage, issues)


def _check_parents(run: ImportRun, stage: Stage, issues: Issues, path: str) -> None:
    """A customer's parent group (issue 21) is a customer in the importer's territory or one of the same file, not
    the customer itself, and makes no cycle: walked up from each row through the file's parents, and the
    database's for the customers the file does not name, a row does not meet itself (nor climbs more than
    GROUP_DEPTH_LIMIT levels, which a cycle longer than that would)."""
    table, customers = q(stage.table), stage.customers_table
    regions = q(Region._meta.db_table)
    label = header_of(run, "parent")
    if connection.vendor != "postgresql":
        # PostgreSQL has the code's unique index already (`Stage.unique`); SQLite would scan the file per row.
        stage.execute(f"CREATE INDEX IF NOT EXISTS {q(stage.table + '_code')} ON {table} (code)")
    in_file = f"EXISTS (SELECT 1 FROM {table} f WHERE f.code = s.parent)"
    _sql_issues(
        stage,
        issues,
        f"SELECT s.line, s.parent FROM {table} s WHERE s.parent = s.code",
        [],
        label,
        lambda row: _("Parent group: a customer cannot be its own parent."),
    )
    _sql_issues(
        stage,
        issues,
        f"SELECT s.line, s.parent FROM {table} s WHERE s.parent IS NOT NULL AND NOT {in_file} "
        f"AND NOT EXISTS (SELECT 1 FROM {customers} c WHERE c.code = s.parent)",
        [],
        label,
        lambda row: (
            _("Parent group: no customer has the code %(code)s, in your territory or in this file.") % {"code": row[1]}
        ),
    )
    if path:
        _sql_issues(
            stage,
            issues,
            f"SELECT s.line, s.parent FROM {table} s JOIN {customers} c ON c.code = s.parent "
            f"JOIN {regions} r ON r.code = c.region_id WHERE NOT {in_file} AND r.path NOT LIKE %s",
            [path + "%"],
            label,
            lambda row: _("Parent group: the customer %(code)s is outside your territory.") % {"code": row[1]},
        )
    # (line, the row's code, the code reached, levels climbed); a customer the file names climbs by the file.
    walk = (
        f"WITH RECURSIVE up(line, start, code, depth) AS ("
        f"SELECT s.line, s.code, s.parent, 1 FROM {table} s WHERE s.parent IS NOT NULL AND s.parent <> s.code "
        f"UNION SELECT up.line, up.start, CASE WHEN f.line IS NULL THEN p.code ELSE f.parent END, up.depth + 1 "
        f"FROM up LEFT JOIN {table} f ON f.code = up.code "
        f"LEFT JOIN {customers} c ON c.code = up.code AND f.line IS NULL "
        f"LEFT JOIN {customers} p ON p.id = c.parent_id "
        f"WHERE up.code <> up.start AND up.depth <= %s) "
    )
    _sql_issues(
        stage,
        issues,
        f"{walk}SELECT DISTINCT up.line, s.parent FROM up JOIN {table} s ON s.line = up.line "
        "WHERE up.code = up.start OR (up.depth > %s AND up.code IS NOT NULL)",
        [GROUP_DEPTH_LIMIT, GROUP_DEPTH_LIMIT],
        label,
        lambda row: (
            _(
                "Parent group: under %(code)s this customer would be above itself in its group (a cycle, through this "
                "file or the groups already recorded), or more than %(limit)d levels deep."
            )
            % {"code": row[1], "limit": GROUP_DEPTH_LIMIT}
        ),
    )


def _check_list_levels(run: ImportRun, stage: Stage, issues: Issues) -> None:
    """The customers file keeps the rule `accounts.keep_listed_customer` (issue 21) exactly as the API decides it
    for the importer (`crm.permissions.manages_by_list_level`): a customer whose group line reaches a national or
    provincial list (the highest level of the customer and of every customer above it governs) is changed only by
    staff who keep that level by their territory (`list_levels_kept`), or by a member of the account team of the
    customer itself or of a listed customer above it (`list_team_customers`). Asked as the API asks it: of each
    customer the file names as it is now (any change to it), then, of a row that moves a customer to another
    parent or another level (a new customer under a parent or on a list), as it would be — its new group line
    walked through the file's parents and the database's, as `_check_parents` does — the parent named if it has
    one, else the level. The rows lie in the importer's territory (checked before), as the predicate's territory
    test asks. Set-based: the same few statements whatever the file's size; the team roles are a subquery."""
    user = run.created_by
    if user is None:
        return  # the command line: the whole nation
    kept = list_levels_kept(user)
    ranks = {level: rank for rank, level in enumerate(ListLevel.values, start=1) if level in GROUP_LIST_LEVELS}
    refused = ", ".join(str(rank) for level, rank in ranks.items() if level not in kept)
    if not refused:
        return
    listed = ", ".join(f"'{level}'" for level in ranks)  # the ListLevel codes, constants of the code

    def rank(level_sql: str) -> str:
        return f"CASE {level_sql} " + " ".join(f"WHEN '{level}' THEN {n}" for level, n in ranks.items()) + " END"

    table, customers = q(stage.table), stage.customers_table
    team_sql, team_params = list_team_customers(user).query.sql_with_params()
    on_team = "IN (SELECT customer_id FROM team)"
    # (line, the row's customer as recorded or a customer above it in its group line now, levels climbed)
    ctes = [
        f"team(customer_id) AS ({team_sql})",
        f"old_line(line, id, depth) AS ("
        f"SELECT s.line, c.id, 0 FROM {table} s JOIN {customers} c ON c.code = s.code "
        f"UNION SELECT o.line, c.parent_id, o.depth + 1 FROM old_line o JOIN {customers} c ON c.id = o.id "
        f"WHERE c.parent_id IS NOT NULL AND o.depth <= %s)",
        # per line whose group line reaches a list now: the highest list level, and whether the importer is on the
        # account team of a listed customer of it
        f"old_listed(line, lvl, team) AS ("
        f"SELECT o.line, MIN({rank('c.list_level')}), MAX(CASE WHEN c.id {on_team} THEN 1 ELSE 0 END) "
        f"FROM old_line o JOIN {customers} c ON c.id = o.id WHERE c.list_level IN ({listed}) GROUP BY o.line)",
    ]
    params: list[Any] = [*team_params, GROUP_DEPTH_LIMIT]
    # The reasons, most decisive first (as the API asks): 1 the customer as it is, 2 its new parent, 3 its new level;
    # each found row's key is reason * 10 + the rank of the level that governs it.
    found = [
        f"SELECT l.line, 10 + l.lvl AS reason FROM old_listed l JOIN {table} s ON s.line = l.line "
        f"JOIN {customers} c ON c.code = s.code WHERE l.lvl IN ({refused}) AND l.team = 0 AND c.id NOT {on_team}"
    ]
    has_parent, has_level = "parent" in stage.names, "list_level" in stage.names
    new_level = "COALESCE(s.list_level, c0.list_level, 'city')" if has_level else "COALESCE(c0.list_level, 'city')"
    parent_moved = distinct("s.parent", "p0.code") if has_parent else "1 = 0"
    level_moved = distinct(new_level, "COALESCE(c0.list_level, 'city')") if has_level else "1 = 0"
    moved = f"({parent_moved} OR {level_moved})"
    current = f"LEFT JOIN {customers} c0 ON c0.code = s.code LEFT JOIN {customers} p0 ON p0.id = c0.parent_id"
    if has_parent or has_level:
        start = "s.parent" if has_parent else "p0.code"
        step = "CASE WHEN f.line IS NULL THEN p.code ELSE f.parent END" if has_parent else "p.code"
        own = " AND f.line IS NULL" if has_parent else ""
        level = "COALESCE(f.list_level, c.list_level)" if has_level else "c.list_level"
        ctes += [
            # (line, a customer above the moved row in the group line it would have, levels climbed)
            f"new_line(line, code, depth) AS ("
            f"SELECT s.line, {start}, 1 FROM {table} s {current} WHERE {start} IS NOT NULL AND {moved} "
            f"UNION SELECT u.line, {step}, u.depth + 1 FROM new_line u LEFT JOIN {table} f ON f.code = u.code "
            f"LEFT JOIN {customers} c ON c.code = u.code{own} LEFT JOIN {customers} p ON p.id = c.parent_id "
            f"WHERE u.code IS NOT NULL AND u.depth <= %s)",
            f"new_listed(line, lvl, team) AS ("
            f"SELECT u.line, MIN({rank(level)}), MAX(CASE WHEN c.id {on_team} THEN 1 ELSE 0 END) "
            f"FROM new_line u LEFT JOIN {table} f ON f.code = u.code LEFT JOIN {customers} c ON c.code = u.code "
            f"WHERE u.code IS NOT NULL AND {level} IN ({listed}) GROUP BY u.line)",
        ]
        params.append(GROUP_DEPTH_LIMIT)
        own_rank = rank(new_level)
        governing = (
            f"(CASE WHEN {own_rank} IS NULL THEN n.lvl WHEN n.lvl IS NULL OR {own_rank} < n.lvl THEN {own_rank} "
            "ELSE n.lvl END)"
        )
        reason = f"CASE WHEN {parent_moved} AND s.parent IS NOT NULL THEN 20 ELSE 30 END" if has_parent else "30"
        found.append(
            f"SELECT s.line, {reason} + {governing} AS reason FROM {table} s {current} "
            f"LEFT JOIN new_listed n ON n.line = s.line WHERE {moved} AND {governing} IN ({refused}) "
            f"AND COALESCE(n.team, 0) = 0 AND (c0.id IS NULL OR c0.id NOT {on_team})"
        )
    sql = (
        f"WITH RECURSIVE {', '.join(ctes)} "
        f"SELECT s.line, x.reason, s.code, {'s.parent' if has_parent else 'NULL'}, {new_level} "
        f"FROM {table} s LEFT JOIN {customers} c0 ON c0.code = s.code "
        f"JOIN (SELECT line, MIN(reason) AS reason FROM ({' UNION ALL '.join(found)}) r GROUP BY line) x "
        "ON x.line = s.line"
    )
    total = stage.scalar(f"SELECT COUNT(*) FROM ({sql}) AS found", params)
    if not total:
        return
    levels = {n: level for level, n in ranks.items()}
    shown = stage.fetch(f"{sql} ORDER BY 1 LIMIT {MAX_STORED_ISSUES}", params)
    for line, key, code, parent, row_level in shown:
        label = ListLevel(levels[key % 10]).label
        if key // 10 == 1:
            issues.add(
                line,
                header_of(run, "code"),
                code,
                _(
                    "This customer is on the %(level)s (or a branch of a group on it): only its account team and the "
                    "group-customer department at that level change it."
                )
                % {"level": label},
            )
        elif key // 10 == 2:
            issues.add(
                line,
                header_of(run, "parent"),
                parent,
                _(
                    "Parent group: the group of %(code)s is on the %(level)s; only its account team and the "
                    "group-customer department at that level add branches to it."
                )
                % {"code": parent, "level": label},
            )
        else:
            issues.add(
                line,
                header_of(run, "list_level"),
                row_level,
                _(
                    "List level: only the account team and the group-customer department at that level put a "
                    "customer on the %(level)s."
                )
                % {"level": label},
            )
    issues.count += total - len(shown)


def _check_together(run: ImportRun, stage: Stage, issues: Issues, pair: tuple[str, str]) -> None:
    """Each row fills both columns of `pair` or leaves both empty (a location's latitude and longitude); the
    header's check saw to it that the file has both or neither."""
    if not set(pair) <= set(stage.names):
        return
    table = q(stage.table)
    for name, other in (pair, pair[::-1]):
        message = _(
            "“%(column)s” is empty while “%(other)s” is filled in: the two are filled in together or left empty "
            "together."
        ) % {"column": header_of(run, name), "other": header_of(run, other)}
        _sql_issues(
            stage,
            issues,
            f"SELECT s.line, '' FROM {table} s WHERE s.{q(name)} IS NULL AND s.{q(other)} IS NOT NULL",
            [],
            header_of(run, name),
            lambda row: message,  # noqa: B023 (read at once, within this turn of the loop)
        )


def _check_arrears_since(run: ImportRun, stage: Stage, issues: Issues) -> None:
    """Arrears have a day they began only when something is owed."""
    table = q(stage.table)
    amount = "s.arrears_amount" if "arrears_amount" in stage.names else "0"
    _sql_issues(
        stage,
        issues,
        f"SELECT s.line, CAST(s.arrears_since AS TEXT) FROM {table} s "
        f"WHERE s.arrears_since IS NOT NULL AND COALESCE({amount}, 0) = 0",
        [],
        header_of(run, "arrears_since"),
        lambda row: _("Arrears have a day they began only when an amount is owed: the arrears amount is 0 or empty."),
    )


def _check_holding_dates(run: ImportRun, kind: Kind, stage: Stage, issues: Issues, path: str) -> None:
    if "last_used_on" not in stage.names and "subscribed_on" not in stage.names:
        return
    used = "s.last_used_on" if "last_used_on" in stage.names else "t.last_used_on"
    subscribed = "s.subscribed_on" if "subscribed_on" in stage.names else "t.subscribed_on"
    source, params = stage.source(path)
    target = q(kind.model._meta.db_table)
    _sql_issues(
        stage,
        issues,
        f"SELECT s.line, CAST({used} AS TEXT) {source} LEFT JOIN {target} t ON {stage.key_match()} "
        f"WHERE {used} < {subscribed}",
        params,
        header_of(run, "last_used_on" if "last_used_on" in stage.names else "subscribed_on"),
        lambda row: _("A product cannot be last used before it was subscribed."),
    )


# -- the write -----------------------------------------------------------------------------------------------------


class _RolledBack(Exception):
    def __init__(self, outcome: dict[str, Any]):
        super().__init__("preview")
        self.outcome = outcome


def stage_of(run: ImportRun, *, checked: bool = False) -> Stage:
    """The run's staging table as the check left it (its columns read back from the database). `checked`: the check
    has just run in this process, so the customers' ids it staged (`Stage.customer_ids`) are read as they are; a
    write confirmed later joins the customers by code again, as they are then."""
    kind = KINDS[run.kind]
    stage = Stage(run.pk, kind, [])
    with connection.cursor() as cursor:
        names = [column.name for column in connection.introspection.get_table_description(cursor, stage.table)]
    stage.columns = [kind.column(name) for name in names if name not in ("line", "customer_id")]
    stage.names = [column.name for column in stage.columns]
    stage.customer_ids = checked and "customer_id" in names
    return stage


def import_run_preview(run: ImportRun) -> ImportRun:
    """Do the write and roll it back: the counts and the tier moves it would make, nothing changed."""
    with _language(run):
        progress_set(run, "previewing")
        try:
            with transaction.atomic():
                ImportRun.objects.select_for_update().filter(pk=run.pk).first()
                _lock_kind(run.kind)
                raise _RolledBack(_write(run, stage_of(run, checked=True), preview=True))
        except _RolledBack as rolled_back:
            outcome = rolled_back.outcome
        except Exception as exc:
            _run_failed(run, _("The preview stopped: %(error)s") % {"error": exc})
            raise
        _keep_counts(run, outcome)
        if run.created == run.updated == run.removed == 0:
            run.message = _("This file changes nothing: every row is as it is already.")
        run.save()
        _run_checked(run)
        progress_set(run, "previewed")
        return run


def import_run_confirm(*, run: ImportRun, user: User) -> ImportRun:
    """Write a previewed run (or one whose write failed), refusing any other."""
    require(user, "imports.run")
    if not import_run_retryable(run):
        raise RunRefused(
            {
                "status": _(
                    "Only a checked, valid import that is not written yet can be confirmed; this one is %(status)s."
                )
                % {"status": ImportStatus(run.status).label}
            }
        )
    return run


def import_run_discard(*, run: ImportRun, user: User | None) -> ImportRun:
    """Drop a checked run's rows without writing them: a preview its user decides against, or a failed write they
    give up (`user`), or either left waiting longer than IMPORTS_PREVIEW_DAYS (`import_runs_expire`, no user). The
    run stays in the history, `discarded`; any other run is refused."""
    if user is not None:
        require(user, "imports.run")
    with _language(run):  # the run's message in its own language; a refusal in the caller's
        if user is not None:
            message = _("Discarded by %(user)s; nothing was written.") % {"user": user.display_name}
        else:
            message = _(
                "Not confirmed within %(days)d days: discarded, nothing was written. "
                "Upload the file again to import it."
            ) % {"days": settings.IMPORTS_PREVIEW_DAYS}
    with transaction.atomic():
        # The status moves first: a confirm that comes later finds the run discarded, and one that came first
        # holds the run as `writing`, which is not discarded. A failed run whose rows are gone stays failed.
        claimed = _staged(run) and ImportRun.objects.filter(
            pk=run.pk, status__in=(ImportStatus.PREVIEWED, ImportStatus.FAILED)
        ).update(status=ImportStatus.DISCARDED, message=message, finished_at=timezone.now())
        run.refresh_from_db()
        if not claimed:
            raise RunRefused(
                {
                    "status": _(
                        "Only a checked import that is not written yet can be discarded; this one is %(status)s."
                    )
                    % {"status": ImportStatus(run.status).label}
                }
            )
        Stage(run.pk, KINDS[run.kind], []).drop()
        audit.record(
            user=user,
            action=AuditAction.RUN,
            obj=run,
            region_path=run.territory.path,
            detail={"kind": run.kind, "mode": run.mode, "discarded": True},
        )
    progress_set(run, "discarded")
    return run


def import_runs_expire() -> int:
    """Discard the checked runs left waiting for a confirm longer than IMPORTS_PREVIEW_DAYS (previews, and failed
    writes that could be confirmed again), so that their staged rows do not fill the disk: a nightly dry run of a
    ten-million-member file holds about a gigabyte. Returns how many were discarded."""
    since = timezone.now() - datetime.timedelta(days=settings.IMPORTS_PREVIEW_DAYS)
    waiting = ImportRun.objects.filter(
        status__in=(ImportStatus.PREVIEWED, ImportStatus.FAILED), finished_at__lt=since
    ).select_related("territory")
    discarded = 0
    for run in waiting:
        try:
            import_run_discard(run=run, user=None)
        except RunRefused:
            continue  # confirmed meanwhile, or a failed run whose rows are gone already
        discarded += 1
    return discarded


def _staged(run: ImportRun) -> bool:
    return Stage(run.pk, KINDS[run.kind], []).exists()


def import_run_retryable(run: ImportRun) -> bool:
    """Whether the run can be confirmed (again): previewed, or failed with its checked rows still staged."""
    return run.status in (ImportStatus.PREVIEWED, ImportStatus.FAILED) and _staged(run)


def import_run_write(run: ImportRun, *, checked: bool = False) -> ImportRun:
    """Write the run in one transaction: everything or nothing. `checked`: the whole-file checks have just run in
    this process; otherwise (a confirm later on) those that read the database run again first, inside the
    transaction, since the database may have changed since the preview."""
    with _language(run), audit.through(AuditSource.IMPORT):
        # A confirm takes a previewed run (or one whose write failed); the check's own write, the run it has just
        # found valid.
        ready = (ImportStatus.VALIDATING,) if checked else (ImportStatus.PREVIEWED, ImportStatus.FAILED)
        # A check-only run (the API's dry_run) confirmed later is written after all: no longer a check only, for the
        # jobs page and the figures that say they predate an import (`imports.extensions`).
        claimed = ImportRun.objects.filter(pk=run.pk, status__in=ready).update(
            status=ImportStatus.WRITING, message="", dry_run=False
        )
        run.refresh_from_db()
        if not claimed:
            raise RunRefused(
                {
                    "status": _("This import is not ready to be written (it is %(status)s).")
                    % {"status": ImportStatus(run.status).label}
                }
            )
        if not _staged(run):
            _run_failed(run, _("The checked rows of this import are gone; upload the file again."))
            return run
        progress_set(run, "writing")
        started = time.monotonic()
        try:
            with transaction.atomic():
                ImportRun.objects.select_for_update().filter(pk=run.pk).first()
                _lock_kind(run.kind)
                stage = stage_of(run, checked=checked)
                if not checked:
                    issues = Issues(run)
                    ImportIssue.objects.filter(run=run).delete()
                    _check_whole(run, stage.kind, stage, issues, lookups_for(run.created_by, run.territory))
                    issues.flush()
                    if issues.count:
                        stage.drop()
                        _invalid(
                            run,
                            issues,
                            _(
                                "Since the preview, the database has changed so that the file is no longer valid; "
                                "nothing was written."
                            ),
                        )
                        return run
                outcome = _write(run, stage)
                _keep_counts(run, outcome)
                run.status = ImportStatus.DONE
                run.finished_at = timezone.now()
                run.preview = {**run.preview, **_extras(outcome)}
                run.write_seconds = round(time.monotonic() - started, 3)
                if run.created == run.updated == run.removed == 0:
                    run.message = _("Nothing changed: every row was as it is already.")
                else:
                    run.message = ""
                run.save()
                audit.record(
                    user=run.created_by,
                    action=AuditAction.RUN,
                    obj=run,
                    region_path=run.territory.path,
                    detail={
                        "kind": run.kind,
                        "mode": run.mode,
                        **{name: getattr(run, name) for name in ("created", "updated", "unchanged", "removed")},
                    },
                )
                import_run_notified(run)
        except Exception as exc:
            _run_failed(run, _("The write stopped and nothing was written: %(error)s") % {"error": exc})
            raise
        stage.drop()
        progress_set(run, "done")
        return run


def _keep_counts(run: ImportRun, outcome: dict[str, Any]) -> None:
    for name in ("created", "updated", "unchanged", "removed"):
        setattr(run, name, outcome[name])
    run.preview = _extras(outcome)


def _extras(outcome: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in outcome.items() if key not in ("created", "updated", "unchanged", "removed")}


KIND_LOCKS = {name: 0x1A0 + position for position, name in enumerate(ImportKind.values)}


def _lock_kind(kind: str) -> None:
    """Imports of one kind go one after another (the second waits here until the first commits or rolls back);
    SQLite serialises every write anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x1A4, KIND_LOCKS[kind]])


def _write(run: ImportRun, stage: Stage, *, preview: bool = False) -> dict[str, Any]:
    """Merge the staged rows into the kind's table, remove (replace mode), and follow through; returns the counts
    and what followed. Every row it creates or changes is stamped with one moment, kept as the run's `written_at`
    (unless a preview): the customers an import created are those whose `created_at` is its `written_at`."""
    kind, path = stage.kind, ("" if run.territory.code == NATIONAL_CODE else run.territory.path)
    moment = timezone.now()
    if not preview:
        run.written_at = moment
    source, params = stage.source(path)
    joined = f"{source} LEFT JOIN {q(kind.model._meta.db_table)} t ON {stage.key_match()}"
    # One join counts the staged rows, those that are new and those that differ; with a column that names another
    # row (a customer's parent), also the rows that differ by it alone (none else: the statement is the same).
    moved_only = (
        f", SUM(CASE WHEN t.id IS NOT NULL AND NOT ({stage.changed()}) AND ({stage.reference_changed()}) "
        "THEN 1 ELSE 0 END)"
        if stage.references
        else ""
    )
    # Replace mode: the customers' current rows the file lists, to tell before the merge whether any is left out.
    replacing = run.mode == ImportMode.REPLACE
    listed_current = f", SUM(CASE WHEN {_current(kind, 't')}t.id IS NOT NULL THEN 1 ELSE 0 END)" if replacing else ""
    new, differ, rows, *others = (
        count or 0
        for count in stage.fetch(
            f"SELECT SUM(CASE WHEN t.id IS NULL THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN t.id IS NOT NULL AND ({stage.changed()}) THEN 1 ELSE 0 END), COUNT(*)"
            f"{moved_only}{listed_current} {joined}",
            params,
        )[0]
    )
    moved = others.pop(0) if stage.references else 0
    # Counted before the merge makes the table larger (ten million members: 5-9 s after it, none before).
    unlisted = _current_rows(stage, source, params) - others[0] if replacing else 0
    # (a preview is the same write, rolled back: its page says it is working out the preview, not writing)
    progress_set(run, "previewing" if preview else "writing", 0, rows)
    # A first load checks the foreign keys of the tables it fills and builds their plain indexes once, at its end
    # (crm.bulk.first_load); a preview, rolled back, needs neither, so it has nothing dropped: it counts as no new
    # row there.
    loaded = 0 if preview else new
    # New customers get their tier as they are inserted, under the one rule set in force where they all lie,
    # instead of a second write of every row; the rest are recomputed after the merge.
    rule_set = _one_rule_set(stage, path) if kind.name == "customers" and new else None
    first_tiers = _first_tiers(stage, rule_set) if rule_set is not None else {}
    # When no staged row has a row in the table yet (a first load), the new rows are the staged rows, inserted
    # without looking each up in the table again.
    created, updated = _merge(
        run,
        stage,
        joined,
        params,
        moment,
        first_tiers,
        new,
        differ,
        loaded,
        moved=moved,
        audited=not preview,
        none_there=source if new == rows else None,
    )
    groups_left = None
    if stage.references:
        groups_left = _groups_left(stage)
        _references_set(stage, moment)
        updated += moved
    removed = _remove(run, stage, source, params, audited=not preview) if unlisted else 0
    # Planner statistics for what was just loaded, before the statements that follow read it.
    analyze_after_load(kind.model._meta.db_table, created + updated + removed)
    outcome: dict[str, Any] = {
        "created": created,
        "updated": updated,
        "unchanged": rows - created - updated,
        "removed": removed,
    }
    if kind.name == "billing":
        _billing_to_customers(stage, path, moment)
        if "arrears_amount" in stage.names:
            outcome.update(_arrears(stage, path, moment, run.created_by))
    if kind.name in ("customers", "billing"):
        progress_set(run, "previewing" if preview else "tiers", rows, rows)
        if kind.name == "customers":
            with first_load(StatusPeriod._meta.db_table, loaded):
                _status_history(stage, moment)
        with first_load(TierChange._meta.db_table, loaded):
            outcome.update(_tiers(moment, rule_set, run.created_by, groups_left))
    return outcome


def _one_rule_set(stage: Stage, path: str) -> RuleSet | None:
    """The rule set in force for every region the staged customers name, when it is one (their province's own,
    or the national one); None when they span provinces of different sets, or name no region (an update)."""
    if "region" not in stage.names:
        return None
    own = {
        rule_set.scope.path: rule_set
        for rule_set in RuleSet.objects.filter(status="published", scope__level="province").select_related("scope")
    }
    if not own:
        return published_rule_set(None)
    regions = q(Region._meta.db_table)
    provinces = [
        row[0]
        for row in stage.fetch(
            f"SELECT DISTINCT SUBSTR(r.path, 1, 14) FROM {q(stage.table)} s JOIN {regions} r ON r.code = s.region"
        )
    ]
    sets = {own[province].pk if province in own else None for province in provinces}
    if len(sets) != 1:
        return None
    [province_set] = sets
    return RuleSet.objects.get(pk=province_set) if province_set else published_rule_set(None)


def _first_tiers(stage: Stage, rule_set: RuleSet) -> dict[str, tuple[str, list[Any]]]:
    """SQL of a new customer's tier columns over its staged row; the fields the rules read that the file has not
    are added to the staging table with their defaults (a new customer has those)."""
    postgres = connection.vendor == "postgresql"
    defaults = {
        "status": ("text", "'active'"),
        "industry": ("text", "NULL"),
        "handset_count": ("bigint", "0"),
        "employee_count": ("bigint", "0"),
        "monthly_spend": ("numeric(20, 2)", "0"),
        "informatization_revenue": ("numeric(20, 2)", "0"),
        "is_tax_top500": ("boolean", "false" if postgres else "0"),
        "is_major_influence": ("boolean", "false" if postgres else "0"),
    }
    for name, (sql_type, default) in defaults.items():
        if name not in stage.names:
            stage.execute(f"ALTER TABLE {q(stage.table)} ADD COLUMN {q(name)} {sql_type} DEFAULT {default}")
    tiers = new_customer_tier_sql(rule_set.specs(), "s")
    tiers["tier_rule_set_id"] = ("%s", [rule_set.pk])
    return tiers


def _merge(
    run: ImportRun,
    stage: Stage,
    joined: str,
    params: list[Any],
    moment,
    first_tiers: dict[str, tuple[str, list[Any]]],
    new: int,
    differ: int,
    loaded: int,
    *,
    moved: int = 0,
    audited: bool = True,
    none_there: str | None = None,
) -> tuple[int, int]:
    """Write the staged rows that differ or are new (`joined`: the staged rows, `t` the table's row of each or
    NULL; `new` and `differ` their counts, a statement with none to write is not run); (created, updated).

    The rows that differ go through `INSERT … ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM` (a row deleted
    meanwhile is inserted again). The new ones, found by the same join, go in by a plain `INSERT`: the upsert
    would try each as a speculative insert first, about 7 µs a row (70 s of ten million members). Imports of a
    kind run one at a time (`_lock_kind`); a row of the same key that a user adds between the join and the insert
    makes the write fail whole, to be confirmed again. `moved`: the rows that differ only by a column naming another
    row (`_references_set` writes it after), audited here with the others. `none_there`: the staged rows (the
    source `joined` extends) when none of them has a row in the table: every row is new, inserted without being
    looked up there (ten million members into an empty table: a hash join with nothing, 6 s of hashing keys)."""
    kind = stage.kind
    model = kind.model
    staged = {kind.target(column): f"s.{q(column.name)}" for column in stage.columns if not column.reference}
    if kind.customer_column is not None:
        staged.pop(kind.customer_column, None)
        staged["customer_id"] = "c.id"
    staged.update(stage.computed())
    columns, values, insert_params = [], [], []
    updates = []
    keys = set(kind.conflict)
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column == "id":
            continue
        column = str(field.column)
        columns.append(q(column))
        if column in staged:
            values.append(staged[column])
            if column not in keys:
                updates.append(column)
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("%s")
            insert_params.append(field.get_db_prep_save(moment, connection))
            if getattr(field, "auto_now", False):
                updates.append(column)
        elif column == "added_by_id":
            values.append("%s")
            insert_params.append(run.created_by_id)
        elif column in first_tiers:
            sql, sql_params = first_tiers[column]
            values.append(sql)
            insert_params.extend(sql_params)
        else:
            # A column the file has not: a new row gets the field's default (the update leaves the column alone).
            # A column that must have a value and has no default (a new customer's region) is one no new row
            # lacks (the check said so): an existing row proposes its own, read by joining the table.
            default = field.get_db_prep_save(field.get_default(), connection)
            if default is not None or field.null:
                values.append("%s")
                insert_params.append(default)
            else:
                values.append(f"t.{q(column)}")
    table = q(model._meta.db_table)
    conflict = ", ".join(q(column) for column in kind.conflict)
    where_conflict = f" WHERE {kind.conflict_where}" if kind.conflict_where else ""
    changed = (
        " OR ".join(distinct(f"{table}.{q(column)}", f"excluded.{q(column)}") for column, _value in stage.compared())
        or "1 = 0"
    )
    assignments = ", ".join(f"{q(column)} = excluded.{q(column)}" for column in updates)
    insert_into = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
    insert = f"{insert_into}{joined} "
    insert_new = f"{insert} WHERE t.id IS NULL"
    if none_there:
        # (`t` stays, a row of NULLs, for the values and computed columns that read it)
        insert_new = f"{insert_into}{none_there} LEFT JOIN {table} t ON 1 = 0"
    created = updated = 0
    if audited and (differ or moved):
        # The rows that differ first, before the new ones make the table larger; their audit entries before them,
        # while the old values are there to read.
        _audit_rows(run, stage, joined, params)
    if differ:
        updated = stage.execute(
            f"{insert} WHERE t.id IS NOT NULL AND ({stage.changed()}) "
            f"ON CONFLICT ({conflict}){where_conflict} DO UPDATE SET {assignments} WHERE {changed}",
            [*insert_params, *params],
        )
    if new and audited and connection.vendor == "postgresql":
        # The rows inserted are their audit entries' source, in the same statement (a data-modifying CTE): no
        # second join of the staged rows with the table they went into. It returns only what the entries read.
        audit_sql, audit_params = _audit_created(run, stage)
        if kind.name == "customers":
            returned = "id, name, code, region_id"
        else:
            returned = "id, customer_id" if kind.customer_column is not None else "id"
        with first_load(model._meta.db_table, loaded):
            created = stage.scalar(
                f"WITH created AS ({insert_new} RETURNING {returned}), "
                f"audited AS ({audit_sql} RETURNING 1) SELECT COUNT(*) FROM created",
                [*insert_params, *params, *audit_params],
            )
    elif new:
        last_id = model._default_manager.aggregate(last=Max("id"))["last"] or 0
        with first_load(model._meta.db_table, loaded):
            created = stage.execute(insert_new, [*insert_params, *params])
        if audited:
            _audit_rows(run, stage, joined, params, created_after=last_id)
    return created, updated


def _audit_created(run: ImportRun, stage: Stage) -> tuple[str, list[Any]]:
    """The INSERT appending the audit entry of each row of `created` (the rows an import inserted, as a
    statement's RETURNING gives them), and its parameters.

    A customer's ids are sorted with everyone's by one sort and gathered in that order (PostgreSQL aggregates in
    the order a sorted subquery gives): `jsonb_agg(id ORDER BY id)` sorts each customer's few ids apart, and
    `array_agg` then `to_jsonb` builds the same JSON for less. Ten million ids of a million customers: 8.0 s
    against 13.4-14.1 s (6 December, one process)."""
    facts, joins, facts_params = _audit_facts(run, stage, customer_joined=_created_per_customer(stage))
    if _created_per_customer(stage):
        select_sql = (
            f"SELECT '' AS object_id, {facts}, {_ids_created('t.ids')} AS changes "
            "FROM (SELECT customer_id, to_jsonb(array_agg(id)) AS ids "
            "FROM (SELECT customer_id, id FROM created ORDER BY customer_id, id) o GROUP BY customer_id) t "
            f"JOIN {q(Customer._meta.db_table)} c ON c.id = t.customer_id {joins}"
        )
    else:
        select_sql = (
            f"SELECT CAST(t.id AS text) AS object_id, {facts}, {audit.changes_sql({})} AS changes "
            f"FROM created t {joins}"
        )
    sql, fixed = audit.select_insert(
        user=run.created_by,
        action=AuditAction.CREATE,
        object_type=stage.kind.model._meta.label_lower,
        select_sql=select_sql,
        detail={"import": run.pk},
    )
    return sql, [*fixed, *facts_params]


def _references_set(stage: Stage, moment) -> None:
    """Set each column that names another row by its key (a customer's parent group) from the staged keys, once the
    merge has inserted the rows the file adds (a branch may name a group of the same file): one `UPDATE … FROM`
    the staging table, touching only the rows whose reference changes. An empty cell clears it."""
    model = stage.kind.model
    table = q(model._meta.db_table)
    key = q(stage.kind.conflict[0])
    touched = [
        (str(field.column), field.get_db_prep_save(moment, connection))
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False)
    ]
    for column in stage.references:
        target = q(stage.kind.target(column))
        assignments = ", ".join([f"{target} = r.id", *(f"{q(name)} = %s" for name, _value in touched)])
        stage.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {q(stage.table)} s "
            f"LEFT JOIN {table} r ON r.{key} = s.{q(column.name)} "
            f"WHERE {stage.key_match()} AND {distinct(f't.{target}', 'r.id')}",
            [value for _name, value in touched],
        )


def _groups_left(stage: Stage) -> QuerySet[Customer] | None:
    """The parent groups the file takes customers out of (a parent changed or cleared): noted on the staging table
    (`former_parent_id`) before `_references_set` rewrites the parents, by one `UPDATE … FROM` touching only the rows
    that leave a group. Their groups lost those customers' handsets and are recomputed with the rest (`_tiers`).
    None when the file names no parents."""
    if stage.kind.name != "customers" or "parent" not in stage.names:
        return None
    table, customers = q(stage.table), stage.customers_table
    stage.execute(f"ALTER TABLE {table} ADD COLUMN former_parent_id bigint")
    stage.execute(
        f"UPDATE {table} AS s SET former_parent_id = t.parent_id FROM {customers} t "
        f"JOIN {customers} p ON p.id = t.parent_id WHERE t.code = s.code AND (s.parent IS NULL OR s.parent <> p.code)"
    )
    return Customer.objects.filter(
        pk__in=RawSQL(f"SELECT former_parent_id FROM {table} WHERE former_parent_id IS NOT NULL", ())
    )


def _created_per_customer(stage: Stage) -> bool:
    """Whether the rows an import creates are entered in the audit trail one entry per customer (the rows hanging
    off a customer: key persons, members, holdings), not one per row. Such an entry names the import (`detail`),
    the customer, and the ids of every row it gained (`changes`: `{"id": [null, [ids]]}`); the rows' values are
    the file's, whose name and SHA-256 the run records. Ten million members are a million entries, not ten
    million: such an import took 140 s instead of 238 on 5 December (docs/PERFORMANCE.md), and a customer's
    history shows one line per import, not one per member."""
    return stage.kind.name != "customers" and stage.kind.customer_column is not None


def _ids_created(ids: str) -> str:
    """`changes` of a per-customer creation entry from the SQL of the ids' JSON array."""
    if connection.vendor == "postgresql":
        return f"jsonb_build_object('id', jsonb_build_array(NULL, {ids}))"
    return f"json_object('id', json_array(NULL, json({ids})))"


def _audit_facts(run: ImportRun, stage: Stage, *, customer_joined: bool = False) -> tuple[str, str, list[Any]]:
    """The columns of an import's audit entry that tell what the row belongs to (`object_repr`, `customer_id`,
    `customer_code`, `region_path`), the join they need and its parameters: the customer's, read from `t` (a
    customers file's own rows) or `c` (the customer a row hangs off: the customers' row, or `customer_joined`
    by the caller); else the run's territory."""
    kind = stage.kind
    customer_join = ""
    if kind.name == "customers":
        customer = "t"
    elif kind.customer_column is not None and stage.customer_ids and not customer_joined:
        # `c` holds only the id (`Stage.source`): the customer itself is joined for its name and code.
        customer = "audit_c"
        customer_join = f"JOIN {q(Customer._meta.db_table)} audit_c ON audit_c.id = c.id "
    elif kind.customer_column is not None:
        customer = "c"
    else:
        return (
            "CAST(t.id AS text) AS object_repr, CAST(NULL AS bigint) AS customer_id, '' AS customer_code, "
            "%s AS region_path",
            "",
            [run.territory.path],
        )
    return (
        f"{customer}.name AS object_repr, {customer}.id AS customer_id, {customer}.code AS customer_code, "
        "audit_r.path AS region_path",
        f"{customer_join}JOIN {q(Region._meta.db_table)} audit_r ON audit_r.code = {customer}.region_id",
        [],
    )


def _audit_rows(run: ImportRun, stage: Stage, joined: str, params: list[Any], created_after: int | None = None) -> int:
    """The audit trail's entry of each row the import changes (before it does: each field's old and new value)
    or created (after it did, `created_after` the highest id before: the row itself holds the new values), in one
    `INSERT … SELECT` over the staged rows."""
    model = stage.kind.model
    field_names = {str(field.column): field.name for field in model._meta.concrete_fields}
    facts, region_join, facts_params = _audit_facts(run, stage)
    if created_after is None:
        fields = {field_names.get(column, column): (f"t.{q(column)}", value) for column, value in stage.compared()}
        # A reference (a customer's parent) as the trail keeps a foreign key: the code of the row it names.
        for column in stage.references:
            target = stage.kind.target(column)
            fields[field_names.get(target, target)] = (stage.referenced(column), f"s.{q(column.name)}")
        changes = audit.changes_sql(fields, only_differing=True)
        changed = stage.changed()
        if stage.references:
            changed = f"{changed} OR {stage.reference_changed()}"
        where, where_params = f"t.id IS NOT NULL AND ({changed})", []
    else:
        changes = audit.changes_sql({})
        where, where_params = "t.id > %s", [created_after]
    object_id, grouped = "CAST(t.id AS text)", ""
    if created_after is not None and _created_per_customer(stage):
        object_id, changes, grouped = "''", _ids_created("json_group_array(t.id)"), " GROUP BY c.id"
    return audit.record_select(
        user=run.created_by,
        action=AuditAction.CREATE if created_after is not None else AuditAction.UPDATE,
        object_type=model._meta.label_lower,
        select_sql=(
            f"SELECT {object_id} AS object_id, {facts}, {changes} AS changes "
            f"{joined} {region_join} WHERE {where}{grouped} "
            "ORDER BY customer_id"  # a sweep through the trail's index by customer (see tiering.bulk.apply_rules)
        ),
        params=[*facts_params, *params, *where_params],
        detail={"import": run.pk},
    )


def _current_rows(stage: Stage, source: str, params: list[Any]) -> int:
    """Replace mode: how many rows the customers the file names have now (members: not marked as left)."""
    table = q(stage.kind.model._meta.db_table)
    return stage.scalar(f"SELECT COUNT(*) FROM {table} WHERE {_named_current(stage.kind, table, source)}", params)


def _named_current(kind: Kind, table: str, source: str) -> str:
    """The condition a current row of `table` of a customer the staged rows name (`source`) meets."""
    return f"{_current(kind, table)}{table}.customer_id IN (SELECT c.id {source})"


def _current(kind: Kind, table: str) -> str:
    """The condition (and its `AND`) a row of `table` meets while current: members not marked as left; else none."""
    return f"{table}.left_on IS NULL AND " if kind.removal == "leave" else ""


def _remove(run: ImportRun, stage: Stage, source: str, params: list[Any], *, audited: bool = True) -> int:
    """Replace mode: the rows of the customers the file names (`source`, the staged rows, and its `params`) that
    the file does not list are removed (members: marked as left today). Run only when the count before the merge
    found such rows (`_write`)."""
    kind = stage.kind
    table = q(kind.model._meta.db_table)
    others = [
        f"s.{q(name)} = {table}.{q(target)}"
        for name, target in zip(kind.key, kind.conflict, strict=True)
        if name != kind.customer_column
    ]
    listed = f"EXISTS (SELECT 1 {source} WHERE c.id = {table}.customer_id AND {' AND '.join(others)})"
    removed, today = f"{_named_current(kind, table, source)} AND NOT {listed}", timezone.localdate()
    if audited:
        _audit_removals(run, stage, removed, [*params, *params], left_on=today if kind.removal == "leave" else None)
    if kind.removal == "leave":
        return stage.execute(f"UPDATE {table} SET left_on = %s WHERE {removed}", [today, *params, *params])
    return stage.execute(f"DELETE FROM {table} WHERE {removed}", [*params, *params])


def _audit_removals(
    run: ImportRun, stage: Stage, where: str, params: list[Any], *, left_on: datetime.date | None
) -> int:
    """The audit trail's entry of each row replace mode removes, before it does, in one `INSERT … SELECT`: a
    deleted row with the old value of each field the file carries, or a member marked as left (`left_on`)."""
    kind, model = stage.kind, stage.kind.model
    table = q(model._meta.db_table)
    if left_on is not None:
        action, changes = AuditAction.UPDATE, audit.changes_sql({"left_on": ("NULL", "CAST(%s AS text)")})
        changes_params: list[Any] = [left_on.isoformat()]
    else:
        names = {str(field.column): field.name for field in model._meta.concrete_fields}
        columns = [kind.target(column) for column in stage.columns if kind.target(column) != kind.customer_column]
        pairs = {names.get(column, column): (f"{table}.{q(column)}", "NULL") for column in columns}
        action, changes, changes_params = AuditAction.DELETE, audit.changes_sql(pairs), []
    customers, regions = q(Customer._meta.db_table), q(Region._meta.db_table)
    return audit.record_select(
        user=run.created_by,
        action=action,
        object_type=model._meta.label_lower,
        select_sql=(
            f"SELECT CAST({table}.id AS text) AS object_id, audit_c.name AS object_repr, audit_c.id AS customer_id, "
            f"audit_c.code AS customer_code, audit_r.path AS region_path, {changes} AS changes FROM {table} "
            f"JOIN {customers} audit_c ON audit_c.id = {table}.customer_id "
            f"JOIN {regions} audit_r ON audit_r.code = audit_c.region_id WHERE {where}"
        ),
        params=[*changes_params, *params],
        detail={"import": run.pk, "replace": True},
    )


def _billing_to_customers(stage: Stage, path: str, moment) -> None:
    """The latest month of each customer billed sets its monthly spend and informatization revenue."""
    latest = BillingPeriod.objects.filter(customer=OuterRef("pk")).order_by("-period")
    values = {
        name: Subquery(latest.values(name)[:1])
        for name in ("monthly_spend", "informatization_revenue")
        if name in stage.names
    }
    if not values:
        return
    source, params = stage.source(path)
    customers = Customer.objects.filter(pk__in=RawSQL(f"SELECT c.id {source}", params))
    differs = Q()
    for name, value in values.items():
        differs |= Q(**{f"{name}__distinct_from": value})
    customers.filter(differs).update(**values, updated_at=moment)


def _arrears(stage: Stage, path: str, moment, user: User | None) -> dict[str, int]:
    """What the customers billed owe as their latest bill says, and their collection cases opened and closed over
    it (issue 21), set-based for the customers the file names."""
    source, params = stage.source(path)
    customers = Customer.objects.filter(pk__in=RawSQL(f"SELECT c.id {source}", params))
    arrears_refresh(customers=customers, moment=moment)
    synced = arrears_cases_sync(customers=customers, user=user)
    return {"arrears_cases_opened": synced.opened, "arrears_cases_closed": synced.closed}


def _status_history(stage: Stage, moment) -> None:
    """Status history (StatusPeriod) for the customers the file created or whose status it changed: the open
    period of a changed status ends today and a new one starts; a customer new today gets its first period.
    A second change on a day a period began goes through `StatusPeriod.record` (it replaces or undoes it)."""
    today = timezone.localdate()
    periods = q(StatusPeriod._meta.db_table)
    customers = stage.customers_table
    # The customers this write created or changed (it stamped them `moment`); only one that was there before has
    # a period to end or replace.
    moment = Customer._meta.get_field("created_at").get_db_prep_value(moment, connection)
    touched = f"SELECT c.id FROM {customers} c WHERE c.updated_at = %s"
    existing = f"{touched} AND c.created_at <> %s"
    same_day = stage.fetch(
        f"SELECT c.id, c.status FROM {periods} p JOIN {customers} c ON c.id = p.customer_id "
        f"WHERE p.ends_on IS NULL AND p.starts_on >= %s AND p.status <> c.status AND c.id IN ({existing})",
        [today, moment, moment],
    )
    for customer_id, status in same_day:
        StatusPeriod.record(customer_id=customer_id, status=status, on=today)
    stage.execute(
        f"UPDATE {periods} SET ends_on = %s WHERE ends_on IS NULL AND starts_on < %s AND customer_id IN ({existing}) "
        f"AND status <> (SELECT c.status FROM {customers} c WHERE c.id = {periods}.customer_id)",
        [today, today, moment, moment],
    )
    stage.execute(
        f"INSERT INTO {periods} (customer_id, status, starts_on, ends_on) SELECT c.id, c.status, %s, NULL "
        f"FROM {customers} c WHERE c.updated_at = %s AND NOT EXISTS "
        f"(SELECT 1 FROM {periods} p WHERE p.customer_id = c.id AND p.ends_on IS NULL)",
        [today, moment],
    )


def _tiers(
    moment, rule_set: RuleSet | None, user: User | None = None, groups_left: QuerySet[Customer] | None = None
) -> dict[str, Any]:
    """Follow through on the tiers of the customers this write created or changed (those it stamped `moment`):
    the history of those created with their first tier, the recompute of the others, and of the groups the file
    took customers out of (`groups_left`, `_groups_left`); and say whose tier moved."""
    first_change = (TierChange.objects.aggregate(last=Max("id"))["last"] or 0) + 1
    touched = Customer.objects.filter(updated_at=moment)
    if rule_set is not None:
        new_customers_log(touched.filter(created_at=moment), rule_set.pk, "import")
        # the new customers the file put in a group too: under a rule on the group's total handsets their groups
        # are recomputed whole (`tiers_apply`), theirs with them; one in no group keeps the tier it was created with
        touched = touched.exclude(created_at=moment, parent__isnull=True)
    tiers_apply(customers=touched, source="import", user=user, groups_left=groups_left)
    changes = TierChange.objects.filter(id__gte=first_change, source="import").exclude(from_tier="")
    movers = [
        {"code": code, "name": name, "from": from_tier, "to": to_tier}
        for code, name, from_tier, to_tier in changes.order_by("customer__code").values_list(
            "customer__code", "customer__name", "from_tier", "to_tier"
        )[:MOVERS_SHOWN]
    ]
    # the tiers the new customers get, tier by tier ("" for those without one: prospects, churned), for the preview
    created = Customer.objects.filter(created_at=moment).order_by().values_list("tier").annotate(n=Count("id"))
    new_tiers = {tier or "": n for tier, n in created}
    return {"tier_moves": changes.count(), "movers": movers, "new_tiers": new_tiers}


# -- crashed runs --------------------------------------------------------------------------------------------------


def import_runs_recover() -> int:
    """Mark failed the runs whose process died while checking or writing: on PostgreSQL a live run holds its row
    lock for as long as it works, so a row that can be locked is an orphan; on SQLite, a run silent for an hour.
    Its transaction rolled back, so nothing of it was written; confirming it again (or uploading the file again)
    completes it. Returns how many were marked."""
    marked = 0
    with transaction.atomic():
        # Runs a process has begun (a queued one has not: its worker may yet come).
        runs = ImportRun.objects.filter(
            status__in=(ImportStatus.VALIDATING, ImportStatus.WRITING), started_at__isnull=False
        )
        if connection.vendor == "postgresql":
            orphans = list(runs.select_for_update(skip_locked=True))
        else:
            stale = timezone.now() - datetime.timedelta(seconds=SQLITE_STALE_SECONDS)
            orphans = list(runs.filter(started_at__lt=stale))
        # Runs queued an hour ago that no worker has started (the broker lost them, or was down).
        queued = ImportRun.objects.filter(
            status=ImportStatus.VALIDATING,
            started_at__isnull=True,
            created_at__lt=timezone.now() - datetime.timedelta(seconds=SQLITE_STALE_SECONDS),
        )
        orphans += list(queued.select_for_update(skip_locked=True) if connection.vendor == "postgresql" else queued)
        for run in orphans:
            with _language(run):
                message = _(
                    "The process running this import stopped; nothing of it was written. Confirm it again to finish it."
                )
            run.status = ImportStatus.FAILED
            run.message = message
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "message", "finished_at"])
            import_run_notified(run)
            marked += 1
    return marked
