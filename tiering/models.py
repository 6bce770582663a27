"""Tier rule sets as data, and the record of each recompute (SPEC §4)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Tier
from crm.models import ChunkedJobRun
from crm.permissions import may

from .rules import FLAG_FIELDS, INDUSTRY_FIELD, NUMERIC_FIELDS, RuleSpec

RULE_TIERS = [choice for choice in Tier.choices if choice[0] != "C"]  # C is "nothing matched", never a rule
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class RuleSetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class RuleSet(models.Model):
    """A versioned set of tier rules for the nation (scope = the national root) or one province."""

    scope = models.ForeignKey(
        "crm.Region", verbose_name=_("scope"), on_delete=models.PROTECT, related_name="tier_rule_sets"
    )
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=100)
    status = models.CharField(_("status"), max_length=10, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT)
    effective_on = models.DateField(_("effective on"))
    target_a_share = models.DecimalField(
        _("target share A+/A (%)"), max_digits=5, decimal_places=2, default=Decimal("5"), validators=PERCENT
    )
    target_b_share = models.DecimalField(
        _("target share B (%)"), max_digits=5, decimal_places=2, default=Decimal("25"), validators=PERCENT
    )
    target_c_share = models.DecimalField(
        _("target share C (%)"), max_digits=5, decimal_places=2, default=Decimal("70"), validators=PERCENT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier rule set (分级规则)")
        verbose_name_plural = _("tier rule sets (分级规则)")
        ordering = ["scope_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "version"], name="ruleset_unique_version_per_scope"),
            models.UniqueConstraint(
                fields=["scope"], condition=Q(status="published"), name="ruleset_one_published_per_scope"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def specs(self) -> list[RuleSpec]:
        return [rule.spec() for rule in self.rules.all()]

    def editable_by(self, user) -> bool:
        """Published and retired sets are history: only drafts change, the national ones only by headquarters."""
        return may(user, "tiering.change_rule_set", self)


class RuleField(models.TextChoices):
    HANDSET_COUNT = "handset_count", _("handset count")
    GROUP_HANDSET_COUNT = "group_handset_count", _("group handset count")
    MONTHLY_SPEND = "monthly_spend", _("monthly spend (CNY)")
    EMPLOYEE_COUNT = "employee_count", _("employee count")
    INFORMATIZATION_REVENUE = "informatization_revenue", _("informatization revenue (CNY/month)")
    IS_TAX_TOP500 = "is_tax_top500", _("top 500 taxpayer of the province")
    IS_MAJOR_INFLUENCE = "is_major_influence", _("major social influence")
    INDUSTRY = "industry", _("industry")


class RuleOperator(models.TextChoices):
    GTE = "gte", "≥"
    GT = "gt", ">"
    LTE = "lte", "≤"
    LT = "lt", "<"
    IS_TRUE = "is_true", _("is set")
    IN = "in", _("is one of")


class Rule(models.Model):
    """A tier plus one condition over the customer's fields."""

    rule_set = models.ForeignKey(RuleSet, verbose_name=_("rule set"), on_delete=models.CASCADE, related_name="rules")
    tier = models.CharField(_("tier"), max_length=2, choices=RULE_TIERS)
    field = models.CharField(_("field"), max_length=30, choices=RuleField.choices)
    operator = models.CharField(_("operator"), max_length=10, choices=RuleOperator.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=2, null=True, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    label = models.CharField(_("label"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("tier rule")
        verbose_name_plural = _("tier rules")
        ordering = ["rule_set_id", "tier", "id"]

    def __str__(self) -> str:
        return f"{self.tier}: {self.field} {self.operator}"

    def clean(self) -> None:
        from accounts.models import Industry

        errors: dict[str, str] = {}
        if self.field in NUMERIC_FIELDS:
            if self.operator not in ("gte", "gt", "lte", "lt"):
                errors["operator"] = _("A number is compared with ≥, >, ≤ or <.")
            elif self.threshold is None:
                errors["threshold"] = _("A comparison needs a threshold.")
            elif self.threshold < 0:
                errors["threshold"] = _("A threshold cannot be negative.")
        elif self.field in FLAG_FIELDS:
            if self.operator != "is_true":
                errors["operator"] = _("A flag can only be tested for being set.")
        elif self.field == INDUSTRY_FIELD:
            if self.operator != "in":
                errors["operator"] = _("An industry is tested with 'is one of'.")
            codes = self.industries if isinstance(self.industries, list) else None
            if not codes or not all(isinstance(code, str) for code in codes):
                errors["industries"] = _("Give at least one industry code, e.g. J66.")
            else:
                unknown = sorted(
                    set(codes) - set(Industry.objects.filter(code__in=codes).values_list("code", flat=True))
                )
                if unknown:
                    errors["industries"] = _("Unknown industry codes: %(codes)s.") % {"codes": ", ".join(unknown)}
        if errors:
            raise ValidationError(errors)

    def spec(self) -> RuleSpec:
        return RuleSpec(
            tier=self.tier,
            field=self.field,
            operator=self.operator,
            threshold=self.threshold,
            industries=frozenset(self.industries or ()),
            label=self.label,
            rule_id=self.pk,
        )


class TierChangeSource(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly recompute")
    MANUAL = "manual", _("Manual recompute")
    OVERRIDE = "override", _("Override")
    IMPORT = "import", _("Import")


class TierJobRun(ChunkedJobRun):
    """One recompute of tiers: when, for which scope, how many customers it saw and changed, what went wrong."""

    scope = models.ForeignKey("crm.Region", verbose_name=_("scope"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(
        _("source"), max_length=10, choices=TierChangeSource.choices, default=TierChangeSource.MANUAL
    )
    customers_seen = models.PositiveIntegerField(_("customers seen"), default=0)
    customers_changed = models.PositiveIntegerField(_("customers changed"), default=0)
    # Personal VIP levels of the customers' group members are recomputed in the same chunks (SPEC §4.3).
    members_changed = models.PositiveIntegerField(_("VIP levels changed"), default=0)

    class Meta(ChunkedJobRun.Meta):
        verbose_name = _("tier recompute run")
        verbose_name_plural = _("tier recompute runs")

    def __str__(self) -> str:
        return f"{self.scope_id} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class TierChange(models.Model):
    """One change of a customer's tier, appended by whatever changed it and never edited (SPEC §4.2)."""

    customer = models.ForeignKey(  # indexed by tierchange_customer_idx
        "accounts.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="tier_changes",
        db_index=False,
    )
    from_tier = models.CharField(_("from"), max_length=2, blank=True)
    to_tier = models.CharField(_("to"), max_length=2, blank=True)
    changed_at = models.DateTimeField(_("changed at"))
    source = models.CharField(_("source"), max_length=10, choices=TierChangeSource.choices)
    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("rule set"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["customer_id", "-changed_at", "-id"]
        indexes = [models.Index(fields=["customer", "-changed_at"], name="tierchange_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier or '—'} → {self.to_tier or '—'}"


class TierCount(models.Model):
    """The count of tiered customers per region and tier, as of `computed_at`: what the quota report adds up for a
    province (`selectors.quota_report`), where counting live groups a province's million customers (issue 19).
    The whole table is replaced at once at the end of every recompute, the nightly one included
    (`services.tier_counts_snapshot`)."""

    region = models.ForeignKey(
        "crm.Region", verbose_name=_("region"), on_delete=models.CASCADE, to_field="code", related_name="+"
    )
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices)
    customers = models.PositiveIntegerField(_("customers"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("tier count")
        verbose_name_plural = _("tier counts")
        constraints = [models.UniqueConstraint(fields=["region", "tier"], name="tier_count_once")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.tier}: {self.customers}"


class OverrideStatus(models.TextChoices):
    """Where a tier override stands: a request waits for provincial staff, who approve or reject it; its requester
    may withdraw it while it waits; an approved one is in force until it expires or is removed (replaced by the next
    approved one, or ended by staff)."""

    REQUESTED = "requested", pgettext_lazy("tier override", "Requested")
    APPROVED = "approved", pgettext_lazy("tier override", "Approved")
    REJECTED = "rejected", pgettext_lazy("tier override", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("tier override", "Withdrawn")
    REMOVED = "removed", pgettext_lazy("tier override", "Removed")


class TierOverrideQuerySet(models.QuerySet):
    def active(self, on=None):
        """The overrides in force on `on` (today): approved, not removed, not expired. Only these set a tier."""
        return self.filter(
            status=OverrideStatus.APPROVED, removed_at__isnull=True, expires_on__gte=on or timezone.localdate()
        )

    def pending(self):
        """The requests that wait for a decision."""
        return self.filter(status=OverrideStatus.REQUESTED)


class TierOverride(models.Model):
    """A tier set by hand (人工调级), with a reason, kept by every recompute until it expires. Provincial staff set one
    directly (approved at once); a department head or the customer's manager requests one, which provincial staff
    approve or reject. Every row is kept: the request, the decision and the end are its history."""

    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="tier_overrides"
    )
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices)
    reason = models.CharField(_("reason"), max_length=300)
    expires_on = models.DateField(_("expires on"))
    status = models.CharField(
        _("status"), max_length=10, choices=OverrideStatus.choices, default=OverrideStatus.APPROVED
    )
    # who asked for the tier (provincial staff setting one directly ask and decide at once), and when
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    set_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    # when and by whom an approved override was ended, or a request withdrawn
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = TierOverrideQuerySet.as_manager()

    class Meta:
        verbose_name = _("tier override (人工调级)")
        verbose_name_plural = _("tier overrides (人工调级)")
        ordering = ["-set_at"]
        constraints = [
            # At most one override in force and one request waiting per customer: a request may ask to extend or
            # change the override in force, which stays until the request is approved.
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status="approved", removed_at__isnull=True),
                name="tieroverride_one_approved_per_customer",
            ),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(status="requested"), name="tieroverride_one_request_per_customer"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_on"], name="tieroverride_status_expiry_idx")]

    def __str__(self) -> str:
        """`CD0001 → A (2027-03-31)`, as the audit trail and the customer's history name it: the customer by its code
        (read with the override — `select_related("customer")` — where overrides are listed)."""
        return f"{self.customer.code} → {self.tier} ({self.expires_on})"

    @property
    def requested_by_id(self) -> int:
        """Who asked for the tier (`crm.permissions.requested_it`): the requester, or the staff member who set it."""
        return self.set_by_id

    @property
    def is_pending(self) -> bool:
        return self.status == OverrideStatus.REQUESTED
