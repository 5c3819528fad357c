"""Every URL the project serves, walked by every role: what each may see, and what it may not.

The routes come from the resolver (pages, DRF routers, admin), never from a hand-written list, so an
endpoint is covered the day it is added. For each route and each role of DESIGN.md §1 the matrix
proves:

* anonymous visitors are sent to the login page (pages) or refused with 401/403 (API), except the few
  PUBLIC_ROUTES;
* a role without the view's capability is refused with 403;
* a route with an object in its URL answers 200 for an object inside the role's scope and 404 (or 403)
  for one outside it — the objects are picked with `visible_to`, the same mechanism the views use;
* no response a role can read contains the name of an elder outside that role's scope, and none read by a role
  without `elders.reveal` lets it rebuild an ID number (the whole number, or area code and full birth date);
* writes (POST/PATCH/PUT/DELETE) are refused with 403 without the change capability and 404 outside the
  scope; every write is rolled back so the next role sees the same world;
* an API write whose body names another scope's object (another street's elder, another provider's caregiver or
  organisation) is refused (400 about that field, 403 or 404) with nothing written; the apps teach complete
  bodies in WRITE_BODIES of their tests/matrix.py.

When the matrix cannot tell how to call a route — a URL parameter it does not know, a model it cannot
find, a model it has no rows of — the test FAILS and says what to teach it here (PARAM_VALUES,
PUBLIC_ROUTES here; MAKERS and URL_OBJECTS in the app's own tests/matrix.py). Nothing is skipped silently.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import importlib.util
import json
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from rest_framework.views import APIView

from carecircle.conftest import make_elder, make_region, square
from carecircle.core.api import ScopedViewSetMixin
from carecircle.core.isolation import scoping_of, visible_to
from carecircle.core.roles import Role, has_capability
from carecircle.core.views import CapabilityRequiredMixin, ScopedQuerysetMixin

# Routes anyone may open without signing in. Keep this list short: every entry is a public door.
PUBLIC_ROUTES = {
    "accounts:login",
    "accounts:logout",
    "set_language",
    "javascript-catalog",
    "api-token",
    "api-schema",
    "api-docs",
    "admin:login",
    "admin:logout",
    "intake:public-streets",
    "intake:public-board",
    "planning:public-map",
    "planning:guide",
    "planning:guide-pdf",
}

# Values for URL parameters that are not object keys. Teach a new scalar parameter here.
def _first_policy_key() -> str:
    from carecircle.core.policy import SPEC_FILE

    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))["specs"][0]["key"]


PARAM_VALUES = {
    "format": "json",  # DRF format suffixes
    "fmt": "csv",  # elders:import-template
    "key": _first_policy_key,  # a policy parameter's key (core:policy-detail)
    "notice_kind": "acceptance",  # intake:notice-document (the intake maker records an acceptance)
    "street_code": "310104003",  # intake:public-board (street A)
    "instrument": "gbt42195_2022",  # an assessment instrument's code (instrument-detail, instrument-score)
    "step": "1",  # a step of the assessor's form (assessment:step)
    "month": "2026-11",  # a month of bills (billing:bill, billing:bill-pdf; the billing maker writes November)
    "z": "0", "x": "0", "y": "0", "ext": "png",  # a base-map tile (core:tile)
}

# Query strings for routes that answer 400 without them (filters that are required, not optional).
QUERY_STRINGS = {
    "api-policy-parameter-in-force": lambda world: f"?key={_first_policy_key()}&region={world.district.district.code}",
    "planning-coverage-list": lambda world: "?radius_m=1000",
    "planning:coverage-export": lambda world: "?radius_m=1000",
}


SAFE_METHODS = {"get", "head", "options"}
WRITE_METHODS = ("post", "put", "patch", "delete")
REFUSED = {403, 404}
_GROUP_START = re.compile(r"\(\?P<(\w+)>")
_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


# --------------------------------------------------------------------------------------------------
# Routes


@dataclass
class Route:
    pieces: tuple  # the URLPattern/URLResolver patterns from the root down to this route
    namespace: tuple[str, ...]
    pattern: object  # the URLPattern

    @property
    def callback(self):
        return self.pattern.callback

    @property
    def name(self) -> str | None:
        if not self.pattern.name:
            return None
        return ":".join((*self.namespace, self.pattern.name))

    @property
    def text(self) -> str:
        return "".join(str(piece) for piece in self.pieces)

    @property
    def label(self) -> str:
        suffix = "+format" if "format" in self.params else ""
        return (self.name or self.text) + suffix

    @property
    def params(self) -> list[str]:
        names = []
        for piece in self.pieces:
            names += [n for n in piece.regex.groupindex if n not in names]
        return names

    @property
    def drf_class(self):
        cls = getattr(self.callback, "cls", None)
        return cls if isinstance(cls, type) and issubclass(cls, APIView) else None

    @property
    def view_class(self):
        return self.drf_class or getattr(self.callback, "view_class", None)

    @property
    def initkwargs(self) -> dict:
        return getattr(self.callback, "initkwargs", None) or {}

    @property
    def is_admin(self) -> bool:
        return self.namespace[:1] == ("admin",)

    @property
    def is_api(self) -> bool:
        return self.text.lstrip("^").startswith("api/")

    @property
    def is_public(self) -> bool:
        return self.name in PUBLIC_ROUTES

    def methods(self) -> list[str]:
        """The HTTP methods this route answers, as declared by its view."""
        actions = getattr(self.callback, "actions", None)
        cls = self.view_class
        if actions:
            return [m for m in actions if m not in {"head", "options"} and m in cls.http_method_names]
        if cls is None:
            return ["get"]  # a function view: its methods are found by asking (see Walk.page_methods)
        allowed = getattr(cls, "http_method_names", [])
        return [m for m in ("get", *WRITE_METHODS) if m in allowed and hasattr(cls, m)]


def _walk(patterns, pieces=(), namespace=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, (*pieces, entry.pattern), inner)
        else:
            yield Route((*pieces, entry.pattern), namespace, entry)


def all_routes() -> list[Route]:
    return sorted(_walk(get_resolver().url_patterns), key=lambda r: (r.label, r.text))


ROUTES = all_routes()


def _fill_regex(text: str, values: dict[str, str]) -> str:
    """Replace each named group of a regex route by its value; what stays must be a literal path."""
    out, i = [], 0
    while i < len(text):
        match = _GROUP_START.match(text, i)
        if match:
            depth, j = 1, match.end()
            while depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0) if text[j - 1] != "\\" else 0
                j += 1
            out.append(values[match.group(1)])
            i = j
        else:
            out.append(text[i])
            i += 1
    literal = "".join(out).lstrip("^").rstrip("$").replace("/?", "/").replace("\\.", ".")
    return literal


def build_url(route: Route, values: dict[str, str]) -> str:
    parts = []
    for piece in route.pieces:
        text = str(piece)
        if type(piece).__name__ == "RegexPattern":
            parts.append(_fill_regex(text, values))
        else:
            parts.append(_ROUTE_PARAM.sub(lambda m: str(values[m.group(1)]), text))
    url = "/" + "".join(parts)
    try:
        match = resolve(url)
    except Resolver404:
        match = None
    if match is None or match.func is not route.callback:
        pytest.fail(f"the access matrix built {url!r} for route {route.text!r} but it does not resolve back to "
                    f"that route: teach tests/test_access_matrix.py (build_url / PARAM_VALUES) how to call it")
    return url


def _admin_value(route: Route, name: str) -> str:
    # The admin refuses non-staff before it looks at any parameter; a value of the right shape is enough.
    for piece in route.pieces:
        group = re.search(rf"\(\?P<{name}>([\w|]+)\)", str(piece))
        if group:
            return group.group(1).split("|")[0]
    return "1"


# --------------------------------------------------------------------------------------------------
# The world every route is walked in: the shared district, a neighbouring district, rows of each model.






























# Every app teaches the matrix about its own objects in `<app>/tests/matrix.py`: MAKERS (model label → a
# function of the world that creates rows in street A, street B and the neighbouring district, and in the
# organisations of each) and URL_OBJECTS (route name → which model each URL key stands for, for views that
# load their object themselves without declaring `model`, `queryset` or `parent_model`). A route over a model
# that has no rows inside and outside some role's scope fails and asks for a maker there.
def _collect_app_teaching():
    makers, url_objects, write_bodies = {}, {}, {}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.tests.matrix"
        try:
            spec = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:  # the app has no tests package (or a tests module, as Django's own apps)
            spec = None
        if spec is None:
            continue
        module = importlib.import_module(module_name)
        makers.update(getattr(module, "MAKERS", {}))
        url_objects.update(getattr(module, "URL_OBJECTS", {}))
        write_bodies.update(getattr(module, "WRITE_BODIES", {}))
    return makers, url_objects, write_bodies


# WRITE_BODIES (route name → a function of the world and the user that returns a body the user could send
# successfully, with objects inside their scope) lets the cross-scope write test below reach the service for
# writes whose scope is checked after the body is valid.
MAKERS, URL_OBJECTS, WRITE_BODIES = _collect_app_teaching()


@pytest.fixture
def world(district, users):
    """The shared district plus a neighbouring district, so district-wide roles also have an outside."""
    from carecircle.accounts.models import User
    from carecircle.providers.models import Organisation, ServiceArea

    other = make_region("310105", "长宁区", "district", district.city, 31.22, 121.42, square(31.22, 121.42, 0.05))
    other_street = make_region("310105001", "华阳路街道", "street", other, 31.22, 121.42, square(31.22, 121.42, 0.02))
    other_community = make_region("310105001001", "华阳社区", "community", other_street, 31.221, 121.421,
                                  square(31.221, 121.421, 0.004))
    other_provider = Organisation.objects.create(name="长宁乐龄服务社", kind="home_care",
                                                 credit_code="91310105MA1FL0009X", region=other)
    ServiceArea.objects.create(organisation=other_provider, community=other_community)
    other_elder = make_elder(other_community, name="诸葛丁四", birth=dt.date(1938, 3, 3))
    # Names no page prints by accident (an example row, a placeholder), so a name in a body is a leak.
    for elder, name in ((district.elders.a1, "欧阳甲一"), (district.elders.a2, "司马乙二"),
                        (district.elders.b1, "上官丙三")):
        elder.name = name
        elder.save()
    # A contracted third-party agency's inspector: region-scoped by role, narrowed to what the agency is assigned.
    users.agency_inspector = User.objects.create_user(username="agency_inspector", password="Test-pass-2026",
                                                      role=Role.INSPECTOR, scope_region=district.district,
                                                      organisation=district.agency, display_name="agency_inspector")
    superuser = User.objects.create_superuser(username="matrix_root", password="Test-pass-2026", email="",
                                              role=Role.DISTRICT_ADMIN, scope_region=district.district)
    result = SimpleNamespace(
        district=district, users=users, superuser=superuser, made=set(),
        district_elders=(district.elders.a1, district.elders.a2, district.elders.b1),
        outside=SimpleNamespace(district=other, street=other_street, community=other_community,
                                provider=other_provider, elder=other_elder),
    )
    return result


def _birth_date_forms(day: dt.date) -> tuple[str, ...]:
    return (day.isoformat(), day.strftime("%Y%m%d"), day.strftime("%Y/%m/%d"), f"{day.year}年{day.month}月{day.day}日",
            day.strftime("%Y年%m月%d日"), day.strftime("%Y.%m.%d"))


def id_number_leaks(world) -> list[tuple[str, object]]:
    """Every ID number held in the database (each model's `id_number`: elders, staff), with a test of a body
    that lets a reader rebuild it: the whole number (either case of a final X), its first 14 characters, or its
    6-digit area code together with its full birth date in any usual form. Mask and age stay allowed."""
    cached = getattr(world, "id_number_leaks", None)
    if cached is not None:
        return cached
    numbers = set()
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        if "id_number" in names:
            numbers |= {n for n in model._default_manager.values_list("id_number", flat=True) if n}
    leaks = []
    for number in sorted(numbers):
        area, birth = number[:6], dt.datetime.strptime(number[6:14], "%Y%m%d").date()
        forms = _birth_date_forms(birth)

        def shown(body, number=number, area=area, forms=forms):
            if number.upper() in body or number.lower() in body or number[:14] in body:
                return True
            return area in body and any(form in body for form in forms)

        leaks.append((f"{number[:6]}…{number[-4:]}", shown))
    world.id_number_leaks = leaks
    return leaks


def ensure_rows(world, model) -> None:
    label = model._meta.label_lower
    maker = MAKERS.get(label)
    if maker is not None and maker not in world.made:
        world.made.add(maker)
        maker(world)
        world.id_number_leaks = None  # a maker may add people with ID numbers


def role_users(world) -> dict[str, object]:
    return dict(vars(world.users))


# --------------------------------------------------------------------------------------------------
# What a view shows


def _drf_view(route: Route, user, method="get"):
    cls = route.drf_class
    view = cls(**route.initkwargs)
    view.action_map = getattr(route.callback, "actions", None) or {}
    request = view.initialize_request(RequestFactory().generic(method.upper(), "/"))
    request.user = user
    view.request, view.args, view.kwargs, view.format_kwarg = request, (), {}, None
    actions = getattr(route.callback, "actions", None) or {}
    view.action = actions.get(method)
    return view


def _page_view(route: Route, user):
    request = RequestFactory().get("/")
    request.user = user
    view = route.view_class(**route.initkwargs)
    view.setup(request)
    return view


def base_queryset(route: Route, world):
    """The rows the view works on before scoping, or None when the view has no model."""
    cls = route.view_class
    if cls is None:
        return None
    if route.drf_class is not None:
        for attr in ("base_queryset", "queryset"):
            queryset = getattr(cls, attr, None)
            if queryset is not None:
                return queryset.all()
        if not hasattr(cls, "get_queryset"):
            return None
        with contextlib.suppress(AssertionError, ImproperlyConfigured):
            return _drf_view(route, world.superuser).get_queryset()
        return None
    if issubclass(cls, ScopedQuerysetMixin):
        with contextlib.suppress(AttributeError, ImproperlyConfigured):
            return _page_view(route, world.superuser).get_base_queryset()
        return None
    if getattr(cls, "queryset", None) is not None:
        return cls.queryset.all()
    for attr in ("model", "parent_model"):
        if getattr(cls, attr, None) is not None:
            return getattr(cls, attr)._default_manager.all()
    if hasattr(cls, "get_queryset"):
        with contextlib.suppress(AttributeError, ImproperlyConfigured):
            return _page_view(route, world.superuser).get_queryset()
    return None


def capability_of(route: Route, method: str, world) -> tuple[bool, str | None]:
    """(declared, capability): whether the view declares a capability for this method, and which."""
    cls = route.view_class
    if route.drf_class is not None and issubclass(cls, ScopedViewSetMixin):
        # An action may choose its capability in get_permissions (e.g. reveal guarded by its own check).
        view = _drf_view(route, world.superuser, method)
        view.get_permissions()
        return True, view.view_capability if method in SAFE_METHODS else view.change_capability
    if cls is not None and issubclass(cls, CapabilityRequiredMixin):
        return True, cls.capability
    return False, None


def lookup_params(route: Route) -> dict[str, str]:
    """URL parameter → attribute of the object that fills it."""
    cls = route.view_class
    if route.drf_class is not None:
        field_name = getattr(cls, "lookup_field", "pk")
        return {getattr(cls, "lookup_url_kwarg", None) or field_name: field_name}
    if cls is not None:
        return {getattr(cls, "pk_url_kwarg", "pk"): "pk",
                getattr(cls, "slug_url_kwarg", "slug"): getattr(cls, "slug_field", "slug")}
    return {}


def _teach(route: Route, what: str):
    pytest.fail(
        f"route {route.text!r} ({route.label}): {what}. Teach tests/test_access_matrix.py: a scalar parameter goes "
        "in PARAM_VALUES; an object key needs a view that declares its model (model, queryset, base_queryset or "
        "parent_model, with lookup_field/pk_url_kwarg) or an entry in URL_OBJECTS of the app's tests/matrix.py; a parent key is named "
        "<field>_pk where the object has <field>_id."
    )


@dataclass
class ObjectKeys:
    """How a route's URL names an object: the rows it is drawn from and, per URL parameter, the
    attribute of that object that fills it (its key, or the key of its parent)."""

    queryset: object
    attrs: dict[str, str]


def _fk_attname(model, target) -> str | None:
    for model_field in model._meta.concrete_fields:
        if model_field.is_relation and model_field.related_model is target:
            return model_field.attname
    return None


def object_keys(route: Route, world) -> ObjectKeys | None:
    params = object_params(route)
    if not params or route.is_admin:
        return None
    taught = URL_OBJECTS.get(route.name)
    if taught:
        models = {param: apps.get_model(label) for param, label in taught.items()}
        # The object the route acts on is the one that points at every other object in its URL.
        primary = next((p for p, m in models.items()
                        if all(_fk_attname(m, other) for q, other in models.items() if q != p)), None)
        if primary is None:
            _teach(route, f"URL_OBJECTS names {taught} but no one of them refers to all the others")
        attrs = {primary: "pk"} | {p: _fk_attname(models[primary], m) for p, m in models.items() if p != primary}
        queryset = models[primary]._default_manager.all()
    else:
        queryset = base_queryset(route, world)
        if queryset is None:
            _teach(route, f"it takes {params} but the matrix cannot find the model behind its view")
        lookups = lookup_params(route)
        attrs = {p: lookups[p] for p in params if p in lookups}
        if not attrs:
            _teach(route, f"none of {params} is the lookup key of its view over {queryset.model.__name__}")
    for param in params:
        if param in attrs:
            continue
        parent = re.fullmatch(r"(\w+)_(?:pk|id)", param)
        names = {f.name for f in queryset.model._meta.concrete_fields}
        if parent is None or parent.group(1) not in names:
            _teach(route, f"URL parameter {param!r} cannot be filled")
        attrs[param] = f"{parent.group(1)}_id"
    return ObjectKeys(queryset, attrs)


def param_values(route: Route, keys: ObjectKeys | None = None, obj=None) -> dict[str, str]:
    values = {}
    for name in route.params:
        if route.is_admin:
            values[name] = _admin_value(route, name)
        elif name in PARAM_VALUES:
            value = PARAM_VALUES[name]
            values[name] = value() if callable(value) else value
        elif keys is not None and obj is not None and name in keys.attrs:
            values[name] = str(getattr(obj, keys.attrs[name]))
        else:
            _teach(route, f"URL parameter {name!r} cannot be filled")
    return values


def object_params(route: Route) -> list[str]:
    return [p for p in route.params if p not in PARAM_VALUES]


# --------------------------------------------------------------------------------------------------
# Responses


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    text = raw.decode("utf-8", errors="replace")
    if "json" in response.get("Content-Type", ""):
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False)
    return text


def redirects_to(response, prefix: str) -> bool:
    return response.status_code in (301, 302) and response["Location"].split("?")[0].startswith(prefix)


class _Rollback(Exception):
    pass


@dataclass
class Walk:
    route: Route
    world: object
    problems: list[str] = field(default_factory=list)
    inside_checked: bool = False
    outside_checked: bool = False
    clients: dict = field(default_factory=dict)
    foreign: dict = field(default_factory=dict)

    def client_for(self, user) -> Client:
        key = getattr(user, "pk", None)
        if key not in self.clients:
            self.clients[key] = Client()
            if user is not None:
                self.clients[key].force_login(user)
        return self.clients[key]

    def request(self, user, method: str, url: str):
        client = self.client_for(user)
        if method in SAFE_METHODS:
            response = client.generic(method.upper(), url)
        else:
            # Writes are rolled back: every role meets the same world, and the database stays clean.
            content_type = "application/json" if self.route.is_api else "application/x-www-form-urlencoded"
            data = "{}" if self.route.is_api else ""
            response = None
            with contextlib.suppress(_Rollback), transaction.atomic():
                response = client.generic(method.upper(), url, data, content_type=content_type)
                raise _Rollback
        if response.status_code >= 500:
            self.fail(user, method, url, response, "server error")
        return response

    def fail(self, user, method, url, response, expected):
        who = getattr(user, "username", "anonymous")
        self.problems.append(f"{who:>14} {method.upper():6} {url} → {response.status_code}, expected {expected}")

    def foreign_names(self, user) -> list[str]:
        from carecircle.elders.models import Elder

        if user.pk not in self.foreign:
            visible = visible_to(user, Elder).values("pk")
            self.foreign[user.pk] = list(Elder.objects.exclude(pk__in=visible).values_list("name", flat=True))
        return self.foreign[user.pk]

    def check_no_foreign_records(self, user, method, url, response):
        if response.status_code != 200:
            return
        body = body_of(response)
        leaked = [name for name in self.foreign_names(user) if name in body]
        if leaked:
            self.fail(user, method, url, response, f"no elders outside the scope, but it shows {leaked}")
        if not has_capability(user, "elders.reveal"):
            rebuilt = [label for label, shown in id_number_leaks(self.world) if shown(body)]
            if rebuilt:
                self.fail(user, method, url, response, "no ID number a reader without reveal could rebuild (the "
                                                       "whole number, or area code and full birth date), but it "
                                                       f"shows {rebuilt}")

    # --- anonymous ----------------------------------------------------------------------------------

    def anonymous(self, method: str, url: str):
        response = self.request(None, method, url)
        login = resolve_url(settings.LOGIN_URL)
        if self.route.is_public:
            if response.status_code in (401, 403) or redirects_to(response, login):
                self.fail(None, method, url, response, "a public route to be open")
        elif self.route.is_admin:
            if not (redirects_to(response, "/admin/") or response.status_code == 404):
                self.fail(None, method, url, response, "a redirect to the admin login")
        elif self.route.is_api:
            if response.status_code not in (401, 403):
                self.fail(None, method, url, response, "401/403")
        elif not redirects_to(response, login):
            self.fail(None, method, url, response, f"a redirect to {login}")

    # --- one role ---------------------------------------------------------------------------------

    def is_read_view(self, method: str) -> bool:
        """Lists and details: an object inside the scope must open. Forms and actions may still refuse an
        object the role can see but not change (403), never pretend it does not exist (404)."""
        cls = self.route.view_class
        if self.route.drf_class is not None:
            return method in SAFE_METHODS
        return cls is not None and issubclass(cls, (ScopedQuerysetMixin,)) and method in SAFE_METHODS

    def role(self, user, method: str, keys: ObjectKeys | None):
        route = self.route
        declared, capability = capability_of(route, method, self.world)
        allowed = capability is not None and has_capability(user, capability)

        if route.is_admin and not route.is_public:
            url = build_url(route, param_values(route))
            response = self.request(user, method, url)
            if not (redirects_to(response, "/admin/") or response.status_code in REFUSED):
                self.fail(user, method, url, response, "the admin to refuse a non-staff user")
            return

        if keys is None:
            url = build_url(route, param_values(route))
            if method in SAFE_METHODS and route.name in QUERY_STRINGS:
                url += QUERY_STRINGS[route.name](self.world)
            response = self.request(user, method, url)
            if declared and not allowed:
                if response.status_code != 403:
                    self.fail(user, method, url, response, f"403 (no capability {capability})")
            elif declared and method in SAFE_METHODS and response.status_code != 200:
                hint = "; if the route needs query parameters, teach QUERY_STRINGS" if response.status_code == 400 else ""
                self.fail(user, method, url, response, f"200 (has capability {capability}){hint}")
            if method in SAFE_METHODS:
                self.check_no_foreign_records(user, method, url, response)
            return

        visible = visible_to(user, keys.queryset)
        inside = visible.order_by("pk").first()
        if any(f.name == "created_by" for f in keys.queryset.model._meta.fields):
            # Some objects are shown to the person who made them only (a job's progress page).
            inside = visible.filter(created_by=user).order_by("pk").first() or inside
        outside = keys.queryset.exclude(pk__in=visible.values("pk")).order_by("pk").first()
        if declared and not allowed:
            target = inside or outside
            if target is not None:
                url = build_url(route, param_values(route, keys, target))
                response = self.request(user, method, url)
                # The API checks the capability before it looks the object up: always 403 there.
                expected = {403} if route.drf_class is not None else REFUSED
                if response.status_code not in expected:
                    self.fail(user, method, url, response, f"{'/'.join(map(str, sorted(expected)))} "
                                                           f"(no capability {capability})")
            return
        if outside is not None:
            url = build_url(route, param_values(route, keys, outside))
            response = self.request(user, method, url)
            self.outside_checked = True
            if response.status_code not in REFUSED:
                self.fail(user, method, url, response, f"404 for {outside!r}, outside the scope")
        if inside is not None:
            url = build_url(route, param_values(route, keys, inside))
            response = self.request(user, method, url)
            if response.status_code not in REFUSED:
                self.inside_checked = True
            if self.is_read_view(method) and declared and response.status_code != 200:
                self.fail(user, method, url, response, f"200 for {inside!r}, inside the scope")
            elif response.status_code == 404:
                self.fail(user, method, url, response, f"not 404 for {inside!r}, inside the scope")
            if method in SAFE_METHODS:
                self.check_no_foreign_records(user, method, url, response)

    # --- the whole route --------------------------------------------------------------------------

    def page_methods(self, user, keys) -> list[str]:
        """Function views do not declare their methods: a GET answered 405 means the route takes POST."""
        methods = self.route.methods()
        if self.route.view_class is None and keys is None:
            if self.request(user, "get", build_url(self.route, param_values(self.route))).status_code == 405:
                return ["post"]
        return methods

    def run(self):
        route = self.route
        users = role_users(self.world)
        keys = object_keys(route, self.world)
        sample = None
        if keys is None and not route.is_admin:
            # Lists get rows too, so that "shows nothing from outside the scope" is a real statement.
            listed = base_queryset(route, self.world)
            if listed is not None:
                ensure_rows(self.world, listed.model)
        if keys is not None:
            scoping_of(keys.queryset.model)  # an undeclared model is refused here, with its name
            ensure_rows(self.world, keys.queryset.model)
            sample = keys.queryset.order_by("pk").first()
            if sample is None:
                pytest.fail(self.no_rows_message(keys.queryset.model))
        for method in self.page_methods(users["district_admin"], keys):
            if not route.is_public or method in SAFE_METHODS:
                self.anonymous(method, build_url(route, param_values(route, keys, sample)))
            for user in users.values():
                self.role(user, method, keys)
        assert not self.problems, f"{route.label} ({route.text}):\n" + "\n".join(self.problems)
        if keys is not None:
            model = keys.queryset.model
            if not self.inside_checked:
                pytest.fail(self.no_rows_message(model, "inside"))
            if not self.outside_checked and not scoping_of(model).readable_by_all:
                pytest.fail(self.no_rows_message(model, "outside"))

    def no_rows_message(self, model, where="inside or outside"):
        return (f"route {self.route.label}: no role was let in to a {model.__name__} {where} its scope, so the matrix "
                f"proves nothing about it. Add a maker for {model._meta.label_lower!r} to MAKERS in "
                f"the tests/matrix.py of the app {model._meta.app_label!r} that creates rows in street A, street B and the neighbouring district "
                "(or check that some role holds the view's capability).")


def _structure_problems(route: Route) -> list[str]:
    """API views that show rows must be built on the scoped base classes (DESIGN.md §3, isolation). Page views
    may load their objects through selectors; the walk below proves what they show."""
    cls = route.view_class
    if cls is None or route.is_admin or route.is_public:
        return []
    shows_rows = getattr(cls, "queryset", None) is not None or getattr(cls, "model", None) is not None
    if route.drf_class is not None and shows_rows and not issubclass(cls, ScopedViewSetMixin):
        return [f"{cls.__module__}.{cls.__name__} lists rows but is not a ScopedReadOnlyViewSet/ScopedModelViewSet"]
    return []


# --------------------------------------------------------------------------------------------------
# Tests


def test_the_matrix_sees_the_whole_resolver():
    labels = {route.label for route in ROUTES}
    # A few routes that exist since the skeleton: if these vanish, route discovery is broken.
    assert {"workbench:home", "accounts:login", "api-token", "api-schema", "admin:index"} <= labels
    assert any(route.is_api for route in ROUTES) and any(route.is_admin for route in ROUTES)


def test_every_role_of_the_design_has_a_matrix_user(users):
    roles = {user.role for user in vars(users).values()}
    assert roles == set(Role.values)
    assert users.street_staff.scope_region != users.street_staff_b.scope_region


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.label)
def test_route_access(route, world):
    problems = _structure_problems(route)
    assert not problems, "\n".join(problems)
    Walk(route, world).run()


def _elder_routes(world, kind: str) -> list[tuple[Route, ObjectKeys]]:
    """Read routes (lists excluded) whose URL names one elder by key, as pages or as API."""
    from carecircle.elders.models import Elder

    found = []
    for route in ROUTES:
        if route.is_admin or (kind == "api") != route.is_api or "get" not in route.methods():
            continue
        if not object_params(route) or not issubclass(route.view_class or object, (ScopedQuerysetMixin, APIView)):
            continue
        keys = object_keys(route, world)
        if keys.queryset.model is Elder and set(keys.attrs.values()) <= {"pk", "id"}:
            found.append((route, keys))
    return found


def test_the_id_number_check_sees_a_rebuildable_number_and_allows_mask_and_age(world):
    elder = world.district.elders.a1
    number, birth = elder.id_number, elder.birth_date
    leaks = id_number_leaks(world)

    def caught(body):
        return [label for label, shown in leaks if shown(body)]

    assert caught(f"<td>{number}</td>") and caught(f"{number[:14]}****")
    assert caught(f"310104 … {birth.isoformat()}") and caught(f"{number[:6]} {birth.year}年{birth.month}月{birth.day}日")
    assert caught(json.dumps({"id": number.lower()}))
    assert not caught(f"{number[:6]}********{number[-4:]} · {birth.year}年 … 86岁")
    assert not caught(f"{birth.isoformat()}")  # a date alone, without the area code, is not a number


@pytest.mark.parametrize("kind", ["page", "api"])
def test_street_worker_cannot_open_another_streets_elder_by_id(kind, world):
    """The case every district asks about: street A's window clerk types in street B's elder's id."""
    routes = _elder_routes(world, kind)
    assert routes, f"no elder detail {kind} route found (a read route over Elder with the elder's key in its URL)"
    street_a, street_b = world.users.street_staff, world.users.street_staff_b
    theirs, ours = world.district.elders.b1, world.district.elders.a1
    for route, keys in routes:
        client = Client()
        client.force_login(street_a)
        refused = client.get(build_url(route, param_values(route, keys, theirs)))
        assert refused.status_code == 404, route.label
        assert theirs.name not in body_of(refused)
        allowed = client.get(build_url(route, param_values(route, keys, ours)))
        assert allowed.status_code == 200, route.label
        assert ours.name in body_of(allowed)
        client.force_login(street_b)
        assert client.get(build_url(route, param_values(route, keys, theirs))).status_code == 200, route.label


# --------------------------------------------------------------------------------------------------
# Writes whose body names another scope's objects


def _request_serializers():
    """(route, method, serializer class) for every write the API declares a request body for, as the OpenAPI
    schema has it (drf-spectacular's own reading of each view, actions and overrides included)."""
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    generator._initialise_endpoints()
    by_callback = {}
    for route in ROUTES:
        if route.is_api and route.drf_class is not None:
            by_callback.setdefault(route.callback, route)
    found = []
    for _path, _regex, method, callback in generator.endpoints:
        route = by_callback.get(callback)
        if route is None or method.lower() not in ("post", "put", "patch"):
            continue
        view = generator.create_view(callback, method)
        serializer = view.schema.get_request_serializer()
        if serializer is not None:
            found.append((route, method.lower(), serializer if isinstance(serializer, type) else type(serializer)))
    return found


def _related_fields(serializer_class, user):
    """Writable fields of the body that name another object: (field name, model, value of an object)."""
    from rest_framework import serializers
    from rest_framework.request import Request

    request = Request(RequestFactory().post("/"))
    request.user = user
    serializer = serializer_class(context={"request": request})
    fields = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        inner = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
        if not isinstance(inner, serializers.RelatedField):
            continue
        queryset = inner.get_queryset() if inner.queryset is not None or hasattr(inner, "get_queryset") else None
        model = queryset.model if queryset is not None else None
        if model is None:
            continue
        if isinstance(inner, serializers.SlugRelatedField):
            value = lambda obj, slug=inner.slug_field: getattr(obj, slug)  # noqa: E731
        else:
            value = lambda obj: obj.pk  # noqa: E731
        many = isinstance(field, serializers.ManyRelatedField)
        fields.append((name, model, (lambda obj, one=value: [one(obj)]) if many else value))
    return fields


def _outside_object(user, model):
    """An object of `model` the user may not see; for models everyone may read (organisations), one the user
    may not change."""
    from carecircle.core.isolation import CHANGE

    scoping = scoping_of(model)
    actions = ("view", CHANGE) if scoping.region or scoping.organisation else ("view",)
    for action in actions:
        with contextlib.suppress(ImproperlyConfigured):
            outside = model._default_manager.exclude(pk__in=visible_to(user, model, action).values("pk"))
            obj = outside.order_by("pk").first()
            if obj is not None:
                return obj
    return None


WRITE_ROUTES = _request_serializers()


@pytest.mark.parametrize("route, method, serializer_class", WRITE_ROUTES,
                         ids=[f"{route.label}-{method}" for route, method, _s in WRITE_ROUTES])
def test_write_naming_another_scopes_object_is_refused(route, method, serializer_class, world):
    """A user who may make this write sends a body whose foreign key names an object outside their scope
    (another street's elder, another provider's caregiver, organisation or contract, another district's
    community): the answer is 403/404, or 400 about that very field, and nothing is written.

    The rest of the body comes from WRITE_BODIES in the app's tests/matrix.py when the app teaches one (a body
    the role could send successfully), else it is empty: a 400 that does not name the field then proves
    nothing, and the test says so."""
    from carecircle.core.models import AuditEvent

    keys = object_keys(route, world)
    if keys is not None:
        ensure_rows(world, keys.queryset.model)
    checked = 0
    problems = []
    for user in role_users(world).values():
        _declared, capability = capability_of(route, method, world)
        if capability is None or not has_capability(user, capability):
            continue
        fields = _related_fields(serializer_class, user)
        url_target = None
        if keys is not None:
            url_target = visible_to(user, keys.queryset).order_by("pk").first()
            if url_target is None:
                continue
        url = build_url(route, param_values(route, keys, url_target))
        client = Client()
        client.force_login(user)
        for name, model, value_of in fields:
            ensure_rows(world, model)
            outside = _outside_object(user, model)
            if outside is None:
                continue
            taught = WRITE_BODIES.get(route.name)
            body = dict(taught(world, user)) if taught else {}
            body[name] = value_of(outside)
            written_model = getattr(getattr(serializer_class, "Meta", None), "model", None)
            counted = [AuditEvent] + ([written_model] if written_model is not None else [])
            with contextlib.suppress(_Rollback), transaction.atomic():
                before = [m._default_manager.count() for m in counted]
                response = client.generic(method.upper(), url, json.dumps(body, default=str),
                                          content_type="application/json")
                after = [m._default_manager.count() for m in counted]
                raise _Rollback
            checked += 1
            who = f"{user.username} {method.upper()} {url} {name}={body[name]!r} ({outside!r})"
            if response.status_code == 400:
                errors = response.json() if "json" in response.get("Content-Type", "") else {}
                if not (isinstance(errors, dict) and name in errors):
                    problems.append(f"{who}: 400 but not about {name!r} ({errors}); scope the field's queryset "
                                    f"with visible_to, or teach a complete body in WRITE_BODIES of the app's "
                                    f"tests/matrix.py so that the refusal can only come from {name!r}")
            elif response.status_code not in REFUSED:
                problems.append(f"{who}: {response.status_code}, expected 400/403/404")
            if after != before:
                problems.append(f"{who}: something was written ({before} → {after} rows of {counted})")
    assert not problems, "\n".join(problems)
