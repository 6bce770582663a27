"""A page's form is sent once: a second submission while the first is on its way is held back (a slow phone network
would otherwise log the same visit twice)."""

from __future__ import annotations

import pytest

from tests.browser.test_customer_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Counts the submissions that would leave the page (listening after js/submit-once.js), and keeps them on it.
COUNT_TWO_SUBMITS = """() => {
  let sent = 0;
  document.addEventListener("submit", (event) => {
    if (!event.defaultPrevented) sent += 1;
    event.preventDefault();
  });
  const form = document.querySelector("form[method=post]:not([action*='i18n'])");
  form.requestSubmit();
  form.requestSubmit();
  return sent;
}"""


def test_the_visit_form_is_sent_once_however_often_it_is_submitted(browser, live_server, customers):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/customers/CD0001/visits/new/")
    assert page.evaluate(COUNT_TWO_SUBMITS) == 1
    context.close()
