"""Superuser tooling only; the product UI lives in views."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from blcheck.core.admin import ReadOnlyAdmin
from blcheck.monitoring.models import (
    Blocklist,
    CheckRun,
    Listing,
    ListingChange,
    Lookup,
    NotificationPreference,
    Tag,
    Target,
)


@admin.register(Blocklist)
class BlocklistAdmin(admin.ModelAdmin):
    list_display = ("zone", "name", "operator", "is_enabled", "is_retired")
    list_filter = ("is_enabled", "is_retired", "has_ipv4", "has_ipv6", "has_domains")
    search_fields = ("zone", "name", "operator")


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    """Superuser tooling. Staff work on targets in the product (edit, pause,
    archive, delete, actions on a selection): the admin's "delete selected"
    is gone, as its confirmation posts one field per target and fails past
    DATA_UPLOAD_MAX_NUMBER_FIELDS (and deleting a target deletes its history)."""

    list_display = (
        "value",
        "kind",
        "label",
        "is_enabled",
        "archived_at",
        "next_check_at",
        "last_checked_at",
    )
    list_filter = ("kind", "is_enabled", ("archived_at", admin.EmptyFieldListFilter))
    search_fields = ("value", "label")
    ordering = ("sort_key",)
    readonly_fields = ("sort_key", "address_first", "address_last")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(CheckRun)
class CheckRunAdmin(admin.ModelAdmin):
    list_display = ("target", "trigger", "status", "done", "total", "created_at")
    list_filter = ("status", "trigger")
    raw_id_fields = ("target",)


@admin.register(Lookup)
class LookupAdmin(ReadOnlyAdmin):
    """What a list answered: history, written by the engine only."""

    list_display = ("query_name", "verdict", "error", "checked_at")
    list_filter = ("verdict", "error")
    raw_id_fields = ("run", "target", "blocklist")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ("subject", "blocklist", "is_listed", "listed_since", "last_error")
    list_filter = ("is_listed", "blocklist")
    search_fields = ("subject",)
    raw_id_fields = ("target", "blocklist")


@admin.register(ListingChange)
class ListingChangeAdmin(ReadOnlyAdmin):
    """A listing's start or end: history, written by the engine only."""

    list_display = ("listing", "kind", "at")
    list_filter = ("kind",)
    raw_id_fields = ("listing", "run")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "is_email_on", "webhook_url")
