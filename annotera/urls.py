from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .ratelimit import client_ip, rate_limit

# Per user name: slows guessing one account's password. Per address, a much higher limit: a
# whole office behind one NAT address logs in at nine, but a credential-stuffing source is slowed.
login_view = rate_limit(
    "login-ip", limit=lambda: settings.LOGIN_IP_RATE_LIMIT, window=300, keys=lambda r: [f"ip:{client_ip(r)}"]
)(
    rate_limit(
        "login",
        limit=lambda: settings.LOGIN_RATE_LIMIT,
        window=300,
        keys=lambda r: [f"user:{r.POST.get('username', '').strip().lower()}"],
    )(auth_views.LoginView.as_view())
)

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
