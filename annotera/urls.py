from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("annotation.urls")),
    path("qa/", include("qa.urls")),
    path("taxonomies/", include("taxonomy.urls")),
    path("api/", include("annotation.api_urls")),
    path("api/", include("qa.api_exports_urls")),
]
