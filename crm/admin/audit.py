"""The audit trail (django-auditlog) in the product's admin theme: read by administrators, never edited."""

from auditlog.admin import LogEntryAdmin as AuditlogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from unfold.admin import ModelAdmin

from crm.admin.paginator import EstimatedCountPaginator

admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class LogEntryAdmin(AuditlogEntryAdmin, ModelAdmin):
    show_full_result_count = False
    paginator = EstimatedCountPaginator
