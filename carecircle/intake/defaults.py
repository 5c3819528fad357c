"""The application types a district starts with (each can be changed per region afterwards)."""
from django.db import transaction
from django.utils.translation import gettext_noop

from carecircle.core import audit

from .models import ApplicationType, Programme

DEFAULT_TYPES = [
    dict(code="ltci-home", name=gettext_noop("长护险居家照护"), programme=Programme.LTCI, requires_assessment=True,
         public_notice=True, waitlist=False, sort_order=1,
         documents=[gettext_noop("身份证"), gettext_noop("医保卡"), gettext_noop("长期护理保险需求评估申请表"),
                    gettext_noop("病历或诊断证明")]),
    dict(code="gov-purchase", name=gettext_noop("政府购买居家养老服务"), programme=Programme.GOV_PURCHASE,
         requires_assessment=True, public_notice=True, waitlist=True, capacity=200, sort_order=2,
         documents=[gettext_noop("身份证"), gettext_noop("户口簿"), gettext_noop("低保、特困或低收入证明"),
                    gettext_noop("居家养老服务申请表")]),
    dict(code="institution", name=gettext_noop("机构入住轮候"), programme=Programme.INSTITUTION,
         requires_assessment=True, public_notice=True, waitlist=True, capacity=120, sort_order=3,
         documents=[gettext_noop("身份证"), gettext_noop("户口簿"), gettext_noop("体检报告"),
                    gettext_noop("入住申请表")]),
    dict(code="call-device", name=gettext_noop("一键通"), programme=Programme.DEVICE, requires_assessment=False,
         public_notice=False, waitlist=False, sort_order=4,
         documents=[gettext_noop("身份证"), gettext_noop("紧急联系人信息")]),
    dict(code="age-allowance", name=gettext_noop("高龄津贴"), programme=Programme.AGE_ALLOWANCE,
         requires_assessment=False, public_notice=True, waitlist=False, sort_order=5,
         documents=[gettext_noop("身份证"), gettext_noop("户口簿"), gettext_noop("银行卡")]),
]


@transaction.atomic
def application_types_seed(*, region, actor=None) -> list[ApplicationType]:
    """Create the default types for a region (a district); types it already has are left as they are."""
    result = []
    for spec in DEFAULT_TYPES:
        row, created = ApplicationType.objects.get_or_create(region=region, code=spec["code"], defaults=spec)
        if created:
            audit.record(actor=actor, action="intake.type_created", subject=row, region=region,
                         changes=audit.snapshot(row))
        result.append(row)
    return result
