"""Where the floors above customers add their work to customers' writes and pages (`crm.hooks`).

Registered in the higher apps' `AppConfig.ready`:
- `customer_filed(customer, user)`: a customer was just created by `user` (teams: an account manager who files
  it becomes its customer manager);
- `customer_saved(customer, user)`: a customer was created or changed by `user`, inside the same transaction
  (tiering: its tier follows its values at once);
- `customer_list_context(request, page)` and `customer_page_context(request, customer)`: what the floors above add
  to *my customers* and to the customer page (visit status, the team, coverage, campaigns, one's own KPIs), each
  a dict merged into the template's context.

The extra filters of the customer list (team, visits, product coverage) are added with
`accounts.filters.customer_filter_add`.
"""

from __future__ import annotations

from crm.hooks import Hook

customer_filed = Hook("accounts.customer_filed")
customer_saved = Hook("accounts.customer_saved")
customer_list_context = Hook("accounts.customer_list_context")
customer_page_context = Hook("accounts.customer_page_context")
