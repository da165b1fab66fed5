"""The target field of the open-a-case form: typed, not picked from a list.

A person types an address, a range, a domain or a label; the field resolves it
to the one non-archived target it names (selectors.target_match) or says why
not. While typing, htmx fetches at most 20 suggestions into a <datalist>
(cases:target-options); without JavaScript the form works the same.
"""

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from blcheck.cases import selectors
from blcheck.monitoring import keys
from blcheck.monitoring.models import Target

TARGET_OPTIONS_ID = "target-options"  # the <datalist> the input names


def is_address(text: str) -> bool:
    """One address (not a range), as a person may type it."""
    return "/" not in text and keys.search_span(text) is not None


def target_refusal(text: str, match: selectors.TargetMatch) -> str:
    """Why the text names no single target, and what to type instead."""
    shown = text.strip()[:80]
    if match.count:
        return ngettext(
            "%(count)s target matches “%(text)s”; type more of it.",
            "%(count)s targets match “%(text)s”; type more of the address, "
            "range, domain or label.",
            match.count,
        ) % {"count": match.count, "text": shown}
    if match.archived:
        return gettext(
            "“%(text)s” is archived; cases are opened on monitored targets only."
        ) % {"text": shown}
    return gettext(
        "No monitored target matches “%(text)s”: type an address, a range, a "
        "domain or a target's label."
    ) % {"text": shown}


class TargetField(forms.CharField):
    """Text in, the one non-archived Target it names out."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", selectors.SEARCH_MAX_LENGTH)
        kwargs.setdefault("label", _("Target"))
        kwargs.setdefault(
            "help_text",
            _(
                "An address, a range, a domain or a label; an address inside a "
                "monitored range opens the case on the range."
            ),
        )
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "list": TARGET_OPTIONS_ID,
                    "autocomplete": "off",
                    "spellcheck": "false",
                    "hx-get": reverse_lazy("cases:target-options"),
                    "hx-trigger": "input changed delay:200ms",
                    "hx-target": f"#{TARGET_OPTIONS_ID}",
                    "hx-swap": "outerHTML",
                    "hx-sync": "this:replace",
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Target:
        text: str = super().clean(value)
        match = selectors.target_match(text)
        if match.target is None:
            raise forms.ValidationError(target_refusal(text, match), code="target")
        return match.target
