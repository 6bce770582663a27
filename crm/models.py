"""Territory and staff: the parts every app needs (SPEC §2)."""

from __future__ import annotations

from typing import ClassVar, Self
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import validate_uscc


class RegionLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    GRID = "grid", _("Grid")


# Depth of each level in the tree; a child is always exactly one level below its parent.
LEVEL_DEPTH = {
    RegionLevel.NATIONAL: 0,
    RegionLevel.PROVINCE: 1,
    RegionLevel.CITY: 2,
    RegionLevel.COUNTY: 3,
    RegionLevel.GRID: 4,
}

region_code_validator = RegexValidator(
    r"^[0-9]{6}(-G[0-9]{2,3})?$",
    _("A region code is a 6-digit GB/T 2260 division code, or a county code followed by -G and a grid number."),
)


class RegionQuerySet(models.QuerySet["Region"]):
    def subtree(self, region: Region) -> Self:
        """The region itself and everything below it."""
        return self.filter(path__startswith=region.path)

    def codes_under(self, path: str) -> list[str]:
        """The codes of the regions under a territory's `path` (the region at its top included)."""
        return list(self.filter(path__startswith=path).order_by().values_list("code", flat=True))


# A province's path, "000000/510000/": the national root's code and the province's, six digits each (GB/T 2260).
PROVINCE_PATH_LENGTH = len("000000/510000/")


class Region(models.Model):
    """A node of the territory tree, keyed by its official division code (GB/T 2260)."""

    code = models.CharField(_("code"), max_length=16, primary_key=True, validators=[region_code_validator])
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path "000000/510000/510100/" so that a subtree is one indexed prefix match.
    path = models.CharField(_("path"), max_length=200, editable=False, db_index=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region (区域)")
        verbose_name_plural = _("regions (区域)")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs) -> None:
        old_path = self.path
        self.path = self.build_path(self.code, self.parent.path if self.parent_id else None)
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                # Moving a region moves its whole subtree: every descendant's path starts anew.
                Region.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(self.path), Substr("path", len(old_path) + 1))
                )

    @staticmethod
    def build_path(code: str, parent_path: str | None) -> str:
        return f"{parent_path or ''}{code}/"

    def clean(self) -> None:
        if self.level == RegionLevel.NATIONAL:
            if self.parent_id:
                raise ValidationError({"parent": _("The national root has no parent.")})
            return
        if self.parent is None:
            raise ValidationError({"parent": _("Every region below the national root needs a parent.")})
        if LEVEL_DEPTH[self.level] != LEVEL_DEPTH[self.parent.level] + 1:
            raise ValidationError({"level": _("A region must be exactly one level below its parent.")})

    @property
    def depth(self) -> int:
        return LEVEL_DEPTH[self.level]

    def ancestor_codes(self) -> list[str]:
        return [code for code in self.path.split("/") if code]

    def is_within(self, other: Region) -> bool:
        return self.path.startswith(other.path)


def webhook_url_validator(value: str) -> None:
    """A robot's webhook is an http(s) address with a host. Not Django's URL validator: the operators' intranet
    deployments of both robots are reached by names without a top-level domain (http://wecom-gw:8080/...)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(
            _("Robot webhook URL: only http:// and https:// addresses are accepted, not “%(value)s”."),
            code="scheme",
            params={"value": value[:100]},
        )
    if not parts.hostname or any(character.isspace() for character in value):
        raise ValidationError(
            _("Robot webhook URL: “%(value)s” is not a web address (http(s)://host/path)."),
            code="invalid",
            params={"value": value[:100]},
        )


class RobotKind(models.TextChoices):
    """The group robots a department can post to, each with its own message format (`crm.notifications`)."""

    WECOM = "wecom", _("WeCom group robot (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk group robot (钉钉)")


# What a 钉钉 robot's signing secret (加签) begins with; the rest is what DingTalk generated, printable ASCII.
DINGTALK_SECRET_PREFIX = "SEC"


def robot_secret_validator(value: str) -> None:
    """A 钉钉 robot's signing secret as DingTalk shows it: `SEC` then letters and digits, no spaces. Checked here so
    that a secret pasted with a stray character is refused when it is set, not on every post ("sign not match")."""
    if not value.startswith(DINGTALK_SECRET_PREFIX):
        raise ValidationError(
            _(
                "Robot signing secret: a 钉钉 signing secret (加签) starts with SEC; copy it whole from the robot's "
                "settings."
            ),
            code="prefix",
        )
    if not all("!" <= character <= "~" for character in value):
        raise ValidationError(
            _("Robot signing secret: only letters, digits and ASCII signs, without spaces, as 钉钉 shows it."),
            code="characters",
        )


class Department(models.Model):
    """A 政企客户部 of a city or county."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="departments")
    head = models.ForeignKey(
        "crm.User",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    # The department's group robot (群机器人) that notifications and the daily digest are posted to, set by its head
    # (`crm.notifications.department_robot_set`); the intranet deployments of both vendors have their own hosts.
    robot_kind = models.CharField(_("robot kind"), max_length=10, choices=RobotKind.choices, blank=True)
    robot_webhook_url = models.CharField(
        _("robot webhook URL"), max_length=500, blank=True, validators=[webhook_url_validator]
    )
    # The signing secret of a 钉钉 robot created with 加签: each post then carries a timestamp and its HMAC. A
    # credential: never shown back, kept out of the audit trail (`crm.notifications.department_robot_set`).
    robot_secret = models.CharField(
        _("robot signing secret (加签密钥)"),
        max_length=200,
        blank=True,
        default="",
        db_default="",
        validators=[robot_secret_validator],
    )
    # The last answer that was not a success, kept until a post succeeds again, so that the head sees it.
    robot_failed_at = models.DateTimeField(_("last robot delivery failure at"), null=True, blank=True)
    robot_failure = models.CharField(_("last robot delivery failure"), max_length=500, blank=True)
    robot_delivered_at = models.DateTimeField(_("last robot delivery at"), null=True, blank=True)

    class Meta:
        verbose_name = _("department (政企客户部)")
        verbose_name_plural = _("departments (政企客户部)")
        ordering = ["region_id", "name"]
        constraints = [
            # 企业微信 robots do not sign: a secret belongs to a 钉钉 robot only.
            models.CheckConstraint(
                condition=models.Q(robot_secret="") | models.Q(robot_kind=RobotKind.DINGTALK),
                name="department_robot_secret_dingtalk_only",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.robot_secret and self.robot_kind != RobotKind.DINGTALK:
            raise ValidationError(
                {
                    "robot_secret": _(
                        "Robot signing secret: only a 钉钉 robot signs its messages (加签); 企业微信 robots take "
                        "none. Leave the secret empty, or choose 钉钉."
                    )
                }
            )


class PartnerKind(models.TextChoices):
    """What a partner company does for the operator (合作伙伴), and how it is paid (酬金): one or more of these."""

    SALES_AGENT = "sales_agent", _("Sales agent (营销代理商)")
    SERVICE_AGENT = "service_agent", _("Service agent (服务代理商)")
    SOLUTION_PROVIDER = "solution_provider", _("Solution provider (解决方案提供商)")


class PartnerStatus(models.TextChoices):
    ACTIVE = "active", _("Working with us")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Ended")


class PartnerQuerySet(models.QuerySet["Partner"]):
    def working(self, on=None) -> Self:
        """Partners whose staff work today: active, with a contract in force on the day (`on`, today by default)."""
        day = on or timezone.localdate()
        return self.filter(status=PartnerStatus.ACTIVE, contract_starts_on__lte=day, contract_ends_on__gte=day)


class Partner(models.Model):
    """A partner company (合作伙伴) that sells or serves for the operator in a territory: its kinds (one or more), its
    contract, its status. Its staff are users of the `partner` role (`User.partner`); the products it may sell and the
    customers it works are kept by the floors above (campaigns, partners), as their own relations to it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc])
    kinds = models.JSONField(
        _("kinds"), default=list, help_text=_("One or more of: sales_agent, service_agent, solution_provider.")
    )
    region = models.ForeignKey(Region, verbose_name=_("territory"), on_delete=models.PROTECT, related_name="partners")
    contract_starts_on = models.DateField(_("contract starts on"))
    contract_ends_on = models.DateField(_("contract ends on"))
    status = models.CharField(_("status"), max_length=10, choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner (合作伙伴)")
        verbose_name_plural = _("partners (合作伙伴)")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contract_ends_on__gte=F("contract_starts_on")),
                name="partner_contract_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        kinds = self.kinds if isinstance(self.kinds, list) else None
        if not kinds:
            errors["kinds"] = _("A partner has at least one kind: %(kinds)s.") % {
                "kinds": ", ".join(PartnerKind.values)
            }
        elif unknown := sorted({str(kind) for kind in kinds} - set(PartnerKind.values)):
            errors["kinds"] = _("Unknown partner kind %(kind)s; choose from: %(kinds)s.") % {
                "kind": ", ".join(unknown),
                "kinds": ", ".join(PartnerKind.values),
            }
        elif len(set(kinds)) != len(kinds):
            errors["kinds"] = _("Each kind is named once.")
        if self.contract_starts_on and self.contract_ends_on and self.contract_ends_on < self.contract_starts_on:
            errors["contract_ends_on"] = _("A contract cannot end before it starts.")
        if errors:
            raise ValidationError(errors)

    def has_kind(self, kind: str) -> bool:
        return kind in (self.kinds or [])


class Role(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    PROVINCIAL_STAFF = "provincial_staff", _("Provincial staff")
    HQ_ADMIN = "hq_admin", _("HQ administrator")
    PARTNER = "partner", _("Partner staff")
    GRID_MANAGER = "grid_manager", _("Grid manager")


class TeamRoleKind(models.TextChoices):
    """The roles staff hold on a customer's team (一客户四经理, SPEC §5.1); the teams app keeps who holds which."""

    CUSTOMER_MANAGER = "customer_manager", _("Customer manager")
    SERVICE_MANAGER = "service_manager", _("Service manager")
    PRODUCT_MANAGER = "product_manager", _("Product manager")
    NETWORK_MANAGER = "network_manager", _("Network manager")
    BILLING_MANAGER = "billing_manager", _("Billing manager")
    SECOND_MANAGER = "second_manager", _("Second manager")
    ASSISTANT = "assistant", _("Sales assistant")


class StaffQuerySet(models.QuerySet["User"]):
    """Staff by role: the one place besides the permissions module that reads what a role is."""

    def below_headquarters(self) -> Self:
        """Everyone but headquarters administrators: the staff a territory is worked with."""
        return self.exclude(role=Role.HQ_ADMIN)

    def account_managers(self) -> Self:
        return self.filter(role=Role.ACCOUNT_MANAGER)


# A subclass, not the bare `from_queryset` result: migrations import a manager by its class name.
class StaffManager(UserManager.from_queryset(StaffQuerySet)):  # type: ignore[misc]  # stubs: dynamic base class
    """Django's user manager (create_user, create_superuser) with the staff queries."""


class User(AbstractUser):
    """A member of staff: one role, one home region, at most one department."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.ACCOUNT_MANAGER)
    region = models.ForeignKey(
        Region, verbose_name=_("home region"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    # Staff of a partner company (role `partner`): they see only the customers given to their company.
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )

    objects = StaffManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("staff member (员工)")
        verbose_name_plural = _("staff (员工)")
        swappable = "AUTH_USER_MODEL"

    def save(self, *args, **kwargs) -> None:
        """Saves; a new password or a deactivation revokes every API token the user holds (django-rest-knox), as
        Django's session check ends their sessions."""
        revoke = self.pk is not None and (self._password is not None or not self.is_active)
        super().save(*args, **kwargs)
        if revoke:
            from knox.models import AuthToken

            AuthToken.objects.filter(user=self).delete()

    def clean(self) -> None:
        super().clean()
        if self.role != Role.HQ_ADMIN and not self.is_superuser and self.region_id is None:
            raise ValidationError({"region": _("Every member of staff below headquarters needs a home region.")})
        if self.role == Role.PARTNER and self.partner_id is None:
            raise ValidationError({"partner": _("Partner staff belong to a partner company: name it.")})
        if self.role != Role.PARTNER and self.partner_id is not None:
            raise ValidationError({"partner": _("Only partner staff belong to a partner company.")})

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or self.role == Role.HQ_ADMIN

    @property
    def sees_own_customers_only(self) -> bool:
        """Account managers see the customers on whose team they are, partner staff those given to their company:
        customers, not a territory (SPEC §2)."""
        return self.role in (Role.ACCOUNT_MANAGER, Role.PARTNER) and not self.sees_everything

    @property
    def is_partner_staff(self) -> bool:
        """Partner staff see the customers given to their company (plans, assignments), nothing else."""
        return self.role == Role.PARTNER and not self.sees_everything

    @property
    def heads_a_department(self) -> bool:
        """Department heads see their department's region and its staff."""
        return self.role == Role.DEPARTMENT_HEAD and not self.sees_everything

    @property
    def is_provincial_staff(self) -> bool:
        """Provincial staff see their province."""
        return self.role == Role.PROVINCIAL_STAFF and not self.sees_everything

    @property
    def display_name(self) -> str:
        # Chinese names read family name first, with no space: 张伟.
        return f"{self.last_name}{self.first_name}" or self.username


class UpdateStamped(models.Model):
    """A record kept by hand (a threshold, a target, a policy, a standard): when it was last changed and by whom,
    as its page and its admin show it. Abstract: every model keeps its own table, with these two columns."""

    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class JobStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ChunkedJobRun(models.Model):
    """The record of a job fanned out in chunks (the tier recompute, the KPI snapshots): who started it, how far
    it got, what went wrong, how it ended (`crm.services.job_chunk_failed`, `job_run_close`)."""

    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.RUNNING)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)

    # Each concrete run's own manager, declared for the type checker: an abstract model has none, yet
    # `crm.services.job_chunk_failed` reads the runs of whichever concrete model it is given.
    objects: ClassVar[models.Manager[Self]]

    class Meta:
        abstract = True
        ordering = ["-started_at"]


class JobChunk(models.Model):
    """A chunk of a run that is over (done or failed), written in the chunk's own transaction: a chunk delivered
    again (its worker died after committing, before acknowledging the message) finds itself here, and is neither
    done nor counted twice. The time of the last one tells the sweeper whether a run is still alive."""

    run_type = models.CharField(max_length=60)  # the run's model, "tiering.tierjobrun"
    run_id = models.BigIntegerField()
    first_id = models.BigIntegerField()
    finished_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run_type", "run_id", "first_id"], name="job_chunk_once")]

    def __str__(self) -> str:
        return f"{self.run_type} {self.run_id} from {self.first_id}"


class IdempotencyRecord(models.Model):
    """The answer a creating POST gave, under the Idempotency-Key its caller sent (`crm.idempotency`): a repeat
    with the same key gets that answer again and writes nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request = models.CharField(max_length=300)  # method and path
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the parsed body
    status = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.request} ({self.key})"


class AuditSource(models.TextChoices):
    """The channel a write came through (`crm.audit`)."""

    PAGE = "page", _("Page")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    IMPORT = "import", _("Import")
    JOB = "job", _("Job")
    COMMAND = "command", _("Command")


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Removed")
    EXPORT = "export", _("Exported")
    REVEAL = "reveal", _("Whole mobile number shown")
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    REFUSED = "refused", _("Refused")
    RUN = "run", _("Job run")


class AuditEntry(models.Model):
    """One line of the audit trail (SPEC §2, 等保 2.0): who did what to which object, when, through which channel,
    and each field's old and new value. Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE.

    The customer and the user are kept as plain values, not foreign keys: the trail is the ground floor's, it
    outlives what it speaks of, and an entry must never change when a customer or a user does."""

    at = models.DateTimeField(_("at"), default=timezone.now)
    user_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    username = models.CharField(_("user"), max_length=150, blank=True)
    source = models.CharField(_("channel"), max_length=10, choices=AuditSource.choices)
    action = models.CharField(_("action"), max_length=12, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)  # "accounts.customer"
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True)
    customer_code = models.CharField(_("customer code"), max_length=40, blank=True)
    # The territory the entry belongs to, for the audit page's scope: the customer's region path, else the user's.
    region_path = models.CharField(_("region path"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    detail = models.JSONField(_("detail"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        # Entries are numbered as they are written: newest first is by id, the primary key's own index.
        ordering = ["-id"]
        # Few indexes, as every write pays for each: a customer's history (and the last change of one of its
        # records, `crm.versions`); a province's newest entries, which its staff's audit list reads
        # (`crm.audit.visible_to`: read backwards by id alone, a quiet province's list skipped the other provinces'
        # newer entries one by one, 0.46 s at three provinces); on PostgreSQL a BRIN index for a time range
        # (migration 0008), tiny and near free to keep on an append-only table. The audit list's other filters read
        # the newest entries backwards by id.
        indexes = [
            models.Index(fields=["customer_id", "-id"], name="audit_customer_idx"),
            models.Index(Substr("region_path", 1, PROVINCE_PATH_LENGTH), F("id").desc(), name="audit_province_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_repr}"


class NotificationKind(models.TextChoices):
    """What a notification is about (issue 17, point 5)."""

    PLAN_ASSIGNED = "plan_assigned", _("Campaign plan assigned")
    CUSTOMER_ASSIGNED = "customer_assigned", _("Customer assigned")
    TEAM_ROLE_GIVEN = "team_role_given", _("Team role given")
    TEAM_ROLE_TAKEN = "team_role_taken", _("Team role taken")
    VISIT_OVERDUE = "visit_overdue", _("Visits due")
    CALL_BACK_DUE = "call_back_due", _("Call-back due")
    STAGE_IDLE = "stage_idle", _("Plan stage idle")
    OPPORTUNITY_IDLE = "opportunity_idle", _("Opportunity idle")
    OVERRIDE_EXPIRING = "override_expiring", _("Tier override expiring")
    OVERRIDE_DECIDED = "override_decided", _("Tier override decided")
    OVERRIDE_REQUESTED = "override_requested", _("Tier override requested")
    JOB_FINISHED = "job_finished", _("Job finished")
    JOB_FAILED = "job_failed", _("Job failed")
    IMPORT_FINISHED = "import_finished", _("Import finished")
    IMPORT_FAILED = "import_failed", _("Import failed")
    LEAD_ASSIGNED = "lead_assigned", _("Inbound lead")
    CALLS_DEALT = "calls_dealt", _("Call-list numbers dealt")
    ARREARS_CASE = "arrears_case", _("Arrears collection case")
    PROSPECT_RETURNED = "prospect_returned", _("Prospect returned to the pool")


class Notification(models.Model):
    """One message in a user's inbox (消息). Written by `crm.notifications.notify`, which also hands it to the
    channels the user chose (e-mail, the department's robot); the inbox row stays whatever a channel answers."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # the composite indexes below start with it
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)  # a path on this site, e.g. /customers/CD0001/
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The event it tells of ("plan:42:owner:7"): the same event is never notified twice to the same user.
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("notification (消息)")
        verbose_name_plural = _("notifications (消息)")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The unread count (recipient, read_at IS NULL) and the unread list, newest first, from one index.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_unread_idx"),
            # The whole inbox, newest first, for a user with thousands of messages.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_once_per_event",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.title}"

    @property
    def read(self) -> bool:
        return self.read_at is not None


def muted_kinds_validator(value: object) -> None:
    """A list of kinds of notification (`NotificationKind`), each once."""
    if not isinstance(value, list):
        raise ValidationError(_("Muted kinds: a list of kinds of notification is expected."), code="not_a_list")
    for kind in value:
        if kind not in NotificationKind.values:
            raise ValidationError(
                _("Muted kinds: “%(value)s” is not a kind of notification."),
                code="unknown_kind",  # not "invalid_choice": the field would put its own message in its place
                params={"value": str(kind)[:50]},
            )
    if len(set(value)) != len(value):
        raise ValidationError(_("Muted kinds: each kind only once."), code="duplicate")


class NotificationPreference(models.Model):
    """The channels a user chose besides the inbox, which always gets every notification. Without a row, the
    defaults below hold (`crm.notifications.preferences_of`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
        primary_key=True,
    )
    by_email = models.BooleanField(_("by e-mail"), default=False)
    by_robot = models.BooleanField(_("through the department's group robot"), default=False)
    # The kinds the user does not want by e-mail or robot (免打扰); they still reach the inbox. A list of
    # NotificationKind values (JSON: the project runs on SQLite too).
    muted_kinds = models.JSONField(
        _("kinds not sent by e-mail or robot"),
        default=list,
        db_default=models.Value([], models.JSONField()),
        blank=True,
        validators=[muted_kinds_validator],
    )

    class Meta:
        verbose_name = _("notification channels")
        verbose_name_plural = _("notification channels")

    def __str__(self) -> str:
        return f"{self.user_id}: e-mail {self.by_email}, robot {self.by_robot}"
