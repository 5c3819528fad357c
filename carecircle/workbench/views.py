from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from carecircle.core.roles import PERSON_SCOPED

from . import selectors


@login_required
def home(request):
    """Each role lands on its own workbench; elders and family on their own big-type page."""
    if request.user.role in PERSON_SCOPED:
        return render(request, "workbench/home_person.html", selectors.portal_for(user=request.user, request=request))
    return render(request, "workbench/home.html", selectors.workbench_for(user=request.user))
