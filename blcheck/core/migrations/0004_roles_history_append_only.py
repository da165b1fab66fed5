"""History is append-only: IT staff keep viewing case events, lookups and
listing changes but may no longer add, change or delete them (blcheck writes
them through its services; the admin is read-only for them too)."""

from django.db import migrations

IT_STAFF = "IT staff"
HISTORY = {"cases": ["caseevent"], "monitoring": ["lookup", "listingchange"]}
WRITES = ("add_", "change_", "delete_")
WRITES_NEVER_GRANTED = {"change_caseevent", "delete_caseevent"}


def _writes(apps):
    Permission = apps.get_model("auth", "Permission")
    found = Permission.objects.none()
    for app_label, models in HISTORY.items():
        found = found | Permission.objects.filter(
            content_type__app_label=app_label, content_type__model__in=models
        )
    return [p for p in found if p.codename.startswith(WRITES)]


def revoke(apps, schema_editor):
    staff = apps.get_model("auth", "Group").objects.filter(name=IT_STAFF).first()
    if staff is not None:
        staff.permissions.remove(*_writes(apps))


def regrant(apps, schema_editor):
    """What 0001-0003 granted: everything on lookups and listing changes,
    add on case events."""
    staff = apps.get_model("auth", "Group").objects.filter(name=IT_STAFF).first()
    if staff is not None:
        staff.permissions.add(
            *[p for p in _writes(apps) if p.codename not in WRITES_NEVER_GRANTED]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_roles_cases"),
        ("cases", "0001_initial"),
        ("monitoring", "0004_monitoring_history"),
    ]

    operations = [migrations.RunPython(revoke, regrant)]
