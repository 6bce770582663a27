from rest_framework.pagination import PageNumberPagination

from crm.paginator import EstimatingPaginator

COUNT_ESTIMATED_HEADER = "X-Count-Estimated"


class StandardPagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}` with `?page=` and `?page_size=` up to 500 (SPEC §8.2).

    A list longer than `EXACT_COUNT_LIMIT` rows is not counted row by row: its `count` is PostgreSQL's estimate and
    the header `X-Count-Estimated: true` says so (`false` for an exact count); the body keeps the contract's four
    keys. `next` is then known from the row past the page's end, never from the estimate
    (`crm.paginator.EstimatingPaginator`)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = EstimatingPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        estimated = getattr(self.page.paginator, "estimated", False)
        response[COUNT_ESTIMATED_HEADER] = "true" if estimated else "false"
        return response
