"""Downloads of the statements and the elder's bill page.

Every object comes from a selector (so through visible_to): a provider reaches its own claims, street staff
the lines of their street, an elder or a family member the bills of the elders they are linked to; anything
else answers 404. Every file is recorded in the audit trail (record_export) before it leaves.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.views import generic

from carecircle.core import exports
from carecircle.core.isolation import visible_to
from carecircle.core.roles import PERSON_SCOPED
from carecircle.core.validators import parse_month
from carecircle.core.views import CapabilityRequiredMixin, ScopedDetailView
from carecircle.elders.models import Elder

from . import selectors, statements
from .models import Claim, SettlementRun


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def month_of(value: str):
    """"2026-11" → 1 November 2026; anything else is a page that does not exist."""
    try:
        return parse_month(value)
    except ValidationError:
        raise Http404


class ClaimStatementView(ScopedDetailView):
    """The provider's statement of one claim, as XLSX or PDF."""

    capability = "billing.export"
    model = Claim
    fmt = "xlsx"

    def get_base_queryset(self):
        return selectors.claims_for(self.request.user).select_related("run__region")

    def render_to_response(self, context, **response_kwargs):
        statement = statements.claim_statement(self.request.user, self.object)
        if self.fmt == "pdf":
            content, content_type = statements.claim_statement_pdf(statement), statements.PDF_TYPE
        else:
            content, content_type = statements.claim_statement_xlsx(statement), statements.XLSX_TYPE
        exports.record_export(actor=self.request.user, what="billing.statement", rows=len(statement.lines),
                              fmt=self.fmt, request=self.request, subject=self.object,
                              columns=statements.statement_columns())
        return _download(content, content_type, f"{statement.filename_stem}.{self.fmt}")


class RunSummaryView(ScopedDetailView):
    """The district summary of a run: by programme, by street, by provider, the subsidies by budget source."""

    capability = "billing.export"
    model = SettlementRun

    def get_base_queryset(self):
        return selectors.runs_for(self.request.user)

    def render_to_response(self, context, **response_kwargs):
        run = self.object
        summary = selectors.district_summary(self.request.user, run)
        content = statements.district_summary_xlsx(summary)
        rows = len(summary["by_programme"]) + len(summary["by_street"]) + len(summary["by_provider"])
        exports.record_export(actor=self.request.user, what="billing.summary", rows=rows, fmt="xlsx",
                              request=self.request, subject=run, columns=statements.summary_columns())
        return _download(content, statements.XLSX_TYPE,
                         f"settlement-summary-{run.region.code}-{statements.month_text(run.month)}.xlsx")


class FundFileView(ScopedDetailView):
    """The fund's claim file of a run: the long-term care insurance lines the fund pays a part of."""

    capability = "billing.export"
    model = SettlementRun

    def get_base_queryset(self):
        return selectors.runs_for(self.request.user)

    def render_to_response(self, context, **response_kwargs):
        run = self.object
        lines = statements.fund_lines(self.request.user, run)
        content, count = statements.fund_file_xlsx(self.request.user, run, lines)
        exports.record_export(actor=self.request.user, what="billing.fundfile", rows=count, fmt="xlsx",
                              request=self.request, subject=run, columns=statements.fund_columns())
        return _download(content, statements.XLSX_TYPE,
                         f"ltci-claim-{run.region.code}-{statements.month_text(run.month)}.xlsx")


class BillMixin(CapabilityRequiredMixin):
    """An elder the user is linked to (404 otherwise) and a month written YYYY-MM (404 otherwise). A page of the
    elder and their family: staff read the claims and the district's files instead."""

    capability = "billing.bill"

    @cached_property
    def month(self):
        return month_of(self.kwargs["month"])

    @cached_property
    def elder(self):
        self.month  # noqa: B018 — a bad month is a 404 before anything is read
        return get_object_or_404(visible_to(self.request.user, Elder), pk=self.kwargs["elder_id"])

    def bill(self):
        return selectors.elder_bill(self.request.user, self.elder, self.month)


class BillView(BillMixin, generic.TemplateView):
    """The elder's monthly bill: big type, the amount to pay first, then each visit with its reasons."""

    template_name = "billing/bill.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"elder": self.elder, "bill": self.bill(), "month": self.month,
                        "person": self.request.user.role in PERSON_SCOPED,
                        "pdf_url": reverse("billing:bill-pdf", args=[self.elder.pk, f"{self.month:%Y-%m}"])})
        return context


class BillPdfView(BillMixin, generic.View):
    def get(self, request, *args, **kwargs):
        bill = self.bill()
        content = statements.elder_bill_pdf(bill)
        exports.record_export(actor=request.user, what="billing.bill", rows=len(bill["rows"]), fmt="pdf",
                              request=request, subject=self.elder,
                              filters={"month": statements.month_text(self.month)})
        return _download(content, statements.PDF_TYPE,
                         f"bill-{self.elder.pk}-{statements.month_text(self.month)}.pdf")
