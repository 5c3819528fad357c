from django.core.management.base import BaseCommand

from carecircle.inspections.services import schemes_load


class Command(BaseCommand):
    help = "Load the rating schemes and hazard lists shipped in inspections/data/ (new versions only)."

    def handle(self, *args, **options):
        loaded = schemes_load()
        for scheme in loaded:
            self.stdout.write(f"{scheme.code} {scheme.version}")
        self.stdout.write(f"{len(loaded)} loaded")
