from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination as BaseCursorPagination


class CursorPagination(BaseCursorPagination):
    """Cursor pages: no COUNT over millions of rows, and stable while new rows arrive."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        """A damaged or foreign `cursor` is the client's mistake (a 400 that says what to do), not a missing page."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {self.cursor_query_param: [_("This page link is damaged: start again from the first page.")]}
            ) from None
