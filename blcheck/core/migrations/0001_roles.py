"""Create the two roles (DESIGN §4.6) as groups with their model permissions.

IT staff may add, change, delete and view what they work on; Managers may only
view. Later migrations that add models extend these grants.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Names duplicated from blcheck.core.access on purpose: a migration must not
# change meaning when application code changes later.
IT_STAFF = "IT staff"
MANAGERS = "Managers"
MODELS = ["blocklist", "target", "checkrun", "lookup"]


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="monitoring",
                                      content_type__model__in=MODELS)
    staff, _ = Group.objects.get_or_create(name=IT_STAFF)
    staff.permissions.add(*perms)
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(*perms.filter(codename__startswith="view_"))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[IT_STAFF, MANAGERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("monitoring", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
