from typing import Any

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blcheck.monitoring.catalog import retired_zones
from blcheck.monitoring.models import Blocklist, Target
from blcheck.monitoring.targets import Message, ParsedTarget, TargetError, parse_target


def translated(message: Message) -> str:
    """A pure module's message in the user's language."""
    return gettext(message.template) % message.params


class TargetForm(forms.Form):
    value = forms.CharField(
        label=_("IP address, CIDR range or domain"),
        max_length=253,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "192.0.2.10",
            }
        ),
    )
    label = forms.CharField(
        label=_("Label"),
        max_length=100,
        required=False,
        help_text=_("For example: outbound MX 1"),
    )
    check_interval_minutes = forms.IntegerField(
        label=_("Check every (minutes)"),
        min_value=5,
        max_value=7 * 24 * 60,
        initial=lambda: settings.DEFAULT_CHECK_INTERVAL_MINUTES,
    )

    def clean_value(self) -> ParsedTarget:
        try:
            parsed = parse_target(
                self.cleaned_data["value"], max_range_size=settings.MAX_RANGE_SIZE
            )
        except TargetError as exc:
            raise forms.ValidationError(
                translated(exc.message), code="invalid"
            ) from exc
        if Target.objects.filter(value=parsed.value).exists():
            raise forms.ValidationError(
                _("%(value)s is already monitored."),
                params={"value": parsed.value},
                code="duplicate",
            )
        return parsed

    def service_kwargs(self) -> dict[str, Any]:
        return {
            "parsed": self.cleaned_data["value"],
            "label": self.cleaned_data["label"],
            "check_interval_minutes": self.cleaned_data["check_interval_minutes"],
        }


KIND_CHOICES = [("ipv4", "IPv4"), ("ipv6", "IPv6"), ("domain", _("Domains"))]


def _retired_error(zone: str) -> forms.ValidationError | None:
    reason = retired_zones().get(zone)
    if reason is None:
        existing = Blocklist.objects.filter(zone=zone, is_retired=True).first()
        reason = existing.retired_reason if existing else None
    if reason is None:
        return None
    return forms.ValidationError(
        _("%(zone)s is a retired list and is never queried: %(reason)s"),
        params={"zone": zone, "reason": reason},
        code="retired",
    )


class BlocklistCreateForm(forms.ModelForm):
    """An extra list by zone; dead lists from the catalog are refused with why."""

    kinds = forms.MultipleChoiceField(
        label=_("Lists"),
        choices=KIND_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=["ipv4"],
    )

    class Meta:
        model = Blocklist
        fields = ("zone", "name", "operator", "qps", "has_test_points", "notes")

    def clean_zone(self) -> str:
        zone = self.cleaned_data["zone"].strip().lower().rstrip(".")
        try:
            parsed = parse_target(zone, max_range_size=1)
        except TargetError:
            parsed = None
        if parsed is None or parsed.kind != "domain":
            raise forms.ValidationError(
                _("Enter the list's DNS zone, e.g. bl.example.org.")
            )
        error = _retired_error(zone)
        if error is not None:
            raise error
        return zone

    def save(self, commit: bool = True) -> Blocklist:  # noqa: FBT001, FBT002 (Django's signature)
        kinds = set(self.cleaned_data["kinds"])
        self.instance.has_ipv4 = "ipv4" in kinds
        self.instance.has_ipv6 = "ipv6" in kinds
        self.instance.has_domains = "domain" in kinds
        return super().save(commit=commit)


def _https_urls(field: Any, **kwargs: Any) -> Any:
    # A URL typed without a scheme means https (Django 6.0's default, taken now).
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class BlocklistForm(forms.ModelForm):
    """What IT staff may change on a list; codes stay as the catalog reviewed them."""

    class Meta:
        model = Blocklist
        formfield_callback = _https_urls
        fields = (
            "name",
            "is_enabled",
            "qps",
            "delist_url",
            "lookup_url",
            "removal_hours",
            "expiry_hours",
            "reevaluation_days",
            "notes",
        )

    def clean_is_enabled(self) -> bool:
        enabled = bool(self.cleaned_data["is_enabled"])
        blocklist = self.instance
        if enabled and blocklist.is_retired:
            raise forms.ValidationError(
                _("%(zone)s is a retired list and is never queried: %(reason)s"),
                params={"zone": blocklist.zone, "reason": blocklist.retired_reason},
                code="retired",
            )
        key_setting = blocklist.key_setting
        if enabled and key_setting and not settings.DNSBL_KEYS.get(key_setting):
            raise forms.ValidationError(
                _("Set %(setting)s in the environment first; this list needs its key."),
                params={"setting": key_setting},
                code="key",
            )
        return enabled
