"""A stop's work order is the workorders app's model now; the column and its foreign key are unchanged."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0001_initial'),
        ('workorders', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='dispatchstop',
                    name='work_order',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dispatch_stops', to='workorders.workorder', verbose_name='工单'),
                ),
            ],
        ),
    ]
