"""Every row that belongs to a visit carries the visit's date (the partition key of 0003).

On PostgreSQL the references into the two partitioned tables become (id, date) pairs and the unique keys
hold the date; the columns are filled the same way on SQLite.
"""
from django.db import migrations, models
from django.db.models import Q

CHILDREN = ("visitevent", "visititemresult", "visitflag", "visitexception")


def fill_visit_dates(apps, schema_editor):
    Visit = apps.get_model("visits", "Visit")
    for name in CHILDREN:
        model = apps.get_model("visits", name)
        model.objects.update(visit_date=models.Subquery(Visit.objects.filter(pk=models.OuterRef("visit_id"))
                                                        .values("date")[:1]))


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]

    operations = [
        migrations.AddField("visitevent", "visit_date", models.DateField(editable=False, null=True,
                                                                         verbose_name="服务日期")),
        migrations.AddField("visititemresult", "visit_date", models.DateField(editable=False, null=True,
                                                                              verbose_name="服务日期")),
        migrations.AddField("visitflag", "visit_date", models.DateField(editable=False, null=True,
                                                                        verbose_name="服务日期")),
        migrations.AddField("visitexception", "visit_date", models.DateField(editable=False, null=True,
                                                                             verbose_name="服务日期")),
        migrations.RunPython(fill_visit_dates, migrations.RunPython.noop),
        migrations.AlterField("visitevent", "visit_date", models.DateField(editable=False, verbose_name="服务日期")),
        migrations.AlterField("visititemresult", "visit_date", models.DateField(editable=False,
                                                                                verbose_name="服务日期")),
        migrations.AlterField("visitflag", "visit_date", models.DateField(editable=False, verbose_name="服务日期")),
        migrations.AlterField("visitexception", "visit_date", models.DateField(editable=False,
                                                                               verbose_name="服务日期")),
        migrations.RemoveConstraint("visitevent", "visits_event_one_per_key"),
        migrations.AddConstraint("visitevent", models.UniqueConstraint(
            condition=~Q(idempotency_key=""), fields=("user", "idempotency_key", "visit_date"),
            name="visits_event_one_per_key")),
    ]
