"""Writes of opportunities (商机, issue 17): recorded, changed and moved along the pipeline, every move kept."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer
from crm import audit, versions
from crm.models import AuditAction, User
from crm.permissions import require
from teams.models import TeamRole, TeamRoleKind, Visit

from ..models import (
    CallAttempt,
    CustomerPlan,
    Opportunity,
    OpportunitySource,
    OpportunityStage,
    OpportunityStageChange,
    Product,
)
from ..models.channels import PARTNER
from ..rules import OPEN_OPPORTUNITY_STAGES, OPPORTUNITY_PROBABILITY

# What a caller may set on an opportunity (`customer` only when creating it).
OPPORTUNITY_FIELDS = (
    "title",
    "products",
    "expected_monthly_revenue",
    "expected_one_off_revenue",
    "stage",
    "probability",
    "expected_close_on",
    "competitor",
    "source",
    "channel",
    "source_visit",
    "source_plan",
    "source_call",
    "owner",
    "lost_reason",
)
# What the audit trail keeps of one.
AUDITED_FIELDS = tuple(name for name in OPPORTUNITY_FIELDS if name != "products")
# The link each source keeps, and the source a link implies.
SOURCE_LINKS = {
    "source_visit": OpportunitySource.VISIT,
    "source_plan": OpportunitySource.PLAN,
    "source_call": OpportunitySource.CALL,
}


def _facts(opportunity: Opportunity) -> dict[str, Any]:
    facts = audit.snapshot(opportunity, AUDITED_FIELDS)
    facts["products"] = sorted(opportunity.products.values_list("code", flat=True)) if opportunity.pk else []
    return facts


def _on_team(customer_id: int, user: User) -> bool:
    return TeamRole.objects.active().filter(customer_id=customer_id, user=user).exists()


def _default_owner(user: User, customer: Customer) -> User | None:
    """The recorder when they are on the customer's team, else the customer's customer manager."""
    if _on_team(customer.pk, user):
        return user
    role = (
        TeamRole.objects.active()
        .filter(customer=customer, role=TeamRoleKind.CUSTOMER_MANAGER)
        .select_related("user")
        .first()
    )
    return role.user if role is not None else None


def _check(opportunity: Opportunity, *, close_date_checked: bool) -> None:
    """The rules an opportunity keeps beyond its fields' own: each refusal names its field."""
    errors: dict[str, str] = {}
    owner = opportunity.owner if opportunity.owner_id else None
    if owner is None:
        errors["owner"] = _("Name the owner: someone on the customer's team.")
    elif not owner.is_active or not _on_team(opportunity.customer_id, owner):
        errors["owner"] = _("%(name)s holds no role on the team of %(customer)s: the owner must be on the team.") % {
            "name": owner.display_name,
            "customer": opportunity.customer.name,
        }
    today = timezone.localdate()
    if (
        close_date_checked
        and opportunity.stage in OPEN_OPPORTUNITY_STAGES
        and opportunity.expected_close_on is not None
        and opportunity.expected_close_on < today
    ):
        errors["expected_close_on"] = _(
            "The expected close date %(day)s is in the past: an open opportunity closes today or later."
        ) % {"day": opportunity.expected_close_on.isoformat()}
    if opportunity.stage == OpportunityStage.LOST and not (opportunity.lost_reason or "").strip():
        errors["lost_reason"] = _("Say why the opportunity was lost.")
    for link, source in SOURCE_LINKS.items():
        linked = getattr(opportunity, link)
        if linked is not None and linked.customer_id != opportunity.customer_id:
            errors[link] = _("The %(source)s it was found in is of another customer.") % {
                "source": OpportunitySource(source).label
            }
    if errors:
        raise ValidationError(errors)


def _set_fields(opportunity: Opportunity, data: dict[str, Any]) -> list[Product] | None:
    """Set the given fields on the opportunity; its products (to set once saved), or None when not given."""
    unknown = set(data) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set on an opportunity.") for name in sorted(unknown)})
    products = data.get("products")
    for name, value in data.items():
        if name == "products":
            continue
        if name in ("lost_reason", "title") and value is not None:
            value = value.strip()
        setattr(opportunity, name, "" if value is None and name in ("competitor", "lost_reason") else value)
    # a link given names its source, unless the caller named it
    for link, source in SOURCE_LINKS.items():
        if data.get(link) is not None and "source" not in data:
            opportunity.source = source
    # found on a call: the channel the call came through, unless the caller named one
    if data.get("source_call") is not None and data.get("channel") is None:
        opportunity.channel_id = data["source_call"].channel_id
    return list(products) if products is not None else None


def _stage_moved(*, user: User, opportunity: Opportunity, before: str) -> None:
    OpportunityStageChange.objects.create(
        opportunity=opportunity, from_stage=before, to_stage=opportunity.stage, changed_by=user
    )


@transaction.atomic
def opportunity_create(*, user: User, customer: Customer, data: dict[str, Any]) -> Opportunity:
    """Record an opportunity (商机) at a customer the user sees. Its owner is someone on the customer's team (the
    recorder when on the team, else the customer manager, unless named); its probability is the stage's default
    unless given; an open one closes today or later; a lost one says why. Its link (a visit, a campaign plan, a
    call) names its source and must be of the same customer."""
    require(user, "campaigns.record_opportunity", customer)
    data = dict(data)
    data.pop("customer", None)
    opportunity = Opportunity(customer=customer, created_by=user)
    if user.is_partner_staff and data.get("channel") is None:
        opportunity.channel_id = PARTNER  # a partner's staff find what their company sells
    products = _set_fields(opportunity, data)
    if data.get("owner") is None:
        opportunity.owner = _default_owner(user, customer)  # type: ignore[assignment]  # None is refused in _check
    if data.get("probability") is None:
        opportunity.probability = OPPORTUNITY_PROBABILITY[opportunity.stage]
    if opportunity.stage != OpportunityStage.LOST:
        opportunity.lost_reason = ""
    _check(opportunity, close_date_checked=True)
    opportunity.full_clean(exclude=["customer", "owner", "created_by", "source_visit", "source_plan", "source_call"])
    opportunity.save()
    if products:
        opportunity.products.set(products)
    if opportunity.stage != OpportunityStage.FOUND:
        # recorded straight at a later stage: the history starts with that move, so the board's idle days count
        _stage_moved(user=user, opportunity=opportunity, before=OpportunityStage.FOUND)
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=opportunity,
        customer=customer,
        changes=audit.diff({}, _facts(opportunity)),
    )
    return opportunity


@transaction.atomic
def opportunity_update(
    *, user: User, opportunity: Opportunity, data: dict[str, Any], version: str | Iterable[str] | None = None
) -> Opportunity:
    """Change an opportunity (its owner, the customer's team, or their managers). A move of stage is kept (from,
    to, who, when) and sets the new stage's default probability unless one is given; leaving `lost` forgets its
    reason. The close date is checked when it changes or the opportunity is reopened, so that an overdue one can
    still be moved on or lost. The row is locked; with the `version` the caller read, a change made on a stale copy
    is refused (StaleVersion)."""
    stored = Opportunity.objects.select_for_update(of=("self",)).get(pk=opportunity.pk)
    versions.check(
        stored,
        version,
        fields=[name for name in data if name in AUDITED_FIELDS],
        customer_id=stored.customer_id,
    )
    versions.copy_stored(stored, opportunity)
    require(user, "campaigns.change_opportunity", opportunity)
    data = dict(data)
    if "customer" in data:
        if data.pop("customer") != opportunity.customer:
            raise ValidationError({"customer": _("An opportunity stays with its customer.")})
    before = _facts(opportunity)
    stage_before, close_before = opportunity.stage, opportunity.expected_close_on
    products = _set_fields(opportunity, data)
    moved = opportunity.stage != stage_before
    if moved:
        opportunity.stage_changed_at = timezone.now()
        if data.get("probability") is None:
            opportunity.probability = OPPORTUNITY_PROBABILITY[opportunity.stage]
    if opportunity.stage != OpportunityStage.LOST:
        opportunity.lost_reason = ""
    reopened = moved and stage_before not in OPEN_OPPORTUNITY_STAGES and opportunity.is_open
    _check(opportunity, close_date_checked=opportunity.expected_close_on != close_before or reopened)
    opportunity.full_clean(exclude=["customer", "owner", "created_by", "source_visit", "source_plan", "source_call"])
    opportunity.save()
    if products is not None:
        opportunity.products.set(products)
    if moved:
        _stage_moved(user=user, opportunity=opportunity, before=stage_before)
    changes = audit.diff(before, _facts(opportunity))
    if changes:
        audit.record(
            user=user, action=AuditAction.UPDATE, obj=opportunity, customer=opportunity.customer, changes=changes
        )
    return opportunity


def opportunity_create_from_visit(
    *,
    user: User,
    visit: Visit,
    title: str,
    products: Iterable[Product] = (),
    expected_monthly_revenue: Decimal | None = None,
    expected_one_off_revenue: Decimal | None = None,
    expected_close_on: datetime.date | None = None,
    owner: User | None = None,
    competitor: str = "",
) -> Opportunity:
    """The opportunity a visit found (the visit form's seam): at `found`, of the visit's customer, linked to the
    visit, owned by the visitor when on the team (else the customer manager, unless named), closing by default at
    the end of the month after the visit. Runs inside the caller's transaction (the visit's), so an error saves
    neither."""
    visited_on = timezone.localdate(visit.visited_at)
    default_close = (visited_on.replace(day=1) + datetime.timedelta(days=62)).replace(day=1) - datetime.timedelta(
        days=1
    )
    data: dict[str, Any] = {
        "title": title,
        "products": list(products),
        "expected_close_on": expected_close_on or max(default_close, timezone.localdate()),
        "source_visit": visit,
        "competitor": competitor,
    }
    if expected_monthly_revenue is not None:
        data["expected_monthly_revenue"] = expected_monthly_revenue
    if expected_one_off_revenue is not None:
        data["expected_one_off_revenue"] = expected_one_off_revenue
    if owner is not None:
        data["owner"] = owner
    return opportunity_create(user=user, customer=visit.customer, data=data)


def opportunities_by_visit(
    *, user: User, visit: Visit, found: str = "", moves: dict[int, str] | None = None
) -> list[Opportunity]:
    """What the visit form does with opportunities, in the visit's transaction: the customer's open ones it names
    in `moves` go to their new stage (one not open, or not the customer's, is left as it is), and a title typed in
    `found` is a new opportunity found by the visit (`opportunity_create_from_visit`). The ones changed or made."""
    touched = []
    if moves:
        named = Opportunity.objects.filter(
            customer=visit.customer, pk__in=list(moves), stage__in=OPEN_OPPORTUNITY_STAGES
        )
        for opportunity in named.order_by("id"):
            if moves[opportunity.pk] != opportunity.stage:
                touched.append(
                    opportunity_update(user=user, opportunity=opportunity, data={"stage": moves[opportunity.pk]})
                )
    if found.strip():
        touched.append(opportunity_create_from_visit(user=user, visit=visit, title=found.strip()))
    return touched


def opportunity_initial_from(
    *, customer: Customer, visit: Visit | None = None, plan: CustomerPlan | None = None, call: CallAttempt | None = None
) -> dict[str, Any]:
    """What a new opportunity's form starts with when it comes from a visit, a plan or a call of the customer:
    the link, its source, and a title and products taken from it."""
    initial: dict[str, Any] = {}
    if visit is not None and visit.customer_id == customer.pk:
        initial.update(source=OpportunitySource.VISIT, source_visit=visit)
        first_line = (visit.opportunities or visit.purpose or "").strip().splitlines()
        if first_line:
            initial["title"] = first_line[0][:100]
    if plan is not None and plan.customer_id == customer.pk:
        initial.update(source=OpportunitySource.PLAN, source_plan=plan, products=list(plan.gap_products.all()))
        initial.setdefault("title", plan.objective[:100])
    if call is not None and call.customer_id == customer.pk:
        initial.update(source=OpportunitySource.CALL, source_call=call)
    return initial
