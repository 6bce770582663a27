"""The customer's team (SPEC §5.1), the service standards by tier (§5.2) and visits (§5.3)."""

from __future__ import annotations

import datetime
import uuid
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Tier, customer_region_copy
from accounts.validators import position_whole_and_in_range
from crm.models import TeamRoleKind, UpdateStamped

# Every role but the assistants is held by one person at a time.
SINGLE_ROLES = [kind for kind in TeamRoleKind if kind != TeamRoleKind.ASSISTANT]


# The PostgreSQL exclusion constraint of migration 0003, for bulk loads that drop it and build it again at the end.
MANAGER_PERIODS_CONSTRAINT = "teamrole_manager_periods_never_overlap"
MANAGER_PERIODS_SQL = (
    f"ALTER TABLE teams_teamrole ADD CONSTRAINT {MANAGER_PERIODS_CONSTRAINT} EXCLUDE USING gist "
    "(customer_id WITH =, daterange(starts_on, ends_on, '[)') WITH &&) WHERE (role = 'customer_manager')"
)


def held_on(on: datetime.date | None = None, prefix: str = "") -> Q:
    """The condition of a role held on the given day (today by default), on `TeamRole` or through a relation
    (`prefix="team_roles__"`).

    A role is held from `starts_on` up to, not including, `ends_on`: a handover on one day ends the old holder's
    role and starts the new one's on that same day, and the two never overlap.
    """
    on = on or timezone.localdate()
    return Q(**{f"{prefix}starts_on__lte": on}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gt": on})
    )


class TeamRoleQuerySet(models.QuerySet["TeamRole"]):
    def active(self, on: datetime.date | None = None) -> Self:
        """Roles held on the given day (today by default); see `held_on`."""
        return self.filter(held_on(on))


class TeamRole(models.Model):
    """One person in one role on one customer's team, for a period; ended roles stay as history."""

    # No index of their own: the composite indexes below start with each of them.
    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="team_roles",
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="team_roles",
        db_index=False,
    )
    role = models.CharField(_("role"), max_length=20, choices=TeamRoleKind.choices)
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(
        _("ends on"), null=True, blank=True, help_text=_("The first day the role is no longer held.")
    )

    objects = TeamRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("team role (团队角色)")
        verbose_name_plural = _("team roles (团队角色)")
        ordering = ["customer_id", "role", "starts_on"]
        indexes = [
            # A manager's customers and load: the role and its dates ride along, so PostgreSQL answers from the index.
            models.Index(
                fields=["user", "customer"], include=["role", "starts_on", "ends_on"], name="teamrole_user_customer_idx"
            ),
            # A customer's team, its manager (tier lists, customer lists) and the roles it holds (team gaps): with the
            # holder and the dates carried along, PostgreSQL answers from the index alone, several times quicker per
            # customer than the exclusion constraint's GiST index it would otherwise pick for the manager.
            models.Index(
                fields=["customer", "role"],
                include=["user", "starts_on", "ends_on"],
                name="teamrole_customer_role_idx",
            ),
        ]
        # On PostgreSQL an exclusion constraint (migration 0003, MANAGER_PERIODS_SQL) also keeps two customer
        # managers' periods from overlapping, whatever their dates; these hold on every database.
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "role"],
                condition=Q(ends_on__isnull=True) & ~Q(role="assistant"),
                name="teamrole_one_open_holder_per_role",
                violation_error_message=_("A customer has exactly one holder of this role at a time."),
            ),
            models.UniqueConstraint(
                fields=["customer", "user"],
                condition=Q(ends_on__isnull=True, role="assistant"),
                name="teamrole_assistant_once",
                violation_error_message=_("This person is already a sales assistant of the customer."),
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


class StandardPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class ServiceStandard(UpdateStamped):
    """What a tier's customers are owed (服务标准): the roles their team must hold and how often they are visited."""

    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices, unique=True)
    required_roles = models.JSONField(_("required roles"), default=list)
    period = models.CharField(_("period"), max_length=10, choices=StandardPeriod.choices)
    visits_required = models.PositiveSmallIntegerField(
        _("visits required per period"), validators=[MaxValueValidator(31)]
    )
    visits_role = models.CharField(
        _("of which by"), max_length=20, choices=TeamRoleKind.choices, blank=True, help_text=_("Optional.")
    )
    visits_role_required = models.PositiveSmallIntegerField(
        _("visits required of that role"), default=0, validators=[MaxValueValidator(31)]
    )

    class Meta:
        verbose_name = _("service standard (服务标准)")
        verbose_name_plural = _("service standards (服务标准)")
        ordering = ["tier"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visits_role="", visits_role_required=0)
                | (~Q(visits_role="") & Q(visits_role_required__gt=0)),
                name="servicestandard_role_visits_named",
                violation_error_message=_("Name the role together with how many of its visits are required."),
            ),
            models.CheckConstraint(
                condition=Q(visits_role_required__lte=models.F("visits_required")),
                name="servicestandard_role_visits_within_total",
                violation_error_message=_("The visits required of one role cannot exceed the visits required."),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Service standard of tier %(tier)s") % {"tier": self.tier})

    def clean(self) -> None:
        roles = self.required_roles
        if not isinstance(roles, list) or any(role not in SINGLE_ROLES for role in roles):
            raise ValidationError({"required_roles": _("Pick required roles from the team roles (not assistants).")})
        if TeamRoleKind.CUSTOMER_MANAGER not in roles:
            raise ValidationError({"required_roles": _("Every team needs a customer manager.")})
        if bool(self.visits_role) != bool(self.visits_role_required):
            raise ValidationError(
                {"visits_role": _("Name the role together with how many of its visits are required.")}
            )
        if self.visits_role_required > (self.visits_required or 0):
            raise ValidationError(
                {"visits_role_required": _("The visits required of one role cannot exceed the visits required.")}
            )
        if self.visits_role and self.visits_role not in roles:
            raise ValidationError({"visits_role": _("The role whose visits are required must be a required role.")})


class VisitKind(models.TextChoices):
    ONSITE = "onsite", _("On site")
    PHONE = "phone", _("Phone")
    ONLINE = "online", _("Online")
    INTERNAL = "internal", _("Internal sync")


class UnverifiedReason(models.TextChoices):
    """Why a visit is not verified on site (`teams.rules.check_in_verification`), as the visitor is told."""

    NOT_ONSITE = "not_onsite", _("Only an on-site visit is checked in.")
    NO_POSITION = "no_position", _("No position was recorded at check-in.")
    NO_ACCURACY = "no_accuracy", _("The position came without its accuracy, so it cannot prove the visit.")
    INACCURATE = "inaccurate", _("The position is less accurate than the limit; check in again outdoors.")
    NO_CUSTOMER_LOCATION = (
        "no_customer_location",
        _("The customer has no confirmed location yet to compare with; a department head can set it from this visit."),
    )
    TOO_FAR = "too_far", _("The position is farther from the customer than the radius allowed.")


# An internal sync (内部沟通) is among staff; it does not count as a visit to the customer.
CUSTOMER_CONTACT_KINDS = [VisitKind.ONSITE, VisitKind.PHONE, VisitKind.ONLINE]

# The visits a department head reviews (`/visits/unverified/`, `?verified=false`): on site, and not verified by
# their check-in. Only an on-site visit can be verified, so "not verified" never means a call.
UNVERIFIED_ON_SITE = Q(kind=VisitKind.ONSITE, verified=False)

EDITABLE_FOR = datetime.timedelta(days=7)


class Visit(models.Model):
    """A visit to a customer (走访), logged by the visitor."""

    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="visits"
    )
    # The customer's region, a copy the database keeps (triggers of migration 0010: set on every visit written,
    # moved with a customer that moves), so that a territory's visits are read region by region in time order.
    region = customer_region_copy()
    visited_at = models.DateTimeField(_("visited at"))
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("visitor"), on_delete=models.PROTECT, related_name="visits"
    )
    # The visitor's role on the team when they visited; blank for a department head or provincial staff.
    visitor_role = models.CharField(_("visitor's role"), max_length=20, choices=TeamRoleKind.choices, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=VisitKind.choices, default=VisitKind.ONSITE)
    staff_present = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("other staff present"), blank=True, related_name="visits_attended"
    )
    key_persons = models.ManyToManyField(
        "accounts.KeyPerson", verbose_name=_("key persons met"), blank=True, related_name="visits"
    )
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    summary = models.TextField(_("summary"), max_length=4000)
    opportunities = models.TextField(_("opportunities found"), max_length=2000, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_visit_on = models.DateField(_("next visit on"), null=True, blank=True)
    # The check-in (外勤签到): where the phone said it was, and how sure it was (the radius, in metres, within which
    # the true position lies); optionally where and when the visitor left.
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True, validators=[MinValueValidator(0)])
    checkout_latitude = models.FloatField(
        _("check-out latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    checkout_longitude = models.FloatField(
        _("check-out longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    checkout_accuracy_m = models.FloatField(
        _("check-out accuracy (m)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    # Computed at check-in against the customer's location then (teams.rules.check_in_verification), and kept: a
    # location set later does not rewrite what a visit proved when it was made.
    distance_m = models.FloatField(_("distance to the customer (m)"), null=True, blank=True, editable=False)
    # Defaults in the database too: the demo and bulk loads write visits by SQL that names no check-in.
    verified = models.BooleanField(_("verified on site"), default=False, db_default=False, editable=False)
    unverified_reason = models.CharField(
        _("why not verified"),
        max_length=30,
        choices=UnverifiedReason.choices,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("visit (走访)")
        verbose_name_plural = _("visits (走访)")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "visited_at"], name="visit_customer_when_idx"),
            models.Index(fields=["visitor", "visited_at"], name="visit_visitor_when_idx"),
            # The newest visits first, whatever the customer (the visits list and its API, as a territory reads
            # them): a walk down this index stops after a page, where a sort took every visit of the territory.
            models.Index(fields=["visited_at", "id"], name="visit_when_idx"),
            # A territory's visits newest first, region by region (`crm.paginator`, merged as they are read).
            models.Index(fields=["region", "-visited_at", "-id"], name="visit_region_when_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(summary=""),
                name="visit_summary_not_empty",
                violation_error_message=_("Write a short summary of the visit."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=VisitKind.values),
                name="visit_kind_known",
                violation_error_message=_("Unknown kind of visit."),
            ),
            models.CheckConstraint(
                condition=position_whole_and_in_range("latitude", "longitude"),
                name="visit_position_whole_and_in_range",
                violation_error_message=_("A position has both a latitude (−90 to 90) and a longitude (−180 to 180)."),
            ),
            models.CheckConstraint(
                condition=position_whole_and_in_range("checkout_latitude", "checkout_longitude"),
                name="visit_checkout_whole_and_in_range",
                violation_error_message=_("A position has both a latitude (−90 to 90) and a longitude (−180 to 180)."),
            ),
            models.CheckConstraint(
                condition=Q(verified=False) | Q(kind="onsite"),
                name="visit_verified_only_on_site",
                violation_error_message=_("Only an on-site visit is verified."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.visited_at:%Y-%m-%d} {self.get_kind_display()}"

    def editable_by(self, user, now: datetime.datetime | None = None) -> bool:
        """Only the visitor edits a visit, and only for 7 days after logging it."""
        now = now or timezone.now()
        return user.pk == self.visitor_id and now - self.created_at <= EDITABLE_FOR

    @property
    def checked_in_on_site(self) -> bool:
        """An on-site visit checked in with a position."""
        return self.kind == VisitKind.ONSITE and self.latitude is not None and self.longitude is not None

    @property
    def gives_location(self) -> bool:
        """Whether its check-in may become the customer's location (`services.visit_location_confirm`): on site,
        with a position accurate to VISIT_CHECK_IN_ACCURACY_M."""
        return (
            self.checked_in_on_site
            and self.accuracy_m is not None
            and self.accuracy_m <= settings.VISIT_CHECK_IN_ACCURACY_M
        )


def visit_photo_path(photo: VisitPhoto, filename: str) -> str:
    """Photos are filed by month and under a random name: the name a phone gives (IMG_0001.jpg) says nothing, and
    guessing another photo's path gains nothing since photos are only ever served through the visibility check."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"visits/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class VisitPhoto(models.Model):
    """A photo taken at a visit (外勤拍照), stored through Django's storage API (the filesystem or an S3-compatible
    store, settings.STORAGES) and served only to those who see the customer."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=visit_photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(_("width"), null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("taken at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit photo (走访照片)")
        verbose_name_plural = _("visit photos (走访照片)")
        ordering = ["visit_id", "id"]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.image.name}"


class TeamGapCount(models.Model):
    """The nightly count of tiered customers per region, tier and single roles held (a bit mask,
    `selectors.completeness.ROLE_BITS`): what the incomplete-teams page adds up for a territory, where counting
    live reads every customer and team role of a province (issue 19). The whole table is one night's snapshot,
    replaced at once (`services.team_gaps_snapshot`); its `computed_at` is what the page says the figures are as of."""

    region = models.ForeignKey(
        "crm.Region", verbose_name=_("region"), on_delete=models.CASCADE, to_field="code", related_name="+"
    )
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices)
    held = models.PositiveIntegerField(_("roles held"))
    customers = models.PositiveIntegerField(_("customers"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("team gap count")
        verbose_name_plural = _("team gap counts")
        constraints = [models.UniqueConstraint(fields=["region", "tier", "held"], name="team_gap_count_once")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.tier} {self.held}: {self.customers}"


class ManagerLoad(models.Model):
    """The nightly count of the customers each account manager manages as customer manager: what the manager load
    page sorts a province's managers by, where counting live reads every team role of the province (issue 19). The
    whole table is replaced at once (`services.manager_loads_snapshot`); a reassignment recounts the managers it
    touched (`services.manager_loads_recount`), so each row keeps when it was counted."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="load_counted",
    )
    customers = models.PositiveIntegerField(_("customers"))
    # The path of the manager's home region when counted: the load page of a territory reads its own managers'
    # counts by it (an index of prefixes), not the whole country's.
    region_path = models.CharField(_("region path"), max_length=200, db_index=True, db_default="")
    # Indexed: a department's page says as of when from the oldest count of all (one end of the index), not from
    # every count of the country.
    computed_at = models.DateTimeField(_("computed at"), db_index=True)

    class Meta:
        verbose_name = _("manager load")
        verbose_name_plural = _("manager loads")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.customers}"


class VipAssignmentQuerySet(models.QuerySet["VipAssignment"]):
    def active(self, on: datetime.date | None = None) -> Self:
        """Assignments held on the given day (today by default), as team roles are (`held_on`)."""
        return self.filter(held_on(on))


class VipAssignment(models.Model):
    """A personal VIP (a group member with a VIP level, SPEC §4.3) in the care of a personal-VIP manager
    (个人VIP客户经理) for a period, from `starts_on` up to, not including, `ends_on`; ended ones stay as history.
    A member is in one manager's care at a time (the database holds it)."""

    member = models.ForeignKey(
        "accounts.GroupMember",
        verbose_name=_("group member"),
        on_delete=models.CASCADE,
        related_name="vip_assignments",
        db_index=False,
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personal-VIP manager"),
        on_delete=models.PROTECT,
        related_name="vip_assignments",
        db_index=False,
    )
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(
        _("ends on"),
        null=True,
        blank=True,
        help_text=_("The first day the member is no longer in this manager's care."),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    objects = VipAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal-VIP assignment (个人VIP分配)")
        verbose_name_plural = _("personal-VIP assignments (个人VIP分配)")
        ordering = ["member_id", "starts_on"]
        indexes = [
            # A member's history (and the cascade when a member is deleted).
            models.Index(fields=["member", "starts_on"], name="vipassignment_member_idx"),
            # A manager's VIPs and their load: the member rides along, so counting reads the index alone.
            models.Index(
                fields=["manager", "starts_on"], include=["member", "ends_on"], name="vipassignment_manager_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ends_on__isnull=True),
                name="vipassignment_one_open_per_member",
                violation_error_message=_("A personal VIP is in one manager's care at a time."),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="vipassignment_ends_after_start",
                violation_error_message=_("An assignment cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.manager_id}"

    def clean(self) -> None:
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("An assignment cannot end before it starts.")})


class VipLoad(models.Model):
    """How many personal VIPs each personal-VIP manager has in their care (members with a VIP level who are still
    the customer's): what the load page sorts a territory's VIP managers by against the 400 line, where counting
    live joins every assignment of a province to its members. Replaced whole by the nightly KPI computation
    (`services.vip_loads_snapshot`), which first takes the night's VIP levels; an assignment recounts the managers
    it touched (`services.vip_loads_recount`), so each row keeps when it was counted."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="vip_load_counted",
    )
    vips = models.PositiveIntegerField(_("personal VIPs"))
    # The path of the manager's home region when counted: a territory's page reads its own managers' by it.
    region_path = models.CharField(_("region path"), max_length=200, db_index=True, db_default="")
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("personal-VIP manager load")
        verbose_name_plural = _("personal-VIP manager loads")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.vips}"
