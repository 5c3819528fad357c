import carecircle.core.sensitive
from django.db import migrations, models


def hash_last_four(apps, schema_editor):
    """The last-four search column becomes a keyed hash, computed from the decrypted number."""
    from carecircle.core.sensitive import last4_lookup_hash

    Elder = apps.get_model("elders", "Elder")
    batch = []
    for elder in Elder.objects.only("pk", "id_number").order_by("pk").iterator(chunk_size=2000):
        elder.id_number_last4_hash = last4_lookup_hash(elder.id_number or "")
        batch.append(elder)
        if len(batch) == 2000:
            Elder.objects.bulk_update(batch, ["id_number_last4_hash"])
            batch = []
    if batch:
        Elder.objects.bulk_update(batch, ["id_number_last4_hash"])


class Migration(migrations.Migration):
    """Nothing stored beside the ciphertext gives the ID number back: the masked copy (first 6 + last 4) and the
    clear last four are dropped, since with the clear birth date they are the whole number."""

    dependencies = [
        ('elders', '0005_community_filter_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='elder',
            name='id_number_last4_hash',
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.RunPython(hash_last_four, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='elder',
            name='id_number_last4',
        ),
        migrations.RemoveField(
            model_name='elder',
            name='id_number_masked',
        ),
        migrations.AlterField(
            model_name='elder',
            name='birth_date',
            field=carecircle.core.sensitive.BirthDateField(db_index=True, verbose_name='出生日期'),
        ),
    ]
