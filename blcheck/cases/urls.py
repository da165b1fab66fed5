from django.urls import path

from blcheck.cases import views

app_name = "cases"

urlpatterns = [
    # cases/
    path("cases/", views.case_list, name="case-list"),
    path("cases/new/", views.case_open, name="case-open"),
    path("cases/new/targets/", views.target_options, name="target-options"),
    path("cases/bounce/", views.bounce_intake, name="bounce-intake"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path(
        "cases/<int:pk>/request/", views.case_mark_requested, name="case-mark-requested"
    ),
    path("cases/<int:pk>/assign/", views.case_assign, name="case-assign"),
    path("cases/<int:pk>/note/", views.case_add_note, name="case-add-note"),
    path("cases/<int:pk>/close/", views.case_close, name="case-close"),
]
