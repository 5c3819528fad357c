"""Reads of the elder registry. Every function takes the acting user and starts from visible_to.

Search is designed for a district of 320,000 elders: each kind of query maps to one indexed column with
an equality or a prefix condition (never a leading-wildcard LIKE), and counts are bounded.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from carecircle.core.isolation import CHANGE, visible_to
from carecircle.core.roles import has_capability
from carecircle.core.sensitive import last4_lookup_hash, lookup_hash
from carecircle.regions.models import Region, RegionKind

from .identity import normalise
from .models import Elder, ElderMerge, ElderStatus, EmergencyContact

# Lists show "more than N" rather than counting a whole district on every page view.
COUNT_LIMIT = 10_000
# Up to this many filter matches are collected by id and sorted; more are read in name order instead.
SORT_BY_IDS_LIMIT = 2_000

_CJK = re.compile(r"[\u3400-\u9fff]")
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_LAST4 = re.compile(r"^\d{3}[\dX]$")
_DIGITS = re.compile(r"^\+?\d{5,15}$")
_LETTERS = re.compile(r"^[a-z]+$")


@dataclass
class ElderFilters:
    region: str = ""  # street or community code
    age_min: int | None = None
    age_max: int | None = None
    household_type: str = ""
    economic_category: str = ""
    status: str = ""
    gender: str = ""

    @classmethod
    def from_params(cls, params) -> "ElderFilters":
        def integer(name):
            try:
                value = int(str(params.get(name, "")).strip())
            except ValueError:
                return None
            return value if 0 <= value <= 150 else None

        return cls(region=str(params.get("region", "")).strip(), age_min=integer("age_min"),
                   age_max=integer("age_max"), household_type=str(params.get("household_type", "")).strip(),
                   economic_category=str(params.get("economic_category", "")).strip(),
                   status=str(params.get("status", "")).strip(), gender=str(params.get("gender", "")).strip())


def _prefix(field: str, prefix: str) -> Q:
    """A prefix match that can use the column's B-tree index on every supported database.

    PostgreSQL serves LIKE 'x%' from the pattern-ops index Django creates beside each indexed CharField.
    SQLite's LIKE is case-insensitive and cannot use a BINARY index, so the range bound is added there.
    """
    q = Q(**{f"{field}__startswith": prefix})
    if connection.vendor == "sqlite":
        q &= Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return q


def exact_number(q: str) -> tuple[str, str] | None:
    """("id_number", number) or ("phone", digits) when the search text is a whole ID or phone number."""
    text = re.sub(r"\s+", "", q or "")
    if not text:
        return None
    upper = normalise(text)
    if _ID_NUMBER.match(upper):
        return ("id_number", upper)
    if _LAST4.match(upper):
        return None
    digits = re.sub(r"[\-()（）]", "", text)
    if _DIGITS.match(digits):
        return ("phone", digits)
    return None


def search_condition(q: str) -> Q | None:
    """What a search box string means: a full ID, the last four of an ID, a phone, a name or its pinyin."""
    text = re.sub(r"\s+", "", q or "")
    if not text:
        return None
    exact = exact_number(text)
    if exact is not None:
        kind, value = exact
        return Q(id_number_hash=lookup_hash(value)) if kind == "id_number" else Q(phone_hash=lookup_hash(value))
    upper = normalise(text)
    if _LAST4.match(upper):
        return Q(id_number_last4_hash=last4_lookup_hash(upper))
    if _CJK.search(text):
        return _prefix("name", text)
    lower = text.lower()
    if _LETTERS.match(lower):
        # Initials ("zsm") and full pinyin ("zhangsanming", "zhangs") both start with the typed letters.
        return _prefix("name_initials", lower) | _prefix("name_pinyin", lower)
    return Q(pk__in=[])


def elders_matching(q: str) -> QuerySet:
    """Every elder record the search text means (no scope: for narrowing a list that is already scoped,
    e.g. care plans or orders by their elder). The same matching as the registry's search."""
    condition = search_condition(q)
    return Elder.objects.filter(condition) if condition is not None else Elder.objects.all()


@dataclass(frozen=True)
class SearchRefusal:
    message: str
    retry_after: int  # seconds


EXACT_SEARCH_RATE_KEY = "elders.exact_search.per_hour"
_EXACT_SEARCH_WINDOW = dt.timedelta(hours=1)


def _limited_exact_search(user, q: str) -> tuple[str, str] | None:
    """The number searched for when this is a whole-number search that the limit applies to.

    With a whole ID or phone number the result count alone says whether that number belongs to an elder (the
    oracle). People who may reveal numbers have that answer anyway; everyone else is limited and audited."""
    exact = exact_number(q)
    if exact is None or has_capability(user, "elders.reveal"):
        return None
    return exact


def exact_search_refusal(user, q: str) -> SearchRefusal | None:
    """Why this search may not run now (the hourly limit is used up or not configured), else None."""
    from django.utils.translation import gettext as _

    from carecircle.accounts.selectors import policy_region_for
    from carecircle.core.models import AuditEvent
    from carecircle.core.policy import MissingPolicyParameter, policy_label, policy_value

    from .services import EXACT_SEARCH_ACTION

    if _limited_exact_search(user, q) is None:
        return None
    region = policy_region_for(user)
    try:
        allowed = policy_value(EXACT_SEARCH_RATE_KEY, region=region) if region is not None else None
    except MissingPolicyParameter:
        allowed = None
    if allowed is None:
        return SearchRefusal(_("按完整身份证号或电话检索的次数上限（政策参数“%(param)s”）尚未设置，暂不能按完整号码检索；"
                               "可按姓名或身份证后四位检索。") % {"param": policy_label(EXACT_SEARCH_RATE_KEY)}, 3600)
    since = timezone.now() - _EXACT_SEARCH_WINDOW
    recent = AuditEvent.objects.filter(actor=user, action=EXACT_SEARCH_ACTION, at__gte=since)
    if recent.count() < allowed:
        return None
    oldest = recent.order_by("at").values_list("at", flat=True).first()
    wait = max(int((oldest + _EXACT_SEARCH_WINDOW - timezone.now()).total_seconds()) + 1, 1)
    return SearchRefusal(_("按完整身份证号或电话检索每小时最多 %(n)d 次，已达上限，请约 %(minutes)d 分钟后再试；"
                           "按姓名或身份证后四位检索不受此限。") % {"n": allowed, "minutes": (wait + 59) // 60}, wait)


def _birth_date_bounds(filters: ElderFilters, today: dt.date) -> list[tuple[str, str, object]]:
    """Age a ≤ age ≤ b ⇔ born after (today − (b+1) years) and on or before (today − a years)."""
    def years_before(years: int) -> dt.date:
        try:
            return today.replace(year=today.year - years)
        except ValueError:  # 29 February
            return today.replace(year=today.year - years, day=28)

    bounds = []
    if filters.age_min is not None:
        bounds.append(("birth_date", "lte", years_before(filters.age_min)))
    if filters.age_max is not None:
        bounds.append(("birth_date", "gt", years_before(filters.age_max + 1)))
    return bounds


def _region_condition(code: str) -> tuple[str, str, object]:
    region = Region.objects.filter(code=code, kind__in=[RegionKind.DISTRICT, RegionKind.STREET,
                                                        RegionKind.COMMUNITY]).first()
    if region is None:
        return ("community_id", "in", [])
    if region.kind == RegionKind.COMMUNITY:
        return ("community_id", "exact", region.pk)
    community_ids = list(Region.objects.filter(path__startswith=region.path, kind=RegionKind.COMMUNITY)
                         .values_list("pk", flat=True))
    return ("community_id", "in", community_ids)


def filter_conditions(filters: ElderFilters, today: dt.date) -> list[tuple[str, str, object]]:
    """The filters as (column, lookup, value) triples, so they can be applied with or without indexes."""
    conditions = []
    if filters.region:
        conditions.append(_region_condition(filters.region))
    conditions += _birth_date_bounds(filters, today)
    for field in ("household_type", "economic_category", "gender"):
        value = getattr(filters, field)
        if value:
            conditions.append((field, "exact", value))
    if filters.status and filters.status != "all":
        conditions.append(("status", "exact", filters.status))
    return conditions


_NEUTRAL = {"community_id": (0, models.BigIntegerField()), "birth_date": (dt.date(1, 1, 1), models.DateField())}


def _without_index(qs: QuerySet, conditions) -> QuerySet:
    """Applies conditions through a no-op COALESCE, which no index serves.

    Used when a filter matches most of the scope: walking the name index and skipping the few rows that
    fail is then far cheaper than collecting every match and sorting it, but a planner without per-value
    statistics (SQLite) cannot know that and picks the filter's index.
    """
    for index, (column, lookup, value) in enumerate(conditions):
        neutral, output = _NEUTRAL.get(column, ("", models.CharField()))
        alias = f"unindexed_{index}"
        qs = qs.alias(**{alias: Coalesce(F(column), Value(neutral, output_field=output), output_field=output)})
        qs = qs.filter(**{f"{alias}__{lookup}": value})
    return qs


def elder_search(user, q: str = "", filters: ElderFilters | None = None) -> QuerySet:
    """The elders `user` may see that match the search text and filters, ordered by name.

    The region filter narrows inside the user's scope; it never widens it (visible_to is applied first).
    Filters without search text are resolved in two steps so that no plan has to sort a large set:
    up to SORT_BY_IDS_LIMIT matching ids come from the filters' own indexes and are then ordered by
    name; beyond that the matches are dense enough that walking the name index finds a page quickly.
    """
    filters = filters or ElderFilters()
    visible = visible_to(user, Elder)
    if not filters.status:
        # Merged duplicates are history, not people; they are reached through the survivor.
        visible = visible.exclude(status=ElderStatus.MERGED)
    qs = visible
    limited = _limited_exact_search(user, q)
    if limited is not None and exact_search_refusal(user, q) is not None:
        # Callers that answer people say why (429); any other caller simply finds nothing.
        refused = visible.none()
        refused.count_source = refused
        return refused
    condition = search_condition(q)
    if condition is not None:
        qs = qs.filter(condition)
    conditions = filter_conditions(filters, timezone.localdate())
    matching = qs.filter(*[Q(**{f"{c}__{lookup}": v}) for c, lookup, v in conditions])
    if limited is not None:
        from .services import elder_exact_search_record

        elder_exact_search_record(actor=user, kind=limited[0], value=limited[1], results=matching.count())
    if conditions and condition is None:
        ids = list(matching.order_by().values_list("pk", flat=True)[: SORT_BY_IDS_LIMIT + 1])
        qs = visible.filter(pk__in=ids) if len(ids) <= SORT_BY_IDS_LIMIT else _without_index(qs, conditions)
    else:
        qs = matching
    qs = qs.select_related("community").order_by("name", "id")
    # Counting uses the filters' indexes, whichever way the rows themselves are fetched.
    qs.count_source = matching
    return qs


def bounded_count(queryset: QuerySet, limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    """(count, exact): counting stops after `limit` rows so a district-wide list stays fast."""
    source = getattr(queryset, "count_source", queryset)
    n = source.order_by().values("pk")[: limit + 1].count()
    return (limit, False) if n > limit else (n, True)


def elder_detail(user, pk: int) -> Elder:
    return visible_to(user, Elder).select_related("community", "community__parent", "merged_into").get(pk=pk)


def elder_contacts(user, elder: Elder) -> QuerySet:
    return visible_to(user, EmergencyContact).filter(elder=elder)


def elder_merges(user, elder: Elder) -> QuerySet:
    return (visible_to(user, ElderMerge).filter(Q(survivor=elder) | Q(merged=elder))
            .select_related("survivor", "merged"))


def regions_for_filter(user) -> QuerySet:
    """Streets and communities inside the user's scope, for the region filter."""
    qs = Region.objects.filter(kind__in=[RegionKind.STREET, RegionKind.COMMUNITY])
    # The tree is readable by all; the filter offers the part of it the user works in.
    return visible_to(user, qs, CHANGE).order_by("path")


def communities_in_scope(user) -> QuerySet:
    return regions_for_filter(user).filter(kind=RegionKind.COMMUNITY)


# The elder record page shows the newest entries of the story first, this many at a time.
TIMELINE_PAGE = 20
TIMELINE_MAX = 500


def elder_timeline(user, elder, *, shown=None) -> dict:
    """The elder's whole story as the user may see it, newest first: every app contributes its entries
    (declared in its plugin.py, read through its own selectors and visible_to). `shown` is how many the page
    asks for ("more" adds a page); a bad or out-of-range value falls back to one page."""
    from carecircle.core.plugins import registry

    try:
        limit = int(shown) if shown not in (None, "") else TIMELINE_PAGE
    except (TypeError, ValueError):
        limit = TIMELINE_PAGE
    limit = min(max(limit, TIMELINE_PAGE), TIMELINE_MAX)
    entries, more = registry.timeline(user, elder, limit=limit)
    return {"timeline": entries, "timeline_more": more and limit < TIMELINE_MAX,
            "timeline_next": min(limit + TIMELINE_PAGE, TIMELINE_MAX)}


PICK_LIMIT = 10


def elder_pick(user, q: str, *, limit: int = PICK_LIMIT) -> tuple[list[Elder], str]:
    """([elders], message) for a form that picks one elder by search: the registry's own search (name, pinyin,
    the last four of an ID, a whole ID or phone number), in the user's scope, active records only.

    The message says why nothing is listed when the whole-number search limit applies."""
    text = (q or "").strip()
    if not text:
        return [], ""
    refusal = exact_search_refusal(user, text)
    if refusal is not None:
        return [], refusal.message
    return list(elder_search(user, text).filter(status=ElderStatus.ACTIVE)[:limit]), ""
