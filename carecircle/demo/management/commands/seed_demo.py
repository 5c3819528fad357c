"""`carecircle seed_demo --scale tiny|small|district --seed N [--reset]`: the synthetic demo district."""
import datetime as dt
import json
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from carecircle.core.management.commands.demo_logins import accounts_table
from carecircle.demo.services import SCALES, demo_data_reset, demo_district_seed


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("--as-of “%(value)s”不是 YYYY-MM-DD 格式的日期") % {"value": value}) from exc


class Command(BaseCommand):
    help = ("Build the synthetic demo district (徐汇区: 13 streets, ~300 communities, facilities, providers, staff, "
            "older residents) and one demo account per role, written to var/demo_accounts.json.")

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small",
                            help="tiny ≈300 elders (tests), small ≈5,000, district = 320,000")
        parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same district")
        parser.add_argument("--reset", action="store_true",
                            help="first remove existing demo data (people, organisations, accounts); audit events, "
                                 "policy values and the region tree are kept")
        parser.add_argument("--as-of", default="",
                            help="the day certificate expiry dates are placed around (default: today)")
        parser.add_argument("--accounts-file", type=Path, default=None,
                            help="where to write the demo logins (default var/demo_accounts.json)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, scale, seed, reset, as_of, accounts_file, no_progress, **options):
        as_of_date = _date(as_of) if as_of else timezone.localdate()
        started = time.monotonic()
        try:
            if reset:
                removed = demo_data_reset(actor=None)
                self.stdout.write(_("已清除演示数据：%(summary)s") % {"summary": removed or _("（无）")})
            bars = []

            def progress(advance: int):
                # Opened on the first batch, so a refusal is not preceded by an empty bar.
                if not bars:
                    bars.append(tqdm(total=SCALES[scale].elders, unit=_("人"), desc=_("老人档案"), file=sys.stderr,
                                     disable=no_progress, mininterval=1.0))
                bars[0].update(advance)

            def stage(what: str):
                if bars:
                    bars[0].close()
                if not no_progress:
                    self.stderr.write(_("正在生成：%(what)s……") % {"what": what})

            try:
                report = demo_district_seed(actor=None, scale=scale, seed=seed, as_of=as_of_date, progress=progress,
                                            stage=stage)
            finally:
                for bar in bars:
                    bar.close()
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        path = accounts_file or Path(settings.VAR_DIR) / "demo_accounts.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        accounts = [account.as_dict() for account in report.accounts]
        path.write_text(json.dumps(accounts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            _("演示区已生成（规模 %(scale)s，种子 %(seed)d，用时 %(seconds).1f 秒）")
            % {"scale": scale, "seed": seed, "seconds": elapsed}))
        for key, value in report.counts.items():
            self.stdout.write(f"  {key}: {value}")
        if report.policy is not None:
            self.stdout.write(_("  政策参数：新增 %(added)d 条，已存在 %(skipped)d 条")
                              % {"added": report.policy.added, "skipped": report.policy.skipped})
        self.stdout.write(_("演示账号（已写入 %(path)s）：") % {"path": path})
        for line in accounts_table(accounts):
            self.stdout.write("  " + line)
