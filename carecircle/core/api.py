"""Base API classes: every list and detail goes through visible_to; writes need a capability."""
from rest_framework import permissions, viewsets

from .isolation import visible_to
from .roles import has_capability


class CapabilityPermission(permissions.BasePermission):
    """`view_capability` for reads, `change_capability` for writes, declared on the view."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        needed = view.view_capability if request.method in permissions.SAFE_METHODS else view.change_capability
        return needed is not None and has_capability(request.user, needed)


class ScopedViewSetMixin:
    """Use for every viewset over a scoped model; `get_queryset` is always narrowed to the user."""

    permission_classes = [permissions.IsAuthenticated, CapabilityPermission]
    view_capability: str | None = None
    change_capability: str | None = None
    base_queryset = None

    def get_queryset(self):
        queryset = self.base_queryset if self.base_queryset is not None else self.queryset
        return visible_to(self.request.user, queryset.all())


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "patch", "head", "options"]
