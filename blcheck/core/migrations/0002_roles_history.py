"""Grant the roles the monitoring history models (tags, listings, changes)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

IT_STAFF = "IT staff"
MANAGERS = "Managers"
MODELS = ["tag", "listing", "listingchange"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="monitoring", content_type__model__in=MODELS
    )
    staff, _ = Group.objects.get_or_create(name=IT_STAFF)
    staff.permissions.add(*perms)
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(*perms.filter(codename__startswith="view_"))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_roles"),
        ("monitoring", "0004_monitoring_history"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
