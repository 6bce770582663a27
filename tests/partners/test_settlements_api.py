"""Commissions through the API and the files (issue 20, point 3): the contract `GET /api/v1/partners/{id}/settlements/
?period=YYYY-MM`, who reads it (outsiders 404, anonymous 401, partner staff their own company's only), bad input
answered in Chinese with nothing written, computing and approving, the rules kept as data, the CSV and XLSX."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from crm.models import AuditEntry
from partners import months
from partners.models import CommissionRule, Settlement

from .commissions import LAST, PERIOD, USCCS, partner, rule
from .test_partners import partner_user

pytestmark = pytest.mark.django_db

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def url(company, period: str | None = PERIOD, tail: str = "") -> str:
    query = "" if period is None else f"?period={period}"
    return f"/api/v1/partners/{company.pk}/settlements/{tail}{query}"


# -- the contract ---------------------------------------------------------------------------------------------------


def test_the_partners_settlement_of_a_month_with_every_line(api, cast, provider, computed):
    response = api(cast["paul"]).get(url(provider))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["partner"] == provider.pk and body["period"] == PERIOD and body["status"] == "draft"
    assert body["total"] == "890.00" and body["lines_count"] == 3 and body["computed_by"] == "paul"
    lines = {(line["customer"], line["product"], line["basis"]): line for line in body["lines"]}
    assert set(lines) == {
        ("CD0001", "CLOUD_VIDEO", "one_off"),
        ("CD0001", "CLOUD_VIDEO", "revenue_share"),
        ("CD0002", "VPMN", "per_active_user"),
    }
    share = lines[("CD0001", "CLOUD_VIDEO", "revenue_share")]
    assert share["base"] == "600.00" and share["rate"] == "10.00" and share["amount"] == "60.00"
    assert share["month_index"] == 1 and share["customer_name"] == "成都锦程科技有限公司"
    assert share["rule"] == CommissionRule.objects.get(basis="revenue_share").pk
    served = lines[("CD0002", "VPMN", "per_active_user")]
    assert (served["quantity"], served["base"], served["amount"]) == (20, "1.50", "30.00")
    assert served["corrects_period"] is None


@pytest.mark.parametrize(
    ("period", "words"),
    [(None, "必填"), ("", "YYYY-MM"), ("2026-13", "YYYY-MM"), ("26-1", "YYYY-MM"), ("1/2026", "YYYY-MM")],
)
def test_a_missing_or_malformed_period_is_400_naming_the_field(api, cast, provider, period, words):
    response = api(cast["paul"]).get(url(provider, period), **ZH)
    assert response.status_code == 400
    assert words in response.json()["period"][0]


def test_a_month_not_over_is_400_and_one_not_computed_404(api, cast, provider):
    this_month = months.format_month(timezone.localdate().replace(day=1))
    response = api(cast["paul"]).get(url(provider, this_month), **ZH)
    assert response.status_code == 400 and "尚未结束" in response.json()["period"][0]
    assert api(cast["paul"]).get(url(provider)).status_code == 404


def test_outsiders_get_404_and_the_anonymous_401(api, cast, provider, computed):
    for who in ("carol", "gd_paul"):  # 绵阳's account manager; Guangdong's staff
        assert api(cast[who]).get(url(provider)).status_code == 404, who
    assert api(cast["paul"]).get(f"/api/v1/partners/999999/settlements/?period={PERIOD}").status_code == 404
    assert APIClient().get(url(provider)).status_code == 401


def test_staff_who_see_the_partner_but_not_its_money_get_403(api, cast, provider, computed):
    assert api(cast["dora"]).get(url(provider)).status_code == 403


def test_partner_staff_read_their_companys_settlement_and_no_other(api, cast, territory, provider, computed):
    own = partner_user(provider, territory, "pat")
    other = partner(territory, "成都服务代理有限公司", ["service_agent"], USCCS["service"])
    stranger = partner_user(other, territory, "sam")
    assert api(own).get(url(provider)).json()["total"] == "890.00"
    listed = api(own).get("/api/v1/partners/settlements/").json()
    assert [row["partner"] for row in listed["results"]] == [provider.pk]
    assert api(stranger).get(url(provider)).status_code == 404
    assert api(stranger).get(url(provider, tail="export.csv")).status_code == 404
    assert api(stranger).get("/api/v1/partners/settlements/").json()["count"] == 0
    # read-only: they neither compute nor approve
    assert api(own).post(url(provider, None, "approve/"), {"period": PERIOD}, format="json").status_code == 403
    assert api(own).post(url(provider, None, "compute/"), {"period": PERIOD}, format="json").status_code == 403
    assert api(own).post("/api/v1/partners/settlements/compute/", {"period": PERIOD}, format="json").status_code == 403


# -- computing and approving ----------------------------------------------------------------------------------------


def test_computing_a_month_not_over_is_refused_and_writes_nothing(api, cast, provider):
    this_month = months.format_month(timezone.localdate().replace(day=1))
    response = api(cast["paul"]).post(
        "/api/v1/partners/settlements/compute/", {"period": this_month}, format="json", **ZH
    )
    assert response.status_code == 400 and "尚未结束" in response.json()["period"][0]
    assert not Settlement.objects.exists()
    assert not AuditEntry.objects.filter(object_type="partners.settlement").exists()


def test_the_month_is_computed_for_the_callers_province_and_reported(api, cast, provider, computed):
    response = api(cast["paul"]).post("/api/v1/partners/settlements/compute/", {"period": PERIOD}, format="json")
    assert response.status_code == 202
    job = response.json()
    assert {key: job[key] for key in ("period", "region", "status", "computed", "approved_left", "lines")} == {
        "period": PERIOD,
        "region": "510000",
        "status": "succeeded",
        "computed": 1,
        "approved_left": 0,
        "lines": 3,
    }
    assert (job["corrections"], job["total"], job["started_by"], job["errors"]) == (0, "890.00", "paul", [])
    assert api(cast["paul"]).get(job["url"]).json() == job
    gd = api(cast["gd_paul"]).post("/api/v1/partners/settlements/compute/", {"period": PERIOD}, format="json")
    assert gd.json()["computed"] == 0  # Guangdong has no partner: Sichuan's is not Guangdong's to settle
    assert api(cast["gd_paul"]).get(job["url"]).status_code == 404
    outside = api(cast["gd_paul"]).post(
        "/api/v1/partners/settlements/compute/", {"period": PERIOD, "region": "510000"}, format="json"
    )
    assert outside.status_code == 403


def test_approving_through_the_api_then_recomputing_is_refused(api, cast, provider, computed):
    client = api(cast["paul"])
    response = client.post(url(provider, None, "approve/"), {"period": PERIOD}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved" and response.json()["approved_by"] == "paul"
    again = client.post(url(provider, None, "compute/"), {"period": PERIOD}, format="json", **ZH)
    assert again.status_code == 400 and "已审批" in again.json()["period"][0]
    assert client.post(url(provider, None, "approve/"), {"period": PERIOD}, format="json").status_code == 400
    assert client.get(url(provider)).json()["total"] == "890.00"


def test_approving_what_was_computed_again_since_it_was_reviewed_is_refused(api, cast, provider, computed):
    seen = computed.computed_at
    api(cast["paul"]).post("/api/v1/partners/settlements/compute/", {"period": PERIOD}, format="json")
    response = api(cast["paul"]).post(
        url(provider, None, "approve/"), {"period": PERIOD, "computed_at": seen.isoformat()}, format="json"
    )
    assert response.status_code == 400 and "computed_at" in response.json()
    assert Settlement.objects.get(pk=computed.pk).status == "draft"


# -- the rules, as data ---------------------------------------------------------------------------------------------


def rule_data(**changes) -> dict:
    data = {
        "scope": "510000",
        "partner_kind": "sales_agent",
        "product": "GROUP_SMS",
        "basis": "revenue_share",
        "rate": "8.00",
        "months": 6,
        "valid_from": months.format_month(LAST),
    }
    data.update(changes)
    return data


def test_provincial_staff_keep_their_provinces_rules_and_read_the_national_ones(api, cast, territory):
    national = rule("revenue_share", "sales_agent", "VPMN", rate=D("10.00"), months=3)
    response = api(cast["paul"]).post("/api/v1/partners/commission-rules/", rule_data(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["valid_from"] == PERIOD and response.json()["created_by"] == "paul"
    created = CommissionRule.objects.get(pk=response.json()["id"])
    assert AuditEntry.objects.filter(object_type="partners.commissionrule", object_id=str(created.pk)).exists()
    listed = api(cast["paul"]).get("/api/v1/partners/commission-rules/").json()
    assert {row["id"] for row in listed["results"]} == {national.pk, created.pk}
    assert api(cast["gd_paul"]).get(f"/api/v1/partners/commission-rules/{created.pk}/").status_code == 404
    # the national rules are headquarters'
    refused = api(cast["paul"]).patch(
        f"/api/v1/partners/commission-rules/{national.pk}/", {"rate": "12.00"}, format="json"
    )
    assert refused.status_code == 403
    assert api(cast["dora"]).get("/api/v1/partners/commission-rules/").status_code == 403


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"rate": "-5.00"}, "rate", "不能为负"),
        (
            {"basis": "one_off", "rate": None, "months": None, "amount": "-1.00", "partner_kind": "solution_provider"},
            "amount",
            "不能为负",
        ),
        ({"months": None}, "months", "月数"),
        ({"basis": "one_off", "rate": None, "months": None, "amount": "100.00"}, "partner_kind", "解决方案提供商"),
        ({"valid_from": "2026/01"}, "valid_from", "YYYY-MM"),
        ({"scope": "510100"}, "scope", "省"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field_in_chinese(api, cast, territory, changes, field, words):
    response = api(cast["paul"]).post("/api/v1/partners/commission-rules/", rule_data(**changes), format="json", **ZH)
    assert response.status_code == 400, response.json()
    assert words in response.json()[field][0], response.json()
    assert not CommissionRule.objects.exists()


def test_a_rule_cannot_change_a_month_already_approved(api, cast, provider, computed):
    api(cast["paul"]).post(url(provider, None, "approve/"), {"period": PERIOD}, format="json")
    share = CommissionRule.objects.get(basis="revenue_share")
    hq = api(cast["hq"])
    response = hq.patch(f"/api/v1/partners/commission-rules/{share.pk}/", {"rate": "20.00"}, format="json", **ZH)
    assert response.status_code == 400 and PERIOD in response.json()["valid_from"][0], response.json()
    ended = hq.patch(
        f"/api/v1/partners/commission-rules/{share.pk}/", {"valid_until": PERIOD}, format="json"
    )  # ending it after the approved month is fine
    assert ended.status_code == 200, ended.json()
    assert hq.delete(f"/api/v1/partners/commission-rules/{share.pk}/").status_code == 400
    share.refresh_from_db()
    assert share.rate == D("10.00")


# -- the files ------------------------------------------------------------------------------------------------------


def test_the_csv_has_chinese_headers_and_every_line(api, cast, provider, computed):
    response = api(cast["paul"]).get(url(provider, tail="export.csv"), **ZH)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "filename*=UTF-8''" in response["Content-Disposition"] and PERIOD in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content[1:])))
    assert rows[0][:4] == ["结算月份", "合作伙伴", "客户编码", "客户名称"] and rows[0][-2:] == [
        "金额（元）",
        "更正月份",
    ]
    body = rows[1:]
    assert sorted((row[2], row[4], row[-2]) for row in body) == [
        ("CD0001", "CLOUD_VIDEO", "60.00"),
        ("CD0001", "CLOUD_VIDEO", "800.00"),
        ("CD0002", "VPMN", "30.00"),
    ]
    share = next(row for row in body if row[-2] == "60.00")
    assert share[6] == "收入分成（前若干月）" and share[1] == "成都数智方案有限公司" and share[0] == PERIOD
    assert (share[9], share[10], share[11], share[12], share[-1]) == ("1", "600.00", "10.00", "1", "")
    entry = AuditEntry.objects.get(action="export", object_type="partners.settlement")
    assert entry.detail == {"format": "csv", "rows": 3} and entry.username == "paul"


def test_the_xlsx_holds_the_same_lines_with_money_as_numbers(api, cast, provider, computed):
    response = api(cast["paul"]).get(url(provider, tail="export.xlsx"), **ZH)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2:4] == ("客户编码", "客户名称")
    amounts = sorted(row[13] for row in rows[1:])
    assert amounts == [30, 60, 800]
    assert sheet.cell(row=2, column=14).number_format == "#,##0.00"


def test_a_partner_name_that_looks_like_a_formula_is_written_as_text(api, cast, provider, computed):
    provider.name = "=HYPERLINK(1)"
    provider.save()
    content = b"".join(api(cast["paul"]).get(url(provider, tail="export.csv")).streaming_content).decode()
    assert ",'=HYPERLINK(1)," in content


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/partners/settlements/?period=2026-1x", None),
        ("get", "/api/v1/partners/settlements/?partner=abc", None),
        ("post", "/api/v1/partners/settlements/compute/", ["2026-01"]),
        ("post", "/api/v1/partners/settlements/compute/", {"period": "2026-11", "region": "NOPE"}),
        ("post", "{partner}approve/", {}),
        ("post", "{partner}approve/", {"period": PERIOD, "computed_at": "yesterday"}),
        ("post", "{partner}compute/", {"period": 202611}),
        ("get", "{partner}export.xlsx?period=\x00", None),
        ("post", "/api/v1/partners/commission-rules/", {"valid_from": "2026-13", "basis": "nope"}),
    ],
)
def test_malformed_input_is_a_400_never_a_server_error(api, cast, provider, computed, method, path, body):
    client = api(cast["paul"])
    client.raise_request_exception = False
    path = path.replace("{partner}", f"/api/v1/partners/{provider.pk}/settlements/")
    response = client.get(path) if method == "get" else client.post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert Settlement.objects.get(pk=computed.pk).status == "draft"
