"""The prospect duplicate check over 200 000 prospects and a million customers (issue 21; goal: p95 ≤ 100 ms).

On the benchmark's database (bench/foundation.py: a million customers), inside one transaction rolled back at the end
so that no other benchmark sees them: 200 000 prospects of Chengdu's grids and counties, named and addressed as
companies are. With `--fill`, a database with fewer customers is first given synthetic ones up to `--customers` (for
a quick run without the foundation's seeding; rolled back too). Then `prospects.selectors.possible_duplicates` for
names to file — a third a customer's name under another legal form at its address, a third a prospect's, a third a
new company — as Sichuan's provincial staff (who see every customer), Chengdu's department head and a grid
manager. Prints each figure and one JSON line. Usage: bench/prospects.py [--runs N] [--fill]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from crm.models import Region, Role, User  # noqa: E402
from prospects.selectors import possible_duplicates  # noqa: E402

# Words companies are named with: a place, a trade name of two characters, a trade, a legal form.
CHARACTERS = (
    "华金鑫泰恒瑞祥和丰盛宏达兴隆博远创新科技信诚安康顺发腾飞锦程天府蜀道巴山峨眉青城川西东方中南北辰星月明光"
    "正大德容宝利民生永昌旺福佳美家乐新源汇通聚力合众志诚嘉豪凯旋百川龙凤麒麟云海山水林木春秋雅俊英杰"
)
NAME_SQL = """
(ARRAY['成都','四川','锦江','武侯','青羊','金牛','成华','高新','天府','蜀都'])[1 + (%(n)s %% 10)]
 || substr(%(chars)s, 1 + ((%(n)s * 7) %% 96)::int, 1) || substr(%(chars)s, 1 + ((%(n)s / 96 * 13) %% 96)::int, 1)
 || (ARRAY['科技','商贸','物流','餐饮管理','建筑工程',
           '医药','教育咨询','文化传播','机械制造','电子'])[1 + (%(n)s / 9216 %% 10)]
 || (ARRAY['有限公司','有限责任公司','股份有限公司'])[1 + (%(n)s / 92160 %% 3)]
"""
ADDRESS_SQL = """
'成都市' || (ARRAY['锦江区','武侯区','青羊区','金牛区','成华区'])[1 + (%(n)s %% 5)]
 || (ARRAY['春熙路','红星路','人民南路','东大街','盐市口','科华北路','一环路','蜀都大道'])[1 + (%(n)s / 5 %% 8)]
 || (%(n)s %% 997)::text || '号'
"""


def _sql(template: str, n: str) -> str:
    """The expression over the series' number `n`, its modulo signs escaped for the query's parameters."""
    return (template % {"n": n, "chars": f"'{CHARACTERS}'"}).replace("%", "%%")


def fill_customers(target: int) -> int:
    """Synthetic customers up to `target` (in Chengdu's regions); how many were added."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM accounts_customer")
        count, top = cursor.fetchone()
        missing = target - count
        if missing <= 0:
            return 0
        cursor.execute(
            f"""
            INSERT INTO accounts_customer (code, name, region_id, address, list_level, handset_count, employee_count,
                monthly_spend, informatization_revenue, is_tax_top500, is_major_influence, status, tier_reasons,
                location_source, created_at, updated_at)
            SELECT 'BX' || lpad((%s + g)::text, 10, '0'), {_sql(NAME_SQL, "g")},
                   (ARRAY['510104','510107','510105','510106','510108'])[1 + (g %% 5)], {_sql(ADDRESS_SQL, "g")},
                   'city', 50, 60, 0, 0, false, false, 'active', '[]', '', now(), now()
            FROM generate_series(1, %s) g
            """,
            [top, missing],
        )
    return missing


def fill_prospects(count: int, filed_by: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO prospects_prospect (name, region_id, address, status, filed_by_id, created_at, updated_at)
            SELECT {_sql(NAME_SQL, "(g * 31 + 7)")} || '分店' || (g %% 50)::text,
                   (ARRAY['510104-G01','510104-G02','510104-G03','510104-G04','510104','510107'])[1 + (g %% 6)],
                   {_sql(ADDRESS_SQL, "(g * 31 + 7)")}, 'pool', %s, now(), now()
            FROM generate_series(1, %s) g
            """,
            [filed_by, count],
        )
        cursor.execute("ANALYZE accounts_customer")
        cursor.execute("ANALYZE prospects_prospect")


def queries(rng: random.Random, runs: int) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, address FROM accounts_customer TABLESAMPLE SYSTEM (1) WHERE address <> '' LIMIT %s",
            [runs],
        )
        customers = cursor.fetchall()
        cursor.execute("SELECT name, address FROM prospects_prospect TABLESAMPLE SYSTEM (1) LIMIT %s", [runs])
        prospects = cursor.fetchall()
    asked = []
    for i in range(runs):
        kind = i % 3
        if kind == 0 and customers:
            name, address = rng.choice(customers)
            asked.append((name.replace("有限公司", "有限责任公司"), address))
        elif kind == 1 and prospects:
            asked.append(rng.choice(prospects))
        else:
            trade = "".join(rng.choice(CHARACTERS) for _ in range(2))
            asked.append((f"成都{trade}新材料有限公司", f"成都市锦江区新路{rng.randint(1, 999)}号"))
    return asked


def measure(user: User, asked: list[tuple[str, str]]) -> dict:
    times, found = [], 0
    possible_duplicates(user=user, name=asked[0][0], address=asked[0][1])  # warm the connection and caches
    for name, address in asked:
        start = time.perf_counter()
        found += bool(possible_duplicates(user=user, name=name, address=address))
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        "max_ms": round(times[-1], 1),
        "flagged": found,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--prospects", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--fill", action="store_true", help="add synthetic customers up to --customers")
    args = parser.parse_args()
    rng = random.Random(2260)
    with transaction.atomic():
        for code, name in (("510104-G02", "盐市口网格"), ("510104-G03", "牛市口网格"), ("510104-G04", "书院街网格")):
            Region.objects.get_or_create(
                code=code, defaults={"name": name, "level": "grid", "parent": Region.objects.get(code="510104")}
            )
        grid = Region.objects.get(code="510104-G01")
        staff = User.objects.filter(role=Role.PROVINCIAL_STAFF, region_id="510000").first()
        head = User.objects.filter(role=Role.DEPARTMENT_HEAD, department__region_id="510100").first()
        manager, _created = User.objects.get_or_create(
            username="bench_grid01", defaults={"role": Role.GRID_MANAGER, "region": grid}
        )
        added = fill_customers(args.customers) if args.fill else 0
        start = time.perf_counter()
        fill_prospects(args.prospects, manager.pk)
        seeded = time.perf_counter() - start
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM accounts_customer")
            customers = cursor.fetchone()[0]
        print(f"{customers} customers ({added} synthetic), {args.prospects} prospects written in {seeded:.1f} s")
        asked = queries(rng, args.runs)
        results = {}
        for label, user in (("provincial_staff", staff), ("department_head", head), ("grid_manager", manager)):
            if user is None:
                continue
            results[label] = measure(user, asked)
            print(f"duplicate check as {label}: {results[label]}")
        transaction.set_rollback(True)
    print(json.dumps({"bench": "prospect_duplicates", "customers": customers, "prospects": args.prospects, **results}))


if __name__ == "__main__":
    main()
