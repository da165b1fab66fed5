from collections.abc import Collection
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from blcheck.core import outbound
from blcheck.monitoring import imports
from blcheck.monitoring.models import (
    NotificationPreference,
    Tag,
    Target,
)
from blcheck.monitoring.services import notifications
from blcheck.monitoring.targets import (
    BulkRow,
    Message,
    ParsedTarget,
    TargetError,
    parse_target,
    tag_names,
    tag_total_error,
)


def translated(message: Message) -> str:
    """A pure module's message in the user's language."""
    return gettext(message.template) % message.params


def tag_total_message(names: Collection[str]) -> str | None:
    """Why these tags cannot be added (too many tags in all), or None."""
    known = Tag.objects.filter(name__in=names).count()
    error = tag_total_error(existing=Tag.objects.count(), new=len(names) - known)
    return None if error is None else translated(error)


def clean_tag_text(text: str) -> tuple[str, ...]:
    """Comma-separated tag names as typed in a form: valid, and within the
    site's limits, or a ValidationError saying why."""
    try:
        names = tag_names(text.split(","))
    except TargetError as exc:
        raise forms.ValidationError(translated(exc.message), code="tags") from exc
    message = tag_total_message(names)
    if message is not None:
        raise forms.ValidationError(message, code="tags")
    return names


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
        known = Target.objects.filter(value=parsed.value).first()
        if known is not None and known.archived_at is not None:
            raise forms.ValidationError(
                _(
                    "%(value)s is archived, with its history: open its page and "
                    "restore it from the archive."
                ),
                params={"value": parsed.value},
                code="archived",
            )
        if known is not None:
            raise forms.ValidationError(
                _("%(value)s is already monitored."),
                params={"value": parsed.value},
                code="duplicate",
            )
        return parsed

    tags = forms.CharField(
        label=_("Tags"),
        max_length=500,
        required=False,
        help_text=_("Comma-separated, e.g. tokyo, outbound"),
    )

    def clean_tags(self) -> tuple[str, ...]:
        return clean_tag_text(self.cleaned_data["tags"])

    def service_kwargs(self) -> dict[str, Any]:
        return {
            "parsed": self.cleaned_data["value"],
            "label": self.cleaned_data["label"],
            "check_interval_minutes": self.cleaned_data["check_interval_minutes"],
            "tags": self.cleaned_data["tags"],
        }


MAX_UPLOAD_BYTES = 1024 * 1024
MAX_NOTES = 50  # notes shown after a bulk add; the rest are counted


class BulkTargetForm(forms.Form):
    """Many targets at once, pasted (lines, or cells copied from Excel) or as a
    CSV file (UTF-8 or Shift_JIS); any bad line saves nothing."""

    lines = forms.CharField(
        label=_("Targets, one per line"),
        required=False,
        max_length=MAX_UPLOAD_BYTES,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=_(
            "An address, range or domain, then an optional label. # starts a "
            "comment. Cells copied from Excel are read as address, label, tags."
        ),
    )
    csv_file = forms.FileField(
        label=_("Or a CSV file"),
        required=False,
        help_text=_(
            "Columns: value, label, tags (separated by ;), interval (minutes); "
            "the header row is optional. UTF-8 or Shift_JIS (Excel's CSV)."
        ),
    )
    check_interval_minutes = forms.IntegerField(
        label=_("Check every (minutes)"),
        min_value=5,
        max_value=7 * 24 * 60,
        initial=lambda: settings.DEFAULT_CHECK_INTERVAL_MINUTES,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file_notes: list[Message] = []

    def clean_csv_file(self) -> list[imports.Record] | None:
        upload = self.cleaned_data.get("csv_file")
        if upload is None:
            return None
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MiB."))
        try:
            text, note = imports.decode_upload(upload.read())
            records, notes = imports.read_table(text)
        except TargetError as exc:
            raise forms.ValidationError(translated(exc.message)) from exc
        self.file_notes = ([note] if note else []) + notes
        return records

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        records = data.get("csv_file")
        if records is None:
            try:
                records, self.file_notes = imports.read_pasted(data.get("lines") or "")
            except TargetError as exc:
                raise forms.ValidationError(translated(exc.message)) from exc
        rows, errors = imports.bulk_rows(
            records,
            max_range_size=settings.MAX_RANGE_SIZE,
            max_addresses=settings.MAX_BULK_ADDRESSES,
        )
        messages = [
            _line_message(e.line, e.text, translated(e.message)) for e in errors
        ]
        messages += _known_messages(rows)
        tags = tag_total_message({t for r in rows for t in r.tags})
        messages += [tags] if tags else []
        if not rows and not messages:
            messages.append(gettext("Paste at least one target or choose a CSV file."))
        if messages:
            raise forms.ValidationError(messages)
        data["rows"] = rows
        return data

    def notes(self) -> list[str]:
        """What the user should know about a valid form, in their language:
        how the file was read, and each line read other than as typed (a URL,
        an e-mail address, full width) or outside the Internet; at most
        MAX_NOTES, then how many more."""
        notes = [translated(n) for n in self.file_notes]
        notes += [
            _line_message(row.line, "", translated(warning))
            for row in self.cleaned_data.get("rows", [])
            for warning in row.target.warnings
        ]
        if len(notes) > MAX_NOTES:
            more = len(notes) - MAX_NOTES
            last = ngettext(
                "… and %(count)s more note.", "… and %(count)s more notes.", more
            )
            notes = [*notes[:MAX_NOTES], last % {"count": more}]
        return notes


def _known_messages(rows: list[BulkRow]) -> list[str]:
    """Why rows already monitored (or archived) cannot be added again."""
    known = dict(
        Target.objects.filter(value__in=[r.target.value for r in rows]).values_list(
            "value", "archived_at"
        )
    )
    archived = gettext(
        "%(value)s is archived, with its history: open its page and restore it "
        "from the archive."
    )
    monitored = gettext("%(value)s is already monitored.")
    return [
        _line_message(
            r.line,
            r.target.value,
            (monitored if known[r.target.value] is None else archived)
            % {"value": r.target.value},
        )
        for r in rows
        if r.target.value in known
    ]


def _line_message(line: int, text: str, message: str) -> str:
    if not line:
        return message
    if not text:
        return gettext("Line %(line)s: %(message)s") % {
            "line": line,
            "message": message,
        }
    return gettext("Line %(line)s (%(text)s): %(message)s") % {
        "line": line,
        "text": text[:60],
        "message": message,
    }


def _https_urls(field: Any, **kwargs: Any) -> Any:
    # A URL typed without a scheme means https (Django 6.0's default, taken now).
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


def refusal_error(refused: outbound.Refused) -> forms.ValidationError:
    """Why the outbound rule refuses a URL, in the user's language."""
    return forms.ValidationError(
        gettext(refused.template) % refused.params, code=refused.reason
    )


class WebhookURLField(forms.URLField):
    """A URL whose refusal says why: the outbound rule's reasons that need no
    DNS come before Django's syntax check ("Enter a valid URL" for 127.1)."""

    def run_validators(self, value: Any) -> None:
        if value:
            try:
                notifications.webhook_check_shape(url=value)
            except outbound.Refused as exc:
                raise refusal_error(exc) from exc
        super().run_validators(value)


class NotificationPreferenceForm(forms.ModelForm):
    """E-mail on or off, a webhook the outbound rule allows (public https, or
    an internal host the operator listed; a refusal says why), the language
    of the messages and the weekly digest."""

    class Meta:
        model = NotificationPreference
        formfield_callback = _https_urls
        field_classes: ClassVar[dict[str, type[forms.Field]]] = {
            "webhook_url": WebhookURLField
        }
        fields = ("is_email_on", "webhook_url", "language", "is_digest_on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A post without it (an older page, a script) keeps the saved language.
        self.fields["language"].required = False

    def clean_language(self) -> str:
        return self.cleaned_data["language"] or self.instance.language

    def clean_webhook_url(self) -> str:
        url: str = self.cleaned_data["webhook_url"]
        if url:
            try:  # now with DNS: every address the host resolves to
                notifications.webhook_destination(url=url)
            except outbound.Refused as exc:
                raise refusal_error(exc) from exc
        return url
