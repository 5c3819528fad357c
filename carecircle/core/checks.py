"""Start-up checks of the settings the shared mechanisms rely on."""
from django.conf import settings
from django.core import checks


@checks.register()
def sqlite_transactions_take_the_write_lock(app_configs=None, **kwargs):
    """On SQLite every transaction must begin IMMEDIATE (with a busy timeout): a step reads the record's state
    only once it holds the write lock, so of two steps at once the second meets the first one's result (409)
    instead of failing with "database is locked" (carecircle/settings/base.py)."""
    return sqlite_lock_problems(settings.DATABASES)


def sqlite_lock_problems(databases: dict) -> list:
    problems = []
    for alias, database in databases.items():
        if database.get("ENGINE") != "django.db.backends.sqlite3":
            continue
        options = database.get("OPTIONS", {})
        if str(options.get("transaction_mode") or "").upper() != "IMMEDIATE":
            problems.append(checks.Error(
                f"DATABASES[{alias!r}] is SQLite without OPTIONS['transaction_mode'] = 'IMMEDIATE'",
                hint="Two workflow steps at once would fail with 'database is locked' instead of answering 409; "
                     "keep the OPTIONS of carecircle/settings/base.py.",
                id="core.E001"))
        if not options.get("timeout"):
            problems.append(checks.Error(
                f"DATABASES[{alias!r}] is SQLite without a busy timeout (OPTIONS['timeout'])",
                hint="Without it a transaction fails at once when another one writes, instead of waiting its turn.",
                id="core.E002"))
    return problems
