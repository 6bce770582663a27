"""The top bar's search (`/search/`), kept out of `/customers/<code>/` where a customer coded "search" would be."""

from django.urls import path

from . import views

app_name = "search"

urlpatterns = [path("", views.SearchView.as_view(), name="search")]
