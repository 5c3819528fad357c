from django.urls import NoReverseMatch, reverse

from .plugins import registry
from .roles import has_capability


def navigation(request):
    """The menu every app declares in its plugin.py, in `order`: a user sees exactly what they may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for entry in registry.navigation():
        if entry.capability is not None and not has_capability(user, entry.capability):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": entry.label, "url": url, "active": request.path.startswith(url) and url != "/"})
    return {"nav_items": items}
