from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.ImportsView.as_view(), name="imports"),
    path("<int:pk>/", views.ImportRunView.as_view(), name="run"),
    path("<int:pk>/confirm/", views.ImportRunConfirmView.as_view(), name="confirm"),
    path("<int:pk>/discard/", views.ImportRunDiscardView.as_view(), name="discard"),
]
