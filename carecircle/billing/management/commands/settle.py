"""`carecircle settle --month YYYY-MM [--district CODE] [--json]`: close (or read again) a district's month."""
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from carecircle.billing import services
from carecircle.core.validators import parse_month
from carecircle.regions.models import Region


class Command(BaseCommand):
    help = "Settle a district's month: claims from verified visits, delivered orders and subsidies; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--district", default="", help="the district's region code (default: the only one)")
        parser.add_argument("--json", action="store_true", help="print one line of JSON")

    def handle(self, *args, **options):
        try:
            month = parse_month(options["month"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages))
        districts = Region.objects.filter(kind="district")
        if options["district"]:
            districts = districts.filter(code=options["district"])
        districts = list(districts)
        if len(districts) != 1:
            raise CommandError("name one district with --district CODE" if districts else "no such district")
        try:
            run = services.settle_month(actor=None, region=districts[0], month=month)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages))
        summary = services.run_summary(run)
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            for key, value in summary.items():
                self.stdout.write(f"{key}: {value}")
