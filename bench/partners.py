"""Commission settlement benchmark (issue 20, point 3): a province's monthly settlement for its partners, set-based.

On the seeded database (a province's customers and their holdings), it registers `--partners` partner companies of
every kind across the province's cities, credits them with `--credited` of the province's holdings (their sales),
gives them `--served` customers to serve, bills the month for the customers whose holdings were credited, and keeps
national commission rules for every kind; then, as the province's staff:

- `settle_first`: the settlements of the month before last (every partner's draft with its lines);
- `settle_again`: the same month computed again (the drafts emptied and written anew);
- `approve_all`: every settlement of that month approved, one by one as staff do;
- `settle_with_corrections`: the last month over, carrying the corrections of the approved month (a tenth of the
  served customers given to their partner a month late, so that there is something to correct).

The issue's goal: `settle_first` at 1 M customers and 500 partners ≤ 60 s. Everything it made is removed at the end
(the audit trail keeps its entries: it is append-only). Prints each figure and one JSON line.

    BENCH_TODAY=2026-12-01 .venv/bin/python bench/partners.py --partners 500   # bench/run's part `partners`
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models.functions import Mod  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import BillingPeriod, Customer  # noqa: E402
from campaigns.models import CustomerProduct  # noqa: E402
from crm.models import Partner, Region, Role, User  # noqa: E402
from crm.validators import uscc_check_character  # noqa: E402
from partners import months  # noqa: E402
from partners.models import CommissionRule, PartnerAssignment, Settlement, SettlementLine  # noqa: E402
from partners.services import settlement_approve, settlements_compute  # noqa: E402

KINDS = [["sales_agent"], ["service_agent"], ["solution_provider"], ["sales_agent", "service_agent"]]
RULES = [
    # kind, product, basis, values
    ("sales_agent", "VPMN", "revenue_share", {"rate": "8.00", "months": 24}),
    ("sales_agent", "GROUP_FLOW", "revenue_share", {"rate": "6.00", "months": 24}),
    ("sales_agent", "DEDICATED_LINE", "revenue_share", {"rate": "5.00", "months": 24}),
    ("solution_provider", "INDUSTRY_APP", "revenue_share", {"rate": "10.00", "months": 36}),
    ("solution_provider", "CLOUD_VIDEO", "revenue_share", {"rate": "10.00", "months": 36}),
    ("solution_provider", "INDUSTRY_APP", "one_off", {"amount": "3000.00"}),
    ("solution_provider", "CLOUD_VIDEO", "one_off", {"amount": "1500.00"}),
    ("service_agent", "VPMN", "per_active_user", {"amount": "0.50"}),
    ("service_agent", "GROUP_CRBT", "per_active_user", {"amount": "0.30"}),
    ("service_agent", "DEDICATED_LINE", "per_active_user", {"amount": "20.00"}),
    ("solution_provider", "CLOUD_VIDEO", "per_active_user", {"amount": "1.00"}),
]
MARK = "bench-partners"
MARKED_AT = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)  # the bills the benchmark adds, found again by it


def timed(figures: dict, name: str, work, **facts) -> object:
    start = time.perf_counter()
    result = work()
    figures[name] = {"seconds": round(time.perf_counter() - start, 2), **facts}
    print(f"{name}: {figures[name]}", flush=True)
    return result


def _uscc(serial: int) -> str:
    body = f"91510100MA{serial:07d}"
    return body + uscc_check_character(body)


def register(province: Region, count: int, since: datetime.date) -> list[int]:
    cities = list(Region.objects.filter(parent=province).order_by("code"))
    partners = [
        Partner(
            name=f"{MARK} {number:04d}",
            uscc=_uscc(9_000_000 + number),
            kinds=KINDS[number % len(KINDS)],
            region=cities[number % len(cities)] if cities else province,
            contract_starts_on=since,
            contract_ends_on=since.replace(year=since.year + 10),
        )
        for number in range(count)
    ]
    Partner.objects.bulk_create(partners, batch_size=1000)
    return list(Partner.objects.filter(name__startswith=MARK).order_by("pk").values_list("pk", flat=True))


def credit(province: Region, partner_ids: list[int], credited: int, served: int, month: datetime.date) -> dict:
    """Set-based: every k-th holding of the province credited to a partner, every j-th customer served by one, the
    month billed for the customers whose holdings were credited."""
    holding, customer, region = CustomerProduct._meta.db_table, Customer._meta.db_table, Region._meta.db_table
    in_province = f"SELECT c.id FROM {customer} c JOIN {region} r ON r.code = c.region_id WHERE r.path LIKE %(path)s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {holding} h WHERE h.customer_id IN ({in_province})", {"path": province.path + "%"}
        )
        holdings = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*) FROM ({in_province}) q", {"path": province.path + "%"})
        customers = cursor.fetchone()[0]
        step, serve_step = max(1, holdings // max(credited, 1)), max(1, customers // max(served, 1))
        params = {"path": province.path + "%", "ids": partner_ids, "step": step, "n": len(partner_ids)}
        # the ids as an array: PostgreSQL, where the benchmark runs
        cursor.execute(
            f"""UPDATE {holding} h SET partner_id = (%(ids)s::bigint[])[1 + (h.id / %(step)s) %% %(n)s],
                   channel_id = 'partner'
               WHERE h.id %% %(step)s = 0 AND h.customer_id IN ({in_province})""",
            params,
        )
        credited_rows = cursor.rowcount
        cursor.execute(
            f"""INSERT INTO {PartnerAssignment._meta.db_table} (partner_id, customer_id, role, starts_on, assigned_at)
               SELECT (%(ids)s::bigint[])[1 + (q.id / %(step)s) %% %(n)s], q.id, 'service', %(since)s, now()
               FROM ({in_province}) q WHERE q.id %% %(step)s = 1""",
            {**params, "step": serve_step, "since": months.months_before(month, 6)[-1]},
        )
        served_rows = cursor.rowcount
        for billed in (month, *months.months_before(month, 1), months.last_closed(timezone.localdate())):
            cursor.execute(
                f"""INSERT INTO {BillingPeriod._meta.db_table}
                       (customer_id, period, monthly_spend, informatization_revenue, updated_at)
                   SELECT DISTINCT h.customer_id, %(month)s, c.monthly_spend + 1000, 0, %(mark)s
                   FROM {holding} h JOIN {customer} c ON c.id = h.customer_id
                   WHERE h.partner_id = ANY(%(ids)s)
                   ON CONFLICT DO NOTHING""",
                {"ids": partner_ids, "month": billed, "mark": MARKED_AT},
            )
    return {"holdings_credited": credited_rows, "customers_served": served_rows, "province_holdings": holdings}


def keep_rules(since: datetime.date) -> list[int]:
    return [
        CommissionRule.objects.create(
            scope_id="000000", partner_kind=kind, product_id=product, basis=basis, valid_from=since, **values
        ).pk
        for kind, product, basis, values in RULES
    ]


def clean_up(partner_ids: list[int], rule_ids: list[int]) -> None:
    with transaction.atomic():
        SettlementLine.objects.filter(settlement__partner_id__in=partner_ids).delete()
        Settlement.objects.filter(partner_id__in=partner_ids).delete()
        CommissionRule.objects.filter(pk__in=rule_ids).delete()
        PartnerAssignment.objects.filter(partner_id__in=partner_ids).delete()
        CustomerProduct.objects.filter(partner_id__in=partner_ids).update(partner=None, channel_id="direct")
        BillingPeriod.objects.filter(updated_at=MARKED_AT).delete()
        Partner.objects.filter(pk__in=partner_ids).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=500)
    parser.add_argument("--credited", type=int, default=300_000, help="holdings credited to the partners")
    parser.add_argument("--served", type=int, default=100_000, help="customers served by the partners")
    args = parser.parse_args()
    staff = User.objects.filter(role=Role.PROVINCIAL_STAFF, region__level="province").order_by("pk").first()
    assert staff is not None, "the benchmark needs a province's staff (bench/foundation.py, seed_demo)"
    province = staff.region
    last = months.last_closed(timezone.localdate())
    first = months.months_before(last, 1)[0]
    figures: dict[str, object] = {"customers": Customer.objects.count(), "partners": args.partners}
    left = list(Partner.objects.filter(name__startswith=MARK).values_list("pk", flat=True))
    if left:  # an earlier run that did not end
        clean_up(left, [])
    partner_ids = register(province, args.partners, months.months_before(first, 36)[-1])
    rule_ids: list[int] = []
    try:
        with transaction.atomic():
            facts = credit(province, partner_ids, args.credited, args.served, first)
            rule_ids = keep_rules(months.months_before(first, 36)[-1])
        figures.update(facts)
        print(facts, flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        run = timed(
            figures,
            "settle_first",
            lambda: settlements_compute(user=staff, month=first, region=province),
        )
        figures["settle_first"].update(lines=run.lines, total=str(run.total), settlements=run.computed)
        timed(figures, "settle_again", lambda: settlements_compute(user=staff, month=first, region=province))

        def approve_all() -> int:
            drafts = Settlement.objects.filter(partner_id__in=partner_ids, period=first).select_related("partner")
            for settlement in drafts:
                settlement_approve(user=staff, settlement=settlement)
            return drafts.count()

        timed(figures, "approve_all", approve_all)
        # a tenth of the assignments turn out to have started a month later: the approved month owes corrections
        late = PartnerAssignment.objects.filter(partner_id__in=partner_ids).alias(tenth=Mod("id", 10)).filter(tenth=0)
        late.update(starts_on=last)
        run = timed(
            figures,
            "settle_with_corrections",
            lambda: settlements_compute(user=staff, month=last, region=province),
        )
        figures["settle_with_corrections"].update(lines=run.lines, corrections=run.corrections)
    finally:
        clean_up(partner_ids, rule_ids)
    print(json.dumps({"partners": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
