"""What we watch: addresses, ranges and domains, and the tags grouping them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from blcheck.lookups import dnsbl


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
