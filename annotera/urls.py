from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .credentials import refuse_if_locked_out

# One limiter for every password check (annotera.credentials): failed sign-ins are counted per
# user name and per client address; past either limit the form answers 429 before checking.
login_view = refuse_if_locked_out(lambda r: r.POST.get("username"))(auth_views.LoginView.as_view())

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", login_view, name="login"),
    path("account/token/", views.api_token, name="api_token"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("annotation.urls")),
    path("qa/", include("qa.urls")),
    path("taxonomies/", include("taxonomy.urls")),
    path("api/", include("annotera.api_urls")),
]
