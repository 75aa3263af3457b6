from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    """A change list's paginator that does not count a whole large table (issue 22).

    Unfiltered, on PostgreSQL, the number of rows is the planner's estimate (`pg_class.reltuples`, kept by
    autovacuum and ANALYZE) once the table holds more than ESTIMATE_ABOVE rows: an exact COUNT(*) over a million
    accounts costs more than the rest of the page. The total shown and the last page may then be a little off.
    Filtered or searched lists, and smaller tables, are counted exactly."""

    ESTIMATE_ABOVE = 100_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and connections[queryset.db].vendor == "postgresql":
            with connections[queryset.db].cursor() as cursor:
                table = query.model._meta.db_table
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
                row = cursor.fetchone()
            if row and row[0] > self.ESTIMATE_ABOVE:
                return row[0]
        return super().count
