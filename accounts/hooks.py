"""Where the floors above customers add their work to customers' writes and pages (`crm.hooks`).

Registered in the higher apps' `AppConfig.ready`:
- `customer_filed(customer, user)`: a customer was just created by `user` (teams: an account manager who files
  it becomes its customer manager);
- `customer_saved(customer, user, former_parent_id)`: a customer was created or changed by `user`, inside the same
  transaction (tiering: its tier follows its values at once); `former_parent_id` is the parent group it has just
  left (its parent changed or cleared), else None (tiering: the group it left is recomputed too);
- `customer_list_context(request, page)` and `customer_page_context(request, customer)`: what the floors above add
  to *my customers* and to the customer page (visit status, the team, coverage, campaigns, one's own KPIs), each
  a dict merged into the template's context;
- `customer_group_context(request, customer, branches)`: what the floors above add up over a group (issue 21) on
  its headquarters' group page, `branches` being the branches the reader sees (coverage), a dict merged into the
  template's context;
- `customer_page_annotations(user)`: what the floors above read of the customer in the customer page's one query
  of it (arrears: what it owes, its latest case), each a dict of annotations, so that a customer with nothing of
  theirs costs the page no query more;
- `customer_timeline(customer, user, before, limit)`: the customer's events each floor above keeps (visits, calls,
  plan stage moves, opportunities, tier and team changes) for the one timeline of the customer page, each a list of
  `TimelineEntry`, newest first, at most `limit`, only those before `before` (a datetime, or None for the newest).

The extra filters of the customer list (team, visits, product coverage) are added with
`accounts.filters.customer_filter_add`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from crm.hooks import Hook


@dataclass(frozen=True)
class TimelineEntry:
    """One event of a customer's timeline, as the customer page shows it (texts already in the user's language)."""

    at: datetime.datetime
    kind: str  # "visit", "call", "plan", "opportunity", "tier", "team", …: the icon and the filter
    title: str
    body: str = ""
    url: str = ""  # where the event's own page is, if it has one
    actor: str = ""  # who did it, as a name


customer_filed = Hook("accounts.customer_filed")
customer_saved = Hook("accounts.customer_saved")
customer_list_context = Hook("accounts.customer_list_context")
customer_page_context = Hook("accounts.customer_page_context")
customer_page_annotations = Hook("accounts.customer_page_annotations")
customer_group_context = Hook("accounts.customer_group_context")
customer_timeline = Hook("accounts.customer_timeline")
