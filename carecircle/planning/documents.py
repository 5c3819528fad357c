"""The yearly service guide as a printable PDF booklet (reportlab with the Adobe CID font STSong-Light, as
the other documents of the platform, so no font file is shipped)."""
from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def guide_pdf(*, title: str, sections) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A5
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    cover = ParagraphStyle("cover", fontName="STSong-Light", fontSize=24, leading=34, alignment=1, spaceAfter=16)
    street_style = ParagraphStyle("street", fontName="STSong-Light", fontSize=18, leading=26, spaceAfter=8)
    kind_style = ParagraphStyle("kind", fontName="STSong-Light", fontSize=15, leading=22, spaceBefore=6,
                                spaceAfter=4)
    name_style = ParagraphStyle("name", fontName="STSong-Light", fontSize=13, leading=20, spaceBefore=4)
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=12, leading=18, wordWrap="CJK",
                          leftIndent=8)

    def page_number(canvas, doc):
        canvas.setFont("STSong-Light", 10)
        canvas.drawCentredString(A5[0] / 2, 8 * mm, str(doc.page))

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A5, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                            bottomMargin=16 * mm, title=title)
    story = [Spacer(1, 60), Paragraph(escape(title), cover)]
    if not sections:
        story.append(Paragraph(escape(_("没有符合条件的设施")), body))
    for section in sections:
        story += [PageBreak(), Paragraph(escape(section.street.name), street_style)]
        for label, items in section.kinds:
            story.append(Paragraph(escape(label), kind_style))
            for f in items:
                story.append(Paragraph(escape(f.name), name_style))
                stars = (ngettext("服务质量评定：%(n)d 星", "服务质量评定：%(n)d 星", f.stars) % {"n": f.stars}
                         if f.stars else "")
                if stars:
                    story.append(Paragraph(escape(stars), body))
                lines = [(_("地址"), f.address), (_("开放时间"), f.opening_hours), (_("服务内容"), f.services),
                         (_("服务对象"), f.eligibility), (_("收费"), f.prices), (_("咨询电话"), f.phone)]
                for head, text in lines:
                    if text:
                        story.append(Paragraph(escape(_("%(head)s：%(text)s") % {"head": head, "text": text}), body))
    pdf.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buffer.getvalue()
