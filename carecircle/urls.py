from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_v1 = [
    path("", include("carecircle.accounts.api_urls")),
    path("", include("carecircle.regions.api_urls")),
    path("", include("carecircle.elders.api_urls")),
    path("", include("carecircle.providers.api_urls")),
    path("", include("carecircle.catalog.api_urls")),
    path("", include("carecircle.intake.api_urls")),
    path("", include("carecircle.assessment.api_urls")),
    path("", include("carecircle.dispatch.api_urls")),
    path("", include("carecircle.careplans.api_urls")),
    path("", include("carecircle.workorders.api_urls")),
    path("", include("carecircle.core.api_urls")),
]

urlpatterns = [
    path("", include("carecircle.accounts.urls")),
    path("elders/", include("carecircle.elders.urls")),
    path("providers/", include("carecircle.providers.urls")),
    path("catalog/", include("carecircle.catalog.urls")),
    path("intake/", include("carecircle.intake.urls")),
    path("assessment/", include("carecircle.assessment.urls")),
    path("dispatch/", include("carecircle.dispatch.urls")),
    path("careplans/work-orders/", include("carecircle.workorders.urls")),
    path("careplans/", include("carecircle.careplans.urls")),
    path("regions/", include("carecircle.regions.urls")),
    path("system/", include("carecircle.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
