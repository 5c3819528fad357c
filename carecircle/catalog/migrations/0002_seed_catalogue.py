"""Installs the service catalogue shipped with the application (catalog/data/catalogue.json).

Later changes to the file are applied, audited, by `carecircle seed_catalog`.
"""
import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogue.json"
ITEM_FIELDS = ["name", "name_en", "category", "help_kind", "programme", "unit", "standard_minutes",
               "required_qualification", "description", "source", "sort_order"]
PACKAGE_FIELDS = ["name", "name_en", "group", "description", "programme", "unit", "source", "sort_order"]


def load(apps, schema_editor):
    ServiceItem = apps.get_model("catalog", "ServiceItem")
    ServicePackage = apps.get_model("catalog", "ServicePackage")
    PackageItem = apps.get_model("catalog", "PackageItem")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    items = {}
    for raw in data["items"]:
        items[raw["code"]], _created = ServiceItem.objects.get_or_create(
            code=raw["code"], defaults={k: raw[k] for k in ITEM_FIELDS if k in raw})
    for raw in data["packages"]:
        package, created = ServicePackage.objects.get_or_create(
            code=raw["code"], defaults={k: raw[k] for k in PACKAGE_FIELDS if k in raw})
        if created:
            for line in raw["lines"]:
                PackageItem.objects.create(package=package, item=items[line["item"]],
                                           quantity=Decimal(str(line["quantity"])))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
