"""Imports benchmark (SPEC §8.4) on PostgreSQL, side by side in one run with a plain `COPY FROM` of the same file
into an empty unindexed table:

- a customers file in the BOSS layout (GB18030, Chinese headers, what Excel writes), new: checked, merged, tiers
  recomputed, end to end; then the very same file again (nothing changes);
- group members, ten per customer, in `replace` mode;
- the customers as a 1 000 000-row XLSX (streamed by imports.xlsx), and reading it with python-calamine and
  openpyxl's read-only mode for contrast;
- the customers file with one bad row near its end: refused, nothing written, that row named.

Every import runs in a process of its own, as the command line runs it, and reports its peak memory (max RSS).
Prints each figure and one JSON line at the end. Usage: bench/imports.py [--customers N] [--members-per-customer M]
[--xlsx-rows R] [--files]; files are generated (deterministically) into BENCH_IMPORTS_DIR (default
/tmp/crm-bench-imports); `--files` only generates them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

CUSTOMER_HEADER = [
    "客户编码",
    "客户名称",
    "统一社会信用代码",
    "行业",
    "区域",
    "地址",
    "清单级别",
    "手机数量",
    "员工人数",
    "月均消费",
    "信息化收入",
    "全省纳税500强",
    "重大社会影响力",
    "状态",
]
MEMBER_HEADER = ["客户编码", "手机号码", "姓名", "是否本网", "是否核实", "ARPU"]
INDUSTRIES = ["C39", "I65", "J66", "F51", "E48", "P83", "Q84", "S92", "G54", "K70", "M73", "H62"]
STATUSES = ["active"] * 17 + ["prospect", "churned", "active"]
OPENPYXL_ROWS = 100_000
# Each generated file its own USCCs (B: the customers file, X: the workbook), so that both can go in.
USCC_OFFSETS = {"B": 0, "X": 5_000_000, "D": 10_000_000}
WORK = Path(os.environ.get("BENCH_IMPORTS_DIR", "/tmp/crm-bench-imports"))


def regions() -> list[str]:
    from crm.models import Region

    return list(
        Region.objects.filter(level__in=("county", "grid"), path__startswith="000000/510000/").values_list(
            "code", flat=True
        )
    )


def customer_rows(count: int, prefix: str):
    from demo.seed.customers import _uscc

    rng = random.Random(20261202)
    codes = regions()
    for n in range(count):
        region = codes[n % len(codes)]
        industry = INDUSTRIES[n % len(INDUSTRIES)]
        yield [
            f"{prefix}{n:08d}",
            f"四川省示例{n}号科技有限公司",
            _uscc(n + USCC_OFFSETS.get(prefix, 0), region, industry[0]) if n % 5 else "",
            industry,
            region,
            f"{region}示例路{n % 997}号",
            "city",
            rng.choice((0, 3, 12, 40, 150, 600)),
            rng.randint(1, 3000),
            f"{rng.randint(0, 150_000)}.{rng.randint(0, 99):02d}",
            f"{rng.randint(0, 20_000)}.00",
            "否",
            "是" if n % 997 == 0 else "否",
            STATUSES[n % len(STATUSES)],
        ]


def write_csv(path: Path, header: list[str], rows, encoding: str) -> None:
    part = path.with_name(path.name + ".part")  # a run cut short leaves no file a later run would take as whole
    with part.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    part.rename(path)


def member_rows(customers: int, per_customer: int):
    rng = random.Random(7)
    serial = 0
    for n in range(customers):
        for _ in range(per_customer):
            serial += 1
            yield [
                f"B{n:08d}",
                f"1{3 + serial % 7}{(serial * 7_919 + 13_579) % 10**9:09d}",
                f"成员{serial}",
                "是" if serial % 3 else "否",
                "是" if serial % 4 else "否",
                f"{rng.choice((8, 38, 88, 128, 700, 1600, 3200))}.00",
            ]


def write_xlsx(path: Path, rows) -> None:
    import xlsxwriter

    part = path.with_name(path.name + ".part")
    workbook = xlsxwriter.Workbook(str(part), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, CUSTOMER_HEADER)
    for number, row in enumerate(rows, start=1):
        # Numbers as numbers, as BOSS exports them to Excel.
        typed = list(row)
        for position in (7, 8):
            typed[position] = int(typed[position])
        for position in (9, 10):
            typed[position] = float(typed[position])
        sheet.write_row(number, 0, typed)
    workbook.close()
    part.rename(path)


def generate(customers: int, per_customer: int, xlsx_rows: int) -> dict[str, Path]:
    WORK.mkdir(parents=True, exist_ok=True)
    files = {
        "customers": WORK / f"customers-{customers}.csv",
        "bad": WORK / f"customers-bad-{customers}.csv",
        "members": WORK / f"members-{customers}x{per_customer}.csv",
        "xlsx": WORK / f"customers-{xlsx_rows}.xlsx",
    }
    if not files["customers"].exists():
        write_csv(files["customers"], CUSTOMER_HEADER, customer_rows(customers, "B"), "gb18030")
    if not files["bad"].exists():

        def bad_rows():
            for n, row in enumerate(customer_rows(customers, "B")):
                if n == customers - 2:  # line `customers`, near the end (999 999 of a million)
                    row[2] = "91350100M000100Y44"
                yield row

        write_csv(files["bad"], CUSTOMER_HEADER, bad_rows(), "gb18030")
    if not files["members"].exists():
        write_csv(files["members"], MEMBER_HEADER, member_rows(customers, per_customer), "utf-8")
    if not files["xlsx"].exists():
        write_xlsx(files["xlsx"], customer_rows(xlsx_rows, "X"))
    return files


def plain_copy(path: Path, columns: int, encoding: str) -> float:
    """`COPY FROM` the file into an empty, unindexed table of text columns: the floor of any import."""
    names = ", ".join(f"c{n} text" for n in range(columns))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_copy")
        cursor.execute(f"CREATE TABLE bench_plain_copy ({names})")
        start = time.perf_counter()
        with path.open("rb") as file:
            cursor.copy_expert(
                f"COPY bench_plain_copy FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING '{encoding}')", file
            )
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_plain_copy")
    return elapsed


def run_import(kind: str, path: Path, mode: str = "upsert") -> dict:
    """One import in a fresh process, as `manage.py import_customers` runs it; its seconds and peak memory."""
    output = subprocess.run(
        [sys.executable, __file__, "--one", kind, str(path), mode], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def one(kind: str, path: str, mode: str) -> None:
    import shutil
    import tempfile

    from imports.services import import_run_check, import_run_create

    copy = Path(tempfile.mkdtemp()) / Path(path).name
    shutil.copyfile(path, copy)
    start = time.perf_counter()
    run = import_run_create(user=None, kind=kind, mode=mode, file_name=copy.name, path=copy)
    run = import_run_check(run, then="write")
    elapsed = time.perf_counter() - start
    first_issue = run.issues.order_by("line").values_list("line", "column", "message").first()
    print(
        json.dumps(
            {
                "kind": kind,
                "status": run.status,
                "rows": run.rows,
                "created": run.created,
                "updated": run.updated,
                "unchanged": run.unchanged,
                "removed": run.removed,
                "errors": run.errors_count,
                "first_error": first_issue,
                "seconds": round(elapsed, 2),
                "rows_per_second": round(run.rows / elapsed) if elapsed else None,
                "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            ensure_ascii=False,
        )
    )


def read_only(reader: str, path: str) -> None:
    start = time.perf_counter()
    rows = 0
    if reader == "calamine":  # for contrast: the product reads every workbook with imports.xlsx
        import python_calamine

        sheet = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_index(0)
        for _row in sheet.iter_rows():
            rows += 1
    elif reader == "product":  # what an import uses: imports.xlsx, streamed
        from imports.files import open_source

        for _row in open_source(Path(path)).rows:
            rows += 1
    else:
        import openpyxl

        # openpyxl's reader streams (memory stays flat) but is slow: its rate over the first 100 000 rows.
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for _row in workbook.worksheets[0].iter_rows(values_only=True):
            rows += 1
            if rows == OPENPYXL_ROWS:
                break
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "reader": reader,
                "rows": rows,
                "seconds": round(elapsed, 2),
                "rows_per_second": round(rows / elapsed),
                "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


def customers_count() -> int:
    from accounts.models import Customer

    return Customer.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--members-per-customer", type=int, default=10)
    parser.add_argument("--xlsx-rows", type=int, default=1_000_000)
    parser.add_argument("--one", nargs=3, metavar=("KIND", "FILE", "MODE"))
    parser.add_argument("--read", nargs=2, metavar=("READER", "FILE"))
    parser.add_argument("--files", action="store_true", help="only generate the files; print their paths as JSON")
    args = parser.parse_args()
    if args.files:
        files = generate(args.customers, args.members_per_customer, args.xlsx_rows)
        return print(json.dumps({name: str(path) for name, path in files.items()}))
    if args.one:
        return one(*args.one)
    if args.read:
        return read_only(*args.read)
    from demo.seed.territory import seed_territory

    seed_territory()
    start = time.perf_counter()
    files = generate(args.customers, args.members_per_customer, args.xlsx_rows)
    print(
        f"files ready in {time.perf_counter() - start:.0f} s: "
        + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.0f} MB" for p in files.values()),
        flush=True,
    )
    results: dict = {
        "customers": args.customers,
        "members": args.customers * args.members_per_customer,
        "xlsx_rows": args.xlsx_rows,
    }

    before = customers_count()
    bad = run_import("customers", files["bad"])
    bad["written"] = customers_count() - before
    results["bad_row"] = bad
    print(
        f"one bad row: {bad['status']} in {bad['seconds']} s, first error {bad['first_error']}, "
        f"written {bad['written']}",
        flush=True,
    )

    copy = plain_copy(files["customers"], len(CUSTOMER_HEADER), "GB18030")
    new = run_import("customers", files["customers"])
    new["plain_copy_seconds"] = round(copy, 2)
    new["ratio_to_copy"] = round(new["seconds"] / copy, 1)
    results["customers_new"] = new
    print(
        f"customers new: {new['rows_per_second']} rows/s ({new['seconds']} s; plain COPY {copy:.2f} s, "
        f"ratio {new['ratio_to_copy']}), peak {new['max_rss_mb']} MB",
        flush=True,
    )
    again = run_import("customers", files["customers"])
    results["customers_again"] = again
    print(
        f"customers again: {again['seconds']} s, created {again['created']}, updated {again['updated']}, "
        f"peak {again['max_rss_mb']} MB",
        flush=True,
    )

    copy = plain_copy(files["members"], len(MEMBER_HEADER), "UTF8")
    members = run_import("members", files["members"], "replace")
    members["plain_copy_seconds"] = round(copy, 2)
    members["ratio_to_copy"] = round(members["seconds"] / copy, 1)
    results["members_replace"] = members
    print(
        f"members replace: {members['rows_per_second']} rows/s ({members['seconds']} s; "
        f"plain COPY {copy:.2f} s), peak {members['max_rss_mb']} MB",
        flush=True,
    )

    for reader in ("calamine", "openpyxl", "product"):
        output = subprocess.run(
            [sys.executable, __file__, "--read", reader, str(files["xlsx"])], capture_output=True, text=True, check=True
        ).stdout
        results[f"xlsx_read_{reader}"] = json.loads(output.strip().splitlines()[-1])
        print(f"XLSX read only, {reader}: {results[f'xlsx_read_{reader}']}", flush=True)
    xlsx = run_import("customers", files["xlsx"])
    results["xlsx_customers_new"] = xlsx
    print(
        f"XLSX customers new: {xlsx['rows_per_second']} rows/s ({xlsx['seconds']} s), peak {xlsx['max_rss_mb']} MB",
        flush=True,
    )
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
