"""The chunked-job machinery of crm/jobs.py: id-range planning, the chunk task's retry-then-record, the one-process
loop, and the explicit task names the queue and the beat schedule rely on."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import shared_task, signature
from django.conf import settings
from django.db import OperationalError

from accounts.models import Customer
from crm.celery import app
from crm.jobs import ChunkTask, IdRange, job_run_in_process, plan_id_ranges, retry_countdown, split_id_range
from crm.models import Department
from kpis import tasks as kpi_tasks
from kpis.models import KpiJobRun, KpiSnapshot
from tiering import tasks as tier_tasks
from tiering.models import TierJobRun

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _eager_retries(monkeypatch):
    # Eager Celery carries out a retry in place only when it does not propagate errors; with propagation on (the
    # default here) the Retry itself would reach the caller, as it would for any task.
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


# -- planning ------------------------------------------------------------------------------------------------------


def test_a_range_is_cut_into_chunks_of_the_size_and_a_shorter_last_one():
    assert list(split_id_range(1, 10, 4)) == [(1, 4), (5, 8), (9, 10)]
    assert list(split_id_range(7, 7, 100)) == [IdRange(7, 7)]
    assert list(split_id_range(5, 8, 1)) == [(5, 5), (6, 6), (7, 7), (8, 8)]


def test_the_chunks_of_a_range_cover_it_once_without_gaps():
    for first, last, size in [(1, 1000, 7), (13, 14, 3), (100, 199, 100), (2, 2001, 2000)]:
        chunks = list(split_id_range(first, last, size))
        assert chunks[0].first_id == first and chunks[-1].last_id == last
        assert all(b.first_id == a.last_id + 1 for a, b in zip(chunks, chunks[1:], strict=False))
        assert all(chunk.last_id - chunk.first_id + 1 <= size for chunk in chunks)


def test_a_chunk_size_below_one_is_refused():
    with pytest.raises(ValueError, match="chunk_size"):
        list(split_id_range(1, 10, 0))


@pytest.mark.django_db
def test_planning_a_queryset_spans_its_lowest_to_its_highest_id(territory):
    departments = [Department.objects.create(name=f"部门{n}", region=territory["chengdu"]) for n in range(5)]
    ids = sorted(department.pk for department in departments)
    assert list(plan_id_ranges(Department.objects.all(), 2)) == list(split_id_range(ids[0], ids[-1], 2))
    some = Department.objects.filter(pk__in=ids[1:3])
    assert list(plan_id_ranges(some, 10)) == [(ids[1], ids[2])]
    assert list(plan_id_ranges(Department.objects.none(), 10)) == []


# -- the chunk task ------------------------------------------------------------------------------------------------

script: list[Exception | None] = []  # what each call of `counting_chunk` does in turn: raise it, or succeed
calls: list[tuple[int, int, int]] = []
recorded: list[dict] = []


def _record(**arguments) -> None:
    recorded.append(arguments)


@shared_task(base=ChunkTask, name="tests.crm.counting_chunk", record_failure=_record, nothing_done=0)
def counting_chunk(run_id: int, first_id: int, last_id: int) -> int:
    calls.append((run_id, first_id, last_id))
    outcome = script.pop(0) if script else None
    if outcome is not None:
        raise outcome
    return last_id - first_id + 1


@shared_task(base=ChunkTask, bind=True, name="tests.crm.bound_chunk", record_failure=_record)
def bound_chunk(self, run_id: int, chunk: dict) -> None:
    calls.append((run_id, chunk["first_id"], self.request.retries))
    raise KeyError("region_codes")


@pytest.fixture
def chunk_task(monkeypatch):
    """The test task with an empty script, and the countdowns of the retries it asks for."""
    for log in (script, calls, recorded):
        log.clear()
    task = counting_chunk._get_current_object()
    countdowns: list[int] = []
    retry = task.retry

    def spy(*args, **kwargs):
        countdowns.append(kwargs["countdown"])
        return retry(*args, **kwargs)

    monkeypatch.setattr(task, "retry", spy)
    return countdowns


def test_the_backoff_doubles_from_thirty_seconds():
    assert [retry_countdown(n) for n in range(3)] == [30, 60, 120]


def test_a_chunk_that_succeeds_returns_its_result_and_records_nothing(chunk_task):
    assert counting_chunk.apply(args=(1, 10, 19)).get() == 10
    assert calls == [(1, 10, 19)] and recorded == [] and chunk_task == []


def test_a_transient_database_error_is_retried_with_backoff(chunk_task):
    script.extend([OperationalError("server closed the connection"), OperationalError("deadlock detected")])
    assert counting_chunk.apply(args=(1, 10, 19)).get() == 10
    assert len(calls) == 3 and recorded == []
    assert chunk_task == [30, 60]


def test_a_transient_error_that_outlasts_the_retries_is_recorded_and_nothing_is_done(chunk_task):
    script.extend([OperationalError("gone")] * 4)
    assert counting_chunk.apply(args=(3, 10, 19)).get() == 0
    assert len(calls) == 4 and chunk_task == [30, 60, 120]
    assert recorded == [{"run_id": 3, "first_id": 10, "last_id": 19, "error": "OperationalError('gone')"}]


def test_any_other_error_is_recorded_at_once_without_retry(chunk_task):
    script.append(ValueError("bad row"))
    assert counting_chunk.apply(args=(3,), kwargs={"first_id": 1, "last_id": 5}).get() == 0
    assert len(calls) == 1 and chunk_task == []
    assert recorded == [{"run_id": 3, "first_id": 1, "last_id": 5, "error": "ValueError('bad row')"}]


def test_a_bound_chunk_task_records_its_own_arguments_without_the_task(chunk_task):
    assert bound_chunk.apply(args=(5, {"first_id": 1, "last_id": 2})).get() is None
    assert calls == [(5, 1, 0)]
    assert recorded == [{"run_id": 5, "chunk": {"first_id": 1, "last_id": 2}, "error": "KeyError('region_codes')"}]


def test_a_chunk_task_must_say_how_to_record_a_failure():
    with pytest.raises(TypeError, match="record_failure"):
        type("forgetful", (ChunkTask,), {"run": staticmethod(lambda run_id: None)})


def test_the_chunk_tasks_keep_their_delivery_and_time_limits():
    for task in (tier_tasks.tier_recompute_chunk, kpi_tasks.kpi_chunk):
        assert isinstance(task._get_current_object(), ChunkTask)
        assert (task.acks_late, task.max_retries, task.time_limit, task.soft_time_limit) == (True, 3, 1200, 1140)
    assert tier_tasks.tier_recompute_chunk.nothing_done == 0 and kpi_tasks.kpi_chunk.nothing_done is None


# -- the real jobs on the machinery (eager Celery) -----------------------------------------------------------------


def _failing_first_chunk(monkeypatch, module, name: str, exc: Exception, times: int) -> list[int]:
    """Make the first chunk's work raise `exc` its first `times` calls; returns the first ids of every call."""
    real = getattr(module, name)
    seen: list[int] = []

    def flaky(*, run_id, **chunk):
        first_id = chunk["chunk"].first_id if "chunk" in chunk else chunk["first_id"]
        seen.append(first_id)
        if first_id == min(seen) and seen.count(first_id) <= times:
            raise exc
        return real(run_id=run_id, **chunk)

    monkeypatch.setattr(module, name, flaky)
    return seen


@pytest.mark.django_db
def test_a_tier_chunk_hit_by_a_passing_database_error_is_retried_and_the_run_succeeds(customers, monkeypatch):
    seen = _failing_first_chunk(monkeypatch, tier_tasks, "tier_chunk_apply", OperationalError("failover"), 2)
    run = TierJobRun.objects.get(pk=tier_tasks.tier_recompute_nightly.delay(chunk_size=1).get())
    assert (run.status, run.errors, run.customers_seen) == ("succeeded", [], 4)
    assert run.chunks_done == run.chunks_total and len(seen) == run.chunks_total + 2


@pytest.mark.django_db
def test_a_tier_chunk_that_keeps_failing_is_recorded_and_the_others_carry_on(customers, monkeypatch):
    seen = _failing_first_chunk(monkeypatch, tier_tasks, "tier_chunk_apply", OperationalError("gone"), 99)
    run = TierJobRun.objects.get(pk=tier_tasks.tier_recompute_nightly.delay(chunk_size=1).get())
    first = min(seen)
    assert run.status == "failed" and run.chunks_done == run.chunks_total
    assert run.errors == [{"first_id": first, "last_id": first, "error": "OperationalError('gone')"}]
    assert seen.count(first) == 4  # the first try and three retries
    assert Customer.objects.get(pk=first).tier is None
    assert not Customer.objects.exclude(pk=first).filter(status="active", tier=None).exists()


@pytest.mark.django_db
def test_a_kpi_chunk_that_keeps_failing_fails_the_run_which_writes_nothing(customers, monkeypatch):
    seen = _failing_first_chunk(monkeypatch, kpi_tasks, "kpi_chunk_count", OperationalError("gone"), 99)
    run = KpiJobRun.objects.get(pk=kpi_tasks.kpi_snapshots_nightly.delay(chunk_size=1).get())
    first = min(seen)
    assert run.status == "failed" and run.chunks_done == run.chunks_total
    assert run.errors == [{"first_id": first, "last_id": first, "error": "OperationalError('gone')"}]
    assert seen.count(first) == 4 and not KpiSnapshot.objects.exists()


# -- the one-process loop ------------------------------------------------------------------------------------------


class _Run:
    pk = 7

    def __init__(self) -> None:
        self.refreshed = 0

    def refresh_from_db(self) -> None:
        self.refreshed += 1


def test_the_loop_runs_every_chunk_records_a_failure_and_finishes_with_the_others_results():
    events: list[tuple] = []
    run = _Run()

    def start(*, chunks_total: int) -> _Run:
        events.append(("start", chunks_total))
        return run

    def apply(*, run_id: int, chunk: IdRange) -> int:
        if chunk.first_id == 3:
            raise RuntimeError("disk full")
        return chunk.last_id - chunk.first_id + 1

    def record_failure(*, run_id: int, chunk: IdRange, error: str) -> None:
        events.append(("failed", run_id, chunk, error))

    def finish(*, run_id: int, results: list[int]) -> _Run:
        events.append(("finish", run_id, results))
        return run

    def progress(current: _Run) -> None:
        events.append(("progress", current.refreshed))

    closed = job_run_in_process(
        chunks=split_id_range(1, 5, 2),
        start=start,
        apply=apply,
        record_failure=record_failure,
        finish=finish,
        progress=progress,
    )
    assert closed is run
    assert events == [
        ("start", 3),
        ("progress", 1),
        ("failed", 7, (3, 4), "RuntimeError('disk full')"),
        ("progress", 2),
        ("progress", 3),
        ("finish", 7, [2, 1]),
    ]


# -- task names ----------------------------------------------------------------------------------------------------


def _task_decorators(path: Path) -> Iterator[tuple[str, ast.expr]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if getattr(target, "id", getattr(target, "attr", None)) in {"shared_task", "task"}:
                    yield node.name, decorator


def test_every_task_of_the_project_is_named_explicitly():
    modules = [*ROOT.glob("*/tasks.py"), *ROOT.glob("*/tasks/*.py")]
    assert modules
    for path in modules:
        for function, decorator in _task_decorators(path):
            names = [kw.value for kw in getattr(decorator, "keywords", []) if kw.arg == "name"]
            assert names and isinstance(names[0], ast.Constant), f"{path.relative_to(ROOT)}: {function} has no name="


def test_the_task_names_of_queued_messages_and_the_beat_schedule_stay_registered():
    app.loader.import_default_modules()
    names = {
        "tiering.tasks.tier_recompute_chunk",
        "tiering.tasks.tier_recompute_finish",
        "tiering.tasks.tier_recompute_nightly",
        "kpis.tasks.kpi_chunk",
        "kpis.tasks.kpi_finish",
        "kpis.tasks.kpi_snapshots_nightly",
    }
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        names.add(entry["task"])
        if "then" in entry.get("kwargs", {}):
            names.add(signature(entry["kwargs"]["then"]).task)
    assert names <= set(app.tasks)
