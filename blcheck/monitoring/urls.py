from django.urls import path

from blcheck.monitoring import target_views, views

app_name = "monitoring"

urlpatterns = [
    # targets/
    path("targets/", target_views.target_list, name="target-list"),
    path("targets/act/", target_views.target_bulk_action, name="target-bulk-action"),
    path("targets/<int:pk>/edit/", target_views.target_edit, name="target-edit"),
    path("targets/<int:pk>/act/", target_views.target_act, name="target-act"),
    path("targets/<int:pk>/delete/", target_views.target_delete, name="target-delete"),
    path("targets/new/", views.target_create, name="target-create"),
    path("targets/bulk/", views.target_bulk, name="target-bulk"),
    path("targets/export.csv", views.target_export, name="target-export"),
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
