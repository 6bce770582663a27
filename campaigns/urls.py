from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("coverage/", views.GapMatrixView.as_view(), name="gap-matrix"),
    path("do-not-call/", views.DoNotCallView.as_view(), name="do-not-call"),
]
