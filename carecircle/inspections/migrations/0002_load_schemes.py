"""Loads the rating schemes and hazard lists shipped with this version (inspections/data/*.json). Later
versions of the data are loaded by `carecircle load_rating_schemes`, which keeps the earlier rows."""
import hashlib
import json
from pathlib import Path

from django.db import migrations

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def load(apps, schema_editor):
    RatingScheme = apps.get_model("inspections", "RatingScheme")
    for path in sorted(DATA_DIR.glob("*.json")):
        raw = path.read_bytes()
        data = json.loads(raw.decode("utf-8"))
        if RatingScheme.objects.filter(code=data["code"], version=data["version"]).exists():
            continue
        RatingScheme.objects.filter(code=data["code"]).update(is_current=False)
        RatingScheme.objects.create(code=data["code"], version=data["version"], kind=data["kind"],
                                    name_zh=data["name_zh"], name_en=data["name_en"],
                                    max_points=data.get("max_points", 0), data=data,
                                    sha256=hashlib.sha256(raw).hexdigest(), source=data["source"])


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
