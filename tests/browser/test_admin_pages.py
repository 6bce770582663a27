"""The admin, as provincial staff and headquarters open it (issue 18): branded with the product's name, and names in
its change lists on a line or two rather than squeezed to one character per line, at 1280 px and on a phone."""

from __future__ import annotations

import pytest

from tests.browser.test_customer_journey import log_in
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "成都市锦江区春熙路商圈信息技术服务股份有限公司"


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desk", "phone"]
)
def test_names_in_the_admin_change_lists_stay_readable(
    browser, live_server, cast, customers, territory, screenshot, viewport
):
    hq = cast["hq"]
    hq.is_staff = hq.is_superuser = True
    hq.save()
    CustomerFactory(code="CD0097", name=NAME, region=territory["jinjiang"])
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "hq")
    response = page.goto(f"{live_server.url}/admin/accounts/customer/")
    assert response is not None and response.status == 200
    assert "集团客户管理系统" in page.title() and "Django" not in page.title()
    assert "集团客户管理系统" in page.locator("#site-name").inner_text()
    cell = page.locator("#result_list tr:has-text('CD0097') td.field-name")
    box = cell.bounding_box()
    screenshot(page, f"admin-customers-{viewport['width']}")
    # 14px type: one character per line would be ~1.5 em wide; a readable name column is at least ~8 characters.
    assert box is not None and box["width"] >= 8 * 14, box
    context.close()
