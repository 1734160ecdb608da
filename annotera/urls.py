from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .admin_password import admin_password_change
from .credentials import refuse_if_locked_out
from .ratelimit import client_ip, rate_limit

# One limiter for every password check (annotera.credentials): failed sign-ins are counted per
# user name and per client address; past either limit the form answers 429 before checking.
login_view = refuse_if_locked_out(lambda r: r.POST.get("username"))(auth_views.LoginView.as_view())

# Reset requests send mail: limited per client address.
password_reset_view = rate_limit(
    "password-reset", limit=lambda: settings.LOGIN_IP_RATE_LIMIT, window=300, keys=lambda r: [f"ip:{client_ip(r)}"]
)(auth_views.PasswordResetView.as_view())

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", login_view, name="login"),
    path("account/token/", views.api_token, name="api_token"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's own password reset views (templates in templates/registration/).
    path("password-reset/", password_reset_view, name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # Before the admin's own routes: its change-password form under the one credential limiter.
    path("admin/password_change/", admin_password_change, name="admin_password_change"),
    path("admin/", admin.site.urls),
    path("", include("people.urls")),
    path("", include("annotation.urls")),
    path("qa/", include("qa.urls")),
    path("taxonomies/", include("taxonomy.urls")),
    path("api/", include("annotera.api_urls")),
]
