from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render

from carecircle.core.roles import PERSON_SCOPED, has_capability

from . import selectors


@login_required
def home(request):
    """Each role lands on its own workbench; elders and family on their own big-type page."""
    if request.user.role in PERSON_SCOPED:
        return render(request, "workbench/home_person.html", selectors.portal_for(user=request.user, request=request))
    context = selectors.workbench_for(user=request.user)
    context["show_trends"] = has_capability(request.user, "workbench.trends")
    return render(request, "workbench/home.html", context)


@login_required
def trends(request):
    """The monthly counts behind the district's trend chart (the chart's script reads them)."""
    if not has_capability(request.user, "workbench.trends"):
        raise PermissionDenied
    return JsonResponse(selectors.trends_for(user=request.user))
