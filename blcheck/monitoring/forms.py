from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blcheck.monitoring.models import Target
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
