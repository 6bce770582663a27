"""Automatic call lists (issue 20): the file a dialer platform broadcasts from, and the results file it gives back.

The list goes out as CSV (UTF-8 with a BOM, so that Excel and the platforms' importers read the Chinese names), one
row per number still to call — `entry_id`, `mobile`, `name`, `customer_code` — leaving out the numbers the
seven-touch rule rests now. The results come back as CSV (UTF-8, with or without BOM, or GB18030) with the columns
`entry_id` and `outcome` (a code — accepted, declined, no_answer, call_back, do_not_call — or its name in Chinese or
English), `call_back_at` for a call back (YYYY-MM-DD HH:MM, Beijing time), an optional `called_at` (呼叫时间: when the
dialer made the call, YYYY-MM-DD HH:MM[:SS], Beijing time) and an optional `note`; other columns (the number and
name sent out) are ignored. A call is stamped with the dialer's time when the file gives it, with the import's
otherwise. A results file is checked whole first: any bad line — an entry not on the list, an unknown outcome, a call
back without its time or in the past, a call time that is not a time, is in the future or before the list was built,
a number done or resting under the seven-touch rule, an entry twice — refuses the whole file, every bad line named
with its line number and reason, and nothing is written. A good file is written in one transaction: one call per
line, as the agents' own.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import Customer
from crm import audit
from crm.bulk import analyze_after_load
from crm.models import AuditAction, Region, User
from crm.periods import CLOCK_SKEW
from crm.permissions import require

from ..models import CallAttempt, CallEntry, CallList, CallMode, CallOutcome
from ..notices import call_back_promised
from ..selectors.calls import call_entries_for, entries_seen, entry_done, numbers_resting, touches_of
from ..touches import TouchRule, touch_refusal
from .call_pool import call_list_audited
from .calls import ENTRY_BATCH, call_back_day, do_not_call_add, outcome_refusal, touches_turn

DIALER_COLUMNS = ("entry_id", "mobile", "name", "customer_code")
# The results file's columns, by their names in English or Chinese.
RESULT_COLUMNS = {
    "entry_id": ("entry_id", "条目编号", "编号"),
    "outcome": ("outcome", "结果", "外呼结果"),
    "call_back_at": ("call_back_at", "回拨时间"),
    "called_at": ("called_at", "呼叫时间", "拨打时间"),
    "note": ("note", "备注"),
}
RESULTS_MAX_BYTES = 20 * 1024 * 1024
# Bad lines named one by one, at most; the rest are counted.
ERRORS_NAMED = 1000


def _require_auto(user: User, call_list: CallList) -> None:
    require(user, "campaigns.run_dialer", call_list)
    if call_list.mode != CallMode.AUTO:
        raise ValidationError(_("This list is called by agents: only an automatic list goes to a dialer."))
    if not call_list.is_open:
        raise ValidationError(_("The call list is closed: no more calls are recorded on it."))


@dataclass
class DialerFile:
    content: bytes
    rows: int
    resting: int


def dialer_file_export(*, user: User, call_list: CallList) -> DialerFile:
    """The file of the list's numbers still to call (of customers the user sees) for the dialer, in entry order,
    without those the seven-touch rule rests now (counted in `resting`); on the audit trail as an export (whole
    numbers leave the system)."""
    _require_auto(user, call_list)
    now = timezone.now()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(DIALER_COLUMNS)
    # plain rows, not instances: a list's hundred thousand numbers are read in one query, their calls in a few
    pending = list(
        call_entries_for(user, call_list)
        .exclude(entry_done())
        .order_by("pk")
        .values_list("pk", "mobile", "name", "customer__code", "last_outcome")
    )
    rests = numbers_resting([(pk, mobile, outcome) for pk, mobile, _name, _code, outcome in pending], now)
    for pk, mobile, name, code, _outcome in pending:
        if pk not in rests:
            writer.writerow([pk, mobile, name, code])
    rows, resting = len(pending) - len(rests), len(rests)
    call_list_audited(
        user=user,
        call_list=call_list,
        action=AuditAction.EXPORT,
        object_repr=_("Dialer file of call list %(id)d") % {"id": call_list.pk},
        detail={"rows": rows, "resting": resting, "format": "csv"},
    )
    return DialerFile(content=("\ufeff" + buffer.getvalue()).encode("utf-8"), rows=rows, resting=resting)


def _outcomes() -> dict[str, str]:
    """Each outcome by its code and by its name in Chinese and in English, as a dialer's file may give it."""
    names: dict[str, str] = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            names.update({str(outcome.label).casefold(): outcome.value for outcome in CallOutcome})
    names.update({outcome.value: outcome.value for outcome in CallOutcome})
    return names


def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": _("The file is neither UTF-8 nor GB18030 text: save it as CSV (UTF-8).")})


def _refused(problems: list[tuple[int, str]]) -> ValidationError:
    named = [_("Line %(line)d: %(reason)s") % {"line": line, "reason": reason} for line, reason in problems]
    if len(named) > ERRORS_NAMED:
        rest = len(named) - ERRORS_NAMED
        named = [*named[:ERRORS_NAMED], _("… and %(count)d more bad lines.") % {"count": rest}]
    return ValidationError({"file": named})


@dataclass
class ResultLine:
    line: int
    entry_id: int
    outcome: str
    call_back_at: datetime.datetime | None
    note: str
    entry: CallEntry | None = field(default=None)
    called_at: datetime.datetime | None = None  # the dialer's, when its file gives it


def dialer_results_size_check(size: int) -> None:
    """Refuse a results file larger than RESULTS_MAX_BYTES before it is read."""
    if size > RESULTS_MAX_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(mb)d MB.") % {"mb": RESULTS_MAX_BYTES // (1024 * 1024)}}
        )


def _read_lines(data: bytes, now: datetime.datetime) -> tuple[list[ResultLine], list[tuple[int, str]]]:
    """The file's lines as results, and the problems found in them on their own (without the list)."""
    dialer_results_size_check(len(data))
    if not data.strip():
        raise ValidationError({"file": _("The file is empty.")})
    text = _text(data)
    if "\x00" in text:
        raise ValidationError({"file": _("The file holds NUL characters: it is not a CSV text file.")})
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().casefold() for name in next(reader, [])]
        columns = {
            key: next((header.index(name) for name in names if name in header), None)
            for key, names in RESULT_COLUMNS.items()
        }
        missing = [RESULT_COLUMNS[key][0] for key in ("entry_id", "outcome") if columns[key] is None]
        if missing:
            raise ValidationError({"file": _("Line 1 names no column %(columns)s.") % {"columns": ", ".join(missing)}})
        outcomes = _outcomes()
        lines: list[ResultLine] = []
        problems: list[tuple[int, str]] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num

            def cell(key: str, row: list[str] = row) -> str:
                index = columns[key]
                return row[index].strip() if index is not None and index < len(row) else ""

            result = _read_line(line, cell, outcomes, problems, now)
            if result is not None:
                lines.append(result)
    except csv.Error as error:
        named = _("Line %(line)d: %(reason)s") % {"line": reader.line_num, "reason": error}
        raise ValidationError({"file": named}) from None
    if not lines and not problems:
        raise ValidationError({"file": _("The file has no result lines.")})
    return lines, problems


def _read_line(
    line: int, cell, outcomes: dict[str, str], problems: list[tuple[int, str]], now: datetime.datetime
) -> ResultLine | None:
    entry_id, outcome_text, when, note = cell("entry_id"), cell("outcome"), cell("call_back_at"), cell("note")
    if not entry_id.isdigit() or len(entry_id) > 18:
        problems.append((line, _("the entry id “%(value)s” is not a number.") % {"value": entry_id[:40]}))
        return None
    outcome = outcomes.get(outcome_text.casefold())
    if outcome is None:
        problems.append((line, _("unknown outcome “%(value)s”.") % {"value": outcome_text[:40]}))
        return None
    call_back_at = None
    if when:
        call_back_at = _moment(when)
        if call_back_at is None:
            problems.append((line, _("the call-back time “%(value)s” is not YYYY-MM-DD HH:MM.") % {"value": when[:40]}))
            return None
    called_at = None
    if called := cell("called_at"):
        called_at = _moment(called)
        if called_at is None:
            problems.append((line, _("the call time “%(value)s” is not YYYY-MM-DD HH:MM.") % {"value": called[:40]}))
            return None
        if called_at > now + CLOCK_SKEW:
            problems.append((line, _("the call time %(value)s is in the future.") % {"value": _shown(called_at)}))
            return None
    if len(note) > 500:
        problems.append((line, _("the note is longer than 500 characters.")))
        return None
    return ResultLine(
        line=line, entry_id=int(entry_id), outcome=outcome, call_back_at=call_back_at, note=note, called_at=called_at
    )


def _shown(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _moment(text: str) -> datetime.datetime | None:
    try:
        moment = parse_datetime(text.replace("/", "-"))
    except ValueError:
        return None
    if moment is None:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@dataclass
class ResultsImported:
    calls: int
    outcomes: dict[str, int]


@transaction.atomic
def dialer_results_import(*, user: User, call_list: CallList, data: bytes) -> ResultsImported:
    """Record a dialer's results file on the automatic list (its agent or builder), all lines or none (see the
    module's docstring); every call is the list agent's, on the trail, and each call-back a to-do of theirs."""
    _require_auto(user, call_list)
    now = timezone.now()
    lines, problems = _read_lines(data, now)
    touches_turn()
    locked = CallList.objects.select_for_update().get(pk=call_list.pk)
    entries: dict[int, CallEntry] = {}
    ids = sorted({result.entry_id for result in lines})
    for start in range(0, len(ids), ENTRY_BATCH):
        found = (
            CallEntry.objects.select_for_update(of=("self",))
            .filter(call_list=locked, pk__in=ids[start : start + ENTRY_BATCH])
            .filter(entries_seen(user))
        )
        entries.update({entry.pk: entry for entry in found})
    tried = _campaign_calls(locked.campaign_id, [entry.mobile for entry in entries.values()])
    rule = TouchRule.current()
    touches = touches_of([entry.mobile for entry in entries.values()], now, rule)
    first_line: dict[int, int] = {}
    lagging: list[CallEntry] = []
    for result in lines:
        entry = entries.get(result.entry_id)
        if entry is None:
            problems.append((result.line, _("no entry %(id)d on this list.") % {"id": result.entry_id}))
            continue
        if result.entry_id in first_line:
            again = _("entry %(id)d is on line %(first)d already.") % {"id": entry.pk, "first": first_line[entry.pk]}
            problems.append((result.line, again))
            continue
        first_line[entry.pk] = result.line
        if result.called_at is not None and result.called_at < locked.created_at:
            early = _("the call time %(value)s is before the list was built (%(built)s).") % {
                "value": _shown(result.called_at),
                "built": _shown(locked.created_at),
            }
            problems.append((result.line, early))
            continue
        if tried.get(entry.mobile, 0) > entry.attempts:  # called on an earlier list of the campaign meanwhile
            entry.attempts = tried[entry.mobile]
            lagging.append(entry)
        refusal = outcome_refusal(entry=entry, outcome=result.outcome, call_back_at=result.call_back_at, now=now)
        if refusal is not None:
            problems.append((result.line, _reason(refusal)))
            continue
        count, last = touches.get(entry.mobile, (0, None))
        promised = entry.last_outcome == CallOutcome.CALL_BACK
        too_many = touch_refusal(rule, touches=count, last_touch=last, now=now, call_back=promised)
        if too_many is not None:
            problems.append((result.line, too_many.message(rule)))
            continue
        result.entry = entry
    if problems:
        raise _refused(sorted(problems))
    for entry in lagging:  # rare: their attempts catch up with the campaign's calls first
        CallEntry.objects.filter(pk=entry.pk).update(attempts=entry.attempts)
    return _results_write(user=user, call_list=locked, lines=lines)


def _reason(refusal: dict[str, str] | str) -> str:
    return refusal if isinstance(refusal, str) else " ".join(refusal.values())


def _campaign_calls(campaign_id: int, mobiles: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for start in range(0, len(mobiles), ENTRY_BATCH):
        rows = (
            CallAttempt.objects.filter(campaign_id=campaign_id, mobile__in=mobiles[start : start + ENTRY_BATCH])
            .values("mobile")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts.update({row["mobile"]: row["n"] for row in rows})
    return counts


def _results_write(*, user: User, call_list: CallList, lines: list[ResultLine]) -> ResultsImported:
    calls = [
        CallAttempt(
            campaign_id=call_list.campaign_id,
            entry=result.entry,
            customer_id=result.entry.customer_id,
            mobile=result.entry.mobile,
            agent_id=call_list.agent_id,
            outcome=result.outcome,
            note=result.note,
            call_back_on=call_back_day(result.call_back_at),
            call_back_at=result.call_back_at,
            channel_id=call_list.channel_id,
        )
        for result in lines
        if result.entry is not None
    ]
    CallAttempt.objects.bulk_create(calls, batch_size=ENTRY_BATCH)
    # the dialer's own times, where its file gives them (`called_at` is stamped on creation)
    timed = []
    for call, result in zip(calls, (result for result in lines if result.entry is not None), strict=True):
        if result.called_at is not None:
            call.called_at = result.called_at
            timed.append(call)
    if timed:
        CallAttempt.objects.bulk_update(timed, ["called_at"], batch_size=ENTRY_BATCH)
    analyze_after_load(CallAttempt._meta.db_table, len(calls))
    q = connection.ops.quote_name
    table, attempts = q(CallEntry._meta.db_table), q(CallAttempt._meta.db_table)
    later = f"made.called_at >= COALESCE({table}.last_called_at, made.called_at)"
    for start in range(0, len(calls), ENTRY_BATCH):
        chunk = [call.pk for call in calls[start : start + ENTRY_BATCH]]
        marks = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                # a dialer's time earlier than a call made since (by hand) counts the call, but leaves the entry's
                # last call the later one, and with it the call-back that call decided (set or none)
                f"UPDATE {table} SET attempts = attempts + 1, "
                f"last_outcome = CASE WHEN {later} THEN made.outcome ELSE {table}.last_outcome END, "
                f"last_called_at = CASE WHEN {later} THEN made.called_at ELSE {table}.last_called_at END, "
                f"call_back_at = CASE WHEN {later} THEN made.call_back_at ELSE {table}.call_back_at END, "
                f"call_back_on = CASE WHEN {later} THEN made.call_back_on ELSE {table}.call_back_on END "
                f"FROM {attempts} AS made WHERE made.entry_id = {table}.id AND made.id IN ({marks})",
                chunk,
            )
        _calls_audited(user=user, call_list=call_list, ids=chunk)
    promised = []
    for call in calls:
        entry = call.entry
        if entry is None or call.call_back_at is None:
            continue
        # as the UPDATE above decided it: only the entry's latest call promises its call-back
        if entry.last_called_at is None or call.called_at >= entry.last_called_at:
            entry.call_back_at = call.call_back_at
            promised.append(entry)
    call_back_promised(entries=promised, call_list=call_list)
    for call in calls:
        if call.outcome == CallOutcome.DO_NOT_CALL:
            do_not_call_add(
                user=user, mobile=call.mobile, reason=_("Asked during an outbound call not to be called again")
            )
    outcomes = Counter(call.outcome for call in calls)
    call_list_audited(
        user=user,
        call_list=call_list,
        action=AuditAction.CREATE,
        object_repr=_("Dialer results of call list %(id)d") % {"id": call_list.pk},
        detail={"calls": len(calls), "outcomes": dict(outcomes)},
    )
    return ResultsImported(
        calls=len(calls), outcomes={outcome: outcomes.get(outcome, 0) for outcome in CallOutcome.values}
    )


def _calls_audited(*, user: User, call_list: CallList, ids: list[int]) -> None:
    """One entry per call recorded, in each customer's history: one INSERT … SELECT per chunk."""
    q = connection.ops.quote_name
    attempt, customer, region, entry = (q(model._meta.db_table) for model in (CallAttempt, Customer, Region, CallEntry))
    changes = audit.changes_sql({"outcome": ("NULL", f"{attempt}.outcome")})
    marks = ", ".join(["%s"] * len(ids))
    audit.record_select(
        user=user,
        action=AuditAction.CREATE,
        object_type=CallAttempt._meta.label_lower,
        select_sql=(
            f"SELECT CAST({attempt}.id AS text) AS object_id, {entry}.name AS object_repr, "
            f"{customer}.id AS customer_id, {customer}.code AS customer_code, {region}.path AS region_path, "
            f"{changes} AS changes "
            f"FROM {attempt} JOIN {customer} ON {customer}.id = {attempt}.customer_id "
            f"JOIN {region} ON {region}.code = {customer}.region_id "
            f"JOIN {entry} ON {entry}.id = {attempt}.entry_id WHERE {attempt}.id IN ({marks})"
        ),
        params=ids,
        detail={"call_list": call_list.pk, "source": "dialer"},
    )
