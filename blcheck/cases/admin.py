"""Superuser tooling only; cases are worked in the product UI."""

from django.contrib import admin

from blcheck.cases.models import CaseEvent, DelistingCase


@admin.register(DelistingCase)
class DelistingCaseAdmin(admin.ModelAdmin):
    list_display = (
        "subject",
        "blocklist",
        "status",
        "assignee",
        "is_overdue",
        "opened_at",
    )
    list_filter = ("status", "is_overdue")
    raw_id_fields = ("target", "blocklist", "episode")


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ("case", "kind", "at", "actor")
    raw_id_fields = ("case", "lookup")

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # the audit trail is append-only
