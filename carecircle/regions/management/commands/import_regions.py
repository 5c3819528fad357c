"""`carecircle import_regions FILE.csv [--dry-run]`: load the region tree; all rows or none."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from carecircle.regions.services import CSV_COLUMNS, regions_import_csv


class Command(BaseCommand):
    help = "Import regions (city/district/street/community) from a CSV file with columns: " + ", ".join(CSV_COLUMNS)

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check and report, store nothing")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(_("找不到文件：%(path)s") % {"path": file})
        except UnicodeDecodeError:
            raise CommandError(_("文件不是 UTF-8 编码：%(path)s") % {"path": file})
        report = regions_import_csv(actor=None, text=text, dry_run=dry_run)
        if report.errors:
            for error in report.errors:
                self.stderr.write(error)
            raise CommandError(_("导入失败，未保存任何数据（共 %(n)d 处错误）") % {"n": len(report.errors)})
        verb = _("预检通过（未保存）") if dry_run else _("导入完成")
        self.stdout.write(_("%(verb)s：新增 %(created)d 个，更新 %(updated)d 个区域") % {
            "verb": verb, "created": report.created, "updated": report.updated})
