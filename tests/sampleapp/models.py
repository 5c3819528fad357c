from django.db import models

from carecircle.core.isolation import Scoping


class Note(models.Model):
    """A line written about an elder; visible where the elder is."""

    scoping = Scoping(region="elder__community", person="elder")

    elder = models.ForeignKey("elders.Elder", on_delete=models.PROTECT, related_name="+")
    text = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.text

    @property
    def audit_region(self):
        return self.elder.community
