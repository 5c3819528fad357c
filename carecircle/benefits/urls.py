from django.urls import path

from . import views

app_name = "benefits"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("runs/make/", views.RunMakeView.as_view(), name="run-make"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run"),
    path("runs/<int:pk>/step/", views.RunStepView.as_view(), name="run-step"),
    path("runs/<int:pk>/adjust/", views.RunAdjustView.as_view(), name="run-adjust"),
    path("runs/<int:pk>/return/", views.RunReturnView.as_view(), name="run-return"),
    path("runs/<int:pk>/bank-file/", views.BankFileView.as_view(), name="bank-file"),
    path("runs/<int:pk>/lines.csv", views.LineExportView.as_view(), name="lines-export"),
    path("applications/", views.ApplicationListView.as_view(), name="applications"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application"),
    path("applications/<int:pk>/decide/", views.ApplicationDecideView.as_view(), name="application-decide"),
    path("apply/", views.ApplyView.as_view(), name="apply"),
    path("mine/", views.MineView.as_view(), name="mine"),
    path("cards/", views.CardListView.as_view(), name="cards"),
    path("cards/<int:pk>/", views.CardPrintView.as_view(), name="card"),
    path("cards/<int:pk>/loss/", views.CardLossView.as_view(), name="card-loss"),
    path("notices/<int:pk>/", views.NoticeView.as_view(), name="notice"),
    path("checks/", views.CheckView.as_view(), name="checks"),
    path("checks/<int:pk>/", views.CheckDetailView.as_view(), name="check"),
    path("findings/", views.FindingListView.as_view(), name="findings"),
    path("findings/<int:pk>/resolve/", views.FindingResolveView.as_view(), name="finding-resolve"),
    path("eligible/", views.EligibleView.as_view(), name="eligible"),
]
