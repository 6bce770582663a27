from django.urls import path

from . import views

app_name = "prospects"

urlpatterns = [
    path("", views.ProspectListView.as_view(), name="list"),
    path("<int:pk>/", views.ProspectDetailView.as_view(), name="detail"),
    # kept by provincial staff and headquarters (issue 21): the pool's claim rules, the new-customer targets
    path("claim-rules/", views.ClaimRulesView.as_view(), name="claim-rules"),
    path("targets/", views.TargetsView.as_view(), name="targets"),
    path("<int:pk>/claim/", views.ProspectActionView.as_view(action="claim"), name="claim"),
    path("<int:pk>/release/", views.ProspectActionView.as_view(action="release"), name="release"),
    path("<int:pk>/visit/", views.ProspectActionView.as_view(action="visit"), name="visit"),
    path("<int:pk>/convert/", views.ProspectActionView.as_view(action="convert"), name="convert"),
]
