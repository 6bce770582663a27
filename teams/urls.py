from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("visits/due/", views.DueVisitsView.as_view(), name="due-visits"),
    path("visits/unverified/", views.UnverifiedVisitsView.as_view(), name="visits-unverified"),
    path("visits/<int:pk>/edit/", views.VisitFormView.as_view(), name="visit-edit"),
    path("visits/<int:pk>/confirm-location/", views.VisitLocationConfirmView.as_view(), name="visit-confirm-location"),
    path("visits/photos/<int:pk>/", views.VisitPhotoFileView.as_view(), name="visit-photo"),
    path("customers/<str:code>/visits/new/", views.VisitFormView.as_view(), name="visit-create"),
    path("customers/<str:code>/team/", views.TeamEditView.as_view(), name="team-edit"),
    path("teams/incomplete/", views.IncompleteTeamsView.as_view(), name="incomplete-teams"),
    path("teams/load/", views.ManagerLoadView.as_view(), name="manager-load"),
    path("teams/reassign/", views.ReassignView.as_view(), name="reassign"),
    path("teams/vips/deal/", views.VipDealView.as_view(), name="vip-deal"),
    path("teams/vips/<str:username>/", views.VipManagerView.as_view(), name="vip-manager"),
    path("teams/staff/", views.StaffSearchView.as_view(), name="staff-search"),
    path("teams/standards/", views.ServiceStandardListView.as_view(), name="standards"),
    path("teams/standards/<str:tier>/", views.ServiceStandardEditView.as_view(), name="standard-edit"),
]
