"""The read-only pages' GET filters, all django-filter FilterSets: the
history's lookups and listing episodes, the dashboard grid, the target page.

History dates are days in TIME_ZONE, both ends included. Without dates a search
covers the last few days, so the page anyone lands on is cheap. The HTML pages
cap the span (PAGE_MAX_DAYS); the CSV exports take the same filters without the
cap. A value a filter does not offer is named beside its field and filters
nothing: a bad URL never fails the page.
"""

import ipaddress
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from auditlog.models import LogEntry
from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from blcheck.core.paging import CURSOR_PARAM
from blcheck.monitoring.models import Blocklist, ListingChange, Lookup, Target
from blcheck.reports.selectors import audit, dashboard
from blcheck.reports.selectors.dashboard import ERRORING, LISTED, NEVER, Column
from blcheck.reports.selectors.target import DEFAULT_DAYS, TIMELINE_DAYS

PAGE_MAX_DAYS = 400
TOO_LONG = "too_long"
# The days a search may name: a day's bounds (its midnight, the next midnight)
# must exist as datetimes in every time zone, in UTC and in the database.
# Midnight of 0001-01-01 in Tokyo is in year 0 in UTC, which Python has not.
FIRST_DAY = date.min + timedelta(days=1)
LAST_DAY = date.max - timedelta(days=1)
OUT_OF_RANGE = "out_of_range"
# A target's value is at most 253 characters; a longer search matches nothing,
# and SQLite refuses a LIKE pattern over 50,000 bytes.
SEARCH_MAX_LENGTH = 253


def day_start(day: date) -> datetime:
    """Midnight at the start of the day in TIME_ZONE (the current time zone)."""
    return timezone.make_aware(datetime.combine(day, time.min))


class HistoryForm(forms.Form):
    """Checks the dates together: filled in when missing, in order, capped."""

    default_days = 7
    max_days: int | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, self._out_of_range(name))
        if self.errors:
            return cleaned  # a date that does not parse is reported as it is
        end = cleaned.get("date_to") or timezone.localdate()
        span = timedelta(days=self.default_days - 1)
        start = cleaned.get("date_from") or max(end, FIRST_DAY + span) - span
        cleaned["date_from"], cleaned["date_to"] = start, end
        if start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        elif self.max_days and (end - start).days >= self.max_days:
            raise ValidationError(
                ngettext(
                    "Choose at most %(days)s day here; the CSV export has no limit.",
                    "Choose at most %(days)s days here; the CSV export has no limit.",
                    self.max_days,
                )
                % {"days": self.max_days},
                code=TOO_LONG,
            )
        return cleaned

    def _out_of_range(self, name: str) -> ValidationError:
        return ValidationError(
            _("%(field)s: give a day from %(first)s to %(last)s."),
            code=OUT_OF_RANGE,
            params={
                "field": self.fields[name].label,
                "first": FIRST_DAY,
                "last": LAST_DAY,
            },
        )

    @property
    def only_too_long(self) -> bool:
        """Invalid for the page only because of the span: the export still works."""
        return len(self.errors) == 1 and self.has_error(NON_FIELD_ERRORS, TOO_LONG)


def _covering(address: str) -> list[int]:
    """Targets that are the address or a range holding it (one query)."""
    ip = ipaddress.ip_address(address)
    found = []
    candidates = Target.objects.filter(Q(value=address) | Q(kind=Target.Kind.RANGE))
    for pk, value, kind in candidates.values_list("pk", "value", "kind"):
        if kind != Target.Kind.RANGE:
            found.append(pk)
            continue
        network = ipaddress.ip_network(value, strict=False)
        if network.version == ip.version and ip in network:
            found.append(pk)
    return found


def target_q(text: str, *, target: str, subject: str) -> Q:
    """An exact address: that subject, under the targets holding it (indexed by
    target). Anything else: targets whose value or label contains the text."""
    text = text.strip()
    try:
        address = str(ipaddress.ip_address(text))
    except ValueError:
        address = ""
    if address:
        return Q(**{f"{target}__in": _covering(address), subject: address})
    try:
        exact = str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        exact = text
    matching = Target.objects.filter(
        Q(value__iexact=exact) | Q(value__icontains=text) | Q(label__icontains=text)
    )
    return Q(**{f"{target}__in": matching.values("pk")})


def _day_filter(
    label: str | Promise, method: str, help_text: str | Promise = ""
) -> Any:
    return django_filters.DateFilter(
        label=label,
        method=method,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class _BlocklistField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Blocklist) -> str:  # type: ignore[override]
        return f"{obj.name} ({obj.zone})"


class BlocklistFilter(django_filters.ModelChoiceFilter):
    """A list to pick by name, every list ever used (retired ones too)."""

    field_class = _BlocklistField

    def __init__(self, **kwargs: Any) -> None:
        lists = Blocklist.objects.only("pk", "name", "zone").order_by("name")
        kwargs.setdefault("queryset", lists)
        super().__init__(label=_("Blocklist"), empty_label=_("Any list"), **kwargs)


class HistoryFilter(django_filters.FilterSet):
    """What both history searches share: dates, target and the page's cap."""

    default_days = 7
    date_from = _day_filter(_("From"), "filter_from")
    date_to = _day_filter(_("To"), "filter_to")
    target = django_filters.CharFilter(
        label=_("Target"),
        method="filter_target",
        max_length=SEARCH_MAX_LENGTH,
        help_text=_("An exact address, or part of a target's value or label."),
    )

    class Meta:
        form = HistoryForm

    def __init__(
        self,
        data: QueryDict | None = None,
        *args: Any,
        max_days: int | None = None,
        **kwargs: Any,
    ) -> None:
        if data is not None and not data.get("date_from") and not data.get("date_to"):
            today = timezone.localdate()
            data = data.copy()
            data["date_from"] = str(today - timedelta(days=self.default_days - 1))
            data["date_to"] = str(today)
        super().__init__(data, *args, **kwargs)
        self.max_days = max_days

    def get_form_class(self) -> type[HistoryForm]:
        base = super().get_form_class()
        settings = {"max_days": self.max_days, "default_days": self.default_days}
        return type(base.__name__, (base,), settings)

    def query(self) -> QueryDict:
        """The search as a query string, with the dates in effect, no page."""
        query = self.data.copy()
        query.pop(CURSOR_PARAM, None)
        cleaned = getattr(self.form, "cleaned_data", {})
        for name in ("date_from", "date_to"):
            if cleaned.get(name):
                query[name] = str(cleaned[name])
        return query


class LookupFilter(HistoryFilter):
    """Lookups: what a list said, when (kept for the retention window)."""

    blocklist = BlocklistFilter()
    verdict = django_filters.ChoiceFilter(
        label=_("Verdict"),
        choices=Lookup.Verdict.choices,
        method="filter_verdict",
        empty_label=_("Any verdict"),
    )
    error = django_filters.ChoiceFilter(
        label=_("Error reason"),
        choices=Lookup.Error.choices,
        method="filter_error",
        empty_label=_("Any error"),
    )

    class Meta(HistoryFilter.Meta):
        model = Lookup
        fields = ("date_from", "date_to", "target", "blocklist", "verdict", "error")

    def filter_from(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(checked_at__gte=day_start(value))

    def filter_to(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(checked_at__lt=day_start(value + timedelta(days=1)))

    def filter_target(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(target_q(value, target="target", subject="subject"))

    def filter_verdict(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        queryset = queryset.filter(verdict=value)
        if value == Lookup.Verdict.NOT_LISTED:
            return queryset
        # Spelled out so PostgreSQL reads the small partial index of notable rows.
        return queryset.exclude(verdict=Lookup.Verdict.NOT_LISTED)

    def filter_error(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return self.filter_verdict(queryset, name, Lookup.Verdict.ERROR).filter(
            error=value
        )


class EpisodeFilter(HistoryFilter):
    """Listing episodes (kept forever): those overlapping the dates."""

    default_days = 30
    date_from = _day_filter(
        _("From"),
        "filter_from",
        _(
            "Shows episodes that overlap the dates: listed by the last day "
            "and not cleared before the first."
        ),
    )
    blocklist = BlocklistFilter(field_name="blocklist")
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=(("listed", _("Still listed")), ("cleared", _("Cleared"))),
        method="filter_state",
        empty_label=_("Any state"),
    )

    class Meta(HistoryFilter.Meta):
        model = ListingChange
        fields = ("date_from", "date_to", "target", "blocklist", "state")

    def filter_from(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        # Started since, or not cleared before the first day.
        start = day_start(value)
        return queryset.filter(
            Q(at__gte=start) | Q(ended_at__isnull=True) | Q(ended_at__gte=start)
        )

    def filter_to(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(at__lt=day_start(value + timedelta(days=1)))

    def filter_target(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            target_q(value, target="listing__target", subject="listing__subject")
        )

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(ended_at__isnull=value != "cleared")


def _cleaned(filterset: django_filters.FilterSet) -> dict[str, Any]:
    """The values of the fields without errors (none when the form is unbound)."""
    filterset.form.is_valid()
    return getattr(filterset.form, "cleaned_data", {})


class TargetGridFilter(django_filters.FilterSet):
    """The dashboard grid: search, tag, state and one list (column). The choices
    come from rows the view has read already, so the filters add no query of
    their own. The rows come out in the grid's order, judged on the lists shown.
    """

    q = django_filters.CharFilter(
        label=_("Search address or label"),
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
    )
    tag = django_filters.ChoiceFilter(
        label=_("Tag"), field_name="tags__name", empty_label=_("All tags")
    )
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=(
            (LISTED, _("Listed now")),
            (ERRORING, _("Erroring")),
            (NEVER, _("Never checked")),
        ),
        empty_label=_("All"),
        method="filter_state",
    )
    blocklist = django_filters.ChoiceFilter(
        label=_("Blocklist"), empty_label=_("All lists"), method="filter_blocklist"
    )

    class Meta:
        model = Target
        fields = ("q", "tag", "state", "blocklist")

    def __init__(
        self, data: QueryDict, *, tags: Iterable[str], columns: Iterable[Column]
    ) -> None:
        super().__init__(data, queryset=dashboard.grid_target_list())
        self.all_columns = list(columns)
        self.filters["tag"].extra["choices"] = [(tag, tag) for tag in tags]
        self.filters["blocklist"].extra["choices"] = [
            (column.pk, column.name) for column in self.all_columns
        ]

    @property
    def columns(self) -> list[Column]:
        """The lists shown: the one chosen, else every one."""
        chosen = _cleaned(self).get("blocklist")
        if not chosen:
            return self.all_columns
        return [column for column in self.all_columns if str(column.pk) == chosen]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(value__icontains=value) | Q(label__icontains=value))

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return dashboard.grid_in_state(queryset, value, columns=self.columns)

    def filter_blocklist(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # the list narrows the columns (self.columns), not the rows

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        filtered = super().filter_queryset(queryset)
        return dashboard.grid_order(filtered, columns=self.columns)


class TargetPageFilter(django_filters.FilterSet):
    """The target page: its lookups by verdict and list, and the period of its
    timeline (`days`, carried by the lookups' form so that filtering keeps it).
    The lists offered are the page's own, read already: no query of its own.
    """

    verdict = django_filters.ChoiceFilter(
        label=_("Verdict"), choices=Lookup.Verdict.choices, empty_label=_("All")
    )
    blocklist = django_filters.ChoiceFilter(
        label=_("Blocklist"), field_name="blocklist_id", empty_label=_("All")
    )
    days = django_filters.TypedChoiceFilter(
        choices=[(days, days) for days in TIMELINE_DAYS],
        coerce=int,
        empty_value=None,
        method="filter_days",
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Lookup
        fields = ("verdict", "blocklist", "days")

    def __init__(
        self,
        data: QueryDict,
        *,
        queryset: QuerySet[Lookup],
        blocklists: Iterable[Blocklist],
    ) -> None:
        super().__init__(data, queryset=queryset)
        self.filters["blocklist"].extra["choices"] = [
            (blocklist.pk, blocklist.name) for blocklist in blocklists
        ]

    @property
    def timeline_days(self) -> int:
        """The timeline's period: one of TIMELINE_DAYS, else DEFAULT_DAYS."""
        return _cleaned(self).get("days") or DEFAULT_DAYS

    def filter_days(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset  # the timeline's period (timeline_days), not the lookups'


class AuditLogForm(forms.Form):
    """The audit log's dates: both optional (all time), in order."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(
                    name,
                    _("Give a day from %(first)s to %(last)s.")
                    % {"first": FIRST_DAY, "last": LAST_DAY},
                )
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


class AuditLogFilter(django_filters.FilterSet):
    """The audit log (who changed targets, lists, notification settings, users
    and group membership): by days, actor, kind of object and action. The kinds
    offered come from the models the log follows, without a query."""

    date_from = _day_filter(_("From"), "filter_from")
    date_to = _day_filter(_("To"), "filter_to")
    actor = django_filters.ModelChoiceFilter(
        label=_("Who"),
        queryset=User.objects.only("pk", "username").order_by("username"),
        empty_label=_("Anyone"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind of object"), method="filter_kind", empty_label=_("Any kind")
    )
    action = django_filters.ChoiceFilter(
        label=_("Action"),
        choices=(
            (LogEntry.Action.CREATE, _("Added")),
            (LogEntry.Action.UPDATE, _("Changed")),
            (LogEntry.Action.DELETE, _("Deleted")),
        ),
        empty_label=_("Any action"),
    )

    class Meta:
        model = LogEntry
        fields = ("date_from", "date_to", "actor", "kind", "action")
        form = AuditLogForm

    def __init__(self, data: QueryDict, *, queryset: QuerySet[LogEntry]) -> None:
        super().__init__(data, queryset=queryset)
        self.filters["kind"].extra["choices"] = audit.audit_kinds()

    def filter_from(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(timestamp__gte=day_start(value))

    def filter_to(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(timestamp__lt=day_start(value + timedelta(days=1)))

    def filter_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        app_label, _dot, model = value.partition(".")
        return queryset.filter(
            content_type__app_label=app_label, content_type__model=model
        )

    def query(self) -> QueryDict:
        """The search as a query string, without the page."""
        query = self.data.copy()
        query.pop(CURSOR_PARAM, None)
        return query
