"""The do-not-call list (营销黑名单) and outbound call lists with their entries and calls (SPEC §6.3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_mobile

from .campaigns import Campaign
from .channels import channel_field


class DoNotCall(models.Model):
    """A number that asked not to be called (营销黑名单): never on a call list (SPEC §6.3). Removal needs
    provincial staff."""

    mobile = models.CharField(_("mobile"), max_length=11, unique=True, validators=[validate_mobile])
    reason = models.CharField(_("reason"), max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("do-not-call number (营销黑名单)")
        verbose_name_plural = _("do-not-call list (营销黑名单)")
        ordering = ["-added_at", "-id"]

    def __str__(self) -> str:
        return self.mobile


class CallSource(models.TextChoices):
    KEY_PERSONS = "key_persons", _("Key persons")
    MEMBERS = "members", _("Group members")
    ALL = "all", _("Key persons and group members")


class CallOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    NO_ANSWER = "no_answer", _("No answer")
    CALL_BACK = "call_back", _("Call back")
    DO_NOT_CALL = "do_not_call", _("Do not call")


# Outcomes after which an entry is not called again in the campaign.
FINAL_OUTCOMES = (CallOutcome.ACCEPTED, CallOutcome.DECLINED, CallOutcome.DO_NOT_CALL)
# Nobody is tried more often than this in one campaign (SPEC §6.3).
MAX_ATTEMPTS = 7


class CallMode(models.TextChoices):
    """How a list is called (issue 20): by agents one number at a time, or broadcast by a dialer platform whose
    results come back as a file."""

    MANUAL = "manual", _("Manual (agents call)")
    AUTO = "auto", _("Automatic (dialer broadcast)")


class CallList(models.Model):
    """An outbound call list (外呼清单) of a campaign, worked by one agent (SPEC §6.3); open until closed."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="call_lists"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="call_lists"
    )
    source = models.CharField(_("called"), max_length=20, choices=CallSource.choices, default=CallSource.ALL)
    mode = models.CharField(
        _("mode"), max_length=10, choices=CallMode.choices, default=CallMode.MANUAL, db_default=CallMode.MANUAL
    )
    channel = channel_field()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("built by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("built at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("call list (外呼清单)")
        verbose_name_plural = _("call lists (外呼清单)")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CallEntry(models.Model):
    """One number to ring on a call list: a key person or group member of one of the campaign's customers."""

    call_list = models.ForeignKey(
        CallList, verbose_name=_("call list"), on_delete=models.CASCADE, related_name="entries"
    )
    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    mobile = models.CharField(_("mobile"), max_length=11, validators=[validate_mobile])
    attempts = models.PositiveSmallIntegerField(_("attempts in the campaign"), default=0)
    # The agent of the 10000 desk's pool who calls this number (issue 20); nobody: the list's agent.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_call_entries",
    )
    last_outcome = models.CharField(_("last outcome"), max_length=20, choices=CallOutcome.choices, blank=True)
    last_called_at = models.DateTimeField(_("last called at"), null=True, blank=True)
    # The moment the customer asked to be called again, while the last outcome is `call_back`, and its day in
    # Asia/Shanghai (kept for the day's lists: the call-backs due, the workbench, the morning digest).
    call_back_on = models.DateField(_("call back on"), null=True, blank=True)
    call_back_at = models.DateTimeField(_("call back at"), null=True, blank=True)

    class Meta:
        verbose_name = _("call list entry")
        verbose_name_plural = _("call list entries")
        ordering = ["call_list_id", "id"]
        indexes = [
            models.Index(fields=["mobile"], name="call_entry_mobile_idx"),
            models.Index(
                fields=["call_back_on"], condition=Q(call_back_on__isnull=False), name="call_entry_call_back_idx"
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["call_list", "mobile"], name="call_entry_one_per_list_mobile")]

    def __str__(self) -> str:
        return f"{self.name} {self.mobile}"

    @property
    def is_done(self) -> bool:
        return self.last_outcome in FINAL_OUTCOMES or self.attempts >= MAX_ATTEMPTS

    @property
    def calling_agent_id(self) -> int:
        """Who calls this number: the pool agent it is assigned to, else the list's agent."""
        return self.assigned_to_id or self.call_list.agent_id


class LeftOutReason(models.TextChoices):
    """Why a build left a number off its call list (issue 20), in the order the build asks."""

    DO_NOT_CALL = "do_not_call", _("On the do-not-call list")
    DONE_IN_CAMPAIGN = "done_in_campaign", _("Done in the campaign (accepted, declined or do not call)")
    TRIED_IN_CAMPAIGN = "tried_in_campaign", _("Tried 7 times in the campaign")
    ON_OPEN_LIST = "on_open_list", _("On another open list of the campaign")
    TOUCH_LIMIT = "touch_limit", _("Called the most times allowed across all campaigns (seven-touch rule)")


class CallLeftOut(models.Model):
    """A number a build left off its call list, and why: the explanation of the build, kept as it was then."""

    call_list = models.ForeignKey(
        CallList, verbose_name=_("call list"), on_delete=models.CASCADE, related_name="left_out"
    )
    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    mobile = models.CharField(_("mobile"), max_length=11)
    reason = models.CharField(_("reason"), max_length=20, choices=LeftOutReason.choices)

    class Meta:
        verbose_name = _("number left out of a call list")
        verbose_name_plural = _("numbers left out of call lists")
        ordering = ["call_list_id", "id"]
        indexes = [models.Index(fields=["call_list", "reason"], name="call_left_out_list_reason_idx")]

    def __str__(self) -> str:
        return f"{self.mobile} {self.reason}"


class CallAttempt(models.Model):
    """One call made: by which agent, when, to which number in which campaign, and its outcome. Kept when the
    entry is removed (a `do_not_call` removes the number from every open list), so reports and the 7-attempt
    count stay whole."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(
        CallEntry, verbose_name=_("entry"), null=True, on_delete=models.SET_NULL, related_name="calls"
    )
    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    mobile = models.CharField(_("mobile"), max_length=11)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="calls"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    call_back_on = models.DateField(
        _("call back on"), null=True, blank=True, help_text=_("The day agreed to call again (outcome: call back).")
    )
    call_back_at = models.DateTimeField(
        _("call back at"), null=True, blank=True, help_text=_("The time agreed to call again (outcome: call back).")
    )
    channel = channel_field()
    called_at = models.DateTimeField(_("called at"), auto_now_add=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-called_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "mobile"], name="call_campaign_mobile_idx"),
            models.Index(fields=["campaign", "agent", "called_at"], name="call_campaign_agent_day_idx"),
            # a number's calls across every campaign, newest last: the seven-touch rule
            models.Index(fields=["mobile", "called_at"], name="call_mobile_touch_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(call_back_on__isnull=True) | Q(outcome="call_back"), name="call_back_on_only_to_call_back"
            ),
            models.CheckConstraint(
                condition=Q(call_back_at__isnull=True) | Q(outcome="call_back"), name="call_back_at_only_to_call_back"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mobile} {self.outcome}"
