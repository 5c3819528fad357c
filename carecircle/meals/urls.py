from django.urls import path

from . import views

app_name = "meals"

urlpatterns = [
    path("", views.CanteenListView.as_view(), name="canteen-list"),
    path("canteens/new/", views.CanteenCreateView.as_view(), name="canteen-create"),
    path("canteens/<int:pk>/", views.CanteenDetailView.as_view(), name="canteen-detail"),
    path("canteens/<int:pk>/edit/", views.CanteenEditView.as_view(), name="canteen-edit"),
    path("canteens/<int:pk>/dishes/", views.DishCreateView.as_view(), name="dish-create"),
    path("canteens/<int:pk>/menus/", views.MenuPublishView.as_view(), name="menu-publish"),
    path("canteens/<int:pk>/claims/", views.ClaimSubmitView.as_view(), name="claim-submit"),
    path("canteens/<int:pk>/rounds/", views.RoundPlanView.as_view(), name="round-plan"),
    path("rounds/<int:pk>/", views.RoundDetailView.as_view(), name="round-detail"),
    path("stops/<int:pk>/", views.StopRecordView.as_view(), name="stop-record"),
    path("book/", views.BookingView.as_view(), name="booking"),
    path("canteens/<int:pk>/till/", views.TillView.as_view(), name="till"),
    path("sales/<int:pk>/", views.SaleDetailView.as_view(), name="sale-detail"),
    path("sales/<int:pk>/refund/", views.SaleRefundView.as_view(), name="sale-refund"),
    path("diners/", views.DinerListView.as_view(), name="diner-list"),
    path("diners/register/", views.DinerRegisterView.as_view(), name="diner-register"),
    path("menu/", views.MenuBoardView.as_view(), name="menu-board"),
    path("menu/print/", views.MenuBoardView.as_view(printable=True), name="menu-print"),
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("stopped-coming/", views.StoppedComingView.as_view(), name="stopped-coming"),
    path("claims/", views.ClaimListView.as_view(), name="claim-list"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim-detail"),
    path("claims/<int:pk>/review/", views.ClaimReviewView.as_view(), name="claim-review"),
    path("claims/<int:pk>/export/", views.ClaimExportView.as_view(), name="claim-export"),
]
