from django.urls import path

from blcheck.monitoring import views

app_name = "monitoring"

urlpatterns = [
    # targets/
    path("targets/", views.target_list, name="target-list"),
    path("targets/new/", views.target_create, name="target-create"),
    path("targets/bulk/", views.target_bulk, name="target-bulk"),
    path("targets/check/", views.target_check_many, name="target-check-many"),
    path("targets/<int:pk>/check/", views.target_check_now, name="target-check-now"),
    # lists/
    path("lists/", views.blocklist_list, name="blocklist-list"),
    path("lists/new/", views.blocklist_create, name="blocklist-create"),
    path("lists/<int:pk>/", views.blocklist_detail, name="blocklist-detail"),
    path("lists/<int:pk>/edit/", views.blocklist_edit, name="blocklist-edit"),
    # notifications/
    path("notifications/", views.notification_settings, name="notification-settings"),
    path("notifications/test/", views.notification_test, name="notification-test"),
    # runs/
    path("runs/<int:pk>/", views.run_progress, name="run-detail"),
    path("runs/groups/<uuid:group>/", views.group_progress, name="group-progress"),
]
