"""Data isolation by construction: one `visible_to(user, ...)` for every list, detail, form, export and API.

A scoped model declares how it belongs to the region tree, to an organisation and/or to an elder:

    class Elder(models.Model):
        scoping = Scoping(region="community", person="pk", organisation_reach="community")

* region-scoped roles (district, street, community, operator, inspector) see rows whose region lies in
  their region subtree (materialised path prefix);
* organisation-scoped roles (provider, caregiver, assessor) see rows of their own organisation, and —
  where the model declares `organisation_reach` and the role is listed in `reach_roles` — rows in the
  communities their organisation serves;
* elders and family see rows that belong to the elders they are linked to.

A model without a `scoping` declaration cannot be listed through this function at all: an undeclared
model is a programming error, not an open door.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q

from .roles import ORGANISATION_SCOPED, PERSON_SCOPED, REGION_SCOPED, Role


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
    # is (path, roles); the row is visible when the path leads to the user's own organisation.
    organisation_links: tuple = ()


def scoping_of(model) -> Scoping:
    scoping = getattr(model, "scoping", None)
    if not isinstance(scoping, Scoping):
        raise ImproperlyConfigured(f"{model.__name__} declares no Scoping; it cannot be shown to anyone")
    return scoping


def _region_lookup(path: str) -> str:
    return "path" if path == "self" else f"{path}__path"


def scope_filter(user, model) -> Q | None:
    """The Q a queryset of `model` is filtered with for `user`; None means nothing is visible."""
    scoping = scoping_of(model)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    if scoping.readable_by_all:
        return Q()
    role = user.role
    if role in REGION_SCOPED:
        if scoping.region is None or user.scope_region_id is None:
            return None
        lookup = _region_lookup(scoping.region)
        q = Q(**{f"{lookup}__startswith": user.scope_region.path})
        if scoping.ancestors_visible:
            q |= Q(**{f"{lookup}__in": user.scope_region.ancestor_paths()})
        if scoping.region_reach:
            # A subquery rather than a join, so a row reached several ways is listed once.
            reached = model._default_manager.filter(
                **{f"{scoping.region_reach}__path__startswith": user.scope_region.path}
            ).values("pk")
            q |= Q(pk__in=reached)
        return q
    if role in ORGANISATION_SCOPED:
        if user.organisation_id is None:
            return None
        q = None
        if scoping.organisation:
            lookup = "pk" if scoping.organisation == "self" else f"{scoping.organisation}_id"
            q = Q(**{lookup: user.organisation_id})
        if scoping.organisation_reach and role in scoping.reach_roles:
            from carecircle.providers.selectors import served_community_ids

            reach = Q(**{f"{scoping.organisation_reach}_id__in": served_community_ids(user.organisation_id)})
            q = reach if q is None else q | reach
        for path, roles in scoping.organisation_links:
            if role in roles:
                # A subquery rather than a join, so a row linked several times is listed once.
                linked = model._default_manager.filter(**{f"{path}_id": user.organisation_id}).values("pk")
                q = Q(pk__in=linked) if q is None else q | Q(pk__in=linked)
        return q
    if role in PERSON_SCOPED:
        if scoping.person is None:
            return None
        elder_ids = user.linked_elder_ids()
        lookup = "pk" if scoping.person == "pk" else f"{scoping.person}_id"
        return Q(**{f"{lookup}__in": elder_ids})
    return None


def visible_to(user, model_or_queryset) -> models.QuerySet:
    """Everything of this model (or queryset) that `user` may see. The only way lists are built."""
    if isinstance(model_or_queryset, models.QuerySet):
        queryset, model = model_or_queryset, model_or_queryset.model
    else:
        model = model_or_queryset
        queryset = model._default_manager.all()
    q = scope_filter(user, model)
    if q is None:
        return queryset.none()
    return queryset.filter(q)


def is_visible(user, obj) -> bool:
    return visible_to(user, type(obj)).filter(pk=obj.pk).exists()
