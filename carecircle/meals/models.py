"""Community canteens: the canteen (a facility of the providers register), its dishes and menus, the registered
diners (elders of the register with a card or a QR credential), the sales at the till with their subsidy
split, and the operator's monthly claim."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from carecircle.core.isolation import Scoping

CANTEEN_LINKS = {"region": "canteen__facility__community", "organisation": "canteen__facility__organisation"}


class MealTime(models.TextChoices):
    BREAKFAST = "breakfast", _("早餐")
    LUNCH = "lunch", _("午餐")
    DINNER = "dinner", _("晚餐")


class Mode(models.TextChoices):
    DINE_IN = "dine_in", _("堂食")
    DELIVERY = "delivery", _("送餐")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("现金")
    CARD = "card", _("银行卡/移动支付")
    BALANCE = "balance", _("预存余额")


class DietTag(models.TextChoices):
    LOW_SALT = "low_salt", _("低盐")
    LOW_SUGAR = "low_sugar", _("低糖")
    SOFT = "soft", _("软烂")
    HALAL = "halal", _("清真")


class Canteen(models.Model):
    """A community canteen or meal point: a facility of the providers register, run by its organisation."""

    facility = models.OneToOneField("providers.Facility", verbose_name=_("设施"), on_delete=models.PROTECT,
                                    related_name="canteen")
    opening_hours = models.CharField(_("供餐时间"), max_length=100)
    seats = models.PositiveIntegerField(_("座位数"), default=0)
    delivery_area = models.ManyToManyField("regions.Region", verbose_name=_("送餐范围"), blank=True,
                                           related_name="+")
    breakfast_capacity = models.PositiveIntegerField(_("早餐供餐能力（份）"), default=0)
    lunch_capacity = models.PositiveIntegerField(_("午餐供餐能力（份）"), default=0)
    dinner_capacity = models.PositiveIntegerField(_("晚餐供餐能力（份）"), default=0)
    is_active = models.BooleanField(_("供餐中"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scoping = Scoping(region="facility__community", organisation="facility__organisation")

    class Meta:
        verbose_name = _("长者食堂")
        verbose_name_plural = _("长者食堂")
        ordering = ["facility__name", "id"]

    def __str__(self):
        return self.facility.name

    @property
    def name(self) -> str:
        return self.facility.name

    def capacity_for(self, meal: str) -> int:
        return getattr(self, f"{meal}_capacity", 0)


class Dish(models.Model):
    """A dish or set meal with its price; dishes and published menus are public (every signed-in reader), only
    the canteen's own operator changes them."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("食堂"), on_delete=models.PROTECT, related_name="dishes")
    name = models.CharField(_("菜品名称"), max_length=100)
    price = models.DecimalField(_("价格（元）"), max_digits=8, decimal_places=2)
    portion = models.CharField(_("份量"), max_length=50, blank=True)
    allergens = models.CharField(_("过敏原"), max_length=200, blank=True)
    diet_tags = models.JSONField(_("饮食标签"), default=list, blank=True)
    is_set_meal = models.BooleanField(_("套餐"), default=False)
    components = models.CharField(_("套餐组成"), max_length=200, blank=True)
    is_active = models.BooleanField(_("在售"), default=True)

    scoping = Scoping(**CANTEEN_LINKS, readable_by_all=True)

    class Meta:
        verbose_name = _("菜品")
        verbose_name_plural = _("菜品")
        ordering = ["canteen", "-is_set_meal", "name", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(price__gte=0), name="meals_dish_price_not_negative")]

    def __str__(self):
        return self.name

    @property
    def diet_labels(self) -> list[str]:
        labels = dict(DietTag.choices)
        return [str(labels[tag]) for tag in self.diet_tags if tag in labels]


class Menu(models.Model):
    """One canteen's dishes for one meal of one day, published for the elders to read ahead."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("食堂"), on_delete=models.PROTECT, related_name="menus")
    date = models.DateField(_("日期"))
    meal = models.CharField(_("餐次"), max_length=12, choices=MealTime.choices)
    dishes = models.ManyToManyField(Dish, verbose_name=_("菜品"), related_name="menus")
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    scoping = Scoping(**CANTEEN_LINKS, readable_by_all=True)

    class Meta:
        verbose_name = _("菜单")
        verbose_name_plural = _("菜单")
        ordering = ["date", "canteen", "meal"]
        constraints = [models.UniqueConstraint(fields=["canteen", "date", "meal"], name="meals_one_menu_per_meal")]

    def __str__(self):
        return f"{self.canteen} {self.date} {self.get_meal_display()}"


class Diner(models.Model):
    """An elder of the register enrolled for meals, with the credentials shown at the till."""

    elder = models.OneToOneField("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                                 related_name="diner")
    card_number = models.CharField(_("助餐卡号"), max_length=32, unique=True)
    qr_token = models.CharField(_("二维码凭证"), max_length=64, unique=True, editable=False)
    balance = models.DecimalField(_("预存余额（元）"), max_digits=10, decimal_places=2, default=0)
    is_active = models.BooleanField(_("有效"), default=True)
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("助餐对象")
        verbose_name_plural = _("助餐对象")
        ordering = ["elder__name", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(balance__gte=0), name="meals_balance_not_negative")]

    def __str__(self):
        return self.elder.name


class Sale(models.Model):
    """One checkout at the till (or its refund: a separate line with negative amounts, pointing at it)."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("食堂"), on_delete=models.PROTECT, related_name="sales")
    diner = models.ForeignKey(Diner, verbose_name=_("助餐对象"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="sales")
    date = models.DateField(_("日期"), db_index=True)
    meal = models.CharField(_("餐次"), max_length=12, choices=MealTime.choices)
    mode = models.CharField(_("就餐方式"), max_length=12, choices=Mode.choices, default=Mode.DINE_IN)
    subsidy_class = models.CharField(_("补贴类别"), max_length=2, blank=True)
    total = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2)
    subsidy = models.DecimalField(_("助餐补贴（元）"), max_digits=10, decimal_places=2, default=0)
    delivery_subsidy = models.DecimalField(_("送餐补贴（元）"), max_digits=10, decimal_places=2, default=0)
    self_pay = models.DecimalField(_("个人支付（元）"), max_digits=10, decimal_places=2)
    payment = models.CharField(_("支付方式"), max_length=12, choices=PaymentMethod.choices)
    rules = models.JSONField(_("计算依据"), default=list)
    refund_of = models.OneToOneField("self", verbose_name=_("退款对应"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="refund")
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)
    cashier = models.ForeignKey("accounts.User", verbose_name=_("收银员"), null=True, on_delete=models.SET_NULL,
                                related_name="+")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scoping = Scoping(region="canteen__facility__community", organisation="canteen__facility__organisation",
                      person="diner__elder")

    class Meta:
        verbose_name = _("助餐结算")
        verbose_name_plural = _("助餐结算")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "idempotency_key"], condition=~models.Q(idempotency_key=""),
                                    name="meals_sale_idempotency"),
        ]
        indexes = [models.Index(fields=["diner", "date"], name="meals_sale_diner_date_idx"),
                   models.Index(fields=["canteen", "date"], name="meals_sale_canteen_date_idx")]

    def __str__(self):
        return f"{self.canteen} {self.date} {self.total}"

    @property
    def is_refund(self) -> bool:
        return self.refund_of_id is not None


class SaleLine(models.Model):
    sale = models.ForeignKey(Sale, verbose_name=_("结算"), on_delete=models.CASCADE, related_name="lines")
    dish = models.ForeignKey(Dish, verbose_name=_("菜品"), on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField(_("数量"))
    unit_price = models.DecimalField(_("单价（元）"), max_digits=8, decimal_places=2)
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2)

    scoping = Scoping(region="sale__canteen__facility__community",
                      organisation="sale__canteen__facility__organisation", person="sale__diner__elder")

    class Meta:
        verbose_name = _("结算明细")
        verbose_name_plural = _("结算明细")
        ordering = ["id"]


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已审核通过")
    RETURNED = "returned", _("已退回")


class MealClaim(models.Model):
    """A canteen's subsidies of one month, claimed from the district; the figures are recomputed from the sales."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("食堂"), on_delete=models.PROTECT, related_name="claims")
    month = models.DateField(_("月份"))
    meals = models.PositiveIntegerField(_("补贴餐次"))
    subsidy = models.DecimalField(_("助餐补贴（元）"), max_digits=12, decimal_places=2)
    delivery_subsidy = models.DecimalField(_("送餐补贴（元）"), max_digits=12, decimal_places=2)
    by_class = models.JSONField(_("按类别合计"), default=dict)
    status = models.CharField(_("状态"), max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED)
    submitted_by = models.ForeignKey("accounts.User", verbose_name=_("申报人"), null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    submitted_at = models.DateTimeField(_("申报时间"), auto_now_add=True)
    reviewed_by = models.ForeignKey("accounts.User", verbose_name=_("审核人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=200, blank=True)

    scoping = Scoping(**CANTEEN_LINKS)

    class Meta:
        verbose_name = _("助餐补贴申报")
        verbose_name_plural = _("助餐补贴申报")
        ordering = ["-month", "canteen"]
        constraints = [models.UniqueConstraint(fields=["canteen", "month"], name="meals_one_claim_per_month")]

    def __str__(self):
        return f"{self.canteen} {self.month:%Y-%m}"


class BookingChannel(models.TextChoices):
    PORTAL = "portal", _("老人或家属自助预订")
    HOTLINE = "hotline", _("热线代订")
    STAFF = "staff", _("工作人员代订")


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("已预订")
    PLANNED = "planned", _("已排入送餐")
    DELIVERED = "delivered", _("已送达")
    NOT_DELIVERED = "not_delivered", _("未送达")
    CANCELLED = "cancelled", _("已取消")


class MealBooking(models.Model):
    """A meal booked ahead for a registered diner, to eat in or to have delivered."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("食堂"), on_delete=models.PROTECT, related_name="bookings")
    diner = models.ForeignKey(Diner, verbose_name=_("助餐对象"), on_delete=models.PROTECT, related_name="bookings")
    date = models.DateField(_("日期"))
    meal = models.CharField(_("餐次"), max_length=12, choices=MealTime.choices)
    mode = models.CharField(_("就餐方式"), max_length=12, choices=Mode.choices, default=Mode.DELIVERY)
    dish = models.ForeignKey(Dish, verbose_name=_("菜品"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1)
    payment = models.CharField(_("支付方式"), max_length=12, choices=PaymentMethod.choices,
                               default=PaymentMethod.CASH)
    channel = models.CharField(_("预订渠道"), max_length=12, choices=BookingChannel.choices)
    status = models.CharField(_("状态"), max_length=16, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    sale = models.OneToOneField(Sale, verbose_name=_("结算"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="booking")
    booked_by = models.ForeignKey("accounts.User", verbose_name=_("预订人"), null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(_("预订时间"), auto_now_add=True)

    scoping = Scoping(region="canteen__facility__community", organisation="canteen__facility__organisation",
                      person="diner__elder")

    class Meta:
        verbose_name = _("助餐预订")
        verbose_name_plural = _("助餐预订")
        ordering = ["date", "meal", "id"]
        constraints = [
            models.UniqueConstraint(fields=["diner", "date", "meal"], condition=~models.Q(status="cancelled"),
                                    name="meals_one_booking_per_meal"),
        ]

    def __str__(self):
        return f"{self.diner} {self.date} {self.get_meal_display()}"


class DeliveryRound(models.Model):
    """One courier's deliveries of one meal, in the order the routing engine planned."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("食堂"), on_delete=models.PROTECT, related_name="rounds")
    date = models.DateField(_("日期"))
    meal = models.CharField(_("餐次"), max_length=12, choices=MealTime.choices)
    courier = models.CharField(_("送餐员"), max_length=50)
    capacity = models.PositiveSmallIntegerField(_("每趟可送份数"))
    departure = models.TimeField(_("出发时间"), null=True, blank=True)
    planned_by = models.ForeignKey("accounts.User", verbose_name=_("排单人"), null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    planned_at = models.DateTimeField(_("排单时间"), auto_now_add=True)

    scoping = Scoping(**CANTEEN_LINKS)

    class Meta:
        verbose_name = _("送餐路线")
        verbose_name_plural = _("送餐路线")
        ordering = ["date", "meal", "courier", "id"]

    def __str__(self):
        return f"{self.canteen} {self.date} {self.get_meal_display()} {self.courier}"


class DeliveryStop(models.Model):
    round = models.ForeignKey(DeliveryRound, verbose_name=_("送餐路线"), on_delete=models.CASCADE,
                              related_name="stops")
    booking = models.OneToOneField(MealBooking, verbose_name=_("预订"), on_delete=models.PROTECT,
                                   related_name="stop")
    sequence = models.PositiveSmallIntegerField(_("顺序"))
    eta = models.TimeField(_("预计送达"))
    done_at = models.DateTimeField(_("送达/登记时间"), null=True, blank=True)
    reason = models.CharField(_("未送达原因"), max_length=200, blank=True)

    scoping = Scoping(region="round__canteen__facility__community",
                      organisation="round__canteen__facility__organisation", person="booking__diner__elder")

    class Meta:
        verbose_name = _("送餐站点")
        verbose_name_plural = _("送餐站点")
        ordering = ["round", "sequence"]
