"""Grant the roles the delisting cases: IT staff work them, Managers read.

Case events are append-only: nobody gets to change or delete one.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

IT_STAFF = "IT staff"
MANAGERS = "Managers"


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    cases = Permission.objects.filter(content_type__app_label="cases")
    staff, _ = Group.objects.get_or_create(name=IT_STAFF)
    staff.permissions.add(*cases.filter(content_type__model="delistingcase"))
    staff.permissions.add(*cases.filter(codename__in=["add_caseevent", "view_caseevent"]))
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(*cases.filter(codename__startswith="view_"))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_roles_history"),
        ("cases", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
