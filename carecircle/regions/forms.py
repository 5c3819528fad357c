from django import forms
from django.utils.translation import gettext_lazy as _

from carecircle.core import uploads


class RegionImportForm(forms.Form):
    file = forms.FileField(label=_("CSV 文件"), required=False,
                           help_text=_("UTF-8 编码；列：code, name, kind, parent_code, centroid_lat, centroid_lng, boundary"))
    text = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            try:
                _kind, content = uploads.read_import(upload, allowed=(uploads.CSV,))
                data["text"] = uploads.decode_text(content, encodings=("utf-8-sig",))
            except forms.ValidationError as error:
                self.add_error("file", error)
        elif not data.get("text"):
            self.add_error("file", _("请选择要导入的 CSV 文件"))
        return data
