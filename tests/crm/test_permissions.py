"""Who may do what (crm/permissions.py): the rules per role, and services refusing exactly what the API refuses
when they are called directly (from a command, the admin or a test)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from crm.permissions import ACTIONS, may, require
from kpis.services import kpi_target_set
from tiering.models import RuleSet
from tiering.services import rule_set_draft_create, rule_set_publish, tier_override_set

pytestmark = pytest.mark.django_db

# action: who of alice (account manager), dora (department head), paul (provincial staff), hq may do it
VIEW_LEVEL = {
    "tiering.export_tier_lists": {"dora", "paul", "hq"},
    "tiering.manage_rules": {"paul", "hq"},
    "teams.manage": {"dora", "paul", "hq"},
    "teams.change_standards": {"paul", "hq"},
    "campaigns.plan": {"dora", "paul", "hq"},
    "campaigns.build_call_list_for_others": {"dora", "paul", "hq"},
    "campaigns.manage_do_not_call": {"paul", "hq"},
    "kpis.set_targets": {"paul", "hq"},
    "kpis.view_job_runs": {"paul", "hq"},
    "admin.use": {"paul", "hq"},
    "admin.change_reference_data": {"hq"},
    "admin.delete": {"hq"},
}


@pytest.mark.parametrize("action", sorted(VIEW_LEVEL))
def test_each_role_may_do_exactly_its_actions(cast, action):
    allowed = {name for name in ("alice", "dora", "paul", "hq") if may(cast[name], action)}
    assert allowed == VIEW_LEVEL[action]
    assert not may(AnonymousUser(), action)


def test_an_inactive_member_of_staff_may_do_nothing(cast):
    cast["hq"].is_active = False
    assert not any(may(cast["hq"], action) for action in VIEW_LEVEL)


def test_an_unknown_action_is_an_error_not_a_refusal(cast):
    with pytest.raises(KeyError):
        may(cast["hq"], "tiering.export_everything")


def test_every_action_says_why_it_is_refused(cast):
    for action, (_predicate, message) in ACTIONS.items():
        assert str(message).strip(), action
    with translation.override("en"), pytest.raises(PermissionDenied, match="tier rules"):
        require(cast["alice"], "tiering.manage_rules")
    with translation.override("zh-hans"), pytest.raises(PermissionDenied, match="分级规则"):
        require(cast["alice"], "tiering.manage_rules")


def _expiry():
    return timezone.localdate() + timezone.timedelta(days=30)


def test_the_override_service_refuses_an_account_manager_and_an_outsider(cast, customers):
    customer = customers["alice"]
    for name in ("alice", "dora", "gd_paul"):  # gd_paul: provincial staff of another province
        with pytest.raises(PermissionDenied):
            tier_override_set(customer=customer, user=cast[name], tier="A", reason="重点", expires_on=_expiry())
    override = tier_override_set(customer=customer, user=cast["paul"], tier="A", reason="重点", expires_on=_expiry())
    assert override.pk is not None


def test_the_publish_service_refuses_heads_other_provinces_and_national_drafts(cast, customers):
    draft = rule_set_draft_create(user=cast["paul"])
    with pytest.raises(PermissionDenied):
        rule_set_publish(rule_set=draft, user=cast["dora"])
    with pytest.raises(PermissionDenied):
        rule_set_publish(rule_set=draft, user=cast["gd_paul"])
    national = rule_set_draft_create(user=cast["hq"])
    with pytest.raises(PermissionDenied):
        rule_set_publish(rule_set=national, user=cast["paul"])
    assert RuleSet.objects.get(pk=draft.pk).status == "draft"
    assert rule_set_publish(rule_set=draft, user=cast["paul"]).status == "published"
    assert rule_set_publish(rule_set=national, user=cast["hq"]).status == "published"


def test_the_target_service_keeps_each_to_their_own_scope(cast, territory):
    value = Decimal("0.9")
    metric = "visit_compliance_rate"
    for name, region in (("paul", "root"), ("paul", "guangdong"), ("dora", "sichuan"), ("hq", "sichuan")):
        with pytest.raises(PermissionDenied):
            kpi_target_set(user=cast[name], metric=metric, region=territory[region], value=value)
    assert kpi_target_set(user=cast["paul"], metric=metric, region=territory["sichuan"], value=value).value == value
    assert kpi_target_set(user=cast["hq"], metric=metric, region=territory["root"], value=value).value == value


def test_a_refused_page_says_why_in_chinese(login, cast):
    response = login(cast["alice"]).get("/campaigns/new/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403
    page = response.content.decode()
    assert "您无权执行此操作" in page
    assert "营销活动由部门负责人和省公司人员策划。" in page  # the rule's own message, translated


def test_a_refused_api_call_says_why(api, cast, customers):
    response = api(cast["alice"]).post(
        "/api/v1/customers/CD0001/tier-override/", {"tier": "A", "reason": "x", "expires_on": "2099-01-01"}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == str(ACTIONS["tiering.override_tier"][1])
