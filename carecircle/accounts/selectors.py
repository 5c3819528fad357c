"""What each role's workbench shows: counts of what is theirs to look at, all through visible_to."""
from django.utils import timezone

from carecircle.core.isolation import visible_to
from carecircle.core.roles import has_capability


def workbench_for(*, user) -> dict:
    from carecircle.elders.models import Elder, ElderStatus, HouseholdType
    from carecircle.providers.models import Organisation

    cards = []
    if has_capability(user, "elders.view"):
        elders = visible_to(user, Elder).filter(status=ElderStatus.ACTIVE)
        cards.append({"label": "elders", "count": elders.count(), "url_name": "elders:list"})
        cards.append({"label": "alone", "count": elders.filter(household_type=HouseholdType.ALONE).count(),
                      "url_name": "elders:list", "query": "household_type=alone"})
        today = timezone.localdate()
        eighty = today.replace(year=today.year - 80)
        cards.append({"label": "over80", "count": elders.filter(birth_date__lte=eighty).count(),
                      "url_name": "elders:list", "query": "age_min=80"})
    if has_capability(user, "providers.view"):
        cards.append({"label": "organisations", "count": visible_to(user, Organisation).count(),
                      "url_name": "providers:list"})
        from carecircle.core.policy import MissingPolicyParameter
        from carecircle.providers.selectors import certificates_expiring_count

        try:
            expiring = certificates_expiring_count(user=user)
        except MissingPolicyParameter:
            expiring = None  # the card says the warning period is not configured
        cards.append({"label": "certificates_expiring", "count": expiring if expiring is not None else "—",
                      "url_name": "providers:staff-list", "query": "certificate=expiring"})
    if has_capability(user, "intake.queue"):
        from carecircle.intake.selectors import open_application_count, overdue_count

        cards.append({"label": "applications_open", "count": open_application_count(user),
                      "url_name": "intake:queue", "query": "view=all"})
        cards.append({"label": "applications_overdue", "count": overdue_count(user),
                      "url_name": "intake:queue", "query": "view=all&overdue=on"})
    linked = []
    if user.role in {"elder", "family"}:
        linked = list(visible_to(user, Elder).select_related("community"))
    return {"cards": cards, "linked_elders": linked, "scope_label": user.scope_label}


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
