"""Where we look: a blocklist, how to read its answers, how it delists."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from blcheck.lookups import dnsbl

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
        REFUSED = (
            dnsbl.Health.REFUSED,
            _("Refuses our resolver: use your own recursive resolver or a DQS key"),
        )
        BAD_ANSWER = (
            dnsbl.Health.BAD_ANSWER,
            _("Answers outside 127.0.0.0/8: hijacked or parked"),
        )
        TIMEOUT = dnsbl.Health.TIMEOUT, _("No answer to its probes in time")
        SERVFAIL = (
            dnsbl.Health.SERVFAIL,
            _("Its server failed on the probes (SERVFAIL)"),
        )
        DNS_REFUSED = (
            dnsbl.Health.DNS_REFUSED,
            _("Its server refused the probes (REFUSED)"),
        )
        UNREACHABLE = (
            dnsbl.Health.UNREACHABLE,
            _("No nameserver could be reached for its probes"),
        )

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
