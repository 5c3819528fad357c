"""`carecircle seed_catalog`: load or refresh the service catalogue (catalog/data/catalogue.json)."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from carecircle.catalog.services import catalogue_seed


class Command(BaseCommand):
    help = ("Load the service catalogue: the 42 Shanghai LTCI items, the GB/T 43153-2023 home-service categories "
            "with the six kinds of help, and the Wuhan 4+1+X service packages. Idempotent; changes are audited.")

    def handle(self, *args, **options):
        try:
            report = catalogue_seed(actor=None)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(
            _("服务目录：新增项目 %(ia)d 个、更新 %(iu)d 个；新增服务包 %(pa)d 个、更新 %(pu)d 个")
            % {"ia": report.items_added, "iu": report.items_updated, "pa": report.packages_added,
               "pu": report.packages_updated}))
