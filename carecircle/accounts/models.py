from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

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
        return self.shown_name

    @property
    def shown_name(self) -> str:
        """What pages call this account: the person's name when one is given, else the role and the place
        it works for, in the reader's language (a login name like "street_tianping" is not a name)."""
        if self.display_name:
            return self.display_name
        if self.role:
            scope = self.scope_label if (self.scope_region_id or self.organisation_id) else ""
            role = self.get_role_display()
            return pgettext("account name", "%(role)s（%(scope)s）") % {"role": role, "scope": scope} if scope \
                else str(role)
        return self.username

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

    def save(self, *args, **kwargs):
        # A key for the API must not outlive the password it was issued under, nor the account. Checked here,
        # not in one form, so the admin, the changepassword command and every service are covered alike.
        password_changed = self._password is not None and not self._state.adding
        super().save(*args, **kwargs)
        from . import services

        if password_changed:
            services.api_tokens_revoke_all(actor=None, user=self, reason=RevokeReason.PASSWORD_CHANGED)
        if not self.is_active:
            services.api_tokens_revoke_all(actor=None, user=self, reason=RevokeReason.DEACTIVATED)


class RevokeReason(models.TextChoices):
    BY_USER = "by_user", _("本人撤销")
    REFRESHED = "refreshed", _("已换新令牌")
    PASSWORD_CHANGED = "password_changed", _("密码已修改")
    TWO_FACTOR_RESET = "two_factor_reset", _("两步验证已重置")
    DEACTIVATED = "deactivated", _("账号已停用")


class ApiToken(models.Model):
    """A key an app, a device or a partner system signs in to the API with.

    Only a SHA-256 hash of the key is stored (the key is 256 random bits, so a fast hash is enough): a copy
    of the database does not let anyone call the API. The person sees the key once, when it is issued.
    Every token is the user's own: lists filter on the signed-in user, never on a scope.
    """

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("令牌开头"), max_length=8, editable=False)
    label = models.CharField(_("设备或应用"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("令牌撤销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("令牌撤销原因"), max_length=20, choices=RevokeReason.choices, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self):
        return f"{self.prefix}…"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired
