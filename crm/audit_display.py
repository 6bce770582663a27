"""The audit trail as people read it (the audit page, a customer's history): each entry's changes and details with
labels and values in the user's language — a person by name, a product or a region by its name, a choice by its
label, a time in the site's time zone, a filter as "label：value" lines — instead of the machine-readable form the
trail keeps (and the API gives unchanged).

`readable(entries, user)` decorates a page of entries with a few queries for the whole page, whatever its length:
the names of the people, products, regions… that its entries mention are read once per model.
"""

from __future__ import annotations

import datetime
import decimal
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from . import jobboard
from .models import AuditEntry, JobStatus, TeamRoleKind, User

# The keys of an entry's `detail` that the trail writes, and what they mean to a reader.
DETAIL_LABELS = {
    "path": gettext_lazy("Page"),
    "where": gettext_lazy("Page"),
    "method": gettext_lazy("Request method"),
    "format": gettext_lazy("Format"),
    "filter": gettext_lazy("Filter"),
    "rows": gettext_lazy("Rows"),
    "job": gettext_lazy("Job"),
    "status": gettext_lazy("Status"),
    "customers_seen": gettext_lazy("Customers seen"),
    "customers_changed": gettext_lazy("Customers whose tier changed"),
    "members_changed": gettext_lazy("VIP levels changed"),
    "snapshots_written": gettext_lazy("Snapshots written"),
    "period": pgettext_lazy("audit detail", "Month"),
    "plans": gettext_lazy("Customer plans"),
    "call_lists_closed": gettext_lazy("Call lists closed"),
    "call_list": gettext_lazy("Call list"),
    "attempt": gettext_lazy("Attempt"),
    "campaign": gettext_lazy("Campaign"),
    "reason": gettext_lazy("Reason"),
    "note": gettext_lazy("Note"),
    "entries": gettext_lazy("Entries"),
    "numbers": gettext_lazy("Mobile numbers shown"),
    "copied_from": gettext_lazy("Copied from"),
    "export": gettext_lazy("Export"),
    "city": gettext_lazy("City"),
    "region": gettext_lazy("Region"),
    "rule_set": gettext_lazy("Rule set"),
    "source": gettext_lazy("Source"),
    "errors": gettext_lazy("Errors"),
    "file": gettext_lazy("File"),
    "size": gettext_lazy("Size"),
    "mode": gettext_lazy("Mode"),
    "kind": pgettext_lazy("audit detail", "Kind"),
    "metric": gettext_lazy("Measure"),
    "visit": gettext_lazy("Visit"),
    "import": gettext_lazy("Import"),
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
    "unchanged": gettext_lazy("Unchanged"),
    "removed": gettext_lazy("Removed"),
    "replace": gettext_lazy("Replace"),
    "replaced_by": gettext_lazy("Replaced by"),
    "reassigned_from": gettext_lazy("Reassigned from"),
    # the filters of the lists whose exports are recorded (the customer and tier lists, the audit trail)
    "search": gettext_lazy("Search"),
    "tier": gettext_lazy("Tier"),
    "tier_group": gettext_lazy("Tiers"),
    "industry": gettext_lazy("Industry"),
    "segment": gettext_lazy("Segment"),
    "manager": gettext_lazy("Customer manager"),
    "team": gettext_lazy("Team"),
    "visits": gettext_lazy("Visits"),
    "product": gettext_lazy("Product"),
    "coverage": gettext_lazy("Coverage"),
    "profile": gettext_lazy("Profile"),
    "lost_in": gettext_lazy("Lost in month"),
    "ordering": gettext_lazy("Sort by"),
    "user": gettext_lazy("User"),
    "action": gettext_lazy("Action"),
    "customer": gettext_lazy("Customer"),
    "since": gettext_lazy("From"),
    "until": gettext_lazy("To"),
}

# Values of some detail keys, as words.
DETAIL_VALUES: Mapping[str, Mapping[Any, Any]] = {
    "job": {"tier_recompute": gettext_lazy("Tier recompute"), "compute_kpis": gettext_lazy("KPI computation")},
    "status": dict(JobStatus.choices),
    "format": {"csv": "CSV", "xlsx": "Excel", "pdf": "PDF", "json": "JSON"},
    "export": {
        "simulation_movers": gettext_lazy("Customers the simulation moves"),
        "tier_list": gettext_lazy("Tier list"),
    },
    "source": {
        "manual": gettext_lazy("Manual"),
        "nightly": gettext_lazy("Nightly"),
        "publish": gettext_lazy("Publishing"),
        "all": gettext_lazy("All"),
        # a tier change's source (tiering's TierChangeSource) where it is not a job's
        "import": gettext_lazy("Import"),
        "override": gettext_lazy("Override"),
    },
    "tier_group": {"a": "A+ / A", "ab": "A+ / A / B", "tiered": gettext_lazy("Any tier")},
}

# Detail keys that name a row of another model by its id or code; read by name, once for the page.
DETAIL_REFERENCES = {
    "campaign": "campaigns.campaign",
    "call_list": "campaigns.calllist",
    "rule_set": "tiering.ruleset",
    "copied_from": "tiering.ruleset",
    "city": "crm.region",
    "region": "crm.region",
    "industry": "accounts.industry",
    "product": "campaigns.product",
    "manager": "crm.user",
    "user": "crm.user",
    "reassigned_from": "crm.user",
    "import": "imports.importrun",
}

DASH = "—"


@dataclass
class Line:
    """One line of an entry's changes or details: its label and value(s), already words; `lines` for a value that
    is itself a mapping (a filter), shown as lines under the label."""

    label: str
    value: str = ""
    old: str = ""
    lines: list[Line] = field(default_factory=list)


@dataclass
class _Names:
    """The names to read for a page: per model, the keys (code, username or pk) its entries mention."""

    wanted: dict[tuple[type[models.Model], str], set[Any]] = field(default_factory=lambda: defaultdict(set))
    found: dict[tuple[type[models.Model], str], dict[Any, str]] = field(default_factory=dict)

    def want(self, model: type[models.Model], key: str, value: Any) -> None:
        self.wanted[(model, key)].add(value)

    def read(self) -> None:
        for (model, key), values in self.wanted.items():
            values = {value for value in values if value not in (None, "")}
            if not values:
                self.found[(model, key)] = {}
                continue
            if key == "pk":
                values = {int(value) for value in values if str(value).isdigit()}
            rows = model._default_manager.filter(**{f"{key}__in": values})
            self.found[(model, key)] = {_key_of(row, key): _name_of(row) for row in rows}

    def name(self, model: type[models.Model], key: str, value: Any) -> str | None:
        names = self.found.get((model, key), {})
        return names.get(int(value) if key == "pk" and str(value).isdigit() else value)


def _key_of(row: models.Model, key: str) -> Any:
    return row.pk if key == "pk" else getattr(row, key)


def _name_of(row: models.Model) -> str:
    if isinstance(row, User):
        return row.display_name
    name = getattr(row, "name", None) or getattr(row, "title", None)
    return str(name) if name else str(row)


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)  # type: ignore[return-value]  # a concrete field or a relation
    except FieldDoesNotExist:
        pass
    for candidate in model._meta.concrete_fields:  # "owner_id": the foreign key by its column's name
        if candidate.attname == name:
            return candidate
    return None


def _key_for(related: type[models.Model], value: Any) -> str:
    """How a trail's value names a row of `related` (`crm.audit.plain`): a code, a username, else its pk."""
    if isinstance(value, int) and not isinstance(value, bool):
        return "pk"
    if related is User or issubclass(related, User):
        return "username"
    fields = {f.name for f in related._meta.concrete_fields}
    return "code" if "code" in fields else "pk"


class Reader:
    """Turns the entries of one page into `Line`s: `collect` every entry, `read` the names once, then `lines`."""

    def __init__(self) -> None:
        self.names = _Names()

    # -- what a value refers to
    def _related(self, model: type[models.Model] | None, name: str) -> type[models.Model] | None:
        found = _field(model, name)
        if found is None or not (found.is_relation and found.related_model):
            return None
        return found.related_model

    def _detail_related(self, name: str) -> type[models.Model] | None:
        label = DETAIL_REFERENCES.get(name)
        return _model(label) if label else None

    def _want(self, related: type[models.Model] | None, value: Any) -> None:
        if related is None or value in (None, ""):
            return
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str | int) and not isinstance(item, bool):
                self.names.want(related, _key_for(related, item), item)

    def collect(self, entry: AuditEntry) -> None:
        model = _model(entry.object_type)
        for name, pair in (entry.changes or {}).items():
            related = self._related(model, name)
            for value in pair if isinstance(pair, list) else [pair]:
                self._want(related, value)
                if isinstance(value, dict):
                    self._collect_mapping(value)
        self._collect_mapping(entry.detail or {})

    def _collect_mapping(self, mapping: Mapping[str, Any]) -> None:
        for name, value in mapping.items():
            if isinstance(value, dict):
                self._collect_mapping(value)
            else:
                self._want(self._detail_related(name), value)

    def read(self) -> None:
        self.names.read()

    # -- words
    def _named(self, related: type[models.Model], value: Any) -> str:
        name = self.names.name(related, _key_for(related, value), value)
        return name if name is not None else str(value)

    def value(self, model: type[models.Model] | None, name: str, value: Any) -> str:
        """A changed field's value as the user reads it."""
        if value is None or value == "" or value == [] or value == {}:
            return DASH
        found = _field(model, name)
        related = self._related(model, name)
        if isinstance(value, list):
            return "、".join(self.value(model, name, item) for item in value)
        if isinstance(value, dict):
            return "；".join(f"{line.label}{_colon()}{line.value}" for line in self.mapping(value))
        if related is not None:
            return self._named(related, value)
        if found is not None and getattr(found, "choices", None):
            return str(dict(found.flatchoices).get(value, value))
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(found, models.DecimalField) and found.decimal_places == 2:
            return _money(value)
        if isinstance(found, models.DateTimeField) or (found is None and isinstance(value, str)):
            moment = _moment(value)
            if moment is not None:
                return moment
        return str(value)

    def label(self, model: type[models.Model] | None, name: str) -> str:
        """A changed field's label; a team's fields are its roles. The name itself when nothing knows it."""
        if name in TeamRoleKind.values:
            return str(TeamRoleKind(name).label)
        found = _field(model, name)
        if found is not None and hasattr(found, "verbose_name"):
            return _capital(str(found.verbose_name))
        if found is not None and found.related_model is not None:
            return _capital(str(found.related_model._meta.verbose_name_plural))  # the rows hanging off it
        if name in DETAIL_LABELS:
            return str(DETAIL_LABELS[name])
        return name

    def detail_value(self, name: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return DASH
        if isinstance(value, list):
            return "、".join(self.detail_value(name, item) for item in value)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        words = DETAIL_VALUES.get(name, {})
        if isinstance(value, str | int) and value in words:
            return str(words[value])
        related = self._detail_related(name)
        if related is not None:
            return self._named(related, value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return jobboard.grouped(value)
        if isinstance(value, str):
            moment = _moment(value)
            if moment is not None:
                return moment
        return str(value)

    def mapping(self, mapping: Mapping[str, Any]) -> list[Line]:
        """A detail (or a filter inside it) as lines; empty values of a filter are left out."""
        lines = []
        for name, value in mapping.items():
            label = str(DETAIL_LABELS.get(name, name))
            if isinstance(value, dict):
                inner = self.mapping({key: item for key, item in value.items() if item not in (None, "", [])})
                lines.append(Line(label=label, value="" if inner else DASH, lines=inner))
            else:
                lines.append(Line(label=label, value=self.detail_value(name, value)))
        return lines

    def changes(self, entry: AuditEntry) -> list[Line]:
        model = _model(entry.object_type)
        lines = []
        for name, pair in (entry.changes or {}).items():
            old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            lines.append(
                Line(
                    label=self.label(model, name), old=self.value(model, name, old), value=self.value(model, name, new)
                )
            )
        return lines


def _colon() -> str:
    return pgettext("label separator", ": ")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _money(value: Any) -> str:
    """An amount as finance staff read it (`crm_tags.yuan`): 9,600.00."""
    try:
        return f"{decimal.Decimal(str(value)):,.2f}"
    except decimal.InvalidOperation:
        return str(value)


def _moment(value: str) -> str | None:
    """A time the trail kept as ISO text (UTC), in the site's time zone; a date as it is; None if neither."""
    if len(value) < 10 or not value[:4].isdigit() or value[4:5] != "-":
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is not None and ("T" in value or " " in value):
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, datetime.UTC)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    try:
        day = parse_date(value)
    except ValueError:
        return None
    return day.isoformat() if day is not None else None


def _job_kinds(user: User) -> dict[str, jobboard.JobKind]:
    """The job board's kinds by the label of their runs' model ("tiering.tierjobrun")."""
    found = {}
    for kind in jobboard.kinds():
        try:
            found[kind.runs(user).model._meta.label_lower] = kind
        except Exception:  # noqa: BLE001, S112  # a kind that cannot list runs for this user names none here
            continue
    return found


def _job_objects(entries: Sequence[AuditEntry], user: User) -> dict[tuple[str, str], str]:
    """What the job runs among the entries are, as the jobs page names them: "等级重算 · 四川省 · 手动" — the
    run's model string would show its UTC start and its status's code. One query per kind of job."""
    kinds = _job_kinds(user)
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.object_type in kinds and entry.object_id.isdigit():
            wanted[entry.object_type].add(int(entry.object_id))
    labels: dict[tuple[str, str], str] = {}
    for object_type, ids in wanted.items():
        kind = kinds[object_type]
        for run in kind.runs(user).filter(pk__in=ids):
            row = kind.row(run)
            labels[(object_type, str(run.pk))] = " · ".join(str(part) for part in (kind.label, row.scope) if part)
    for entry in entries:  # a run the user may not list (or gone): its kind, and when the entry was written
        if entry.object_type in kinds and (entry.object_type, entry.object_id) not in labels:
            when = timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M")
            labels[(entry.object_type, entry.object_id)] = f"{kinds[entry.object_type].label} · {when}"
    return labels


def _person_label(reader: Reader, entry: AuditEntry) -> str:
    """A member of staff as an entry's object (a sign-in, an account changed): "李娜 (sc_staff)"."""
    if entry.object_type != "crm.user" or not entry.object_id.isdigit():
        return ""
    name = reader.names.name(User, "pk", entry.object_id)
    return f"{name} ({entry.object_repr})" if name and entry.object_repr and name != entry.object_repr else ""


def readable(entries: Iterable[AuditEntry], user: User) -> list[AuditEntry]:
    """The entries, each with `change_lines`, `detail_lines`, `object_label` and `user_label` (the person's name),
    in the active language. A fixed number of queries for the page."""
    entries = list(entries)
    reader = Reader()
    for entry in entries:
        reader.collect(entry)
        if entry.object_type == "crm.user" and entry.object_id.isdigit():
            reader.names.want(User, "pk", entry.object_id)
        if entry.user_id is not None:
            reader.names.want(User, "pk", entry.user_id)
        elif entry.username:
            reader.names.want(User, "username", entry.username)
    reader.read()
    jobs = _job_objects(entries, user)
    for entry in entries:
        entry.change_lines = reader.changes(entry)  # type: ignore[attr-defined]
        entry.detail_lines = reader.mapping(entry.detail or {})  # type: ignore[attr-defined]
        entry.object_label = jobs.get((entry.object_type, entry.object_id)) or (  # type: ignore[attr-defined]
            _person_label(reader, entry) or entry.object_repr or entry.object_type
        )
        person = (
            reader.names.name(User, "pk", entry.user_id)
            if entry.user_id is not None
            else reader.names.name(User, "username", entry.username)
        )
        entry.user_label = person or entry.username  # type: ignore[attr-defined]
    return entries
