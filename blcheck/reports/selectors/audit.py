"""Reads of the audit log (django-auditlog's LogEntry): who changed targets,
lists, notification settings, users and group membership, and how."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

PAGE_SIZE = 50
TIME = "timestamp"  # what the page is ordered and paged on


@dataclass(frozen=True)
class Change:
    """One field of an entry: its label and the values before and after; for a
    many-to-many field, what was added or removed."""

    label: str
    old: str = ""
    new: str = ""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


def audit_log() -> QuerySet[LogEntry]:
    return LogEntry.objects.select_related("actor", "content_type")


def audit_kinds() -> list[tuple[str, str]]:
    """The kinds of object the log follows (settings), as ("app.model", name)
    choices in the reader's language; no query."""
    kinds = [
        (model._meta.label_lower, capfirst(str(model._meta.verbose_name)))
        for model in auditlog.get_models()
    ]
    return sorted(kinds, key=lambda kind: kind[1])


def _field(model: type[Model] | None, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _shown(field: Any) -> bool:
    """Fields people set: not the id, reverse relations or automatic times
    (django-auditlog lists them on a created object)."""
    return field is None or (
        not getattr(field, "primary_key", False) and getattr(field, "editable", True)
    )


Names = dict[tuple[Any, str], str]  # (related model, pk) -> str(object)


def _text(field: Any, value: Any, names: Names) -> str:
    """A stored value as people read it: choices by their label, yes or no,
    times in TIME_ZONE, a related object by its name, None as empty.
    django-auditlog stores strings."""
    if value is None or value == "None":
        return ""
    if isinstance(field, models.ForeignKey):
        return names.get((field.related_model, str(value)), f"#{value}")
    choices = dict(getattr(field, "choices", None) or ())
    if choices:
        return str(choices.get(value, value))
    if isinstance(field, models.BooleanField) and value in {"True", "False"}:
        return _("Yes") if value == "True" else _("No")
    if isinstance(field, models.DateTimeField):
        try:
            at = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        at = at if timezone.is_aware(at) else at.replace(tzinfo=UTC)
        return f"{timezone.localtime(at):%Y-%m-%d %H:%M:%S}"
    return str(value)


def _related_names(entries: list[LogEntry]) -> Names:
    """The names of the objects the entries' foreign keys point at: one query
    per related model on the page (an owner, a user), whatever the page holds."""
    wanted: dict[Any, set[str]] = {}
    for entry in entries:
        model = entry.content_type.model_class()
        for name, values in (entry.changes_dict or {}).items():
            field = _field(model, name)
            if isinstance(field, models.ForeignKey) and isinstance(values, list):
                wanted.setdefault(field.related_model, set()).update(
                    str(v) for v in values if v not in (None, "None")
                )
    names: Names = {}
    for related, pks in wanted.items():
        found = related._default_manager.in_bulk([pk for pk in pks if pk.isdigit()])
        names.update({(related, str(pk)): str(obj) for pk, obj in found.items()})
    return names


def audit_entries(entries: list[LogEntry]) -> list[tuple[LogEntry, list[Change]]]:
    """Each entry with its changes, field by field, for the page."""
    names = _related_names(entries)
    return [(entry, audit_changes(entry, names)) for entry in entries]


def audit_changes(entry: LogEntry, names: Names | None = None) -> list[Change]:
    """The entry's changes, field by field (labels in the reader's language).
    Labels and choices come from the model; related objects from `names`."""
    names = names or {}
    model = entry.content_type.model_class()
    changes = []
    for name, values in (entry.changes_dict or {}).items():
        field = _field(model, name)
        if not _shown(field):
            continue
        label = capfirst(str(getattr(field, "verbose_name", name)))
        if isinstance(values, dict):  # many-to-many: {"type", "operation", "objects"}
            objects = tuple(str(o) for o in values.get("objects", []))
            if values.get("operation") == "add":
                changes.append(Change(label, added=objects))
            else:  # "delete": removed, or the whole set cleared
                changes.append(Change(label, removed=objects))
            continue
        old, new = [*values, "", ""][:2]
        changes.append(
            Change(label, old=_text(field, old, names), new=_text(field, new, names))
        )
    return changes
