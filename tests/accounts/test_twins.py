"""Profile completeness (建档完整) has two twins: the pure `rules.profile_missing`, which the customer page reads, and
the SQL `selectors.profile_complete`, which the list filter and the KPIs count with. Over generated profiles on every
edge of the rule they must say the same of each customer."""

from __future__ import annotations

import dataclasses
import datetime
import random
import sys

import pytest
from django.db.models import Q
from django.utils import timezone

from accounts.models import Customer
from accounts.rules import PROFILE_REQUIREMENTS, profile_missing
from accounts.selectors import UNICODE_WHITESPACE, profile_complete, with_profile_facts
from tests.factories import CustomerFactory, KeyPersonFactory, TeamRoleFactory, UserFactory, make_uscc
from tests.role_periods import Periods, held, role_periods

# Every character Python's str.strip() removes: ASCII blanks and controls, NBSP, the full-width (ideographic) space...
WHITESPACE = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
# ...and characters that look blank but are not whitespace to Python: an address of them alone is an address.
LOOKS_BLANK = ["\u200b", "\u2060", "\ufeff", "\u180e", "\u00ad", "\u3164", "\u2800"]
STREET = "成都市锦江区红星路1号"
REGIONS = ["jinjiang", "wuhou", "grid", "chengdu", "sichuan", "root"]  # county and grid are fine enough


def blank(rng: random.Random) -> str:
    return "".join(rng.choice(WHITESPACE) for _ in range(rng.randint(1, 5)))


def random_address(rng: random.Random) -> str:
    return rng.choice(
        [
            "",
            blank(rng),
            blank(rng) + blank(rng),
            blank(rng) + STREET + blank(rng),
            "红星路" + blank(rng) + "1号",
            blank(rng) + rng.choice(LOOKS_BLANK) + blank(rng),
            rng.choice(WHITESPACE + LOOKS_BLANK),
            STREET,
        ]
    )


@pytest.fixture
def profiles(territory) -> dict[int, Periods]:
    """About 260 customers, each with its customer-manager periods: every whitespace character (and every blank-looking
    non-whitespace one) alone and around a street on an otherwise complete profile, then random profiles where each
    requirement is met four times in five, so that often exactly one decides."""
    rng = random.Random(20260514)
    today = timezone.localdate()
    staff = [UserFactory(region=territory["jinjiang"]) for _ in range(4)]
    periods: dict[int, Periods] = {}

    def customer(n: int, *, address: str, manager: Periods, mobiles: tuple[str, ...] = ("13900000000",), **values):
        made = CustomerFactory(
            uscc=values.pop("uscc", make_uscc(10_000 + n)),
            address=address,
            region=territory[values.pop("region")],
            **values,
        )
        for mobile in mobiles:
            KeyPersonFactory(customer=made, mobile=mobile)
        for (starts, ends), user in zip(manager, rng.sample(staff, len(manager)), strict=True):
            TeamRoleFactory(customer=made, user=user, role="customer_manager", starts_on=starts, ends_on=ends)
        if rng.random() < 0.3:  # another role never stands in for the customer manager
            TeamRoleFactory(customer=made, user=rng.choice(staff), role="service_manager", starts_on=today)
        periods[made.pk] = manager

    always = [(today - datetime.timedelta(days=400), None)]
    n = 0
    for char in WHITESPACE + LOOKS_BLANK:
        for text in (char, char * 3, f"{char}{STREET}{char}"):
            n += 1
            customer(n, address=text, manager=always, region="jinjiang")
    n += 1
    customer(n, address=STREET, manager=always, region="jinjiang", uscc="")  # unique: only one may be empty

    def often(value, otherwise):
        return value if rng.random() < 0.8 else otherwise

    for _ in range(150):
        n += 1
        customer(
            n,
            uscc=often(make_uscc(10_000 + n), None),
            industry_id=often(rng.choice(["C39", "J66"]), None),
            region=often(rng.choice(REGIONS[:3]), rng.choice(REGIONS[3:])),
            address=often(STREET, random_address(rng)),
            mobiles=often(("13900000000",), rng.choice([(), ("",), ("", "13900000001")])),
            handset_count=often(rng.randint(1, 2000), 0),
            manager=often(always, role_periods(rng, today)),
        )
    return periods


def _ids(condition: Q) -> set[int]:
    return set(Customer.objects.filter(condition).values_list("pk", flat=True))


def test_the_database_reads_as_blank_exactly_the_whitespace_python_strips():
    assert sorted(UNICODE_WHITESPACE) == WHITESPACE


@pytest.mark.django_db
def test_the_sql_twin_agrees_with_the_pure_rule_on_every_generated_profile(profiles):
    """Today and around it (the KPIs count as of a past day), with the customer manager who holds the role that day."""
    today = timezone.localdate()
    customers = list(with_profile_facts(Customer.objects.all()))
    # The data can catch a twin out: complete profiles, and profiles where each requirement alone is unmet.
    gaps = [tuple(customer.profile_missing) for customer in customers]
    assert () in gaps
    assert all((requirement,) in gaps for requirement in PROFILE_REQUIREMENTS)
    assert gaps.count(("address",)) > len(WHITESPACE) * 2
    for offset in (-1, 0, 1, 10):
        day = today + datetime.timedelta(days=offset)
        complete, incomplete = _ids(profile_complete(day)), _ids(~profile_complete(day))
        for customer in customers:
            facts = customer.profile_facts()
            assert facts.has_customer_manager == held(profiles[customer.pk], today), customer.code
            facts = dataclasses.replace(facts, has_customer_manager=held(profiles[customer.pk], day))
            expected = not profile_missing(facts)
            assert (customer.pk in complete, customer.pk in incomplete) == (expected, not expected), (day, facts)


@pytest.mark.django_db
def test_the_customer_page_and_the_list_filter_agree_on_every_generated_profile(profiles):
    complete = _ids(profile_complete())
    for customer in Customer.objects.select_related("region"):  # row by row, as the model asks without annotations
        assert customer.profile_complete == (customer.pk in complete), customer.profile_facts()
