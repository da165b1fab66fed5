from django.urls import path

from blcheck.monitoring import views

app_name = "monitoring"

urlpatterns = [
    # targets/
    path("targets/", views.target_list, name="target-list"),
    path("targets/new/", views.target_create, name="target-create"),
    path("targets/<int:pk>/", views.target_detail, name="target-detail"),
    path("targets/<int:pk>/check/", views.target_check_now, name="target-check-now"),
    # runs/
    path("runs/<int:pk>/", views.run_progress, name="run-detail"),
]
