"""The customer's team (SPEC §5.1): who holds which role on a customer, and since when."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TeamRoleKind(models.TextChoices):
    CUSTOMER_MANAGER = "customer_manager", _("Customer manager")
    SERVICE_MANAGER = "service_manager", _("Service manager")
    PRODUCT_MANAGER = "product_manager", _("Product manager")
    NETWORK_MANAGER = "network_manager", _("Network manager")
    BILLING_MANAGER = "billing_manager", _("Billing manager")
    SECOND_MANAGER = "second_manager", _("Second manager")
    ASSISTANT = "assistant", _("Sales assistant")


class TeamRoleQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None) -> TeamRoleQuerySet:
        """Roles held on the given day (today by default); an assignment ends when `ends_on` is set and past."""
        on = on or timezone.localdate()
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on), starts_on__lte=on)


class TeamRole(models.Model):
    """One person in one role on one customer's team, for a period; ended roles stay as history."""

    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="team_roles"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="team_roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=TeamRoleKind.choices)
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    objects = TeamRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("team role (团队角色)")
        verbose_name_plural = _("team roles (团队角色)")
        ordering = ["customer_id", "role", "starts_on"]
        indexes = [models.Index(fields=["user", "customer"], name="teamrole_user_customer_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(role="customer_manager", ends_on__isnull=True),
                name="teamrole_one_open_customer_manager",
                violation_error_message=_("A customer has exactly one customer manager at a time."),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="teamrole_ends_after_start",
                violation_error_message=_("A role cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"

    def clean(self) -> None:
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A role cannot end before it starts.")})
