"""Admin plumbing: the read-only base of every append-only history, and the
audit log's admin made read-only for everyone, superusers included."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that are history: shown, never added, changed or deleted here.

    Deleting an object whose history would cascade (a target with lookups, a
    case with events) is refused too: the admin asks for the delete permission
    of every row a delete would take with it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False


class AuditLogEntryAdmin(LogEntryAdmin):
    """django-auditlog's admin, which already refuses add and change; its
    delete is refused on every page too."""

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False


# auditlog comes before blcheck.core in INSTALLED_APPS: its admin is loaded first.
admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AuditLogEntryAdmin)
