"""The one row /healthz writes to (core/health.py): a real committed write,
with no model. A counter, so every write changes the row (a write that changes
nothing may be skipped by SQLite and never reach the disk)."""

from django.db import migrations

TABLE = "core_health_probe"


class Migration(migrations.Migration):
    dependencies = [("core", "0004_roles_history_append_only")]

    operations = [
        migrations.RunSQL(
            sql=[
                f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, writes bigint NOT NULL)",
                f"INSERT INTO {TABLE} (id, writes) VALUES (1, 0)",
            ],
            reverse_sql=[f"DROP TABLE {TABLE}"],
        )
    ]
