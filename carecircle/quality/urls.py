from django.urls import path

from . import views

app_name = "quality"

urlpatterns = [
    path("complaints/", views.ComplaintListView.as_view(), name="complaint-list"),
    path("complaints/export.csv", views.ComplaintExportView.as_view(), name="complaint-export"),
    path("complaints/new/", views.ComplaintCreateView.as_view(), name="complaint-new"),
    path("complaints/new/<int:pk>/", views.ComplaintCreateView.as_view(), name="complaint-new-for"),
    path("complaints/<int:pk>/", views.ComplaintDetailView.as_view(), name="complaint-detail"),
    path("complaints/<int:pk>/accept/", views.ComplaintStepView.as_view(step="accept"), name="complaint-accept"),
    path("complaints/<int:pk>/answer/", views.ComplaintStepView.as_view(step="answer"), name="complaint-answer"),
    path("complaints/<int:pk>/escalate/", views.ComplaintStepView.as_view(step="escalate"),
         name="complaint-escalate"),
    path("complaints/<int:pk>/close/", views.ComplaintStepView.as_view(step="close"), name="complaint-close"),
    path("complaints/<int:pk>/reopen/", views.ComplaintStepView.as_view(step="reopen"), name="complaint-reopen"),
    path("mine/", views.PortalView.as_view(), name="portal"),
    path("return-visits/", views.ReturnVisitListView.as_view(), name="return-visit-list"),
    path("return-visits/<int:pk>/", views.ReturnVisitDetailView.as_view(), name="return-visit-detail"),
    path("scorecard/", views.ScorecardView.as_view(), name="scorecard"),
    path("scorecard/export.csv", views.ScorecardExportView.as_view(), name="scorecard-export"),
]
