from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .roles import has_capability

# (label, url name, capability): the navigation a user sees is exactly what they may open.
# Chinese does not mark the plural: the "section" context lets English name a whole section in the
# plural ("Regions") while the same word labels a single field elsewhere ("Region").
NAVIGATION = [
    (_("工作台"), "accounts:home", None),
    (_("老人档案"), "elders:list", "elders.view"),
    (_("申请受理"), "intake:queue", "intake.queue"),
    (_("我的申请"), "intake:portal", "intake.apply"),
    (pgettext_lazy("section", "服务机构"), "providers:list", "providers.view"),
    (_("从业人员"), "providers:staff-list", "providers.view"),
    (_("服务目录"), "catalog:list", "catalog.view"),
    (_("照护计划"), "careplans:plan-list", "careplans.list"),
    (_("订单收件箱"), "careplans:inbox", "orders.answer"),
    (_("按需订单"), "careplans:order-list", "orders.list"),
    (_("工单"), "workorders:list", "workorders.view"),
    (_("我的服务"), "careplans:portal", "careplans.portal"),
    (_("派单看板"), "dispatch:board", "dispatch.view"),
    (_("我的一天"), "dispatch:my-day", "dispatch.my_day"),
    (_("能力评估"), "assessment:list", "assessment.view"),
    (pgettext_lazy("section", "区域"), "regions:list", "regions.view"),
    (_("政策参数"), "core:policy-list", "policy.view"),
    (_("审计日志"), "core:audit-list", "audit.view"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, name, capability in NAVIGATION:
        if capability is not None and not has_capability(user, capability):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url) and url != "/"})
    return {"nav_items": items}
