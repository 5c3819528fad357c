"""Data isolation by construction: one `visible_to(user, ..., action=...)` for every list, detail, form, export,
API and write check.

A scoped model declares how it belongs to the region tree, to an organisation and/or to an elder:

    class Elder(models.Model):
        scoping = Scoping(region="community", person="pk", organisation_reach="community")

* region-scoped roles (district, street, community, operator, inspector) see rows whose region lies in
  their region subtree (materialised path prefix); region-scoped staff who work for an organisation (a
  contracted third-party agency's inspectors) see only the rows a model links to their organisation through
  `organisation_links` for their role, inside their region subtree, and nothing else (except rows of models
  declaring `contractors_read`, the published rules they work by);
* organisation-scoped roles (provider, caregiver, assessor) see rows of their own organisation, and —
  where the model declares `organisation_reach` and the role is listed in `reach_roles` — rows in the
  communities their organisation serves;
* elders and family see rows that belong to the elders they are linked to.

Changing reaches less far than reading (`action="change"`): only the links named in the model's
`change_via` count, by default the direct ones — the user's region subtree, their own organisation and
the elders they are linked to. Rows inherited from ancestor regions, rows in the communities an
organisation serves, rows another organisation is linked to and reference data everyone reads stay
read-only, unless a model names such a link in `change_via`.

A model without a `scoping` declaration cannot be listed through this function at all: an undeclared
model is a programming error, not an open door.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from .roles import ORGANISATION_SCOPED, PERSON_SCOPED, REGION_SCOPED, Role

VIEW = "view"
CHANGE = "change"
ACTIONS = (VIEW, CHANGE)

# The links through which a user reaches a row; `change_via` and `via` name them.
REGION = "region"  # the row's region lies in the user's region subtree
ANCESTORS = "ancestors"  # the row is attached to an ancestor of the user's region (ancestors_visible)
REGION_REACH = "region_reach"  # the row reaches into the user's region subtree by a second path
ORGANISATION = "organisation"  # the row belongs to the user's own organisation
ORGANISATION_REACH = "organisation_reach"  # the row lies in a community the user's organisation serves
ORGANISATION_LINKS = "organisation_links"  # the row is linked to the user's organisation by another path
PERSON = "person"  # the row belongs to an elder the user is linked to
LINKS = frozenset({REGION, ANCESTORS, REGION_REACH, ORGANISATION, ORGANISATION_REACH, ORGANISATION_LINKS, PERSON})
DIRECT_LINKS = frozenset({REGION, ORGANISATION, PERSON})


@dataclass(frozen=True)
class Scoping:
    region: str | None = None  # path to a Region FK, or "self" for the Region model itself
    organisation: str | None = None  # path to an Organisation FK, or "self"
    person: str | None = None  # path to an Elder FK, or "pk" for the Elder model itself
    organisation_reach: str | None = None  # path to a community FK reached through service areas
    reach_roles: frozenset = field(default_factory=lambda: frozenset({Role.PROVIDER_ADMIN}))
    # Rows attached to an ancestor of the user's region are visible too (inherited policy values).
    ancestors_visible: bool = False
    # Every signed-in user may read these rows (reference data such as the region tree).
    readable_by_all: bool = False
    # A second path to a region FK through which region-scoped users also reach a row, e.g. a
    # provider registered at the district that serves a community of the user's street.
    region_reach: str | None = None
    # Paths to an Organisation FK through which some organisation-scoped roles reach a row that is
    # not theirs: e.g. an assessment agency's assessors reach the elders it has orders for. Each entry
    # is (path, roles); the row is visible when the path leads to the user's own organisation. For
    # region-scoped staff of a contractor (an inspection agency) these links are the only way in.
    organisation_links: tuple = ()
    # Region-scoped staff of a contractor (see `_contracted_filter`) read these rows as the region's own staff
    # do: published rules such as policy values, which the contractor works by.
    contractors_read: bool = False
    # The links that also let a user change a row (see the module's docstring).
    change_via: frozenset = DIRECT_LINKS
    # Declared by the organisation model: the path from an organisation to the communities it serves,
    # through which rows declaring `organisation_reach` are reached.
    serves: str | None = None

    def __post_init__(self):
        unknown = set(self.change_via) - LINKS
        if unknown:
            raise ImproperlyConfigured(f"Scoping.change_via names unknown links: {sorted(unknown)}")


def scoping_of(model) -> Scoping:
    scoping = getattr(model, "scoping", None)
    if not isinstance(scoping, Scoping):
        raise ImproperlyConfigured(f"{model.__name__} declares no Scoping; it cannot be shown to anyone")
    return scoping


def _region_lookup(path: str) -> str:
    return "path" if path == "self" else f"{path}__path"


def _served_communities(user):
    """The communities the user's organisation serves, as a subquery (isolation stays one SQL statement).

    Reached through what the organisation model declares (`Scoping.serves`), so the kernel needs no
    knowledge of the app that keeps service areas."""
    organisation_model = user._meta.get_field("organisation").related_model
    path = scoping_of(organisation_model).serves
    if not path:
        raise ImproperlyConfigured(f"{organisation_model.__name__} declares no Scoping.serves; rows declaring "
                                   "organisation_reach cannot be reached")
    return (organisation_model._default_manager.filter(pk=user.organisation_id, **{f"{path}__isnull": False})
            .values(path))


def _either(q, other):
    return other if q is None else q | other


def scope_filter(user, model, action: str = VIEW, via: str | None = None) -> Q | None:
    """The Q a queryset of `model` is filtered with for `user`; None means nothing is reachable.

    `via` narrows the question to one link (e.g. ORGANISATION: "is this row of the user's own
    organisation?"); a superuser holds no link, so asked through one they are not let through."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")
    if via is not None and via not in LINKS:
        raise ValueError(f"unknown link {via!r}; expected one of {sorted(LINKS)}")
    scoping = scoping_of(model)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if via is None and user.is_superuser:
        return Q()
    links = LINKS if action == VIEW else scoping.change_via
    if via is not None:
        links = links & {via}
    if via is None and action == VIEW and scoping.readable_by_all:
        return Q()
    role = user.role
    contractor = role in REGION_SCOPED and getattr(user, "organisation_id", None) is not None
    if contractor and not (scoping.contractors_read and action == VIEW):
        return _contracted_filter(user, model, scoping, links)
    if role in REGION_SCOPED:
        if scoping.region is None or user.scope_region_id is None:
            return None
        lookup = _region_lookup(scoping.region)
        q = None
        if REGION in links:
            q = Q(**{f"{lookup}__startswith": user.scope_region.path})
        if scoping.ancestors_visible and ANCESTORS in links:
            q = _either(q, Q(**{f"{lookup}__in": user.scope_region.ancestor_paths()}))
        if scoping.region_reach and REGION_REACH in links:
            # A subquery rather than a join, so a row reached several ways is listed once.
            reached = model._default_manager.filter(
                **{f"{scoping.region_reach}__path__startswith": user.scope_region.path}
            ).values("pk")
            q = _either(q, Q(pk__in=reached))
        return q
    if role in ORGANISATION_SCOPED:
        if user.organisation_id is None:
            return None
        q = None
        if scoping.organisation and ORGANISATION in links:
            lookup = "pk" if scoping.organisation == "self" else f"{scoping.organisation}_id"
            q = Q(**{lookup: user.organisation_id})
        if scoping.organisation_reach and role in scoping.reach_roles and ORGANISATION_REACH in links:
            q = _either(q, Q(**{f"{scoping.organisation_reach}_id__in": _served_communities(user)}))
        if ORGANISATION_LINKS in links:
            for path, roles in scoping.organisation_links:
                if role in roles:
                    # A subquery rather than a join, so a row linked several times is listed once.
                    linked = model._default_manager.filter(**{f"{path}_id": user.organisation_id}).values("pk")
                    q = _either(q, Q(pk__in=linked))
        return q
    if role in PERSON_SCOPED:
        if scoping.person is None or PERSON not in links:
            return None
        elder_ids = user.linked_elder_ids()
        lookup = "pk" if scoping.person == "pk" else f"{scoping.person}_id"
        return Q(**{f"{lookup}__in": elder_ids})
    return None


def _contracted_filter(user, model, scoping: Scoping, links) -> Q | None:
    """Region-scoped staff who work for an organisation are a contractor's staff (a third-party inspection
    agency's inspectors): they reach only the rows assigned to their organisation, through the model's
    `organisation_links` naming their role, and of those only the ones inside their region subtree. Every
    other row of the region stays out of reach, in every app, whatever the role's capabilities."""
    if ORGANISATION_LINKS not in links:
        return None
    q = None
    for path, roles in scoping.organisation_links:
        if user.role in roles:
            linked = model._default_manager.filter(**{f"{path}_id": user.organisation_id}).values("pk")
            q = _either(q, Q(pk__in=linked))
    if q is None:
        return None
    if scoping.region is None or user.scope_region_id is None:
        return None
    return q & Q(**{f"{_region_lookup(scoping.region)}__startswith": user.scope_region.path})


def visible_to(user, model_or_queryset, action: str = VIEW, via: str | None = None) -> models.QuerySet:
    """Everything of this model (or queryset) that `user` may see (`action="view"`) or change
    (`action="change"`). The only way lists are built and write scopes are checked."""
    if isinstance(model_or_queryset, models.QuerySet):
        queryset, model = model_or_queryset, model_or_queryset.model
    else:
        model = model_or_queryset
        queryset = model._default_manager.all()
    q = scope_filter(user, model, action, via)
    if q is None:
        return queryset.none()
    return queryset.filter(q)


def is_visible(user, obj, action: str = VIEW, via: str | None = None) -> bool:
    return visible_to(user, obj.__class__, action, via).filter(pk=obj.pk).exists()


def require_change(user, obj, message: str | None = None) -> None:
    """Refuse (403) unless `user` may change `obj`. No user means the system acting on its own behalf."""
    if user is not None and not is_visible(user, obj, CHANGE):
        raise PermissionDenied(message or _("该记录不在您的管辖范围内。"))


def acts_for(user, obj) -> bool:
    """Whether `user` works for the organisation `obj` belongs to (its `organisation` link): the
    "own organisation only" rule. Region staff, elders and superusers work for no organisation."""
    return user is not None and is_visible(user, obj, CHANGE, via=ORGANISATION)


def require_own_organisation(user, obj, message: str | None = None) -> None:
    """Someone who works for an organisation acts only on its own rows (403 otherwise). Users without an
    organisation are not limited here: their region scope bounds the rows they reach."""
    if user is None or not getattr(user, "organisation_id", None):
        return
    if not acts_for(user, obj):
        raise PermissionDenied(message or _("只能处理本机构的记录。"))


def region_of(obj):
    """The region a row belongs to, derived from its Scoping: its region, else its organisation's, else its
    elder's. None when the row declares none of them (or leaves them empty)."""
    scoping = getattr(obj.__class__, "scoping", None)
    if not isinstance(scoping, Scoping):
        return None
    if scoping.region:
        region = obj if scoping.region == "self" else _follow(obj, scoping.region)
        if region is not None:
            return region
    if scoping.organisation:
        organisation = obj if scoping.organisation == "self" else _follow(obj, scoping.organisation)
        if organisation is not None and organisation is not obj:
            return region_of(organisation)
    if scoping.person:
        elder = obj if scoping.person == "pk" else _follow(obj, scoping.person)
        if elder is not None and elder is not obj:
            return region_of(elder)
    return None


def _follow(obj, path: str):
    """The object at the end of a forward `a__b__c` path, or None where a link is empty. A path through a
    many-valued relation has no single end, and gives None."""
    for name in path.split("__"):
        if obj is None:
            return None
        try:
            obj = getattr(obj, name)
        except models.ObjectDoesNotExist:
            return None
        if isinstance(obj, models.Manager):
            return None
    return obj
