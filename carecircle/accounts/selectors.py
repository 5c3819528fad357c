"""Reads of the accounts app: a person's own API tokens and the region whose policy applies to what they do."""


def policy_region_for(user):
    """The region whose policy parameters apply to what a user does as such (not to a record they touch):
    their scope, else their organisation's region, else the top of the region tree."""
    from carecircle.regions.models import Region

    if user.scope_region_id:
        return user.scope_region
    if user.organisation_id and user.organisation.region_id:
        return user.organisation.region
    return Region.objects.filter(parent__isnull=True).order_by("path").first()


def api_tokens_of(*, user):
    """A person's own tokens, newest first; tokens belong to one person, never to a scope."""
    from .models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
