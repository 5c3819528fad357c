"""Pages: canteens and their dishes and menus, the till (a tablet or phone at the counter), the receipt and its
refund, diner registration, the big-type menu for elders (and its printable form), and the monthly claims.
Views parse input, call a selector or a service and render; the rules live in the services."""
from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core.isolation import acts_for, visible_to
from carecircle.core.params import parse_id
from carecircle.core.policy import MissingPolicyParameter
from carecircle.core.roles import has_capability
from carecircle.core.validators import month_message
from carecircle.core.views import CapabilityRequiredMixin, ScopedCsvExportView, ScopedDetailView, ScopedListView
from carecircle.core.workflow import IllegalStep
from carecircle.elders import selectors as elder_selectors
from carecircle.elders.models import Elder

from . import selectors, services
from . import delivery
from .forms import (
    BookingForm, CanteenForm, ClaimReviewForm, ClaimSubmitForm, DinerRegisterForm, DishForm, MenuForm, RefundForm, RoundPlanForm,
    StopForm, TillForm, TopUpForm,
)
from .models import Canteen, DeliveryRound, DeliveryStop, Diner, Dish, MealClaim, MealTime, Sale
from .wording import class_label, rules_in_words


def _flash(request, error) -> None:
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    elif isinstance(error, (IllegalStep, MissingPolicyParameter)):
        messages.error(request, str(error))
    else:
        messages.error(request, str(error) or _("您没有执行此操作的权限。"))


class CanteenListView(ScopedListView):
    capability = "meals.view"
    model = Canteen
    template_name = "meals/canteen_list.html"

    def get_base_queryset(self):
        return selectors.canteen_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = has_capability(self.request.user, "meals.manage")
        return context


class CanteenDetailView(ScopedDetailView):
    capability = "meals.view"
    model = Canteen
    template_name = "meals/canteen_detail.html"

    def get_base_queryset(self):
        return selectors.canteen_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, canteen = self.request.user, self.object
        today = timezone.localdate()
        staff = acts_for(user, canteen) or user.is_superuser
        context.update(
            dishes=selectors.canteen_dishes(user=user, canteen=canteen),
            menus=selectors.menu_list(user=user).filter(canteen=canteen, date__gte=today)[:21],
            sales=selectors.sale_list(user=user, canteen=canteen)[:20],
            stats=[{**row, "meal_label": MealTime(row["meal"]).label, "class_label": class_label(row["subsidy_class"])}
                   for row in selectors.meals_per_day(user=user, canteen=canteen, start=today - dt.timedelta(days=6),
                                                      end=today)],
            can_till=staff and has_capability(user, "meals.till"),
            can_manage=staff and has_capability(user, "meals.manage"),
            can_claim=staff and has_capability(user, "meals.claim"),
            can_edit=selectors.may_manage_canteen(user=user, canteen=canteen),
            capacity=[{"label": label, "capacity": canteen.capacity_for(meal),
                       "today": services.meals_taken(canteen, today, meal) if staff else None}
                      for meal, label in MealTime.choices],
            dish_form=DishForm(), claim_form=ClaimSubmitForm(),
            round_form=RoundPlanForm(initial={"date": today + dt.timedelta(days=1)}),
            rounds=selectors.round_list(user=user).filter(canteen=canteen, date__gte=today),
            bookings=selectors.booking_list(user=user).filter(canteen=canteen, date__gte=today)[:50],
            menu_form=MenuForm(dishes=selectors.canteen_dishes(user=user, canteen=canteen, active_only=True)),
        )
        return context


class CanteenCreateView(CapabilityRequiredMixin, generic.View):
    """Open a canteen or meal point on a facility of the providers register the user may change."""

    capability = "meals.manage"
    template_name = "meals/canteen_form.html"

    def _form(self, data=None):
        user = self.request.user
        return CanteenForm(data, facilities=selectors.canteen_facilities(user=user),
                           communities=selectors.delivery_communities(user=user))

    def get(self, request):
        return render(request, self.template_name, {"form": self._form(), "object": None})

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                canteen = services.canteen_create(actor=request.user, **data)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("长者食堂已开设。"))
                return redirect("meals:canteen-detail", canteen.pk)
        return render(request, self.template_name, {"form": form, "object": None}, status=400)


class CanteenEditView(CapabilityRequiredMixin, generic.View):
    """Change a canteen's hours, seats, capacity per meal and delivery area, or stop its service."""

    capability = "meals.manage"
    model = Canteen
    template_name = "meals/canteen_form.html"

    @cached_property
    def canteen(self) -> Canteen:
        canteen = get_object_or_404(selectors.canteen_list(user=self.request.user), pk=self.kwargs["pk"])
        if not selectors.may_manage_canteen(user=self.request.user, canteen=canteen):
            raise PermissionDenied(_("只能修改本机构运营或本辖区的食堂。"))
        return canteen

    def _form(self, data=None):
        canteen = self.canteen
        initial = {name: getattr(canteen, name) for name in services.CANTEEN_NUMBERS}
        initial.update(opening_hours=canteen.opening_hours, is_active=canteen.is_active,
                       delivery_area=list(canteen.delivery_area.all()))
        return CanteenForm(data, initial=initial, editing=True,
                           communities=selectors.delivery_communities(user=self.request.user, canteen=canteen))

    def get(self, request, pk):
        return render(request, self.template_name, {"form": self._form(), "object": self.canteen})

    def post(self, request, pk):
        form = self._form(request.POST)
        if form.is_valid():
            try:
                services.canteen_update(actor=request.user, canteen=self.canteen, **form.cleaned_data)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("已保存。"))
                return redirect("meals:canteen-detail", self.canteen.pk)
        return render(request, self.template_name, {"form": form, "object": self.canteen}, status=400)


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


class CanteenActionMixin(CapabilityRequiredMixin):
    """Loads the canteen named in the URL through visible_to: another scope's canteen answers 404."""

    model = Canteen
    http_method_names = ["post"]

    @cached_property
    def canteen(self) -> Canteen:
        return get_object_or_404(selectors.canteen_list(user=self.request.user), pk=self.kwargs["pk"])

    def post(self, request, *args, **kwargs):
        try:
            self.act(request)
        except (ValidationError, IllegalStep, MissingPolicyParameter) as error:
            _flash(request, error)
        return redirect("meals:canteen-detail", self.canteen.pk)


class DishCreateView(CanteenActionMixin, generic.View):
    capability = "meals.manage"

    def act(self, request):
        form = DishForm(request.POST)
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        services.dish_create(actor=request.user, canteen=self.canteen, **form.cleaned_data)
        messages.success(request, _("菜品已添加。"))


class MenuPublishView(CanteenActionMixin, generic.View):
    capability = "meals.manage"

    def act(self, request):
        form = MenuForm(request.POST, dishes=selectors.canteen_dishes(user=request.user, canteen=self.canteen,
                                                                      active_only=True))
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        services.menu_publish(actor=request.user, canteen=self.canteen, date=form.cleaned_data["date"],
                              meal=form.cleaned_data["meal"], dishes=form.cleaned_data["dishes"])
        messages.success(request, _("菜单已发布。"))


class ClaimSubmitView(CanteenActionMixin, generic.View):
    capability = "meals.claim"

    def act(self, request):
        form = ClaimSubmitForm(request.POST)
        if not form.is_valid():
            raise ValidationError(month_message())
        claim = services.claim_submit(actor=request.user, canteen=self.canteen, month=form.cleaned_data["month"])
        messages.success(request, _("%(month)s 的补贴已申报：%(amount)s 元。") % {
            "month": claim.month.strftime("%Y-%m"), "amount": claim.subsidy + claim.delivery_subsidy})


class TillView(CapabilityRequiredMixin, generic.View):
    """The counter: identify the diner, choose dishes, see the split and the rules, take the payment."""

    capability = "meals.till"
    model = Canteen

    @cached_property
    def canteen(self) -> Canteen:
        canteen = get_object_or_404(selectors.canteen_list(user=self.request.user), pk=self.kwargs["pk"])
        if not (acts_for(self.request.user, canteen) or self.request.user.is_superuser):
            raise PermissionDenied(_("只能处理本机构运营的食堂。"))
        return canteen

    def _diner(self, params) -> Diner | None:
        diner_id = parse_id(params.get("diner", ""), name="diner")
        if diner_id is None:
            return None
        diner = services.diner_by_id(diner_id)
        if diner is None:
            raise Http404
        return diner

    def _lines(self, params, dishes):
        lines = []
        for dish in dishes:
            raw = (params.get(f"qty_{dish.pk}") or "").strip()
            if not raw or raw == "0":
                continue
            if not raw.isdigit():
                raise ValidationError(_("“%(dish)s”的数量必须是整数。") % {"dish": dish.name})
            lines.append((dish, int(raw)))
        return lines

    def render_till(self, request, *, diner=None, candidates=(), split=None, lines=(), form=None, status=200,
                    not_found=""):
        dishes = list(selectors.canteen_dishes(user=request.user, canteen=self.canteen, active_only=True))
        meal = (form.data.get("meal") if form is not None and form.is_bound else None) or services.meal_now()
        menu = self.canteen.menus.filter(date=timezone.localdate(), meal=meal, published_at__isnull=False).first()
        on_menu = set(menu.dishes.values_list("pk", flat=True)) if menu else set()
        quantities = {dish.pk: qty for dish, qty in lines}
        context = {
            "canteen": self.canteen, "diner": diner, "candidates": candidates, "not_found": not_found,
            "form": form or TillForm(initial={"meal": meal}),
            "dishes": [{"dish": d, "on_menu": d.pk in on_menu, "qty": quantities.get(d.pk, "")} for d in dishes],
            "split": split, "rules": rules_in_words([{"code": r.code, "params": r.params} for r in split.rules])
            if split else [], "class_label": class_label(split.subsidy_class) if split else "",
            "token": uuid.uuid4().hex,
        }
        return render(request, "meals/till.html", context, status=status)

    def get(self, request, *args, **kwargs):
        params = request.GET
        card, qr, name = (params.get(k, "").strip()[:64] for k in ("card", "qr", "name"))
        diner, candidates, not_found = self._diner(params), [], ""
        if card or qr:
            diner = services.find_diner(card=card, qr=qr)
            if diner is None:
                not_found = _("没有找到这张助餐卡或二维码：请核对，或按未登记就餐人原价结算。")
        elif name:
            candidates = list(selectors.till_diner_search(canteen=self.canteen, name=name))
            if not candidates:
                not_found = _("没有找到这个姓名的实名助餐老人。")
        return self.render_till(request, diner=diner, candidates=candidates, not_found=not_found)

    def top_up(self, request, diner):
        form = TopUpForm(request.POST)
        try:
            if diner is None:
                raise ValidationError(_("请先识别就餐人。"))
            if not form.is_valid():
                raise ValidationError(_("充值金额必须是不小于 0 的金额，最多两位小数。"))
            services.diner_top_up(actor=request.user, canteen=self.canteen, diner=diner,
                                  amount=form.cleaned_data["amount"])
        except ValidationError as error:
            _flash(request, error)
            return self.render_till(request, diner=diner, status=400)
        messages.success(request, _("已充值。"))
        return redirect(f"{request.path}?diner={diner.pk}")

    def post(self, request, *args, **kwargs):
        form = TillForm(request.POST)
        diner = self._diner(request.POST)
        if request.POST.get("action") == "top_up":
            return self.top_up(request, diner)
        dishes = selectors.canteen_dishes(user=request.user, canteen=self.canteen, active_only=True)
        try:
            lines = self._lines(request.POST, dishes)
        except ValidationError as error:
            _flash(request, error)
            return self.render_till(request, diner=diner, form=form, status=400)
        if not form.is_valid():
            return self.render_till(request, diner=diner, form=form, lines=lines, status=400)
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "pay":
                sale = services.checkout(actor=request.user, canteen=self.canteen, diner=diner, lines=lines,
                                         meal=data["meal"], mode=data["mode"], payment=data["payment"],
                                         idempotency_key=request.POST.get("token", ""))
                return redirect("meals:sale-detail", sale.pk)
            split = services.checkout_quote(actor=request.user, canteen=self.canteen, diner=diner, lines=lines,
                                            meal=data["meal"], mode=data["mode"])
        except (ValidationError, MissingPolicyParameter) as error:
            _flash(request, error)
            return self.render_till(request, diner=diner, form=form, lines=lines, status=400)
        return self.render_till(request, diner=diner, form=form, lines=lines, split=split)


class SaleDetailView(ScopedDetailView):
    """The receipt."""

    capability = "meals.view"
    model = Sale
    template_name = "meals/sale_detail.html"

    def get_base_queryset(self):
        return selectors.sale_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sale = self.object
        context.update(rules=rules_in_words(sale.rules), class_label=class_label(sale.subsidy_class),
                       can_refund=not sale.is_refund and not hasattr(sale, "refund")
                       and has_capability(self.request.user, "meals.till") and acts_for(self.request.user, sale),
                       refund_form=RefundForm())
        return context


class SaleRefundView(CapabilityRequiredMixin, generic.View):
    capability = "meals.till"
    model = Sale
    http_method_names = ["post"]

    def post(self, request, pk):
        sale = get_object_or_404(selectors.sale_list(user=request.user), pk=pk)
        form = RefundForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_("退款请填写原因。"))
            refund = services.sale_refund(actor=request.user, sale=sale, reason=form.cleaned_data["reason"])
        except (ValidationError, IllegalStep) as error:
            _flash(request, error)
            return redirect("meals:sale-detail", sale.pk)
        messages.success(request, _("已退款。"))
        return redirect("meals:sale-detail", refund.pk)


class DinerListView(ScopedListView):
    capability = "meals.view"
    model = Diner
    template_name = "meals/diner_list.html"

    def get_base_queryset(self):
        return selectors.diner_list(user=self.request.user, search=self.request.GET.get("q", "").strip()[:50])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["q"] = self.request.GET.get("q", "")
        context["can_register"] = has_capability(user, "meals.diners")
        return context


class DinerRegisterView(CapabilityRequiredMixin, generic.View):
    """Pick an elder of the register (the registry's own search, in the user's scope) and give a card."""

    capability = "meals.diners"

    def get(self, request):
        q = request.GET.get("q", "").strip()[:50]
        found, message = elder_selectors.elder_pick(request.user, q)
        enrolled = set(Diner.objects.filter(elder__in=found).values_list("elder_id", flat=True))
        return render(request, "meals/diner_register.html", {
            "q": q, "elders": [e for e in found if e.pk not in enrolled], "message": message,
            "form": DinerRegisterForm()})

    def post(self, request):
        elder_id = parse_id(request.POST.get("elder", ""), name="elder")
        elder = get_object_or_404(visible_to(request.user, Elder), pk=elder_id) if elder_id else None
        form = DinerRegisterForm(request.POST)
        if elder is None or not form.is_valid():
            messages.error(request, _("请选择老人并填写助餐卡号。"))
            return redirect("meals:diner-register")
        try:
            services.diner_register(actor=request.user, elder=elder, card_number=form.cleaned_data["card_number"])
        except ValidationError as error:
            _flash(request, error)
            return redirect("meals:diner-register")
        messages.success(request, _("%(name)s 已登记实名助餐。") % {"name": elder.name})
        return redirect("meals:diner-list")


class MenuBoardView(CapabilityRequiredMixin, generic.TemplateView):
    """This week's published menus in big type (elders and family), or as a printable sheet."""

    capability = "meals.menu"
    template_name = "meals/menu_board.html"
    printable = False

    def get_template_names(self):
        return ["meals/menu_print.html" if self.printable else self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        menus = list(selectors.published_menus(user=self.request.user, start=today))
        canteens: dict = {}
        for menu in menus:
            canteens.setdefault(menu.canteen, []).append(menu)
        context.update(canteens=list(canteens.items()), today=today, end=today + dt.timedelta(days=6))
        return context


class ClaimListView(ScopedListView):
    capability = "meals.view"
    model = MealClaim
    template_name = "meals/claim_list.html"

    def get_base_queryset(self):
        return selectors.claim_list(user=self.request.user)


class ClaimDetailView(ScopedDetailView):
    capability = "meals.view"
    model = MealClaim
    template_name = "meals/claim_detail.html"

    def get_base_queryset(self):
        return selectors.claim_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        claim = self.object
        context.update(
            classes=[{"label": class_label(cls), **row} for cls, row in claim.by_class.items()],
            total=claim.subsidy + claim.delivery_subsidy,
            can_review=has_capability(self.request.user, "meals.claims_review") and claim.status == "submitted",
            review_form=ClaimReviewForm())
        return context


class ClaimReviewView(CapabilityRequiredMixin, generic.View):
    capability = "meals.claims_review"
    model = MealClaim
    http_method_names = ["post"]

    def post(self, request, pk):
        claim = get_object_or_404(selectors.claim_list(user=request.user), pk=pk)
        form = ClaimReviewForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_("请选择审核结果。"))
            services.claim_review(actor=request.user, claim=claim, approve=form.cleaned_data["decision"] == "approve",
                                  note=form.cleaned_data["note"])
        except (ValidationError, IllegalStep) as error:
            _flash(request, error)
        else:
            messages.success(request, _("审核结果已保存。"))
        return redirect("meals:claim-detail", claim.pk)


class ClaimExportView(ScopedCsvExportView):
    """The claim's meals, one row per subsidised meal (and refund), with the diner and class: the list the
    district checks the claim against."""

    capability = "meals.view"
    model = Sale

    @cached_property
    def claim(self) -> MealClaim:
        return get_object_or_404(selectors.claim_list(user=self.request.user), pk=self.kwargs["pk"])

    @property
    def filename(self):
        return f"meal-claim-{self.claim.month:%Y-%m}.csv"

    @property
    def header(self):
        return [_("日期"), _("餐次"), _("老人"), _("补贴类别"), _("金额（元）"), _("助餐补贴（元）"), _("送餐补贴（元）"),
                _("个人支付（元）"), _("退款")]

    def export_subject(self):
        return self.claim

    def filter_queryset(self, queryset):
        return selectors.claim_sales(user=self.request.user, claim=self.claim)

    def rows(self, queryset):
        for sale in queryset.iterator(chunk_size=500):
            yield [sale.date.isoformat(), sale.get_meal_display(), sale.diner.elder.name if sale.diner else "",
                   class_label(sale.subsidy_class), sale.total, sale.subsidy, sale.delivery_subsidy, sale.self_pay,
                   _("是") if sale.refund_of_id else ""]


class RoundPlanView(CanteenActionMixin, generic.View):
    capability = "meals.manage"

    def act(self, request):
        form = RoundPlanForm(request.POST)
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        data = form.cleaned_data
        rounds, left_out = delivery.round_plan(
            actor=request.user, canteen=self.canteen, date=data["date"], meal=data["meal"],
            couriers=data["couriers"].replace("，", ",").split(","), capacity=data["capacity"])
        messages.success(request, _("已排出 %(n)s 条送餐路线。") % {"n": len(rounds)})
        for booking, reason in left_out:
            messages.warning(request, _("%(name)s 未排入：%(reason)s") % {"name": booking.diner.elder.name,
                                                                       "reason": reason})


class RoundDetailView(ScopedDetailView):
    """One courier's doors in order, to check off on a phone."""

    capability = "meals.view"
    model = DeliveryRound
    template_name = "meals/round_detail.html"

    def get_base_queryset(self):
        return selectors.round_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        stops = list(self.object.stops.select_related("booking__diner__elder__community", "booking__dish")
                     .order_by("sequence"))
        context["stops"] = stops
        context.update(self.map_data(stops))
        context["can_record"] = has_capability(user, "meals.till") and acts_for(user, self.object)
        return context


    def map_data(self, stops) -> dict:
        """The canteen and the doors in order for the map, with the base map to draw under them."""
        from carecircle.core import basemap

        facility = self.object.canteen.facility
        placed = [s for s in stops if s.booking.diner.elder.lat is not None and s.booking.diner.elder.lng is not None]
        communities = {s.booking.diner.elder.community for s in placed}
        regions = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": region.boundary, "properties": {"name": region.name}}
            for region in sorted(communities, key=lambda r: r.path) if region.boundary]}
        if facility.lat is None or facility.lng is None:
            return {"map_data": {"stops": []}, "missing": len(stops)}
        data = {"canteen": {"name": facility.name, "lat": float(facility.lat), "lng": float(facility.lng)},
                "stops": [{"sequence": s.sequence, "lat": float(s.booking.diner.elder.lat),
                           "lng": float(s.booking.diner.elder.lng),
                           "label": f"{s.sequence}. {s.booking.diner.elder.name} {s.eta:%H:%M}"} for s in placed],
                "regions": regions, "basemap": basemap.client_config()}
        return {"map_data": data, "missing": len(stops) - len(placed)}


class StopRecordView(CapabilityRequiredMixin, generic.View):
    capability = "meals.till"
    model = DeliveryStop
    http_method_names = ["post"]

    def post(self, request, pk):
        stop = get_object_or_404(selectors.stop_list(user=request.user), pk=pk)
        form = StopForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_("请选择已送达或未送达。"))
            delivery.stop_record(actor=request.user, stop=stop, delivered=form.cleaned_data["outcome"] == "delivered",
                                 reason=form.cleaned_data["reason"])
        except (ValidationError, IllegalStep, MissingPolicyParameter) as error:
            _flash(request, error)
        else:
            messages.success(request, _("已登记。"))
        return redirect("meals:round-detail", stop.round_id)


class BookingView(CapabilityRequiredMixin, generic.View):
    """Book a meal ahead (elders and family in big type; the hotline and community staff for an elder)."""

    capability = "meals.book"

    def _form(self, data=None):
        user = self.request.user
        diners = selectors.diner_list(user=user).filter(is_active=True, elder__status="active")
        dishes = Dish.objects.filter(canteen__in=selectors.menu_canteens(user=user), is_active=True).select_related(
            "canteen__facility").order_by("canteen", "name")
        form = BookingForm(data, diners=diners, dishes=dishes,
                           initial={"date": timezone.localdate() + dt.timedelta(days=1)})
        form.fields["dish"].label_from_instance = lambda d: f"{d.canteen.facility.name} · {d.name} · {d.price}"
        return form

    def get(self, request):
        return render(request, "meals/booking.html", {"form": self._form(),
                                                      "bookings": selectors.booking_list(user=request.user)
                                                      .filter(date__gte=timezone.localdate())[:20]})

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                delivery.booking_create(actor=request.user, diner=data["diner"], canteen=data["dish"].canteen,
                                        date=data["date"], meal=data["meal"], dish=data["dish"],
                                        quantity=data["quantity"], mode=data["mode"])
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("已预订。"))
                return redirect("meals:booking")
        return render(request, "meals/booking.html", {"form": form, "bookings": []}, status=400)


class StoppedComingView(CapabilityRequiredMixin, generic.TemplateView):
    """Elders who ate regularly and stopped coming."""

    capability = "meals.view"
    template_name = "meals/stopped_coming.html"

    def get_context_data(self, **kwargs):
        from carecircle.core.region_tree import scope_root

        context = super().get_context_data(**kwargs)
        user = self.request.user
        region = scope_root(user)
        if region is None:
            canteen = selectors.canteen_list(user=user).first()
            region = canteen.facility.community if canteen else None
        try:
            rows, quiet = selectors.stopped_coming(user=user, region=region) if region else ([], None)
        except MissingPolicyParameter as error:
            rows, quiet = [], None
            messages.error(self.request, str(error))
        context.update(rows=rows, quiet=quiet)
        return context


class StatisticsView(CapabilityRequiredMixin, generic.TemplateView):
    """Meals per day by canteen, meal and subsidy class, in the reader's scope, for a chosen span of days."""

    capability = "meals.view"
    template_name = "meals/statistics.html"
    longest = 93

    def _span(self):
        today = timezone.localdate()
        start, end = today - dt.timedelta(days=6), today
        errors = []
        for name in ("start", "end"):
            raw = self.request.GET.get(name, "").strip()
            if not raw:
                continue
            try:
                value = dt.date.fromisoformat(raw[:10])
            except ValueError:
                errors.append(_("日期请按“年-月-日”填写，例如 2026-12-01。"))
                continue
            if name == "start":
                start = value
            else:
                end = value
        if not errors and start > end:
            errors.append(_("开始日期不能晚于结束日期。"))
        if not errors and (end - start).days >= self.longest:
            errors.append(_("一次最多统计 %(n)s 天。") % {"n": self.longest})
        return start, end, errors

    def get(self, request, *args, **kwargs):
        start, end, errors = self._span()
        rows, totals = [], {}
        if not errors:
            for row in selectors.meals_by_day(user=request.user, start=start, end=end):
                label = class_label(row["subsidy_class"])
                rows.append({**row, "meal_label": MealTime(row["meal"]).label, "class_label": label})
                total = totals.setdefault(label, {"label": label, "meals": 0, "subsidy": 0, "delivery_subsidy": 0})
                total["meals"] += row["meals"]
                total["subsidy"] += row["subsidy"]
                total["delivery_subsidy"] += row["delivery_subsidy"]
        context = self.get_context_data(rows=rows, totals=sorted(totals.values(), key=lambda t: t["label"]),
                                        start=start, end=end, errors=errors,
                                        meals=sum(r["meals"] for r in rows))
        return self.render_to_response(context, status=400 if errors else 200)
