"""`carecircle rotate_field_keys`: re-encrypt every EncryptedTextField with the first configured key.

Rotation: prepend a new Fernet key to CARECIRCLE_FIELD_KEYS (old keys stay listed so rows still
decrypt), deploy, run this command, then drop the old key. Rows are read and written as raw tokens in
batches by primary key, so the clear values never pass through model code and memory stays flat.
"""
from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from carecircle.core import audit
from carecircle.core.sensitive import EncryptedTextField, rotate


def encrypted_columns():
    """(model, [fields]) for every concrete model holding encrypted fields."""
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            yield model, fields


def rotate_model(model, fields, *, batch_size: int) -> int:
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    columns = ", ".join(quote(f.column) for f in fields)
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    last_pk, rewritten = None, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            where = f"WHERE {pk} > %s " if last_pk is not None else ""
            cursor.execute(f"SELECT {pk}, {columns} FROM {table} {where}ORDER BY {pk} LIMIT %s",
                           ([last_pk] if last_pk is not None else []) + [batch_size])
            rows = cursor.fetchall()
            if not rows:
                return rewritten
            for row_pk, *tokens in rows:
                fresh = [rotate(token) if token else token for token in tokens]
                cursor.execute(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", [*fresh, row_pk])
                rewritten += 1
            last_pk = rows[-1][0]


class Command(BaseCommand):
    help = "Re-encrypt all sensitive columns with the first key in CARECIRCLE_FIELD_KEYS"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int, **options):
        totals = {}
        for model, fields in encrypted_columns():
            count = rotate_model(model, fields, batch_size=batch_size)
            totals[model._meta.label_lower] = count
            self.stdout.write(f"{model._meta.label}: {count} rows ({', '.join(f.name for f in fields)})")
        audit.record(actor=None, action="sensitive.rotate_keys", subject_type="core.sensitive", changes=totals)
        self.stdout.write(self.style.SUCCESS("done"))
