from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from rest_framework.authtoken.models import Token

from annotation.profiles import profile_needs_filling

from .roles import ADMIN, ANNOTATOR, PROJECT_MANAGER, QA_REVIEWER, user_role

HOME_BY_ROLE = {
    ADMIN: "annotation:project_list",
    PROJECT_MANAGER: "annotation:project_list",
    QA_REVIEWER: "qa:dashboard",
    ANNOTATOR: "annotation:queue",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its place; a user without a role is told whom to ask."""
    role = user_role(request.user)
    if role == ANNOTATOR:
        if profile_needs_filling(request.user):  # first login: say which languages you work in
            return redirect("people:profile")
    target = HOME_BY_ROLE.get(role)
    if target:
        return redirect(target)
    return render(request, "annotera/no_role.html", status=403)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_required
def api_token(request: HttpRequest) -> HttpResponse:
    """Show the user's API token; POST makes a new one (the old one stops working)."""
    if request.method == "POST":
        Token.objects.filter(user=request.user).delete()
        Token.objects.create(user=request.user)
        return redirect("api_token")
    token = Token.objects.filter(user=request.user).first()
    return render(request, "annotera/api_token.html", {"token": token})
