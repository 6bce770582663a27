"""Inbound leads (来电商机, issue 20): recorded by whoever takes the call (the 10000 hotline's agents above all),
routed to the customer's manager — or, for a company not yet a customer, to the head of the department over its
region — who is told at once, and worked from there: an opportunity recorded from it, or closed with a note."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Length
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Customer
from crm import audit
from crm.models import AuditAction, Department, NotificationKind, Region, User
from crm.notifications import notify, phrase
from crm.permissions import require
from teams.models import TeamRole, TeamRoleKind

from ..models import Lead, LeadStatus, Opportunity, OpportunitySource
from ..models.leads import CLOSED_NOTE_LENGTH
from .opportunities import opportunity_create

LEAD_FIELDS = ("caller_name", "caller_mobile", "company", "region", "notes", "channel", "status", "assigned_to")


def _customer(data: dict[str, Any]) -> Customer | None:
    """The customer the lead is of: named by its code, else found by the USCC given (a company the desk does not
    know by code may well be one); None for a company not yet a customer."""
    if data.get("customer"):
        found = Customer.objects.select_related("region").filter(code=data["customer"]).first()
        if found is None:
            raise ValidationError({"customer": _("No customer has the code %(code)s.") % {"code": data["customer"]}})
        return found
    if data.get("uscc"):
        return Customer.objects.select_related("region").filter(uscc=data["uscc"]).first()
    return None


def _department_head(region: Region) -> User | None:
    """The head of the department whose region is the nearest above `region` (or is it)."""
    paths = [region.path[: index + 1] for index, char in enumerate(region.path) if char == "/"]
    department = (
        Department.objects.filter(region__path__in=paths, head__is_active=True)
        .select_related("head", "region")
        .order_by(Length("region__path").desc(), "pk")
        .first()
    )
    return department.head if department is not None else None


def lead_route(customer: Customer | None, region: Region) -> User | None:
    """Who acts on a lead: the customer's customer manager today, else the department head over its region. (Where
    grids have managers of their own, a new company's lead is theirs: issue 21.)"""
    if customer is not None:
        role = (
            TeamRole.objects.active()
            .filter(customer=customer, role=TeamRoleKind.CUSTOMER_MANAGER, user__is_active=True)
            .select_related("user")
            .first()
        )
        if role is not None:
            return role.user
    return _department_head(region)


@transaction.atomic
def lead_record(*, user: User, data: dict[str, Any]) -> Lead:
    """Record a caller's interest: the customer named (its code) or found (its USCC), else the company's name and
    region; routed (`lead_route`) and its assignee told."""
    require(user, "campaigns.record_lead")
    customer = _customer(data)
    errors: dict[str, Any] = {}
    region: Region | None = customer.region if customer is not None else data.get("region")
    if region is None:
        errors["region"] = _("Name the region of a company that is not yet a customer.")
    company = customer.name if customer is not None else (data.get("company") or "").strip()
    if not company:
        errors["company"] = _("Name the company, or the customer's code.")
    if errors or region is None:
        raise ValidationError(errors)
    lead = Lead(
        caller_name=data["caller_name"].strip(),
        caller_mobile=data["caller_mobile"],
        customer=customer,
        company=company,
        region=region,
        notes=data.get("notes", ""),
        recorded_by=user,
    )
    if data.get("channel") is not None:
        lead.channel = data["channel"]
    lead.assigned_to = lead_route(customer, region)
    lead.full_clean(exclude=["customer", "region", "recorded_by", "assigned_to", "opportunity", "channel"])
    lead.save()
    if data.get("products"):
        lead.products.set(data["products"])
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=lead,
        customer=customer,
        region_path=None if customer is not None else region.path,
        changes=audit.diff({}, audit.snapshot(lead, LEAD_FIELDS)),
    )
    if lead.assigned_to_id is not None and lead.assigned_to_id != user.pk:
        notify(
            recipients=[lead.assigned_to_id],
            kind=NotificationKind.LEAD_ASSIGNED,
            title=phrase(gettext_lazy("Inbound lead: %(company)s"), {"company": company}),
            body=phrase(
                gettext_lazy("%(caller)s called through %(channel)s: %(notes)s"),
                {"caller": lead.caller_name, "channel": lead.channel.label, "notes": lead.notes[:200]},
            ),
            url=reverse("campaigns:leads"),
            dedupe_key=f"lead:{lead.pk}",
        )
    return lead


def _require_handler(user: User, lead: Lead) -> None:
    require(user, "campaigns.work_lead", lead)
    if lead.status != LeadStatus.NEW:
        raise ValidationError(_("This lead is no longer new: it was worked already."))


@transaction.atomic
def lead_close(*, user: User, lead: Lead, note: str) -> Lead:
    """Close a lead with a note (nothing to sell, a wrong number…): its assignee or the managers over it."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    _require_handler(user, lead)
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Say why the lead is closed.")})
    if len(note) > CLOSED_NOTE_LENGTH:  # said, not cut
        raise ValidationError(
            {
                "note": _("Why the lead is closed: at most %(longest)d characters (this is %(length)d).")
                % {"longest": CLOSED_NOTE_LENGTH, "length": len(note)}
            }
        )
    before = audit.snapshot(lead, LEAD_FIELDS)
    lead.status, lead.closed_note = LeadStatus.CLOSED, note
    lead.save(update_fields=["status", "closed_note", "updated_at"])
    audit.record_changed(user=user, obj=lead, before=before, fields=LEAD_FIELDS, customer=lead.customer)
    return lead


@transaction.atomic
def lead_convert(*, user: User, lead: Lead, data: dict[str, Any]) -> Opportunity:
    """Record the opportunity the lead is (its customer's; a company not yet a customer is filed first), from the
    inbound channel, with the lead's products unless others are given."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    _require_handler(user, lead)
    if lead.customer is None:
        raise ValidationError(
            {"customer": _("%(company)s is not a customer yet: file it first.") % {"company": lead.company}}
        )
    values = {
        "title": data.get("title") or lead.company,
        "expected_close_on": data["expected_close_on"],
        "source": OpportunitySource.INBOUND,
        "channel": lead.channel,
        "products": data.get("products") or list(lead.products.all()),
    }
    opportunity = opportunity_create(user=user, customer=lead.customer, data=values)
    before = audit.snapshot(lead, LEAD_FIELDS)
    lead.status, lead.opportunity = LeadStatus.CONVERTED, opportunity
    lead.save(update_fields=["status", "opportunity", "updated_at"])
    audit.record_changed(user=user, obj=lead, before=before, fields=LEAD_FIELDS, customer=lead.customer)
    return opportunity
