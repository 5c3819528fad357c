"""`carecircle demo_logins`: print the demo accounts that `seed_demo` wrote to var/demo_accounts.json."""
import json
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _width(text: str) -> int:
    # Chinese characters take two terminal columns; padding by len() would skew the table.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def accounts_table(accounts: list[dict]) -> list[str]:
    """Rows of a plain-text table; the columns are the keys in the order they first appear."""
    columns: list[str] = []
    for account in accounts:
        for key in account:
            if key not in columns:
                columns.append(key)
    cells = [[str(account.get(column, "")) for column in columns] for account in accounts]
    widths = [max([_width(column)] + [_width(row[i]) for row in cells]) for i, column in enumerate(columns)]
    lines = ["  ".join(_pad(column, widths[i]) for i, column in enumerate(columns)).rstrip(),
             "  ".join("-" * widths[i] for i in range(len(columns)))]
    lines += ["  ".join(_pad(value, widths[i]) for i, value in enumerate(row)).rstrip() for row in cells]
    return lines


class Command(BaseCommand):
    help = "Print the demo logins written by `carecircle seed_demo` (var/demo_accounts.json)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=None, help="accounts file (default var/demo_accounts.json)")

    def handle(self, *args, file: Path | None, **options):
        path = file or Path(settings.VAR_DIR) / "demo_accounts.json"
        if not path.exists():
            self.stdout.write(f"no demo accounts at {path}: run `carecircle seed_demo --scale small` first")
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}") from exc
        accounts = data.get("accounts", data) if isinstance(data, dict) else data
        if not isinstance(accounts, list) or not all(isinstance(a, dict) for a in accounts):
            raise CommandError(f"{path} should hold a list of accounts (objects), or {{\"accounts\": [...]}}")
        self.stdout.write(f"Demo logins ({path}):")
        for line in accounts_table(accounts):
            self.stdout.write("  " + line)
