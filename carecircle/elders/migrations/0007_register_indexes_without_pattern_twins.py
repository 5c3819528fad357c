from django.db import migrations, models


class Migration(migrations.Migration):
    """The register keeps only the indexes its queries use (see `Elder.Meta.indexes`): every index is rewritten for
    each changed row, and a death file changes 50,000 rows at once."""

    dependencies = [
        ('elders', '0006_id_number_nothing_reversible_at_rest'),
        ('regions', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='elder',
            name='economic_category',
            field=models.CharField(choices=[('extreme_poverty', '特困'), ('min_living', '低保'), ('near_poverty', '低保边缘'), ('low_income', '低收入'), ('general', '一般')], default='general', max_length=20, verbose_name='经济类别'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='household_type',
            field=models.CharField(choices=[('alone', '独居'), ('elderly_only', '纯老家庭'), ('with_children', '与子女同住'), ('with_others', '与其他亲属同住'), ('institution', '入住机构')], max_length=20, verbose_name='居住类型'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='id_number_hash',
            field=models.CharField(editable=False, max_length=64),
        ),
        # On PostgreSQL, dropping the column's own index also drops the partial unique index on the same column
        # (Django matches indexes by column, and the constraint's is one of them): it is made again here, the
        # same on every database (removing it first is a no-op where it is already gone).
        migrations.RemoveConstraint(
            model_name='elder',
            name='one_record_per_id_number',
        ),
        migrations.AddConstraint(
            model_name='elder',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'merged'), _negated=True),
                                               fields=('id_number_hash',), name='one_record_per_id_number'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='id_number_last4_hash',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='elder',
            name='phone_hash',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='elder',
            name='status',
            field=models.CharField(choices=[('active', '在册'), ('moved_out', '迁出'), ('deceased', '死亡'), ('merged', '已合并')], default='active', max_length=20, verbose_name='状态'),
        ),
        migrations.AddIndex(
            model_name='elder',
            index=models.Index(fields=['id_number_hash'], name='elder_id_number_hash_idx'),
        ),
        migrations.AddIndex(
            model_name='elder',
            index=models.Index(fields=['id_number_last4_hash'], name='elder_id_last4_hash_idx'),
        ),
        migrations.AddIndex(
            model_name='elder',
            index=models.Index(fields=['phone_hash'], name='elder_phone_hash_idx'),
        ),
        migrations.AddIndex(
            model_name='elder',
            index=models.Index(fields=['status'], name='elder_status_idx'),
        ),
    ]
