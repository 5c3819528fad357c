from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.InspectionListView.as_view(), name="list"),
    path("plan/", views.PlanView.as_view(), name="plan"),
    path("<int:pk>/", views.InspectionDetailView.as_view(), name="detail"),
    path("<int:pk>/do/", views.InspectionDoView.as_view(), name="do"),
    path("<int:pk>/acknowledge/", views.InspectionStepView.as_view(step="acknowledge"), name="acknowledge"),
    path("<int:pk>/photos/", views.InspectionStepView.as_view(step="photo"), name="photo-add"),
    path("<int:pk>/notice/", views.InspectionStepView.as_view(step="notice"), name="notice-issue"),
    path("<int:pk>/rate/", views.InspectionStepView.as_view(step="rate"), name="rate"),
    path("photos/<int:pk>/", views.PhotoView.as_view(), name="photo"),
    path("notices/", views.NoticeListView.as_view(), name="notice-list"),
    path("notices/<int:pk>/", views.NoticeDetailView.as_view(), name="notice-detail"),
    path("notices/<int:pk>/pdf/", views.NoticePdfView.as_view(), name="notice-pdf"),
    path("problems/<int:pk>/respond/", views.ProblemStepView.as_view(step="respond"), name="problem-respond"),
    path("problems/<int:pk>/close/", views.ProblemStepView.as_view(step="close"), name="problem-close"),
    path("problems/<int:pk>/return/", views.ProblemStepView.as_view(step="return"), name="problem-return"),
    path("problems/<int:pk>/escalate/", views.ProblemStepView.as_view(step="escalate"), name="problem-escalate"),
    path("problems/<int:pk>/evidence/", views.EvidenceView.as_view(), name="evidence"),
    path("overdue/", views.OverdueView.as_view(), name="overdue"),
    path("ratings/", views.RatingListView.as_view(), name="rating-list"),
    path("ratings/public/", views.PublicRatingsView.as_view(), name="ratings-public"),
    path("subsidies/", views.SubsidyView.as_view(), name="subsidies"),
    path("facilities/", views.ComparisonView.as_view(), name="comparison"),
    path("facilities/<int:pk>/", views.ScorecardView.as_view(), name="scorecard"),
    path("scorecards/", views.PublishedScorecardsView.as_view(), name="scorecards-public"),
    path("lists/", views.ProviderListsView.as_view(), name="lists"),
    path("consortia/", views.ConsortiumListView.as_view(), name="consortia"),
    path("consortia/<int:pk>/", views.ConsortiumView.as_view(), name="consortium"),
]
