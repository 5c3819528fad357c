"""English is complete: every catalog is translated, compiled from its current .po, and the main pages
render in English without Chinese interface text (names and other data stay as they were entered)."""
import csv
import datetime as dt
import gettext
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from scripts.translations import CJK, Entry, entry_problems, parse_po, read_po

REPO = Path(__file__).resolve().parent.parent
PO_FILES = sorted((REPO / "carecircle").glob("**/locale/*/LC_MESSAGES/*.po"))
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _name(path: Path) -> str:
    return str(path.relative_to(REPO))


@pytest.fixture(autouse=True)
def _back_to_the_default_language():
    # LocaleMiddleware activates the request's language in this thread and leaves it active; without
    # this, every later test in the process would run in English.
    yield
    translation.deactivate()


# --- the catalogs --------------------------------------------------------------------------------


def test_the_project_and_the_translated_apps_each_have_an_english_catalog():
    expected = {f"carecircle/{where}locale/en/LC_MESSAGES/django.po"
                for where in ["", "accounts/", "core/", "regions/", "providers/", "elders/", "demo/"]}
    assert expected <= {_name(path) for path in PO_FILES}


@pytest.mark.parametrize("po_path", PO_FILES, ids=_name)
def test_every_message_is_translated_not_fuzzy_and_keeps_its_placeholders(po_path):
    entries = read_po(po_path)
    assert len(entries) > 1 and entries[0].is_header
    header = entries[0].msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header and "charset=UTF-8" in header
    problems = [f"{entry.label()} line {entry.line}: {problem}" for entry in entries
                for problem in entry_problems(entry)]
    assert problems == []


@pytest.mark.parametrize("po_path", PO_FILES, ids=_name)
def test_the_committed_mo_is_compiled_from_the_current_po(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{_name(mo_path)} is missing: run python scripts/translations.py update"
    with mo_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    entries = [entry for entry in read_po(po_path) if not entry.is_header]
    stale = []
    for entry in entries:
        if entry.msgid_plural is None:
            found = (compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt
                     else compiled.gettext(entry.msgid))
            if found != entry.msgstr[0]:
                stale.append((entry.msgid, found, entry.msgstr[0]))
        else:
            for count, form in [(1, 0), (2, 1)]:
                found = compiled.ngettext(entry.msgid, entry.msgid_plural, count)
                if found != entry.msgstr[form]:
                    stale.append((entry.msgid, found, entry.msgstr[form]))
    assert stale == []
    # Nothing in the .mo that the .po no longer has: one catalog key per singular, one per plural form.
    expected_keys = sum(len(entry.msgstr) if entry.msgid_plural is not None else 1 for entry in entries)
    assert len([key for key in compiled._catalog if key != ""]) == expected_keys


def test_a_message_in_several_catalogs_is_translated_the_same_everywhere():
    # Django merges every catalog into one; with two translations the app order would pick one silently.
    seen: dict[tuple, tuple[str, list[str]]] = {}
    conflicts = []
    for po_path in PO_FILES:
        for entry in read_po(po_path):
            if entry.is_header:
                continue
            language = po_path.parent.parent.name
            key = (language, entry.msgctxt, entry.msgid, entry.msgid_plural)
            if key in seen and seen[key][1] != entry.msgstr:
                conflicts.append((entry.msgid, seen[key][0], _name(po_path)))
            seen.setdefault(key, (_name(po_path), entry.msgstr))
    assert conflicts == []


def test_every_policy_parameter_has_an_english_label_and_a_translated_unit():
    from carecircle.core.policy import specs

    with translation.override("en"):
        untranslated = [(key, spec.label, spec.unit_label) for key, spec in specs().items()
                        if not spec.label or CJK.search(spec.label) or CJK.search(spec.unit_label)]
    assert untranslated == []
    with translation.override("zh-hans"):
        spec = specs()["staff.certificate_expiry_warning_days"]
        assert spec.label == spec.label_zh and spec.unit_label == spec.unit == "天"


def test_every_policy_parameter_explanation_has_an_english_version():
    from carecircle.core.policy import specs

    # An empty Chinese explanation has an empty English one; every other one is translated.
    wrong = [key for key, spec in specs().items()
             if bool(spec.description) != bool(spec.description_en) or CJK.search(spec.description_en)]
    assert wrong == []
    spec = specs()["staff.certificate_expiry_warning_days"]
    with translation.override("en"):
        assert spec.description_text == spec.description_en
    with translation.override("zh-hans"):
        assert spec.description_text == spec.description


# --- the checker the tests above rely on -------------------------------------------------------


def _entry(text: str) -> Entry:
    header = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    entries = parse_po(header + text)
    assert len(entries) == 2
    return entries[1]


def test_the_po_reader_joins_continued_lines_unescapes_and_skips_obsolete_entries():
    entries = parse_po(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#: a.py\n#, python-format\nmsgctxt "section"\nmsgid ""\n"第 %(n)s "\n"行"\nmsgstr "Line \\"%(n)s\\"\\n"\n\n'
        'msgid "%(n)s 本"\nmsgid_plural "%(n)s 本"\nmsgstr[0] "%(n)s book"\nmsgstr[1] "%(n)s books"\n\n'
        '#~ msgid "旧"\n#~ msgstr "Old"\n'
    )
    assert [entry.msgid for entry in entries] == ["", "第 %(n)s 行", "%(n)s 本"]
    assert entries[0].msgstr == ["Language: en\n"]
    assert entries[1].msgctxt == "section" and entries[1].msgstr == ['Line "%(n)s"\n']
    assert entries[1].flags == {"python-format"} and entries[2].flags == set()
    assert entries[2].msgid_plural == "%(n)s 本" and entries[2].msgstr == ["%(n)s book", "%(n)s books"]


@pytest.mark.parametrize("text, problem", [
    ('msgid "登录"\nmsgstr ""\n', "untranslated"),
    ('#, fuzzy\nmsgid "登录"\nmsgstr "Sign in"\n', "fuzzy"),
    ('msgid "%(n)s 本"\nmsgid_plural "%(n)s 本"\nmsgstr[0] "%(n)s book"\nmsgstr[1] ""\n', "untranslated"),
    ('msgid "第 %(line)d 行"\nmsgstr "Line"\n', "placeholders ['%(line)d'] became []"),
    ('msgid "第 %(line)d 行"\nmsgstr "Line %(line)s"\n', "placeholders ['%(line)d'] became ['%(line)s']"),
    ('msgid "共 %(n)s 条"\nmsgstr "%(count)s records"\n', "placeholders ['%(n)s'] became ['%(count)s']"),
    ('msgid "%(n)s 本"\nmsgid_plural "%(n)s 本"\nmsgstr[0] "%(n)s book"\nmsgstr[1] "books"\n',
     "placeholders ['%(n)s'] became []"),
    ('msgid "登录"\nmsgstr "登录 Sign in"\n', "translation still contains Chinese"),
])
def test_the_checker_names_each_kind_of_problem(text, problem):
    assert problem in entry_problems(_entry(text))


def test_the_checker_accepts_a_complete_entry_and_a_fuzzy_header_is_a_problem():
    assert entry_problems(_entry('#, python-format\nmsgid "第 %(p)s / %(t)s 页"\nmsgstr "Page %(p)s of %(t)s"\n')) == []
    assert entry_problems(parse_po('#, fuzzy\nmsgid ""\nmsgstr "Language: en\\n"\n')[0]) == ["fuzzy"]


# --- pages in English ----------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a person reads or hears: element text, plus the attributes browsers show or speak."""
    SPOKEN_OR_SHOWN = {"placeholder", "title", "aria-label", "alt", "data-confirm"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._hidden += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if value and (name in self.SPOKEN_OR_SHOWN
                          or (name == "value" and tag == "input" and attributes.get("type") in {"submit", "button"})):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def entered_data() -> set[str]:
    """Every text people or imports put into the database: names, addresses, sources, audit trail."""
    from django.conf import settings
    from django.db import models

    from carecircle.accounts.models import User
    from carecircle.core.models import AuditEvent, PolicyParameter
    from carecircle.core.sensitive import mask_name
    from carecircle.elders.models import Elder, ElderAccountLink, ElderImport, ElderMerge, EmergencyContact
    from carecircle.providers.models import Certificate, Contract, Facility, Organisation, StaffMember
    from carecircle.regions.models import Region

    values: set[str] = {str(name) for _code, name in settings.LANGUAGES}  # each language named in itself
    for model in [Region, Organisation, Facility, StaffMember, Certificate, Contract, User, Elder, ElderAccountLink,
                  EmergencyContact, ElderMerge, ElderImport, PolicyParameter, AuditEvent]:
        text_fields = [field.name for field in model._meta.concrete_fields
                       if isinstance(field, (models.CharField, models.TextField, models.JSONField))]
        for row in model.objects.all():
            values.add(str(row))
            for name in text_fields:
                values |= _strings(getattr(row, name))
    values |= {mask_name(elder.name) for elder in Elder.objects.all()}
    return {value for value in values if CJK.search(value)}


def _strings(value) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(item) for item in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(_strings(item) for item in value)) if value else set()
    return set()


def chinese_left(html: str, allowed: set[str] = frozenset()) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = "\n".join(parser.parts)
    for value in sorted(entered_data() | set(allowed), key=len, reverse=True):
        text = text.replace(value, " ")
    return [text[max(match.start() - 20, 0):match.end() + 20].strip()
            for match in re.finditer(CJK.pattern + "+", text)]


@pytest.fixture
def world(district, users):
    """A provider with a facility, a contract and staff whose certificates expire in 1 and 10 days and one
    that has expired; policy values (one pending confirmation) — all written through the services."""
    from carecircle.core.services import policy_parameter_set
    from carecircle.elders.identity import make_id_number
    from carecircle.providers import services

    admin = users.district_admin
    today = timezone.localdate()
    policy_parameter_set(actor=admin, key="staff.certificate_expiry_warning_days", region=district.district,
                         value=60, effective_from=dt.date(2020, 1, 1), source="区民政局通知", confidence="official",
                         reason="年度更新")
    policy_parameter_set(actor=admin, key="staff.certificate_expiry_warning_days", region=district.street_b,
                         value=30, effective_from=dt.date(2020, 1, 1), source="街道回忆", confidence="recalled")
    facility = services.facility_create(actor=admin, organisation=district.provider, name="天平长者照护之家",
                                        kind="small_care_home", community=district.a1, lat="31.205000",
                                        lng="121.445000", beds=20, nursing_beds=10)
    services.contract_create(actor=admin, organisation=district.provider, region=district.street_a,
                             number="XH-2026-001", programme="长护险", starts_on=dt.date(2026, 1, 1),
                             ends_on=dt.date(2026, 12, 31))
    staff = []
    for sequence, (name, expires_in) in enumerate([("陈美华", 1), ("周立新", 10), ("吴小红", -3)], start=1):
        member = services.staff_create(actor=admin, organisation=district.provider, name=name, gender="F",
                                       id_number=make_id_number("310104", dt.date(1975, 3, 8), 10 * sequence, "F"),
                                       position="caregiver", phone="13912345678")
        services.certificate_add(actor=admin, staff=member, qualification="care_worker_4", number=f"C-{sequence}",
                                 issued_on=dt.date(2020, 1, 1), expires_on=today + dt.timedelta(days=expires_in))
        staff.append(member)
    return {"facility": facility, "staff": staff}


def test_the_login_page_in_english_has_no_chinese(client, db):
    response = client.get(reverse("accounts:login"), **ENGLISH)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en">' in body and "Sign in to Elderly Care Circle" in body
    assert chinese_left(body) == []


def test_a_failed_login_explains_itself_in_english(client, users):
    response = client.post(reverse("accounts:login"), {"username": "district_admin", "password": "wrong-password"},
                           **ENGLISH)
    body = response.content.decode()
    assert "The username or password is incorrect" in body
    assert chinese_left(body) == []


def test_chinese_stays_the_default_language(client, db):
    body = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="zh-hans">' in body and "登录养老服务圈" in body


def test_the_language_switch_keeps_english_for_the_next_pages(client, users):
    client.force_login(users.district_admin)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("workbench:home")).content.decode()
    assert "Workbench" in body and chinese_left(body) == []
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "工作台" in client.get(reverse("workbench:home")).content.decode()


@pytest.mark.parametrize("role", ["district_admin", "street_staff", "community_worker", "operator", "inspector",
                                  "provider_admin", "caregiver", "assessor", "elder", "family"])
def test_every_role_s_workbench_in_english_has_no_chinese(client, users, world, role):
    client.force_login(getattr(users, role))
    response = client.get(reverse("workbench:home"), **ENGLISH)
    assert response.status_code == 200
    assert chinese_left(response.content.decode()) == []


def _main_pages(district, world):
    staff = world["staff"][0]
    return [
        ("providers:list", [], {}), ("providers:list", [], {"q": "福寿", "kind": "home_care", "active": "1"}),
        ("providers:detail", [district.provider.pk], {}), ("providers:create", [], {}),
        ("providers:edit", [district.provider.pk], {}),
        ("providers:facility-list", [], {}), ("providers:facility-detail", [world["facility"].pk], {}),
        ("providers:facility-create", [district.provider.pk], {}),
        ("providers:contract-create", [district.provider.pk], {}),
        ("providers:service-area-add", [district.provider.pk], {}),
        ("providers:staff-list", [], {}), ("providers:staff-list", [], {"certificate": "expiring"}),
        ("providers:staff-detail", [staff.pk], {}), ("providers:staff-create", [district.provider.pk], {}),
        ("providers:staff-reveal", [staff.pk], {}), ("providers:certificate-add", [staff.pk], {}),
        ("regions:list", [], {}), ("regions:detail", [district.street_a.pk], {}), ("regions:import", [], {}),
        ("core:policy-list", [], {}), ("core:policy-list", [], {"region": district.b1.code, "unconfirmed": "on"}),
        ("core:policy-create", [], {}), ("core:audit-list", [], {}),
    ]


def test_the_main_pages_in_english_have_no_chinese_interface_text(client, district, users, world):
    client.force_login(users.district_admin)
    leftovers = {}
    for name, args, query in _main_pages(district, world):
        response = client.get(reverse(name, args=args), query, **ENGLISH)
        assert response.status_code == 200, name
        found = chinese_left(response.content.decode())
        if found:
            leftovers[name] = found
    assert leftovers == {}


def test_the_policy_detail_page_in_english(client, district, users, world):
    from carecircle.core.policy import specs

    spec = specs()["staff.certificate_expiry_warning_days"]
    client.force_login(users.district_admin)
    body = client.get(reverse("core:policy-detail", args=[spec.key]), {"region": district.b1.code},
                      **ENGLISH).content.decode()
    assert spec.label_en in body and "Inherited from 枫林路街道" in body and "Pending confirmation" in body
    assert spec.description_en in body and spec.description not in body
    assert chinese_left(body) == []


def test_counted_messages_use_the_english_singular_and_plural(client, district, users, world):
    client.force_login(users.district_admin)
    body = client.get(reverse("providers:staff-detail", args=[world["staff"][0].pk]), **ENGLISH).content.decode()
    assert "Expires in 1 day<" in body
    body = client.get(reverse("providers:staff-detail", args=[world["staff"][1].pk]), **ENGLISH).content.decode()
    assert "Expires in 10 days<" in body

    def upload(rows):
        text = "code,name,kind,parent_code,centroid_lat,centroid_lng,boundary\n" + "".join(row + "\n" for row in rows)
        csv_file = SimpleUploadedFile("regions.csv", text.encode(), content_type="text/csv")
        return client.post(reverse("regions:import"), {"file": csv_file}, **ENGLISH).content.decode()

    one_error = upload(["310104099,New Street,street,999999,,,"])
    assert "Found 1 error;" in one_error and "unknown parent region code 999999" in one_error
    assert chinese_left(one_error) == []
    two_errors = upload(["31010409A,New Street,street,310104,,,", "31010409B,Other Street,street,310104,,,"])
    assert "Found 2 errors;" in two_errors and chinese_left(two_errors) == []


def test_a_rejected_form_explains_itself_in_english(client, district, users):
    client.force_login(users.district_admin)
    response = client.post(reverse("providers:create"), {
        "name": "Golden Years Home Care", "kind": "home_care", "credit_code": "91310104MA1FL0001Y",
        "region": district.district.pk, "address": "1 Example Road", "contact_name": "Lee",
        "contact_phone": "12345", "is_active": "on", "reason": "registration"}, **ENGLISH)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The check character of the unified social credit code is wrong" in body
    assert chinese_left(body) == []


def test_the_two_step_and_job_pages_in_english_have_no_chinese(client, district, users):
    from carecircle.core.models import Job

    admin = users.district_admin
    job = Job.objects.create(kind="elders.import", status="running", progress=3, total=10, created_by=admin,
                             region=district.district)
    client.force_login(admin)
    leftovers = {}
    for url in [reverse("accounts:otp-setup"), reverse("accounts:otp-verify"),
                reverse("core:job-detail", args=[job.pk])]:
        response = client.get(url, **ENGLISH)
        assert response.status_code == 200, url
        if found := chinese_left(response.content.decode()):
            leftovers[url] = found
    assert leftovers == {}
    body = client.get(reverse("core:job-detail", args=[job.pk]), **ENGLISH).content.decode()
    assert "Running" in body and "3 / 10" in body


def _locked_out_page(client, settings, **language) -> str:
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(reverse("accounts:login"), {"username": "street_a", "password": "wrong-password"},
                               **language)
    return response.content.decode()


def test_the_lockout_page_in_english(client, users, settings):
    body = _locked_out_page(client, settings, **ENGLISH)
    assert "Too many sign-in attempts" in body and "Please try again in 15 minutes," in body
    assert chinese_left(body) == []


@pytest.mark.parametrize("cooloff_hours, chinese, english", [
    (0.25, "请 15 分钟后再试", "try again in 15 minutes,"),
    (2, "请 120 分钟后再试", "try again in 120 minutes,"),
    (1 / 60, "请 1 分钟后再试", "try again in 1 minute,"),
])
def test_the_lockout_page_names_the_configured_cool_off(client, users, settings, cooloff_hours, chinese, english):
    settings.AXES_COOLOFF_TIME = cooloff_hours
    assert chinese in _locked_out_page(client, settings)
    assert english in _locked_out_page(client, settings, **ENGLISH)


def test_without_a_cool_off_the_lockout_page_sends_people_to_an_administrator(client, users, settings):
    settings.AXES_COOLOFF_TIME = None
    body = _locked_out_page(client, settings, **ENGLISH)
    assert "Please ask your administrator to unlock it." in body and "minute" not in body
    assert chinese_left(body) == []
    assert "请联系管理员解锁" in _locked_out_page(client, settings) and "分钟" not in _locked_out_page(client, settings)


def test_api_errors_follow_the_request_language(api_as, users):
    api = api_as(users.district_admin)
    english = api.get("/api/v1/policy-parameters/in-force/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400
    assert english.json()["key"] == ["Please provide the parameter key (key)"]
    chinese = api.get("/api/v1/policy-parameters/in-force/")
    assert chinese.json()["key"] == ["请提供参数键 key"]


# --- elder pages in English ----------------------------------------------------------------------


@pytest.fixture
def elder_records(district, users):
    """Elder A1 with an emergency contact who holds a key and a duplicate record merged into it; a moved-away elder
    (B1) — all written through the services."""
    from carecircle.conftest import make_elder
    from carecircle.elders import services

    admin = users.district_admin
    survivor = district.elders.a1
    services.emergency_contact_add(actor=admin, elder=survivor, data={
        "name": "张伟", "relation": "儿子", "phone": "13912345678", "holds_key": True, "priority": 1})
    duplicate = make_elder(district.a1, name="张三明", address="天平路 8 号")
    services.elder_merge(actor=admin, survivor=survivor, duplicate=duplicate, reason="身份证号录错后重复建档")
    services.elder_change_status(actor=admin, elder=district.elders.b1, status="moved_out", on=dt.date(2026, 3, 1),
                                 reason="户籍注销证明")
    return SimpleNamespace(survivor=survivor, duplicate=duplicate, moved=district.elders.b1, other=district.elders.a2)


def _english_leftovers(client, pages, allowed: set[str] = frozenset()) -> dict:
    leftovers = {}
    for name, args, query in pages:
        response = client.get(reverse(name, args=args), query, **ENGLISH)
        assert response.status_code == 200, (name, args, query)
        if found := chinese_left(response.content.decode(), allowed):
            leftovers[(name, tuple(args), tuple(query))] = found
    return leftovers


def test_the_elder_pages_in_english_have_no_chinese_interface_text(client, district, users, elder_records):
    client.force_login(users.district_admin)
    survivor, duplicate = elder_records.survivor, elder_records.duplicate
    pages = [
        ("elders:list", [], {}),
        ("elders:list", [], {"q": "zsm", "household_type": "alone", "economic_category": "general", "status": "all"}),
        ("elders:list", [], {"q": "nobody-has-this-name"}),
        ("elders:detail", [survivor.pk], {}), ("elders:detail", [duplicate.pk], {}),
        ("elders:detail", [elder_records.moved.pk], {}),
        ("elders:create", [], {}), ("elders:edit", [survivor.pk], {}),
        ("elders:contact-add", [survivor.pk], {}),
        ("elders:merge", [elder_records.other.pk], {}),
        ("elders:merge", [elder_records.other.pk], {"other": survivor.pk}),
        ("elders:import", [], {}),
    ]
    # The import template's sample person keeps a Chinese name and a Shanghai address, like any elder's data.
    from carecircle.elders.importing import COLUMNS

    sample_person = {str(column.example) for column in COLUMNS if column.field in {"name", "address"}}
    assert _english_leftovers(client, pages, sample_person) == {}


def test_the_elder_detail_in_english_counts_years_and_names_the_merge(client, users, elder_records):
    client.force_login(users.district_admin)
    body = client.get(reverse("elders:detail", args=[elder_records.survivor.pk]), **ENGLISH).content.decode()
    assert re.search(r"\(\d+ years old\)", body) and "Holds a key" in body and "Merge history" in body
    assert "张伟 (儿子)" not in body and "张伟" in body  # the contact table lists name and relationship apart
    body = client.get(reverse("elders:detail", args=[elder_records.duplicate.pk]), **ENGLISH).content.decode()
    assert "This record is a duplicate and has been merged into: " in body
    assert f"张三明 ({elder_records.survivor.pk})" in body
    body = client.get(reverse("elders:detail", args=[elder_records.moved.pk]), **ENGLISH).content.decode()
    assert "Moved away (2026-03-01)" in body


def test_the_elder_s_and_the_family_s_own_pages_in_english(client, district, users, elder_records):
    leftovers = {}
    for role, elder in [("elder", district.elders.a1), ("family", district.elders.a2)]:
        client.force_login(getattr(users, role))
        leftovers |= _english_leftovers(client, [("workbench:home", [], {}), ("elders:list", [], {}),
                                                 ("elders:detail", [elder.pk], {})])
    assert leftovers == {}
    client.force_login(users.elder)
    body = client.get(reverse("elders:detail", args=[district.elders.a1.pk]), **ENGLISH).content.decode()
    assert re.search(r"Age: \d+ years<", body) and "张伟 (儿子) · has a key" in body
    assert "Community: 天平社区" in body


def _import_file(rows: list[str]) -> SimpleUploadedFile:
    header = "name,id_number,gender,community,address,household_type,economic_category,registration\n"
    return SimpleUploadedFile("elders.csv", (header + "".join(row + "\n" for row in rows)).encode(),
                              content_type="text/csv")


def test_the_import_preview_with_errors_in_english(client, district, users):
    from carecircle.elders.identity import make_id_number

    fresh = make_id_number("310104", dt.date(1941, 7, 1), 801, "M")
    existing = district.elders.a2.id_number
    client.force_login(users.district_admin)
    response = client.post(reverse("elders:import"), {"file": _import_file([
        f"王国强,{fresh},男,310104003001,天平路 3 号,独居,一般,本地户籍",
        f"王国强,{fresh},Male,310104003001,天平路 3 号,Living alone,General,Local household registration",
        f"李秀英,{existing},F,310104003002,永嘉路 5 号,elderly_only,,",
        "赵德明,310104194107010000,X,999999999999,,alone,rich,",
    ])}, **ENGLISH)
    assert response.status_code == 302
    body = client.get(response["Location"], **ENGLISH).content.decode()
    for expected in ["[ID number] The same as on line 2", "[ID number] Already on record: ",
                     "[Sex] Sex “X” is not valid; choose from: Male, Female",
                     "[Community code] The community code “999999999999” does not exist",
                     "Economic category “rich” is not valid; choose from: Extreme poverty, Minimum living allowance, "
                     "Near-poverty, Low income, General"]:
        assert expected in body
    assert chinese_left(body) == []
    # Line 2, in Chinese labels, has no error of its own: only line 3 repeats it.
    assert body.count("[Sex]") == 1


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_import_row_is_read_the_same_in_either_language(district, users, language):
    # A file is checked in the uploader's language and applied again by a worker in the default language.
    from carecircle.elders.identity import make_id_number
    from carecircle.elders.services import elder_clean

    base = {"name": "王国强", "id_number": make_id_number("310104", dt.date(1941, 7, 1), 802, "M"),
            "community": "310104003001", "address": "天平路 3 号"}
    with translation.override(language):
        chinese = elder_clean(actor=users.district_admin, data={
            **base, "gender": "男", "household_type": "纯老家庭", "economic_category": "低保边缘",
            "registration": "常住外地户籍"})
        english = elder_clean(actor=users.district_admin, data={
            **base, "gender": "Male", "household_type": "Elderly-only household", "economic_category": "Near-poverty",
            "registration": "Resident registered elsewhere"})
        with pytest.raises(ValidationError) as refused:
            elder_clean(actor=users.district_admin, data={**base, "household_type": "Living Alone"})
    expected = {"gender": "M", "household_type": "elderly_only", "economic_category": "near_poverty",
                "registration": "resident"}
    assert {key: chinese[key] for key in expected} == expected == {key: english[key] for key in expected}
    assert "household_type" in refused.value.message_dict


def test_the_import_template_in_english_gives_english_choices(client, users):
    client.force_login(users.district_admin)
    text = client.get(reverse("elders:import-template", args=["csv"]), **ENGLISH).content.decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["Sex"] == "Male" and row["Living arrangement"] == "Living alone" and row["Economic category"] == "General"
    assert row["Chronic conditions"] == "hypertension, diabetes"
    chinese = client.get(reverse("elders:import-template", args=["csv"])).content.decode("utf-8-sig")
    assert next(csv.DictReader(io.StringIO(chinese)))["性别"] == "男"
