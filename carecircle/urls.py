from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from carecircle.core.plugins import registry

# Every app says in its plugin.py where its pages live and whether it has an API: nothing to add here.
# A refused request (a query parameter that is not a usable number, …) gets the project's own page.
handler400 = "carecircle.core.views.bad_request"

api_v1 = [path("", include(module)) for module in registry.api_url_modules()]

urlpatterns = [
    *(path(prefix, include(module)) for prefix, module in registry.url_modules()),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
