"""Keep CareCircle's translation catalogs complete: Chinese (zh-hans) is the source, every other
language in settings.LANGUAGES must translate every message.

    python scripts/translations.py check               exit 1 and list what is missing, untranslated,
                                                       fuzzy, obsolete or not compiled
    python scripts/translations.py update              makemessages + compile every catalog
    python scripts/translations.py update --start elders
                                                       also open a catalog for an app that has none yet
    python scripts/translations.py unwrapped [APP ...] list Chinese literals that no gettext call or
                                                       {% translate %} tag wraps (for review)

A catalog is the project level (carecircle/templates, carecircle/settings and the package's own
modules → carecircle/locale) plus every app folder carecircle/<app>/ that has a locale/ folder.
`check` never touches the working tree: it extracts messages from a temporary copy of the sources
and merges them with a copy of the committed catalog, exactly as `update` would.
"""
from __future__ import annotations

import argparse
import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "carecircle"
DOMAIN = "django"
SETTINGS_MODULE = "carecircle.settings.dev"
# Folders of the package that belong to the project-level catalog; every other folder is an app
# (or a pure-Python package such as engines) and is left to its own catalog.
PROJECT_LEVEL_FOLDERS = {"templates", "settings"}
# Line numbers change with every edit elsewhere in a file; file names alone keep the diffs readable.
MAKEMESSAGES_OPTIONS = ["--no-obsolete", "--no-wrap", "--add-location=file"]
# Tests and migrations hold Chinese test data and frozen labels, never messages of their own.
APP_IGNORE = ["static", "tests", "migrations"]
COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", ".*", *APP_IGNORE)
# Chinese characters and the full-width punctuation that comes with them (，。：（）“”、).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\((?P<name>[^)]+)\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]"
                         r"|\{[A-Za-z_][A-Za-z0-9_]*\}")


# --- .po files ------------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)  # one item, or one per plural form
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    def label(self) -> str:
        text = self.msgid if len(self.msgid) <= 60 else self.msgid[:57] + "..."
        return f"{self.msgctxt + ' | ' if self.msgctxt else ''}{text!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"not a quoted .po string: {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text[1:-1])


def parse_po(text: str) -> list[Entry]:
    """Entries of a .po file in order (obsolete `#~` entries are left out)."""
    entries: list[Entry] = []
    flags: set[str] = set()
    current: Entry | None = None
    target: tuple[str, int] | None = None  # which field a continuation line extends
    start = 0

    def finish():
        nonlocal current, flags
        if current is not None:
            entries.append(current)
        current, flags = None, set()

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if current is not None and current.msgstr:
                finish()
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            if target is None or current is None:
                raise ValueError(f"line {number}: continuation without a field")
            name, index = target
            value = _unquote(line)
            if name == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, name, getattr(current, name) + value)
            continue
        if keyword in {"msgctxt", "msgid"} and current is not None and current.msgstr:
            finish()
        if current is None:
            current, start = Entry(msgid="", flags=flags), number
            current.line = start
        if keyword == "msgctxt":
            current.msgctxt = _unquote(rest)
            target = ("msgctxt", 0)
        elif keyword == "msgid":
            current.msgid = _unquote(rest)
            target = ("msgid", 0)
        elif keyword == "msgid_plural":
            current.msgid_plural = _unquote(rest)
            target = ("msgid_plural", 0)
        elif keyword == "msgstr":
            current.msgstr.append(_unquote(rest))
            target = ("msgstr", len(current.msgstr) - 1)
        elif keyword.startswith("msgstr["):
            index = int(keyword[7:-1])
            while len(current.msgstr) <= index:
                current.msgstr.append("")
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        else:
            raise ValueError(f"line {number}: unknown keyword {keyword!r}")
    finish()
    return entries


def read_po(path: Path) -> list[Entry]:
    return parse_po(path.read_text(encoding="utf-8"))


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text))


def entry_problems(entry: Entry) -> list[str]:
    """What is wrong with one entry of a target-language catalog."""
    if "fuzzy" in entry.flags:
        return ["fuzzy"]
    if entry.is_header:
        return []
    problems = []
    if not entry.msgstr or any(not text for text in entry.msgstr):
        return ["untranslated"]
    if entry.msgid_plural is None:
        pairs = [(entry.msgid, entry.msgstr[0])]
    else:
        # Forms after the first follow msgid_plural; the first follows the singular msgid.
        pairs = [(entry.msgid, entry.msgstr[0])] + [(entry.msgid_plural, text) for text in entry.msgstr[1:]]
    for source, translated in pairs:
        if placeholders(source) != placeholders(translated):
            problems.append(f"placeholders {placeholders(source)} became {placeholders(translated)}")
    if CJK.search("".join(entry.msgstr)):
        problems.append("translation still contains Chinese")
    return problems


def mo_catalog(path: Path) -> dict:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


# --- catalogs ------------------------------------------------------------------------------------


@dataclass
class Catalog:
    name: str
    root: Path  # where makemessages runs; root/locale holds the catalog
    ignore: list[str]

    def po_path(self, language: str, base: Path | None = None) -> Path:
        return (base or self.root) / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"

    def copy_sources(self, destination: Path) -> None:
        """The files makemessages reads for this catalog (plus its current catalog), nothing else."""
        if self.root == PACKAGE:
            destination.mkdir(parents=True)
            for path in PACKAGE.iterdir():
                if path.is_file() and path.suffix in {".py", ".html", ".txt"}:
                    shutil.copy2(path, destination / path.name)
                elif path.is_dir() and path.name in PROJECT_LEVEL_FOLDERS | {"locale"}:
                    shutil.copytree(path, destination / path.name, ignore=COPY_IGNORE)
        else:
            shutil.copytree(self.root, destination, ignore=COPY_IGNORE)


def project_catalog() -> Catalog:
    others = sorted(path.name for path in PACKAGE.iterdir()
                    if path.is_dir() and path.name not in PROJECT_LEVEL_FOLDERS | {"locale"})
    return Catalog("project", PACKAGE, others)


def app_catalogs() -> list[Catalog]:
    return [Catalog(path.parent.name, path.parent, APP_IGNORE) for path in sorted(PACKAGE.glob("*/locale"))
            if path.is_dir() and (path.parent / "apps.py").exists()]


def all_catalogs() -> list[Catalog]:
    return [project_catalog(), *app_catalogs()]


def target_languages() -> dict[str, str]:
    """Every language in settings.LANGUAGES except the source language: locale name → language name."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.conf import settings
    from django.utils.translation import to_locale

    return {to_locale(code): str(name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE}


def _django(*args: str, cwd: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    # -P: the working directory must not shadow installed packages (carecircle/celery.py would).
    result = subprocess.run([sys.executable, "-P", "-m", "django", *args], cwd=cwd, env=env, capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise SystemExit(f"django-admin {' '.join(args)} failed in {cwd}:\n{result.stdout}{result.stderr}")


def makemessages(catalog: Catalog, root: Path, languages: Iterable[str]) -> None:
    (root / "locale").mkdir(exist_ok=True)
    arguments = ["makemessages", "--verbosity=0", *MAKEMESSAGES_OPTIONS]
    for language in languages:
        arguments += ["-l", language]
    for pattern in catalog.ignore:
        arguments += ["--ignore", pattern]
    _django(*arguments, cwd=root)


class CompileError(Exception):
    pass


def compile_po(po_path: Path, mo_path: Path) -> None:
    """The same msgfmt call as Django's compilemessages, but unconditional: compilemessages skips a
    .mo that is newer than its .po, and file times after a git checkout say nothing about content."""
    from django.core.management.commands.compilemessages import Command

    result = subprocess.run([Command.program, *Command.program_options, "-o", str(mo_path), str(po_path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise CompileError(f"msgfmt refused {po_path.relative_to(REPO)}:\n{result.stderr.strip()}")


HEADER_FUZZY = re.compile(r'\A((?:#.*\n)*?)#, fuzzy\n(msgid ""\n)')
# What makemessages leaves as placeholders in a new catalog's header, and what CareCircle puts there.
HEADER_FILLS = [
    ("# SOME DESCRIPTIVE TITLE.\n", "# CareCircle (养老服务圈) — {name} translation.\n"),
    ("# Copyright (C) YEAR THE PACKAGE'S COPYRIGHT HOLDER\n", ""),
    ("# This file is distributed under the same license as the PACKAGE package.\n",
     "# This file is distributed under the same license as the CareCircle package.\n"),
    ("# FIRST AUTHOR <EMAIL@ADDRESS>, YEAR.\n#\n", ""),
    ('"Project-Id-Version: PACKAGE VERSION\\n"', '"Project-Id-Version: CareCircle\\n"'),
    ('"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"', '"PO-Revision-Date: {today}\\n"'),
    ('"Last-Translator: FULL NAME <EMAIL@ADDRESS>\\n"', '"Last-Translator: CareCircle contributors\\n"'),
    ('"Language-Team: LANGUAGE <LL@li.org>\\n"', '"Language-Team: {name}\\n"'),
    ('"Language: \\n"', '"Language: {language}\\n"'),
]


def finish_header(po_path: Path, language: str, name: str) -> None:
    """makemessages starts a catalog with a fuzzy header full of placeholders; fill it once."""
    import datetime as dt

    text = HEADER_FUZZY.sub(r"\1\2", po_path.read_text(encoding="utf-8"), count=1)
    today = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M%z")
    for placeholder, value in HEADER_FILLS:
        text = text.replace(placeholder, value.format(name=name, language=language, today=today), 1)
    po_path.write_text(text, encoding="utf-8")


POT_DATE = re.compile(r'^"POT-Creation-Date: .*\\n"$', re.M)


def update(start: list[str]) -> int:
    for app in start:
        folder = PACKAGE / app
        if not (folder / "apps.py").exists():
            raise SystemExit(f"{folder} is not an app folder")
        (folder / "locale").mkdir(exist_ok=True)
    languages = target_languages()
    for catalog in all_catalogs():
        before = {language: catalog.po_path(language).read_text(encoding="utf-8")
                  for language in languages if catalog.po_path(language).exists()}
        makemessages(catalog, catalog.root, languages)
        for language in languages:
            po_path = catalog.po_path(language)
            if not po_path.exists():
                print(f"{catalog.name} [{language}]: no translatable messages yet")
                continue
            finish_header(po_path, language, languages[language])
            unchanged = language in before and \
                POT_DATE.sub("", po_path.read_text(encoding="utf-8")) == POT_DATE.sub("", before[language])
            if unchanged:
                # Only the extraction date changed: keep the file as it was so that update is idempotent.
                po_path.write_text(before[language], encoding="utf-8")
            try:
                compile_po(po_path, po_path.with_suffix(".mo"))
            except CompileError as error:
                raise SystemExit(str(error))
            entries = read_po(po_path)
            open_entries = [entry for entry in entries if entry_problems(entry)]
            print(f"{catalog.name} [{language}]: {len(entries) - 1} messages, {len(open_entries)} to translate")
    return 0


def check() -> int:
    languages = target_languages()
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="carecircle-i18n-") as scratch:
        for catalog in all_catalogs():
            copy_root = Path(scratch) / catalog.name / "carecircle"
            catalog.copy_sources(copy_root)
            makemessages(catalog, copy_root, languages)
            for language in languages:
                where = f"{catalog.name} [{language}]"
                committed_path, fresh_path = catalog.po_path(language), catalog.po_path(language, copy_root)
                if not committed_path.exists():
                    if fresh_path.exists():  # an app with a locale folder but no catalog yet
                        failures.append(f"{where}: no catalog {committed_path.relative_to(REPO)}")
                    continue
                committed = {entry.key: entry for entry in read_po(committed_path) if not entry.is_header}
                fresh = {entry.key: entry for entry in read_po(fresh_path) if not entry.is_header} \
                    if fresh_path.exists() else {}
                for key in fresh.keys() - committed.keys():
                    failures.append(f"{where}: missing from the catalog: {fresh[key].label()}")
                for key in committed.keys() - fresh.keys():
                    failures.append(f"{where}: obsolete (no longer in the sources): {committed[key].label()}")
                for entry in read_po(committed_path):
                    for problem in entry_problems(entry):
                        failures.append(f"{where}: {problem}: {entry.label()} (line {entry.line})")
                mo_path = committed_path.with_suffix(".mo")
                if not mo_path.exists():
                    failures.append(f"{where}: {mo_path.relative_to(REPO)} is missing")
                    continue
                expected_mo = Path(scratch) / f"{catalog.name}-{language}.mo"
                try:
                    compile_po(committed_path, expected_mo)
                except CompileError as error:
                    failures.append(f"{where}: {error}")
                    continue
                if mo_catalog(mo_path) != mo_catalog(expected_mo):
                    failures.append(f"{where}: {mo_path.relative_to(REPO)} is older than its .po (recompile)")
    for failure in failures:
        print(failure)
    if failures:
        print(f"\n{len(failures)} problem(s). Run `python scripts/translations.py update`, then translate.")
        return 1
    print("All catalogs complete: " + ", ".join(catalog.name for catalog in all_catalogs()))
    return 0


# --- unwrapped Chinese ---------------------------------------------------------------------------

GETTEXT_CALLS = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy",
                 "npgettext", "npgettext_lazy", "gettext_noop"}
TEMPLATE_TRANSLATED = [re.compile(pattern, re.S) for pattern in (
    r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}",
    r"\{#.*?#\}",
    r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}",
    r"\{%\s*trans(?:late)?\s.*?%\}",
    r"_\(\s*(\"[^\"]*\"|'[^']*')\s*\)",
)]


def unwrapped_in_python(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    exempt: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                exempt.add(id(first.value))  # docstrings are for developers
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in GETTEXT_CALLS:
                exempt.update(id(inner) for argument in node.args for inner in ast.walk(argument))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value)
            and id(node) not in exempt]


def unwrapped_in_template(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    for pattern in TEMPLATE_TRANSLATED:
        text = pattern.sub(lambda match: "\n" * match.group(0).count("\n"), text)
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if CJK.search(line)]


def unwrapped(apps: list[str]) -> int:
    roots = [PACKAGE / app for app in apps] if apps else [catalog.root for catalog in app_catalogs()] + [
        PACKAGE / folder for folder in sorted(PROJECT_LEVEL_FOLDERS)]
    found = 0
    for root in roots:
        for path in sorted(root.rglob("*")):
            parts = set(path.relative_to(PACKAGE).parts)
            if parts & {"tests", "migrations", "static", "locale", "__pycache__"} or path.name == "conftest.py":
                continue
            if path.suffix == ".py":
                hits = unwrapped_in_python(path)
            elif path.suffix in {".html", ".txt"}:
                hits = unwrapped_in_template(path)
            else:
                continue
            for number, text in hits:
                found += 1
                print(f"{path.relative_to(REPO)}:{number}: {text[:100]!r}")
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="list what keeps the catalogs from being complete; exit 1 if anything")
    update_parser = commands.add_parser("update", help="makemessages + compile for every catalog")
    update_parser.add_argument("--start", nargs="+", default=[], metavar="APP",
                               help="create carecircle/APP/locale first so that the app gets its own catalog")
    unwrapped_parser = commands.add_parser("unwrapped", help="Chinese literals outside gettext / {% translate %}")
    unwrapped_parser.add_argument("apps", nargs="*", help="app folders (default: every catalog)")
    arguments = parser.parse_args(argv)
    if arguments.command == "check":
        return check()
    if arguments.command == "update":
        return update(arguments.start)
    return unwrapped(arguments.apps)


if __name__ == "__main__":
    sys.exit(main())
