"""The notifications API (issue 17): one's own inbox, a notification read, all read."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm import notifications
from crm.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.BooleanField(read_only=True, help_text="Whether the user has read it.")
    url = serializers.CharField(read_only=True, help_text="Where it points on this site (a path), or empty.")

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read"]
        read_only_fields = fields


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="Only the unread ones (true) or only the read ones (false)."
    )

    class Meta:
        model = Notification
        fields = ["unread"]


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own notifications, newest first (`?unread=true`: only the unread). Another user's notification
    does not exist for the caller (404)."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return notifications.inbox(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"], url_path="read")
    def read(self, request, pk=None, format=None):  # noqa: A002 - the router's .json suffix
        """Mark the notification read (again: no change)."""
        notification = get_object_or_404(self.get_queryset(), pk=pk)
        notifications.notification_read(user=request.user, notification=notification)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None, responses=inline_serializer("NotificationsReadAll", {"marked": serializers.IntegerField()})
    )
    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None, pagination_class=None)
    def read_all(self, request, format=None):  # noqa: A002 - the router's .json suffix
        """Mark every unread notification of the caller read; `marked`: how many."""
        return Response({"marked": notifications.notifications_read_all(user=request.user)})
