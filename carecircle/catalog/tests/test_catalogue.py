"""The shipped catalogue: the 42 Shanghai LTCI items, the GB/T 43153-2023 categories and the six kinds of help,
the 4+1+X packages; the seed is idempotent, audited and refuses bad data."""
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from carecircle.catalog.models import HelpKind, PackageItem, ServiceItem, ServicePackage
from carecircle.catalog.services import CATALOGUE_FILE, catalogue_seed
from carecircle.core.models import AuditEvent
from carecircle.core.policy import seed_values


def _policy_list(key):
    return next(row["value"] for row in seed_values() if row["key"] == key)


def test_42_ltci_items_match_the_policy_catalogue(catalogue):
    basic = ServiceItem.objects.filter(code__regex=r"^ltci-b\d\d$").order_by("code")
    clinical = ServiceItem.objects.filter(code__regex=r"^ltci-c\d\d$").order_by("code")
    assert [i.name for i in basic] == _policy_list("ltci.catalogue.basic_care")
    assert [i.name for i in clinical] == _policy_list("ltci.catalogue.clinical_care")
    assert basic.count() + clinical.count() == 42
    assert catalogue["ltci-b01"].name == "头面部清洁、梳理"


def test_clinical_items_need_a_registered_nurse_basic_items_anyone(catalogue):
    assert set(ServiceItem.objects.filter(category="ltci_clinical").values_list("required_qualification",
                                                                               flat=True)) == {"registered_nurse"}
    assert set(ServiceItem.objects.filter(code__startswith="ltci-b").values_list("required_qualification",
                                                                                flat=True)) == {""}


def test_six_kinds_of_help_and_units(catalogue):
    kinds = set(ServiceItem.objects.exclude(help_kind="").values_list("help_kind", flat=True))
    assert kinds == set(HelpKind.values)
    assert catalogue["gb-meal"].unit == "meal"
    assert catalogue["gb-cleaning"].unit == "hour"
    assert catalogue["gb-bathing"].unit == "visit"
    assert "ltci" in catalogue["ltci-b06"].programme_tags


def test_wuhan_packages_bundle_items(catalogue):
    groups = set(ServicePackage.objects.values_list("group", flat=True))
    assert {"4", "1", "X"} <= groups
    assert ServicePackage.objects.filter(group="4").count() == 4
    meals = ServicePackage.objects.get(code="pkg-meals-emergency")
    assert {(line.item.code, line.quantity) for line in meals.lines.all()} == {("gb-meal", 20), ("gb-emergency", 1)}


def test_seed_is_idempotent_and_keeps_a_district_switch_off(catalogue):
    item = ServiceItem.objects.get(code="gb-adapt-special")
    item.is_active = False
    item.save()
    events = AuditEvent.objects.count()
    report = catalogue_seed()
    assert (report.items_added, report.items_updated, report.packages_added, report.packages_updated) == (0, 0, 0, 0)
    assert AuditEvent.objects.count() == events
    assert not ServiceItem.objects.get(code="gb-adapt-special").is_active


def test_seed_updates_changed_items_and_audits(catalogue):
    data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    data["items"][0]["standard_minutes"] = 25
    data["packages"][0]["lines"] = [{"item": "gb-cleaning", "quantity": 6}]
    report = catalogue_seed(data=data)
    assert (report.items_updated, report.packages_updated) == (1, 1)
    assert ServiceItem.objects.get(code=data["items"][0]["code"]).standard_minutes == 25
    assert AuditEvent.objects.filter(action="catalog.package_update").exists()
    assert PackageItem.objects.get(package__code=data["packages"][0]["code"]).quantity == 6


def test_bad_seed_data_is_refused_whole(db):
    data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    data["items"][3]["unit"] = "bucket"
    data["packages"][0]["lines"].append({"item": "no-such-item", "quantity": 1})
    before = ServiceItem.objects.count()
    with pytest.raises(ValidationError) as error:
        catalogue_seed(data=data)
    text = " ".join(error.value.messages)
    assert "bucket" in text and "no-such-item" in text
    assert ServiceItem.objects.count() == before


def test_seed_catalog_command(db):
    call_command("seed_catalog")
    assert ServiceItem.objects.count() == len(json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))["items"])
