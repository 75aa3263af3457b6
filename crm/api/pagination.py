from rest_framework.pagination import CursorPagination as BaseCursorPagination


class CursorPagination(BaseCursorPagination):
    """Cursor pages: no COUNT over millions of rows, and stable while new rows arrive."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500
