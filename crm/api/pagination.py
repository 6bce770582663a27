from rest_framework.pagination import PageNumberPagination

from crm.paginator import EstimatingPaginator, lists_are_long

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

    def paginate_queryset(self, queryset, request, view=None):
        # A view of a territory's customers (`territory_lists`) reads its list, in code order, region by region
        # (`crm.paginator`), the territory as its filter set says (`territory_of_list`: none for a sparse filter,
        # which finds its few rows quicker through its own indexes).
        self.territory, self.whole = None, False
        filterset_class = getattr(view, "filterset_class", None)
        if getattr(view, "territory_lists", False) and hasattr(filterset_class, "territory_of_list"):
            filterset = filterset_class(request.query_params, queryset=queryset, request=request)
            self.territory, self.whole = filterset.territory_of_list(request.user)
        # A view whose lists are long as a rule for a territory (`long_lists`: customers, visits) asks the planner's
        # estimate first; an account manager's lists are short.
        long_lists = getattr(view, "long_lists", False)
        self.estimate_first = long_lists and lists_are_long(request.user)
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, queryset, page_size):  # type: ignore[override]
        return EstimatingPaginator(
            queryset,
            page_size,
            territory=getattr(self, "territory", None),
            whole=getattr(self, "whole", False),
            estimate_first=getattr(self, "estimate_first", False),
        )

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        estimated = getattr(self.page.paginator, "estimated", False)
        response[COUNT_ESTIMATED_HEADER] = "true" if estimated else "false"
        return response
