"""The work-order models now belong to the workorders app; their tables stay where they are."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('careplans', '0001_initial'),
        ('workorders', '0001_initial'),
        ('dispatch', '0002_work_order_owned_by_workorders'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(model_name='workorder', name='items'),
                migrations.DeleteModel(name='WorkOrderItem'),
                migrations.DeleteModel(name='WorkOrder'),
                migrations.DeleteModel(name='WorkOrderRun'),
            ],
        ),
    ]
