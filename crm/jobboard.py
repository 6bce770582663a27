"""The one jobs page's registry: each kind of job run (a tier recompute, a KPI computation, an import) is described
once by the app that owns it, and the page (`crm.views.JobsView`) and its progress endpoint list them all, newest
first, without the ground floor knowing the apps above it.

An app registers its `JobKind` in its `AppConfig.ready` (`jobboard.register(JobKind(...))`): how to find the runs a
user sees, what its runs' statuses mean on the board, and how to read one run into a `JobRow`. Adding a kind of job
is one registration.

The board merges the kinds by their start time without a UNION: for a page it reads only the (start, id) keys of
the newest runs of each kind, merges them, then fetches the page's runs by id (three queries a kind).
"""

from __future__ import annotations

import datetime
import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ChunkedJobRun, JobStatus, User

# The statuses of the board, the same for every kind: each kind says which of its own statuses each one means.
RUNNING, WAITING, SUCCEEDED, FAILED = "running", "waiting", "succeeded", "failed"
STATUS_CHOICES = [
    (RUNNING, gettext_lazy("Running")),
    (WAITING, gettext_lazy("Waiting for confirmation")),
    (SUCCEEDED, gettext_lazy("Succeeded")),
    (FAILED, gettext_lazy("Failed")),
]
BADGES = {RUNNING: "text-bg-info", WAITING: "text-bg-warning", SUCCEEDED: "text-bg-success", FAILED: "text-bg-danger"}

# A row shows this many of a run's errors; the run's own page (or the admin) has the rest.
ERRORS_SHOWN = 3


@dataclass(frozen=True)
class Progress:
    """How far a running job is: `done` of `total` (chunks, rows…), and what it is doing, in the user's language."""

    done: int
    total: int
    text: str = ""

    @property
    def percent(self) -> int:
        if self.total <= 0:
            return 0
        return max(0, min(100, round(100 * self.done / self.total)))


@dataclass
class JobRow:
    """One run as the board shows it, whatever its kind; texts already in the user's language."""

    kind: JobKind
    pk: int
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    status: str  # the board's: RUNNING, WAITING, SUCCEEDED, FAILED
    status_label: str  # the run's own status, as its kind names it
    started_by: str = ""
    scope: str = ""
    counts: list[tuple[str, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    errors_count: int = 0
    progress: Progress | None = None
    url: str = ""
    # The seconds the work took, when the kind knows better than finish − start (an import's wait for a
    # confirmation is not work); None: read off the times.
    seconds: float | None = None

    @property
    def key(self) -> str:
        return f"{self.kind.key}-{self.pk}"

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    @property
    def badge(self) -> str:
        return BADGES.get(self.status, "text-bg-secondary")

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish; while running, so far."""
        if self.seconds is not None:
            return self.seconds
        if self.started_at is None:
            return None
        end = self.finished_at or (timezone.now() if self.running else None)
        return None if end is None else max(0.0, (end - self.started_at).total_seconds())

    @property
    def duration_text(self) -> str:
        return duration_text(self.duration)

    @property
    def errors_more(self) -> int:
        return max(0, self.errors_count - len(self.errors))

    def as_json(self) -> dict[str, Any]:
        """What the page's poll reads to update the row in place."""
        return {
            "status": self.status,
            "status_label": self.status_label,
            "badge": self.badge,
            "running": self.running,
            "finished": timezone.localtime(self.finished_at).strftime("%Y-%m-%d %H:%M:%S") if self.finished_at else "",
            "duration": self.duration_text,
            "counts": [[label, value] for label, value in self.counts],
            "errors_count": self.errors_count,
            "progress": (
                {
                    "done": self.progress.done,
                    "total": self.progress.total,
                    "percent": self.progress.percent,
                    "text": self.progress.text,
                }
                if self.progress is not None
                else None
            ),
        }


@dataclass(frozen=True)
class JobKind:
    """A kind of job run, as its app describes it to the board.

    - `runs(user)`: the runs the user sees (visibility is the kind's), any order; the board orders them;
    - `started_field`: the field that orders them, newest first (a run not started yet sorts by it too);
    - `statuses`: what each board status means in the kind's own terms, as a filter of its runs; a status the kind
      never has is left out;
    - `row(run)`: one run read into a `JobRow` (the run comes from `runs(user)`, with what it select_related);
    - `may_see(user)`: whether the user sees this kind at all;
    - `home`, `home_label`: the URL name and title of the kind's own page, which the board links to.
    """

    key: str
    label: str | Promise
    runs: Callable[[User], QuerySet]
    statuses: Mapping[str, Q]
    row: Callable[[Any], JobRow]
    started_field: str = "started_at"
    may_see: Callable[[User], bool] = lambda user: True
    home: str = ""
    home_label: str | Promise = ""

    def visible(self, user: User, status: str = "") -> QuerySet:
        runs = self.runs(user)
        if status:
            runs = runs.filter(self.statuses[status]) if status in self.statuses else runs.none()
        return runs


_kinds: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    """Add (or replace: `ready` may run twice in tests) a kind of job run."""
    _kinds[kind.key] = kind


def kinds(user: User | None = None) -> list[JobKind]:
    """The registered kinds, in the order of registration (the apps' order), those the user sees if one is given."""
    return [kind for kind in _kinds.values() if user is None or kind.may_see(user)]


def kind_of(key: str) -> JobKind | None:
    return _kinds.get(key)


class MergedRuns:
    """The runs of several kinds as one list, newest first, sliced lazily, so that Django's Paginator pages it: a
    slice reads the (start, id) keys of the newest runs of each kind up to the slice's end, merges them, and fetches
    only the slice's runs."""

    def __init__(self, user: User, kinds: Sequence[JobKind], status: str = "") -> None:
        self.sources = [(kind, kind.visible(user, status)) for kind in kinds]
        self._count: int | None = None

    def count(self) -> int:
        """How many runs of every kind, in one statement (a count per kind, added up), not one per kind."""
        if self._count is None:
            parts: list[str] = []
            params: list[Any] = []
            for _kind, runs in self.sources:
                try:
                    sql, kind_params = runs.order_by().values("pk").query.sql_with_params()
                except EmptyResultSet:  # `.none()`: a status the kind never has
                    continue
                parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS runs)")
                params += kind_params
            self._count = 0
            if parts:
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT {' + '.join(parts)}", params)
                    self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        if stop <= start:
            return []
        keyed = []
        for position, (kind, runs) in enumerate(self.sources):
            order = (f"-{kind.started_field}", "-pk")
            keys = runs.order_by(*order).values_list(kind.started_field, "pk")[:stop]
            # Newest first; a run not started yet (no time) sorts as the newest.
            keyed.append([(_sort_key(started), -pk, position) for started, pk in keys])
        window = list(heapq.merge(*keyed))[start:stop]
        wanted: dict[int, list[int]] = {}
        for _started, negative_pk, position in window:
            wanted.setdefault(position, []).append(-negative_pk)
        fetched = {position: self.sources[position][1].in_bulk(pks) for position, pks in wanted.items() if pks}
        rows = []
        for _started, negative_pk, position in window:
            run = fetched[position].get(-negative_pk)
            if run is not None:
                rows.append(self.sources[position][0].row(run))
        return rows


_FAR_FUTURE = datetime.datetime.max.replace(tzinfo=datetime.UTC)


def _sort_key(started: datetime.datetime | None) -> float:
    """Newest first as an ascending key for `heapq.merge`."""
    return -(started or _FAR_FUTURE).timestamp()


def running_rows(user: User, limit: int = 50) -> list[JobRow]:
    """The runs now running that the user sees, of every kind, newest first."""
    merged = MergedRuns(user, kinds(user), RUNNING)
    return merged[:limit]


def rows_by_key(user: User, keys: Sequence[str]) -> dict[str, JobRow]:
    """The runs named by their board keys ("tiers-12") among those the user sees; unknown or unseen keys are left
    out (an outsider learns nothing)."""
    wanted: dict[str, list[int]] = {}
    for key in keys:
        name, _sep, number = key.rpartition("-")
        if name and number.isdigit() and len(number) <= 18:
            wanted.setdefault(name, []).append(int(number))
    rows: dict[str, JobRow] = {}
    for kind in kinds(user):
        pks = wanted.get(kind.key)
        if pks:
            for run in kind.visible(user).filter(pk__in=pks[:100]):
                row = kind.row(run)
                rows[row.key] = row
    return rows


# What the board's statuses mean for a chunked job's run (`crm.models.ChunkedJobRun`).
CHUNKED_STATUSES: Mapping[str, Q] = {
    RUNNING: Q(status=JobStatus.RUNNING),
    SUCCEEDED: Q(status=JobStatus.SUCCEEDED),
    FAILED: Q(status=JobStatus.FAILED),
}


def chunked_row(
    kind: JobKind, run: ChunkedJobRun, *, scope: str, counts: list[tuple[str, int]], url: str = ""
) -> JobRow:
    """A chunked job's run read into a row: its progress is its chunks done of its chunks (select_related
    `triggered_by` in the kind's `runs`); it links to `url`, by default the kind's own page."""
    running = run.status == JobStatus.RUNNING
    errors = [_chunk_error_text(error) for error in run.errors or []]
    return JobRow(
        kind=kind,
        pk=run.pk,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status=run.status,
        status_label=run.get_status_display(),
        started_by=run.triggered_by.display_name if run.triggered_by else "",
        scope=scope,
        counts=counts,
        errors=errors[:ERRORS_SHOWN],
        errors_count=len(errors),
        progress=(
            Progress(
                run.chunks_done,
                run.chunks_total,
                _("%(done)d of %(total)d chunks") % {"done": run.chunks_done, "total": run.chunks_total},
            )
            if running
            else None
        ),
        url=url or (reverse(kind.home) if kind.home else ""),
    )


def _chunk_error_text(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    if "first_id" in error:
        return f"#{error['first_id']}–{error.get('last_id', '')}: {error.get('error', '')}"
    return str(error.get("error", ""))


def duration_text(seconds: float | None) -> str:
    """A job's duration, short: "4.2 s", "3 min 05 s", "2 h 07 min"; "—" when not known."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("%(seconds).1f s") % {"seconds": seconds}
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}
    hours, rest = divmod(round(seconds), 3600)
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest // 60}


def kind_for(run: ChunkedJobRun | Any, user: User | None = None) -> JobKind | None:
    """The registered kind whose runs are of `run`'s model (asked as `user`, by default the run's starter)."""
    user = user if user is not None else getattr(run, "triggered_by", None)
    for kind in kinds():
        try:
            model = kind.runs(user).model  # type: ignore[arg-type]  # a kind lists runs lazily, for anyone
        except Exception:  # noqa: BLE001, S112  # a kind that cannot list for this user does not name the run
            continue
        if model is type(run):
            return kind
    return None


def run_described(run: ChunkedJobRun) -> tuple[str, str]:
    """What a run is and for which scope, as the board names them: ("等级重算", "四川省 · 手动重算"). A run of a
    kind nobody registered: its model's name, and no scope."""
    kind = kind_for(run)
    if kind is None:
        return str(run._meta.verbose_name), ""
    return str(kind.label), str(kind.row(run).scope)


# Digits grouped by three with a space, as the tier reasons write them (`tiering.reasons`): 5 000 — a no-break
# one, so that a figure is never cut in two at the end of a line.
GROUP_SEPARATOR = "\u00a0"


def grouped(value: int | float) -> str:
    """A count as people read it: 5 000, 1 234 567."""
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    return text.replace(",", GROUP_SEPARATOR)
