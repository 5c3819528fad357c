from django.urls import path

from . import views

app_name = "careplans"

urlpatterns = [
    path("", views.PlanListView.as_view(), name="plan-list"),
    path("export.csv", views.PlanExportView.as_view(), name="plan-export"),
    path("<int:pk>/", views.PlanDetailView.as_view(), name="plan-detail"),
    path("<int:pk>/edit/", views.PlanEditView.as_view(), name="plan-edit"),
    path("<int:pk>/stop/", views.PlanStopView.as_view(), name="plan-stop"),
    path("elders/<int:pk>/new/", views.PlanCreateView.as_view(), name="plan-create"),
    path("elders/<int:pk>/order/", views.OrderCreateView.as_view(), name="order-new"),
    path("elders/<int:pk>/absence/", views.AbsenceCreateView.as_view(), name="absence-new"),
    path("absences/<int:pk>/cancel/", views.AbsenceCancelView.as_view(), name="absence-cancel"),
    path("my/", views.PortalView.as_view(), name="portal"),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/export.csv", views.OrderExportView.as_view(), name="order-export"),
    path("orders/inbox/", views.InboxView.as_view(), name="inbox"),
    path("orders/new/", views.OrderStartView.as_view(), name="order-start"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<int:pk>/accept/", views.OrderStepView.as_view(step="accept"), name="order-accept"),
    path("orders/<int:pk>/decline/", views.OrderStepView.as_view(step="decline"), name="order-decline"),
    path("orders/<int:pk>/cancel/", views.OrderStepView.as_view(step="cancel"), name="order-cancel"),
    path("orders/<int:pk>/complete/", views.OrderStepView.as_view(step="complete"), name="order-complete"),
    path("orders/<int:pk>/rate/", views.OrderStepView.as_view(step="rate"), name="order-rate"),
]
