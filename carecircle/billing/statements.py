"""The month's statements as files: the provider's statement of a claim (XLSX, PDF), the elder's monthly bill
(PDF, in big type), the district summary of a run (XLSX) and the fund's claim file of a run (XLSX).

Figures are read through the selectors (so through visible_to) and written as they are stored, Decimal yuan to
the fen; every total is the sum of the counted lines shown, so a file adds up to the claim or the run it is
about. Spreadsheet cells go through the shared writer that neutralises formulas; elders are named, never
identified by number or phone (the fund's file carries the masked ID number the fund matches on, nothing
more). PDFs use the Adobe CID font STSong-Light, as the other documents of the platform, so no font file is
shipped.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from carecircle.core import exports
from carecircle.core.isolation import visible_to
from carecircle.core.money import to_money

from . import selectors
from .models import ClaimLine, ClaimProgramme, LineStatus, Payer

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
MONEY_FORMAT = "0.00"
ZERO = Decimal("0.00")
PARTS = ("amount", "fund", "subsidy", "self_pay")
FONT = "STSong-Light"


def money(value) -> str:
    return f"{to_money(value or 0):.2f}"


def month_text(month) -> str:
    return f"{month:%Y-%m}"


def _totals(lines) -> dict:
    totals = {name: ZERO for name in PARTS}
    for line in lines:
        if line.status == LineStatus.COUNTED:
            for name in PARTS:
                totals[name] += getattr(line, name)
    return totals


def line_label(line) -> str:
    """What a line pays for: its service item, or the kind of line (a meal subsidy, a facility's month, an
    adjustment) with its note."""
    if line.item_id is not None:
        label = line.item.display_name
    else:
        label = line.get_kind_display()
    if line.kind in ("correction", "adjustment", "meals") and line.note:
        label = _("%(label)s（%(note)s）") % {"label": label, "note": line.note}
    return label


def line_state(line) -> str:
    """Counted, or rejected with the reviewer's reason."""
    if line.status == LineStatus.REJECTED and line.reject_reason:
        return _("已驳回：%(reason)s") % {"reason": line.reject_reason}
    return line.get_status_display()


# --------------------------------------------------------------------------------------------- the provider


@dataclass
class ClaimStatement:
    claim: object
    lines: list
    totals: dict
    rejected: int
    made_at: object = field(default_factory=timezone.now)

    @property
    def filename_stem(self) -> str:
        return f"statement-{self.claim.pk}-{month_text(self.claim.run.month)}"

    def facts(self) -> list[tuple[str, str]]:
        claim = self.claim
        return [(_("服务机构"), claim.organisation.name), (_("资金渠道"), claim.get_programme_display()),
                (_("月份"), month_text(claim.run.month)), (_("状态"), claim.get_status_display()),
                (_("生成时间"), timezone.localtime(self.made_at).strftime("%Y-%m-%d %H:%M"))]

    def payer_rows(self) -> list[tuple[str, Decimal]]:
        return [(str(Payer.FUND.label), self.totals["fund"]), (str(Payer.SUBSIDY.label), self.totals["subsidy"]),
                (str(Payer.SELF_PAY.label), self.totals["self_pay"]), (_("合计"), self.totals["amount"])]


def claim_statement(user, claim) -> ClaimStatement:
    """A claim's lines as the user may see them, with the totals of the counted ones by payer."""
    lines = list(selectors.lines_for(user, claim))
    return ClaimStatement(claim=claim, lines=lines, totals=_totals(lines),
                          rejected=sum(1 for line in lines if line.status == LineStatus.REJECTED))


def statement_columns() -> list[str]:
    return [_("服务日期"), _("老人"), _("服务项目"), _("数量"), _("单价"), _("金额"), _("基金支付"), _("政府补贴"),
            _("个人自付"), _("状态")]


def _statement_row(line) -> list:
    return [line.visit_date.isoformat() if line.visit_date else "", line.elder.name if line.elder_id else "",
            line_label(line), line.quantity, line.unit_price, line.amount, line.fund, line.subsidy, line.self_pay,
            line_state(line)]


# --------------------------------------------------------------------------------------------- XLSX


def _workbook():
    """A write-only workbook: rows are streamed to the file, so a district's month of lines fits in memory."""
    from openpyxl import Workbook

    return Workbook(write_only=True)


def _sheet(book, title: str, widths=()):
    """A new sheet (a name may not hold []:*?/\\ and is at most 31 characters) with its column widths, which a
    write-only sheet takes before its first row."""
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet("".join(c for c in str(title) if c not in "[]:*?/\\")[:31])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    return sheet


def _append(sheet, row, *, money_from: int | None = None, bold: bool = False) -> None:
    """One row through the shared writer (every text cell neutralised); numbers from column `money_from` (0-based)
    on shown with two places."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    values = exports.safe_row([str(value) if isinstance(value, Promise) else value for value in row])
    if money_from is not None or bold:
        cells = []
        for index, value in enumerate(values):
            is_money = money_from is not None and index >= money_from and isinstance(value, (int, Decimal))
            if not (is_money or bold) or value is None:
                cells.append(value)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            if is_money:
                cell.number_format = MONEY_FORMAT
            if bold:
                cell.font = Font(bold=True)
            cells.append(cell)
        values = cells
    exports.append_xlsx_row(sheet, values)


def _save(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def claim_statement_xlsx(statement: ClaimStatement) -> bytes:
    """One sheet: the claim's facts, its lines (rejected ones with their reason), the totals of the counted lines
    in the amount columns, then the totals by payer."""
    book = _workbook()
    sheet = _sheet(book, _("结算对账单"), [14, 12, 28, 8, 10, 12, 12, 12, 12, 30])
    _append(sheet, [_("结算对账单")], bold=True)
    for label, value in statement.facts():
        _append(sheet, [label, value])
    _append(sheet, [])
    _append(sheet, statement_columns(), bold=True)
    for line in statement.lines:
        _append(sheet, _statement_row(line), money_from=3)
    totals = statement.totals
    _append(sheet, [_("合计（不含已驳回）"), "", "", "", "", totals["amount"], totals["fund"], totals["subsidy"],
                    totals["self_pay"], ""], money_from=5, bold=True)
    _append(sheet, [])
    _append(sheet, [_("按付款方合计")], bold=True)
    for label, value in statement.payer_rows():
        _append(sheet, [label, value], money_from=1)
    if statement.rejected:
        _append(sheet, [])
        _append(sheet, [_("已驳回 %(n)d 条明细，不计入合计") % {"n": statement.rejected}])
    return _save(book)


def summary_columns() -> list[str]:
    return [_("名称"), _("金额"), _("基金支付"), _("政府补贴"), _("个人自付"), _("明细条数")]


def district_summary_xlsx(summary: dict) -> bytes:
    """The run by programme, by street and by provider (each sheet ends with the totals, which are the run's),
    and the month's subsidies by budget source."""
    run = summary["run"]
    totals = summary["totals"]
    book = _workbook()
    sheet = _sheet(book, _("概况"), [16, 24])
    _append(sheet, [_("月度结算汇总")], bold=True)
    for label, value in ((_("区"), run.region.name), (_("月份"), month_text(run.month)),
                         (_("状态"), run.get_status_display()),
                         (_("生成时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M"))):
        _append(sheet, [label, value])
    _append(sheet, [])
    for label, name in ((_("金额"), "total"), (_("基金支付"), "fund"), (_("政府补贴"), "subsidy"),
                        (_("个人自付"), "self_pay")):
        _append(sheet, [label, totals[name]], money_from=1)
    lines_total = sum(row["lines"] for row in summary["by_programme"])
    for title, rows in ((_("按资金渠道"), summary["by_programme"]), (_("按街道"), summary["by_street"]),
                        (_("按服务机构"), summary["by_provider"])):
        sheet = _sheet(book, title, [28, 14, 14, 14, 14, 10])
        _append(sheet, summary_columns(), bold=True)
        for row in rows:
            _append(sheet, [str(row["label"]) or _("未归属街道"), row["total"], row["fund"], row["subsidy"],
                            row["self_pay"], row["lines"]], money_from=1)
        _append(sheet, [_("合计"), totals["total"], totals["fund"], totals["subsidy"], totals["self_pay"],
                        lines_total], money_from=1, bold=True)
    sheet = _sheet(book, _("补贴预算来源"), [28, 14, 14, 14, 14])
    _append(sheet, [_("资金渠道"), _("政府补贴"), _("市级"), _("区级"), _("街道")], bold=True)
    sums = {name: ZERO for name in ("subsidy", "city", "district", "street")}
    for row in summary["budget"]:
        _append(sheet, [str(row["label"]), row["subsidy"], row["city"], row["district"], row["street"]], money_from=1)
        for name in sums:
            sums[name] += row[name]
    _append(sheet, [_("合计"), sums["subsidy"], sums["city"], sums["district"], sums["street"]], money_from=1,
            bold=True)
    return _save(book)


def fund_columns() -> list[str]:
    return [_("服务机构"), _("老人姓名"), _("身份证号（脱敏）"), _("服务日期"), _("工单号"), _("项目编码"), _("数量"),
            _("金额"), _("基金支付")]


def fund_lines(user, run):
    """The run's counted long-term care insurance lines the fund pays a part of, as the user may see them."""
    return (visible_to(user, ClaimLine)
            .filter(claim__run=run, claim__programme=ClaimProgramme.LTCI, status=LineStatus.COUNTED, fund__gt=0)
            .select_related("claim__organisation", "elder", "item")
            .order_by("claim__organisation__name", "elder__name", "elder_id", "visit_date", "id"))


def fund_file_xlsx(user, run, lines) -> tuple[bytes, int]:
    """The fund's claim file: one row per line, a totals row; the ID number masked as everywhere (first 6 and last 4
    characters, never with the birth date beside it). Returns the file and the number of lines."""
    book = _workbook()
    sheet = _sheet(book, _("长护险基金申报"), [24, 12, 22, 12, 10, 18, 8, 12, 12])
    _append(sheet, fund_columns(), bold=True)
    masked = {}
    count, amount, fund = 0, ZERO, ZERO
    for line in lines.iterator(chunk_size=2000):
        elder = line.elder
        if elder is not None and elder.pk not in masked:
            masked[elder.pk] = elder.id_number_masked
        _append(sheet, [line.claim.organisation.name, elder.name if elder else "",
                        masked.get(elder.pk, "") if elder else "",
                        line.visit_date.isoformat() if line.visit_date else "",
                        line.work_order_id or "", line.item.code if line.item_id else "", line.quantity, line.amount,
                        line.fund], money_from=6)
        count += 1
        amount += line.amount
        fund += line.fund
    _append(sheet, [_("合计"), "", "", "", "", "", "", amount, fund], money_from=7, bold=True)
    return _save(book), count


# --------------------------------------------------------------------------------------------- PDF


def _font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _page_number(pagesize):
    from reportlab.lib.units import mm

    def draw(canvas, doc):
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(pagesize[0] / 2, 8 * mm, str(doc.page))

    return draw


def claim_statement_pdf(statement: ClaimStatement) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _font()
    pagesize = landscape(A4)
    title_style = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26, alignment=1, spaceAfter=8)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=11, wordWrap="CJK")
    title = _("结算对账单")

    def wrap(text, fits: int):
        # A paragraph wraps a long text inside its cell; a short one is drawn as it is (much faster: a provider's
        # month may have thousands of lines).
        return Paragraph(escape(text), cell) if len(text) > fits else text

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=15 * mm, title=title)
    story = [Paragraph(escape(title), title_style)]
    story.append(Paragraph(escape("　".join(_("%(label)s：%(value)s") % {"label": label, "value": value}
                                           for label, value in statement.facts())), body))
    story.append(Spacer(1, 6))
    header = statement_columns()
    rows = []
    for line in statement.lines:
        row = _statement_row(line)
        rows.append([row[0], wrap(row[1], 7), wrap(row[2], 17), str(row[3]), *[money(v) for v in row[4:9]],
                     wrap(row[9], 15)])
    totals = statement.totals
    rows.append([_("合计（不含已驳回）"), "", "", "", "", money(totals["amount"]), money(totals["fund"]),
                 money(totals["subsidy"]), money(totals["self_pay"]), ""])
    widths = [22 * mm, 24 * mm, 56 * mm, 14 * mm, 20 * mm, 22 * mm, 22 * mm, 22 * mm, 22 * mm, 49 * mm]
    style = [("FONT", (0, 0), (-1, -1), FONT, 8), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")), ("ALIGN", (3, 1), (8, -1), "RIGHT"),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    # Tables of a few dozen rows, each with the heading: reportlab splits one long table across pages by measuring
    # what is left again at every page, which grows with the square of a provider's month.
    chunk = 40
    for start in range(0, len(rows), chunk):
        part = Table([header, *rows[start:start + chunk]], colWidths=widths, repeatRows=1)
        last = start + chunk >= len(rows)
        part.setStyle(TableStyle(style + ([("SPAN", (0, -1), (4, -1)),
                                           ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#eeeeee"))]
                                          if last else [])))
        story.append(part)
    story.append(Spacer(1, 10))
    payer = Table([[label, money(value)] for label, value in statement.payer_rows()], colWidths=[40 * mm, 30 * mm],
                  hAlign="LEFT")
    payer.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 10), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("ALIGN", (1, 0), (1, -1), "RIGHT")]))
    story += [Paragraph(escape(_("按付款方合计")), body), payer]
    if statement.rejected:
        story.append(Paragraph(escape(_("已驳回 %(n)d 条明细，不计入合计") % {"n": statement.rejected}), body))
    pdf.build(story, onFirstPage=_page_number(pagesize), onLaterPages=_page_number(pagesize))
    return buffer.getvalue()


def elder_bill_pdf(bill: dict) -> bytes:
    """The elder's month in big type: each visit with what it cost, what the fund and the subsidy paid, what the
    elder pays and why; the month's totals first and last."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _font()
    elder, month = bill["elder"], bill["month"]
    title_style = ParagraphStyle("title", fontName=FONT, fontSize=24, leading=34, alignment=1, spaceAfter=10)
    big = ParagraphStyle("big", fontName=FONT, fontSize=18, leading=28, wordWrap="CJK")
    head = ParagraphStyle("head", parent=big, fontSize=20, leading=30, spaceBefore=10)
    rule = ParagraphStyle("rule", fontName=FONT, fontSize=14, leading=22, wordWrap="CJK", leftIndent=10)
    title = _("%(name)s %(year)d年%(month)d月服务账单") % {"name": elder.name, "year": month.year,
                                                         "month": month.month}
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=title)

    def totals_table():
        table = Table([[_("服务金额"), _("%(v)s 元") % {"v": money(bill["total"])}],
                       [_("长护险基金支付"), _("%(v)s 元") % {"v": money(bill["fund"])}],
                       [_("政府补贴"), _("%(v)s 元") % {"v": money(bill["subsidy"])}],
                       [_("您需自付"), _("%(v)s 元") % {"v": money(bill["self_pay"])}]],
                      colWidths=[70 * mm, 70 * mm], hAlign="LEFT")
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 18), ("LEADING", (0, 0), (-1, -1), 26),
                                   ("GRID", (0, 0), (-1, -1), 1, colors.black), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                                   ("FONT", (0, -1), (-1, -1), FONT, 22), ("LEADING", (0, -1), (-1, -1), 30),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        return table

    story = [Paragraph(escape(title), title_style), totals_table(), Spacer(1, 8)]
    if not bill["rows"]:
        story.append(Paragraph(escape(_("本月没有需要结算的服务。")), big))
    for row in bill["rows"]:
        line = row["line"]
        block = [Paragraph(escape(_("%(date)s　%(service)s") % {
            "date": line.visit_date.isoformat() if line.visit_date else "", "service": line_label(line)}), head),
            Paragraph(escape(_("金额 %(amount)s 元；长护险基金支付 %(fund)s 元；政府补贴 %(subsidy)s 元；"
                               "您自付 %(self_pay)s 元") % {k: money(getattr(line, k)) for k in PARTS}), big)]
        block += [Paragraph(escape("· " + sentence), rule) for sentence in row["rules"]]
        story.append(KeepTogether(block))
    story += [Spacer(1, 12), KeepTogether([Paragraph(escape(_("本月合计")), head), totals_table()])]
    pdf.build(story, onFirstPage=_page_number(A4), onLaterPages=_page_number(A4))
    return buffer.getvalue()
