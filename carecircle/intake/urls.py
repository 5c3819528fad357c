from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("export.csv", views.ExportView.as_view(), name="export"),
    path("new/", views.RegisterView.as_view(), name="register"),
    path("bulk/", views.BulkActView.as_view(), name="bulk"),
    path("waitlist/", views.WaitlistView.as_view(), name="waitlist"),
    path("waitlist/admit/", views.WaitlistAdmitView.as_view(), name="waitlist-admit"),
    path("<int:pk>/", views.DetailView.as_view(), name="detail"),
    path("<int:pk>/act/", views.ActView.as_view(), name="act"),
    path("<int:pk>/notices/<str:notice_kind>/", views.NoticeDocumentView.as_view(), name="notice-document"),
    path("my/", views.PortalView.as_view(), name="portal"),
    path("my/apply/", views.PortalApplyView.as_view(), name="portal-apply"),
    path("public/", views.PublicStreetsView.as_view(), name="public-streets"),
    path("public/<str:street_code>/", views.PublicBoardView.as_view(), name="public-board"),
]
