from django import forms
from django.utils.translation import gettext_lazy as _

from carecircle.core.validators import MonthField

from .models import DietTag, MealTime, Mode, PaymentMethod


class TillForm(forms.Form):
    meal = forms.ChoiceField(label=_("餐次"), choices=MealTime.choices)
    mode = forms.ChoiceField(label=_("就餐方式"), choices=Mode.choices, initial=Mode.DINE_IN)
    payment = forms.ChoiceField(label=_("支付方式"), choices=PaymentMethod.choices, initial=PaymentMethod.CASH)


class DishForm(forms.Form):
    name = forms.CharField(label=_("菜品名称"), max_length=100)
    price = forms.DecimalField(label=_("价格（元）"), min_value=0, max_digits=8, decimal_places=2)
    portion = forms.CharField(label=_("份量"), max_length=50, required=False)
    allergens = forms.CharField(label=_("过敏原"), max_length=200, required=False)
    diet_tags = forms.MultipleChoiceField(label=_("饮食标签"), choices=DietTag.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    is_set_meal = forms.BooleanField(label=_("套餐"), required=False)
    components = forms.CharField(label=_("套餐组成"), max_length=200, required=False)


class MenuForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    meal = forms.ChoiceField(label=_("餐次"), choices=MealTime.choices)

    def __init__(self, *args, dishes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dishes"] = forms.ModelMultipleChoiceField(label=_("菜品"), queryset=dishes,
                                                               widget=forms.CheckboxSelectMultiple)


class DinerRegisterForm(forms.Form):
    card_number = forms.CharField(label=_("助餐卡号"), max_length=32)


class RefundForm(forms.Form):
    reason = forms.CharField(label=_("退款原因"), max_length=200)


class TopUpForm(forms.Form):
    amount = forms.DecimalField(label=_("充值金额（元）"), min_value=0, max_digits=8, decimal_places=2)


class ClaimSubmitForm(forms.Form):
    month = MonthField(label=_("月份"), widget=forms.TextInput(attrs={"type": "month"}), help_text=_("例如 2026-11"))


class ClaimReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("审核结果"), choices=[("approve", _("批准")), ("return", _("退回"))])
    note = forms.CharField(label=_("审核意见"), max_length=200, required=False)


class RoundPlanForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    meal = forms.ChoiceField(label=_("餐次"), choices=MealTime.choices, initial=MealTime.LUNCH)
    couriers = forms.CharField(label=_("送餐员"), max_length=200, help_text=_("多位送餐员用逗号分开"))
    capacity = forms.IntegerField(label=_("每趟可送份数"), min_value=1, max_value=100, initial=10)


class StopForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("delivered", _("已送达")), ("missed", _("未送达"))])
    reason = forms.CharField(label=_("未送达原因"), max_length=200, required=False)


class BookingForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    meal = forms.ChoiceField(label=_("餐次"), choices=MealTime.choices, initial=MealTime.LUNCH)
    mode = forms.ChoiceField(label=_("就餐方式"), choices=Mode.choices, initial=Mode.DELIVERY,
                             widget=forms.RadioSelect)
    quantity = forms.IntegerField(label=_("份数"), min_value=1, max_value=5, initial=1)

    def __init__(self, *args, diners=None, dishes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diner"] = forms.ModelChoiceField(label=_("老人"), queryset=diners, empty_label=None)
        self.fields["dish"] = forms.ModelChoiceField(label=_("菜品"), queryset=dishes, empty_label=None)
        self.order_fields(["diner", "dish", "date", "meal", "mode", "quantity"])


class CanteenForm(forms.Form):
    """A canteen's own fields; `facilities` (when creating) are the facilities the user may open one on,
    `communities` the communities it may deliver to."""

    opening_hours = forms.CharField(label=_("供餐时间"), max_length=100, help_text=_("例如 10:30-13:00, 16:30-18:00"))
    seats = forms.IntegerField(label=_("座位数"), min_value=0, max_value=100000, initial=0)
    breakfast_capacity = forms.IntegerField(label=_("早餐供餐能力（份）"), min_value=0, max_value=100000, initial=0,
                                            help_text=_("填 0 表示不设上限"))
    lunch_capacity = forms.IntegerField(label=_("午餐供餐能力（份）"), min_value=0, max_value=100000, initial=0,
                                        help_text=_("填 0 表示不设上限"))
    dinner_capacity = forms.IntegerField(label=_("晚餐供餐能力（份）"), min_value=0, max_value=100000, initial=0,
                                         help_text=_("填 0 表示不设上限"))

    def __init__(self, *args, facilities=None, communities=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if facilities is not None:
            self.fields["facility"] = forms.ModelChoiceField(
                label=_("设施"), queryset=facilities, help_text=_("由设施所属的机构运营"))
            self.fields["facility"].label_from_instance = (
                lambda f: f"{f.name} · {f.organisation.name} · {f.community.name}")
        self.fields["delivery_area"] = forms.ModelMultipleChoiceField(
            label=_("送餐范围"), queryset=communities, required=False, widget=forms.CheckboxSelectMultiple)
        if editing:
            self.fields["is_active"] = forms.BooleanField(label=_("供餐中"), required=False)
        self.order_fields(["facility", "opening_hours", "seats", "breakfast_capacity", "lunch_capacity",
                           "dinner_capacity", "delivery_area", "is_active"])
