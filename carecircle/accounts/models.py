from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from carecircle.core.isolation import Scoping
from carecircle.core.roles import ORGANISATION_SCOPED, PERSON_SCOPED, REGION_SCOPED, STAFF_ROLES, Role


class User(AbstractUser):
    """A person who signs in. Each has exactly one role and the scope that role needs."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    scope_region = models.ForeignKey("regions.Region", verbose_name=_("管辖区域"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("所属机构"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="users")
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)

    scoping = Scoping(region="scope_region", organisation="organisation")

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.display_name or self.username

    def delete(self, *args, **kwargs):
        """Accounts are deactivated, never deleted, once they have acted: their audit trail must keep
        naming them. An account that never did anything (created by mistake) may still be removed."""
        from carecircle.core.models import AuditEvent

        history = AuditEvent.objects.filter(actor_id=self.pk)
        if self.pk is not None and history.exists():
            raise models.ProtectedError(
                _("用户“%(user)s”有操作记录，不能删除，只能停用（取消“有效”）；停用后无法登录，历史记录保留。")
                % {"user": self.get_username()}, set(history[:10]))
        return super().delete(*args, **kwargs)

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    def clean(self):
        super().clean()
        if self.is_superuser and not self.role:
            return
        if self.role in REGION_SCOPED and self.scope_region_id is None:
            raise ValidationError({"scope_region": _("该角色必须指定管辖区域")})
        if self.role in ORGANISATION_SCOPED and self.organisation_id is None:
            raise ValidationError({"organisation": _("该角色必须指定所属机构")})
        if self.role in PERSON_SCOPED and (self.scope_region_id or self.organisation_id):
            raise ValidationError({"role": _("老人和家属账号不能有管辖区域或机构")})

    def linked_elder_ids(self) -> list[int]:
        from carecircle.elders.models import ElderAccountLink

        return list(ElderAccountLink.objects.filter(user=self).values_list("elder_id", flat=True))

    @property
    def scope_label(self) -> str:
        if self.role in REGION_SCOPED and self.scope_region_id:
            return self.scope_region.name
        if self.role in ORGANISATION_SCOPED and self.organisation_id:
            return self.organisation.name
        return ""
