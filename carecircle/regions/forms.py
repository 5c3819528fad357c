from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class RegionImportForm(forms.Form):
    file = forms.FileField(label=_("CSV 文件"), required=False,
                           help_text=_("UTF-8 编码；列：code, name, kind, parent_code, centroid_lat, centroid_lng, boundary"))
    text = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > settings.CARECIRCLE_MAX_UPLOAD_BYTES:
                raise forms.ValidationError(_("文件太大"))
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", _("文件不是 UTF-8 编码，请在表格软件中另存为“CSV UTF-8”"))
        elif not data.get("text"):
            self.add_error("file", _("请选择要导入的 CSV 文件"))
        return data
