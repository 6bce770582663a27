from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer-list"),
    path("new/", views.CustomerFormView.as_view(), name="customer-create"),
    path("<str:code>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path("<str:code>/edit/", views.CustomerFormView.as_view(), name="customer-edit"),
    path("<str:code>/group/", views.CustomerGroupView.as_view(), name="customer-group"),
    path("<str:code>/history/", views.CustomerHistoryView.as_view(), name="customer-history"),
    path("<str:code>/timeline/", views.CustomerTimelineView.as_view(), name="customer-timeline"),
    path("<str:code>/key-persons/new/", views.KeyPersonFormView.as_view(), name="key-person-create"),
    path("<str:code>/key-persons/<int:pk>/edit/", views.KeyPersonFormView.as_view(), name="key-person-edit"),
    path("<str:code>/key-persons/<int:pk>/delete/", views.KeyPersonDeleteView.as_view(), name="key-person-delete"),
    path("<str:code>/members/", views.GroupMemberListView.as_view(), name="member-list"),
    path("<str:code>/members/new/", views.GroupMemberFormView.as_view(), name="member-create"),
    path("<str:code>/members/<int:pk>/edit/", views.GroupMemberFormView.as_view(), name="member-edit"),
    path("<str:code>/members/<int:pk>/remove/", views.GroupMemberRemoveView.as_view(), name="member-remove"),
]
