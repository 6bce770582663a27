"""Group customers and the people in them (SPEC §3)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Self, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.lookups import IsNull
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Partner, Region, TeamRoleKind
from crm.visibility import territory_path

from .rules import PROFILE_REQUIREMENTS, ProfileFacts, profile_missing
from .validators import position_whole_and_in_range, validate_customer_code, validate_mobile, validate_uscc

if TYPE_CHECKING:
    from typing import Any, Protocol

    from django.contrib.auth.models import AnonymousUser

    from crm.models import User

    class TeamRoles(Protocol):
        """What customers ask of the team roles' queryset, which the teams app (a floor up) provides: the roles
        held on a day (`teams.models.TeamRoleQuerySet.active`)."""

        def active(self, on: datetime.date | None = None) -> models.QuerySet[Any]: ...


ZERO = Decimal("0")


class Segment(models.TextChoices):
    """The operator's market segments (行业客户)."""

    PARTY_GOV = "party_gov", _("Party, government and military")
    FINANCE = "finance", _("Finance")
    EDUCATION = "education", _("Education")
    HEALTHCARE = "healthcare", _("Healthcare")
    TRANSPORT = "transport", _("Transport and logistics")
    ENERGY = "energy", _("Energy")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    COMMERCE = "commerce", _("Commerce")
    OTHER = "other", _("Other")


class Industry(models.Model):
    """A GB/T 4754-2017 division, e.g. J66 货币金融服务."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    section = models.CharField(_("section"), max_length=1)
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices)

    class Meta:
        verbose_name = _("industry (行业)")
        verbose_name_plural = _("industries (行业)")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ListLevel(models.TextChoices):
    NATIONAL = "national", _("National list")
    PROVINCIAL = "provincial", _("Provincial list")
    CITY = "city", _("City list")


class CustomerStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    CHURNED = "churned", _("Churned")


class Tier(models.TextChoices):
    A_PLUS = "A+", "A+"
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class LocationSource(models.TextChoices):
    """Where a customer's location came from: a BOSS extract, the check-in of a visit on site that a department
    head confirmed (`accounts.services.customer_location_set`), or the prospect it was converted from, whose position
    the grid's staff took on site as they filed it (摸底, issue 21)."""

    IMPORT = "import", _("Import")
    VISIT = "visit", _("Verified visit")
    PROSPECT = "prospect", _("Prospect filing")


_Row = TypeVar("_Row", bound=models.Model)


def customer_region_copy() -> models.ForeignKey:
    """The region of a row's customer, a copy the database keeps (the triggers of teams 0010 for visits, campaigns
    0017 for opportunities: set on every row written, moved with a customer that moves), so that a territory reads
    its rows by their region. Not a constraint of its own: the customer's region is one."""
    return models.ForeignKey(
        "crm.Region",
        verbose_name=_("region"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        db_index=False,
        db_constraint=False,
    )


class CustomerQuerySet(models.QuerySet["Customer"]):
    def visible_to(self, user: User | AnonymousUser) -> Self:
        """Every customer the user may see (SPEC §2, 数据权限): the starting point of every customer query.

        - headquarters (and superusers) see everything;
        - provincial staff see the subtree of their home region's province, department heads their department's
          region subtree (`crm.visibility.territory_path`);
        - account managers see the customers on whose team they currently hold any role, read through the
          reverse relation of their team roles, so the ground floor never names the team model; and where such a
          customer is on a national or provincial list, every branch of its group below it (`group_reach`,
          issue 21): the group's account team sees its branches in every territory;
        - partner staff see the customers given to their company while it works (active, under contract): by a plan
          of a campaign in force, or by an assignment in force (`partner_customer_ids`).

        A customer outside this set does not exist for the caller: callers look objects up *in* this queryset,
        so an outsider gets 404, never 403.
        """
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        if user.is_partner_staff:
            plans, assignments = partner_customer_ids(user)
            return self.filter(Q(pk__in=plans) | Q(pk__in=assignments))
        if user.sees_own_customers_only:
            return self.filter(pk__in=group_reach(user.team_roles.active().values("customer_id")))
        path = territory_path(user)
        if path is None:
            return self.none()
        return self.filter(region__path__startswith=path)

    def restrict(
        self, rows: QuerySet[_Row], user: User | AnonymousUser, *, field: str = "customer", region_field: str = ""
    ) -> QuerySet[_Row]:
        """`rows` (of a model with a foreign key `field` to the customer: opportunities, visits…) limited to those
        whose customer `visible_to` gives: the same rule, asked the way that stays cheap for a territory.

        An account manager's few customers drive the query. A territory's cannot: a city department has hundreds of
        thousands, and gathering them for each query scans the whole customer table. For provincial staff and
        department heads the rule is "the customer's region lies under `territory_path`", so each row's customer is
        looked up by key and its region checked against the territory's regions, listed first (one small query): an
        index probe per row. It is a scalar subquery on purpose: as `IN` or `EXISTS` the planner turns it back into
        a join with every customer of the territory. Rows that carry their customer's region, kept by the database
        (`region_field`: an opportunity's), are checked by it, without looking up their customer. Headquarters see
        every customer, hence every row. `tests/accounts/test_visibility_restrict.py` holds it to `visible_to` for
        every kind of reader.
        """
        if not user.is_authenticated or user.sees_own_customers_only:
            return rows.filter(**{f"{field}__in": self.visible_to(user)})
        if user.sees_everything:
            return rows
        path = territory_path(user)
        if path is None:
            return rows.none()
        regions = Region.objects.codes_under(path)
        if region_field:
            return rows.filter(**{f"{region_field}__in": regions})
        in_territory = self.filter(pk=OuterRef(f"{field}_id"), region__in=regions).order_by().values("pk")
        return rows.filter(IsNull(Subquery(in_territory), False))


# The list levels (清单级别) above the city's: a customer on one, with its whole group below it, is owned by an account
# team at that level (issue 21), whose members see every branch of it wherever it lies.
GROUP_LIST_LEVELS = ("national", "provincial")


def group_reach(seed: QuerySet) -> RawSQL:
    """The ids of the customers `seed` (a queryset of customer ids: the ones a user holds team roles on) reaches: the
    customers themselves and, below each one on a national or provincial list, every branch of its group, at any
    depth (issue 21).

    A recursive query walks down from the seed by `customer_parent_idx`, one index probe per branch: a group is
    found where it is kept, by its branches' `parent`, and nothing else is stored — no root or path column that an
    import or a move of a branch would have to rewrite, no index more on the customers table. It is one subquery,
    so `pk IN (…)` stays a semi-join driven by the user's few customers. `UNION` keeps it finite even over a cycle,
    which the services refuse anyway.
    """
    seed_sql, params = seed.query.sql_with_params()
    table = Customer._meta.db_table
    levels = ", ".join(f"'{level}'" for level in GROUP_LIST_LEVELS)
    return RawSQL(
        f"WITH RECURSIVE reach(id, down) AS ("
        f"SELECT c.id, CASE WHEN c.list_level IN ({levels}) THEN 1 ELSE 0 END FROM {table} c "
        f"WHERE c.id IN ({seed_sql}) "
        f"UNION SELECT b.id, 1 FROM reach r {branches_of('r')} WHERE r.down = 1"
        f") SELECT id FROM reach",
        params,
    )


def branches_of(alias: str) -> str:
    """The join of a recursive walk's step to the direct branches of its rows (`alias`), as `b`: every walk down a
    group takes its step through here (the visibility rule's, the roll-up's, the tiers' group totals). On PostgreSQL a
    lateral subquery behind `OFFSET 0`, so that each row's branches are read by `customer_parent_idx`: as a plain
    join the planner, which guesses a recursive walk's size at ten times its start, hashes the whole customers
    table instead when most customers are branches (1.3 s against 0.4 ms for a group of 200 at a million
    customers). SQLite always walks the index."""
    table = Customer._meta.db_table
    if connection.vendor == "postgresql":
        return f"CROSS JOIN LATERAL (SELECT c.id FROM {table} c WHERE c.parent_id = {alias}.id OFFSET 0) b"
    return f"INNER JOIN {table} b ON b.parent_id = {alias}.id"


def group_branches(customer_id: int) -> RawSQL:
    """The ids of every branch below a customer, at any depth (not the customer itself): a group's roll-up."""
    return RawSQL(*_group_branches_sql(customer_id))


def _group_branches_sql(customer_id: int) -> tuple[str, tuple[int]]:
    table = Customer._meta.db_table
    return (
        f"WITH RECURSIVE branch(id) AS (SELECT b.id FROM {table} b WHERE b.parent_id = %s "
        f"UNION SELECT b.id FROM branch r {branches_of('r')}) SELECT id FROM branch",
        (customer_id,),
    )


def group_branch_ids(customer_id: int) -> list[int]:
    """The ids of every branch below a customer, at any depth, read on their own: a few hundred index probes. Given
    to a query as a list, they drive it by the primary key, whatever the visibility rule's own subquery
    (`group_reach`) beside them makes the planner guess."""
    sql, params = _group_branches_sql(customer_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def group_line(parent_id: int | None) -> list[tuple[int, str, int | None]]:
    """A customer's parent and every customer above it, nearest first, as (id, list_level, parent_id): what decides
    who manages a branch, and whether a new parent would make a cycle. Stops at a customer met twice."""
    if parent_id is None:
        return []
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE up(id, list_level, parent_id, depth) AS ("
            f"SELECT c.id, c.list_level, c.parent_id, 0 FROM {table} c WHERE c.id = %s "
            f"UNION SELECT c.id, c.list_level, c.parent_id, up.depth + 1 FROM {table} c "
            f"INNER JOIN up ON c.id = up.parent_id WHERE up.depth < %s"
            f") SELECT id, list_level, parent_id FROM up ORDER BY depth",
            (parent_id, GROUP_DEPTH_LIMIT),
        )
        rows = cursor.fetchall()
    line, met = [], set()
    for row in rows:
        if row[0] in met:
            break
        met.add(row[0])
        line.append((row[0], row[1], row[2]))
    return line


def group_lines(customers: QuerySet) -> dict[int, list[tuple[int, str, int | None]]]:
    """`group_line` for the parents of many customers at once (`customers`, a queryset of them), in one walk up by
    the primary key: each parent's id → its line, nearest first, stopped at a customer met twice."""
    seed, params = customers.order_by().filter(parent__isnull=False).values("parent_id").query.sql_with_params()
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE up(origin, id, list_level, parent_id, depth) AS ("
            f"SELECT c.id, c.id, c.list_level, c.parent_id, 0 FROM {table} c WHERE c.id IN ({seed}) "
            f"UNION SELECT up.origin, c.id, c.list_level, c.parent_id, up.depth + 1 FROM {table} c "
            f"INNER JOIN up ON c.id = up.parent_id WHERE up.depth < %s"
            f") SELECT origin, id, list_level, parent_id FROM up ORDER BY origin, depth",
            (*params, GROUP_DEPTH_LIMIT),
        )
        rows = cursor.fetchall()
    lines: dict[int, list[tuple[int, str, int | None]]] = {}
    met: dict[int, set[int]] = {}
    stopped: set[int] = set()
    for origin, pk, level, parent_id in rows:
        if origin in stopped:
            continue
        if pk in met.setdefault(origin, set()):
            stopped.add(origin)
            continue
        met[origin].add(pk)
        lines.setdefault(origin, []).append((pk, level, parent_id))
    return lines


def list_governance_read(customers: list[Customer]) -> None:
    """Read the list governance (`Customer.list_governance`) of many customers in one walk up their groups
    (`group_lines`), kept on each instance: a check over a set asks no query a customer."""
    if not customers:
        return
    lines = group_lines(Customer.objects.filter(pk__in=[customer.pk for customer in customers]))
    for customer in customers:
        customer.governance_from(lines.get(customer.parent_id, []) if customer.parent_id is not None else [])


# How far up a customer's group line is walked: far beyond any real group (headquarters, province, city, county), and
# a bound on the walk should the data ever hold a cycle.
GROUP_DEPTH_LIMIT = 20


def partner_customer_ids(user: User) -> tuple[QuerySet, QuerySet]:
    """The ids of the customers given to a partner user's company, as two subqueries: by the plans given to it in
    campaigns in force, by its assignments in force; empty unless the company works today (`Partner.working`). Read
    through the reverse relations the floors above declare on the partner (campaigns' plans, partners'
    assignments), so customers import neither."""
    working = Partner.objects.working().filter(pk=user.partner_id)
    plans = Partner._meta.get_field("plans").related_model.objects.in_force()
    assignments = Partner._meta.get_field("assignments").related_model.objects.active()
    return (
        plans.filter(partner__in=working).values("customer_id"),
        assignments.filter(partner__in=working).values("customer_id"),
    )


def team_roles() -> TeamRoles:
    """Every team role of every customer (SPEC §5.1), reached through the reverse relation `Customer.team_roles`
    that the teams app (a floor up) declares: what profile completeness and the manager filter ask of the team,
    without customers importing teams."""
    return Customer._meta.get_field("team_roles").related_model.objects.all()


class Customer(models.Model):
    """A group customer (集团客户). Its tier is computed by the tiering rules, never typed in."""

    code = models.CharField(_("customer code"), max_length=32, unique=True, validators=[validate_customer_code])
    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, null=True, blank=True, unique=True, validators=[validate_uscc]
    )
    # Indexed in Meta, not by db_index: a foreign key to a text key would also get a `LIKE` index nobody uses.
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    region = models.ForeignKey(
        "crm.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    # The position visits are checked against (外勤签到), in WGS-84 degrees as phones report them; no index: no query
    # looks customers up by position, and recomputes keep rewriting rows without touching an index.
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    # A default in the database too: the imports and the demo write customers by SQL that names no location.
    location_source = models.CharField(
        _("location source"), max_length=10, choices=LocationSource.choices, blank=True, default="", db_default=""
    )
    location_confirmed_by = models.ForeignKey(
        "crm.User",
        verbose_name=_("location confirmed by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    location_confirmed_at = models.DateTimeField(_("location confirmed at"), null=True, blank=True, editable=False)
    list_level = models.CharField(_("list level"), max_length=10, choices=ListLevel.choices, default=ListLevel.CITY)
    # The group headquarters this customer is a branch of (issue 21); indexed in Meta where set, so the many
    # customers that belong to no group cost the index nothing.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        db_index=False,
    )
    handset_count = models.PositiveIntegerField(_("handset count"), default=0)
    employee_count = models.PositiveIntegerField(_("employee count"), default=0)
    monthly_spend = models.DecimalField(
        _("monthly spend (CNY)"), max_digits=14, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    informatization_revenue = models.DecimalField(
        _("informatization revenue (CNY/month)"),
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
    )
    is_tax_top500 = models.BooleanField(_("top 500 taxpayer of the province"), default=False)
    is_major_influence = models.BooleanField(_("major social influence"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE)
    # NULL, not "": prospects and churned customers have no tier at all (SPEC §4.1).
    tier = models.CharField(  # noqa: DJ001
        _("tier"), max_length=2, choices=Tier.choices, null=True, blank=True, editable=False
    )
    # What the rules give; `tier` differs from it only while a manual override (人工调级) is in force.
    computed_tier = models.CharField(  # noqa: DJ001
        _("computed tier"), max_length=2, choices=Tier.choices, null=True, blank=True, editable=False
    )
    tier_reasons = models.JSONField(_("tier reasons"), default=list, blank=True, editable=False)
    # No index on tier, computed tier or rule set: then a recompute rewrites a row without touching any index
    # (a heap-only update), which is what makes the nightly run cheap at a million customers. Lists filter by
    # tier within a territory and read the other indexes.
    tier_rule_set = models.ForeignKey(
        "tiering.RuleSet",
        verbose_name=_("tier rule set"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer (集团客户)")
        verbose_name_plural = _("customers (集团客户)")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(fields=["status"], name="customer_status_idx"),
            # A territory's customers in code order, read region by region (`crm.paginator`), and a region's, from
            # the index alone (its key included: read in code order from the heap, a region's rows are far apart,
            # and the planner sorts them instead); with the tier, a territory's customers of a tier are counted from
            # it (凉山's tier A at a million customers: 5 ms, where the table was read whole in 150 ms); with the
            # name, a territory's customers searched for a common word of two are found in it (凉山's 2 995 of
            # 37 735 named 科技: 65 → 33 ms, the heap's 14 558 pages not read; the index 48 → 89 MB a million).
            models.Index(
                fields=["region", "code"], include=["tier", "id", "name"], name="customer_region_code_tier_idx"
            ),
            models.Index(fields=["industry"], name="customer_industry_idx"),
            models.Index(fields=["-updated_at"], name="customer_updated_idx"),
            # The list page sorts by these.
            models.Index(fields=["handset_count"], name="customer_handsets_idx"),
            models.Index(fields=["monthly_spend"], name="customer_spend_idx"),
            # The year's new customers of the whole country (issue 21: new-customer targets as headquarters reads
            # them, `selectors.filed_in_year`): a range read in order of filing, a few percent of the table; with the
            # region, counted per region from the index alone (`prospects.selectors.new_customer_counts`). And an
            # import's new customers (filed at its one moment, `imports.extensions.ImportedFilter`), in code order.
            models.Index(fields=["created_at", "code"], include=["region"], name="customer_created_idx"),
            # A territory's new customers of the year: its regions' years only, from the index alone, where the
            # filing date's index reads every region's year, which grows with the table (成都's targets at three
            # provinces read 600 000 entries for 64 000 customers: 68 ms, by this one 32 ms; a grid's 3 136 of them
            # 36-44 ms, by this one 4 ms). 13 MB a million customers.
            models.Index(fields=["region", "created_at"], name="customer_region_filed_idx"),
            # A group's branches (issue 21): only customers that have a parent are in it.
            models.Index(fields=["parent"], name="customer_parent_idx", condition=models.Q(parent__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(monthly_spend__gte=0), name="customer_monthly_spend_gte_0"),
            models.CheckConstraint(
                condition=models.Q(informatization_revenue__gte=0), name="customer_informatization_gte_0"
            ),
            models.CheckConstraint(
                condition=position_whole_and_in_range("latitude", "longitude"),
                name="customer_location_whole_and_in_range",
                violation_error_message=_("A location has both a latitude (−90 to 90) and a longitude (−180 to 180)."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs) -> None:
        """Saves, and keeps the status history (StatusPeriod) in step with every change of status, wherever it
        is made (services, admin, commands): the stability KPI reads the status a customer had on a past day."""
        with transaction.atomic():
            super().save(*args, **kwargs)
            if self.status != getattr(self, "_saved_status", None):
                StatusPeriod.record(customer_id=self.pk, status=self.status)
                self._saved_status = self.status

    @classmethod
    def from_db(cls, db, field_names, values):
        customer = super().from_db(db, field_names, values)
        customer._saved_status = customer.__dict__.get("status")
        return customer

    def profile_facts(self) -> ProfileFacts:
        """Uses the annotations of `accounts.selectors.with_profile_facts` when present, else asks the database."""
        has_key_person_mobile = getattr(self, "has_key_person_mobile", None)
        if has_key_person_mobile is None:
            has_key_person_mobile = self.key_persons.exclude(mobile="").exists()
        has_customer_manager = getattr(self, "has_customer_manager", None)
        if has_customer_manager is None:
            has_customer_manager = self.team_roles.active().filter(role=TeamRoleKind.CUSTOMER_MANAGER).exists()
        return ProfileFacts(
            uscc=self.uscc,
            industry_code=self.industry_id,
            region_level=self.region.level,
            address=self.address,
            has_key_person_mobile=has_key_person_mobile,
            handset_count=self.handset_count,
            has_customer_manager=has_customer_manager,
        )

    def clean(self) -> None:
        super().clean()
        if self.parent_id is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": _("Parent group: a customer cannot be its own parent.")})
        if self.parent_id is not None and self.pk is not None:
            line = group_line(self.parent_id)
            if any(pk == self.pk for pk, _level, _parent in line):
                raise ValidationError(
                    {
                        "parent": _(
                            "Parent group: %(code)s cannot be the parent of this customer, which is itself above it "
                            "in the group (a cycle)."
                        )
                        % {"code": self.parent.code}
                    }
                )

    def list_governance(self) -> tuple[str, list[int]]:
        """Which list level governs the customer and who owns it there (issue 21): the highest list level of the
        customer and of every customer above it in its group, and the ids of those of them on a national or
        provincial list, whose account teams manage it (`crm.permissions.manages_by_list_level`). Read for the
        parent it has now, so a parent just given counts; kept on the instance for that parent."""
        cached = getattr(self, "_list_governance", None)
        if cached is not None and cached[0] == (self.parent_id, self.list_level):
            return cached[1]
        return self.governance_from(group_line(self.parent_id))

    def governance_from(self, above: list[tuple[int, str, int | None]]) -> tuple[str, list[int]]:
        """`list_governance` from the customer's group line read already (`group_line`, `list_governance_read`)."""
        line = [(self.pk, self.list_level), *((pk, level) for pk, level, _parent in above)]
        listed = [pk for pk, level in line if level in GROUP_LIST_LEVELS and pk is not None]
        levels = {level for _pk, level in line}
        governing = next((level for level in ListLevel.values if level in levels), ListLevel.CITY)
        self._list_governance = ((self.parent_id, self.list_level), (governing, listed))
        return governing, listed

    @property
    def location(self) -> tuple[float, float] | None:
        """The position visits are checked against: an imported one, or one set from a visit once confirmed."""
        if self.latitude is None or self.longitude is None:
            return None
        if self.location_source == LocationSource.VISIT and self.location_confirmed_at is None:
            return None
        return (self.latitude, self.longitude)

    @property
    def profile_missing(self) -> list[str]:
        return profile_missing(self.profile_facts())

    @property
    def profile_complete(self) -> bool:
        return not self.profile_missing

    @property
    def profile_missing_labels(self) -> list[str]:
        return [PROFILE_REQUIREMENTS[code] for code in self.profile_missing]


class KeyPerson(models.Model):
    """A key person (关键人) of the customer."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="key_persons"
    )
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("title"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[validate_mobile])
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("key person (关键人)")
        verbose_name_plural = _("key persons (关键人)")
        ordering = ["-is_decision_maker", "id"]
        constraints = [
            # Imports find a key person by customer and mobile (SPEC §8.4): at most one per number and customer.
            models.UniqueConstraint(
                fields=["customer", "mobile"], condition=~Q(mobile=""), name="key_person_unique_mobile_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VipLevel(models.TextChoices):
    DIAMOND = "diamond", _("Diamond")
    GOLD = "gold", _("Gold")
    SILVER = "silver", _("Silver")


class GroupMember(models.Model):
    """A person of the customer with a mobile number (集团成员)."""

    # No index of its own: the unique (customer, mobile) below leads with it (ten million rows carry one index less).
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="members", db_index=False
    )
    name = models.CharField(_("name"), max_length=50)
    mobile = models.CharField(_("mobile"), max_length=11, validators=[validate_mobile])
    on_net = models.BooleanField(_("on our network"), default=False)
    verified = models.BooleanField(_("verified"), default=False)
    arpu = models.DecimalField(
        _("ARPU (CNY/month)"), max_digits=10, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    # NULL, not "": "no VIP level" is `null` in the API contract (SPEC §4.3).
    vip_level = models.CharField(  # noqa: DJ001
        _("VIP level"), max_length=10, choices=VipLevel.choices, null=True, blank=True, editable=False
    )
    # The day a replacing import no longer listed the member (离网/离职): kept, not deleted, so history stays.
    left_on = models.DateField(_("left on"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("group member (集团成员)")
        verbose_name_plural = _("group members (集团成员)")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "mobile"], name="member_unique_mobile_per_customer"),
            models.CheckConstraint(condition=models.Q(arpu__gte=0), name="member_arpu_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.mobile}"


class BillingPeriod(models.Model):
    """A customer's bill of one month from the billing system (SPEC §8.4): the latest month is what the customer's
    `monthly_spend` and `informatization_revenue` say."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="billing_periods"
    )
    period = models.DateField(_("month"), help_text=_("The first day of the month billed."))
    monthly_spend = models.DecimalField(
        _("monthly spend (CNY)"), max_digits=14, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    informatization_revenue = models.DecimalField(
        _("informatization revenue (CNY/month)"),
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
    )
    arrears_amount = models.DecimalField(
        _("arrears (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        db_default=ZERO,  # the seeding and older extracts write billing months by SQL that names no arrears
        validators=[MinValueValidator(ZERO)],
    )
    arrears_since = models.DateField(_("in arrears since"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("billing month")
        verbose_name_plural = _("billing months")
        ordering = ["customer_id", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "period"], name="billing_one_per_customer_month"),
            models.CheckConstraint(condition=Q(monthly_spend__gte=0), name="billing_spend_gte_0"),
            models.CheckConstraint(condition=Q(informatization_revenue__gte=0), name="billing_informatization_gte_0"),
            models.CheckConstraint(condition=Q(arrears_amount__gte=0), name="billing_arrears_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.period:%Y-%m}"


class StatusPeriod(models.Model):
    """A customer's status over [starts_on, ends_on): the history the stability KPI reads (SPEC §7).

    A status is what the customer had at the end of each day of the period; a change ends the open period that
    day and starts the next. The periods of one customer never overlap and only the latest is open.
    """

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="status_periods"
    )
    status = models.CharField(_("status"), max_length=10, choices=CustomerStatus.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("status period")
        verbose_name_plural = _("status periods")
        ordering = ["customer_id", "starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(ends_on__isnull=True), name="status_period_one_open_per_customer"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="status_period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.status} {self.starts_on}–{self.ends_on or ''}"

    @classmethod
    def record(cls, *, customer_id: int, status: str, on: datetime.date | None = None) -> None:
        """The customer has `status` from `on` (today) onwards. A second change on the same day replaces the
        first: a period is at least a day long, and a change undone the same day leaves no trace."""
        on = on or timezone.localdate()
        current = cls.objects.select_for_update().filter(customer_id=customer_id, ends_on__isnull=True).first()
        if current is not None and current.status == status:
            return
        if current is not None and current.starts_on >= on:
            previous = cls.objects.filter(customer_id=customer_id, ends_on=current.starts_on).first()
            if previous is not None and previous.status == status:
                current.delete()
                previous.ends_on = None
                previous.save(update_fields=["ends_on"])
            else:
                current.status = status
                current.save(update_fields=["status"])
            return
        if current is not None:
            current.ends_on = on
            current.save(update_fields=["ends_on"])
        cls.objects.create(customer_id=customer_id, status=status, starts_on=on)
