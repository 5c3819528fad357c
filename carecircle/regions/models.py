from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

from carecircle.core.isolation import Scoping


class RegionKind(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道/镇")
    COMMUNITY = "community", _("居委/村")


KIND_DEPTH = {RegionKind.CITY: 0, RegionKind.DISTRICT: 1, RegionKind.STREET: 2, RegionKind.COMMUNITY: 3}
PARENT_KIND = {RegionKind.DISTRICT: RegionKind.CITY, RegionKind.STREET: RegionKind.DISTRICT,
               RegionKind.COMMUNITY: RegionKind.STREET}


class Region(models.Model):
    """A node of city → district → street/town → community. `path` is the materialised chain of codes
    ("/310000/310104/310104003/"): a subtree is one indexed prefix query."""

    code = models.CharField(_("区划代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("层级"), max_length=20, choices=RegionKind.choices)
    parent = models.ForeignKey("self", verbose_name=_("上级区域"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    path = models.CharField(_("路径"), max_length=255, unique=True, editable=False)
    boundary = models.JSONField(_("边界（GeoJSON 多边形，WGS84）"), null=True, blank=True)
    centroid_lat = models.DecimalField(_("中心纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    centroid_lng = models.DecimalField(_("中心经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    scoping = Scoping(region="self", readable_by_all=True)

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]

    def __str__(self):
        return self.name

    def build_path(self) -> str:
        return f"{self.parent.path if self.parent else '/'}{self.code}/"

    def ancestor_paths(self) -> list[str]:
        codes = [c for c in self.path.strip("/").split("/") if c]
        return ["/" + "/".join(codes[:i]) + "/" for i in range(1, len(codes))]

    def ancestors(self):
        return Region.objects.filter(path__in=self.ancestor_paths()).order_by("path")

    def descendants(self, include_self=True):
        qs = Region.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    @property
    def full_name(self) -> str:
        return "".join(r.name for r in [*self.ancestors().exclude(kind=RegionKind.CITY), self])

    def save(self, *args, **kwargs):
        """Keeps the materialised paths true: when this region moves (new parent or code), every
        descendant's path is rewritten in the same transaction, in one UPDATE."""
        old_path = Region.objects.filter(pk=self.pk).values_list("path", flat=True).first() if self.pk else None
        self.path = self.build_path()
        if old_path and self.path != old_path and self.path.startswith(old_path):
            raise ValueError(f"{self.code}: a region cannot be moved below itself")
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and self.path != old_path:
                Region.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(self.path), Substr("path", len(old_path) + 1)))
