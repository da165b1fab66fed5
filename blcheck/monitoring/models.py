"""What we watch (Target), where we look (Blocklist), and what DNS said."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from blcheck.lookups import dnsbl

# The kinds of subject (dnsbl.subject_kind) and the Blocklist flag for each.
KIND_FIELDS = (("ipv4", "has_ipv4"), ("ipv6", "has_ipv6"), ("domain", "has_domains"))


class Blocklist(models.Model):
    """A DNSBL zone, how to read its answers, and how it delists."""

    class Access(models.TextChoices):
        FREE = "free", _("Free")
        REGISTRATION = "registration", _("Free after registration")
        KEY = "key", _("Needs a key")
        PAID = "paid", _("Paid")

    class DelistMethod(models.TextChoices):
        FORM = "form", _("Web form")
        SELF_SERVICE = "self_service", _("Self-service portal")
        EMAIL = "email", _("E-mail")
        ISP = "isp", _("Only the network owner")
        EXPIRY = "expiry", _("Expires on its own")
        NONE = "none", _("No removal")

    class Health(models.TextChoices):
        """The list's answer to its RFC 5782 test entries in the latest run."""

        UNKNOWN = "", _("Not probed yet")
        OK = dnsbl.Health.OK, _("Healthy")
        LISTS_EVERYTHING = (
            dnsbl.Health.LISTS_EVERYTHING,
            _("Lists everything, even 127.0.0.1"),
        )
        TEST_POINT_MISSING = (
            dnsbl.Health.TEST_POINT_MISSING,
            _("Test entry 127.0.0.2 not listed: dead, or blocking our resolver"),
        )
        REFUSED = dnsbl.Health.REFUSED, _("Refuses our resolver")
        BAD_ANSWER = (
            dnsbl.Health.BAD_ANSWER,
            _("Answers outside 127.0.0.0/8: hijacked or parked"),
        )
        UNREACHABLE = dnsbl.Health.UNREACHABLE, _("No usable answer to its probes")

    # With a key-based list the zone holds "{key}", filled from key_setting.
    zone = models.CharField(_("zone"), max_length=253, unique=True)
    name = models.CharField(_("name"), max_length=100)
    operator = models.CharField(_("operator"), max_length=100, blank=True)
    has_ipv4 = models.BooleanField(_("lists IPv4 addresses"), default=True)
    has_ipv6 = models.BooleanField(_("lists IPv6 addresses"), default=False)
    has_domains = models.BooleanField(_("lists domains"), default=False)
    # {"127.0.0.2": "meaning"}; empty means the RFC 5782 default 127.0.0.2-255.
    listed_codes = models.JSONField(_("listing codes"), default=dict, blank=True)
    # In-band refusals such as Spamhaus 127.255.255.254 (dnsbl-facts §1.7).
    error_codes = models.JSONField(_("error codes"), default=dict, blank=True)
    is_bitmask = models.BooleanField(_("codes are bit flags"), default=False)
    has_test_points = models.BooleanField(
        _("publishes RFC 5782 test entries"), default=True
    )
    access = models.CharField(
        _("access"), max_length=12, choices=Access.choices, default=Access.FREE
    )
    access_notes = models.TextField(_("access notes"), blank=True)
    key_setting = models.CharField(_("key setting"), max_length=60, blank=True)
    has_public_resolver_ban = models.BooleanField(
        _("refuses public resolvers"), default=False
    )
    qps = models.PositiveIntegerField(
        _("queries per second at most"),
        null=True,
        blank=True,
        help_text=_("Across all workers. Empty: no ceiling."),
    )
    delist_method = models.CharField(
        _("delisting"), max_length=12, choices=DelistMethod.choices, blank=True
    )
    delist_url = models.URLField(_("delisting page"), max_length=300, blank=True)
    lookup_url = models.URLField(_("lookup page"), max_length=300, blank=True)
    # The shape of the list's confirmation numbers (Barracuda: BBR, digits, hyphens).
    reference_pattern = models.CharField(
        _("confirmation number format"), max_length=100, blank=True
    )
    removal_hours = models.PositiveIntegerField(
        _("typical removal (hours)"), null=True, blank=True
    )
    expiry_hours = models.PositiveIntegerField(
        _("expires after (hours)"), null=True, blank=True
    )
    reevaluation_days = models.PositiveIntegerField(
        _("re-evaluated after (days)"), null=True, blank=True
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    is_retired = models.BooleanField(_("retired"), default=False)
    retired_reason = models.TextField(_("why retired"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    health = models.CharField(
        _("health"),
        max_length=20,
        choices=Health.choices,
        blank=True,
        default=Health.UNKNOWN,
    )
    health_checked_at = models.DateTimeField(_("health checked"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("blocklist")
        verbose_name_plural = _("blocklists")

    def __str__(self) -> str:
        return self.zone

    @property
    def is_healthy(self) -> bool:
        return self.health in (self.Health.OK, self.Health.UNKNOWN)

    @property
    def kinds(self) -> frozenset[str]:
        """What the list answers for: of "ipv4", "ipv6", "domain"."""
        return frozenset(kind for kind, flag in KIND_FIELDS if getattr(self, flag))

    @property
    def query_zone(self) -> str | None:
        """The zone to query, a key filled in; None when its key is not configured."""
        if not self.key_setting:
            return self.zone
        key = settings.DNSBL_KEYS.get(self.key_setting, "")
        return self.zone.replace("{key}", key) if key else None

    @property
    def spec(self) -> dnsbl.ListSpec | None:
        """The list as the engine asks it; None when its key is not configured."""
        zone = self.query_zone
        if zone is None:
            return None
        return dnsbl.ListSpec(
            zone=zone,
            kinds=self.kinds,
            listed_codes=frozenset(self.listed_codes),
            error_codes=frozenset(self.error_codes),
            bitmask=self.is_bitmask,
            has_test_points=self.has_test_points,
            qps=self.qps,
        )


class Tag(models.Model):
    """A label grouping targets (a site, a customer, a mail service)."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """An IP address, a CIDR range or a sending domain being monitored."""

    class Kind(models.TextChoices):
        ADDRESS = "address", _("IP address")
        RANGE = "range", _("IP range")
        DOMAIN = "domain", _("Domain")

    value = models.CharField(_("address, range or domain"), max_length=253, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("owner"),
    )
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="targets", verbose_name=_("tags")
    )
    check_interval_minutes = models.PositiveIntegerField(_("check interval (minutes)"))
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value"]
        indexes = [models.Index(fields=["is_enabled", "next_check_at"])]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return self.value

    @property
    def family(self) -> str:
        """ "ipv4", "ipv6" or "domain": which lists can answer for it."""
        if self.kind == self.Kind.DOMAIN:
            return "domain"
        return dnsbl.subject_kind(self.value.partition("/")[0])


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


class NotificationPreference(models.Model):
    """What one person wants to hear about: new and cleared listings, lists
    turning unhealthy, failed runs. Off until they opt in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    is_email_on = models.BooleanField(_("e-mail me"), default=False)
    webhook_url = models.URLField(
        _("webhook URL"),
        max_length=500,
        blank=True,
        help_text=_("Receives JSON with a Slack-compatible “text” field."),
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        # The user alone: pages (the audit log) put the translated model name
        # before it, and the audit log keeps this text as written.
        return self.user.get_username()
