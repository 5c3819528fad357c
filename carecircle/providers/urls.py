from django.urls import path

from . import views

app_name = "providers"

urlpatterns = [
    path("", views.OrganisationListView.as_view(), name="list"),
    path("export.csv", views.OrganisationExportView.as_view(), name="export"),
    path("new/", views.OrganisationCreateView.as_view(), name="create"),
    path("<int:pk>/", views.OrganisationDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.OrganisationUpdateView.as_view(), name="edit"),
    path("<int:pk>/facilities/new/", views.FacilityCreateView.as_view(), name="facility-create"),
    path("<int:pk>/service-areas/new/", views.ServiceAreaAddView.as_view(), name="service-area-add"),
    path("service-areas/<int:pk>/remove/", views.ServiceAreaRemoveView.as_view(), name="service-area-remove"),
    path("<int:pk>/contracts/new/", views.ContractCreateView.as_view(), name="contract-create"),
    path("contracts/<int:pk>/edit/", views.ContractUpdateView.as_view(), name="contract-edit"),
    path("<int:pk>/staff/new/", views.StaffCreateView.as_view(), name="staff-create"),
    path("facilities/", views.FacilityListView.as_view(), name="facility-list"),
    path("facilities/export.csv", views.FacilityExportView.as_view(), name="facility-export"),
    path("facilities/<int:pk>/", views.FacilityDetailView.as_view(), name="facility-detail"),
    path("facilities/<int:pk>/edit/", views.FacilityUpdateView.as_view(), name="facility-edit"),
    path("staff/", views.StaffListView.as_view(), name="staff-list"),
    path("staff/export.csv", views.StaffExportView.as_view(), name="staff-export"),
    path("staff/<int:pk>/", views.StaffDetailView.as_view(), name="staff-detail"),
    path("staff/<int:pk>/edit/", views.StaffUpdateView.as_view(), name="staff-edit"),
    path("staff/<int:pk>/reveal/", views.StaffRevealView.as_view(), name="staff-reveal"),
    path("staff/<int:pk>/certificates/new/", views.CertificateAddView.as_view(), name="certificate-add"),
    path("certificates/<int:pk>/remove/", views.CertificateRemoveView.as_view(), name="certificate-remove"),
]
