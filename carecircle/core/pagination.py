from rest_framework.pagination import PageNumberPagination

from .params import MAX_ID, parse_int


class Pagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}`; clients may ask for up to 200 rows a page.

    `page` and `page_size` must be whole numbers of at least 1 and within 64 bits (400 otherwise, see
    `core.params`); a larger page size is served as 200 rows, a page past the last one is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw in self.last_page_strings:
            return raw
        page = parse_int(raw, name=self.page_query_param, minimum=1, maximum=MAX_ID)
        return page or 1

    def get_page_size(self, request):
        size = parse_int(request.query_params.get(self.page_size_query_param), name=self.page_size_query_param,
                         minimum=1, maximum=MAX_ID)
        return self.page_size if size is None else min(size, self.max_page_size)
