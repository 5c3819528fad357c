"""What each app brings to the platform, declared in its own `plugin.py` and collected at start-up.

An app module `carecircle/<app>/plugin.py` (or any installed app's `<package>.plugin`) holds one
`plugin = AppPlugin(...)`: the capabilities it grants each role, its navigation entries, its audit
action names, its workbench cards, where its pages and API live, and (for the one app that owns it)
the region tree. `CoreConfig.ready()` collects them in INSTALLED_APPS order; the kernel reads only
this registry and never imports a domain app. The access-matrix makers of an app live beside its
tests (`<app>/tests/matrix.py`), see tests/test_access_matrix.py.
"""
from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# One naming style for audit actions: "<area>.<entity>_<verb>", lower case, one dot. The area is the app's
# label or one of its areas (core owns policy, calendar, audit…); an entity may be implicit ("elders.create").
AUDIT_ACTION_STYLE = re.compile(r"[a-z][a-z0-9]*\.[a-z0-9][a-z0-9_]*")


class PluginError(Exception):
    """An app's declarations contradict another's or the house rules: refused at start-up."""


class UndeclaredAuditAction(ValueError):
    """`audit.record` was given an action name no app declares."""


@dataclass(frozen=True)
class NavItem:
    """One navigation entry; the menu is sorted by `order` across all apps."""

    order: int
    label: Any
    url_name: str
    capability: str | None = None


@dataclass(frozen=True)
class Card:
    """One workbench card: a count and the list it opens; cards are sorted by `order` across all apps."""

    order: int
    key: str
    label: Any
    count: Any
    url_name: str
    query: str = ""


@dataclass(frozen=True)
class QueueItem:
    """One thing waiting in a queue card: what it is, when it is due, and the page where it is done."""

    title: Any
    url: str = ""
    due: Any = None  # a date or an aware datetime; None: no deadline
    detail: Any = ""
    overdue: bool = False

    @property
    def due_text(self) -> str:
        """The due date as the page shows it: a day, or a day and a time in the service's time zone."""
        import datetime as dt

        from django.utils import timezone

        if self.due is None:
            return ""
        if isinstance(self.due, dt.datetime):
            return timezone.localtime(self.due).strftime("%Y-%m-%d %H:%M")
        return self.due.isoformat()


@dataclass(frozen=True)
class Queue:
    """A workbench card that is a queue: what is waiting for the user, overdue first, with its counts.

    `items` are the first few in working order (overdue first, then by due date); `count` and `overdue` count
    the whole queue; the card's title opens the full list. Sorted among all cards by `order`."""

    order: int
    key: str
    label: Any
    count: int
    url_name: str
    items: Sequence[QueueItem] = ()
    overdue: int = 0
    query: str = ""
    url_args: tuple = ()

    is_queue = True


QUEUE_PREVIEW = 5


def queue_card(*, order: int, key: str, label, url_name: str, queryset, due_field: str, cutoff, item,
               query: str = "", limit: int = QUEUE_PREVIEW, late=None) -> Queue:
    """A queue card from a queryset of what waits for the user: counted whole, the overdue ones (due before
    `cutoff`, a date or a moment) counted apart, and the first `limit` in working order (earliest due first,
    so the overdue lead; undated last) turned into `QueueItem`s by `item(row, overdue)`. `late` (a Q) narrows
    what counts as overdue among the rows past their due time (e.g. not yet started)."""
    from django.db.models import F

    ordered = queryset.order_by(F(due_field).asc(nulls_last=True), "pk")
    rows = list(ordered[:limit])
    return Queue(
        order=order, key=key, label=label, url_name=url_name, query=query, count=queryset.count(),
        overdue=queryset.filter(**{f"{due_field}__lt": cutoff}).filter(*([late] if late is not None else [])).count(),
        items=[item(row, _due_before(_get(row, due_field), cutoff)) for row in rows])


def _get(row, path: str):
    for part in path.split("__"):
        row = getattr(row, part, None) if row is not None else None
    return row


def _due_before(value, cutoff) -> bool:
    import datetime as dt

    from django.utils import timezone

    if value is None:
        return False
    if isinstance(cutoff, dt.datetime) and not isinstance(value, dt.datetime):
        return value < timezone.localtime(cutoff).date()
    if isinstance(value, dt.datetime) and not isinstance(cutoff, dt.datetime):
        return timezone.localtime(value).date() < cutoff
    return value < cutoff


@dataclass(frozen=True)
class TimelineEntry:
    """One event in an elder's story: when, what kind, what happened, and the page that tells more (empty
    when the reader cannot open it: an entry never links where its reader may not go)."""

    at: Any  # an aware datetime, or a date (taken as the start of that day)
    kind: Any
    title: Any
    url: str = ""
    detail: Any = ""


@dataclass(frozen=True)
class TrendSeries:
    """One line of the district's trend chart: a count per month, oldest month first."""

    key: str
    label: Any
    values: Sequence[int]


def monthly_counts(queryset, field: str, months: Sequence) -> list[int]:
    """How many rows of `queryset` fall in each month of `months` (first days, oldest first) by `field`
    (a date or datetime), in one grouped query."""
    import datetime as dt

    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    if not months:
        return []
    last = months[-1]
    end = dt.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    model_field = queryset.model._meta.get_field(field)
    is_datetime = model_field.get_internal_type() == "DateTimeField"
    if is_datetime:
        start = timezone.make_aware(dt.datetime.combine(months[0], dt.time.min))
        stop = timezone.make_aware(dt.datetime.combine(end, dt.time.min))
    else:
        start, stop = months[0], end
    rows = (queryset.filter(**{f"{field}__gte": start, f"{field}__lt": stop}).order_by()
            .annotate(month=TruncMonth(field)).values("month").annotate(n=Count("pk")))
    counts = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        counts[month.replace(day=1)] = counts.get(month.replace(day=1), 0) + row["n"]
    return [counts.get(month, 0) for month in months]


@dataclass(frozen=True)
class PortalBlock:
    """A block on an elder's or family member's own home page: a template and its context."""

    order: int
    template_name: str
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AppPlugin:
    # role value -> capability names this app grants that role
    capabilities: Mapping[str, Iterable[str]] = field(default_factory=dict)
    navigation: Sequence[NavItem] = ()
    # every action name the app's services pass to audit.record (a TextChoices class or plain strings)
    audit_actions: Iterable[str] = ()
    # workbench(user) -> cards for a staff member's workbench; portal(user) -> blocks for elders and family
    workbench: Callable[[Any], Iterable[Card]] | None = None
    portal: Callable[[Any], Iterable[PortalBlock]] | None = None
    # timeline(user, elder, limit) -> at most `limit` of the newest entries of this elder's story the user may
    # see (each app from its own selectors, through visible_to); the elder record page merges them
    timeline: Callable[[Any, Any, int], Iterable[TimelineEntry]] | None = None
    # trends(user, months) -> monthly series for the district's trend chart (months: first days, oldest first)
    trends: Callable[[Any, Sequence], Iterable[TrendSeries]] | None = None
    # pages: `<app>.urls` included at this prefix ("" for the site root); None: the app has no pages
    url_prefix: str | None = None
    # API: `<app>.api_urls` included under /api/v1/
    api: bool = False
    # the app that owns the region tree declares it here (see RegionTree)
    region_tree: Any = None
    # how the app's codes read (core/labels.py): TextChoices classes, mappings code → label, or functions
    # code → label or None (for codes kept in the database, e.g. service items)
    labels: Sequence[Any] = ()


@dataclass(frozen=True)
class RegionTree:
    """How the kernel reaches the region tree without importing the app that owns it."""

    in_scope: Callable[..., Any]  # in_scope(user=..., kinds=None) -> queryset of the user's regions
    scope_root: Callable[[Any], Any]  # scope_root(user) -> the region at the top of the user's scope, or None


@dataclass
class Registry:
    plugins: dict[str, tuple[str, AppPlugin]] = field(default_factory=dict)  # app label -> (module, plugin)
    audit_actions: dict[str, str] = field(default_factory=dict)  # action -> app label
    ready: bool = False

    def collect(self, app_configs) -> None:
        """Import `<app>.plugin` of every installed app that has one and check the declarations."""
        from .roles import CAPABILITIES, Role

        self.plugins.clear()
        self.audit_actions.clear()
        for role in Role:
            CAPABILITIES[role] = set()
        for config in app_configs:
            module_name = f"{config.name}.plugin"
            if importlib.util.find_spec(module_name) is None:
                continue
            plugin = getattr(importlib.import_module(module_name), "plugin", None)
            if not isinstance(plugin, AppPlugin):
                raise PluginError(f"{module_name} must define `plugin = AppPlugin(...)`")
            self.plugins[config.label] = (config.name, plugin)
            for role, names in plugin.capabilities.items():
                if role not in Role.values:
                    raise PluginError(f"{module_name}: unknown role {role!r}")
                CAPABILITIES[role] |= set(names)
            for action in plugin.audit_actions:
                action = str(action)
                if not AUDIT_ACTION_STYLE.fullmatch(action):
                    raise PluginError(f"{module_name}: audit action {action!r} does not follow 'area.entity_verb'")
                owner = self.audit_actions.setdefault(action, config.label)
                if owner != config.label:
                    raise PluginError(f"audit action {action!r} is declared by both {owner} and {config.label}")
        areas: dict[str, str] = {}
        for action, label in self.audit_actions.items():
            owner = areas.setdefault(action.split(".")[0], label)
            if owner != label:
                raise PluginError(f"audit area {action.split('.')[0]!r} is used by both {owner} and {label}")
        orders = [item.order for item in self.navigation()]
        if len(orders) != len(set(orders)):
            raise PluginError("two navigation entries share one `order` number")
        if sum(plugin.region_tree is not None for plugin in self) > 1:
            raise PluginError("more than one app declares the region tree")
        self.ready = True

    def __iter__(self):
        return (plugin for _module, plugin in self.plugins.values())

    def navigation(self) -> list[NavItem]:
        return sorted((item for plugin in self for item in plugin.navigation), key=lambda item: item.order)

    def workbench_cards(self, user) -> list[Card]:
        cards = [card for plugin in self if plugin.workbench for card in plugin.workbench(user)]
        return sorted(cards, key=lambda card: card.order)

    def timeline(self, user, elder, *, limit: int) -> tuple[list[TimelineEntry], bool]:
        """The newest `limit` entries of an elder's story from every app, newest first, and whether more exist."""
        entries = [entry for plugin in self if plugin.timeline for entry in plugin.timeline(user, elder, limit + 1)]
        entries.sort(key=lambda entry: _moment(entry.at), reverse=True)
        return entries[:limit], len(entries) > limit

    def trends(self, user, months) -> list[TrendSeries]:
        return [series for plugin in self if plugin.trends for series in plugin.trends(user, months)]

    def portal_blocks(self, user) -> list[PortalBlock]:
        blocks = [block for plugin in self if plugin.portal for block in plugin.portal(user)]
        return sorted(blocks, key=lambda block: block.order)

    def url_modules(self) -> list[tuple[str, str]]:
        """(prefix, urls module) for every app with pages."""
        return [(plugin.url_prefix, f"{module}.urls") for module, plugin in self.plugins.values()
                if plugin.url_prefix is not None]

    def api_url_modules(self) -> list[str]:
        return [f"{module}.api_urls" for module, plugin in self.plugins.values() if plugin.api]

    def check_audit_action(self, action: str) -> None:
        if self.ready and action not in self.audit_actions:
            raise UndeclaredAuditAction(
                f"audit action {action!r} is not declared: add it to the audit_actions of the app's plugin.py")

    def region_tree(self) -> RegionTree:
        for plugin in self:
            if plugin.region_tree is not None:
                return plugin.region_tree
        raise PluginError("no installed app declares the region tree")


def _moment(value):
    """A date or datetime as an aware datetime, so entries of both kinds sort on one line."""
    import datetime as dt

    from django.utils import timezone

    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(dt.datetime.combine(value, dt.time.min))


registry = Registry()
