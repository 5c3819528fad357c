"""整改意见书 as a printable PDF (reportlab, the Adobe CID font STSong-Light, so no font file is shipped)."""
from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _


def item_label(inspection, code: str) -> str:
    """The words of a checklist item or hazard situation, in the reader's language; "" when none."""
    from django.utils.translation import get_language

    from .selectors import hazard_items

    english = (get_language() or "").startswith("en")
    for part in inspection.scheme.data["parts"]:
        for item in part["items"]:
            if item["code"] == code:
                return item["text_en"] if english else item["text_zh"]
    for item in hazard_items(inspection.scheme):
        if item["code"] == code:
            return item["text_en"] if english else item["text_zh"]
    return ""


def render_pdf(notice) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    title_style = ParagraphStyle("title", fontName="STSong-Light", fontSize=20, leading=28, alignment=1,
                                 spaceAfter=12)
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=12, leading=20, wordWrap="CJK")
    right = ParagraphStyle("right", parent=body, alignment=2)
    inspection = notice.inspection
    facility = notice.facility
    title = _("整改意见书")
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
                            bottomMargin=25 * mm, title=title)
    story = [Paragraph(escape(title), title_style),
             Paragraph(escape(_("编号：%(number)s") % {"number": notice.number}), right), Spacer(1, 6),
             Paragraph(escape(_("%(organisation)s（%(facility)s）：") % {
                 "organisation": facility.organisation.name, "facility": facility.name}), body),
             Paragraph(escape(_("%(date)s 对你单位进行了%(kind)s，发现以下问题，请在规定期限内整改，并将整改情况及材料"
                                "通过平台提交，逾期未整改或整改不到位的，将视情况予以约谈、通报、降级或撤销等级、取消运营补贴。")
                              % {"date": timezone.localtime(inspection.submitted_at).strftime("%Y-%m-%d")
                                 if inspection.submitted_at else "",
                                 "kind": inspection.get_kind_display()}), body),
             Spacer(1, 8)]
    for number, problem in enumerate(notice.problems.all(), start=1):
        label = item_label(inspection, problem.item_code) if problem.item_code else ""
        head = _("%(n)d. %(description)s") % {"n": number, "description": problem.description}
        if problem.hard_stop:
            head += _("（重大事故隐患）")
        story.append(Paragraph(escape(head), body))
        if label:
            story.append(Paragraph(escape(_("对应项目：%(label)s") % {"label": label}), body))
        story.append(Paragraph(escape(_("整改期限：%(days)d 个工作日，于 %(date)s 前完成") % {
            "days": problem.working_days, "date": problem.due_on.strftime("%Y-%m-%d")}), body))
        story.append(Spacer(1, 6))
    story.append(Spacer(1, 24))
    if inspection.manager_name:
        story.append(Paragraph(escape(_("被检查单位在场负责人：%(name)s") % {"name": inspection.manager_name}), body))
    story.append(Paragraph(escape(_("检查人员：%(name)s") % {"name": notice.issued_by}), right))
    story.append(Paragraph(escape(timezone.localtime(notice.issued_at).strftime("%Y-%m-%d")), right))
    pdf.build(story)
    return buffer.getvalue()
