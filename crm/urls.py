from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views
from .forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("today/", include("workbench.urls")),
    path("search/", include("accounts.search_urls")),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("teams.urls")),
    path("customers/", include("accounts.urls")),
    path("tiering/", include("tiering.urls")),
    path("kpis/", include("kpis.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("arrears/", include("arrears.urls")),
    path("imports/", include("imports.urls")),
    path("partners/", include("partners.urls")),
    path("prospects/", include("prospects.urls")),
    path("audit/", views.AuditListView.as_view(), name="audit"),
    path("jobs/", views.JobsView.as_view(), name="jobs"),
    path("jobs/progress/", views.JobProgressView.as_view(), name="jobs-progress"),
    path("notifications/", include("crm.notification_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("crm.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler400 = "crm.errors.bad_request"
handler403 = "crm.errors.permission_denied"
handler404 = "crm.errors.page_not_found"
handler500 = "crm.errors.server_error"
