"""`carecircle seed_policy`: load the known policy values (core/data/policy_parameters.json)."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from carecircle.core.policy_seed import policy_parameters_seed


class Command(BaseCommand):
    help = ("Validate every value in carecircle/core/data/policy_parameters.json and add those not yet stored. "
            "The regions it names (310000, 310104) must exist.")

    def handle(self, *args, **options):
        try:
            report = policy_parameters_seed(actor=None)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(
            _("政策参数：新增 %(added)d 条，已存在 %(skipped)d 条") % {"added": report.added, "skipped": report.skipped}))
