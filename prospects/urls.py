from django.urls import path

from . import views

app_name = "prospects"

urlpatterns = [
    path("", views.ProspectListView.as_view(), name="list"),
    path("<int:pk>/", views.ProspectDetailView.as_view(), name="detail"),
    path("<int:pk>/claim/", views.ProspectActionView.as_view(action="claim"), name="claim"),
    path("<int:pk>/release/", views.ProspectActionView.as_view(action="release"), name="release"),
    path("<int:pk>/visit/", views.ProspectActionView.as_view(action="visit"), name="visit"),
    path("<int:pk>/convert/", views.ProspectActionView.as_view(action="convert"), name="convert"),
]
