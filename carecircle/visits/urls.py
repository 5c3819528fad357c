from django.urls import include, path

from . import views, views_pin

app_name = "visits"

urlpatterns = [
    path("exceptions/", views.ExceptionListView.as_view(), name="exceptions"),
    path("exceptions/<int:pk>/", views.ExceptionDetailView.as_view(), name="exception"),
    path("exceptions/<int:pk>/resolve/", views.ExceptionActionView.as_view(action="resolve"), name="exception-resolve"),
    path("exceptions/<int:pk>/approve/", views.ExceptionActionView.as_view(action="approve"), name="exception-approve"),
    path("exceptions/<int:pk>/return/", views.ExceptionActionView.as_view(action="return"), name="exception-return"),
    path("photos/<int:pk>/", views.EventPhotoView.as_view(), name="event-photo"),
    path("pin/", views_pin.PinSearchView.as_view(), name="pin-search"),
    path("pin/<int:elder_id>/", views_pin.PinSetView.as_view(), name="pin-set"),
    path("", include("carecircle.visits.app_urls")),
]
