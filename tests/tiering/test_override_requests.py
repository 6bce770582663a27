"""Manual tiers as a workflow (issue 18, point 1): a department head or the customer's manager requests one on the
customer page, provincial staff approve or reject it from their queue, overrides about to expire are listed, and
every step is on the audit trail."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Customer
from crm.models import AuditEntry
from crm.permissions import may
from tests.factories import TeamRoleFactory
from tiering import services
from tiering.models import OverrideStatus, TierChange, TierOverride

pytestmark = pytest.mark.django_db

REQUEST_URL = "/tiering/overrides/new/CD0001/"
QUEUE_URL = "/tiering/overrides/"


@pytest.fixture
def computed(customers):
    call_command("recompute_tiers", stdout=StringIO())  # CD0001: 120 handsets → B
    return customers


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def ask(client, tier="A", reason="省重点保障客户", days=30, url=REQUEST_URL):
    return client.post(url, {"tier": tier, "reason": reason, "expires_on": in_days(days).isoformat()})


def decide(client, override, decision, note=""):
    return client.post(f"/tiering/overrides/{override.pk}/decide/", {"decision": decision, "note": note})


def trail(override) -> list[tuple[str, dict]]:
    entries = AuditEntry.objects.filter(object_type="tiering.tieroverride", object_id=str(override.pk)).order_by("id")
    return [(entry.action, entry.changes) for entry in entries]


def test_a_head_requests_staff_approve_and_the_tier_changes(login, cast, computed):
    dora, paul = login(cast["dora"]), login(cast["paul"])
    form = dora.get(REQUEST_URL)
    assert form.status_code == 200 and "申请人工调级" in form.content.decode()
    response = ask(dora)
    assert response.status_code == 302 and response["Location"] == "/customers/CD0001/"
    request = TierOverride.objects.get()
    assert (request.status, request.set_by, request.tier) == (OverrideStatus.REQUESTED, cast["dora"], "A")

    # nothing changes while it waits, not even by a recompute
    call_command("recompute_tiers", stdout=StringIO())
    customer = Customer.objects.get(code="CD0001")
    assert (customer.tier, customer.computed_tier) == ("B", "B")
    page = login(cast["alice"]).get("/customers/CD0001/").content.decode()
    assert 'data-testid="tier-override-request"' in page and "省重点保障客户" in page
    assert 'data-testid="tier-override"' not in page

    queue = paul.get(QUEUE_URL).content.decode()
    row = queue[queue.index('data-request="CD0001"') :].split("</tr>")[0]
    assert "成都锦程科技有限公司" in row and "省重点保障客户" in row and in_days(30).isoformat() in row
    assert cast["dora"].display_name in row and 'value="approve"' in row

    response = decide(paul, request, "approve", "同意")
    assert response.status_code == 302 and response["Location"] == QUEUE_URL
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decision_note) == ("approved", cast["paul"], "同意")
    customer.refresh_from_db()
    assert (customer.tier, customer.computed_tier) == ("A", "B")
    change = TierChange.objects.filter(customer=customer).first()
    assert (change.from_tier, change.to_tier, change.source) == ("B", "A", "override")
    call_command("recompute_tiers", stdout=StringIO())
    assert Customer.objects.get(code="CD0001").tier == "A"  # kept by every recompute until it expires
    page = login(cast["alice"]).get("/customers/CD0001/").content.decode()
    assert 'data-testid="tier-override"' in page and 'data-testid="tier-override-request"' not in page
    assert trail(request) == [
        (
            "create",
            {
                "tier": [None, "A"],
                "reason": [None, "省重点保障客户"],
                "expires_on": [None, str(in_days(30))],
                "status": [None, "requested"],
            },
        ),
        ("update", {"status": ["requested", "approved"]}),
    ]
    assert AuditEntry.objects.filter(customer_code="CD0001", changes={"tier": ["B", "A"]}).exists()


def test_the_api_shows_the_approved_override_as_before(login, api, cast, computed):
    ask(login(cast["alice"]))  # the customer's manager may ask too
    decide(login(cast["paul"]), TierOverride.objects.get(), "approve")
    body = api(cast["alice"]).get("/api/v1/customers/CD0001/tier/").json()
    assert body["tier"] == "A" and body["override"]["set_by"] == "alice"


def test_a_rejected_request_leaves_the_tier_and_says_why(login, cast, computed):
    ask(login(cast["alice"]))
    request = TierOverride.objects.get()
    paul = login(cast["paul"])
    response = paul.post(f"/tiering/overrides/{request.pk}/decide/", {"decision": "reject"}, follow=True)
    assert "请说明驳回的原因" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "requested"
    decide(paul, request, "reject", "不符合省重点客户条件")
    request.refresh_from_db()
    assert (request.status, request.decision_note) == ("rejected", "不符合省重点客户条件")
    assert Customer.objects.get(code="CD0001").tier == "B"
    assert not TierChange.objects.filter(source="override").exists()
    assert trail(request)[-1] == ("update", {"status": ["requested", "rejected"]})
    # decided once: a second decision is refused, and the requester may ask again
    decide(paul, request, "approve")
    request.refresh_from_db()
    assert request.status == "rejected"
    page = login(cast["alice"]).get("/customers/CD0001/").content.decode()
    assert "不符合省重点客户条件" in page and 'data-testid="override-request-link"' in page
    assert ask(login(cast["alice"]), tier="C").status_code == 302
    assert TierOverride.objects.filter(status="requested").count() == 1


def test_who_may_request(login, cast, computed, client):
    assert client.get(REQUEST_URL).status_code == 302 and client.get(REQUEST_URL)["Location"].startswith("/login/")
    assert ask(login(cast["bob"])).status_code == 404  # another customer's manager does not see CD0001
    assert ask(login(cast["carol"])).status_code == 404
    assert ask(login(cast["gd_paul"])).status_code == 404
    TeamRoleFactory(customer=computed["alice"], user=cast["bob"], role="service_manager")
    assert ask(login(cast["bob"])).status_code == 403  # on the team, not its customer manager
    assert login(cast["bob"]).get(REQUEST_URL).status_code == 403
    assert not TierOverride.objects.exists()
    page = login(cast["bob"]).get("/customers/CD0001/").content.decode()
    assert 'data-testid="override-request-link"' not in page
    page = login(cast["dora"]).get("/customers/CD0001/").content.decode()
    assert 'data-testid="override-request-link"' in page and "申请人工调级" in page


def test_who_may_decide(login, cast, computed):
    ask(login(cast["dora"]))
    request = TierOverride.objects.get()
    assert decide(login(cast["dora"]), request, "approve").status_code == 403  # a head does not approve
    assert login(cast["dora"]).get(QUEUE_URL).status_code == 403
    assert decide(login(cast["alice"]), request, "approve").status_code == 403
    assert decide(login(cast["gd_paul"]), request, "approve").status_code == 404  # another province's staff
    assert decide(login(cast["carol"]), request, "approve").status_code == 404
    request.refresh_from_db()
    assert request.status == "requested"
    assert may(cast["hq"], "tiering.decide_override", request)
    # whoever asked never decides on their own request, whatever their role
    own = TierOverride(customer=computed["alice"], tier="A", reason="x", expires_on=in_days(5), set_by=cast["paul"])
    assert not may(cast["paul"], "tiering.decide_override", own)


def test_the_requester_withdraws_while_it_waits(login, cast, computed):
    ask(login(cast["dora"]))
    request = TierOverride.objects.get()
    url = f"/tiering/overrides/{request.pk}/withdraw/"
    assert login(cast["alice"]).post(url).status_code == 403
    assert login(cast["carol"]).post(url).status_code == 404
    page = login(cast["dora"]).get("/customers/CD0001/").content.decode()
    assert 'data-testid="override-withdraw"' in page
    assert login(cast["dora"]).post(url)["Location"] == "/customers/CD0001/"
    request.refresh_from_db()
    assert (request.status, request.removed_by) == ("withdrawn", cast["dora"])
    assert trail(request)[-1] == ("update", {"status": ["requested", "withdrawn"]})
    assert "CD0001" not in login(cast["paul"]).get(QUEUE_URL).content.decode()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"tier": "A", "reason": "  ", "expires_on": in_days(5)}, "reason", "请说明人工调级的原因。"),
        ({"tier": "A", "reason": "x", "expires_on": in_days(-1)}, "expires_on", "到期日期不能早于今天。"),
        ({"tier": "A", "reason": "x", "expires_on": in_days(400)}, "expires_on", "人工调级的有效期不超过一年"),
        ({"tier": "A", "reason": "x", "expires_on": "明天"}, "expires_on", "请按 2026-12-31 的格式填写日期。"),
        ({"tier": "B", "reason": "x", "expires_on": in_days(5)}, "tier", "分级规则已给出 B 级"),
        ({"tier": "S", "reason": "x", "expires_on": in_days(5)}, "tier", "选择一个有效的选项"),
        ({"tier": "A", "reason": "x", "expires_on": ""}, "expires_on", "请填写人工调级的到期日期。"),
    ],
)
def test_bad_requests_are_field_errors_in_chinese(login, cast, computed, payload, field, message):
    response = login(cast["dora"]).post(REQUEST_URL, payload)
    assert response.status_code == 200
    html = response.content.decode()
    errors = [chunk.split("</div>")[0] for chunk in html.split(f'data-field="{field}">')[1:]]
    assert errors and message in errors[0], html[html.find("invalid-feedback") - 200 :][:600]
    assert not TierOverride.objects.exists()


def test_one_request_waits_at_a_time(login, cast, computed):
    ask(login(cast["dora"]))
    response = ask(login(cast["alice"]), tier="C")
    assert response.status_code == 200
    assert "已有" in response.content.decode() and "等待审批" in response.content.decode()
    assert TierOverride.objects.count() == 1


def test_an_approved_request_replaces_the_override_in_force(login, api, cast, computed):
    services.tier_override_set(
        customer=computed["alice"], user=cast["paul"], tier="A", reason="试点", expires_on=in_days(3)
    )
    ask(login(cast["dora"]), tier="A+", reason="续期并上调", days=90)  # may wait beside the override in force
    request = TierOverride.objects.get(status="requested")
    decide(login(cast["hq"]), request, "approve")
    rows = {row.reason: row for row in TierOverride.objects.all()}
    assert (rows["试点"].status, rows["试点"].removed_by) == ("removed", cast["hq"])
    assert rows["续期并上调"].status == "approved"
    assert Customer.objects.get(code="CD0001").tier == "A+"
    assert trail(rows["试点"])[-1] == ("update", {"status": ["approved", "removed"]})


def test_a_request_that_expired_waiting_cannot_be_approved(login, cast, computed):
    ask(login(cast["dora"]), days=2)
    TierOverride.objects.update(expires_on=in_days(-1))
    response = decide(login(cast["paul"]), TierOverride.objects.get(), "approve")
    assert response.status_code == 302
    assert TierOverride.objects.get().status == "requested"
    assert Customer.objects.get(code="CD0001").tier == "B"


def test_staff_set_and_end_a_manual_tier_on_the_page(login, cast, computed):
    paul = login(cast["paul"])
    assert "人工调级" in paul.get(REQUEST_URL).content.decode()
    response = ask(paul, tier="C", reason="客户要求")
    assert response.status_code == 302
    override = TierOverride.objects.get()
    assert (override.status, override.decided_by) == ("approved", cast["paul"])
    assert Customer.objects.get(code="CD0001").tier == "C"
    assert login(cast["dora"]).post(f"/tiering/overrides/{override.pk}/remove/").status_code == 403
    assert login(cast["carol"]).post(f"/tiering/overrides/{override.pk}/remove/").status_code == 404
    assert paul.post(f"/tiering/overrides/{override.pk}/remove/").status_code == 302
    override.refresh_from_db()
    assert (override.status, override.removed_by) == ("removed", cast["paul"])
    assert Customer.objects.get(code="CD0001").tier == "B"


def test_the_queue_lists_overrides_expiring_within_seven_days(login, cast, computed):
    def override(customer, days, **extra):
        return TierOverride.objects.create(
            customer=customer, tier="A", reason=f"{days}天", expires_on=in_days(days), set_by=cast["paul"], **extra
        )

    override(computed["alice"], 0)
    override(computed["wuhou"], 7)
    override(computed["mianyang"], 8)
    override(computed["guangzhou"], 2)  # Guangdong's: not in paul's territory
    old = override(computed["mianyang"], 1, status="removed", removed_at=timezone.now())
    override(computed["wuhou"], -1, status="approved", removed_at=timezone.now())  # expired and ended
    TierOverride.objects.create(
        customer=computed["mianyang"],
        tier="A+",
        reason="待批",
        expires_on=in_days(1),
        set_by=cast["dora"],
        status="requested",
    )
    html = login(cast["paul"]).get(QUEUE_URL).content.decode()
    section = html[html.index('data-testid="overrides-expiring"') :]
    assert [code for code in ("CD0001", "CD0002", "MY0001", "GZ0001") if f'data-expiring="{code}"' in section] == [
        "CD0001",
        "CD0002",
    ]
    assert section.index('data-expiring="CD0001"') < section.index('data-expiring="CD0002"')  # soonest first
    assert 'href="/customers/CD0001/"' in section
    assert 'data-request="MY0001"' in html  # the request waits in the other section
    assert str(old.pk)  # the removed one is not listed (checked above)
    gd = login(cast["gd_paul"]).get(QUEUE_URL).content.decode()
    assert 'data-expiring="GZ0001"' in gd and 'data-expiring="CD0001"' not in gd
    assert 'data-testid="nav-overrides"' in html


def test_the_queue_reads_as_many_queries_for_one_row_as_for_many(login, cast, computed, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def waiting_and_expiring(customer):
        TierOverride.objects.create(
            customer=customer, tier="A", reason="待批", expires_on=in_days(3), set_by=cast["dora"], status="requested"
        )
        TierOverride.objects.create(
            customer=customer, tier="A", reason="在用", expires_on=in_days(3), set_by=cast["hq"]
        )

    client = login(cast["paul"])
    waiting_and_expiring(computed["alice"])
    with CaptureQueriesContext(connection) as one_row:
        assert client.get(QUEUE_URL).status_code == 200
    waiting_and_expiring(computed["wuhou"])
    waiting_and_expiring(computed["mianyang"])
    with django_assert_num_queries(len(one_row)):
        html = client.get(QUEUE_URL).content.decode()
    assert html.count("data-request=") == 3 and html.count("data-expiring=") == 3


def test_pending_and_rejected_rows_never_set_a_tier(cast, computed):
    """The set-based recompute (`bulk.tier_with_overrides`) reads only overrides in force."""
    customer = computed["alice"]
    for status in ("requested", "rejected", "withdrawn", "removed"):
        TierOverride.objects.create(
            customer=customer, tier="A+", reason=status, expires_on=in_days(5), set_by=cast["dora"], status=status
        )
    Customer.objects.filter(pk=customer.pk).update(tier="C")
    call_command("recompute_tiers", stdout=StringIO())
    assert Customer.objects.get(pk=customer.pk).tier == "B"


def test_the_morning_digest_tells_the_requester_and_the_approver(login, cast, computed):
    from crm.notifications import digest_send

    ask(login(cast["dora"]), days=5)
    decide(login(cast["paul"]), TierOverride.objects.get(), "approve")
    digest_send()
    for name in ("dora", "paul"):
        notice = cast[name].notifications.get(kind="override_expiring")
        assert "成都锦程科技有限公司" in notice.body and notice.url == "/customers/CD0001/"
    assert not cast["alice"].notifications.filter(kind="override_expiring").exists()


def test_the_requester_hears_the_decision(login, cast, computed):
    from crm.models import Notification

    ask(login(cast["dora"]))
    paul = login(cast["paul"])
    decide(paul, TierOverride.objects.get(), "reject", "不符合省重点客户条件")
    (rejected,) = Notification.objects.filter(recipient=cast["dora"], kind="override_decided")
    assert "驳回" in rejected.title and "成都锦程科技有限公司" in rejected.title
    assert "不符合省重点客户条件" in rejected.body and rejected.url == "/customers/CD0001/"

    ask(login(cast["alice"]), tier="C")
    decide(paul, TierOverride.objects.get(status="requested"), "approve", "同意")
    (approved,) = Notification.objects.filter(recipient=cast["alice"], kind="override_decided")
    assert "批准" in approved.title and in_days(30).isoformat() in approved.body
    assert not Notification.objects.filter(recipient=cast["paul"], kind="override_decided").exists()


# -- after the walk of issue 18: who hears of a request, who asked and who approved, renew and remove ---------------


def test_staff_who_may_decide_hear_of_a_new_request(login, cast, computed):
    """Sichuan's provincial staff and headquarters are told (they may decide it), with the reason and a link to
    the queue; Guangdong's staff, the requester and the customer's manager are not."""
    from crm.models import Notification
    from crm.permissions import may

    ask(login(cast["dora"]), reason="省重点保障客户")
    request = TierOverride.objects.get()
    told = Notification.objects.filter(kind="override_requested")
    assert set(told.values_list("recipient__username", flat=True)) == {"paul", "hq"}
    for notice in told:
        assert may(notice.recipient, "tiering.decide_override", request)
        assert "成都锦程科技有限公司" in notice.title and "A" in notice.title
        assert "省重点保障客户" in notice.body and cast["dora"].display_name in notice.body
        assert notice.url == QUEUE_URL
    assert not may(cast["gd_paul"], "tiering.decide_override", request)
    queue = login(cast["paul"]).get(QUEUE_URL).content.decode()
    assert 'data-testid="waiting-heading-count">1<' in queue  # the count of requests waiting, on the heading


def test_the_tier_card_names_who_asked_and_who_approved(login, cast, computed):
    ask(login(cast["dora"]))
    decide(login(cast["paul"]), TierOverride.objects.get(), "approve", "同意")
    html = login(cast["alice"]).get("/customers/CD0001/").content.decode()
    card = html[html.index('data-testid="tier-override"') :][:800]
    dora, paul = cast["dora"].display_name, cast["paul"].display_name
    assert f"{dora}申请、{paul}批准人工调整为 A" in card
    assert f"已由{dora}人工调整" not in card


def test_the_form_is_worded_for_who_fills_it(login, cast, computed):
    staff = login(cast["paul"]).get(REQUEST_URL).content.decode()
    head = login(cast["dora"]).get(REQUEST_URL).content.decode()
    assert "省公司人员据此审批" in head
    assert "省公司人员据此审批" not in staff and "随人工调级保存" in staff


def test_an_override_is_named_by_its_customers_code_on_the_trail(login, cast, computed):
    ask(login(cast["paul"]), tier="C", reason="客户要求", days=30)
    override = TierOverride.objects.select_related("customer").get()
    assert str(override) == f"CD0001 → C ({in_days(30)})"
    entry = AuditEntry.objects.filter(object_type="tiering.tieroverride", object_id=str(override.pk)).get()
    assert entry.object_repr == str(override)


def test_an_override_about_to_expire_is_renewed_or_removed_from_the_queue(login, cast, computed):
    paul = login(cast["paul"])
    services.tier_override_set(
        customer=computed["alice"], user=cast["paul"], tier="A", reason="省重点保障客户", expires_on=in_days(3)
    )
    override = TierOverride.objects.get()
    html = paul.get(QUEUE_URL).content.decode()
    row = html[html.index('data-expiring="CD0001"') :]
    assert f'href="/tiering/overrides/new/CD0001/?renew={override.pk}"' in row
    assert 'data-testid="override-remove-confirm"' in row and "<details" in row  # asked before it is done

    # 续期: the form prefilled with the same tier and reason, 90 more days from its end
    form = paul.get(f"/tiering/overrides/new/CD0001/?renew={override.pk}").context["form"]
    assert (form.initial["tier"], form.initial["reason"], form.initial["expires_on"]) == (
        "A",
        "省重点保障客户",
        in_days(93),
    )
    assert "tier" not in paul.get("/tiering/overrides/new/CD0001/?renew=999999").context["form"].initial
    ask(paul, tier="A", reason="省重点保障客户", days=93)
    assert TierOverride.objects.get(status="approved", removed_at__isnull=True).expires_on == in_days(93)

    # 移除: back to the queue, the rules' tier again
    renewed = TierOverride.objects.get(status="approved", removed_at__isnull=True)
    response = paul.post(f"/tiering/overrides/{renewed.pk}/remove/", {"next": "queue"})
    assert response.status_code == 302 and response["Location"] == f"{QUEUE_URL}#expiring"
    assert Customer.objects.get(code="CD0001").tier == "B"
    assert login(cast["dora"]).post(f"/tiering/overrides/{renewed.pk}/remove/", {"next": "queue"}).status_code == 403
