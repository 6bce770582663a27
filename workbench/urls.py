from django.urls import path

from . import views

app_name = "workbench"

urlpatterns = [
    path("", views.TodayView.as_view(), name="today"),
]
