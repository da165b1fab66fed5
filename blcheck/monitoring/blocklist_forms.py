"""The forms IT staff add and edit lists with: every setting that decides how
a list's answers read (kinds, codes, bit flags, test entries) and how it
delists. The typed texts are read by blocklist_fields."""

from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blcheck.lookups.catalog import retired_zones
from blcheck.monitoring import blocklist_fields as fields
from blcheck.monitoring.models import KIND_FIELDS, Blocklist
from blcheck.monitoring.targets import TargetError, parse_target

KIND_CHOICES = [("ipv4", "IPv4"), ("ipv6", "IPv6"), ("domain", _("Domains"))]


def _retired(zone: str, reason: str) -> forms.ValidationError:
    return forms.ValidationError(
        _("%(zone)s is a retired list and is never queried: %(reason)s"),
        params={"zone": zone, "reason": reason},
        code="retired",
    )


def _retired_error(zone: str) -> forms.ValidationError | None:
    """Why a zone is dead, from the catalog file or a retired row; None if alive."""
    reason = retired_zones().get(zone)
    if reason is None:
        existing = Blocklist.objects.filter(zone=zone, is_retired=True).first()
        reason = existing.retired_reason if existing else None
    return None if reason is None else _retired(zone, reason)


class BlocklistForm(forms.ModelForm):
    """A list as IT staff set it: what it answers for, how its answers read
    (codes typed one per line), and how it delists. Edits any list."""

    kinds = forms.MultipleChoiceField(
        label=_("Answers for"),
        choices=KIND_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one: IPv4, IPv6 or domains.")},
    )
    listed_codes = fields.codes_field(
        label=_("Listing codes"),
        help_text=_(
            "The answers that mean “listed”, one per line, each optionally "
            "followed by = and what it means, e.g. “127.0.1.2 = spam domain”. "
            "Each is an address inside 127.0.0.0/8. With bit flags ticked, each "
            "is a bit value instead: 1, 2, 4, 8, 16, 32, 64 or 128, e.g. "
            "“2 = black”. Empty: 127.0.0.2 to 127.0.0.255 mean listed "
            "(the RFC 5782 default). Any other answer is shown as an error."
        ),
    )
    error_codes = fields.codes_field(
        label=_("Refusal codes"),
        help_text=_(
            "Answers that mean the list refused to answer, not a listing, in the "
            "same form, e.g. “127.255.255.254 = query via public resolver”, or "
            "with bit flags “1 = query blocked”. They are shown as errors."
        ),
    )
    delist_url = fields.HttpURLField(
        label=_("Delisting page"),
        help_text=_(
            "Where to ask for removal, e.g. https://www.example.org/removal?ip={ip}: "
            "{ip} is replaced by the listed address or domain."
        ),
    )
    lookup_url = fields.HttpURLField(
        label=_("Lookup page"),
        help_text=_(
            "Where the list shows why something is listed, "
            "e.g. https://www.example.org/lookup."
        ),
    )
    reference_pattern = forms.CharField(
        label=_("Confirmation number format"),
        required=False,
        max_length=fields.MAX_PATTERN,
        help_text=_(
            "One confirmation number the list gives after a removal request, as an "
            "example, e.g. BBR1234-5678: letters and signs must match as typed, each "
            "run of digits stands for any digits. Empty: any number is accepted."
        ),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    removal_hours = fields.count_field(
        label=_("Typical removal (hours)"),
        help_text=_("How long a removal usually takes. Empty: not known."),
        limit=2160,
        too_many=_("At most %(limit_value)s hours (90 days)."),
    )
    expiry_hours = fields.count_field(
        label=_("Expires after (hours)"),
        help_text=_("For lists whose listings expire on their own. Empty: they don't."),
        limit=8760,
        too_many=_("At most %(limit_value)s hours (one year)."),
    )
    reevaluation_days = fields.count_field(
        label=_("Re-evaluated after (days)"),
        help_text=_("Days after a removal when the list looks again. Empty: never."),
        limit=730,
        too_many=_("At most %(limit_value)s days (two years)."),
    )

    fieldsets: ClassVar[tuple[tuple[Any, tuple[str, ...]], ...]] = (
        (
            _("The list"),
            ("zone", "name", "operator", "kinds", "is_enabled", "qps", "notes"),
        ),
        (
            _("Reading its answers"),
            ("listed_codes", "is_bitmask", "error_codes", "has_test_points"),
        ),
        (
            _("Delisting"),
            (
                "delist_method",
                "delist_url",
                "lookup_url",
                "reference_pattern",
                "removal_hours",
                "expiry_hours",
                "reevaluation_days",
            ),
        ),
    )

    class Meta:
        model = Blocklist
        fields: tuple[str, ...] = (
            "name",
            "operator",
            "is_enabled",
            "qps",
            "notes",
            "listed_codes",
            "is_bitmask",
            "error_codes",
            "has_test_points",
            "delist_method",
            "delist_url",
            "lookup_url",
            "reference_pattern",
            "removal_hours",
            "expiry_hours",
            "reevaluation_days",
        )
        labels: ClassVar[dict[str, Any]] = {"delist_method": _("Delisting method")}
        help_texts: ClassVar[dict[str, Any]] = {
            "is_bitmask": _(
                "Tick for lists such as SURBL and URIBL whose answer's last number "
                "adds up bits, e.g. 127.0.0.6 = 2 + 4: the codes are then bit values."
            ),
            "has_test_points": _(
                "The list answers its RFC 5782 test entries (127.0.0.2 or “test” "
                "listed, 127.0.0.1 or “invalid” not) and is checked with them before "
                "its answers are believed. Untick for a list without them: its "
                "answers are then believed without that check."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blocklist = self.instance
        self.initial["kinds"] = sorted(blocklist.kinds)
        self.initial["listed_codes"] = fields.codes_text(blocklist.listed_codes)
        self.initial["error_codes"] = fields.codes_text(blocklist.error_codes)
        self.initial["reference_pattern"] = fields.pattern_shown(
            blocklist.reference_pattern
        )

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The fields by fieldset, for the template."""
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.fieldsets
        ]

    def clean_is_enabled(self) -> bool:
        enabled = bool(self.cleaned_data["is_enabled"])
        blocklist = self.instance
        if enabled and blocklist.is_retired:
            raise _retired(blocklist.zone, blocklist.retired_reason)
        key_setting = blocklist.key_setting
        if enabled and key_setting and not settings.DNSBL_KEYS.get(key_setting):
            raise forms.ValidationError(
                _("Set %(setting)s in the environment first; this list needs its key."),
                params={"setting": key_setting},
                code="key",
            )
        return enabled

    def clean_reference_pattern(self) -> str:
        typed: str = self.cleaned_data["reference_pattern"].strip()
        stored = self.instance.reference_pattern
        if not typed:
            return ""
        if typed == fields.pattern_shown(stored):
            return stored  # shown unchanged (an example or a pattern): kept as it was
        return fields.pattern_from_example(typed)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bitmask = bool(data.get("is_bitmask"))
        read: dict[str, dict[str, str]] = {}
        for name in ("listed_codes", "error_codes"):
            if name in data:
                try:
                    read[name] = fields.read_codes(
                        data[name], bitmask=bitmask, listing=name == "listed_codes"
                    )
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        data.update(read)
        listed, errors = read.get("listed_codes"), read.get("error_codes")
        if listed is not None and errors is not None:
            both = sorted(listed.keys() & errors.keys(), key=fields.code_order)
            if both:
                self.add_error(
                    "error_codes",
                    gettext("%(codes)s cannot mean both listed and refused.")
                    % {"codes": ", ".join(both)},
                )
        if bitmask and listed == {}:
            self.add_error(
                "listed_codes",
                gettext("With bit flags, give at least one listing bit, e.g. 2."),
            )
        return data

    def save(self, commit: bool = True) -> Blocklist:  # noqa: FBT001, FBT002 (Django's signature)
        kinds = set(self.cleaned_data["kinds"])
        for kind, flag in KIND_FIELDS:
            setattr(self.instance, flag, kind in kinds)
        return super().save(commit=commit)


class BlocklistCreateForm(BlocklistForm):
    """A list added by its zone; dead lists from the catalog are refused with why."""

    class Meta(BlocklistForm.Meta):
        fields = ("zone", *(f for f in BlocklistForm.Meta.fields if f != "is_enabled"))

    def clean_zone(self) -> str:
        zone = self.cleaned_data["zone"].strip().lower().rstrip(".")
        try:
            parsed = parse_target(zone, max_range_size=1, registrable=False)
        except TargetError:
            parsed = None
        if parsed is None or parsed.kind != "domain":
            raise forms.ValidationError(
                _("Enter the list's DNS zone, e.g. bl.example.org.")
            )
        error = _retired_error(zone)
        if error is not None:
            raise error
        if Blocklist.objects.filter(zone=zone).exists():
            raise forms.ValidationError(
                _("%(zone)s is on the list page already: edit it there."),
                params={"zone": zone},
                code="duplicate",
            )
        return zone
