"""Page forms. They only parse what was typed; the rules live in services.elder_clean and friends."""
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from carecircle.core.sensitive import mask_phone

from .models import EconomicCategory, ElderStatus, Gender, HouseholdType, ImportMode, Registration
from .selectors import communities_in_scope, regions_for_filter

BLANK = [("", "—")]


class ElderForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=25,
                                help_text=_("18 位居民身份证号；出生日期和性别由号码自动得出。"))
    gender = forms.ChoiceField(label=_("性别"), choices=BLANK + list(Gender.choices), required=False,
                               help_text=_("可不填；填写时须与身份证号一致。"))
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("可不填；填写时须与身份证号一致。"))
    phone = forms.CharField(label=_("联系电话"), max_length=25, required=False)
    community = forms.ModelChoiceField(label=_("所属社区"), queryset=None)
    address = forms.CharField(label=_("居住地址"), max_length=255)
    lat = forms.DecimalField(label=_("纬度"), required=False, max_digits=12, decimal_places=8)
    lng = forms.DecimalField(label=_("经度"), required=False, max_digits=12, decimal_places=8)
    coordinate_system = forms.ChoiceField(
        label=_("坐标系"), choices=[("wgs84", _("WGS84（GPS、天地图）")), ("gcj02", _("GCJ-02（高德、腾讯、微信地图）"))],
        initial="wgs84",
        help_text=_("从高德、腾讯或微信地图取得的坐标是 GCJ-02，请选它：系统会换算成 WGS84 再保存。"))
    household_type = forms.ChoiceField(label=_("居住类型"), choices=HouseholdType.choices)
    registration = forms.ChoiceField(label=_("户籍"), choices=Registration.choices, initial=Registration.LOCAL)
    economic_category = forms.ChoiceField(label=_("经济类别"), choices=EconomicCategory.choices,
                                          initial=EconomicCategory.GENERAL)
    has_disability_certificate = forms.BooleanField(label=_("持有残疾证"), required=False)
    disability_certificate_number = forms.CharField(label=_("残疾证号"), max_length=30, required=False)
    chronic_conditions = forms.CharField(label=_("慢性病"), required=False,
                                         help_text=_("多个用顿号或逗号分隔，如：高血压、糖尿病"))

    def __init__(self, *args, user, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities_in_scope(user)
        if editing is not None:
            # Editing never shows the clear numbers: blank keeps the stored value.
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("当前：%(masked)s。留空表示不修改；更正号码时填写完整的新号码。") % {
                "masked": editing.id_number_masked}
            self.fields["phone"].help_text = _("当前：%(masked)s。留空表示不修改。") % {
                "masked": mask_phone(editing.phone) or _("未登记")}

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class ElderEditForm(ElderForm):
    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        # Blank sensitive fields mean "keep", because the form never shows their clear values.
        for field in ("id_number", "phone"):
            if not data.get(field):
                data.pop(field)
        return data


class SearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("姓名 / 拼音首字母 / 身份证号或后四位 / 电话"),
                                                      "type": "search"}))
    region = forms.ChoiceField(label=_("街道/社区"), required=False)
    age_min = forms.IntegerField(label=_("年龄从"), required=False, min_value=0, max_value=150)
    age_max = forms.IntegerField(label=_("到"), required=False, min_value=0, max_value=150)
    household_type = forms.ChoiceField(label=_("居住类型"), required=False, choices=BLANK + list(HouseholdType.choices))
    economic_category = forms.ChoiceField(label=_("经济类别"), required=False,
                                          choices=BLANK + list(EconomicCategory.choices))
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("在册/迁出/死亡")), *ElderStatus.choices, ("all", _("全部（含已合并）"))])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = BLANK + [
            (r.code, ("— " if r.kind == "community" else "") + r.name) for r in regions_for_filter(user)]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("新状态"), choices=[(s.value, s.label) for s in
                                                        (ElderStatus.ACTIVE, ElderStatus.MOVED_OUT, ElderStatus.DECEASED)])
    status_date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("依据"), required=False, max_length=500,
                             help_text=_("迁出或死亡须写明依据，如户籍注销证明、死亡医学证明。"))


class ContactForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    relation = forms.CharField(label=_("关系"), max_length=30)
    phone = forms.CharField(label=_("电话"), max_length=25)
    holds_key = forms.BooleanField(label=_("持有老人家钥匙"), required=False)
    priority = forms.IntegerField(label=_("联系顺序"), min_value=1, max_value=9, initial=1)


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", _("身份证号")), ("phone", _("联系电话"))],
                              widget=forms.HiddenInput)
    reason = forms.CharField(label=_("查看原因"), max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": _("如：办理长护险申请，核对身份")}))


class MergeForm(forms.Form):
    other = forms.IntegerField(label=_("另一份档案编号"), min_value=1)
    keep = forms.ChoiceField(label=_("保留哪一份"), choices=[("this", _("保留本档案")), ("other", _("保留另一份"))],
                             widget=forms.RadioSelect, initial="this", required=False)
    reason = forms.CharField(label=_("合并原因"), max_length=500, required=False)


class UndoMergeForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=500)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("导入文件（.csv 或 .xlsx）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.CARECIRCLE_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(_("文件过大（%(size).1f MB），上限为 %(limit).1f MB，请拆分后上传")
                                        % {"size": upload.size / 1048576, "limit": limit / 1048576})
        return upload


class ImportApplyForm(forms.Form):
    mode = forms.ChoiceField(label=_("导入方式"), choices=ImportMode.choices, widget=forms.RadioSelect,
                             initial=ImportMode.VALID_ROWS)
