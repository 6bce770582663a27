from django.urls import path

from . import views

app_name = "arrears"

urlpatterns = [
    path("cases/", views.CaseListView.as_view(), name="cases"),
    path("cases/<int:pk>/outcome/", views.OutcomeView.as_view(), name="outcome"),
    path("thresholds/", views.ThresholdsView.as_view(), name="thresholds"),
]
