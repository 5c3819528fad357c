"""The kernel's way to the region tree, which belongs to the regions app.

The kernel never imports that app: the region model is the one its own models point at (the `region` key
of PolicyParameter, declared as "regions.Region"), and scoped reads of the tree go through the functions
the owning app declares in its plugin.py (`AppPlugin.region_tree`).
"""
from .plugins import registry


def region_model():
    from .models import PolicyParameter

    return PolicyParameter._meta.get_field("region").related_model


def regions_in_scope(*, user, kinds: list[str] | None = None):
    return registry.region_tree().in_scope(user=user, kinds=kinds)


def scope_root(user):
    return registry.region_tree().scope_root(user)
