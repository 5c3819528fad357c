"""The work orders move from the care-plans app to their own app without touching the database: the
tables, indexes and constraints keep their names; only Django's record of which app owns them changes."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('careplans', '0001_initial'),
        ('catalog', '0001_initial'),
        ('elders', '0005_community_filter_indexes'),
        ('providers', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='WorkOrder',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(db_index=True, verbose_name='服务日期')),
                        ('window_start', models.TimeField(verbose_name='时段开始')),
                        ('window_end', models.TimeField(verbose_name='时段结束')),
                        ('fixed_time', models.BooleanField(default=False, verbose_name='须准时开始')),
                        ('duration_minutes', models.PositiveIntegerField(verbose_name='服务时长（分钟）')),
                        ('required_qualification', models.CharField(blank=True, max_length=32, verbose_name='须持资质')),
                        ('preferred_gender', models.CharField(blank=True, choices=[('M', '男'), ('F', '女')], max_length=1, verbose_name='护理员性别偏好')),
                        ('dialect', models.CharField(blank=True, max_length=50, verbose_name='方言')),
                        ('priority', models.IntegerField(default=0, verbose_name='优先级')),
                        ('source', models.CharField(choices=[('plan', '照护计划'), ('order', '按需订单')], max_length=10, verbose_name='来源')),
                        ('status', models.CharField(choices=[('pending', '待排班'), ('scheduled', '已排班'), ('published', '已发布'), ('started', '服务中'), ('done', '已完成'), ('cancelled', '已取消'), ('suppressed', '暂停（不上门）')], db_index=True, default='pending', max_length=20, verbose_name='状态')),
                        ('suppressed_reason', models.CharField(blank=True, max_length=200, verbose_name='暂停/取消原因')),
                        ('planned_start', models.DateTimeField(blank=True, null=True, verbose_name='计划开始时间')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='生成时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('caregiver', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='work_orders', to='providers.staffmember', verbose_name='护理员')),
                        ('elder', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='work_orders', to='elders.elder', verbose_name='老人')),
                        ('excluded_caregivers', models.ManyToManyField(blank=True, db_table='careplans_workorder_excluded_caregivers', related_name='+', to='providers.staffmember', verbose_name='不安排的护理员')),
                        ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='work_orders', to='careplans.serviceorder', verbose_name='按需订单')),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='work_orders', to='providers.organisation', verbose_name='服务机构')),
                        ('plan_visit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='work_orders', to='careplans.planvisit', verbose_name='计划上门')),
                        ('preferred_caregiver', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='providers.staffmember', verbose_name='指定护理员')),
                    ],
                    options={
                        'db_table': 'careplans_workorder',
                        'verbose_name': '工单',
                        'verbose_name_plural': '工单',
                        'ordering': ['date', 'window_start', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='WorkOrderItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('quantity', models.DecimalField(decimal_places=2, default=1, max_digits=8, verbose_name='数量')),
                        ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.serviceitem', verbose_name='服务项目')),
                        ('work_order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='workorders.workorder', verbose_name='工单')),
                    ],
                    options={
                        'db_table': 'careplans_workorderitem',
                        'verbose_name': '工单服务项目',
                        'verbose_name_plural': '工单服务项目',
                        'ordering': ['work_order', 'id'],
                    },
                ),
                migrations.AddField(
                    model_name='workorder',
                    name='items',
                    field=models.ManyToManyField(related_name='+', through='workorders.WorkOrderItem', to='catalog.serviceitem', verbose_name='服务项目'),
                ),
                migrations.CreateModel(
                    name='WorkOrderRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(verbose_name='服务日期')),
                        ('summary', models.JSONField(default=dict, verbose_name='结果')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='生成时间')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                        ('organisation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='providers.organisation', verbose_name='服务机构')),
                    ],
                    options={
                        'db_table': 'careplans_workorderrun',
                        'verbose_name': '工单生成记录',
                        'verbose_name_plural': '工单生成记录',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='workorder',
                    index=models.Index(fields=['organisation', 'date', 'status'], name='careplans_w_organis_356c8d_idx'),
                ),
                migrations.AddConstraint(
                    model_name='workorder',
                    constraint=models.UniqueConstraint(condition=models.Q(('plan_visit__isnull', False), models.Q(('status', 'cancelled'), _negated=True)), fields=('plan_visit', 'date'), name='careplans_one_work_order_per_plan_visit_day'),
                ),
                migrations.AddConstraint(
                    model_name='workorder',
                    constraint=models.UniqueConstraint(condition=models.Q(('order__isnull', False), models.Q(('status', 'cancelled'), _negated=True)), fields=('order', 'date'), name='careplans_one_work_order_per_order_day'),
                ),
                migrations.AddConstraint(
                    model_name='workorder',
                    constraint=models.CheckConstraint(condition=models.Q(('window_end__gt', models.F('window_start'))), name='careplans_work_order_window'),
                ),
            ],
        ),
    ]
