from django.urls import path

from . import views

app_name = "planning"

urlpatterns = [
    path("", views.CoverageView.as_view(), name="coverage"),
    path("coverage.csv", views.CoverageExportView.as_view(), name="coverage-export"),
    path("sites/", views.SitesView.as_view(), name="sites"),
    path("sites/import/", views.CandidateImportView.as_view(), name="sites-import"),
    path("studies/", views.StudyListView.as_view(), name="studies"),
    path("studies/start/", views.StudyStartView.as_view(), name="study-start"),
    path("studies/<int:pk>/", views.StudyDetailView.as_view(), name="study"),
    path("map/", views.PublicMapView.as_view(), name="public-map"),
    path("guide/", views.GuideView.as_view(), name="guide"),
    path("guide.pdf", views.GuidePdfView.as_view(), name="guide-pdf"),
    path("guide/edit/", views.GuideEditListView.as_view(), name="guide-edit-list"),
    path("guide/edit/<int:facility_id>/", views.GuideEntryEditView.as_view(), name="guide-edit"),
    path("advisors/", views.AdvisorsView.as_view(), name="advisors"),
    path("advisors/add/", views.AdvisorAddView.as_view(), name="advisor-add"),
    path("advisors/consult/", views.ConsultationView.as_view(), name="consult"),
    path("population/", views.PopulationView.as_view(), name="population"),
    path("networks/", views.NetworkListView.as_view(), name="networks"),
    path("networks/import/", views.NetworkImportView.as_view(), name="network-import"),
]
