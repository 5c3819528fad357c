"""Apps plug themselves in: what the registry collects from every app's plugin.py."""
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps

from carecircle.core import audit
from carecircle.core.models import AuditEvent
from carecircle.core.plugins import AppPlugin, NavItem, PluginError, Registry, UndeclaredAuditAction, registry
from carecircle.core.roles import CAPABILITIES, Role

FROZEN_CAPABILITIES = Path(__file__).parent / "data" / "capabilities_frozen.json"

# The apps of the platform when the menu and the capability table were one central list each: their entries
# stay exactly as they were then (apps added later add their own around them).
FIRST_APPS = {"core", "regions", "accounts", "workbench", "elders", "providers", "intake", "catalog", "assessment",
              "careplans", "workorders", "dispatch", "demo"}
# The menu as it stood when it was one central list: same entries, same order.
MENU = [
    ("workbench:home", None), ("elders:list", "elders.view"), ("intake:queue", "intake.queue"),
    ("intake:portal", "intake.apply"), ("providers:list", "providers.view"), ("providers:staff-list", "providers.view"),
    ("catalog:list", "catalog.view"), ("careplans:plan-list", "careplans.list"), ("careplans:inbox", "orders.answer"),
    ("careplans:order-list", "orders.list"), ("workorders:list", "workorders.view"),
    ("careplans:portal", "careplans.portal"), ("dispatch:board", "dispatch.view"),
    ("dispatch:my-day", "dispatch.my_day"), ("assessment:list", "assessment.view"), ("regions:list", "regions.view"),
    ("core:policy-list", "policy.view"), ("core:audit-list", "audit.view"),
]


def _project_apps():
    return [config for config in apps.get_app_configs() if config.name.startswith("carecircle.")]


def test_the_collected_capabilities_are_exactly_the_frozen_table():
    frozen = json.loads(FROZEN_CAPABILITIES.read_text(encoding="utf-8"))
    collected: dict[str, set] = {str(role): set() for role in CAPABILITIES}
    for label, (_module, plugin) in registry.plugins.items():
        if label in FIRST_APPS:
            for role, capabilities in plugin.capabilities.items():
                collected[str(role)].update(capabilities)
    assert {role: sorted(caps) for role, caps in collected.items()} == frozen
    # Apps added since bring their own capabilities on top; none takes one of the first apps' away.
    for role, capabilities in frozen.items():
        assert set(capabilities) <= CAPABILITIES[role], role


def test_the_menu_of_the_platform_apps_keeps_its_entries_and_order():
    first = {(item.url_name, item.capability) for label, (_module, plugin) in registry.plugins.items()
             if label in FIRST_APPS for item in plugin.navigation}
    menu = [(item.url_name, item.capability) for item in registry.navigation()]
    assert [entry for entry in menu if entry in first] == MENU


def test_record_refuses_an_action_no_app_declares(district, users):
    with pytest.raises(UndeclaredAuditAction, match="elders.shred"):
        audit.record(actor=users.district_admin, action="elders.shred", subject=district.elders.a1)
    assert not AuditEvent.objects.exists()


def test_every_action_recorded_in_the_code_is_declared():
    """Literal action names in every service: each one is declared by some app (a renamed or new name that
    nobody declared would only fail when its service runs)."""
    import re

    package = Path(apps.get_app_config("core").path).parent
    literal = re.compile(r"""\baction=(?:AuditAction\.\w+|"([a-z0-9_.]+)")""")
    undeclared = set()
    for path in package.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "audit.record" not in text and "record(" not in text:
            continue
        for match in literal.finditer(text):
            name = match.group(1)
            if name and "." in name and name not in registry.audit_actions:
                undeclared.add(f"{path.relative_to(package)}: {name}")
    assert not undeclared, "\n".join(sorted(undeclared))


def _config(label, name):
    return SimpleNamespace(label=label, name=name)


def test_two_apps_cannot_claim_one_action_name(monkeypatch):
    import carecircle.core.plugins as plugins

    declared = {"one.plugin": AppPlugin(audit_actions=["elders.create"]),
                "two.plugin": AppPlugin(audit_actions=["elders.create"])}
    monkeypatch.setattr(plugins.importlib.util, "find_spec", lambda name: name in declared or None)
    monkeypatch.setattr(plugins.importlib, "import_module", lambda name: SimpleNamespace(plugin=declared[name]))
    saved = {role: set(caps) for role, caps in CAPABILITIES.items()}
    try:
        with pytest.raises(PluginError, match="declared by both"):
            Registry().collect([_config("one", "one"), _config("two", "two")])
    finally:
        CAPABILITIES.update(saved)


@pytest.mark.parametrize("declared, message", [
    ({"one.plugin": AppPlugin(audit_actions=["elders.order.create"])}, "does not follow"),
    ({"one.plugin": AppPlugin(audit_actions=["Elders.create"])}, "does not follow"),
    ({"one.plugin": AppPlugin(capabilities={"janitor": {"elders.view"}})}, "unknown role"),
    ({"one.plugin": AppPlugin(navigation=[NavItem(1, "a", "a:b")]),
      "two.plugin": AppPlugin(navigation=[NavItem(1, "b", "b:c")])}, "share one `order`"),
    ({"one.plugin": AppPlugin(audit_actions=["shared.one_create"]),
      "two.plugin": AppPlugin(audit_actions=["shared.two_create"])}, "used by both"),
    ({"one.plugin": SimpleNamespace()}, "must define"),
])
def test_contradicting_declarations_are_refused_at_start_up(monkeypatch, declared, message):
    import carecircle.core.plugins as plugins

    monkeypatch.setattr(plugins.importlib.util, "find_spec", lambda name: name in declared or None)
    monkeypatch.setattr(plugins.importlib, "import_module",
                        lambda name: SimpleNamespace(plugin=declared[name]))
    saved = {role: set(caps) for role, caps in CAPABILITIES.items()}
    try:
        with pytest.raises(PluginError, match=message):
            Registry().collect([_config("one", "one"), _config("two", "two")])
    finally:
        CAPABILITIES.update(saved)


def test_the_kernel_reaches_the_region_tree_through_what_the_regions_app_declares(district, users):
    from carecircle.core.region_tree import region_model, regions_in_scope, scope_root

    assert region_model()._meta.label_lower == "regions.region"
    assert scope_root(users.street_staff) == users.street_staff.scope_region
    codes = set(regions_in_scope(user=users.street_staff).values_list("code", flat=True))
    assert users.street_staff.scope_region.code in codes and district.street_b.code not in codes
    assert sum(plugin.region_tree is not None for plugin in registry) == 1
    assert Role.DISTRICT_ADMIN in CAPABILITIES
