from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ProvidersConfig(AppConfig):
    name = "carecircle.providers"
    label = "providers"
    verbose_name = pgettext_lazy("section", "服务机构")
