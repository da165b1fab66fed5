import re
from datetime import datetime
from typing import Any, ClassVar

from django import forms
from django.contrib.auth.models import User
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blcheck.cases.models import DelistingCase
from blcheck.core.access import IT_STAFF
from blcheck.monitoring.forms import translated
from blcheck.monitoring.models import Blocklist, Target
from blcheck.monitoring.targets import TargetError, case_subject

MAX_BOUNCE_BYTES = 1024 * 1024


def reference_error(blocklist: Blocklist, reference: str) -> str | None:
    """A message when the confirmation number does not have the list's format."""
    pattern = blocklist.reference_pattern
    if reference and pattern and not re.fullmatch(pattern.strip("^$"), reference):
        return _("%(list)s confirmation numbers look like %(pattern)s.") % {
            "list": blocklist.name,
            "pattern": pattern,
        }
    return None


class OpenCaseForm(forms.Form):
    """Open a case by hand, from a target page, or with a pasted bounce."""

    target = forms.ModelChoiceField(label=_("Target"), queryset=Target.objects.all())
    blocklist = forms.ModelChoiceField(
        label=_("Blocklist"), queryset=Blocklist.objects.filter(is_retired=False)
    )
    subject = forms.CharField(
        label=_("Address or domain"),
        max_length=253,
        required=False,
        help_text=_("Empty: the target itself (for a range, name the address)."),
    )
    bounce_text = forms.CharField(
        label=_("Bounce message"),
        required=False,
        max_length=MAX_BOUNCE_BYTES,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_(
            "Optional: paste the rejection you received; it is kept on the case."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target, blocklist = data.get("target"), data.get("blocklist")
        if target is None or blocklist is None:
            return data
        try:
            data["subject"] = case_subject(
                data.get("subject") or "",
                target=target.value,
                kinds=blocklist.kinds,
                list_name=blocklist.name,
            )
        except TargetError as exc:
            raise forms.ValidationError(translated(exc.message)) from exc
        return data


# A link kept on a case is shown as one: http and https only, never javascript:.
http_url = URLValidator(
    schemes=["http", "https"], message=_("Only an http or https link can be kept.")
)


class BounceOpenForm(forms.Form):
    """The intake's "open the case" post: what the bounce named, sent back."""

    blocklist = forms.ModelChoiceField(
        queryset=Blocklist.objects.filter(is_retired=False)
    )
    address = forms.GenericIPAddressField()
    bounce_text = forms.CharField(required=False, strip=False)
    lookup_url = forms.CharField(required=False, validators=[http_url])

    def clean_bounce_text(self) -> str:
        text: str = self.cleaned_data["bounce_text"]
        if len(text.encode("utf-8")) > MAX_BOUNCE_BYTES:
            raise forms.ValidationError(
                _(
                    "The text is larger than 1 MiB; nothing was "
                    "kept. Paste the part with the rejection."
                )
            )
        return text


class RequestForm(forms.ModelForm):
    """What staff did to ask the list for removal."""

    requested_at = forms.DateTimeField(
        label=_("Requested at"),
        required=False,
        help_text=_("Empty: now. Format 2026-11-28 14:30 (your time zone)."),
    )

    class Meta:
        model = DelistingCase
        fields = (
            "method",
            "reference",
            "contact_email",
            "contact_phone",
            "request_text",
        )
        widgets: ClassVar[dict[str, forms.Widget]] = {
            "request_text": forms.Textarea(attrs={"rows": 5})
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["method"].required = True
        if self.instance.status == DelistingCase.Status.REQUESTED:
            # Recording it again amends the request: start from what it says.
            self.fields["requested_at"].initial = self.instance.requested_at
            self.fields["requested_at"].help_text = _(
                "Empty: unchanged. Format 2026-11-28 14:30 (your time zone)."
            )

    def clean_requested_at(self) -> datetime | None:
        value: datetime | None = self.cleaned_data["requested_at"]
        recorded = self.instance.requested_at
        if value is not None and recorded and value == recorded.replace(microsecond=0):
            return recorded  # the date the form showed, sent back unchanged
        if value is not None and value > timezone.now():
            raise forms.ValidationError(
                _("The request date is in the future; enter when the request was made.")
            )
        return value

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip()
        error = reference_error(self.instance.blocklist, reference)
        if error:
            raise forms.ValidationError(error)
        return reference


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        required=False,
        queryset=User.objects.filter(groups__name=IT_STAFF, is_active=True).order_by(
            "username"
        ),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    to = forms.ChoiceField(
        choices=[
            (DelistingCase.Status.REJECTED, _("The list rejected the request")),
            (DelistingCase.Status.ABANDONED, _("Abandon the case")),
        ]
    )
    text = forms.CharField(label=_("Why"), max_length=10_000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The note form on the same page has a "text" field too: ids of their own.
        kwargs.setdefault("auto_id", "id_close_%s")
        super().__init__(*args, **kwargs)


class BounceForm(forms.Form):
    """A pasted bounce or an uploaded .eml, at most 1 MiB."""

    text = forms.CharField(
        label=_("Bounce message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text=_("Paste the whole bounce, headers included if you have them."),
    )
    eml = forms.FileField(label=_("Or a .eml file"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, text = data.get("eml"), data.get("text") or ""
        if upload is not None:
            if upload.size > MAX_BOUNCE_BYTES:
                raise forms.ValidationError(
                    _(
                        "The file is larger than 1 MiB; nothing was "
                        "kept. Paste the part with the rejection."
                    )
                )
            raw: bytes | str = upload.read()
        else:
            raw = text
            if len(text.encode("utf-8")) > MAX_BOUNCE_BYTES:
                raise forms.ValidationError(
                    _(
                        "The text is larger than 1 MiB; nothing was "
                        "kept. Paste the part with the rejection."
                    )
                )
        if not raw or (isinstance(raw, str) and not raw.strip()):
            raise forms.ValidationError(_("Paste a bounce or choose a .eml file."))
        data["raw"] = raw
        return data
