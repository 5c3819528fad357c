"""The written notices (受理通知书 and the rest): generated from one template, printable as HTML and PDF.

They carry the elder's masked data and the deciding office, taken from the timeline event that decided."""
from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.utils.translation import gettext_lazy


KINDS = {
    # kind: (title, the timeline actions that produce it)
    "acceptance": (gettext_lazy("受理通知书"), ("accept",)),
    "non_acceptance": (gettext_lazy("不予受理通知书"), ("not_accept",)),
    "correction": (gettext_lazy("补正通知书"), ("return_for_correction", "district_return_for_correction")),
    "assessment_task": (gettext_lazy("评估任务通知书"), ("order_assessment",)),
    "review_result": (gettext_lazy("审核结果通知书"), ("pass_district_review", "reject_district_review",
                                                    "reject_first_review")),
}


@dataclass
class NoticeDocument:
    kind: str
    title: str
    number: str
    elder_name: str
    elder_id: str
    community: str
    type_name: str
    office: str
    decided_at: object
    paragraphs: list[str]


def missing_documents(application) -> list[str]:
    """The documents the type needs that have not been received (as the application page marks them)."""
    return [d for d in application.type.documents if d not in application.documents_received]


def available_kinds(application, events) -> list[tuple[str, str]]:
    actions = {e.action for e in events}
    return [(kind, str(title)) for kind, (title, produced_by) in KINDS.items() if actions & set(produced_by)]


def build(application, kind: str, events) -> NoticeDocument | None:
    title, produced_by = KINDS[kind]
    event = next((e for e in reversed(list(events)) if e.action in produced_by), None)
    if event is None:
        return None
    elder = application.elder
    type_name = _(application.type.name)
    submitted = timezone.localtime(application.created_at).date()
    # The notice is handed to the applicant: it names the elder in full (the page around it is theirs or staff's).
    base = {"name": elder.name, "number": application.number, "type": type_name, "date": submitted}
    if kind == "acceptance":
        missing = missing_documents(application)
        if missing:
            body = [_("%(name)s：您于 %(date)s 提交的“%(type)s”申请（编号 %(number)s）现予受理。") % base,
                    _("尚缺以下材料，请尽快补交，补齐后才能完成审核：%(docs)s")
                    % {"docs": pgettext("list separator", "、").join(_(d) for d in missing)}]
        else:
            body = [_("%(name)s：您于 %(date)s 提交的“%(type)s”申请（编号 %(number)s）材料齐全，符合受理条件，现予受理。"
                      "我们将在规定期限内完成审核，请留意办理进度。") % base]
    elif kind == "non_acceptance":
        body = [_("%(name)s：您于 %(date)s 提交的“%(type)s”申请（编号 %(number)s）不予受理。") % base,
                _("理由：%(reason)s") % {"reason": event.reason}]
    elif kind == "correction":
        missing = missing_documents(application)
        body = [_("%(name)s：您提交的“%(type)s”申请（编号 %(number)s）需补正材料后再审核。") % base,
                _("需补正的内容：%(reason)s") % {"reason": event.reason}]
        if missing:
            body.append(_("尚未收到的材料：%(docs)s") % {"docs": pgettext("list separator", "、").join(_(d) for d in missing)})
    elif kind == "assessment_task":
        body = [_("%(name)s：您的“%(type)s”申请（编号 %(number)s）已通过审核，现派发评估任务。") % base,
                _("评估机构：%(agency)s。评估人员将与您联系，上门进行评估，请保持电话畅通。")
                % {"agency": application.assessment_agency.name if application.assessment_agency_id
                   else event.data.get("agency", "")}]
    else:
        passed = event.action == "pass_district_review"
        body = [_("%(name)s：您的“%(type)s”申请（编号 %(number)s）审核结果如下。") % base,
                _("审核结果：%(result)s") % {"result": _("通过") if passed else _("不通过")}]
        if event.reason:
            body.append(_("说明：%(reason)s") % {"reason": event.reason})
    body.append(_("如对本通知有异议，可自收到之日起向办理单位提出。"))
    return NoticeDocument(kind=kind, title=str(title), number=application.number, elder_name=elder.name,
                          elder_id=elder.id_number_masked, community=application.community.name, type_name=type_name,
                          office=event.office, decided_at=timezone.localtime(event.at), paragraphs=body)


def render_pdf(document: NoticeDocument) -> bytes:
    """A one-page A4 PDF. Chinese text uses the Adobe CID font STSong-Light (no font file needed)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from xml.sax.saxutils import escape

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    title = ParagraphStyle("title", fontName="STSong-Light", fontSize=20, leading=28, alignment=1, spaceAfter=12)
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=12, leading=20, wordWrap="CJK")
    right = ParagraphStyle("right", parent=body, alignment=2)
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
                            bottomMargin=25 * mm, title=document.title, author=document.office)
    story = [Paragraph(escape(document.title), title),
             Paragraph(escape(_("编号：%(number)s") % {"number": document.number}), right), Spacer(1, 6)]
    story.append(Paragraph(escape(_("老人：%(name)s　身份证号：%(id)s　社区：%(community)s")
                                  % {"name": document.elder_name, "id": document.elder_id,
                                     "community": document.community}), body))
    story.append(Spacer(1, 8))
    for paragraph in document.paragraphs:
        story.append(Paragraph(escape(paragraph), body))
        story.append(Spacer(1, 6))
    story.append(Spacer(1, 24))
    story.append(Paragraph(escape(document.office), right))
    story.append(Paragraph(escape(document.decided_at.strftime("%Y-%m-%d")), right))
    pdf.build(story)
    return buffer.getvalue()
