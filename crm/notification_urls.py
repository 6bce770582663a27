"""The notification pages under /notifications/ (`crm.notification_views`)."""

from django.urls import path

from . import notification_views as views

app_name = "notifications"

urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("<int:pk>/read/", views.NotificationReadView.as_view(), name="read"),
    path("read-all/", views.NotificationsReadAllView.as_view(), name="read-all"),
    path("settings/", views.ChannelsView.as_view(), name="settings"),
    path("robot/", views.DepartmentRobotView.as_view(), name="robot"),
]
