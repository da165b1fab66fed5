"""What DNS said: runs, every answer, the state per list and address, its
flips, and the stretches when the resolver itself failed."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from blcheck.lookups import dnsbl
from blcheck.monitoring.models.lists import Blocklist
from blcheck.monitoring.models.targets import Target


class ResolverOutage(models.Model):
    """A stretch of time when the resolver itself failed: every list's probes
    failed alike, or most lookups of a run, and a canary query confirmed it.
    Runs in between are blind, not checks. Open while ended_at is empty."""

    class Failure(models.TextChoices):
        TIMEOUT = dnsbl.Failure.TIMEOUT, _("timeout")
        SERVFAIL = dnsbl.Failure.SERVFAIL, _("SERVFAIL")
        REFUSED = dnsbl.Failure.REFUSED, _("REFUSED")
        NO_NAMESERVERS = dnsbl.Failure.NO_NAMESERVERS, _("no nameserver reachable")

    started_at = models.DateTimeField(_("failing since"))
    ended_at = models.DateTimeField(_("answering again"), null=True, blank=True)
    failure = models.CharField(
        _("how it failed"), max_length=20, choices=Failure.choices
    )
    nameserver = models.CharField(_("nameserver"), max_length=60, blank=True)
    last_seen_at = models.DateTimeField(_("last seen failing"))
    blind_runs = models.PositiveIntegerField(_("blind runs"), default=0)
    # True while open, empty once ended: unique, so at most one is open (NULLs
    # never clash, in SQLite and PostgreSQL alike) and a second detector
    # finds the first.
    is_open = models.BooleanField(default=True, null=True, unique=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("resolver outage")
        verbose_name_plural = _("resolver outages")

    def __str__(self) -> str:
        since = f"{self.started_at:%Y-%m-%d %H:%M}"
        return f"{self.failure} at {self.nameserver} since {since}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.is_open = None if self.ended_at else True
        super().save(*args, **kwargs)


class CheckRun(models.Model):
    """One scheduled or manual run over a target, with its status and timings."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        MANUAL = "manual", _("Manual")
        CASE = "case", _("Delisting case")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")
        # The resolver failed during the run: no list could be asked.
        BLIND = "blind", _("No answers: DNS resolution failing")

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="runs")
    # A case's run asks one list about one address; other runs ask everything.
    blocklist = models.ForeignKey(
        Blocklist, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=253, blank=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    listed_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    outage = models.ForeignKey(
        ResolverOutage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
    )
    # Runs asked for together ("check this tag now") share a group for progress.
    group = models.UUIDField(null=True, blank=True, db_index=True)
    # The task working on the run, and until when its claim holds: a worker
    # that dies mid-run stops renewing it, and the run is dispatched again.
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "lease_until"])]
        verbose_name = _("check run")
        verbose_name_plural = _("check runs")

    def __str__(self) -> str:
        return f"{self.target} #{self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


class Lookup(models.Model):
    """One answer from one list about one address or domain, kept as history."""

    class Verdict(models.TextChoices):
        LISTED = dnsbl.Verdict.LISTED, _("Listed")
        NOT_LISTED = dnsbl.Verdict.NOT_LISTED, _("Not listed")
        ERROR = dnsbl.Verdict.ERROR, _("Error")

    class Error(models.TextChoices):
        """Why a lookup is an error; the values are DESIGN §4.3's tokens."""

        TIMEOUT = dnsbl.Failure.TIMEOUT, _("No answer in time")
        SERVFAIL = dnsbl.Failure.SERVFAIL, _("The list's server failed (SERVFAIL)")
        REFUSED = (
            dnsbl.Failure.REFUSED,
            _("The list's server refused the query (REFUSED)"),
        )
        NO_NAMESERVERS = (
            dnsbl.Failure.NO_NAMESERVERS,
            _("No nameserver could be reached"),
        )
        RESOLVER_REFUSED = (
            dnsbl.Failure.RESOLVER_REFUSED,
            _("The list refused our resolver; use your own recursive resolver"),
        )
        BAD_ANSWER = dnsbl.Failure.BAD_ANSWER, _("An answer that is no listing code")
        LIST_UNHEALTHY = (
            dnsbl.Failure.LIST_UNHEALTHY,
            _("The list failed its health probes"),
        )

    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="lookups")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="lookups")
    blocklist = models.ForeignKey(
        Blocklist, on_delete=models.CASCADE, related_name="lookups"
    )
    subject = models.CharField(max_length=253)  # the address or domain asked about
    query_name = models.CharField(max_length=255)
    verdict = models.CharField(max_length=12, choices=Verdict.choices)
    codes = models.JSONField(default=list)
    reason = models.TextField(blank=True)  # the list's TXT record
    error = models.CharField(max_length=20, choices=Error.choices, blank=True)
    # With error "list_unhealthy": why the list failed its probes (its Health).
    # A database default too: rows written by COPY or by hand stay valid.
    health = models.CharField(
        max_length=20,
        choices=Blocklist.Health.choices,
        blank=True,
        default="",
        db_default="",
    )
    rcode = models.CharField(max_length=12, blank=True)
    ttl = models.PositiveIntegerField(null=True)
    resolver = models.CharField(max_length=60, blank=True)
    elapsed_ms = models.FloatField(default=0)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["blocklist__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "blocklist", "subject"], name="lookup_once_per_run"
            )
        ]
        indexes = [
            models.Index(fields=["target", "checked_at"]),
            models.Index(fields=["blocklist", "subject", "checked_at"]),
            # History pages are newest first, keyset-paged on (checked_at, id):
            # with the id in the index, a second full of lookups needs no sort.
            models.Index(fields=["checked_at", "id"], name="lookup_checked_at_id"),
            # History searches for listings and errors (under 1 % of the rows)
            # read this small index instead of walking millions of clean ones.
            models.Index(
                fields=["checked_at", "id"],
                condition=~models.Q(verdict="not_listed"),
                name="lookup_notable_checked_at",
            ),
            models.Index(
                fields=["blocklist", "checked_at"],
                condition=~models.Q(verdict="not_listed"),
                name="lookup_notable_by_list",
            ),
        ]
        verbose_name = _("lookup")
        verbose_name_plural = _("lookups")

    def __str__(self) -> str:
        return f"{self.query_name}: {self.verdict}"


class Listing(models.Model):
    """The current state of one address (or domain) on one list, kept forever."""

    target = models.ForeignKey(
        Target, on_delete=models.CASCADE, related_name="listings"
    )
    blocklist = models.ForeignKey(
        Blocklist, on_delete=models.CASCADE, related_name="listings"
    )
    subject = models.CharField(max_length=253)
    is_listed = models.BooleanField(default=False)
    codes = models.JSONField(default=list)
    reason = models.TextField(blank=True)
    listed_since = models.DateTimeField(null=True, blank=True)  # this episode's start
    # Only changes are written: a sweep that confirms the state rewrites nothing
    # here (the check time is the run's, and the target's last_checked_at).
    last_changed_at = models.DateTimeField()
    # The latest lookup was an error: the state above is the last one known.
    last_error = models.CharField(
        max_length=20, choices=Lookup.Error.choices, blank=True
    )
    change_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target", "blocklist", "subject"],
                name="listing_once_per_subject",
            )
        ]
        indexes = [
            models.Index(fields=["is_listed", "blocklist"]),
            # The dashboard puts targets with a listing first: read from here.
            models.Index(
                fields=["target"],
                condition=models.Q(is_listed=True),
                name="listing_listed_target",
            ),
            # The dashboard's "lists erroring" and error filter: few rows.
            models.Index(
                fields=["blocklist", "target"],
                condition=~models.Q(last_error=""),
                name="listing_erroring",
            ),
        ]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")

    def __str__(self) -> str:
        state = "listed" if self.is_listed else "clean"
        return f"{self.subject} on {self.blocklist_id}: {state}"


class ListingChange(models.Model):
    """One flip of a Listing: listed (an episode starts) or cleared (it ends)."""

    class Kind(models.TextChoices):
        LISTED = "listed", _("Listed")
        CLEARED = "cleared", _("Cleared")

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="changes"
    )
    # The listing's list, copied: per-list reports count thousands of episodes
    # without joining every listing.
    blocklist = models.ForeignKey(
        Blocklist, on_delete=models.CASCADE, related_name="listing_changes"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField()
    run = models.ForeignKey(
        CheckRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
    )
    codes = models.JSONField(default=list)
    reason = models.TextField(blank=True)
    # On a "listed" change: when the episode ended (its "cleared" change), empty
    # while still listed. Written with the clearing, so history and reports read
    # an episode from one row instead of searching for its end.
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            # A re-delivered run never records the same flip twice.
            models.UniqueConstraint(
                fields=["listing", "run", "kind"], name="change_once_per_run"
            )
        ]
        indexes = [
            # Newest first, ties broken by id, without a sort.
            models.Index(fields=["at", "id"], name="listingchange_at_id"),
            # An episode's end: the first "cleared" of its listing after its start.
            models.Index(fields=["listing", "kind", "at"]),
        ]
        verbose_name = _("listing change")
        verbose_name_plural = _("listing changes")

    def __str__(self) -> str:
        return f"{self.listing} {self.kind} at {self.at:%Y-%m-%d %H:%M}"
