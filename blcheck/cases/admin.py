"""Superuser tooling only; cases are worked in the product UI."""

from django.contrib import admin

from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.core.admin import ReadOnlyAdmin


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
class CaseEventAdmin(ReadOnlyAdmin):
    """A case's history, append-only for everyone (superusers too): blcheck
    writes events through its services, nobody adds, changes or deletes one."""

    list_display = ("case", "kind", "at", "actor")
    list_filter = ("kind",)
    raw_id_fields = ("case", "lookup")
