from django.urls import path

from . import views

app_name = "taxonomy"

urlpatterns = [
    path("", views.taxonomy_list, name="list"),
    path("<int:pk>/", views.taxonomy_detail, name="detail"),
    path("<int:pk>/edit/", views.taxonomy_edit, name="edit"),
    path("<int:pk>/publish/", views.taxonomy_publish_view, name="publish"),
    path("<int:pk>/export.json", views.taxonomy_export_view, name="export"),
]
