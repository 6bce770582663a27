"""The machinery every chunked job shares: planning by id range, the Celery base of a chunk task, and the loop that
runs a whole job in this process (for commands and the API).

A chunked job plans its work as id ranges, records a run (a `ChunkedJobRun`) that counts the chunks, runs each
chunk (fanned out over the workers, or here one after another), records a failed chunk on the run instead of
stopping the others, and closes the run (`crm.services.job_chunk_failed`, `job_run_close`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

from celery import Task
from django.core.cache import cache
from django.db import OperationalError
from django.db.models import Max, Min, QuerySet
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from .models import ChunkedJobRun

# A transient database error (a dropped connection, a failover, a deadlock victim) is retried this many times, after
# RETRY_BASE_SECONDS, then twice that, and so on; what still fails is recorded on the run.
MAX_RETRIES = 3
RETRY_BASE_SECONDS = 30

RunT = TypeVar("RunT", bound=ChunkedJobRun)
ChunkT = TypeVar("ChunkT")
ResultT = TypeVar("ResultT")


class IdRange(NamedTuple):
    """The rows with ids in [first_id, last_id]; a tuple, so `first, last = chunk` reads it too."""

    first_id: int
    last_id: int


def split_id_range(first_id: int, last_id: int, chunk_size: int) -> Iterator[IdRange]:
    """Cut [first_id, last_id] into consecutive ranges of `chunk_size` ids (the last one may be shorter).

    The ranges count ids, not rows: gaps left by deleted rows make some chunks lighter, but every chunk is found
    with one index range scan and no chunk needs the others to be planned.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    for start in range(first_id, last_id + 1, chunk_size):
        yield IdRange(start, min(start + chunk_size - 1, last_id))


def plan_id_ranges(rows: QuerySet, chunk_size: int, *, field: str = "pk") -> Iterator[IdRange]:
    """The id ranges of `chunk_size` ids that cover `rows` (by `field`); none when there are no rows."""
    bounds = rows.aggregate(first=Min(field), last=Max(field))
    if bounds["first"] is not None:
        yield from split_id_range(bounds["first"], bounds["last"], chunk_size)


def retry_countdown(retries: int) -> int:
    """Seconds to wait before retry number `retries + 1`: 30 s, 60 s, 120 s."""
    return RETRY_BASE_SECONDS * 2**retries


class ChunkTask(Task):
    """The base of a Celery task that runs one chunk of a chunked job.

    Use it as `@shared_task(base=ChunkTask, name="<app>.tasks.<task>", record_failure=<function>)`. The task's
    body only does the chunk's work. A transient database error (`OperationalError`) is retried with exponential
    backoff; once the retries are spent, and on any other error, the chunk is recorded as failed on its run through
    `record_failure` and the task returns `nothing_done`, so the chord's callback still runs and closes the run.

    `record_failure` is a plain function (not a method) that takes the task's own arguments by name plus `error`
    (the exception's repr): for a task `f(run_id, first_id, last_id)` it is called as
    `record_failure(run_id=..., first_id=..., last_id=..., error=...)`. The body needs no `bind=True`; with it,
    the task is simply left out of those arguments.
    """

    # The message is acknowledged only once the chunk is done, so a chunk whose worker is lost is delivered again
    # (running a chunk twice changes nothing the second time). The soft limit, a minute before the hard one, turns a
    # stuck chunk into an error that is recorded on the run instead of a killed process that leaves the run open.
    acks_late = True
    max_retries = MAX_RETRIES
    time_limit = 20 * 60
    soft_time_limit = 19 * 60
    record_failure: Callable[..., None]  # declared by each task: shared_task(record_failure=...)
    nothing_done: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        hook = cls.__dict__.get("record_failure")
        if inspect.isfunction(hook):
            # shared_task() passes its options as class attributes; as such a function would become a method and
            # receive the task as its first argument.
            cls.record_failure = staticmethod(hook)
        if "run" in cls.__dict__ and getattr(cls, "record_failure", None) is None:
            raise TypeError(f"{cls.__name__}: a ChunkTask must say how to record a failed chunk (record_failure=)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The worker (or eager apply) has pushed this execution's request, with its retry count, before calling
        # the task; Task.__call__ would push a blank one over it, so the body is run through self.run.
        try:
            return self.run(*args, **kwargs)
        except OperationalError as exc:
            if self.request.retries < self.max_retries:
                raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc
            self._record_failure(args, kwargs, exc)
        except Exception as exc:  # recorded on the run; the other chunks carry on
            self._record_failure(args, kwargs, exc)
        return self.nothing_done

    def _record_failure(self, args: tuple, kwargs: dict, exc: Exception) -> None:
        arguments = inspect.signature(self.run).bind(*args, **kwargs).arguments
        self.record_failure(**arguments, error=repr(exc))


def job_run_in_process(
    *,
    chunks: Iterable[ChunkT],
    start: Callable[..., RunT],
    apply: Callable[..., ResultT],
    record_failure: Callable[..., None],
    finish: Callable[..., RunT],
    progress: Callable[[RunT], None] | None = None,
) -> RunT:
    """Run a whole chunked job here and now, chunk after chunk, and return its closed run.

    The callables are called by keyword: `start(chunks_total=)` records the run, `apply(run_id=, chunk=)` does one
    chunk's work and returns its result, `record_failure(run_id=, chunk=, error=)` records a chunk that raised
    (its transaction rolled back, the other chunks keep their results), and `finish(run_id=, results=)` closes the
    run with the results of the chunks that succeeded. `progress(run)` hears of the run after every chunk.
    """
    planned = list(chunks)
    run = start(chunks_total=len(planned))
    results: list[ResultT] = []
    for chunk in planned:
        try:
            results.append(apply(run_id=run.pk, chunk=chunk))
        except Exception as exc:  # recorded on the run; the other chunks carry on
            record_failure(run_id=run.pk, chunk=chunk, error=repr(exc))
        if progress:
            run.refresh_from_db()
            progress(run)
    return finish(run_id=run.pk, results=results)


class BrokerUnavailable(Exception):
    """The broker (Redis) cannot be reached: a job cannot be handed to the workers now."""


# What publishing to a broker that is down raises (kombu reraises the transport's errors as its own).
BROKER_ERRORS = (BrokerError, ConnectionError, OSError)


def tasks_run_here() -> bool:
    """Whether Celery tasks run in this process (no broker: the embedded default) rather than on the workers."""
    from .celery import app

    return bool(app.conf.task_always_eager)


def broker_check() -> None:
    """Refuse at once (BrokerUnavailable) when the broker does not answer, before a job records a run it could not
    hand on: one attempt to connect, within two seconds."""
    from .celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except BROKER_ERRORS as exc:
        raise BrokerUnavailable(broker_down_message()) from exc


def broker_down_message() -> str:
    return _(
        "The job queue (Redis) cannot be reached, so the job was not started. Try again in a few minutes; if it "
        "persists, tell the system administrator."
    )


class CachedProgress:
    """Where a run of one kind is, kept in the cache for the page that follows it: a run that writes in one
    transaction (an import, a campaign created by a worker) shows nothing of its rows until it commits. Kept a day,
    under "<prefix>:<run id>:progress"."""

    TIMEOUT = 24 * 3600

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def key(self, run_id: int) -> str:
        return f"{self.prefix}:{run_id}:progress"

    def set(self, run_id: int, values: dict[str, Any]) -> None:
        cache.set(self.key(run_id), values, timeout=self.TIMEOUT)

    def get(self, run_id: int) -> dict[str, Any] | None:
        return cache.get(self.key(run_id))
