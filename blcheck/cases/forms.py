import re
from datetime import datetime
from typing import Any, ClassVar, cast

from django import forms
from django.contrib.auth.models import User
from django.core.validators import URLValidator
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from blcheck.cases import selectors, workflow
from blcheck.cases.fields import TargetField, is_address
from blcheck.cases.models import DelistingCase
from blcheck.core.access import IT_STAFF
from blcheck.monitoring.forms import translated
from blcheck.monitoring.models import Blocklist
from blcheck.monitoring.targets import TargetError, case_subject

MAX_BOUNCE_BYTES = 1024 * 1024


KIND_WORDS = {
    workflow.CharKind.DIGIT: _("digits"),
    workflow.CharKind.UPPER: _("capital letters"),
    workflow.CharKind.LOWER: _("lowercase letters"),
    workflow.CharKind.HYPHEN: _("hyphens"),
    workflow.CharKind.UNDERSCORE: _("underscores"),
    workflow.CharKind.DOT: _("dots"),
}


def _listed(words: list[str]) -> str:
    """ "a, b and c" in the reader's language."""
    if len(words) == 1:
        return words[0]
    return gettext("%(first)s and %(last)s") % {
        "first": gettext(", ").join(words[:-1]),
        "last": words[-1],
    }


def _piece_words(piece: workflow.Piece) -> str:
    if piece.literal:
        return piece.literal
    kinds = list(piece.kinds)
    if {workflow.CharKind.UPPER, workflow.CharKind.LOWER} <= set(kinds):
        kinds.remove(workflow.CharKind.LOWER)
        words = [
            gettext("letters") if k == workflow.CharKind.UPPER else str(KIND_WORDS[k])
            for k in kinds
        ]
    else:
        words = [str(KIND_WORDS[k]) for k in kinds]
    what = _listed(words)
    if (piece.least, piece.most) == (0, 1):
        return gettext("optionally %(what)s") % {"what": what}
    if piece.most is None:
        return what
    if piece.least == piece.most:
        return ngettext(
            "%(what)s (%(count)s character)",
            "%(what)s (%(count)s characters)",
            piece.most,
        ) % {"what": what, "count": piece.most}
    return gettext("%(what)s (%(least)s to %(most)s characters)") % {
        "what": what,
        "least": piece.least,
        "most": piece.most,
    }


def reference_format(blocklist: Blocklist) -> str:
    """The list's confirmation numbers in words, with an example ("BBR followed
    by digits and hyphens, e.g. BBR1234567-89"), never as a pattern."""
    shape = workflow.reference_shape(blocklist.reference_pattern)
    if shape is None:
        return gettext(
            "%(list)s confirmation numbers have a format of their own: enter "
            "the number exactly as the list's confirmation page or e-mail shows it."
        ) % {"list": blocklist.name}
    first, *rest = [_piece_words(piece) for piece in shape.pieces]
    words = first
    if rest:
        words = gettext("%(first)s followed by %(rest)s") % {
            "first": first,
            "rest": gettext(", then ").join(rest),
        }
    return gettext("%(list)s confirmation numbers are %(shape)s, e.g. %(example)s.") % {
        "list": blocklist.name,
        "shape": words,
        "example": shape.example,
    }


def reference_error(blocklist: Blocklist, reference: str) -> str | None:
    """A message when the confirmation number does not have the list's format."""
    pattern = blocklist.reference_pattern
    if not reference or not pattern:
        return None
    try:
        matched = re.fullmatch(pattern.strip("^$"), reference)
    except re.error:  # a pattern typed by hand that is no pattern: accept
        return None
    return None if matched else reference_format(blocklist)


class OpenCaseForm(forms.Form):
    """Open a case by hand, from a target page, or with a pasted bounce.

    The target is typed (an address, range, domain or label; selectors.
    target_match finds the one it names) with suggestions fetched as one types
    (cases:target-options); ?target=<id> in the page's address prefills it."""

    target = TargetField()
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shown = self.initial.get("target")
        if not self.is_bound and isinstance(shown, str) and shown.strip():
            # A link naming the target (by id or value): show its value.
            found = selectors.target_match(shown).target
            self.initial["target"] = found.value if found is not None else shown

    def _show(self, name: str, value: str) -> None:
        """Show value in the field if the form comes back (what it resolved to)."""
        data = QueryDict(mutable=True)
        data.update(self.data)
        data[self.add_prefix(name)] = value
        self.data = data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target, blocklist = data.get("target"), data.get("blocklist")
        if target is None:
            return data
        typed = str(self.data.get(self.add_prefix("target")) or "").strip()
        if typed != target.value:
            self._show("target", target.value)
            if not data.get("subject") and is_address(typed):
                # An address typed, its range found: the case is the address's.
                data["subject"] = typed
                self._show("subject", typed)
        if blocklist is None:
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


def request_unavailable(case: DelistingCase) -> str:
    """Why no removal request can be recorded on this case now, and what to do
    instead, in one sentence; "" when one can."""
    reason = workflow.request_blocked(case.policy, case.status)
    name, hours = case.blocklist.name, case.blocklist.expiry_hours
    if reason is None:
        return ""
    if reason is workflow.NoRequest.EXPIRY and hours:
        return gettext(
            "%(list)s listings expire on their own after %(hours)s hours without "
            "new reports, so the list takes no requests; blcheck verifies the removal."
        ) % {"list": name, "hours": hours}
    sentences = {
        workflow.NoRequest.ENDED: _(
            "This case has ended; if the address is listed again, open a new case."
        ),
        workflow.NoRequest.EXPIRY: _(
            "%(list)s listings expire on their own, so the list takes no "
            "requests; blcheck verifies the removal."
        ),
        workflow.NoRequest.OWNER: _(
            "Only the owner of the network (your hosting provider or upstream) "
            "can have this %(list)s listing removed: ask them, and add their "
            "answer as a note."
        ),
        workflow.NoRequest.NONE: _(
            "%(list)s takes no removal requests; blcheck keeps checking and "
            "records when the listing is gone."
        ),
        workflow.NoRequest.VERIFIED: _(
            "blcheck verified the removal, so no request is needed; close the "
            "case when the work is done."
        ),
        workflow.NoRequest.WATCHING: _(
            "This case is being watched for relisting until the list's "
            "re-evaluation; no request is needed."
        ),
    }
    return str(sentences[reason]) % {"list": name}


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


HAND_END_LABELS = {
    workflow.Status.CLOSED: _("Done: the removal is verified"),
    workflow.Status.REJECTED: _("The list rejected the request"),
    workflow.Status.ABANDONED: _("Abandon the case"),
}


def close_refusal(case: DelistingCase) -> str:
    """Why a case cannot be ended the way a post asked."""
    ends = workflow.hand_ends(case.status)
    if not ends:
        return gettext(
            "This case has already ended (%(status)s); nothing was changed."
        ) % {"status": case.get_status_display()}
    return gettext(
        "A case that is “%(status)s” cannot be ended that way; it can be: "
        "%(choices)s. Nothing was changed."
    ) % {
        "status": case.get_status_display(),
        "choices": _listed(
            [gettext("“%(choice)s”") % {"choice": HAND_END_LABELS[end]} for end in ends]
        ),
    }


class CloseForm(forms.Form):
    """How staff end a case: only the ends its status allows are offered, and
    any other posted is refused with what the case can be ended with."""

    to = forms.ChoiceField(choices=[])
    text = forms.CharField(label=_("Why"), max_length=10_000, required=False)

    def __init__(self, *args: Any, case: DelistingCase, **kwargs: Any) -> None:
        # The note form on the same page has a "text" field too: ids of their own.
        kwargs.setdefault("auto_id", "id_close_%s")
        super().__init__(*args, **kwargs)
        to = cast(forms.ChoiceField, self.fields["to"])
        to.choices = [
            (end.value, HAND_END_LABELS[end]) for end in workflow.hand_ends(case.status)
        ]
        to.error_messages["invalid_choice"] = close_refusal(case)


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
