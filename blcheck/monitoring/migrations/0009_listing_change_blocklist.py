import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_blocklist(apps, schema_editor):
    """Each change takes its listing's list (one UPDATE)."""
    Listing = apps.get_model("monitoring", "Listing")
    ListingChange = apps.get_model("monitoring", "ListingChange")
    ListingChange.objects.update(
        blocklist=Subquery(
            Listing.objects.filter(pk=OuterRef("listing")).values("blocklist")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0008_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="listingchange",
            name="blocklist",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="listing_changes",
                to="monitoring.blocklist",
            ),
        ),
        migrations.RunPython(copy_blocklist, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="listingchange",
            name="blocklist",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="listing_changes",
                to="monitoring.blocklist",
            ),
        ),
    ]
