"""`carecircle allowance_run --month YYYY-MM [--region CODE] [--json]`: the monthly job — enrol and move up the
elders who reach a band's age this month, then make (or make again, while not approved) the month's run."""
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from carecircle.benefits import services
from carecircle.core.policy import MissingPolicyParameter
from carecircle.core.validators import parse_month
from carecircle.core.workflow import IllegalStep


class Command(BaseCommand):
    help = "Make the month's senior-allowance payment run of each district (enrolment and band moves first)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--region", default="", help="district code (default: every district)")
        parser.add_argument("--json", action="store_true", help="one line of JSON")

    def handle(self, *args, month, region, json, **options):
        from carecircle.regions.models import Region

        try:
            first = parse_month(month)
        except ValidationError:
            raise CommandError(_("--month “%(v)s”不是 YYYY-MM 格式的月份") % {"v": month})
        districts = Region.objects.filter(kind="district")
        if region:
            districts = districts.filter(code=region)
        if not districts.exists():
            raise CommandError(_("没有找到区"))
        total = {"month": f"{first:%Y-%m}", "beneficiaries": 0, "total": "0.00", "by_band": {}}
        from decimal import Decimal

        amount = Decimal("0.00")
        by_band = {}
        for district in districts.order_by("code"):
            try:
                services.enrolments_sweep(actor=None, region=district, month=first)
                run = services.run_make(actor=None, region=district, month=first)
            except (ValidationError, IllegalStep, MissingPolicyParameter) as error:
                raise CommandError(" ".join(getattr(error, "messages", [str(error)])))
            summary = services.run_summary(run)
            total["beneficiaries"] += summary["beneficiaries"]
            amount += Decimal(summary["total"])
            for band, value in summary["by_band"].items():
                by_band[band] = by_band.get(band, Decimal("0")) + Decimal(value)
        total["total"] = f"{amount:.2f}"
        total["by_band"] = {band: f"{value:.2f}" for band, value in sorted(by_band.items(), key=lambda kv: int(kv[0]))}
        if json:
            self.stdout.write(_json_line(total))
        else:
            self.stdout.write(_("%(month)s：%(n)d 人，合计 %(t)s 元") % {"month": total["month"],
                                                                      "n": total["beneficiaries"], "t": total["total"]})


def _json_line(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
