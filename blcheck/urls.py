"""Root URLconf: language switch, auth, admin, health, then the apps."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from blcheck.core import auth
from blcheck.core import views as core_views

# django.contrib.auth.urls, except that log-in says whether to offer password
# reset, and reset is rate-limited and 404 while blcheck cannot send mail.
accounts = [
    path("login/", auth.login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", auth.password_reset, name="password_reset"),
    path(
        "password_reset/done/",
        auth.when_mail_configured(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth.when_mail_configured(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth.when_mail_configured(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include(accounts)),
    path("admin/", admin.site.urls),
    path("", include("blcheck.monitoring.urls")),
    path("", include("blcheck.cases.urls")),
    path("", include("blcheck.reports.urls")),
]
