from django.urls import path

from . import views

app_name = "elders"

urlpatterns = [
    path("", views.ElderListView.as_view(), name="list"),
    path("export.csv", views.ElderExportView.as_view(), name="export"),
    path("new/", views.ElderCreateView.as_view(), name="create"),
    path("pick/", views.ElderPickView.as_view(), name="pick"),
    path("<int:pk>/", views.ElderDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ElderEditView.as_view(), name="edit"),
    path("<int:pk>/status/", views.ElderStatusView.as_view(), name="status"),
    path("<int:pk>/reveal/", views.ElderRevealView.as_view(), name="reveal"),
    path("<int:pk>/merge/", views.ElderMergeView.as_view(), name="merge"),
    path("merges/<int:merge_pk>/undo/", views.MergeUndoView.as_view(), name="merge-undo"),
    path("<int:pk>/contacts/new/", views.ContactFormView.as_view(), name="contact-add"),
    path("<int:pk>/contacts/<int:contact_pk>/", views.ContactFormView.as_view(), name="contact-edit"),
    path("<int:pk>/contacts/<int:contact_pk>/remove/", views.ContactRemoveView.as_view(), name="contact-remove"),
    path("import/", views.ImportUploadView.as_view(), name="import"),
    path("import/template.<str:fmt>", views.ImportTemplateView.as_view(), name="import-template"),
    path("import/<int:pk>/", views.ImportPreviewView.as_view(), name="import-preview"),
    path("import/<int:pk>/progress/", views.ImportProgressView.as_view(), name="import-progress"),
]
