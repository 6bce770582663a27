"""Channels (渠道): the ways a sale or a contact reaches a customer — the account managers (直销), the 10000 hotline,
community managers, halls, electronic channels and partners (issue 20). Data, not choices: a table of six rows that
the migration seeds, each with its Chinese name, read by `GET /api/v1/channels/`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

DIRECT = "direct"
HOTLINE = "hotline_10000"
PARTNER = "partner"
# (code, Chinese name, English name, order): what the migration seeds.
CHANNELS = (
    (DIRECT, "直销（客户经理）", "Direct (account managers)", 1),
    (HOTLINE, "10000号", "10000 hotline", 2),
    ("community", "社区经理", "Community managers", 3),
    ("hall", "营业厅", "Halls", 4),
    ("electronic", "电子渠道", "Electronic channels", 5),
    (PARTNER, "合作伙伴", "Partners", 6),
)


class Channel(models.Model):
    """A channel a plan, an activity, an opportunity, a call or a holding came through."""

    code = models.CharField(_("code"), max_length=20, primary_key=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    name_en = models.CharField(_("English name"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("channel (渠道)")
        verbose_name_plural = _("channels (渠道)")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the reader's language: Chinese by default, English when that is the language in use."""
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name


def channel_field(default: str = DIRECT, **extra) -> models.ForeignKey:
    """The channel a record came through, the direct sale unless it says otherwise."""
    return models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        related_name="+",
        default=default,
        db_default=default,
        **extra,
    )


class Attribution(models.TextChoices):
    """Who is credited with a sale that several channels worked (issue 20): the first to touch the customer and
    product before it, or the last."""

    FIRST_TOUCH = "first_touch", _("First touch")
    LAST_TOUCH = "last_touch", _("Last touch")


# Without a policy of its own, a province credits the last touch and looks back 30 days for a withdrawn sale.
DEFAULT_ATTRIBUTION = Attribution.LAST_TOUCH
DEFAULT_WITHDRAWAL_DAYS = 30


class ChannelPolicy(models.Model):
    """A province's rules of channels (issue 20): who is credited with a sale (first or last touch), and within how
    many days a sale withdrawn after another channel's is flagged as a conflict (强行撤单)."""

    province = models.OneToOneField(
        "crm.Region",
        verbose_name=_("province"),
        on_delete=models.CASCADE,
        related_name="channel_policy",
        limit_choices_to={"level": "province"},
    )
    attribution = models.CharField(
        _("sale credited to"), max_length=12, choices=Attribution.choices, default=DEFAULT_ATTRIBUTION
    )
    withdrawal_days = models.PositiveSmallIntegerField(
        _("withdrawal window (days)"),
        default=DEFAULT_WITHDRAWAL_DAYS,
        help_text=_("A sale withdrawn within this many days of another channel's sale is a channel conflict."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("channel policy")
        verbose_name_plural = _("channel policies")

    def __str__(self) -> str:
        return f"{self.province_id} {self.attribution}"
