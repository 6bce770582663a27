"""What the operator's partner companies (合作伙伴, `crm.Partner`) are given and earn (issue 20): the customers
assigned to them to serve or sell to, besides the campaign plans given to them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AssignmentQuerySet(models.QuerySet["PartnerAssignment"]):
    def active(self, on=None) -> AssignmentQuerySet:
        """Assignments in force on the day (`on`, today by default)."""
        day = on or timezone.localdate()
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day), starts_on__lte=day)


class AssignmentRole(models.TextChoices):
    SALES = "sales", _("Sells to the customer")
    SERVICE = "service", _("Serves the customer")


class PartnerAssignment(models.Model):
    """A customer given to a partner company to sell to or to serve, from a day, until a day or further notice. While
    it is in force the partner's staff see the customer (`Customer.objects.visible_to`)."""

    partner = models.ForeignKey(
        "crm.Partner", verbose_name=_("partner"), on_delete=models.CASCADE, related_name="assignments"
    )
    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="partner_assignments"
    )
    role = models.CharField(_("role"), max_length=10, choices=AssignmentRole.choices, default=AssignmentRole.SERVICE)
    starts_on = models.DateField(_("valid from"))
    ends_on = models.DateField(_("valid until"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner assignment")
        verbose_name_plural = _("partner assignments")
        ordering = ["partner_id", "customer_id", "-starts_on"]
        indexes = [models.Index(fields=["partner", "customer"], name="assignment_partner_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="assignment_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.customer_id} {self.role}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("An assignment cannot end before it starts.")})
