"""What we watch: addresses, ranges and domains, and the tags grouping them."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from blcheck.lookups import dnsbl
from blcheck.monitoring import keys


class Tag(models.Model):
    """A label grouping targets (a site, a customer, a mail service)."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class TargetQuerySet(models.QuerySet["Target"]):
    def current(self) -> "TargetQuerySet":
        """The targets not archived: watched (or paused) and on the dashboard."""
        return self.filter(archived_at__isnull=True)


class Target(models.Model):
    """An IP address, a CIDR range or a sending domain being monitored.

    Paused: is_enabled off, kept on the dashboard and the target list.
    Archived: archived_at set (and is_enabled off): off the dashboard and the
    schedules, its history and cases kept and readable."""

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
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Derived from value (monitoring.keys, set by save() and set_keys()):
    # numeric order, and the addresses held, for search by address or CIDR.
    sort_key = models.CharField(max_length=260, default="", editable=False)
    address_first = models.CharField(max_length=32, default="", editable=False)
    address_last = models.CharField(max_length=32, default="", editable=False)

    objects = TargetQuerySet.as_manager()

    class Meta:
        ordering = ["sort_key"]
        indexes = [
            models.Index(fields=["is_enabled", "next_check_at"]),
            models.Index(fields=["sort_key"], name="target_sort_key"),
            models.Index(fields=["address_first", "address_last"], name="target_span"),
        ]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return self.value

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.set_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"value", "kind"} & set(update_fields):
            kwargs["update_fields"] = {
                *update_fields,
                "sort_key",
                "address_first",
                "address_last",
            }
        super().save(*args, **kwargs)

    def set_keys(self) -> "Target":
        """Fill the derived keys from kind and value (bulk_create skips save)."""
        self.sort_key = keys.sort_key(self.kind, self.value)
        self.address_first, self.address_last = keys.address_span(self.kind, self.value)
        return self

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def family(self) -> str:
        """ "ipv4", "ipv6" or "domain": which lists can answer for it."""
        if self.kind == self.Kind.DOMAIN:
            return "domain"
        return dnsbl.subject_kind(self.value.partition("/")[0])
