from django.urls import path

from . import api

urlpatterns = [
    path("taxonomies/", api.TaxonomyList.as_view(), name="api-taxonomies"),
    path("taxonomies/import/", api.TaxonomyImport.as_view(), name="api-taxonomy-import"),
    path("taxonomies/<int:pk>/", api.TaxonomyDetail.as_view(), name="api-taxonomy-detail"),
]
