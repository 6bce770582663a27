"""factory_boy factories for the whole suite."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import Customer, GroupMember, KeyPerson
from accounts.validators import USCC_ALPHABET, uscc_check_character
from crm.models import Department, Region, Role, User
from teams.models import TeamRole

PASSWORD = "Secret#2026"


def make_uscc(serial: int, region_code: str = "510104") -> str:
    org = ""
    value = serial
    for _ in range(9):
        value, digit = divmod(value, 31)
        org = USCC_ALPHABET[digit] + org
    first17 = f"91{region_code[:6]}{org}"
    return first17 + uscc_check_character(first17)


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{520000 + n * 100}")
    name = factory.Sequence(lambda n: f"区域{n}")
    level = "county"


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"政企客户部{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.ACCOUNT_MANAGER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"GC{n:08d}")
    name = factory.Sequence(lambda n: f"测试客户{n}有限公司")
    uscc = factory.Sequence(lambda n: make_uscc(n + 1))
    industry_id = "C39"
    address = "成都市锦江区红星路1号"
    handset_count = 120
    employee_count = 150
    monthly_spend = Decimal("5000.00")
    status = "active"


class KeyPersonFactory(DjangoModelFactory):
    class Meta:
        model = KeyPerson

    name = factory.Sequence(lambda n: f"关键人{n}")
    title = "总经理"
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    is_decision_maker = True


class GroupMemberFactory(DjangoModelFactory):
    class Meta:
        model = GroupMember

    name = factory.Sequence(lambda n: f"成员{n}")
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
    arpu = Decimal("88.00")


class TeamRoleFactory(DjangoModelFactory):
    class Meta:
        model = TeamRole

    role = "customer_manager"


class OpportunityFactory(DjangoModelFactory):
    """An open opportunity closing at the end of next month; give it a customer and an owner on the team."""

    class Meta:
        model = "campaigns.Opportunity"

    title = factory.Sequence(lambda n: f"商机{n}")
    expected_monthly_revenue = Decimal("1000.00")
    stage = "found"
    probability = 10
    expected_close_on = factory.LazyFunction(
        lambda: (
            (datetime.date.today().replace(day=1) + datetime.timedelta(days=62)).replace(day=1)
            - datetime.timedelta(days=1)
        )
    )


class VisitFactory(DjangoModelFactory):
    """A visit logged now; give it a customer and a visitor (the check-in fields as a test needs them)."""

    class Meta:
        model = "teams.Visit"

    visited_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))
    kind = "onsite"
    summary = "走访了解需求"


def image_bytes(image_format: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real image (a visit photo) made with Pillow."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, format=image_format)
    return buffer.getvalue()


class HoldingFactory(DjangoModelFactory):
    """A customer's holding of a product (a product code, e.g. "VPMN", as `product_id`); give it a customer."""

    class Meta:
        model = "campaigns.CustomerProduct"

    product_id = "VPMN"
    active_users = 10
    monthly_revenue = Decimal("100.00")
    subscribed_on = datetime.date(2026, 1, 1)


class TierChangeFactory(DjangoModelFactory):
    """A change of a customer's tier, made now; give it a customer."""

    class Meta:
        model = "tiering.TierChange"

    from_tier = "C"
    to_tier = "B"
    changed_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))
    source = "nightly"


class NotificationFactory(DjangoModelFactory):
    """A notification in someone's inbox; give it a recipient."""

    class Meta:
        model = "crm.Notification"

    kind = "plan_assigned"
    title = factory.Sequence(lambda n: f"提醒{n}")
    body = "详情"
