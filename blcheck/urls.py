"""Root URLconf: language switch, auth, admin, health, then the apps."""

from django.contrib import admin
from django.urls import include, path

from blcheck.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("blcheck.monitoring.urls")),
    path("", include("blcheck.cases.urls")),
    path("", include("blcheck.reports.urls")),
]
