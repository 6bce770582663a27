"""Inbound leads (来电商机, issue 20): an interest a caller voices to the 10000 hotline (or another channel), recorded
by the agent who took the call and routed to whoever should act on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_mobile

from .channels import HOTLINE, channel_field
from .products import Product


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONVERTED = "converted", _("Opportunity recorded")
    CLOSED = "closed", _("Closed")


CLOSED_NOTE_LENGTH = 200


class Lead(models.Model):
    """Who called (name, mobile), for which company — a customer when it is one, else its name and region — which
    products, what they said; routed to the customer's manager, or for a company not yet a customer to the head of the
    department over its region (the grid's manager where grids have them); new until an opportunity is recorded from
    it or it is closed with a note."""

    caller_name = models.CharField(_("caller"), max_length=50)
    caller_mobile = models.CharField(_("caller's mobile"), max_length=11, validators=[validate_mobile])
    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="leads",
    )
    company = models.CharField(_("company"), max_length=200)
    region = models.ForeignKey("crm.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    products = models.ManyToManyField(Product, verbose_name=_("products"), blank=True, related_name="+")
    notes = models.TextField(_("what the caller said"), max_length=2000, blank=True)
    channel = channel_field(default=HOTLINE)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    status = models.CharField(_("status"), max_length=10, choices=LeadStatus.choices, default=LeadStatus.NEW)
    opportunity = models.ForeignKey(
        "campaigns.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_note = models.CharField(_("why closed"), max_length=CLOSED_NOTE_LENGTH, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("inbound lead (来电商机)")
        verbose_name_plural = _("inbound leads (来电商机)")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["assigned_to", "status", "-created_at"], name="lead_assignee_idx"),
            models.Index(fields=["region", "-created_at"], name="lead_region_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status="closed") | ~Q(closed_note=""), name="lead_closed_has_note")
        ]

    def __str__(self) -> str:
        return f"{self.company} {self.caller_name}"
