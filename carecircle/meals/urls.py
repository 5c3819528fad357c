from django.urls import path
app_name = "meals"
urlpatterns = []
