"""Delisting work: one case per (address, list) listing, and its audit trail."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from blcheck.cases import workflow
from blcheck.monitoring.models import Blocklist, ListingChange, Lookup, Target


class DelistingCase(models.Model):
    """Getting one address off one list, from request to verified removal
    and the list's re-evaluation."""

    class Status(models.TextChoices):
        OPEN = workflow.Status.OPEN, _("Open")
        REQUESTED = workflow.Status.REQUESTED, _("Removal requested")
        AWAITING_REMOVAL = workflow.Status.AWAITING_REMOVAL, _("Awaiting removal")
        REMOVAL_VERIFIED = workflow.Status.REMOVAL_VERIFIED, _("Removal verified")
        WATCHING = workflow.Status.WATCHING, _("Watching re-evaluation")
        RELISTED = workflow.Status.RELISTED, _("Relisted")
        REJECTED = workflow.Status.REJECTED, _("Rejected")
        ABANDONED = workflow.Status.ABANDONED, _("Abandoned")
        CLOSED = workflow.Status.CLOSED, _("Closed")

    class Method(models.TextChoices):
        FORM = "form", _("Web form")
        EMAIL = "email", _("E-mail")
        PORTAL = "portal", _("Self-service portal")
        PHONE = "phone", _("Phone")
        OTHER = "other", _("Other")

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="cases")
    blocklist = models.ForeignKey(
        Blocklist, on_delete=models.PROTECT, related_name="cases"
    )
    subject = models.CharField(_("address or domain"), max_length=253)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    episode = models.ForeignKey(
        ListingChange,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    bounce_text = models.TextField(_("bounce message"), blank=True)
    lookup_url = models.URLField(
        _("lookup link from the bounce"), max_length=500, blank=True
    )
    # The request, as staff made it.
    method = models.CharField(
        _("method"), max_length=10, choices=Method.choices, blank=True
    )
    reference = models.CharField(_("confirmation number"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=50, blank=True)
    request_text = models.TextField(_("text sent"), blank=True)
    # Policy timers and verification, kept on the case (due-times are data).
    opened_at = models.DateTimeField(auto_now_add=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    removal_due_at = models.DateTimeField(
        _("removal expected by"), null=True, blank=True
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    reevaluate_at = models.DateTimeField(_("re-evaluation"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    clean_since = models.DateTimeField(
        null=True, blank=True
    )  # first of the clean streak
    clean_count = models.PositiveSmallIntegerField(default=0)
    is_overdue = models.BooleanField(_("overdue"), default=False)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # One open case per (address, list); a second attempt finds this one.
            models.UniqueConstraint(
                fields=["target", "blocklist", "subject"],
                condition=~Q(status__in=[str(s) for s in workflow.ENDED]),
                name="one_active_case_per_listing",
            )
        ]
        indexes = [
            # The dashboard's "open cases by due date": the first ten, no sort.
            models.Index(
                fields=["removal_due_at", "reevaluate_at", "opened_at", "id"],
                condition=~Q(status__in=[str(s) for s in workflow.ENDED]),
                name="case_active_by_due",
            )
        ]
        verbose_name = _("delisting case")
        verbose_name_plural = _("delisting cases")

    def __str__(self) -> str:
        return f"{self.subject} on {self.blocklist.zone} ({self.status})"

    @property
    def is_active(self) -> bool:
        return workflow.Status(self.status) in workflow.ACTIVE

    @property
    def policy(self) -> workflow.Policy:
        return workflow.Policy(
            delist_method=self.blocklist.delist_method,
            removal_hours=self.blocklist.removal_hours,
            expiry_hours=self.blocklist.expiry_hours,
            reevaluation_days=self.blocklist.reevaluation_days,
        )

    @property
    def time_to_delist(self) -> timedelta | None:
        """From the request (or the opening, if none was possible) to removal."""
        if self.verified_at is None:
            return None
        return self.verified_at - (self.requested_at or self.opened_at)

    @property
    def delist_url(self) -> str:
        return self.blocklist.delist_url.replace("{ip}", self.subject)


class HistoryRewrite(Exception):
    """Someone tried to change or delete a CaseEvent: the history is append-only."""


class CaseEventQuerySet(models.QuerySet["CaseEvent"]):
    """Refuses bulk updates and deletes. Deleting a case (or its target) still
    removes its events: Django's cascade collector uses the base manager and
    SQL of its own, not this queryset."""

    def update(self, **kwargs: Any) -> int:
        raise HistoryRewrite("case events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise HistoryRewrite("case events are append-only")


class CaseEvent(models.Model):
    """One step of a case, append-only: who did what, when, and the evidence.

    save() only inserts and delete() refuses (HistoryRewrite); a correction is
    a new event (a note, or REQUEST_AMENDED for a request recorded again).
    """

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ASSIGNED = "assigned", _("Assigned")
        NOTE = "note", _("Note")
        REQUESTED = "requested", _("Removal requested")
        REQUEST_AMENDED = "request_amended", _("Request amended")
        WAITING = "waiting", _("Waiting for expiry")
        CHECKED = "checked", _("Checked")
        VERIFIED = "verified", _("Removal verified")
        WATCHING = "watching", _("Watching re-evaluation")
        OVERDUE = "overdue", _("Overdue")
        RELISTED = "relisted", _("Relisted")
        REJECTED = "rejected", _("Rejected")
        ABANDONED = "abandoned", _("Abandoned")
        CLOSED = "closed", _("Closed")

    case = models.ForeignKey(
        DelistingCase, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )  # empty: blcheck itself
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    detail = models.TextField(blank=True)
    # Evidence: the lookup, and a copy that outlives the lookup's retention.
    lookup = models.ForeignKey(Lookup, on_delete=models.SET_NULL, null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise HistoryRewrite("case events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise HistoryRewrite("case events are append-only")
